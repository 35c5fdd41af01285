"""(d) Low-temperature phase diagram: RS / d1RSB / 1RSB / FRSB with the dynamical, static, AT and Gardner lines.

Uniform levels, ``lam = 1e-4``, ``noise_var = 0.1``, Gaussian teacher ``rho = 1``.  Top row:
the ``(width, alpha)`` plane at ``beta = 50`` and ``100`` for ``b = 1`` and ``2``; at each width
:func:`replicaquant.transitions.transition_lines` scans ``alpha`` (markers: the phase of every
scanned point, :func:`replicaquant.phase`) and refines the four lines: dynamical (a nontrivial
``x = 1`` branch appears), static/Kauzmann (``Sigma(1) = 0``), AT (``at = 1``, dashed: the only
boundary the RS stability test sees) and Gardner (1RSB replicon = 1).  The first width of each
panel is the RS optimal width ``omega*`` at ``alpha = 1`` (:func:`replicaquant.optimal_width`).
Bottom left: the ``(width, T = 1/beta)`` plane of ``b = 2`` at ``alpha = 0.65``.  Bottom right:
the thermodynamic generalization error of the Gibbs mean along ``alpha`` at ``beta = 100``
(``b = 2``, width 1.5) next to the RS prediction.
"""
from __future__ import annotations

import math

import numpy as np

from ..analysis import optimal_width
from ..model import Model
from ..plotting import new_figure
from ..transitions import transition_lines
from ._common import arr, write_figure

NAME = "phase_lowT"
EXPENSIVE = True  # full run: minutes (1RSB branch searches at beta = 50, 100)
BASE = dict(lam=1e-4, noise_var=0.1)
PANELS = ((1, 50.0), (1, 100.0), (2, 50.0), (2, 100.0))
LABEL_COLORS = {"RS": "#bbbbbb", "d1RSB": "#2c7fb8", "1RSB": "#d95f0e", "FRSB": "#7b3294"}
LINE_STYLES = {"dynamical": ("#2c7fb8", "-", "o"), "static": ("#d95f0e", "-", "s"),
               "AT": ("k", "--", "^"), "Gardner": ("#7b3294", ":", "d")}


def _model(bits, width, beta, alpha=1.0) -> Model:
    return Model.uniform(bits, width, alpha=alpha, beta=beta, **BASE)


def _plan(quick: bool) -> dict:
    if quick:
        return dict(panels=((2, 100.0),), extra_widths={1: (3.0,), 2: (1.5,)}, n_scan=4,
                    alpha=(0.3, 1.2), T_widths=(1.5,), T_bracket=(0.006, 0.03), T_scan=4,
                    gen_alphas=np.linspace(0.3, 1.2, 5))
    return dict(panels=PANELS, extra_widths={1: (1.5, 3.0), 2: (1.5, 2.5)}, n_scan=9,
                alpha=(0.2, 1.6), T_widths=(1.0, 1.5, 2.0), T_bracket=(0.004, 0.04), T_scan=7,
                gen_alphas=np.linspace(0.25, 1.5, 11))


def _line_values(tl) -> dict:
    return {k: (float(p.value) if p.found else None) for k, p in tl.lines.items()}


def compute(quick: bool = False) -> dict:
    """Transition lines and phase labels (module docstring)."""
    plan = _plan(quick)
    out = {"quick": quick, "panels": [], "T_panel": {}, "gen": {}}
    for bits, beta in plan["panels"]:
        ow = optimal_width(_model(bits, 1.0, beta), bounds=(0.05, 6.0), n_scan=12 if quick else 24)
        widths = [float(ow.width)] + [w for w in plan["extra_widths"][bits] if abs(w - ow.width) > 0.05]
        rows = []
        for w in widths:
            tl = transition_lines(_model(bits, w, beta), "alpha", plan["alpha"], n_scan=plan["n_scan"],
                                  xtol=1e-3)
            rows.append({"width": w, "lines": _line_values(tl), "alphas": list(tl.values),
                         "labels": list(tl.labels), "scan": list(tl.scan),
                         "sides": {k: {"below": p.below, "above": p.above} for k, p in tl.lines.items()}})
        out["panels"].append({"bits": bits, "beta": beta, "omega_star": float(ow.width), "rows": rows})
    rows = []
    for w in plan["T_widths"]:
        tl = transition_lines(_model(2, w, 100.0, alpha=0.65), "T", plan["T_bracket"],
                              n_scan=plan["T_scan"], xtol=1e-4)
        rows.append({"width": w, "lines": _line_values(tl), "Ts": list(tl.values),
                     "labels": list(tl.labels), "scan": list(tl.scan)})
    out["T_panel"] = {"bits": 2, "alpha": 0.65, "rows": rows}
    tl = transition_lines(_model(2, 1.5, 100.0), "alpha", values=plan["gen_alphas"], kinds=("AT",))
    out["gen"] = {"bits": 2, "width": 1.5, "beta": 100.0, "alphas": list(tl.values),
                  "labels": list(tl.labels),
                  "gen_error_mean": [s["gen_error_mean"] for s in tl.scan],
                  "gen_error_mean_rs": [s["gen_error_mean_rs"] for s in tl.scan],
                  "free_energy": [s["free_energy"] for s in tl.scan],
                  "free_energy_rs": [s["free_energy_rs"] for s in tl.scan]}
    return out


