"""RS vs 1RSB vs Monte Carlo across the AT line: errors, overlaps and P(q) at b = 2.

Uniform 2-bit levels at alpha = 2, beta = 5, lam = 1e-3, noise_var = 0.1 (Gaussian teacher,
rho = 1), as a function of the width omega through the AT line (omega_c ~ 2.3).  Panels:
(a) generalization error ``rho - 2m + Q`` and (b) training error: RS solid where ``at < 1``,
dashed where ``at > 1``; 1RSB (``replicaquant.rsb.solve_1rsb``, drawn where it differs from RS,
only if that module is available); Monte Carlo points (heat bath + parallel tempering, mean
+- standard error over instances at finite d).  (c) overlaps ``q`` (RS), ``q0, q1`` and the mean
overlap ``x q0 + (1-x) q1`` (1RSB), ``Q``; Monte Carlo ``q`` and ``Q``.  (d) the Monte Carlo
overlap distribution ``P(q)`` on both sides of the AT line, with the RS ``q`` and the 1RSB
``q0, q1`` marked.
"""
from __future__ import annotations

import importlib.util
import json
import math
import pathlib
import time

import numpy as np

from ..montecarlo import monte_carlo, theory_observables
from ..plotting import new_figure, save_figure, stability_line, write_text_atomic
from ..rs import solve_rs
from ._common import REF_TEXT, ref_model

NAME = "rsb_vs_mc"
BITS = 2


def _settings(quick: bool) -> dict:
    if quick:
        return dict(widths_theory=np.arange(1.25, 3.51, 0.125), mc_widths=(1.5, 2.25, 3.0),
                    pq_widths=(1.5, 3.0), d=80, instances=3, sweeps=600, burn_in=300, temps=6,
                    beta_min=1.0, seed=0)
    return dict(widths_theory=np.arange(1.25, 3.51, 0.05), mc_widths=(1.5, 2.0, 2.5, 3.0, 3.5),
                pq_widths=(1.5, 3.0), d=250, instances=8, sweeps=3000, burn_in=2000, temps=10,
                beta_min=1.0, seed=0)


def _have_rsb() -> bool:
    return importlib.util.find_spec("replicaquant.rsb") is not None


def compute(quick: bool = False) -> dict:
    """Theory lines (RS, and 1RSB when available) and Monte Carlo points of the figure."""
    s = _settings(quick)
    widths = s["widths_theory"]
    rs, prev = [], None
    for w in widths:
        sol = solve_rs(ref_model(BITS, float(w)), init=prev if prev is not None else "multi",
                       warn=False)
        if not sol.converged:
            sol = solve_rs(ref_model(BITS, float(w)), init="multi", warn=False)
        rs.append(sol)
        prev = sol if sol.converged else None
    data = {"settings": {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in s.items()},
            "widths": widths, "rs": [theory_observables(x) | {"at": x.at, "converged": x.converged}
                                     for x in rs]}

    rsb = [None] * widths.size
    if _have_rsb():
        from ..rsb import solve_1rsb

        prev = None
        for i, w in enumerate(widths):
            if rs[i].at < 1.0:
                continue  # RS stable: 1RSB collapses onto RS (checked by the 1RSB tests)
            sol = solve_1rsb(ref_model(BITS, float(w)), init=prev, warn=False)
            if not sol.converged and prev is not None:
                sol = solve_1rsb(ref_model(BITS, float(w)), warn=False)
            if sol.converged and sol.rsb:
                rsb[i] = theory_observables(sol) | {"x": sol.x, "q0": sol.q0, "q1": sol.q1,
                                                    "free_energy": sol.free_energy}
                prev = sol
    data["rsb"] = rsb
    data["rsb_available"] = _have_rsb()

    mc = {}
    for w in s["mc_widths"]:
        model = ref_model(BITS, float(w))
        t0 = time.perf_counter()
        res = monte_carlo(model, s["d"], instances=s["instances"], sweeps=s["sweeps"],
                          burn_in=s["burn_in"], temps=s["temps"], beta_min=s["beta_min"],
                          seed=s["seed"])
        mc[float(w)] = {"values": {k: getattr(res, k) for k in ("m", "Q", "q", "energy", "train_error",
                                                                 "gen_error", "gen_error_mean")},
                        "errors": {k: getattr(res, k + "_err") for k in ("m", "Q", "q", "energy",
                                                                          "train_error", "gen_error",
                                                                          "gen_error_mean")},
                        "q_var": res.q_var, "q_edges": res.q_edges, "q_hist": res.q_hist,
                        "swap_acceptance": res.swap_acceptance,
                        "equilibration_z": res.equilibration_z, "seconds": time.perf_counter() - t0}
    data["mc"] = mc
    data["quick"] = quick
    return data


