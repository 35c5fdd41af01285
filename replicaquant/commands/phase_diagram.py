"""``replicaquant phase-diagram``: an RS sweep over any model parameters, saved as netCDF.

Every model parameter accepts a *value list*: one or more tokens, each a number or a range

* ``start:stop:num``      -- ``num`` evenly spaced values, both ends included (``numpy.linspace``);
* ``start:stop:num:log``  -- ``num`` log-spaced values, both ends included (``numpy.geomspace``).

Tokens are concatenated in the order given (``--width 0.2:1:5 2 3``).  The options are the
numeric axes of :data:`replicaquant.axes.AXES` (one meaning per axis for every quantizer family:
``--width`` is the outer level ``max|c_k|``, also for Lloyd-Max levels; ``--T`` is ``1/beta``).
Parameters with several values become sweep axes in the registry order ``bits, width, gamma,
scale, alpha, beta, T, lam, noise_var, rho``; the continuation axis is the last *multi-valued* one.
"""
from __future__ import annotations

import json
import math
import socket
import sys
import urllib.parse

import numpy as np

def _params():
    """``(option dest, axis name, integer?)`` of every numeric axis, in registry order."""
    from ..axes import AXES

    return tuple((name, name, ax.kind == "int") for name, ax in AXES.items() if ax.kind != "object")


#: effective defaults of the axes given no value (per family where it matters)
_DEFAULTS = {"bits": "2", "lam": "0", "noise_var": "0", "rho": "1"}


def parse_token(token: str, name: str = "value") -> list[float]:
    """Values of one token: a number (``inf`` allowed) or ``start:stop:num[:log]``."""
    text = token.strip()
    if ":" not in text:
        try:
            v = float(text)
        except ValueError:
            raise ValueError(f"{name}: not a number or range: {token!r} "
                             "(expected a number, start:stop:num or start:stop:num:log)") from None
        if math.isnan(v):
            raise ValueError(f"{name} must not be NaN")
        return [v]
    parts = text.split(":")
    if len(parts) not in (3, 4) or (len(parts) == 4 and parts[3].lower() != "log"):
        raise ValueError(f"{name}: bad range {token!r} (expected start:stop:num or start:stop:num:log)")
    try:
        start, stop = float(parts[0]), float(parts[1])
    except ValueError:
        raise ValueError(f"{name}: bad range {token!r}: start and stop must be numbers") from None
    try:
        num = int(parts[2])
    except ValueError:
        raise ValueError(f"{name}: bad range {token!r}: num must be a positive integer") from None
    if num < 1:
        raise ValueError(f"{name}: bad range {token!r}: num must be a positive integer")
    if not (math.isfinite(start) and math.isfinite(stop)):
        raise ValueError(f"{name}: bad range {token!r}: start and stop must be finite")
    from ..sweep import check_size  # refuse before allocating num values (ResourceError)

    check_size({name: num})
    if len(parts) == 4:
        if start <= 0 or stop <= 0:
            raise ValueError(f"{name}: bad range {token!r}: a log range needs start, stop > 0")
        return [float(v) for v in np.geomspace(start, stop, num)]
    return [float(v) for v in np.linspace(start, stop, num)]


def parse_values(tokens, name: str = "value", integer: bool = False) -> list:
    """Concatenate the values of several tokens (see :func:`parse_token`)."""
    if isinstance(tokens, str):
        tokens = [tokens]
    vals: list = []
    for tok in tokens:
        vals.extend(parse_token(tok, name))
    if not vals:
        raise ValueError(f"{name}: no values given")
    if integer:
        out = []
        for v in vals:
            if not (math.isfinite(v) and float(v).is_integer()):
                raise ValueError(f"{name} must be integers, got {v:g}")
            out.append(int(v))
        return out
    return vals


