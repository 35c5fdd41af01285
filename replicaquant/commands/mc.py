"""``replicaquant mc``: Monte Carlo of the quantized Gibbs measure next to the RS prediction."""
from __future__ import annotations

import pathlib

from ._common import add_model_args, dump_json, model_from_args


def register(sub) -> None:
    """Add the ``replicaquant mc`` parser to the subparsers ``sub``."""
    p = sub.add_parser(
        "mc", help="Monte Carlo (heat bath + parallel tempering) vs the RS prediction",
        description="Sample exp(-beta H) on synthetic instances with heat-bath sweeps and optional "
                    "parallel tempering; print Monte Carlo averages with standard errors over "
                    "instances next to the replica-symmetric values.")
    add_model_args(p)
    g = p.add_argument_group("Monte Carlo")
    g.add_argument("--d", type=int, default=1000, help="dimension (default 1000)")
    g.add_argument("--instances", type=int, default=4, help="independent data sets (default 4)")
    g.add_argument("--sweeps", type=int, default=2000, help="measurement sweeps (default 2000)")
    g.add_argument("--burn-in", type=int, default=500, help="discarded sweeps (default 500)")
    g.add_argument("--temps", type=int, default=1,
                   help="parallel-tempering temperatures (default 1: plain heat bath)")
    g.add_argument("--beta-min", type=float, default=None,
                   help="bottom of the geometric beta ladder (default beta/4)")
    g.add_argument("--replicas", type=int, default=2, help="independent replicas per instance (default 2)")
    g.add_argument("--seed", type=int, default=0, help="master seed (default 0)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", type=pathlib.Path, default=None,
                   help="directory to write mc.json (results, RS values, P(q) histogram)")
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``replicaquant mc`` with parsed ``args``; returns the exit status."""
    from ..montecarlo import monte_carlo, theory_observables
    from ..rs import solve_rs

    model = model_from_args(args)
    res = monte_carlo(model, args.d, instances=args.instances, sweeps=args.sweeps,
                      burn_in=args.burn_in, temps=args.temps, beta_min=args.beta_min,
                      replicas=args.replicas, seed=args.seed)
    sol = solve_rs(model, init="multi", warn=False)
    ref = theory_observables(sol)
    payload = {"model": repr(model), "levels": model.levels, "mc": res.as_dict(),
               "rs": ref, "rs_at": sol.at, "rs_stable": sol.rs_stable, "rs_converged": sol.converged}
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "mc.json").write_text(dump_json(payload))
    if args.json:
        print(dump_json(payload))
    else:
        print(res)
        print()
        verdict = "stable" if sol.rs_stable else "UNSTABLE (replica symmetry breaking expected)"
        print(f"RS reference: at = {sol.at:.4g} -> RS {verdict}"
              + ("" if sol.converged else f"; RS solve NOT converged ({sol.message})"))
        print(res.table(ref))
        if res.swap_acceptance.size and res.swap_acceptance.min() < 0.05:
            print("note: some tempering swaps are almost never accepted; use more --temps or a "
                  "larger --beta-min (the ladder needs ~sqrt(d) temperatures)")
        if abs(res.equilibration_z).max() > 3:
            print("note: the energy drifts across the measurement window in some instance "
                  "(|equilibration z| > 3): increase --burn-in")
    return 0
