"""(c) Double descent: error vs alpha for ridgeless regression and quantized b = 1..4 (lam -> 0+).

Left: beta = inf, ``lam = 1e-6``: the error of the quantized least-squares estimator
(``gen_error``, equal to ``gen_error_mean`` at beta = inf) for uniform b-bit levels at their
optimal width of the reference point, with the ridgeless closed form
(:func:`replicaquant.ridge.ridge_rs`, divergent at alpha = 1) and the interpolation thresholds
``alpha_c`` (:func:`replicaquant.analysis.interpolation_threshold`, dotted).  Middle: the same at
a large finite beta = 1000 (error of the Gibbs mean, solid; of a Gibbs sample, thin dotted).
Right: ``alpha_c`` vs width for b = 1..4 (ridgeless: 1).
"""
from __future__ import annotations

import math

import numpy as np

from ..analysis import double_descent_peak, interpolation_threshold, optimal_width, scan
from ..plotting import bit_color, new_figure, save_figure
from ..ridge import ridge_rs
from ._common import field, ref_model

NAME = "double_descent"
BITS = (1, 2, 3, 4)
LAM = 1e-6
BETA_FINITE = 1000.0
REF_NOISE = 0.1  # noise_var of the reference point (ridgeless comparison)


def _model(b: int, width: float, beta: float):
    return ref_model(b, width, beta=beta, lam=LAM)


def compute(quick: bool = False) -> dict:
    """Curves, peaks and thresholds (see the module docstring)."""
    alphas = np.linspace(0.05, 3.0, 60 if quick else 240)
    widths_c = np.geomspace(0.2, 10.0, 16 if quick else 60)
    out = dict(alphas=alphas, widths_c=widths_c, bits=np.array(BITS), quick=quick,
               width={}, inf={}, fin={}, thr={}, thr_curve={})
    for b in BITS:
        w = optimal_width(ref_model(b, 1.0), bounds=(0.05, 6.0), n_scan=16 if quick else 40).width
        out["width"][b] = w
        th = interpolation_threshold(_model(b, w, math.inf))
        out["thr"][b] = dict(alpha=th.alpha, gen_error=th.gen_error)
        p_inf = double_descent_peak(_model(b, w, math.inf), alphas)
        # the curve drawn: valid scan points + the refined peak + the closed-form limit at alpha_c+
        extra = [(th.alpha, th.gen_error)] + ([(p_inf.alpha, p_inf.height)] if p_inf.interior else [])
        ca, cv = _merge(p_inf.alphas, p_inf.values, extra)
        out["inf"][b] = dict(alphas=ca, values=cv, alpha=p_inf.alpha, height=p_inf.height,
                             interior=p_inf.interior)
        p_fin = double_descent_peak(_model(b, w, BETA_FINITE), alphas)
        sample = field(scan(_model(b, w, BETA_FINITE), "alpha", alphas, reverse=True), "gen_error")
        ca, cv = _merge(p_fin.alphas, p_fin.values,
                        [(p_fin.alpha, p_fin.height)] if p_fin.interior else [])
        out["fin"][b] = dict(alphas=ca, values=cv, alpha=p_fin.alpha, height=p_fin.height,
                             interior=p_fin.interior, sample=sample)
        out["thr_curve"][b] = np.array([interpolation_threshold(_model(b, float(wc), math.inf)).alpha
                                        for wc in widths_c])
    ra = alphas[np.abs(alphas - 1.0) > 1e-9]
    out["ridge_alphas"] = ra
    out["ridge"] = np.array([ridge_rs(a, 0.0, REF_NOISE, 1.0).gen_error_mean for a in ra])
    return out


def _merge(alphas, values, extra):
    a = np.concatenate([alphas, [e[0] for e in extra]])
    v = np.concatenate([values, [e[1] for e in extra]])
    order = np.argsort(a, kind="stable")
    return a[order], v[order]