def register(sub) -> None:
    """Add the ``replicaquant phase-diagram`` parser to the subparsers ``sub``."""
    p = sub.add_parser(
        "phase-diagram", help="RS sweep over parameters (phase diagram), saved as netCDF",
        description="Solve the RS saddle point on a grid of parameters with continuation "
                    "(forward and backward passes), checkpoints and a process pool or Dask "
                    "cluster. VALUES: numbers and/or ranges start:stop:num (inclusive linspace) "
                    "or start:stop:num:log (geomspace). Multi-valued parameters become axes in "
                    "the order bits, width, gamma, scale, alpha, beta, T, lam, noise_var, rho; "
                    "the last multi-valued one is the continuation axis.")
    g = p.add_argument_group("model (each option takes VALUES)")
    g.add_argument("--quantizer", choices=("uniform", "power", "lloyd"), default="uniform",
                   help="level family: uniform (--width), power (--width, --gamma), lloyd "
                        "(--width = outer level, or --scale = source std)")
    helps = {"bits": "bits b (default: 2)",
             "width": "outer level max|c_k| (half-range omega) for every family (default: 1.5; "
                      "lloyd: the levels of a unit-variance source)",
             "gamma": "power-family shape, --quantizer power only (default: 2)",
             "scale": "Gaussian source std of the Lloyd-Max levels, --quantizer lloyd only "
                      "(default: 1)",
             "alpha": "samples per dimension n/d (required)",
             "beta": "inverse temperature ('inf' allowed); give --beta or --T",
             "T": "temperature 1/beta (0 allowed: beta = inf); instead of --beta",
             "lam": "ridge penalty (default: 0)", "noise_var": "label noise variance (default: 0)",
             "rho": "Gaussian teacher variance (default: 1)"}
    for dest, _axis, _integer in _params():
        g.add_argument("--" + dest.replace("_", "-"), dest=dest, nargs="+", default=None,
                       metavar="VALUES", required=(dest == "alpha"), help=helps.get(dest, dest))
    r = p.add_argument_group("run")
    r.add_argument("--out", default=None, metavar="FILE.nc",
                   help="netCDF output (written atomically; checkpoints in FILE.nc.parts/, "
                        "resumable; an existing FILE.nc is replaced). Without --out every point "
                        "is printed on stdout (a table, or JSON with --json)")
    r.add_argument("--json", action="store_true",
                   help="print every point as JSON on stdout (also with --out)")
    r.add_argument("--plot", default=None, metavar="FILE.png",
                   help="draw the AT-value map with the RS/RSB boundary (at = 1)")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:port); default: local process pool")
    r.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: all cores; 1 = in-process)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    r.add_argument("--no-bidirectional", action="store_true",
                   help="forward pass only (no backward pass / hysteresis detection)")
    r.add_argument("--full-backward", action="store_true",
                   help="solve every point of the backward pass (no reuse of smooth forward steps)")
    r.add_argument("--chunk-lines", type=int, default=None, metavar="N",
                   help="finished lines per checkpoint chunk (default ceil(lines/64), at most 64)")
    r.add_argument("--tol", type=float, default=1e-11, help="solver tolerance (undamped residual)")
    r.add_argument("--phase", action="store_true",
                   help="also classify every point (rq.phase: RS/d1RSB/1RSB/FRSB; at beta = inf the "
                        "zero-temperature 1RSB, FRSB not tested; slower: a 1RSB branch search per "
                        "point)")
    p.set_defaults(func=run)


def _values_of(args) -> dict:
    """``{axis name: list of values}`` of every parameter given or defaulted for the family."""
    qname = args.quantizer
    raw = {dest: getattr(args, dest) for dest, _, _ in _params()}
    for k, v in _DEFAULTS.items():
        if raw.get(k) is None:
            raw[k] = [v]
    if qname != "lloyd" and raw["width"] is None:
        raw["width"] = ["1.5"]
    if qname == "power" and raw["gamma"] is None:
        raw["gamma"] = ["2"]
    values = {}
    for dest, axis, integer in _params():
        if raw.get(dest) is not None:
            values[axis] = parse_values(raw[dest], "--" + dest.replace("_", "-"), integer)
    return values


def build_sweep(args):
    """``(base_model, axes)`` from the parsed options (``ValueError`` on bad input).

    The base model is the family's default quantizer with every parameter set to its first
    value through :func:`replicaquant.axes.with_params` (so each option means what the axis
    registry says); the multi-valued parameters are the sweep axes.
    """
    from ..axes import with_params
    from ..model import Model
    from ..quantizers import LloydMaxQuantizer, PowerQuantizer, UniformQuantizer
    from ._common import conflict

    qname = args.quantizer
    if qname != "power" and args.gamma is not None:
        conflict("--gamma applies only to --quantizer power")
    if qname != "lloyd" and args.scale is not None:
        conflict("--scale applies only to --quantizer lloyd")
    if qname == "lloyd" and args.width is not None and args.scale is not None:
        conflict("--width (outer level) and --scale (source std) both set the Lloyd-Max levels; "
                 "give one")
    if args.beta is not None and args.T is not None:
        conflict("--beta and --T (= 1/beta) are the same parameter; give one")
    if args.beta is None and args.T is None:
        raise ValueError("--beta (or --T) is required")
    values = _values_of(args)
    first = {k: v[0] for k, v in values.items()}
    quant = {"uniform": lambda: UniformQuantizer(2, 1.5), "power": lambda: PowerQuantizer(2, 1.5, 2.0),
             "lloyd": lambda: LloydMaxQuantizer(2, 1.0)}[qname]()
    base = Model(quantizer=quant, alpha=1.0, beta=1.0)
    model = with_params(base, first)
    axes = {k: v for k, v in values.items() if len(v) > 1}
    if not axes:
        raise ValueError("phase-diagram needs at least one parameter with several values "
                         "(use `replicaquant solve` for a single point)")
    return model, axes


