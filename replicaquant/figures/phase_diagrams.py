"""(a) RS/RSB phase diagrams with the AT line: width vs bits (b = 1..6) and width vs alpha.

Left: replicon value ``at`` (colour, log scale, white at ``at = 1``) on the (bits, width) plane
at the reference point, the AT line ``omega_c(b)`` (root of ``at - 1`` by
:func:`replicaquant.analysis.at_line`) and the optimal width ``omega*(b)``.  Right: ``at`` on
the (alpha, width) plane for b = 2 and the AT lines ``omega_c(alpha)`` for b = 1, 2, 3.
"""
from __future__ import annotations

import numpy as np
from matplotlib import patheffects
from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import NullFormatter

from ..analysis import at_line_curve, optimal_width, scan
from ..plotting import bit_color, new_figure, panel_label
from ._common import REF_TEXT, arr, field, ref_model, write_figure

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
    line_alphas = np.geomspace(0.5, 8.0, 24 if quick else 48)
    lines = {}
    for b in (1, 2, 3):
        res = at_line_curve(ref_model(b, 1.0), over="alpha", values=line_alphas, axis="width",
                            bracket=(0.05, 200.0), n_scan=n_scan)
        lines[b] = dict(alpha=[float(a) for a, r in zip(line_alphas, res) if r.found],
                        width=[float(r.value) for r in res if r.found])
    return dict(bits=bits, widths=widths, at_bw=at_bw,
                crit_width=np.array([r.value if r.found else np.nan for r in crit]),
                crit_found=np.array([r.found for r in crit]),
                opt_width=np.array([o.width for o in opt]),
                opt_error=np.array([o.error for o in opt]),
                opt_stable=np.array([o.rs_stable for o in opt]),
                alphas=alphas, widths2=widths2, at_aw=at_aw, lines=lines, quick=quick)


def _label(ax, x, y, text):
    """Region label readable on any colour: white text with a black outline."""
    ax.text(x, y, text, fontsize=8.5, fontweight="bold", color="white", ha="left", va="center",
            path_effects=[patheffects.withStroke(linewidth=2.2, foreground="black")], zorder=6)


def draw(data: dict):
    """The two panels from the (JSON round-tripped) data."""
    fig, (ax1, ax2) = new_figure(2, 1, width=3.6, height=3.1)
    norm = TwoSlopeNorm(vmin=-3.0, vcenter=0.0, vmax=3.0)
    bits = np.array(data["bits"])
    edges_b = np.concatenate([bits - 0.5, [bits[-1] + 0.5]])
    lw = np.log(arr(data["widths"]))
    edges_w = np.exp(np.concatenate([[lw[0] - (lw[1] - lw[0]) / 2], (lw[1:] + lw[:-1]) / 2,
                                     [lw[-1] + (lw[1] - lw[0]) / 2]]))
    mesh = ax1.pcolormesh(edges_b, edges_w, np.log10(arr(data["at_bw"])).T, cmap="RdBu_r", norm=norm,
                          shading="flat", rasterized=True)
    ok = np.array(data["crit_found"], dtype=bool)
    ax1.plot(bits[ok], arr(data["crit_width"])[ok], "k-o", ms=3.5, label=r"AT line $\omega_c$ (at = 1)")
    ax1.plot(bits, arr(data["opt_width"]), "w*", mec="k", ms=9, label=r"$\omega^*$ (min gen_error)")
    ax1.set_yscale("log")
    ax1.set_xlabel("bits b")
    ax1.set_ylabel(r"width $\omega$ (half-range)")
    ax1.set_title(r"width vs bits ($\alpha$ = 2, $\beta$ = 5)")
    _label(ax1, 0.7, 55, "RSB (at > 1)")
    _label(ax1, 3.6, 0.4, "RS stable (at < 1)")
    ax1.legend(loc="lower right", framealpha=0.9, fontsize=6.5)
    fig.colorbar(mesh, ax=ax1, label=r"$\log_{10}$ at", shrink=0.85)

    la = np.log(arr(data["alphas"]))
    ea = np.exp(np.concatenate([[la[0] - (la[1] - la[0]) / 2], (la[1:] + la[:-1]) / 2,
                                [la[-1] + (la[1] - la[0]) / 2]]))
    lw2 = np.log(arr(data["widths2"]))
    ew2 = np.exp(np.concatenate([[lw2[0] - (lw2[1] - lw2[0]) / 2], (lw2[1:] + lw2[:-1]) / 2,
                                 [lw2[-1] + (lw2[1] - lw2[0]) / 2]]))
    ax2.pcolormesh(ea, ew2, np.log10(arr(data["at_aw"])).T, cmap="RdBu_r", norm=norm, shading="flat",
                   rasterized=True)
    for b, ln in data["lines"].items():
        ax2.plot(ln["alpha"], ln["width"], "-", color=bit_color(int(b)), lw=2,
                 path_effects=[patheffects.withStroke(linewidth=3.2, foreground="white")],
                 label=f"AT line b = {b}")
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xticks([0.25, 0.5, 1, 2, 4, 8], labels=["0.25", "0.5", "1", "2", "4", "8"])
    ax2.xaxis.set_minor_formatter(NullFormatter())
    ax2.axvline(1.0, color="k", lw=0.8, ls=":")
    ax2.set_xlabel(r"$\alpha = n/d$")
    ax2.set_ylabel(r"width $\omega$")
    ax2.set_title(r"width vs $\alpha$ (colour: b = 2)")
    ax2.legend(loc="lower left", framealpha=0.9, fontsize=6.5)
    _label(ax2, 1.5, 30, "RSB")
    _label(ax2, 0.3, 3, "RS stable")
    panel_label(ax1, "a")
    panel_label(ax2, "b")
    return fig


