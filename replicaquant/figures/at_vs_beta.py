"""(f) AT value vs inverse temperature beta: linear growth, so RSB at any width for large beta.

Left: the replicon ``at`` vs beta (log-log) for uniform b = 1, 2, 3 at their optimal width of
the reference point (alpha = 2), with the large-beta asymptote ``beta * S``
(:func:`replicaquant.analysis.at_slope`, closed form from the beta = inf saddle point) and the
critical ``beta_c`` where ``at = 1`` (:func:`replicaquant.analysis.at_line` along beta).
Right: ``at/beta`` converging to ``S``.
"""
from __future__ import annotations

import numpy as np

from ..analysis import at_line, at_slope, optimal_width, scan
from ..plotting import bit_color, new_figure, save_figure
from ._common import field, ref_model

NAME = "at_vs_beta"
BITS = (1, 2, 3)


def compute(quick: bool = False) -> dict:
    """``at(beta)``, the asymptotic slope and ``beta_c`` for each b."""
    betas = np.geomspace(0.5, 1000.0, 30 if quick else 120)
    out = dict(betas=betas, bits=np.array(BITS), quick=quick, width={}, at={}, slope={}, beta_c={})
    for b in BITS:
        w = optimal_width(ref_model(b, 1.0), bounds=(0.05, 6.0), n_scan=16 if quick else 40).width
        out["width"][b] = w
        model = ref_model(b, w)
        out["at"][b] = field(scan(model, "beta", betas), "at")
        out["slope"][b] = at_slope(model)
        r = at_line(model, "beta", (0.5, 1000.0), n_scan=24 if quick else 40, warn=False)
        out["beta_c"][b] = r.value if r.found else None
    return out


def plot(data: dict, out_dir):
    """Draw and save PNG + caption."""
    fig, (ax1, ax2) = new_figure(2, 1, width=3.4, height=3.0)
    be = data["betas"]
    for b in data["bits"]:
        col = bit_color(b)
        at = data["at"][b]
        ax1.plot(be, at, color=col, label=f"b = {b} ($\\omega$ = {data['width'][b]:.2f})")
        ax1.plot(be, data["slope"][b] * be, color=col, ls="--", lw=0.9)
        if data["beta_c"][b] is not None:
            ax1.plot([data["beta_c"][b]], [1.0], "o", color=col, mec="k", ms=5)
        ax2.plot(be, at / be, color=col, label=f"b = {b}")
        ax2.axhline(data["slope"][b], color=col, ls="--", lw=0.9)
    ax1.axhline(1.0, color="k", lw=0.8)
    ax1.set_xscale("log")
    ax1.set_yscale("log")
    ax1.set_xlabel(r"inverse temperature $\beta$")
    ax1.set_ylabel("AT value at")
    ax1.set_title(r"at vs $\beta$ (dashed: $\beta S$; dots: $\beta_c$)")
    ax1.legend(loc="upper left", fontsize=7)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel(r"inverse temperature $\beta$")
    ax2.set_ylabel(r"at / $\beta$")
    ax2.set_title(r"at/$\beta$ $\to$ S (closed form, dashed)")
    return save_figure(fig, out_dir, NAME, caption(data))


def caption(data: dict) -> str:
    """Caption with slopes and critical temperatures."""
    rows = []
    for b in data["bits"]:
        at = data["at"][b]
        be = data["betas"]
        rel = abs(at[-1] / be[-1] / data["slope"][b] - 1)
        bc = data["beta_c"][b]
        rows.append(f"b={b} (omega={data['width'][b]:.3f}): S = {data['slope'][b]:.5f}, "
                    f"at/(beta S) - 1 = {rel:.1e} at beta = {be[-1]:g}, beta_c = "
                    + (f"{bc:.3f}" if bc is not None else "> 1000"))
    return (
        "(f) Replicon (AT) value vs inverse temperature beta (RS theory), uniform b-bit levels at "
        "the optimal width omega* of the reference point; alpha = 2, lam = 1e-3, noise_var = 0.1, "
        "rho = 1.\n"
        "at grows linearly in beta at large beta: beta Var_h(w) is a sum of bumps of height "
        "~beta dc^2/4 and width ~1/(beta dc) at the rounding thresholds, so "
        "at/beta -> S = alpha/(1+chi)^2 sum_k dc_k^3 p_h(theta_k)/6 with chi, p_h from the "
        "beta = inf saddle point (uniform levels: S = alpha dc^2 chi/(6 (1+chi)^2)); dashed lines.  "
        "Hence any discrete level set is RS-unstable below a temperature 1/beta_c (dots: at = 1), "
        "and at beta = inf at = inf.\n"
        "Measured: " + "; ".join(rows) + ".\n"
        f"Grid: {'quick (coarse)' if data['quick'] else 'full'} settings."
    )


def make(out_dir, quick: bool = False):
    """Compute and save ``at_vs_beta.png`` and ``.txt``."""
    return plot(compute(quick), out_dir)
