"""``replicaquant ste``: online STE training dynamics -- deterministic limit, simulation, fixed point."""
from __future__ import annotations

import math

from ._common import dump_json, parse_float


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
    g.add_argument("--bits", type=int, default=2, help="weight bits b (default 2)")
    g.add_argument("--width", type=parse_float, default=1.5, help="weight range omega (default 1.5)")
    g.add_argument("--input-bits", type=int, default=None,
                   help="quantize the inputs with a uniform quantizer of this many bits (default: no)")
    g.add_argument("--input-width", type=parse_float, default=None,
                   help="input quantizer range (default: --width)")
    t = p.add_argument_group("training")
    t.add_argument("--eta", type=parse_float, default=0.5, help="learning rate (default 0.5)")
    t.add_argument("--ste", choices=("identity", "clipped"), default="identity", help="STE variant")
    t.add_argument("--clip", type=parse_float, default=None, help="clipping range (default: largest level)")
    t.add_argument("--noise-var", type=parse_float, default=0.0, help="label noise variance")
    t.add_argument("--rho", type=parse_float, default=1.0, help="Gaussian teacher variance (default 1)")
    t.add_argument("--teacher", choices=("gaussian", "pm1"), default="gaussian",
                   help="N(0, rho) or the two-point teacher w0 = ±1")
    t.add_argument("--init-std", type=parse_float, default=1.0, help="u(0) ~ N(0, init_std^2) (default 1)")
    r = p.add_argument_group("run")
    r.add_argument("--tau", type=parse_float, default=10.0, help="horizon t/d (default 10)")
    r.add_argument("--n-out", type=int, default=11, help="number of output times (default 11)")
    r.add_argument("--method", choices=("pde", "ode", "closed_form"), default="pde", help="limit solver")
    r.add_argument("--h", type=parse_float, default=0.01, help="PDE cell width (default 0.01)")
    r.add_argument("--simulate", action="store_true", help="also run finite-d SGD")
    r.add_argument("--d", type=int, default=2000, help="dimension of the simulation (default 2000)")
    r.add_argument("--seeds", type=int, default=2, help="number of simulation runs (default 2)")
    r.add_argument("--seed", type=int, default=0, help="base seed (default 0)")
    r.add_argument("--plateau-level", type=parse_float, default=0.5,
                   help="plateau ends when the error is below min + level (initial - min) (default 0.5)")
    r.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def problem_from_args(args):
    """Build the :class:`~replicaquant.ste.STEProblem` named by the CLI options (``ValueError`` on bad input)."""
    from ..quantizers import UniformQuantizer
    from ..teachers import DiscreteTeacher, GaussianTeacher
    from ..ste import STEProblem, midtread_quantizer

    if args.quantizer == "none":
        quant = None
    elif args.quantizer == "midtread":
        quant = midtread_quantizer(args.bits, args.width)
    else:
        quant = UniformQuantizer(args.bits, args.width)
    qx = None
    if args.input_bits is not None:
        qx = UniformQuantizer(args.input_bits, args.width if args.input_width is None else args.input_width)
    teacher = DiscreteTeacher([-1.0, 1.0]) if args.teacher == "pm1" else GaussianTeacher(args.rho)
    return STEProblem(quant, eta=args.eta, ste=args.ste, clip=args.clip, input_quantizer=qx,
                      noise_var=args.noise_var, teacher=teacher, init_std=args.init_std)


def run(args) -> int:
    """Solve the limit (and optionally simulate); print a table or JSON.  Exit status 0."""
    from ..ste import fixed_point, limit, plateau_length, simulate

    prob = problem_from_args(args)
    if args.n_out < 2:
        raise ValueError(f"n-out must be >= 2, got {args.n_out}")
    th = limit(prob, args.tau, method=args.method, n_out=args.n_out, h=args.h)
    sim = None
    if args.simulate:
        sim = simulate(prob, args.d, args.tau, record_times=th.tau, seed=args.seed, n_seeds=args.seeds)
    fp_ode = fixed_point(prob, method="ode")
    fp_st = fixed_point(prob, method="stationary") if (prob.ste == "identity") else None
    pl_th = plateau_length(th.tau, th.gen_error, level=args.plateau_level)
    pl_sim = plateau_length(sim.tau, sim.gen_error_mean, level=args.plateau_level) if sim is not None else None
    if args.json:
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
        print(dump_json(out))
        return 0
    print(prob.describe())
    k1, k2 = prob.kappa
    print(f"  k1 = E[x Qx(x)] = {k1:.6g}, k2 = E[Qx(x)^2] = {k2:.6g}, eps_lin = {prob.eps_lin:.6g}")
    head = f"{'tau':>9s} {th.method + ' eps_g':>14s}"
    if sim is not None:
        head += f" {'sim mean':>12s} {'sem':>10s}"
    print(head)
    for i, t in enumerate(th.tau):
        line = f"{t:9.4g} {th.gen_error[i]:14.6g}"
        if sim is not None:
            line += f" {sim.gen_error_mean[i]:12.6g} {sim.gen_error_sem[i]:10.2g}"
        print(line)
    print(f"  mass drift (limit)        = {max(abs(m - 1.0) for m in th.mass):.2e}")
    fmt = (lambda x: "inf" if math.isinf(x) else f"{x:.6g}")
    line = f"  plateau length (level {args.plateau_level:g}) = {fmt(pl_th)} (limit)"
    if pl_sim is not None:
        line += f", {fmt(pl_sim)} (simulation, d={sim.d}, {sim.n_seeds} seeds)"
    print(line)
    print(f"  fixed point, eta -> 0     = {fp_ode.gen_error:.6g} (unquantized {fp_ode.gen_error_unquantized:.6g}, "
          f"deviation {fp_ode.deviation:.6g}, frozen {fp_ode.frozen_fraction:.3g})")
    if fp_st is not None:
        print(f"  fixed point, eta = {prob.eta:g}   = {fp_st.gen_error:.6g} (unquantized "
              f"{fp_st.gen_error_unquantized:.6g}, deviation {fp_st.deviation:.6g}, "
              f"{len(fp_st.branches)} branch(es))")
    return 0