def check_scheduler(address: str, timeout: float = 5.0) -> None:
    """Fail fast (one line, before computing) when a ``tcp://host:port`` scheduler is unreachable."""
    url = urllib.parse.urlparse(address if "://" in address else "tcp://" + address)
    if url.scheme not in ("tcp", "tls") or not url.hostname or url.port is None:
        raise ValueError(f"--scheduler: expected tcp://host:port, got {address!r}")
    try:
        with socket.create_connection((url.hostname, url.port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ValueError(f"--scheduler: cannot reach {url.hostname}:{url.port} ({reason})") from None


def _points_payload(ds, axes) -> dict:
    """Every point of the sweep as plain lists (coordinates and variables)."""
    return {"model": ds.attrs.get("model", ""), "axes": {k: ds[k].values.tolist() for k in axes},
            "dims": list(ds["at"].dims),
            "variables": {k: ds[k].values.tolist() for k in ds.data_vars}}


def _points_table(ds, axes) -> str:
    """One line per point: the swept values, then at, gen_error, converged, n_branches."""
    names = list(ds["at"].dims)
    cols = [c for c in ("at", "gen_error", "gen_error_mean", "free_energy", "converged",
                        "n_branches", "phase", "phase_x") if c in ds.data_vars]
    flat = ds[cols].to_dataframe().reset_index()
    for c in cols:  # string fields stored as int8 codes -> their labels
        codes = ds[c].attrs.get("codes")
        if codes:
            labels = {int(k): v for k, v in json.loads(codes).items()}
            flat[c] = [labels.get(int(v), str(v)) for v in flat[c]]
    lines = ["  ".join(f"{c:>12s}" for c in names + cols)]
    for row in flat.itertuples(index=False):
        rec = row._asdict()
        lines.append("  ".join(f"{rec[c]:12.6g}" if isinstance(rec[c], float) else f"{rec[c]!s:>12s}"
                               for c in names + cols))
    return "\n".join(lines)


def run(args) -> int:
    """Run ``replicaquant phase-diagram`` with parsed ``args``; returns the exit status."""
    from ..plotting import plot_phase_diagram
    from ..sweep import CheckpointError, sweep
    from ._common import check_output_path, conflict, dump_json

    model, axes = build_sweep(args)
    if args.plot is not None and len(axes) > 3:
        raise ValueError(f"--plot draws one to three swept parameters, got {len(axes)} ({', '.join(axes)})")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    if args.workers is not None and args.scheduler is not None:
        conflict("--workers sets the local process pool; it does nothing with --scheduler")
    if args.no_bidirectional and args.full_backward:
        conflict("--no-bidirectional and --full-backward exclude each other")
    out = check_output_path(args.out)
    plot = check_output_path(args.plot, "--plot")
    if args.scheduler is not None:
        check_scheduler(args.scheduler)
    bidir = False if args.no_bidirectional else ("full" if args.full_backward else True)
    try:
        ds = sweep(model, out=None if out is None else str(out), scheduler=args.scheduler,
                   workers=args.workers, progress=not args.no_progress, bidirectional=bidir,
                   chunk_lines=args.chunk_lines, solver_kwargs={"tol": args.tol},
                   **({"phase": True} if args.phase else {}), **axes)
    except (CheckpointError, ImportError) as exc:
        raise ValueError(str(exc)) from None
    if plot is not None:
        fixed = ", ".join(f"{k}={v[0]:g}" for k, v in _values_of(args).items() if len(v) == 1)
        plot_phase_diagram(ds, plot, title=f"{args.quantizer} levels; {fixed}")
    n = int(ds["converged"].size)
    conv = int(ds["converged"].sum())
    shape = ", ".join(f"{k}={ds.sizes[k]}" for k in axes)
    if args.json:
        print(dump_json(_points_payload(ds, axes)))
    elif out is None:
        print(_points_table(ds, axes))
    print(f"{n} points ({shape}; continuation along {list(axes)[-1]}): converged {conv}/{n}, "
          f"RS-stable (at < 1) {int(ds['rs_stable'].sum())}, coexisting branches at "
          f"{int((ds['n_branches'] > 1).sum())}", file=sys.stderr if (args.json or out is None) else sys.stdout)
    if out is not None:
        print(f"wrote {out}", file=sys.stderr)
    if plot is not None:
        print(f"wrote {plot}", file=sys.stderr)
    return 0 if conv == n else 1
