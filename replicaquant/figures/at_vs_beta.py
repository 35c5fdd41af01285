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
from ..plotting import bit_color, new_figure, panel_label
from ._common import arr, field, ref_model, write_figure

NAME = "at_vs_beta"
BITS = (1, 2, 3)


def compute(quick: bool = False) -> dict:
    """``at(beta)``, the asymptotic slope and ``beta_c`` for each b."""
    betas = np.geomspace(0.5, 1000.0, 60 if quick else 120)
    out = dict(betas=betas, bits=list(BITS), quick=quick, width={}, at={}, slope={}, beta_c={})
    for b in BITS:
        w = optimal_width(ref_model(b, 1.0), bounds=(0.05, 6.0), n_scan=16 if quick else 40).width
        out["width"][b] = w
        model = ref_model(b, w)
        out["at"][b] = field(scan(model, "beta", betas), "at")
        out["slope"][b] = at_slope(model)
        r = at_line(model, "beta", (0.5, 1000.0), n_scan=24 if quick else 40, warn=False)
        out["beta_c"][b] = r.value if r.found else None
    return out


def draw(data: dict):
    """The two panels from the (JSON round-tripped) data."""
    fig, (ax1, ax2) = new_figure(2, 1, width=3.4, height=3.0)
    be = arr(data["betas"])
    for b in data["bits"]:
        k = str(b)
        col = bit_color(b)
        at = arr(data["at"][k])
        ax1.plot(be, at, color=col, label=f"b = {b} ($\\omega$ = {data['width'][k]:.2f})")
        ax1.plot(be, data["slope"][k] * be, color=col, ls="--", lw=0.9)
        if data["beta_c"][k] is not None:
            ax1.plot([data["beta_c"][k]], [1.0], "o", color=col, mec="k", ms=5)
        ax2.plot(be, at / be, color=col, label=f"b = {b}")
        ax2.axhline(data["slope"][k], color=col, ls="--", lw=0.9)
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
    panel_label(ax1, "a")
    panel_label(ax2, "b")
    return fig


def claims(data: dict) -> list:
    """What the caption states, checked on the data."""
    be = arr(data["betas"])
    out = []
    for b in data["bits"]:
        k = str(b)
        at = arr(data["at"][k])
        S = data["slope"][k]
        out.append((f"b={b}: every point converged (finite at)", bool(np.all(np.isfinite(at)))))
        out.append((f"b={b}: at grows with beta", bool(np.all(np.diff(at) > 0))))
        out.append((f"b={b}: at/beta approaches the closed-form slope S within 2% at beta = "
                    f"{be[-1]:g}", bool(abs(at[-1] / be[-1] / S - 1) < 0.02)))
        out.append((f"b={b}: |at/(beta S) - 1| shrinks from beta = {be[len(be) // 2]:.3g} to "
                    f"{be[-1]:g}", bool(abs(at[-1] / be[-1] / S - 1) < abs(at[len(be) // 2] / be[len(be) // 2] / S - 1))))
        bc = data["beta_c"][k]
        out.append((f"b={b}: a critical beta_c exists in the range and the drawn at curve crosses "
                    "1 there (|log at| < 0.05 at beta_c on the drawn curve)",
                    bool(bc is not None and abs(np.interp(np.log(bc), np.log(be), np.log(at))) < 0.05)))
    return out


def caption(data: dict) -> str:
    """Caption with slopes and critical temperatures."""
    rows = []
    for b in data["bits"]:
        k = str(b)
        at = arr(data["at"][k])
        be = arr(data["betas"])
        rel = abs(at[-1] / be[-1] / data["slope"][k] - 1)
        bc = data["beta_c"][k]
        rows.append(f"b={b} (omega={data['width'][k]:.3f}): S = {data['slope'][k]:.5f}, "
                    f"at/(beta S) - 1 = {rel:.1e} at beta = {be[-1]:g}, beta_c = "
                    + (f"{bc:.3f}" if bc is not None else "> 1000"))
    return (
        "(f) Replicon (AT) value vs inverse temperature beta (RS theory), uniform b-bit levels at "
        "the optimal width omega* of the reference point; alpha = 2, lam = 1e-3, noise_var = 0.1, "
        f"rho = 1; {len(data['betas'])} values of beta in [0.5, 1000] (log-spaced).\n"
        "(a) at vs beta (log-log), (b) at/beta.\n"
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
    """Compute and save ``at_vs_beta.png``, ``.txt`` and ``.json``."""
    return write_figure(out_dir, NAME, compute(quick), draw=draw, caption=caption, claims=claims,
                        quick=quick)
