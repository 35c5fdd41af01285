"""``replicaquant ground-state``: exact / annealed ground states of synthetic instances vs theory.

For each ``d`` given, ``--instances`` data sets :func:`replicaquant.make_data` are solved by the
exhaustive Gray-code search (:func:`replicaquant.exact_ground_state`, ``--method exact``) or by
simulated annealing (:func:`replicaquant.anneal_ground_state`, ``--method anneal``); the instance
means (with standard errors, control-variate adjusted) and their ``1/d`` extrapolation
(:func:`replicaquant.ground_state_scan`) are printed next to the RS and zero-temperature 1RSB
ground states (:func:`replicaquant.solve_rs`, :func:`replicaquant.solve_1rsb_zero`).
"""
from __future__ import annotations

from ._common import (add_model_args, add_output_args, add_progress_arg, check_output_path,
                      emit, model_from_args)


def register(sub) -> None:
    """Add the ``replicaquant ground-state`` parser to the subparsers ``sub``."""
    p = sub.add_parser(
        "ground-state", help="exact (small d) or annealed ground states vs the RS / 1RSB theory",
        description="Minimise H(w) = |y - X w/sqrt(d)|^2/2 + lam |w|^2/2 over the level set on "
                    "synthetic instances: exhaustively (Gray code; K^d configurations, refused "
                    "beyond --max-work) or by simulated annealing; print instance means with "
                    "standard errors at each d and the 1/d extrapolation, next to the RS and "
                    "zero-temperature 1RSB ground-state energy, training and test error.")
    add_model_args(p, beta_required=False)
    g = p.add_argument_group("ground state")
    g.add_argument("--d", type=int, nargs="+", default=[12, 16, 20],
                   help="dimensions (several: extrapolated in 1/d)")
    g.add_argument("--instances", type=int, default=16, help="data sets per d (>= 2)")
    g.add_argument("--method", choices=("exact", "anneal"), default="exact",
                   help="exhaustive search or simulated annealing")
    g.add_argument("--max-work", type=float, default=4e9,
                   help="budget of the exact search, K^d * min(n, d) updates per instance")
    g.add_argument("--restarts", type=int, default=8, help="annealing restarts per instance")
    g.add_argument("--sweeps", type=int, default=2000, help="annealing sweeps per restart")
    g.add_argument("--seed", type=int, default=0, help="master seed")
    g.add_argument("--no-theory", action="store_true", help="skip the RS / 1RSB columns")
    add_output_args(p)
    add_progress_arg(p)
    p.set_defaults(func=run)


def _table(model, sc, rs, z) -> str:
    lines = [f"ground states of {model!r}",
             f"method: {sc.method}, {sc.instances} instances per d"
             + (f", annealing hit fraction {sc.hit_fraction:.2f}" if sc.method == "anneal" else ""),
             f"{'d':>8s} {'energy H/d':>20s} {'train_error':>20s} {'gen_error':>20s}"]
    for i, d in enumerate(sc.ds):
        lines.append(f"{int(d):>8d} " + " ".join(
            f"{getattr(sc, o + '_mean')[i]:>11.5g} ± {getattr(sc, o + '_sem')[i]:<6.2g}"
            for o in sc.OBSERVABLES))
    lines.append(f"{'1/d->0':>8s} " + " ".join(
        f"{getattr(sc, o + '_inf'):>11.5g} ± {getattr(sc, o + '_inf_err'):<6.2g}" for o in sc.OBSERVABLES))
    if rs is not None:
        lines.append(f"{'RS':>8s} {rs.free_energy:>20.5g} {rs.train_error:>20.5g} {rs.gen_error:>20.5g}"
                     + ("" if rs.converged else "   (not converged: " + rs.message + ")"))
    if z is not None:
        lines.append(f"{'1RSB':>8s} {z.energy:>20.5g} {z.train_error:>20.5g} {z.gen_error:>20.5g}"
                     + (f"   (y* = {z.y:.4g})" if z.converged else "   (not converged: " + z.message + ")"))
    lines.append("note: finite-d means carry O(1/d) corrections; the exact search is a certified "
                 "minimum, annealing an upper bound per instance")
    return "\n".join(lines)


def run(args) -> int:
    """Run ``replicaquant ground-state`` with parsed ``args``; returns the exit status."""
    import math

    from ..groundstate import ground_state_scan
    from ..rs import solve_rs
    from ..rsb_zero import solve_1rsb_zero

    args.out = check_output_path(args.out)
    model = model_from_args(args)
    if not math.isinf(model.beta):
        model = model.replace(beta=math.inf)  # a ground state is beta = inf by definition
    sc = ground_state_scan(model, args.d, args.instances, seed=args.seed, method=args.method,
                           max_work=args.max_work, restarts=args.restarts, sweeps=args.sweeps)
    rs = z = None
    if not args.no_theory:
        rs = solve_rs(model, init="multi", warn=False)
        z = solve_1rsb_zero(model, warn=False)
    payload = {"model": repr(model), "levels": model.levels, "scan": sc.as_dict(),
               "rs": rs.as_dict() if rs is not None else None,
               "rsb1_zero": z.as_dict() if z is not None else None}
    emit(args, payload, lambda: _table(model, sc, rs, z))
    return 0 if (z is None or z.converged) else 1
