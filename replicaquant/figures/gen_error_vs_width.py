"""(b) Generalization error vs quantization width for b = 1..4, optimal width marked, RSB dashed.

(a) ``gen_error = rho - 2m + Q`` of a Gibbs sample vs the width at the reference point (log
scale, so that the one-bit curve stays on the axes), solid where RS is stable (``at < 1``),
dashed where ``at >= 1``; stars at the optimal width ``omega*``
(:func:`replicaquant.analysis.optimal_width`).  (b) The replicon value ``at`` vs width with the
AT crossings ``omega_c`` (:func:`replicaquant.analysis.at_line`).
"""
from __future__ import annotations

import numpy as np
from matplotlib.ticker import FixedLocator, NullFormatter

from ..analysis import at_line, optimal_width, scan
from ..plotting import bit_color, new_figure, panel_label, stability_line
from ._common import REF_TEXT, arr, field, ref_model, write_figure

NAME = "gen_error_vs_width"
BITS = (1, 2, 3, 4)
WIDTH_RANGE = (0.05, 4.0)


def compute(quick: bool = False) -> dict:
    """Curves ``gen_error(width)``, ``at(width)``, ``omega*`` and ``omega_c`` for b = 1..4."""
    widths = np.linspace(*WIDTH_RANGE, 100 if quick else 240)
    out = dict(widths=widths, bits=list(BITS), quick=quick, curves={}, opt={}, crit={})
    for b in BITS:
        sols = scan(ref_model(b, 1.0), "width", widths)
        out["curves"][b] = dict(gen_error=field(sols, "gen_error"), at=field(sols, "at"),
                                converged=[bool(s.converged) for s in sols])
        o = optimal_width(ref_model(b, 1.0), bounds=WIDTH_RANGE, n_scan=24 if quick else 60)
        out["opt"][b] = dict(width=o.width, error=o.error, at=o.at, rs_stable=o.rs_stable,
                             interior=o.interior)
        r = at_line(ref_model(b, 1.0), "width", (0.05, 100.0), n_scan=24 if quick else 40, warn=False)
        out["crit"][b] = r.value if r.found else None
    return out


def draw(data: dict):
    """The two panels from the (JSON round-tripped) data."""
    fig, (ax1, ax2) = new_figure(2, 1, width=3.6, height=3.3)
    w = arr(data["widths"])
    handles = []
    for b in data["bits"]:
        c = data["curves"][str(b)]
        col = bit_color(b)
        handles.append(stability_line(ax1, w, arr(c["gen_error"]), arr(c["at"]), color=col,
                                      label=f"b = {b}"))
        o = data["opt"][str(b)]
        ax1.plot([o["width"]], [o["error"]], "*", color=col, mec="k", ms=11, zorder=5)
        ax2.plot(w, arr(c["at"]), color=col)
        wc = data["crit"][str(b)]
        if wc is not None and wc <= w[-1]:
            ax2.plot([wc], [1.0], "o", color=col, mec="k", ms=5, zorder=5)
    style = [ax1.plot([], [], "k-", label="RS stable (at < 1)")[0],
             ax1.plot([], [], "k--", label="at ≥ 1 (RSB)")[0],
             ax1.plot([], [], "k*", ms=9, ls="none", label=r"$\omega^*$")[0]]
    ax1.set_yscale("log")
    ax1.set_ylim(0.2, 20.0)
    ticks = [0.25, 0.5, 1, 2, 5, 10, 20]
    ax1.yaxis.set_major_locator(FixedLocator(ticks))
    ax1.set_yticklabels([f"{t:g}" for t in ticks])
    ax1.yaxis.set_minor_formatter(NullFormatter())
    ax1.set_xlabel(r"width $\omega$")
    ax1.set_ylabel(r"gen. error $\rho - 2m + Q$")
    ax1.set_title(r"error vs width ($\alpha$ = 2, $\beta$ = 5)")
    ax2.axhline(1.0, color="k", lw=0.8)
    ax2.set_yscale("log")
    ax2.set_xlabel(r"width $\omega$")
    ax2.set_ylabel("AT value at")
    ax2.set_title(r"replicon; dots: $\omega_c$ (at = 1)")
    panel_label(ax1, "a")
    panel_label(ax2, "b")
    # one legend for both panels, outside the axes: it hides no curve
    fig.legend(handles=handles + style, loc="outside lower center", ncol=4, frameon=False)
    return fig


