"""``replicaquant ste``: online STE training dynamics -- deterministic limit, simulation, fixed point."""
from __future__ import annotations

import math

from ._common import (add_output_args, add_progress_arg, check_output_path, conflict, emit, given,
                      parse_float, progress)


def register(sub) -> None:
    """Add the ``ste`` subcommand to the CLI subparsers."""
    p = sub.add_parser("ste", help="online STE training dynamics (limit PDE/ODE vs finite-d SGD)",
                       description="Generalisation error of one-pass SGD with the straight-through "
                                   "estimator on a quantized linear student: the d -> inf limit "
                                   "(nonlinear Fokker-Planck PDE, small-noise ODE or the unquantized "
                                   "closed form), optionally finite-d simulations, the fixed point and "
                                   "the plateau length.")
    g = p.add_argument_group("quantizers")
    g.add_argument("--quantizer", choices=("uniform", "midtread", "none"), default="uniform",
                   help="weight levels: uniform 2**b levels on [-w, w] (default), mid-tread "
                        "2**b - 1 levels with zero, or none (unquantized weights)")
    g.add_argument("--bits", type=int, default=None, help="weight bits b (default: 2)")
    g.add_argument("--width", type=parse_float, default=None, help="weight range omega (default: 1.5)")
    g.add_argument("--input-bits", type=int, default=None,
                   help="quantize the inputs with a uniform quantizer of this many bits (default: no)")
    g.add_argument("--input-width", type=parse_float, default=None,
                   help="input quantizer range, needs --input-bits (default: --width)")
    t = p.add_argument_group("training")
    t.add_argument("--eta", type=parse_float, default=0.5, help="learning rate")
    t.add_argument("--ste", choices=("identity", "clipped"), default="identity",
                   help="STE variant: identity (g = 1) or clipped (g = 1 on |u| <= clip)")
    t.add_argument("--clip", type=parse_float, default=None,
                   help="clipping range, needs --ste clipped (default: largest level)")
    t.add_argument("--noise-var", type=parse_float, default=0.0, help="label noise variance")
    t.add_argument("--rho", type=parse_float, default=None,
                   help="Gaussian teacher variance, --teacher gaussian only (default: 1)")
    t.add_argument("--teacher", choices=("gaussian", "pm1"), default="gaussian",
                   help="N(0, rho) or the two-point teacher w0 = ±1")
    t.add_argument("--init-std", type=parse_float, default=1.0, help="u(0) ~ N(0, init_std^2)")
    r = p.add_argument_group("run")
    r.add_argument("--tau", type=parse_float, default=10.0, help="horizon t/d")
    r.add_argument("--n-out", type=int, default=11, help="number of output times")
    r.add_argument("--method", choices=("pde", "ode", "closed_form"), default="pde",
                   help="limit solver: Fokker-Planck PDE, small-noise ODE, or the unquantized "
                        "closed form")
    r.add_argument("--h", type=parse_float, default=None,
                   help="PDE cell width, --method pde only (default: 0.01)")
    r.add_argument("--simulate", action="store_true", help="also run finite-d SGD")
    r.add_argument("--d", type=int, default=None,
                   help="dimension of the simulation, needs --simulate (default: 2000)")
    r.add_argument("--seeds", type=int, default=None,
                   help="number of simulation runs, needs --simulate (default: 2)")
    r.add_argument("--seed", type=int, default=None, help="base seed, needs --simulate (default: 0)")
    r.add_argument("--plateau-level", type=parse_float, default=0.5,
                   help="plateau ends when the error is below min + level (initial - min)")
    add_output_args(p)
    add_progress_arg(p)
    p.set_defaults(func=run)


def problem_from_args(args):
    """Build the :class:`~replicaquant.ste.STEProblem` named by the CLI options (``ValueError`` on bad input)."""
    from ..quantizers import UniformQuantizer
    from ..teachers import DiscreteTeacher, GaussianTeacher
    from ..ste import STEProblem, midtread_quantizer

    if args.quantizer == "none" and given(args, "bits", "width"):
        conflict(f"{', '.join(given(args, 'bits', 'width'))} set the weight levels; they do nothing "
                 "with --quantizer none")
    if args.clip is not None and args.ste != "clipped":
        conflict("--clip sets the clipped STE's range; it does nothing with --ste identity")
    if args.input_width is not None and args.input_bits is None:
        conflict("--input-width sets the input quantizer's range; it needs --input-bits")
    if args.teacher == "pm1" and args.rho is not None:
        conflict("--rho sets the Gaussian teacher's variance; it does nothing with --teacher pm1")
    if args.input_bits is not None and (args.input_bits < 1):
        raise ValueError(f"input_bits (--input-bits) must be an integer >= 1, got {args.input_bits}")
    bits = 2 if args.bits is None else args.bits
    width = 1.5 if args.width is None else args.width
    if args.quantizer == "none":
        quant = None
    elif args.quantizer == "midtread":
        quant = midtread_quantizer(bits, width)
    else:
        quant = UniformQuantizer(bits, width)
    qx = None
    if args.input_bits is not None:
        try:
            qx = UniformQuantizer(args.input_bits, width if args.input_width is None else args.input_width)
        except ValueError as exc:
            raise ValueError(f"input quantizer (--input-bits/--input-width): {exc}") from None
    teacher = (DiscreteTeacher([-1.0, 1.0]) if args.teacher == "pm1"
               else GaussianTeacher(1.0 if args.rho is None else args.rho))
    return STEProblem(quant, eta=args.eta, ste=args.ste, clip=args.clip, input_quantizer=qx,
                      noise_var=args.noise_var, teacher=teacher, init_std=args.init_std)


