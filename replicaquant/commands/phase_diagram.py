"""``replicaquant phase-diagram``: an RS sweep over any model parameters, saved as netCDF.

Every model parameter accepts a *value list*: one or more tokens, each a number or a range

* ``start:stop:num``      -- ``num`` evenly spaced values, both ends included (``numpy.linspace``);
* ``start:stop:num:log``  -- ``num`` log-spaced values, both ends included (``numpy.geomspace``).

Tokens are concatenated in the order given (``--width 0.2:1:5 2 3``).  Parameters with several
values become sweep axes in the fixed order ``bits, width, gamma, scale, alpha, beta, lam,
noise_var, rho``; the continuation axis is the last *multi-valued* one.
"""
from __future__ import annotations

import math
import textwrap

import numpy as np

#: (option dest, sweep axis name, integer?) in axis order.
_PARAMS = (("bits", "bits", True), ("width", "width", False), ("gamma", "gamma", False),
           ("scale", "scale", False), ("alpha", "alpha", False), ("beta", "beta", False),
           ("lam", "lam", False), ("noise_var", "noise_var", False), ("rho", "rho", False))


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
                    "the order bits, width, gamma, scale, alpha, beta, lam, noise_var, rho; the "
                    "last multi-valued one is the continuation axis.")
    g = p.add_argument_group("model (each option takes VALUES)")
    g.add_argument("--quantizer", choices=("uniform", "power", "lloyd"), default="uniform",
                   help="level family: uniform (--width), power (--width, --gamma), lloyd (--scale)")
    g.add_argument("--bits", nargs="+", default=["2"], metavar="VALUES", help="bits (default 2)")
    g.add_argument("--width", nargs="+", default=None, metavar="VALUES",
                   help="half-range omega (uniform/power; default 1.5)")
    g.add_argument("--gamma", nargs="+", default=None, metavar="VALUES",
                   help="power-family shape (power only; default 2)")
    g.add_argument("--scale", nargs="+", default=None, metavar="VALUES",
                   help="Gaussian source std of the Lloyd-Max levels (lloyd only; default 1)")
    g.add_argument("--alpha", nargs="+", required=True, metavar="VALUES", help="samples per dimension")
    g.add_argument("--beta", nargs="+", required=True, metavar="VALUES",
                   help="inverse temperature ('inf' allowed)")
    g.add_argument("--lam", nargs="+", default=["0"], metavar="VALUES", help="ridge penalty (default 0)")
    g.add_argument("--noise-var", nargs="+", default=["0"], metavar="VALUES",
                   help="label noise variance (default 0)")
    g.add_argument("--rho", nargs="+", default=["1"], metavar="VALUES",
                   help="Gaussian teacher variance (default 1)")
    r = p.add_argument_group("run")
    r.add_argument("--out", default=None, metavar="FILE.nc",
                   help="netCDF output (written atomically; checkpoints in FILE.nc.parts/, resumable)")
    r.add_argument("--plot", default=None, metavar="FILE.png",
                   help="draw the AT-value map with the RS/RSB boundary (at = 1)")
    r.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="Dask scheduler address (tcp://host:port); default: local process pool")
    r.add_argument("--workers", type=int, default=None, metavar="N",
                   help="local worker processes (default: all cores; 1 = in-process)")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--no-bidirectional", action="store_true",
                   help="forward pass only (no backward pass / hysteresis detection)")
    r.add_argument("--full-backward", action="store_true",
                   help="solve every point of the backward pass (no reuse of smooth forward steps)")
    r.add_argument("--chunk-lines", type=int, default=None, metavar="N",
                   help="finished lines per checkpoint chunk (default ceil(lines/64), at most 64)")
    r.add_argument("--tol", type=float, default=1e-11, help="solver tolerance (undamped residual)")
    p.set_defaults(func=run)


def _values_of(args) -> dict:
    """``{axis name: list of values}`` of every parameter that applies to the quantizer family."""
    qname = args.quantizer
    raw = {"bits": args.bits, "width": args.width or (["1.5"] if qname != "lloyd" else None),
           "gamma": args.gamma or (["2"] if qname == "power" else None),
           "scale": args.scale or (["1"] if qname == "lloyd" else None),
           "alpha": args.alpha, "beta": args.beta, "lam": args.lam, "noise_var": args.noise_var,
           "rho": args.rho}
    values = {}
    for dest, axis, integer in _PARAMS:
        if raw[dest] is not None:
            values[axis] = parse_values(raw[dest], "--" + dest.replace("_", "-"), integer)
    return values


def build_sweep(args):
    """``(base_model, axes)`` from the parsed options (``ValueError`` on bad input)."""
    from ..model import Model
    from ..quantizers import LloydMaxQuantizer, PowerQuantizer, UniformQuantizer
    from ..teachers import GaussianTeacher

    qname = args.quantizer
    if qname != "power" and args.gamma is not None:
        raise ValueError("--gamma applies only to --quantizer power")
    if qname != "lloyd" and args.scale is not None:
        raise ValueError("--scale applies only to --quantizer lloyd")
    if qname == "lloyd" and args.width is not None:
        raise ValueError("--width does not apply to --quantizer lloyd (use --scale)")
    values = _values_of(args)
    first = {k: v[0] for k, v in values.items()}
    if qname == "uniform":
        quant = UniformQuantizer(first["bits"], first["width"])
    elif qname == "power":
        quant = PowerQuantizer(first["bits"], first["width"], first["gamma"])
    else:
        quant = LloydMaxQuantizer(first["bits"], first["scale"])
    model = Model(quantizer=quant, alpha=first["alpha"], beta=first["beta"], lam=first["lam"],
                  noise_var=first["noise_var"], teacher=GaussianTeacher(first["rho"]))
    axes = {k: v for k, v in values.items() if len(v) > 1}
    if not axes:
        raise ValueError("phase-diagram needs at least one parameter with several values "
                         "(use `replicaquant solve` for a single point)")
    return model, axes


