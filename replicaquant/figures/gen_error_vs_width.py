"""(b) Generalization error vs quantization width for b = 1..4, optimal width marked, RSB dashed.

Left: ``gen_error = rho - 2m + Q`` of a Gibbs sample vs the width at the reference point, solid
where RS is stable (``at < 1``), dashed where ``at >= 1``; stars at the optimal width
``omega*`` (:func:`replicaquant.analysis.optimal_width`).  Right: the replicon value ``at`` vs
width with the AT crossings ``omega_c`` (:func:`replicaquant.analysis.at_line`).
"""
from __future__ import annotations

import numpy as np

from ..analysis import at_line, optimal_width, scan
from ..plotting import bit_color, new_figure, save_figure, stability_line
from ._common import REF_TEXT, field, ref_model

NAME = "gen_error_vs_width"
BITS = (1, 2, 3, 4)
WIDTH_RANGE = (0.05, 4.0)


def compute(quick: bool = False) -> dict:
    """Curves ``gen_error(width)``, ``at(width)``, ``omega*`` and ``omega_c`` for b = 1..4."""
    widths = np.linspace(*WIDTH_RANGE, 40 if quick else 240)
    out = dict(widths=widths, bits=np.array(BITS), quick=quick, curves={}, opt={}, crit={})
    for b in BITS:
        sols = scan(ref_model(b, 1.0), "width", widths)
        out["curves"][b] = dict(gen_error=field(sols, "gen_error"), at=field(sols, "at"),
                                converged=np.array([s.converged for s in sols]))
        o = optimal_width(ref_model(b, 1.0), bounds=WIDTH_RANGE, n_scan=24 if quick else 60)
        out["opt"][b] = dict(width=o.width, error=o.error, at=o.at, rs_stable=o.rs_stable,
                             interior=o.interior)
        r = at_line(ref_model(b, 1.0), "width", (0.05, 100.0), n_scan=24 if quick else 40, warn=False)
        out["crit"][b] = r.value if r.found else None
    return out


def plot(data: dict, out_dir):
    """Draw and save PNG + caption."""
    fig, (ax1, ax2) = new_figure(2, 1, width=3.5, height=3.0)
    w = data["widths"]
    for b in data["bits"]:
        c = data["curves"][b]
        col = bit_color(b)
        stability_line(ax1, w, c["gen_error"], c["at"], color=col, label=f"b = {b}")
        o = data["opt"][b]
        ax1.plot([o["width"]], [o["error"]], "*", color=col, mec="k", ms=11, zorder=5)
        ax2.plot(w, c["at"], color=col, label=f"b = {b}")
        wc = data["crit"][b]
        if wc is not None and wc <= w[-1]:
            ax2.plot([wc], [1.0], "o", color=col, mec="k", ms=5, zorder=5)
    ax1.plot([], [], "k-", label="RS stable (at < 1)")
    ax1.plot([], [], "k--", label="at ≥ 1 (RSB)")
    ax1.plot([], [], "k*", ms=9, ls="none", label=r"$\omega^*$")
    ax1.set_xlabel(r"width $\omega$")
    ax1.set_ylabel(r"gen_error $= \rho - 2m + Q$")
    ax1.set_ylim(0.2, 2.1)
    ax1.set_title(r"error vs width ($\alpha$ = 2, $\beta$ = 5)")
    ax1.legend(ncol=2, loc="upper right")
    ax2.axhline(1.0, color="k", lw=0.8)
    ax2.set_yscale("log")
    ax2.set_xlabel(r"width $\omega$")
    ax2.set_ylabel("AT value at")
    ax2.set_title(r"replicon; dots: $\omega_c$ (at = 1)")
    ax2.legend(loc="lower right")
    return save_figure(fig, out_dir, NAME, caption(data))


def caption(data: dict) -> str:
    """Caption with the measured optimal and critical widths."""
    parts = []
    for b in data["bits"]:
        o = data["opt"][b]
        wc = data["crit"][b]
        parts.append(f"b={b}: omega* = {o['width']:.3f} (gen_error {o['error']:.4f}, at {o['at']:.3f}), "
                     f"omega_c = {wc:.3f}" if wc is not None else
                     f"b={b}: omega* = {o['width']:.3f} (gen_error {o['error']:.4f}, at {o['at']:.3f}), "
                     "omega_c > 100")
    ow = np.array([data["opt"][b]["width"] for b in data["bits"]])
    trend = "grows" if np.all(np.diff(ow) > 0) else "does not grow monotonically"
    oe = np.array([data["opt"][b]["error"] for b in data["bits"]])
    etrend = "decreases" if np.all(np.diff(oe) < 0) else "is not monotone"
    inner = "interior" if all(data["opt"][b]["interior"] for b in data["bits"]) else "NOT always interior"
    return (
        "(b) Generalization error of a Gibbs sample, gen_error = rho - 2m + Q, vs the half-range "
        "omega of uniform b-bit levels, b = 1..4 (RS theory).\n"
        f"Parameters: {REF_TEXT}.\n"
        "Solid: RS stable (at < 1); dashed: at >= 1 (RS unstable, replica symmetry breaking: the "
        "RS curve is not the true error there).  Stars: optimal width omega* (coarse scan + "
        "bounded Brent minimisation).  Right: AT value at vs omega; dots: AT crossings omega_c.\n"
        "Measured: " + "; ".join(parts) + ".\n"
        f"omega* is {inner} and {trend} with bits; the error at omega* {etrend} with bits.  "
        "Too small a width clips the weights, too large a width wastes levels and, at few bits, "
        "enters the RSB phase.\n"
        f"Grid: {'quick (coarse)' if data['quick'] else 'full'} settings."
    )


def make(out_dir, quick: bool = False):
    """Compute and save ``gen_error_vs_width.png`` and ``.txt``."""
    return plot(compute(quick), out_dir)