def run(args) -> int:
    """Solve the limit (and optionally simulate); print a table or JSON.  Exit status 0."""
    from ..ste import fixed_point, limit, plateau_length, simulate

    if not args.simulate and given(args, "d", "seeds", "seed"):
        conflict(f"{', '.join(given(args, 'd', 'seeds', 'seed'))}: simulation options do nothing "
                 "without --simulate")
    if args.h is not None and args.method != "pde":
        conflict(f"--h is the PDE cell width; it does nothing with --method {args.method}")
    args.out = check_output_path(args.out)
    prob = problem_from_args(args)
    if args.n_out < 2:
        raise ValueError(f"n_out (--n-out) must be >= 2, got {args.n_out}")
    d = 2000 if args.d is None else args.d
    n_seeds = 2 if args.seeds is None else args.seeds
    seed = 0 if args.seed is None else args.seed
    steps = 3 if args.simulate else 2
    with progress(args, steps, "ste") as pr:
        th = limit(prob, args.tau, method=args.method, n_out=args.n_out,
                   h=0.01 if args.h is None else args.h)
        pr.update(note="limit")
        sim = None
        if args.simulate:
            sim = simulate(prob, d, args.tau, record_times=th.tau, seed=seed, n_seeds=n_seeds)
            pr.update(note="simulation")
        fp_ode = fixed_point(prob, method="ode")
        fp_st = fixed_point(prob, method="stationary") if (prob.ste == "identity") else None
        pr.update(note="fixed points")
    pl_th = plateau_length(th.tau, th.gen_error, level=args.plateau_level)
    pl_sim = plateau_length(sim.tau, sim.gen_error_mean, level=args.plateau_level) if sim is not None else None
    out = {"problem": prob.describe(), "kappa": prob.kappa, "method": th.method, "tau": th.tau,
           "gen_error": th.gen_error, "mass": th.mass, "plateau_length": pl_th,
           "fixed_point_ode": {"gen_error": fp_ode.gen_error, "unquantized": fp_ode.gen_error_unquantized,
                               "deviation": fp_ode.deviation, "frozen_fraction": fp_ode.frozen_fraction}}
    if fp_st is not None:
        out["fixed_point_stationary"] = {"gen_error": fp_st.gen_error, "unquantized": fp_st.gen_error_unquantized,
                                         "deviation": fp_st.deviation, "branches": fp_st.branches}
    if sim is not None:
        out.update({"d": sim.d, "n_seeds": sim.n_seeds, "sim_gen_error": sim.gen_error_mean,
                    "sim_gen_error_sem": sim.gen_error_sem, "sim_plateau_length": pl_sim})
    emit(args, out, lambda: _table(args, prob, th, sim, fp_ode, fp_st, pl_th, pl_sim))
    return 0


def _table(args, prob, th, sim, fp_ode, fp_st, pl_th, pl_sim) -> str:
    lines = [prob.describe()]
    k1, k2 = prob.kappa
    lines.append(f"  k1 = E[x Qx(x)] = {k1:.6g}, k2 = E[Qx(x)^2] = {k2:.6g}, eps_lin = {prob.eps_lin:.6g}")
    head = f"{'tau':>9s} {th.method + ' eps_g':>14s}"
    if sim is not None:
        head += f" {'sim mean':>12s} {'sem':>10s}"
    lines.append(head)
    for i, t in enumerate(th.tau):
        line = f"{t:9.4g} {th.gen_error[i]:14.6g}"
        if sim is not None:
            line += f" {sim.gen_error_mean[i]:12.6g} {sim.gen_error_sem[i]:10.2g}"
        lines.append(line)
    lines.append(f"  mass drift (limit)        = {max(abs(m - 1.0) for m in th.mass):.2e}")
    fmt = (lambda x: "inf" if math.isinf(x) else f"{x:.6g}")
    line = f"  plateau length (level {args.plateau_level:g}) = {fmt(pl_th)} (limit)"
    if pl_sim is not None:
        line += f", {fmt(pl_sim)} (simulation, d={sim.d}, {sim.n_seeds} seeds)"
    lines.append(line)
    lines.append(f"  fixed point, eta -> 0     = {fp_ode.gen_error:.6g} (unquantized "
                 f"{fp_ode.gen_error_unquantized:.6g}, deviation {fp_ode.deviation:.6g}, frozen "
                 f"{fp_ode.frozen_fraction:.3g})")
    if fp_st is not None:
        lines.append(f"  fixed point, eta = {prob.eta:g}   = {fp_st.gen_error:.6g} (unquantized "
                     f"{fp_st.gen_error_unquantized:.6g}, deviation {fp_st.deviation:.6g}, "
                     f"{len(fp_st.branches)} branch(es))")
    return "\n".join(lines)
