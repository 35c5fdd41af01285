"""``replicaquant amp``: AMP on fresh synthetic data for several seeds, next to state evolution.

The experiment is :func:`replicaquant.experiments.amp_vs_state_evolution`; this command parses
the options, calls it and prints a summary (or the full result with ``--json``).  ``--out FILE``
writes every number (per-seed AMP histories, the state-evolution trajectory, the replica fixed
point at the nominal and at the realised teacher norms, a summary) as JSON; ``--plot FILE.png``
draws :func:`replicaquant.plotting.plot_amp_run`.  Both are atomic and their paths are checked
before anything runs.  Exit status 0 if every AMP run converged, 1 otherwise, 2 on bad input.
"""
from __future__ import annotations

import math
import sys

import numpy as np

from ._common import (add_model_args, add_output_args, add_progress_arg, check_output_path, emit,
                      model_from_args, parse_float, progress)


def register(sub) -> None:
    """Add the ``replicaquant amp`` parser to the subparsers ``sub``."""
    p = sub.add_parser("amp", help="run AMP on synthetic data next to state evolution",
                       description="Run AMP (finite-beta quantized denoiser) on fresh synthetic data "
                                   "for several seeds, compare with state evolution and the replica "
                                   "fixed point; print a summary, optionally write JSON and a PNG.")
    add_model_args(p)
    g = p.add_argument_group("AMP")
    g.add_argument("--d", type=int, default=4000, help="dimension d (n = round(alpha d))")
    g.add_argument("--seeds", type=int, default=5, help="number of data sets (seeds seed0, seed0+1, ...)")
    g.add_argument("--seed0", type=int, default=0, help="first seed")
    g.add_argument("--max-iter", type=int, default=200, help="AMP iterations at most")
    g.add_argument("--tol", type=parse_float, default=None,
                   help="tolerance on the undamped change |f(B) - w|/sqrt(d) "
                        "(default: 1e-8, or 1e-5 with --float32)")
    g.add_argument("--damping", type=parse_float, default=0.0,
                   help="weight on the previous iterate in [0, 1); 0 = plain AMP, as in SE")
    g.add_argument("--float32", action="store_true", help="store X and do the matvecs in float32")
    add_output_args(p)
    p.add_argument("--plot", metavar="FILE.png", default=None,
                   help="also draw MSE and V per iteration (AMP vs SE vs replica) to this PNG")
    add_progress_arg(p)
    p.set_defaults(func=run)


def run(args) -> int:
    """Run ``replicaquant amp`` with parsed ``args``; returns the exit status."""
    from .._validation import check_int, check_real
    from ..experiments import amp_vs_state_evolution
    from ..plotting import plot_amp_run

    args.out = check_output_path(args.out)
    plot_path = check_output_path(args.plot, "--plot")
    model = model_from_args(args)
    if math.isinf(model.beta):
        raise ValueError("beta: AMP needs a finite beta (at beta = inf the denoiser is a step "
                         "function and AMP degenerates); pass e.g. --beta 5")
    d = check_int("d", args.d, low=1)
    n_seeds = check_int("seeds", args.seeds, low=1)
    seed0 = check_int("seed0", args.seed0, low=0)
    max_iter = check_int("max_iter", args.max_iter, low=1)
    tol = None if args.tol is None else check_real("tol", args.tol, low=0.0)
    damping = check_real("damping", args.damping, low=0.0)
    if damping >= 1.0:
        raise ValueError(f"damping must be in [0, 1) (weight on the previous iterate), got {damping}")
    if round(model.alpha * d) < 1:
        raise ValueError(f"d: alpha * d must round to at least one sample, got d={d}")

    with progress(args, n_seeds, "amp seeds") as pr:
        data = amp_vs_state_evolution(model, d=d, seeds=range(seed0, seed0 + n_seeds),
                                      max_iter=max_iter, tol=tol, damping=damping,
                                      dtype=np.float32 if args.float32 else np.float64,
                                      progress=pr.callback)
    if plot_path is not None:
        plot_amp_run(data, plot_path)
        print(f"wrote {plot_path}", file=sys.stderr)
    s = data["summary"]

    def table() -> str:
        real = data["replica_realised"]
        lines = [
            f"model            {data['model']}",
            f"d = {d}, n = {data['params']['n']}, seeds = {n_seeds}, converged "
            f"{s['converged_runs']}/{s['runs']}, at = {s['at']:.4g} "
            f"({'RS locally stable' if s['rs_stable'] else 'RS unstable: AMP is not expected to converge'})",
            f"AMP final MSE    {s['amp_final_mse_mean']:.6f} +- {s['amp_final_mse_sem']:.6f} "
            "(s.e. over seeds)",
            f"SE final MSE     {s['se_final_mse']:.6f}",
            f"replica          gen_error_mean = {s['replica_gen_error_mean']:.6f}"
            + (f"; at the realised |w0|^2/d of each seed {s['replica_realised_gen_error_mean']:.6f}"
               if real["realised"] else ""),
            f"final gap        AMP - SE = {s['gap_amp_minus_se']:+.6f}, "
            f"AMP - replica = {s['gap_amp_minus_replica']:+.6f}"
            + (f" (realised norm, paired: {s['gap_amp_minus_replica_realised']:+.6f})"
               if real["realised"] else "")
            + f"; max |AMP - SE| over iterations = {s['max_abs_gap_per_iteration']:.6f}"]
        return "\n".join(lines)

    emit(args, data, table)
    return 0 if s["converged_runs"] == s["runs"] else 1
