"""(d) Low-temperature phase diagram: RS / d1RSB / 1RSB / FRSB with the dynamical, static, AT and Gardner lines.

Uniform levels, ``lam = 1e-4``, ``noise_var = 0.1``, Gaussian teacher ``rho = 1``.  Top row:
the ``(width, alpha)`` plane at ``beta = 50`` and ``100`` for ``b = 1`` and ``2``, 11 widths per
panel (:data:`WIDTHS` and the RS optimal width ``omega*`` at ``alpha = 1``,
:func:`replicaquant.optimal_width`); at each width
:func:`replicaquant.transitions.transition_lines` scans ``alpha`` on 16 points (cells: the phase
of every scanned point, :func:`replicaquant.phase.phase_line`) and refines the four lines:
dynamical (a nontrivial ``x = 1`` branch appears), static/Kauzmann (``Sigma(1) = 0``), AT
(``at = 1``, dashed: the only boundary the RS stability test sees) and Gardner (1RSB replicon
= 1).  Bottom row: the ``(width, T = 1/beta)`` plane of ``b = 2`` at ``alpha = 0.65`` (8 widths,
10 temperatures), the legend, and the thermodynamic generalization error of the Gibbs mean along
``alpha`` at ``beta = 100`` (``b = 2``, width ``omega*`` and 1.5) next to the RS prediction.
The full run is one task per width (``transition_lines``), on :data:`WORKERS` processes.
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
EXPENSIVE = True  # full run: ~1 min of CPU (1RSB branch searches at beta = 50, 100), 2 processes
BASE = dict(lam=1e-4, noise_var=0.1)
PANELS = ((1, 50.0), (1, 100.0), (2, 50.0), (2, 100.0))
LABEL_COLORS = {"RS": "#bbbbbb", "d1RSB": "#2c7fb8", "1RSB": "#d95f0e", "FRSB": "#7b3294"}
LINE_STYLES = {"dynamical": ("#2c7fb8", "-", "o"), "static": ("#d95f0e", "-", "s"),
               "AT": ("k", "--", "^"), "Gardner": ("#7b3294", ":", "d")}
#: widths of each (width, alpha) panel besides the RS optimal width omega* (added to them)
WIDTHS = {1: (0.35, 0.45, 0.8, 1.0, 1.25, 1.5, 1.8, 2.2, 2.6, 3.0),
          2: (0.6, 0.8, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 2.75, 3.0)}
T_WIDTHS = (0.8, 1.0, 1.25, 1.5, 1.75, 2.0, 2.5, 3.0)
WORKERS = 2  # processes of the full run (one transition_lines call per task)


def _model(bits, width, beta, alpha=1.0) -> Model:
    return Model.uniform(bits, width, alpha=alpha, beta=beta, **BASE)


def _plan(quick: bool) -> dict:
    if quick:
        return dict(panels=((2, 100.0),), widths={2: (1.5,)}, n_scan=4, alpha=(0.3, 1.2),
                    T_widths=(1.5,), T_bracket=(0.006, 0.03), T_scan=4,
                    gen=((2, 1.5),), gen_alphas=np.linspace(0.3, 1.2, 5), workers=1)
    return dict(panels=PANELS, widths=WIDTHS, n_scan=16, alpha=(0.1, 1.6), T_widths=T_WIDTHS,
                T_bracket=(0.004, 0.04), T_scan=10, gen=((2, None), (2, 1.5)),
                gen_alphas=np.linspace(0.2, 1.6, 29), workers=WORKERS)


def _line_values(tl) -> dict:
    return {k: (float(p.value) if p.found else None) for k, p in tl.lines.items()}


def _row(task) -> dict:
    """One task of the run: transition lines of one width along ``alpha`` (``kind = "alpha"``)
    or ``T`` (``kind = "T"``), or the phase along ``alpha`` for the error panel (``"gen"``)."""
    kind, bits, width, beta, args = task
    if kind == "gen":
        from ..phase import phase_line

        reps = phase_line([_model(bits, width, beta, alpha=float(a)) for a in args["alphas"]],
                          warn=False)
        return {"bits": bits, "width": width, "beta": beta, "alphas": [float(a) for a in args["alphas"]],
                "labels": [r.label for r in reps], "converged": [bool(r.converged) for r in reps],
                "gen_error_mean": [float(r.gen_error_mean) for r in reps],
                "gen_error_mean_rs": [float(r.rs.gen_error_mean) for r in reps],
                "free_energy": [float(r.free_energy) for r in reps],
                "free_energy_rs": [float(r.free_energy_rs) for r in reps]}
    model = _model(bits, width, beta, alpha=args.get("alpha", 1.0))
    tl = transition_lines(model, kind, args["bracket"], n_scan=args["n_scan"], xtol=args["xtol"])
    key = "alphas" if kind == "alpha" else "Ts"
    return {"width": width, "lines": _line_values(tl), key: list(tl.values),
            "labels": list(tl.labels), "scan": list(tl.scan),
            "sides": {k: {"below": p.below, "above": p.above} for k, p in tl.lines.items()}}


def _run(tasks, workers: int) -> list:
    """``_row`` of every task, in order; ``workers > 1``: a process pool (tasks are independent)."""
    if workers <= 1:
        return [_row(t) for t in tasks]
    import concurrent.futures as cf
    import multiprocessing as mp

    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
        return list(pool.map(_row, tasks))


def compute(quick: bool = False) -> dict:
    """Transition lines and phase labels (module docstring)."""
    plan = _plan(quick)
    out = {"quick": quick, "panels": [], "T_panel": {}, "gen": {}}
    tasks, where = [], []
    for bits, beta in plan["panels"]:
        ow = optimal_width(_model(bits, 1.0, beta), bounds=(0.05, 6.0), n_scan=12 if quick else 24)
        widths = sorted([float(ow.width)] + [w for w in plan["widths"][bits] if abs(w - ow.width) > 0.05])
        out["panels"].append({"bits": bits, "beta": beta, "omega_star": float(ow.width), "rows": []})
        for w in widths:
            tasks.append(("alpha", bits, w, beta, dict(bracket=plan["alpha"], n_scan=plan["n_scan"], xtol=1e-3)))
            where.append(out["panels"][-1]["rows"])
    out["T_panel"] = {"bits": 2, "alpha": 0.65, "rows": []}
    for w in plan["T_widths"]:
        tasks.append(("T", 2, float(w), 100.0, dict(alpha=0.65, bracket=plan["T_bracket"],
                                                    n_scan=plan["T_scan"], xtol=1e-4)))
        where.append(out["T_panel"]["rows"])
    gen = []
    for bits, w in plan["gen"]:
        if w is None:  # the RS optimal width at beta = 100, alpha = 1
            w = float(optimal_width(_model(bits, 1.0, 100.0), bounds=(0.05, 6.0), n_scan=24).width)
        tasks.append(("gen", bits, float(w), 100.0, dict(alphas=plan["gen_alphas"])))
        where.append(gen)
    for dest, res in zip(where, _run(tasks, plan["workers"])):
        dest.append(res)
    out["gen"] = {"beta": 100.0, "curves": gen}
    return out


def _edges(v) -> np.ndarray:
    """Cell edges around the (sorted) values ``v``: midpoints, the ends extended by half a step."""
    v = np.asarray(v, dtype=float)
    if v.size == 1:
        return np.array([v[0] - 0.05, v[0] + 0.05])
    mid = 0.5 * (v[1:] + v[:-1])
    return np.concatenate([[v[0] - (mid[0] - v[0])], mid, [v[-1] + (v[-1] - mid[-1])]])


def _draw_plane(ax, rows, ykey):
    """Regions: every scanned point's phase as a cell (nearest-point tiling of the scan grid);
    lines: the refined transitions of each width (markers) joined across widths."""
    from matplotlib.colors import ListedColormap

    order = np.argsort([r["width"] for r in rows])
    rows = [rows[i] for i in order]
    ws = np.array([r["width"] for r in rows])
    ys = np.asarray(rows[0][ykey], dtype=float)
    codes = np.full((ys.size, ws.size), np.nan)
    names = list(LABEL_COLORS)
    for j, r in enumerate(rows):
        for i, lab in enumerate(r["labels"]):
            codes[i, j] = names.index(lab) if lab in names else np.nan
    cmap = ListedColormap([LABEL_COLORS[n] for n in names])
    ax.pcolormesh(_edges(ws), _edges(ys), np.ma.masked_invalid(codes), cmap=cmap, vmin=-0.5,
                  vmax=len(names) - 0.5, alpha=0.45, shading="flat", zorder=1, linewidth=0)
    bad = [(r["width"], y) for r in rows for y, s in zip(r[ykey], r["scan"]) if not s["converged"]]
    if bad:
        ax.scatter(*zip(*bad), marker="x", s=10, color="0.25", lw=0.7, zorder=2)
    for kind, (c, ls, mk) in LINE_STYLES.items():
        yv = arr([r["lines"].get(kind) for r in rows])
        if np.any(np.isfinite(yv)):
            lab = "AT (the RS stability test alone)" if kind == "AT" else kind
            ax.plot(ws, yv, color=c, ls=ls, marker=mk, ms=3.5, lw=1.3, label=lab, zorder=3)
    ax.set_xlim(_edges(ws)[0], _edges(ws)[-1])
    ax.set_ylim(_edges(ys)[0], _edges(ys)[-1])
    ax.set_xlabel("width $\\omega$")


def draw(data):
    """The figure from the (JSON round-tripped) data."""
    panels = data["panels"]
    ncols = max(len(panels), 2 + len(data["gen"]["curves"]))
    fig, axes = new_figure(ncols, 2, width=3.4, height=3.0)
    axes = np.atleast_2d(axes)
    for j, p in enumerate(panels):
        ax = axes[0, j]
        _draw_plane(ax, p["rows"], "alphas")
        ax.axvline(p["omega_star"], color="0.3", lw=0.6, ls="-.")
        ax.set_ylabel("$\\alpha$")
        ax.set_title(f"b = {p['bits']}, $\\beta$ = {p['beta']:g} ({len(p['rows'])} widths)", fontsize=9)
    for j in range(len(panels), ncols):
        axes[0, j].axis("off")
    ax = axes[1, 0]
    _draw_plane(ax, data["T_panel"]["rows"], "Ts")
    ax.set_ylabel("T = 1/$\\beta$")
    ax.set_title(f"b = 2, $\\alpha$ = {data['T_panel']['alpha']}", fontsize=9)
    ax = axes[1, 1]
    for lab, c in LABEL_COLORS.items():
        ax.scatter([], [], color=c, s=30, marker="s", alpha=0.6, label=lab)
    if any(not s["converged"] for r in _rows(data) for s in r["scan"]):
        ax.scatter([], [], marker="x", s=12, color="0.25", label="x* not located")
    for kind, (c, ls, mk) in LINE_STYLES.items():
        ax.plot([], [], color=c, ls=ls, marker=mk, ms=3.5,
                label="AT (RS stability test alone)" if kind == "AT" else f"{kind} line")
    ax.legend(fontsize=7, ncol=2, loc="center")
    ax.axis("off")
    g = data["gen"]
    for k, cur in enumerate(g["curves"]):
        ax = axes[1, 2 + k]
        al = arr(cur["alphas"])
        ax.plot(al, arr(cur["gen_error_mean_rs"]), "k--", lw=1.2, label="RS")
        ax.plot(al, arr(cur["gen_error_mean"]), color="0.4", lw=0.8, zorder=2)
        for lab, c in LABEL_COLORS.items():
            sel = np.array([x == lab for x in cur["labels"]])
            if sel.any():
                ax.scatter(al[sel], arr(cur["gen_error_mean"])[sel], color=c, s=12, zorder=3,
                           label=f"thermodynamic ({lab})")
        ax.set_xlabel("$\\alpha$")
        ax.set_ylabel("gen. error of the Gibbs mean")
        ax.set_title(f"b = {cur['bits']}, $\\omega$ = {cur['width']:.3g}, $\\beta$ = {cur['beta']:g}",
                     fontsize=9)
        ax.legend(fontsize=6)
    return fig


def _rows(data):
    for p in data["panels"]:
        yield from p["rows"]
    yield from data["T_panel"]["rows"]


def _changes_bracketed(row, key) -> bool:
    """Every change of label between neighbouring converged scan points of ``row`` has a
    refined line (of any kind) between them: the drawn regions and lines agree."""
    vals, labs, ok = row[key], row["labels"], [s["converged"] for s in row["scan"]]
    lines = [v for v in row["lines"].values() if v is not None]
    for a, b, la, lb, ca, cb in zip(vals, vals[1:], labs, labs[1:], ok, ok[1:]):
        if ca and cb and la != lb and not any(a <= v <= b for v in lines):
            return False
    return True


def claims(data) -> list:
    """What the caption says, checked on the drawn data."""
    out = []
    panels = data["panels"]
    nmin = min(len(p["rows"]) for p in panels)
    if data["quick"]:
        out.append((f"quick run: {nmin} width(s) per panel (the full run draws >= 8)", nmin >= 1))
    else:
        out.append((f"every (width, alpha) panel is a diagram of >= 8 widths (fewest: {nmin}), each "
                    f"scanned on the same alpha grid", nmin >= 8))
    ordered = True
    n3 = 0
    for r in [r for p in panels for r in p["rows"]]:
        d, s, a = (r["lines"].get(k) for k in ("dynamical", "static", "AT"))
        if d is not None and s is not None and a is not None:
            n3 += 1
            ordered &= d <= s <= a
    out.append((f"where the dynamical, static and AT lines are all found along alpha ({n3} widths), "
                "dynamical <= static <= AT", ordered))
    n_rows = sum(1 for _ in _rows(data))
    n_ok = sum(_changes_bracketed(r, "alphas" if "alphas" in r else "Ts") for r in _rows(data))
    out.append((f"every change of phase between neighbouring converged scanned points lies across "
                f"a drawn line ({n_ok}/{n_rows} scans)", n_ok == n_rows))
    bad = [(s, r) for r in _rows(data) for s in r["scan"] if not s["converged"]]
    bits_bad = sorted({p["bits"] for p in panels for r in p["rows"] for s in r["scan"] if not s["converged"]})
    if bad:
        out.append((f"{len(bad)} scanned points (marked x; bits {bits_bad}) are not converged: FRSB "
                    "with at > 1 whose 1RSB maximum was not located (f is a lower bound); the "
                    "Gardner line is not resolved next to them",
                    all(s["label"] == "FRSB" and s["at"] > 1 for s, _ in bad)))
    else:
        n_pts = sum(len(r["scan"]) for r in _rows(data))
        out.append((f"every scanned point is converged ({n_pts} points; none marked x)", True))
    ge = all(s["free_energy"] >= s["free_energy_rs"] - 1e-9 for r in _rows(data) for s in r["scan"])
    ge &= all(f >= f_rs - 1e-9 for c in data["gen"]["curves"]
              for f, f_rs in zip(c["free_energy"], c["free_energy_rs"]))
    out.append(("at every computed point the thermodynamic f >= f_RS (Parisi maximum)", ge))
    rs_ok = all(s["at"] < 1 and abs(s["free_energy"] - s["free_energy_rs"]) < 1e-12
                for r in _rows(data) for s in r["scan"] if s["label"] == "RS")
    out.append(("every point labelled RS has at < 1 and f = f_RS", rs_ok))
    hidden = sum(s["label"] in ("1RSB", "FRSB") and s["at"] < 1 for r in _rows(data) for s in r["scan"])
    out.append((f"{hidden} scanned points are static 1RSB/FRSB although at < 1: the AT line "
                "alone misses part of the glass phase", hidden > 0))
    beyond = [(r, p) for p in panels for r in p["rows"]
              if r["lines"].get("static") is not None and r["lines"].get("AT") is not None
              and r["lines"]["static"] < r["lines"]["AT"]]
    out.append((f"at {len(beyond)} widths the static (Kauzmann) line precedes the AT line",
                len(beyond) > 0))
    diff_ok = all((lab in ("1RSB", "FRSB")) or abs(a - b) < 1e-9
                  for c in data["gen"]["curves"]
                  for lab, a, b in zip(c["labels"], c["gen_error_mean"], c["gen_error_mean_rs"]))
    out.append(("thermodynamic and RS generalization errors coincide outside the static 1RSB/FRSB "
                "points", diff_ok))
    return out


def caption(data) -> str:
    """Caption with the measured line positions."""
    lines = [__doc__.strip().splitlines()[0], "",
             "Cells: the phase of every scanned point (grey RS, blue d1RSB, orange 1RSB, purple FRSB);",
             "lines: the transitions refined at each width (dynamical, static/Kauzmann, AT dashed = the",
             "only boundary the RS stability test sees, Gardner dotted); dash-dotted: omega* (RS optimal",
             "width at alpha = 1); x (if any): the 1RSB maximum was not located (FRSB, f a lower",
             "bound).", ""]
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
    for c in data["gen"]["curves"]:
        lab = [(a, la) for a, la in zip(c["alphas"], c["labels"])]
        glass = [a for a, la in lab if la in ("1RSB", "FRSB")]
        gap = max((abs(x - y) for x, y in zip(c["gen_error_mean"], c["gen_error_mean_rs"])), default=0.0)
        lines.append(f"gen. error (b = {c['bits']}, width {c['width']:.4g}, beta = {c['beta']:g}): "
                     + (f"static 1RSB/FRSB for alpha in [{min(glass):.3g}, {max(glass):.3g}] "
                        f"(largest |thermodynamic - RS| = {gap:.3g})" if glass else "RS/d1RSB throughout"))
    if data["quick"]:
        lines.append("QUICK run: one panel, coarse scans (n_scan 4); lines are bracketed only on that grid.")
    return "\n".join(lines)


def make(out_dir, quick: bool = False):
    """Write phase_lowT.png/.txt/.json into ``out_dir``."""
    return write_figure(out_dir, NAME, compute(quick), draw=draw, caption=caption, claims=claims,
                        quick=quick)