def _nearest(widths, w):
    return int(np.argmin(np.abs(np.asarray(widths) - w)))


def plot(data: dict, out_dir) -> list:
    """Draw the four panels, save PNG + caption (+ the numbers as JSON)."""
    widths = np.asarray(data["widths"])
    rs, rsb, mc = data["rs"], data["rsb"], data["mc"]
    at = np.array([r["at"] for r in rs])
    fig, axes = new_figure(2, 2, width=3.5, height=2.8)
    (ax_g, ax_t), (ax_q, ax_p) = axes
    mcw = np.array(sorted(mc))
    has_rsb = any(r is not None for r in rsb)
    ri = [i for i, r in enumerate(rsb) if r is not None]

    for ax, key, label in ((ax_g, "gen_error", r"gen. error $\rho - 2m + Q$"),
                           (ax_t, "train_error", "training error")):
        stability_line(ax, widths, [r[key] for r in rs], at, color="C0", label="RS")
        if has_rsb:
            ax.plot(widths[ri], [rsb[i][key] for i in ri], color="C3", label="1RSB")
        ax.errorbar(mcw, [mc[w]["values"][key] for w in mcw], yerr=[mc[w]["errors"][key] for w in mcw],
                    fmt="o", color="k", ms=3.5, capsize=2, label=f"MC, d={data['settings']['d']}")
        ax.set_xlabel(r"width $\omega$")
        ax.set_ylabel(label)
        ax.legend(loc="upper left")
    stability_line(ax_q, widths, [r["q"] for r in rs], at, color="C0", label="RS $q$")
    stability_line(ax_q, widths, [r["Q"] for r in rs], at, color="C2", label="RS $Q$")
    if has_rsb:
        ax_q.plot(widths[ri], [rsb[i]["q0"] for i in ri], color="C3", lw=1.0, label="1RSB $q_0, q_1$")
        ax_q.plot(widths[ri], [rsb[i]["q1"] for i in ri], color="C3", lw=1.0)
        ax_q.plot(widths[ri], [rsb[i]["q"] for i in ri], color="C3", ls=":",
                  label=r"1RSB $xq_0 + (1-x)q_1$")
        ax_q.plot(widths[ri], [rsb[i]["Q"] for i in ri], color="C1", lw=1.0, label="1RSB $Q$")
    ax_q.errorbar(mcw, [mc[w]["values"]["q"] for w in mcw], yerr=[mc[w]["errors"]["q"] for w in mcw],
                  fmt="o", color="k", ms=3.5, capsize=2, label="MC $q$")
    ax_q.errorbar(mcw, [mc[w]["values"]["Q"] for w in mcw], yerr=[mc[w]["errors"]["Q"] for w in mcw],
                  fmt="s", mfc="none", color="k", ms=3.5, capsize=2, label="MC $Q$")
    ax_q.set_xlabel(r"width $\omega$")
    ax_q.set_ylabel("overlaps")
    ax_q.legend(loc="upper left", fontsize=6)

    for j, w in enumerate(data["settings"]["pq_widths"]):
        w = float(w)
        if w not in mc:
            continue
        edges = np.asarray(mc[w]["q_edges"])
        hist = np.asarray(mc[w]["q_hist"])
        col = f"C{j * 3}"
        i = _nearest(widths, w)
        phase = "RS stable" if at[i] < 1 else "RSB"
        ax_p.stairs(hist, edges, color=col, label=fr"MC $\omega$={w:g} ({phase}, at={at[i]:.2f})")
        ax_p.axvline(rs[i]["q"], color=col, ls="--", lw=1.0)
        if rsb[i] is not None:
            for qq in (rsb[i]["q0"], rsb[i]["q1"]):
                ax_p.axvline(qq, color=col, ls=":", lw=1.2)
    nz = [np.asarray(mc[float(w)]["q_edges"])[:-1][np.asarray(mc[float(w)]["q_hist"]) > 0]
          for w in data["settings"]["pq_widths"] if float(w) in mc]
    if nz:
        lo = min(float(a.min()) for a in nz if a.size)
        hi = max(float(a.max()) for a in nz if a.size)
        ax_p.set_xlim(lo - 0.1, hi + 0.15)
    ax_p.set_xlabel(r"$q_{ab} = w^a\cdot w^b/d$")
    ax_p.set_ylabel(r"$P(q)$")
    ax_p.legend(loc="upper left", fontsize=6, title="dashed: RS q; dotted: 1RSB q0, q1",
                title_fontsize=6)

    st = data["settings"]
    lines = [f"RS vs 1RSB vs Monte Carlo across the AT line, b = {BITS} uniform levels, {REF_TEXT}.",
             "RS solid where at < 1, dashed where at > 1; "
             + ("1RSB (solve_1rsb, Parisi x maximising f) where q1 > q0. " if data["rsb_available"]
                else "1RSB not drawn: replicaquant.rsb is not available. ")
             + f"Monte Carlo: d = {st['d']}, n = 2d, {st['instances']} instances, 2 replicas, "
               f"{st['temps']} tempering temperatures geometric in [{st['beta_min']:g}, 5], "
               f"{st['burn_in']} burn-in + {st['sweeps']} measurement sweeps; error bars = standard "
               "error over instances; gen. error uses |w0|^2/d of each instance.",
             "",
             f"{'omega':>6s} {'at':>6s} | {'gen RS':>7s} {'gen 1RSB':>8s} {'gen MC':>15s} | "
             f"{'train RS':>8s} {'train 1RSB':>10s} {'train MC':>15s} | {'q RS':>6s} {'q0,q1 (x)':>20s} "
             f"{'q MC':>13s} | {'Var q MC':>8s} {'1RSB':>7s}"]
    for w in mcw:
        i = _nearest(widths, w)
        v, e = mc[w]["values"], mc[w]["errors"]
        r1 = rsb[i]
        g1 = f"{r1['gen_error']:8.4f}" if r1 else f"{'=RS':>8s}"
        t1 = f"{r1['train_error']:10.4f}" if r1 else f"{'=RS':>10s}"
        qq = f"{r1['q0']:.3f},{r1['q1']:.3f} ({r1['x']:.2f})" if r1 else f"{'=RS':>20s}"
        vq = f"{r1['x'] * (1 - r1['x']) * (r1['q1'] - r1['q0']) ** 2:7.4f}" if r1 else f"{0.0:7.4f}"
        lines.append(
            f"{w:6.2f} {at[i]:6.2f} | {rs[i]['gen_error']:7.4f} {g1} {v['gen_error']:7.4f}+-{e['gen_error']:.4f} | "
            f"{rs[i]['train_error']:8.4f} {t1} {v['train_error']:7.4f}+-{e['train_error']:.4f} | "
            f"{rs[i]['q']:6.3f} {qq:>20s} {v['q']:6.3f}+-{e['q']:.3f} | {mc[w]['q_var']:8.4f} {vq}")
    caption = "\n".join(lines)
    paths = save_figure(fig, out_dir, NAME, caption)
    paths.append(write_text_atomic(pathlib.Path(out_dir) / f"{NAME}.json",
                                   json.dumps(_jsonable(data), indent=1)))
    return paths


def _jsonable(obj):
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.floating, float)):
        return float(obj) if math.isfinite(obj) else str(float(obj))
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    return obj


def make(out_dir, quick: bool = False) -> list:
    """Compute and draw the figure into ``out_dir``; returns the files written (PNG, caption, JSON)."""
    return plot(compute(quick), out_dir)
