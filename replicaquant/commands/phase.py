"""``replicaquant phase``: the phase of one point (RS / d1RSB / 1RSB / FRSB), or the transition
lines along one axis (``--lines AXIS``)."""
from __future__ import annotations

import math

from ._common import (add_model_args, add_output_args, check_output_path, conflict, emit, given,
                      model_from_args, parse_float)


def register(sub) -> None:
    """Add the ``replicaquant phase`` parser to the subparsers ``sub``."""
    p = sub.add_parser(
        "phase", help="phase beyond the AT test (RS, d1RSB, 1RSB, FRSB) at one point, or the "
                      "dynamical/static/AT/Gardner lines along an axis",
        description="Classify one parameter point by the 1RSB branch search (every branch at "
                    "x = 1 followed in x): RS, d1RSB (dynamical), 1RSB (static; continuous or "
                    "discontinuous) or FRSB (1RSB replicon > 1).  With --lines AXIS: the "
                    "dynamical, static (Kauzmann), AT and Gardner transitions along AXIS.  "
                    "--beta inf: the zero-temperature 1RSB ground state (frozen states, Parisi "
                    "y* = beta x*; replicons not computed, FRSB not tested).  "
                    "Note: at < 1 is local RS stability only.")
    add_model_args(p)
    p.add_argument("--lines", metavar="AXIS", default=None,
                   help="instead of one point: transition lines along AXIS (alpha, width, beta, "
                        "T, lam, noise_var, ...)")
    p.add_argument("--bracket", nargs=2, type=parse_float, metavar=("LO", "HI"), default=None,
                   help="scan interval of --lines (required with --lines)")
    p.add_argument("--n-scan", type=int, default=None,
                   help="grid points of the --lines scan (default: 12)")
    p.add_argument("--tol", type=float, default=1e-10, help="tolerance of the 1RSB fixed-x solves")
    add_output_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``replicaquant phase`` with parsed ``args``; returns the exit status."""
    from ..phase import phase
    from ..transitions import transition_lines

    if args.lines is None and given(args, "bracket", "n_scan"):
        conflict("--bracket/--n-scan need --lines AXIS")
    if args.lines is not None and args.bracket is None:
        conflict("--lines needs --bracket LO HI")
    if not (math.isfinite(args.tol) and args.tol > 0):
        raise ValueError(f"--tol must be a positive number, got {args.tol}")
    n_scan = 12 if args.n_scan is None else args.n_scan
    if n_scan < 2:
        raise ValueError(f"--n-scan must be >= 2, got {n_scan}")
    args.out = check_output_path(args.out)
    model = model_from_args(args)
    if args.lines is not None and not math.isfinite(model.beta):
        raise ValueError("--lines needs a finite --beta (at beta = inf the transition lines are not "
                         "defined: every discrete level set has at = inf; one point: drop --lines)")
    if args.lines is not None:
        tl = transition_lines(model, args.lines, tuple(args.bracket), n_scan=n_scan,
                              solve_kwargs={"tol": args.tol})
        payload = {"model": repr(model), **tl.as_dict()}

        def table() -> str:
            rows = [f"transition lines along {tl.axis} for {model!r}"]
            for k, v in tl.lines.items():
                val = f"{v.value:.6g}" if v.found else "not found"
                side = (f"  ({v.below.get('label')} -> {v.above.get('label')})" if v.found else
                        f"  ({v.message})")
                rows.append(f"  {k:>10s} = {val}{side}")
            rows.append("  scan: " + ", ".join(f"{a:.4g}:{lab}" for a, lab in zip(tl.values, tl.labels)))
            return "\n".join(rows)

        emit(args, payload, table)
        return 0 if all(pt["converged"] for pt in tl.scan) else 1
    # beta = inf: rq.phase uses the zero-temperature 1RSB (rsb_zero.phase_zero; no x = 1 branches)
    rep = phase(model, tol=args.tol)
    branches = getattr(rep.rsb, "branches", ())
    payload = {"model": repr(model), "levels": model.levels, **rep.as_dict(),
               "branches": [{"index": b.index, "kind": b.kind, "x": b.x,
                             "free_energy_minus_rs": b.free_energy - rep.free_energy_rs,
                             "complexity_x1": b.at_one.complexity,
                             "q1_minus_q0_x1": b.at_one.q1 - b.at_one.q0, "message": b.message}
                            for b in branches]}

    def table() -> str:
        rows = [f"phase of {model!r}",
                f"  {'label':>16s} = {rep.label}",
                f"  {'transition':>16s} = {rep.transition}"]
        for k in ("x", "free_energy", "free_energy_rs", "complexity", "at", "replicon",
                  "replicon_between", "q0", "q1", "gen_error", "gen_error_mean", "train_error"):
            rows.append(f"  {k:>16s} = {getattr(rep, k):.8g}")
        rows.append(f"  {'branches (x=1)':>16s} = {rep.n_branches}")
        for b in branches:
            rows.append(f"    #{b.index}: {b.kind}, x = {b.x:.6g}, Sigma(1) = {b.at_one.complexity:.4g}, "
                        f"f - f_RS = {b.free_energy - rep.free_energy_rs:.3e}")
        rows.append(f"  {'converged':>16s} = {rep.converged}")
        rows.append(f"  {'message':>16s} = {rep.message}")
        return "\n".join(rows)

    emit(args, payload, table)
    return 0 if rep.converged else 1