def claims(data: dict) -> list:
    """What the caption states, checked on the data."""
    bits = data["bits"]
    w = arr(data["widths"])
    opt = [data["opt"][str(b)] for b in bits]
    crit = [data["crit"][str(b)] for b in bits]
    out = [("every point of every curve converged",
            all(all(data["curves"][str(b)]["converged"]) for b in bits))]
    ow = np.array([o["width"] for o in opt])
    oe = np.array([o["error"] for o in opt])
    out.append(("omega* is interior to the width range for every b", all(o["interior"] for o in opt)))
    out.append(("omega* grows with the number of bits", bool(np.all(np.diff(ow) > 0))))
    out.append(("the error at omega* decreases with the number of bits", bool(np.all(np.diff(oe) < 0))))
    out.append(("the optimum is RS-stable: omega* < omega_c and at(omega*) < 1 for every b",
                all(c is not None and o["width"] < c and o["at"] < 1 for o, c in zip(opt, crit))))
    for b, o in zip(bits, opt):  # the star is the minimum of its drawn curve
        g = arr(data["curves"][str(b)]["gen_error"])
        out.append((f"b={b}: no grid point of the curve lies below the star (gen_error "
                    f"{o['error']:.4f})", bool(np.nanmin(g) >= o["error"] - 1e-9)))
    for b, c in zip(bits, crit):  # the AT crossing is where the drawn at curve crosses 1
        if c is None or c > w[-1]:
            continue
        at = arr(data["curves"][str(b)]["at"])
        out.append((f"b={b}: the drawn at curve crosses 1 at omega_c = {c:.3f} (within one grid "
                    "step)", bool(np.interp(c - (w[1] - w[0]), w, at) < 1 < np.interp(c + (w[1] - w[0]), w, at))))
    out.append(("b = 1 and b = 2 enter the RSB phase (omega_c) inside the plotted range; "
                "b = 3, 4 do not", bool(crit[0] is not None and crit[0] < w[-1] and crit[1] is not None
                                        and crit[1] < w[-1] and all(c is None or c > w[-1] for c in crit[2:]))))
    return out


def caption(data: dict) -> str:
    """Caption with the measured optimal and critical widths."""
    parts = []
    for b in data["bits"]:
        o = data["opt"][str(b)]
        wc = data["crit"][str(b)]
        parts.append(f"b={b}: omega* = {o['width']:.3f} (gen_error {o['error']:.4f}, at {o['at']:.3f}), "
                     + (f"omega_c = {wc:.3f}" if wc is not None else "omega_c > 100"))
    return (
        "(b) Generalization error of a Gibbs sample, gen_error = rho - 2m + Q, vs the half-range "
        "omega of uniform b-bit levels, b = 1..4 (RS theory).\n"
        f"Parameters: {REF_TEXT}; {len(data['widths'])} widths in [{WIDTH_RANGE[0]}, "
        f"{WIDTH_RANGE[1]}] per curve (warm-started continuation).\n"
        "(a) gen_error (log scale); solid: RS stable (at < 1); dashed: at >= 1 (RS unstable, "
        "replica symmetry breaking: the RS curve is not the true error there).  Stars: optimal "
        "width omega* (coarse scan + bounded Brent minimisation).  (b) AT value at vs omega; "
        "dots: AT crossings omega_c.\n"
        "Measured: " + "; ".join(parts) + ".\n"
        "What it shows: too small a width clips the weights, too large a width wastes levels and, "
        "at few bits, enters the RSB phase; the optimum omega* is interior, RS-stable, grows with "
        "bits and its error decreases with bits.\n"
        f"Grid: {'quick (coarse)' if data['quick'] else 'full'} settings."
    )


def make(out_dir, quick: bool = False):
    """Compute and save ``gen_error_vs_width.png``, ``.txt`` and ``.json``."""
    return write_figure(out_dir, NAME, compute(quick), draw=draw, caption=caption, claims=claims,
                        quick=quick)
