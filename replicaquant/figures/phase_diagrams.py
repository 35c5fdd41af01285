"""(a) RS/RSB phase diagrams with the AT line: width vs bits (b = 1..6) and width vs alpha.

Left: replicon value ``at`` (colour, log scale, white at ``at = 1``) on the (bits, width) plane
at the reference point, the AT line ``omega_c(b)`` (root of ``at - 1`` by
:func:`replicaquant.analysis.at_line`) and the optimal width ``omega*(b)``.  Right: ``at`` on
the (alpha, width) plane for b = 2 and the AT lines ``omega_c(alpha)`` for b = 1, 2, 3.
"""
from __future__ import annotations

import numpy as np
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import NullFormatter

from ..analysis import at_line_curve, optimal_width, scan
from ..plotting import bit_color, new_figure, save_figure
from ._common import REF_TEXT, field, ref_model

NAME = "phase_diagrams"


def compute(quick: bool = False) -> dict:
    """Data of the figure: ``at`` maps, AT lines and optimal widths."""
    bits = np.arange(1, 7)
    nw = 40 if quick else 160
    n_scan = 24 if quick else 40
    widths = np.geomspace(0.05, 100.0, nw)
    at_bw = np.array([field(scan(ref_model(int(b), 1.0), "width", widths), "at") for b in bits])
    crit = at_line_curve(ref_model(1, 1.0), over="bits", values=bits, axis="width",
                         bracket=(0.05, 100.0), n_scan=n_scan)
    opt = [optimal_width(ref_model(int(b), 1.0), bounds=(0.05, 6.0), n_scan=16 if quick else 40)
           for b in bits]

    alphas = np.geomspace(0.25, 8.0, 24 if quick else 80)
    widths2 = np.geomspace(0.05, 50.0, 30 if quick else 100)
    at_aw = np.array([field(scan(ref_model(2, 1.0, alpha=float(a)), "width", widths2), "at")
                      for a in alphas])
    # at beta = 5 the AT lines end near alpha ~ 1: below, the branch continued from small width
    # (the thermodynamic one) stays stable at every width
    line_alphas = np.geomspace(0.5, 8.0, 12 if quick else 48)
    lines = {}
    for b in (1, 2, 3):
        res = at_line_curve(ref_model(b, 1.0), over="alpha", values=line_alphas, axis="width",
                            bracket=(0.05, 200.0), n_scan=n_scan)
        lines[b] = (np.array([a for a, r in zip(line_alphas, res) if r.found]),
                    np.array([r.value for r in res if r.found]))
    return dict(bits=bits, widths=widths, at_bw=at_bw,
                crit_width=np.array([r.value if r.found else np.nan for r in crit]),
                crit_found=np.array([r.found for r in crit]),
                opt_width=np.array([o.width for o in opt]),
                opt_error=np.array([o.error for o in opt]),
                opt_stable=np.array([o.rs_stable for o in opt]),
                alphas=alphas, widths2=widths2, at_aw=at_aw, lines=lines, quick=quick)