def plot_phase_diagram(ds, path, title: str | None = None) -> None:
    """Draw ``log10(at)`` over one, two or three axes with the RS/RSB boundary ``at = 1``.

    Two axes: a map (x = continuation axis, y = the other) with the ``at = 1`` contour; one axis:
    ``at`` against it; three axes: one map per value of the first axis.  Points that did not
    converge are marked with ``x``, points with coexisting branches with dots.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dims = list(ds["at"].dims)
    if title is None:
        title = "base " + ds.attrs.get("model", "")
    title = "\n".join(textwrap.wrap(title, 80))
    if len(dims) == 1:
        fig, ax = plt.subplots(figsize=(6, 4))
        x = ds[dims[0]].values
        ax.plot(x, ds["at"].values, "-", color="C0")
        ax.axhline(1.0, color="k", lw=0.8, ls="--", label="at = 1 (RS/RSB boundary)")
        bad = ds["converged"].values == 0
        ax.plot(x[bad], ds["at"].values[bad], "x", color="C3", label="not converged")
        ax.set_yscale("log")
        ax.set_xlabel(dims[0])
        ax.set_ylabel("AT value")
        ax.legend(fontsize=8)
        ax.set_title(title, fontsize=7)
    else:
        panels = [None] if len(dims) == 2 else list(range(ds.sizes[dims[0]]))
        fig, axs = plt.subplots(1, len(panels), figsize=(5.5 * len(panels), 4.5), squeeze=False)
        for ax, k in zip(axs[0], panels):
            sub = ds if k is None else ds.isel({dims[0]: k})
            ydim, xdim = sub["at"].dims
            x, y = sub[xdim].values, sub[ydim].values
            with np.errstate(divide="ignore"):
                z = np.log10(np.clip(sub["at"].values, 1e-12, None))
            z = np.clip(np.nan_to_num(z, posinf=2.0), -2.0, 2.0)
            mesh = ax.pcolormesh(x, y, z, cmap="RdBu_r", vmin=-2, vmax=2, shading="nearest")
            if len(y) >= 6 and sub[ydim].dtype.kind == "f" and len(x) > 1 and z.min() < 0 < z.max():
                ax.contour(x, y, z, levels=[0.0], colors="k", linewidths=1.2)
            else:  # few or discrete rows (e.g. bits): mark the at = 1 crossings row by row
                half = 0.5 * (np.min(np.diff(y)) if len(y) > 1 else 1.0)
                for row, yv in zip(z, y):
                    for j in np.nonzero(np.diff(np.sign(row)) != 0)[0]:
                        xc = x[j] + (x[j + 1] - x[j]) * row[j] / (row[j] - row[j + 1])
                        ax.plot([xc, xc], [yv - half, yv + half], color="k", lw=2)
            bad = sub["converged"].values == 0
            yy, xx = np.meshgrid(y, x, indexing="ij")
            ax.plot(xx[bad], yy[bad], "x", color="k", ms=4)
            coex = sub["n_branches"].values > 1
            ax.plot(xx[coex], yy[coex], ".", color="C2", ms=3)
            ax.set_xlabel(xdim)
            ax.set_ylabel(ydim)
            if sub[ydim].dtype.kind in "iu":
                ax.set_yticks(y)
            if k is not None:
                ax.set_title(f"{dims[0]} = {ds[dims[0]].values[k]}", fontsize=9)
            fig.colorbar(mesh, ax=ax, label="log10(at)  (RSB where > 0; black line: at = 1)")
        fig.suptitle(title, fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def run(args) -> int:
    """Run ``replicaquant phase-diagram`` with parsed ``args``; returns the exit status."""
    from ..sweep import CheckpointError, sweep

    model, axes = build_sweep(args)
    if args.plot is not None and len(axes) > 3:
        raise ValueError(f"--plot draws one to three swept parameters, got {len(axes)} ({', '.join(axes)})")
    if args.workers is not None and args.workers < 1:
        raise ValueError(f"--workers must be >= 1, got {args.workers}")
    if args.no_bidirectional and args.full_backward:
        raise ValueError("--no-bidirectional and --full-backward exclude each other")
    bidir = False if args.no_bidirectional else ("full" if args.full_backward else True)
    try:
        ds = sweep(model, out=args.out, scheduler=args.scheduler, workers=args.workers,
                   progress=not args.no_progress, bidirectional=bidir,
                   chunk_lines=args.chunk_lines, solver_kwargs={"tol": args.tol}, **axes)
    except (CheckpointError, ImportError) as exc:
        raise ValueError(str(exc)) from None
    if args.plot is not None:
        fixed = ", ".join(f"{k}={v[0]:g}" for k, v in _values_of(args).items() if len(v) == 1)
        plot_phase_diagram(ds, args.plot, title=f"{args.quantizer} levels; {fixed}")
    n = int(ds["converged"].size)
    conv = int(ds["converged"].sum())
    shape = ", ".join(f"{k}={ds.sizes[k]}" for k in axes)
    print(f"{n} points ({shape}; continuation along {list(axes)[-1]}): converged {conv}/{n}, "
          f"RS-stable (at < 1) {int(ds['rs_stable'].sum())}, coexisting branches at "
          f"{int((ds['n_branches'] > 1).sum())}")
    if args.out is not None:
        print(f"wrote {args.out}")
    if args.plot is not None:
        print(f"wrote {args.plot}")
    return 0 if conv == n else 1
