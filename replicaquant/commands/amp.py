"""``replicaquant amp``: AMP on fresh synthetic data for several seeds, next to state evolution.

Writes ``amp.json`` (every number: per-seed AMP histories, the state-evolution trajectory, the
replica fixed point and a summary) and ``amp.png`` (AMP mean +- standard error over seeds per
iteration, SE as a line, the replica ``gen_error_mean`` as a horizontal line) into ``--out``,
both atomically (temporary file + rename), and prints a short summary with the final gap.
Exit status 0 if every AMP run converged, 1 otherwise, 2 on bad input.
"""
from __future__ import annotations

import math
import pathlib

import numpy as np

from .._io import atomic_write_bytes
from ._common import add_model_args, dump_json, model_from_args, parse_float


def register(sub) -> None:
    """Add the ``replicaquant amp`` parser to the subparsers ``sub``."""
    p = sub.add_parser("amp", help="run AMP on synthetic data next to state evolution",
                       description="Run AMP (finite-beta quantized denoiser) on fresh synthetic data "
                                   "for several seeds, compare with state evolution and the replica "
                                   "fixed point; write JSON numbers and a PNG.")
    add_model_args(p)
    g = p.add_argument_group("AMP")
    g.add_argument("--d", type=int, default=4000, help="dimension d (n = round(alpha d)), default 4000")
    g.add_argument("--seeds", type=int, default=5, help="number of data sets (seeds seed0..), default 5")
    g.add_argument("--seed0", type=int, default=0, help="first seed, default 0")
    g.add_argument("--max-iter", type=int, default=200, help="AMP iterations at most, default 200")
    g.add_argument("--tol", type=parse_float, default=None,
                   help="tolerance on the undamped change |f(B) - w|/sqrt(d) "
                        "(default 1e-8, or 1e-5 with --float32)")
    g.add_argument("--damping", type=parse_float, default=0.0,
                   help="weight on the previous iterate in [0, 1), default 0 (plain AMP, as in SE)")
    g.add_argument("--float32", action="store_true", help="store X and do the matvecs in float32")
    g.add_argument("--out", required=True, help="output directory (created if missing)")
    p.set_defaults(func=run)


def _pad(a: np.ndarray, length: int) -> np.ndarray:
    """Extend a converged history by its final value (a converged run stays at its fixed point)."""
    if a.size >= length:
        return a[:length]
    return np.concatenate([a, np.full(length - a.size, a[-1])])


def compare(model, *, d: int, seeds, max_iter: int = 200, tol: float | None = None,
            damping: float = 0.0, dtype=np.float64) -> dict:
    """Run AMP for each seed and state evolution; return every number as plain Python types.

    Per-iteration AMP statistics pad converged runs with their final value, so that the arrays
    have length ``T + 1`` with ``T`` the longest run.
    """
    from ..amp import _DEFAULT_TOL, amp
    from ..data import make_data
    from ..rs import solve_rs
    from ..state_evolution import state_evolution

    if tol is None:
        tol = _DEFAULT_TOL[np.dtype(dtype).name]
    runs = []
    for s in seeds:
        X, y, w0 = make_data(model, d, seed=s, dtype=dtype)
        r = amp(X, y, model, w0=w0, max_iter=max_iter, tol=tol, damping=damping, warn=False)
        del X
        runs.append((s, r))
    T = max(r.iterations for _, r in runs)
    se = state_evolution(model, n_iter=max(T, 1), warn=False)
    sol = solve_rs(model, warn=False)
    S = len(runs)
    mse = np.array([_pad(r.history.mse, T + 1) for _, r in runs])
    V = np.array([_pad(r.history.V, T + 1) for _, r in runs])
    sem = mse.std(axis=0, ddof=1) / math.sqrt(S) if S > 1 else np.zeros(T + 1)
    final = np.array([r.mse for _, r in runs])
    summary = {
        "amp_final_mse_mean": float(final.mean()),
        "amp_final_mse_sem": float(final.std(ddof=1) / math.sqrt(S)) if S > 1 else 0.0,
        "se_final_mse": float(se.mse[-1]),
        "replica_gen_error_mean": float(sol.gen_error_mean),
        "gap_amp_minus_se": float(final.mean() - se.mse[-1]),
        "gap_amp_minus_replica": float(final.mean() - sol.gen_error_mean),
        "max_abs_gap_per_iteration": float(np.max(np.abs(mse.mean(axis=0) - se.mse[:T + 1]))),
        "converged_runs": int(sum(r.converged for _, r in runs)),
        "runs": S,
        "at": float(sol.at),
        "rs_stable": bool(sol.rs_stable),
    }
    return {
        "model": repr(model),
        "levels": model.levels,
        "params": {"d": d, "n": int(round(model.alpha * d)), "seeds": [int(s) for s, _ in runs],
                   "max_iter": max_iter, "tol": tol, "damping": damping,
                   "dtype": np.dtype(dtype).name},
        "replica": sol.as_dict(),
        "state_evolution": {"t": list(range(T + 1)), "mse": se.mse[:T + 1], "m": se.m[:T + 1],
                            "q": se.q[:T + 1], "chi": se.chi[:T + 1], "converged": se.converged,
                            "residual": se.residual},
        "amp": {"t": list(range(T + 1)), "mse_mean": mse.mean(axis=0), "mse_sem": sem,
                "V_mean": V.mean(axis=0),
                "runs": [dict(seed=int(s), **r.as_dict()) for s, r in runs]},
        "summary": summary,
    }