def plot(data: dict, out_dir):
    """Draw the two panels and save PNG + caption."""
    fig, (ax1, ax2) = new_figure(2, 1, width=3.6, height=3.1)
    norm = TwoSlopeNorm(vmin=-3.0, vcenter=0.0, vmax=3.0)
    bits = data["bits"]
    edges_b = np.concatenate([bits - 0.5, [bits[-1] + 0.5]])
    lw = np.log(data["widths"])
    edges_w = np.exp(np.concatenate([[lw[0] - (lw[1] - lw[0]) / 2], (lw[1:] + lw[:-1]) / 2,
                                     [lw[-1] + (lw[1] - lw[0]) / 2]]))
    mesh = ax1.pcolormesh(edges_b, edges_w, np.log10(data["at_bw"]).T, cmap="RdBu_r", norm=norm,
                          shading="flat", rasterized=True)
    ok = data["crit_found"]
    ax1.plot(bits[ok], data["crit_width"][ok], "k-o", ms=3.5, label=r"AT line $\omega_c$ (at = 1)")
    ax1.plot(bits, data["opt_width"], "w*", mec="k", ms=9, label=r"$\omega^*$ (min gen_error)")
    ax1.set_yscale("log")
    ax1.set_xlabel("bits b")
    ax1.set_ylabel(r"width $\omega$ (half-range)")
    ax1.set_title(r"width vs bits ($\alpha$ = 2, $\beta$ = 5)")
    ax1.text(1.2, 60, "RSB (at > 1)", fontsize=8)
    ax1.text(4.2, 0.12, "RS stable", fontsize=8)
    ax1.legend(loc="lower right", framealpha=0.9)
    fig.colorbar(mesh, ax=ax1, label=r"$\log_{10}$ at", shrink=0.85)

    la = np.log(data["alphas"])
    ea = np.exp(np.concatenate([[la[0] - (la[1] - la[0]) / 2], (la[1:] + la[:-1]) / 2,
                                [la[-1] + (la[1] - la[0]) / 2]]))
    lw2 = np.log(data["widths2"])
    ew2 = np.exp(np.concatenate([[lw2[0] - (lw2[1] - lw2[0]) / 2], (lw2[1:] + lw2[:-1]) / 2,
                                 [lw2[-1] + (lw2[1] - lw2[0]) / 2]]))
    ax2.pcolormesh(ea, ew2, np.log10(data["at_aw"]).T, cmap="RdBu_r", norm=norm, shading="flat",
                   rasterized=True)
    for b, (a, w) in data["lines"].items():
        ax2.plot(a, w, "-", color=bit_color(b), lw=2, label=f"AT line b = {b}")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xticks([0.25, 0.5, 1, 2, 4, 8], labels=["0.25", "0.5", "1", "2", "4", "8"])
    ax2.xaxis.set_minor_formatter(NullFormatter())
    ax2.axvline(1.0, color="k", lw=0.8, ls=":")
    ax2.set_xlabel(r"$\alpha = n/d$")
    ax2.set_ylabel(r"width $\omega$")
    ax2.set_title(r"width vs $\alpha$ (colour: b = 2, $\beta$ = 5)")
    ax2.legend(loc="lower left", framealpha=0.9)
    return save_figure(fig, out_dir, NAME, caption(data))


def caption(data: dict) -> str:
    """Caption text with the measured AT line and optimal widths (all numbers from ``data``)."""
    bits, wc, wo = data["bits"], data["crit_width"], data["opt_width"]
    crit = ", ".join(f"b={b}: {w:.3g}" if np.isfinite(w) else f"b={b}: > 100" for b, w in zip(bits, wc))
    opt = ", ".join(f"b={b}: {w:.3g}" for b, w in zip(bits, wo))
    ok = np.isfinite(wc)
    ratios = wc[1:][ok[1:] & ok[:-1]] / wc[:-1][ok[1:] & ok[:-1]]
    spacing = 2 * wc[ok] / (2.0 ** bits[ok] - 1)
    below = bool(np.all(wo[ok] < wc[ok]))
    lines = []
    for b, (a, w) in data["lines"].items():
        if a.size:
            lines.append(f"b={b}: omega_c = {w[0]:.3g} at alpha = {a[0]:.3g}, {w[-1]:.3g} at alpha = {a[-1]:.3g}")
    return (
        "(a) RS/RSB phase diagrams of quantized ridge regression (uniform levels, RS theory).\n"
        f"Parameters: {REF_TEXT} (right panel: alpha varies).\n"
        "Colour: log10 of the replicon (de Almeida-Thouless) value at; red = at > 1 (RS unstable, "
        "replica symmetry breaking), blue = RS stable.  Black line: AT line, the width omega_c "
        "where at = 1 (Brent root along the width).  Stars: optimal width omega* minimising "
        "gen_error = rho - 2m + Q.\n"
        f"Measured critical widths omega_c: {crit}.  Optimal widths omega*: {opt}.\n"
        "The RSB region lies at few bits and large width; omega_c grows with bits by a factor "
        f"{ratios.min():.2f}-{ratios.max():.2f} per extra bit (critical level spacing "
        f"2 omega_c/(2^b - 1) = {spacing.min():.2f}-{spacing.max():.2f}); "
        + ("omega* < omega_c for every b: the optimum is RS-stable.\n" if below else
           "omega* >= omega_c for some b: the optimum is RS-unstable there.\n")
        + "Right: AT lines omega_c(alpha) for b = 1, 2, 3 (" + "; ".join(lines) + "). "
        "At smaller alpha no crossing exists below width 200 on the branch continued from small "
        "width (the thermodynamic branch: at stays below 1 at every width, approaching alpha for "
        "b >= 2); omega_c grows steeply as alpha decreases towards 1.  A metastable RS branch "
        "with at > 1 and higher free energy coexists there at large widths.\n"
        f"Grid: {'quick (coarse)' if data['quick'] else 'full'} settings; "
        "regenerate with `replicaquant figures --only phase_diagrams`."
    )


def make(out_dir, quick: bool = False):
    """Compute and save ``phase_diagrams.png`` and ``phase_diagrams.txt``."""
    return plot(compute(quick), out_dir)
