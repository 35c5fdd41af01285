"""``replicaquant mc``: Monte Carlo of the quantized Gibbs measure next to RS and 1RSB theory.

The sampler is :func:`replicaquant.montecarlo.monte_carlo`, the comparison
:func:`replicaquant.experiments.mc_vs_theory`: RS at the nominal teacher norm and at each
instance's realised ``|w0|^2/d``; where RS is unstable (``at > 1``), 1RSB the same two ways.
A finite-size note is printed when ``d`` is small.
"""
from __future__ import annotations

from ._common import (add_model_args, add_output_args, add_progress_arg, check_output_path,
                      conflict, emit, model_from_args, progress)


def register(sub) -> None:
    """Add the ``replicaquant mc`` parser to the subparsers ``sub``."""
    p = sub.add_parser(
        "mc", help="Monte Carlo (heat bath + parallel tempering) vs the RS/1RSB prediction",
        description="Sample exp(-beta H) on synthetic instances with heat-bath sweeps and optional "
                    "parallel tempering; print Monte Carlo averages with standard errors over "
                    "instances next to the replica-symmetric values and, where RS is unstable "
                    "(at > 1), the 1RSB values; theory also at the realised teacher norms.")
    add_model_args(p)
    g = p.add_argument_group("Monte Carlo")
    g.add_argument("--d", type=int, default=1000, help="dimension")
    g.add_argument("--instances", type=int, default=4, help="independent data sets")
    g.add_argument("--sweeps", type=int, default=2000, help="measurement sweeps")
    g.add_argument("--burn-in", type=int, default=500, help="discarded sweeps")
    g.add_argument("--temps", type=int, default=1,
                   help="NUMBER of parallel-tempering temperatures on a geometric ladder from "
                        "--beta-min to --beta (1: plain heat bath)")
    g.add_argument("--beta-min", type=float, default=None,
                   help="bottom of the geometric beta ladder, needs --temps > 1 (default: beta/4)")
    g.add_argument("--replicas", type=int, default=2, help="independent replicas per instance")
    g.add_argument("--seed", type=int, default=0, help="master seed")
    g.add_argument("--rsb", choices=("auto", "always", "never"), default="auto",
                   help="1RSB reference and phase classification: auto (1RSB where the phase "
                        "is 1RSB/FRSB or at > 1), always, or never (RS only, no rq.phase)")
    add_output_args(p)
    add_progress_arg(p)
    p.set_defaults(func=run)


def _table(res, cmp) -> str:
    """Human-readable comparison (MC vs each available theory column)."""
    lines = [repr(res), ""]
    verdict = "stable" if cmp["rs_stable"] else "UNSTABLE (replica symmetry breaking expected)"
    lines.append(f"RS reference: at = {cmp['rs_at']:.4g} -> RS {verdict}"
                 + ("" if cmp["rs_converged"] else f"; RS solve NOT converged ({cmp['rs_message']})"))
    lines.append(res.table(cmp["rs"], ref_name="RS"))
    if cmp["rs_realised"] is not None and cmp["rs_realised"]["realised"]:
        lines += ["", "RS at the realised teacher norms |w0|^2/d = "
                  + ", ".join(f"{r:.4f}" for r in cmp["rs_realised"]["rhos"]),
                  res.table(cmp["rs_realised"]["values"], ref_name="RS(real)")]
    if cmp["rsb1"] is not None:
        r1 = cmp["rsb1"]
        if cmp["rsb1_breaks_symmetry"]:
            lines += ["", f"1RSB reference: q0 = {r1['q0']:.4f}, q1 = {r1['q1']:.4f}, x = {r1['x']:.4f}",
                      res.table(r1, ref_name="1RSB")]
            if cmp["rsb1_realised"] is not None:
                lines += ["", "1RSB at the realised teacher norms",
                          res.table(cmp["rsb1_realised"]["values"], ref_name="1RSB(real)")]
        else:
            lines += ["", "1RSB reference: the 1RSB solution collapses onto RS (q1 = q0)"
                      + ("" if r1["converged"] else "; 1RSB solve NOT converged")]
    ph = cmp["phase"]
    if ph is not None:
        lines += ["", f"thermodynamic phase (rq.phase): {ph['label']}"
                  + (f", {ph['transition']} transition" if ph["transition"] else "")
                  + f"; {ph['message']}"]
    lines += [f"compare with: {cmp['preferred']} (the thermodynamically relevant theory at "
              "the instances' teacher norms)"]
    lines += ["note: " + n for n in cmp["notes"]]
    if res.swap_acceptance.size and res.swap_acceptance.min() < 0.05:
        lines.append("note: some tempering swaps are almost never accepted; use more --temps or a "
                     "larger --beta-min (the ladder needs ~sqrt(d) temperatures)")
    if abs(res.equilibration_z).max() > 3:
        lines.append("note: the energy drifts across the measurement window in some instance "
                     "(|equilibration z| > 3): increase --burn-in")
    if cmp["finite_size_note"]:
        lines.append("note: " + cmp["finite_size_note"])
    return "\n".join(lines)


def run(args) -> int:
    """Run ``replicaquant mc`` with parsed ``args``; returns the exit status."""
    from ..experiments import mc_vs_theory
    from ..montecarlo import monte_carlo

    if args.beta_min is not None and args.temps == 1:
        conflict("--beta-min sets the bottom of the tempering ladder; it does nothing with "
                 "--temps 1 (give --temps > 1)")
    args.out = check_output_path(args.out)
    model = model_from_args(args)
    with progress(args, args.instances, "mc instances") as pr:
        res = monte_carlo(model, args.d, instances=args.instances, sweeps=args.sweeps,
                          burn_in=args.burn_in, temps=args.temps, beta_min=args.beta_min,
                          replicas=args.replicas, seed=args.seed, progress=pr.callback)
    cmp = mc_vs_theory(model, res, rsb={"auto": None, "always": True, "never": False}[args.rsb])
    payload = {"model": repr(model), "levels": model.levels, "mc": res.as_dict(),
               "rs": cmp["rs"], "rs_at": cmp["rs_at"], "rs_stable": cmp["rs_stable"],
               "rs_converged": cmp["rs_converged"], "theory": cmp}
    emit(args, payload, lambda: _table(res, cmp))
    return 0