def plot(data: dict, out_dir):
    """Draw the three panels and save PNG + caption."""
    fig, (ax1, ax2, ax3) = new_figure(3, 1, width=3.1, height=3.0)
    ymax = 1.6
    for ax in (ax1, ax2):
        ra, rv = data["ridge_alphas"], data["ridge"]
        for sel in (ra < 1, ra > 1):
            ax.plot(ra[sel], np.minimum(rv[sel], 10), "k-", lw=1.2,
                    label="ridgeless (closed form)" if sel[0] else None)
        ax.axvline(1.0, color="k", lw=0.6, ls=":")
        ax.set_ylim(0, ymax)
        ax.set_xlabel(r"$\alpha = n/d$")
    for b in data["bits"]:
        col = bit_color(b)
        d = data["inf"][b]
        ax1.plot(d["alphas"], d["values"], color=col, label=f"b = {b} ($\\omega$ = {data['width'][b]:.2f})")
        ax1.axvline(data["thr"][b]["alpha"], color=col, lw=0.8, ls=":")
        if d["interior"]:
            ax1.plot([d["alpha"]], [d["height"]], "v", color=col, mec="k", ms=6)
        f = data["fin"][b]
        ax2.plot(f["alphas"], f["values"], color=col, label=f"b = {b}")
        ax2.plot(data["alphas"], f["sample"], color=col, lw=0.8, ls=":")
        if f["interior"]:
            ax2.plot([f["alpha"]], [f["height"]], "v", color=col, mec="k", ms=6)
        ax3.plot(data["widths_c"], data["thr_curve"][b], color=col, label=f"b = {b}")
        ax3.plot([data["width"][b]], [data["thr"][b]["alpha"]], "o", color=col, mec="k", ms=5)
    ax1.set_ylabel("test error (excess MSE)")
    ax1.set_title(r"$\beta = \infty$, $\lambda = 10^{-6}$")
    ax1.legend(loc="upper right", fontsize=6.5)
    ax2.set_title(rf"$\beta$ = {BETA_FINITE:g} (dotted: Gibbs sample)")
    ax2.legend(loc="upper right", fontsize=6.5)
    ax3.axhline(1.0, color="k", lw=1.2, label="ridgeless")
    ax3.set_xscale("log")
    ax3.set_ylim(0, 1.05)
    ax3.set_xlabel(r"width $\omega$")
    ax3.set_ylabel(r"interpolation threshold $\alpha_c$")
    ax3.set_title(r"$\alpha_c$ ($\beta = \infty$, $\lambda \to 0^+$)")
    ax3.legend(loc="lower right", fontsize=6.5)
    return save_figure(fig, out_dir, NAME, caption(data))


def caption(data: dict) -> str:
    """Caption with the measured peak positions and heights."""
    rows = []
    for b in data["bits"]:
        t, i, f = data["thr"][b], data["inf"][b], data["fin"][b]
        ridge_at = ridge_rs(t["alpha"], 0.0, REF_NOISE, 1.0).gen_error_mean
        rows.append(
            f"b={b} (omega={data['width'][b]:.3f}): alpha_c = {t['alpha']:.4f}, error at alpha_c+ "
            f"{t['gen_error']:.4f} (ridgeless at the same alpha: {ridge_at:.4f}); beta=inf lam=1e-6: "
            + (f"peak alpha = {i['alpha']:.4f} height {i['height']:.4f}" if i["interior"] else
               "no interior peak, curve ends at alpha_c")
            + f"; beta={BETA_FINITE:g} peak "
            + (f"alpha = {f['alpha']:.4f} height {f['height']:.4f}" if f["interior"] else "none"))
    return (
        "(c) Double descent with quantized weights (RS theory, lam = 1e-6 ~ 0+, noise_var = 0.1, "
        "rho = 1; uniform levels at the optimal width omega* of the reference point "
        "alpha = 2, beta = 5, lam = 1e-3).\n"
        "Black: ridgeless regression (closed form), divergent at alpha = 1.  Left: beta = inf "
        "(quantized least squares): the peak is the cusp at the interpolation threshold alpha_c "
        "(dotted), where chi diverges and the training error reaches 0; alpha_c < 1 and the peak "
        "height is finite.  Below alpha_c the ridge selects among interpolators (b >= 2); for one "
        "bit |w|^2 is constant, the ridge cannot, and no finite-chi RS solution exists there "
        "(curve stops).  Middle: beta = 1000: the Gibbs mean (solid) keeps a finite peak close to "
        "alpha_c; a Gibbs sample (dotted) has no peak (its error grows as alpha -> 0: thermal "
        "spread over the interpolators).  Right: alpha_c vs width (closed form); dots: the widths "
        "used.  alpha_c -> 1 only for many bits and wide ranges.\n"
        "Measured: " + "; ".join(rows) + ".\n"
        "Quantization moves the onset of overparameterization from alpha = 1 to alpha_c < 1 "
        "(interpolation needs d > n/alpha_c parameters) and makes the peak finite.  "
        "Caveat: at beta = inf and beta = 1000 the RS solution is AT-unstable (at = inf, "
        "at ~ beta), so these are RS predictions.\n"
        f"Grid: {'quick (coarse)' if data['quick'] else 'full'} settings."
    )


def make(out_dir, quick: bool = False):
    """Compute and save ``double_descent.png`` and ``.txt``."""
    return plot(compute(quick), out_dir)