def _short_title(model_repr: str) -> str:
    text = model_repr.removeprefix("Model(").removesuffix(")")
    return text.replace("quantizer=", "").replace("teacher=", "")


def plot(data: dict, path: pathlib.Path) -> None:
    """PNG of ``data`` from :func:`compare`: MSE and ``V`` per iteration, AMP vs SE vs replica."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    t = np.asarray(data["amp"]["t"])
    se = data["state_evolution"]
    S = len(data["amp"]["runs"])
    fig = Figure(figsize=(10, 4), layout="constrained")  # Agg canvas, no pyplot state
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.errorbar(t, data["amp"]["mse_mean"], yerr=data["amp"]["mse_sem"], fmt="o", ms=3,
                 capsize=2, label=f"AMP, mean $\\pm$ s.e. over {S} seeds (d={data['params']['d']})")
    ax1.plot(t, se["mse"], "-", color="k", lw=1.2, label="state evolution")
    ax1.axhline(data["replica"]["gen_error_mean"], color="C3", ls="--", lw=1,
                label="replica fixed point")
    ax1.set_xlabel("iteration t")
    ax1.set_ylabel(r"MSE $|w_t - w_0|^2/d$")
    ax1.set_yscale("log")
    ax1.legend(fontsize=8)
    ax2.plot(t, data["amp"]["V_mean"], "o", ms=3, label="AMP  V = mean(beta Var)")
    ax2.plot(t, se["chi"], "-", color="k", lw=1.2, label=r"state evolution $\chi_t$")
    ax2.axhline(data["replica"]["chi"], color="C3", ls="--", lw=1, label=r"replica $\chi$")
    ax2.set_xlabel("iteration t")
    ax2.set_ylabel(r"$V_t$, $\chi_t$")
    ax2.legend(fontsize=8)
    summ = data["summary"]
    ax2.set_title(f"at = {summ['at']:.3g} ({'RS stable' if summ['rs_stable'] else 'RS unstable'}), "
                  f"AMP converged {summ['converged_runs']}/{summ['runs']}", fontsize=9)
    fig.suptitle(_short_title(data["model"]), fontsize=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120)
    atomic_write_bytes(path, buf.getvalue())


def run(args) -> int:
    """Run ``replicaquant amp`` with parsed ``args``; returns the exit status."""
    from .._validation import check_int, check_real

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
    out = pathlib.Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"out: {out} exists and is not a directory")
    out.mkdir(parents=True, exist_ok=True)

    data = compare(model, d=d, seeds=range(seed0, seed0 + n_seeds), max_iter=max_iter, tol=tol,
                   damping=damping, dtype=np.float32 if args.float32 else np.float64)
    json_path, png_path = out / "amp.json", out / "amp.png"
    atomic_write_bytes(json_path, dump_json(data).encode())
    plot(data, png_path)

    s = data["summary"]
    print(f"model            {data['model']}")
    print(f"d = {d}, n = {data['params']['n']}, seeds = {n_seeds}, "
          f"converged {s['converged_runs']}/{s['runs']}, at = {s['at']:.4g} "
          f"({'RS stable' if s['rs_stable'] else 'RS unstable: AMP is not expected to converge'})")
    print(f"AMP final MSE    {s['amp_final_mse_mean']:.6f} +- {s['amp_final_mse_sem']:.6f} (s.e. over seeds)")
    print(f"SE final MSE     {s['se_final_mse']:.6f}")
    print(f"replica          gen_error_mean = {s['replica_gen_error_mean']:.6f}")
    print(f"final gap        AMP - SE = {s['gap_amp_minus_se']:+.6f}, "
          f"AMP - replica = {s['gap_amp_minus_replica']:+.6f}; "
          f"max |AMP - SE| over iterations = {s['max_abs_gap_per_iteration']:.6f}")
    print(f"wrote            {json_path}, {png_path}")
    return 0 if s["converged_runs"] == s["runs"] else 1