def claims(data: dict) -> list:
    """What the caption states, checked on the data."""
    bits = np.array(data["bits"])
    wc, wo = arr(data["crit_width"]), arr(data["opt_width"])
    ok = np.isfinite(wc)
    at_bw = arr(data["at_bw"])
    widths = arr(data["widths"])
    out = [("an AT crossing omega_c < 100 is found for every b = 1..6", bool(np.all(ok))),
           ("omega_c grows with bits", bool(np.all(np.diff(wc[ok]) > 0))),
           ("omega* < omega_c for every b: the optimum is RS-stable", bool(np.all(wo[ok] < wc[ok])))]
    # the colour map agrees with the AT line: below omega_c blue (at < 1), above red (at > 1)
    agree = True
    for i, b in enumerate(bits):
        if not ok[i]:
            continue
        row = at_bw[i]
        below = widths < wc[i] / 1.15
        above = widths > wc[i] * 1.15
        agree &= bool(np.all(row[below] < 1) and np.all(row[above] > 1))
    out.append(("the colour map is RS-stable below and RSB above the drawn AT line in every "
                "column (15% margin for the grid)", agree))
    lines = data["lines"]
    for b, ln in lines.items():
        w = arr(ln["width"])
        out.append((f"b={b}: omega_c(alpha) decreases as alpha grows along the drawn AT line",
                    bool(w.size > 1 and np.all(np.diff(w) < 0))))
    return out


def caption(data: dict) -> str:
    """Caption text with the measured AT line and optimal widths (all numbers from ``data``)."""
    bits, wc, wo = np.array(data["bits"]), arr(data["crit_width"]), arr(data["opt_width"])
    crit = ", ".join(f"b={b}: {w:.3g}" if np.isfinite(w) else f"b={b}: > 100" for b, w in zip(bits, wc))
    opt = ", ".join(f"b={b}: {w:.3g}" for b, w in zip(bits, wo))
    ok = np.isfinite(wc)
    ratios = wc[1:][ok[1:] & ok[:-1]] / wc[:-1][ok[1:] & ok[:-1]]
    spacing = 2 * wc[ok] / (2.0 ** bits[ok] - 1)
    below = bool(np.all(wo[ok] < wc[ok]))
    lines = []
    for b, ln in data["lines"].items():
        a, w = arr(ln["alpha"]), arr(ln["width"])
        if a.size:
            lines.append(f"b={b}: omega_c = {w[0]:.3g} at alpha = {a[0]:.3g}, {w[-1]:.3g} at alpha = {a[-1]:.3g}")
    return (
        "(a) RS/RSB phase diagrams of quantized ridge regression (uniform levels, RS theory).\n"
        f"Parameters: {REF_TEXT} (right panel: alpha varies).\n"
        "(a) width vs bits, (b) width vs alpha.  Colour: log10 of the replicon (de Almeida-Thouless) value at; red = at > 1 (RS unstable, "
        "replica symmetry breaking), blue = RS stable.  Black line: AT line, the width omega_c "
        "where at = 1 (Brent root along the width).  Stars: optimal width omega* minimising "
        "gen_error = rho - 2m + Q.\n"
        f"Measured critical widths omega_c: {crit}.  Optimal widths omega*: {opt}.\n"
        "The RSB region lies at few bits and large width; omega_c grows with bits by a factor "
        f"{ratios.min():.2f}-{ratios.max():.2f} per extra bit (critical level spacing "
        f"2 omega_c/(2^b - 1) = {spacing.min():.2f}-{spacing.max():.2f}); "
        + ("omega* < omega_c for every b: the optimum is RS-stable.\n" if below else
           "omega* >= omega_c for some b: the optimum is RS-unstable there.\n")
        + "(b) AT lines omega_c(alpha) for b = 1, 2, 3 (" + "; ".join(lines) + "). "
        "At smaller alpha no crossing exists below width 200 on the branch continued from small "
        "width (the thermodynamic branch: at stays below 1 at every width, approaching alpha for "
        "b >= 2); omega_c grows steeply as alpha decreases towards 1.  A metastable RS branch "
        "with at > 1 and higher free energy coexists there at large widths.\n"
        f"Grid: {'quick (coarse)' if data['quick'] else 'full'} settings; "
        "regenerate with `replicaquant figures --only phase_diagrams`."
    )


def make(out_dir, quick: bool = False):
    """Compute and save ``phase_diagrams.png``, ``.txt`` and ``.json``."""
    return write_figure(out_dir, NAME, compute(quick), draw=draw, caption=caption, claims=claims,
                        quick=quick)
