"""(e) AMP markers on replica lines across the quantization width, at two sizes d.

For b = 1 and b = 2 bits (uniform levels, alpha = 2, beta = 5, lam = 1e-3, noise_var = 0.1,
Gaussian teacher rho = 1): (a, b) the replica prediction ``gen_error_mean = rho - 2m + q`` of the
Gibbs-mean estimator from :func:`replicaquant.rs.solve_rs` as a line over the width (continued
with :func:`replicaquant.continuation.follow`; solid where RS is locally stable, ``at < 1``;
dashed where ``at >= 1``), and the final MSE ``|w - w0|^2/d`` of AMP
(:func:`replicaquant.amp.amp`) on fresh data, mean +- standard error over seeds, at two sizes
``d`` (filled: every run converged; open: at least one did not, the last iterate is shown).
(c, d) The finite-size trend: AMP minus the RS value at each seed's *realised* teacher norm
``|w0|^2/d`` (paired per seed, :func:`replicaquant.experiments.theory_at_teacher_norms`), for
both sizes, where AMP converges.
"""
from __future__ import annotations

import math
import pathlib

import numpy as np

NAME = "amp_vs_theory"
EXPENSIVE = True  # quick run ~70 s CPU (AMP at d = 2000, 6 seeds, 12 points)
PARAMS = dict(alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
LINE_WIDTHS = {1: np.linspace(0.2, 1.6, 141), 2: np.linspace(0.4, 3.6, 161)}
AMP_WIDTHS = {1: (0.3, 0.5, 0.7, 0.9, 1.1, 1.3), 2: (0.75, 1.25, 1.75, 2.25, 2.75, 3.25)}
AMP_WIDTHS_QUICK = {1: (0.4, 0.6, 1.2), 2: (1.0, 1.5, 3.0)}


def _settings(quick: bool) -> dict:
    if quick:
        return dict(sizes=(500, 2000), seeds=6, max_iter=200, amp_widths=AMP_WIDTHS_QUICK)
    # the non-converging points (at > 1) run the whole budget: d = 2000 and 200 iterations keep
    # the full figure within ~10 min of CPU on 2 cores
    return dict(sizes=(1000, 2000), seeds=6, max_iter=200, amp_widths=AMP_WIDTHS)


def _model(bits: int, width: float):
    from ..model import Model
    from ..quantizers import UniformQuantizer

    return Model(UniformQuantizer(bits, float(width)), **PARAMS)


def replica_line(bits: int, widths) -> dict:
    """``gen_error_mean`` and ``at`` along ``widths`` by continuation (multi-start at the first point)."""
    from ..continuation import follow
    from ..rs import solve_rs

    walk = follow(list(widths), lambda w, init: solve_rs(_model(bits, w), init=init, warn=False),
                  init="multi", fallbacks=("multi",), predictor="previous", state=lambda s: s.x)
    sols = walk.solutions
    return {"width": [float(w) for w in widths], "gen_error_mean": [s.gen_error_mean for s in sols],
            "at": [s.at for s in sols], "converged": [bool(s.converged) for s in sols]}


def amp_points(bits: int, widths, *, d: int, seeds, max_iter: int) -> list[dict]:
    """Final AMP MSE per seed at each width (fresh data per seed) and the RS value at each seed's
    realised teacher norm."""
    from ..amp import amp
    from ..data import make_data
    from ..experiments import theory_at_teacher_norms

    rows = []
    for w in widths:
        model = _model(bits, w)
        mse, conv, rhos = [], [], []
        for s in seeds:
            X, y, w0 = make_data(model, d, seed=s)
            res = amp(X, y, model, w0=w0, max_iter=max_iter, warn=False)
            del X
            mse.append(float(res.mse))
            conv.append(bool(res.converged))
            rhos.append(float(w0 @ w0 / d))
        real = theory_at_teacher_norms(model, rhos)["per_instance"]["gen_error_mean"]
        diff = np.array(mse) - np.array(real)
        S = len(mse)
        rows.append({"width": float(w), "mse": mse, "converged": conv, "teacher_norm": rhos,
                     "rs_realised": real, "mean": float(np.mean(mse)),
                     "sem": float(np.std(mse, ddof=1) / math.sqrt(S)) if S > 1 else 0.0,
                     "diff_mean": float(diff.mean()),
                     "diff_sem": float(diff.std(ddof=1) / math.sqrt(S)) if S > 1 else 0.0})
    return rows


def compute(quick: bool = False) -> dict:
    """Replica lines and AMP points at both sizes."""
    st = _settings(quick)
    lines = {b: replica_line(b, LINE_WIDTHS[b]) for b in (1, 2)}
    points = {d: {b: amp_points(b, st["amp_widths"][b], d=d, seeds=range(st["seeds"]),
                                max_iter=st["max_iter"]) for b in (1, 2)} for d in st["sizes"]}
    return {"params": dict(PARAMS, sizes=list(st["sizes"]), seeds=st["seeds"],
                           max_iter=st["max_iter"], quick=quick),
            "replica": lines, "amp": points, "quick": quick}


def _at(line: dict, width: float) -> float:
    return float(np.interp(width, line["width"], line["at"]))


def draw(data: dict):
    """Four panels from the (JSON round-tripped) data."""
    from ..plotting import bit_color, new_figure, panel_label, stability_line

    sizes = data["params"]["sizes"]
    fig, axes = new_figure(2, 2, width=3.9, height=2.8)
    for col, b in enumerate(("1", "2")):
        ax, axd = axes[0][col], axes[1][col]
        ln = data["replica"][b]
        color = bit_color(int(b))
        stability_line(ax, ln["width"], ln["gen_error_mean"], ln["at"], color=color,
                       label="replica RS (dashed: at > 1)")
        for k, d in enumerate(sizes):
            pts = data["amp"][str(d)][b]
            shift = (k - 0.5) * 0.012 * (ln["width"][-1] - ln["width"][0])
            mk = "o" if k == len(sizes) - 1 else "s"
            for p in pts:
                allc = all(p["converged"])
                ax.errorbar(p["width"] + shift, p["mean"], yerr=p["sem"], fmt=mk, ms=4, capsize=2,
                            color="k" if k == len(sizes) - 1 else "0.45",
                            mfc=(color if allc else "white"), zorder=3)
                if allc:
                    axd.errorbar(p["width"] + shift, p["diff_mean"], yerr=p["diff_sem"], fmt=mk,
                                 ms=4, capsize=2, color="k" if k == len(sizes) - 1 else "0.45",
                                 mfc=color)
            ax.plot([], [], mk, color="k" if k == len(sizes) - 1 else "0.45", mfc=color,
                    label=f"AMP d = {d} ({data['params']['seeds']} seeds)")
        ax.plot([], [], "o", color="k", mfc="white", label="AMP, not converged")
        ax.set_xlabel(r"quantization width $\omega$")
        ax.set_ylabel(r"$\rho - 2m + q$ (MSE of the Gibbs mean)")
        ax.set_title(f"b = {b}, uniform levels")
        ax.legend(loc="upper left", fontsize=6.5)
        axd.axhline(0.0, color=color, lw=1)
        axd.set_xlim(ax.get_xlim())
        axd.set_xlabel(r"quantization width $\omega$")
        axd.set_ylabel("AMP $-$ RS($|w_0|^2/d$)")
        axd.set_title(f"finite-size trend, b = {b}")
        panel_label(ax, "ab"[col])
        panel_label(axd, "cd"[col])
    fig.suptitle(r"AMP vs replica: $\alpha = 2$, $\beta = 5$, $\lambda = 10^{-3}$, "
                 r"noise 0.1, Gaussian teacher $\rho = 1$")
    return fig


def claims(data: dict) -> list:
    """What the caption states, checked on the data."""
    sizes = data["params"]["sizes"]
    big, small = str(sizes[-1]), str(sizes[0])
    out = []
    for b in ("1", "2"):
        ln = data["replica"][b]
        out.append((f"b={b}: the replica line has {len(ln['width'])} >= 100 converged points",
                    len(ln["width"]) >= 100 and all(ln["converged"])))
        for d in sizes:
            for p in data["amp"][str(d)][b]:
                at = _at(ln, p["width"])
                if at < 0.7:
                    out.append((f"b={b}, omega={p['width']:g} (at={at:.2f} < 0.7), d={d}: every AMP "
                                "run converged", all(p["converged"])))
                if at > 1.2:
                    out.append((f"b={b}, omega={p['width']:g} (at={at:.2f} > 1.2), d={d}: no AMP run "
                                "converged", not any(p["converged"])))
        for p in data["amp"][big][b]:
            if all(p["converged"]):
                z = p["diff_mean"] / p["diff_sem"] if p["diff_sem"] > 0 else 0.0
                out.append((f"b={b}, omega={p['width']:g}, d={big}: AMP equals RS at the realised "
                            f"teacher norm within 3 s.e. (z = {z:+.1f})", abs(z) < 3))
        conv = [(ps, pb) for ps, pb in zip(data["amp"][small][b], data["amp"][big][b])
                if all(ps["converged"]) and all(pb["converged"])]
        if conv:
            ms = float(np.mean([abs(ps["diff_mean"]) for ps, _ in conv]))
            mb = float(np.mean([abs(pb["diff_mean"]) for _, pb in conv]))
            out.append((f"b={b}: the mean |AMP - RS(realised)| over converged widths shrinks from "
                        f"d={small} ({ms:.4f}) to d={big} ({mb:.4f})", mb < ms))
    return out


def caption(data: dict) -> str:
    """Caption with the parameters and what the figure shows."""
    p = data["params"]
    sizes = p["sizes"]
    rows = []
    for b in ("1", "2"):
        for pt in data["amp"][str(sizes[-1])][b]:
            rows.append(f"b={b} omega={pt['width']:g}: AMP {pt['mean']:.4f} +- {pt['sem']:.4f}, "
                        f"RS(realised) {np.mean(pt['rs_realised']):.4f}, paired diff "
                        f"{pt['diff_mean']:+.4f} +- {pt['diff_sem']:.4f}"
                        + ("" if all(pt["converged"]) else " (not converged)"))
    return (
        "(e) AMP agrees with the replica prediction where replica symmetry is stable.\n"
        f"Parameters: uniform b-bit levels on [-omega, omega], b = 1 and 2; alpha = {PARAMS['alpha']}, "
        f"beta = {PARAMS['beta']}, lam = {PARAMS['lam']}, noise_var = {PARAMS['noise_var']}, "
        "Gaussian teacher rho = 1.\n"
        f"(a, b) Lines: RS prediction rho - 2m + q (MSE of the Gibbs mean, solve_rs, "
        f"{len(data['replica']['1']['width'])} and {len(data['replica']['2']['width'])} widths by "
        "continuation); solid where the de Almeida-Thouless value at < 1, dashed where at > 1 (RS "
        "unstable).  Markers: final MSE |w - w0|^2/d of AMP with the finite-beta quantized "
        f"denoiser on fresh data, d = {sizes[0]} (grey squares) and d = {sizes[-1]} (black circles), "
        f"n = alpha d, {p['seeds']} seeds per width (mean +- standard error), at most "
        f"{p['max_iter']} iterations, tol 1e-8 on the undamped change; filled: all runs converged, "
        "open: at least one did not (the last iterate is shown).\n"
        "(c, d) AMP minus the RS value evaluated at each seed's realised teacher norm |w0|^2/d "
        "(paired per seed: the teacher norm fluctuates by sqrt(2/d) and moves the whole fixed "
        "point; this removes that known part), mean +- s.e., both sizes.\n"
        "What it shows: on the solid parts AMP converges and its MSE lies on the replica line; the "
        "remaining difference at the realised norm is within the error bars at the larger d and "
        "shrinks with d.  Convergence slows down as the AT line is approached from below (the "
        "step decays like sqrt(at)^t); where at > 1 undamped AMP does not converge: the iterate "
        "keeps moving by O(1) per step while its MSE wanders around the RS value.\n"
        f"Measured at d = {sizes[-1]}: " + "; ".join(rows) + ".\n"
        f"Settings: {'quick (smaller d, fewer widths)' if data['quick'] else 'full'}."
    )


def make(out_dir, quick: bool = False) -> list[pathlib.Path]:
    """Compute and write the figure, its caption and its numbers; return the paths written."""
    from ._common import write_figure

    return write_figure(out_dir, NAME, compute(quick), draw=draw, caption=caption, claims=claims,
                        quick=quick)