def _draw_plane(ax, rows, xkey, ykey):
    for row in rows:
        for a, lab in zip(row[ykey], row["labels"]):
            ax.scatter([row["width"]], [a], s=14, color=LABEL_COLORS.get(lab, "w"), zorder=2,
                       edgecolors="none")
    ws = [r["width"] for r in rows]
    order = np.argsort(ws)
    for kind, (c, ls, mk) in LINE_STYLES.items():
        ys = arr([rows[i]["lines"].get(kind) for i in order])
        if np.any(np.isfinite(ys)):
            ax.plot(np.asarray(ws)[order], ys, color=c, ls=ls, marker=mk, ms=4, lw=1.2, label=kind, zorder=3)
    ax.set_xlabel("width $\\omega$")


def draw(data):
    """The figure from the (JSON round-tripped) data."""
    panels = data["panels"]
    ncols = max(len(panels), 2)
    fig, axes = new_figure(ncols, 2, width=3.3, height=2.9)
    axes = np.atleast_2d(axes)
    for j, p in enumerate(panels):
        ax = axes[0, j]
        _draw_plane(ax, p["rows"], "width", "alphas")
        ax.axvline(p["omega_star"], color="0.6", lw=0.6)
        ax.set_ylabel("$\\alpha$")
        ax.set_title(f"b = {p['bits']}, $\\beta$ = {p['beta']:g}", fontsize=9)
    for j in range(len(panels), ncols):
        axes[0, j].axis("off")
    ax = axes[1, 0]
    _draw_plane(ax, data["T_panel"]["rows"], "width", "Ts")
    ax.set_ylabel("T = 1/$\\beta$")
    ax.set_title(f"b = 2, $\\alpha$ = {data['T_panel']['alpha']}", fontsize=9)
    for lab, c in LABEL_COLORS.items():
        ax.scatter([], [], color=c, s=14, label=lab)
    ax.legend(fontsize=6, ncol=2, loc="best")
    ax = axes[1, 1]
    g = data["gen"]
    al = arr(g["alphas"])
    ax.plot(al, arr(g["gen_error_mean_rs"]), "k--", label="RS")
    ax.plot(al, arr(g["gen_error_mean"]), color="#d95f0e", marker="o", ms=3, label="thermodynamic (phase)")
    ax.set_xlabel("$\\alpha$")
    ax.set_ylabel("gen. error of the Gibbs mean")
    ax.set_title(f"b = 2, $\\omega$ = {g['width']}, $\\beta$ = {g['beta']:g}", fontsize=9)
    ax.legend(fontsize=7)
    for j in range(2, ncols):
        axes[1, j].axis("off")
    return fig


def _rows(data):
    for p in data["panels"]:
        yield from p["rows"]
    yield from data["T_panel"]["rows"]


def claims(data) -> list:
    """What the caption says, checked on the drawn data."""
    out = []
    ordered = True
    n3 = 0
    for r in [r for p in data["panels"] for r in p["rows"]]:
        d, s, a = (r["lines"].get(k) for k in ("dynamical", "static", "AT"))
        if d is not None and s is not None and a is not None:
            n3 += 1
            ordered &= d <= s <= a
    out.append((f"where the dynamical, static and AT lines are all found along alpha ({n3} widths), "
                "dynamical <= static <= AT", ordered))
    ge = True
    for r in _rows(data):
        for s in r["scan"]:
            ge &= s["free_energy"] >= s["free_energy_rs"] - 1e-9
    out.append(("at every scanned point the thermodynamic f >= f_RS (Parisi maximum)", ge))
    rs_ok = True
    for r in _rows(data):
        for s in r["scan"]:
            if s["label"] == "RS":
                rs_ok &= s["at"] < 1 and abs(s["free_energy"] - s["free_energy_rs"]) < 1e-12
    out.append(("every point labelled RS has at < 1 and f = f_RS", rs_ok))
    hidden = any(s["label"] in ("1RSB", "FRSB", "d1RSB") and s["at"] < 1
                 for r in _rows(data) for s in r["scan"])
    out.append(("some points are glassy (d1RSB/1RSB/FRSB) although at < 1: the AT line alone "
                "misses part of the glass phase", hidden))
    g = data["gen"]
    diff_ok = all((lab in ("1RSB", "FRSB")) or abs(a - b) < 1e-9
                  for lab, a, b in zip(g["labels"], g["gen_error_mean"], g["gen_error_mean_rs"]))
    out.append(("thermodynamic and RS generalization errors coincide outside the static 1RSB/FRSB "
                "points", diff_ok))
    return out


def caption(data) -> str:
    """Caption with the measured line positions."""
    lines = [__doc__.strip().splitlines()[0], ""]
    for p in data["panels"]:
        lines.append(f"b = {p['bits']}, beta = {p['beta']:g} (omega* = {p['omega_star']:.4g}):")
        for r in p["rows"]:
            vals = ", ".join(f"{k} {('%.4g' % v) if v is not None else '-'}" for k, v in r["lines"].items())
            lines.append(f"  width {r['width']:.4g}: alpha_c: {vals}")
    tp = data["T_panel"]
    lines.append(f"b = 2, alpha = {tp['alpha']} (T axis):")
    for r in tp["rows"]:
        vals = ", ".join(f"{k} {('%.4g' % v) if v is not None else '-'}" for k, v in r["lines"].items())
        lines.append(f"  width {r['width']:.4g}: T_c: {vals}")
    if data["quick"]:
        lines.append("QUICK run: one panel, coarse scans (n_scan 4); lines are bracketed only on that grid.")
    return "\n".join(lines)


def make(out_dir, quick: bool = False):
    """Write phase_lowT.png/.txt/.json into ``out_dir``."""
    return write_figure(out_dir, NAME, compute(quick), draw=draw, caption=caption, claims=claims,
                        quick=quick)
