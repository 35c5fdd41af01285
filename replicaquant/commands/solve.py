"""``replicaquant solve``: one RS (or 1RSB) saddle point, printed as a table or JSON."""
from __future__ import annotations

import math

from ._common import add_model_args, add_output_args, check_output_path, conflict, emit, model_from_args


def register(sub) -> None:
    """Add the ``replicaquant solve`` parser to the subparsers ``sub``."""
    p = sub.add_parser("solve", help="solve the RS saddle point at one parameter point",
                       description="Solve the replica-symmetric saddle point and print order "
                                   "parameters, errors, the AT value and convergence.")
    add_model_args(p)
    p.add_argument("--init", choices=("default", "multi"), default=None,
                   help="RS start: 'multi' tries an uninformed and an informed start and keeps "
                        "the lowest free energy (default: default; RS only)")
    p.add_argument("--tol", type=float, default=1e-11, help="tolerance on the undamped residual")
    p.add_argument("--rsb", type=int, choices=(0, 1), default=0,
                   help="replica symmetry breaking steps: 0 (RS) or 1 (1RSB at the Parisi x "
                        "maximising f; at beta = inf the zero-temperature 1RSB at y = beta x)")
    add_output_args(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``replicaquant solve`` with parsed ``args``; returns the exit status."""
    from ..rs import solve_rs

    if args.rsb == 1 and args.init is not None:
        conflict("--init chooses the RS start; it does nothing with --rsb 1")
    args.out = check_output_path(args.out)
    model = model_from_args(args)
    if args.rsb == 1:
        return _run_1rsb(model, args)
    sol = solve_rs(model, init="multi" if args.init == "multi" else None, tol=args.tol, warn=False)
    payload = {"model": repr(model), "levels": model.levels, "rsb_steps": 0}
    payload.update(sol.as_dict())

    def table() -> str:
        verdict = ("RS locally stable (at < 1); local stability only -- `replicaquant phase` gives the "
                   "thermodynamic phase (d1RSB / discontinuous 1RSB can hide behind at < 1)") if sol.rs_stable else (
            "RS unstable: at = inf for discrete levels at beta = inf" if sol.at == float("inf")
            else "RS unstable (at >= 1): replica symmetry breaking expected")
        return f"{sol}\n  {'verdict':>15s} = {verdict}"

    emit(args, payload, table)
    return 0 if sol.converged else 1


def _run_1rsb(model, args) -> int:
    """``--rsb 1``: solve the 1RSB saddle point and print it next to the RS free energy."""
    from ..rsb import solve_1rsb

    sol = solve_1rsb(model, tol=max(args.tol, 1e-10), warn=False)
    payload = {"model": repr(model), "levels": model.levels, "rsb_steps": 1}
    payload.update(sol.as_dict())

    def table() -> str:
        if math.isinf(model.beta):  # zero-temperature 1RSB (energies, y = beta x)
            verdict = (f"1RSB: Q - q0 = {sol.Q - sol.q0:.4g} at y = {sol.y:.6g}, "
                       f"e_1RSB - e_RS = {sol.energy - sol.energy_rs:.4g}"
                       if sol.rsb else "RS: the 1RSB solution collapses to Q = q0")
        else:
            verdict = (f"1RSB: q1 - q0 = {sol.q1 - sol.q0:.4g} at x = {sol.x:.6g}, "
                       f"f_1RSB - f_RS = {sol.free_energy - sol.free_energy_rs:.4g} (>= 0)"
                       if sol.rsb else "RS: the 1RSB solution collapses to q1 = q0")
        return f"{sol}\n  {'verdict':>15s} = {verdict}"

    emit(args, payload, table)
    return 0 if sol.converged else 1
