"""RS vs 1RSB vs Monte Carlo across the AT line: errors, overlaps and P(q) at b = 2, two sizes d.

Uniform 2-bit levels at alpha = 2, beta = 5, lam = 1e-3, noise_var = 0.1 (Gaussian teacher,
rho = 1), as a function of the width omega through the AT line (omega_c ~ 2.3).  Monte Carlo
at two sizes d; every MC point is also compared with the theory evaluated at its instances'
realised teacher norms ``|w0|^2/d`` (:func:`replicaquant.experiments.theory_at_teacher_norms`,
short horizontal ticks).  Panels:
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
import time

import numpy as np

from ..continuation import follow
from ..experiments import theory_at_teacher_norms
from ..montecarlo import monte_carlo, theory_observables
from ..plotting import new_figure, panel_label, stability_line
from ..rs import solve_rs
from ._common import REF_TEXT, arr, ref_model, write_figure

NAME = "rsb_vs_mc"
EXPENSIVE = True  # Monte Carlo at two sizes: minutes even at the quick settings
BITS = 2
KEYS = ("m", "Q", "q", "energy", "train_error", "gen_error", "gen_error_mean")


def _settings(quick: bool) -> dict:
    # quick: no MC width near the AT line (omega_c ~ 2.32), where critical slowing down and
    # finite-size effects are largest -- the quick caption says so
    if quick:
        return dict(widths_theory=np.linspace(1.25, 3.5, 91), mc_widths=(1.5, 3.0),
                    pq_widths=(1.5, 3.0), sizes=(60, 120), instances=4, sweeps=800, burn_in=400,
                    temps=6, beta_min=1.0, seed=0)
    return dict(widths_theory=np.linspace(1.25, 3.5, 181), mc_widths=(1.5, 2.0, 2.5, 3.0, 3.5),
                pq_widths=(1.5, 3.0), sizes=(100, 250), instances=8, sweeps=3000, burn_in=2000,
                temps=10, beta_min=1.0, seed=0)


def _have_rsb() -> bool:
    return importlib.util.find_spec("replicaquant.rsb") is not None


def compute(quick: bool = False) -> dict:
    """Theory lines (RS by continuation, 1RSB where at > 1) and Monte Carlo points at two sizes."""
    s = _settings(quick)
    widths = s["widths_theory"]
    walk = follow(list(widths), lambda w, init: solve_rs(ref_model(BITS, float(w)), init=init,
                                                          warn=False),
                  init="multi", fallbacks=("multi",), predictor="previous", state=lambda x: x.x)
    rs = list(walk.solutions)
    data = {"settings": s, "widths": widths,
            "rs": [theory_observables(x) | {"at": x.at, "converged": x.converged,
                                            "free_energy": x.free_energy} for x in rs]}
    rsb = [None] * widths.size
    if _have_rsb():
        from ..rsb import solve_1rsb

        prev = None  # the previous 1RSB solution: solve_1rsb follows its branch
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
    for d in s["sizes"]:
        mc[d] = {}
        for w in s["mc_widths"]:
            model = ref_model(BITS, float(w))
            t0 = time.perf_counter()
            res = monte_carlo(model, d, instances=s["instances"], sweeps=s["sweeps"],
                              burn_in=s["burn_in"], temps=s["temps"], beta_min=s["beta_min"],
                              seed=s["seed"])
            rhos = [inst.rho_instance for inst in res.instances]
            i = _nearest(widths, w)
            theory_rsb = rs[i].at > 1.0 and rsb[i] is not None
            real = theory_at_teacher_norms(model, rhos, rsb=theory_rsb)
            mc[d][float(w)] = {
                "values": {k: getattr(res, k) for k in KEYS},
                "errors": {k: getattr(res, k + "_err") for k in KEYS},
                "teacher_norms": rhos, "theory_realised": real["values"],
                "theory_realised_kind": "1RSB" if theory_rsb else "RS",
                "q_var": res.q_var, "q_edges": res.q_edges, "q_hist": res.q_hist,
                "swap_acceptance": res.swap_acceptance, "equilibration_z": res.equilibration_z,
                "seconds": time.perf_counter() - t0}
    data["mc"] = mc
    data["quick"] = quick
    return data


def _nearest(widths, w):
    return int(np.argmin(np.abs(np.asarray(widths) - w)))


def draw(data: dict):
    """The four panels from the (JSON round-tripped) data."""
    widths = arr(data["widths"])
    rs, rsb = data["rs"], data["rsb"]
    sizes = [str(d) for d in data["settings"]["sizes"]]
    big = sizes[-1]
    at = np.array([r["at"] for r in rs])
    fig, axes = new_figure(2, 2, width=3.6, height=2.9)
    (ax_g, ax_t), (ax_q, ax_p) = axes
    has_rsb = any(r is not None for r in rsb)
    ri = [i for i, r in enumerate(rsb) if r is not None]
    span = widths[-1] - widths[0]

    def mc_points(ax, key, fmt="o", label=True):
        for k, d in enumerate(sizes):
            mc = data["mc"][d]
            ws = np.array(sorted(mc, key=float), dtype=object)
            x = np.array([float(w) for w in ws]) + (k - 0.5) * 0.02 * span
            last = k == len(sizes) - 1
            ax.errorbar(x, [mc[w]["values"][key] for w in ws], yerr=[mc[w]["errors"][key] for w in ws],
                        fmt=fmt if last else "s", color="k" if last else "0.5", ms=3.5, capsize=2,
                        mfc="k" if (last and fmt == "o") else "none", zorder=4,
                        label=f"MC, d={d}" if label else None)
            for xx, w in zip(x, ws):  # theory at these instances' realised teacher norms
                col = "C3" if mc[w]["theory_realised_kind"] == "1RSB" else "C0"
                ax.plot([xx - 0.012 * span, xx + 0.012 * span], [mc[w]["theory_realised"][key]] * 2,
                        color=col, lw=2.2, zorder=5, solid_capstyle="butt")

    for ax, key, label in ((ax_g, "gen_error", r"gen. error $\rho - 2m + Q$"),
                           (ax_t, "train_error", "training error")):
        stability_line(ax, widths, [r[key] for r in rs], at, color="C0", label="RS")
        if has_rsb:
            ax.plot(widths[ri], [rsb[i][key] for i in ri], color="C3", label="1RSB")
        mc_points(ax, key)
        ax.plot([], [], color="0.3", lw=2.2, label="theory at realised $|w_0|^2/d$")
        ax.set_xlabel(r"width $\omega$")
        ax.set_ylabel(label)
        ax.legend(loc="upper left", fontsize=6.5)
    stability_line(ax_q, widths, [r["q"] for r in rs], at, color="C0", label="RS $q$")
    stability_line(ax_q, widths, [r["Q"] for r in rs], at, color="C2", label="RS $Q$")
    if has_rsb:
        ax_q.plot(widths[ri], [rsb[i]["q0"] for i in ri], color="C3", lw=1.0, label="1RSB $q_0, q_1$")
        ax_q.plot(widths[ri], [rsb[i]["q1"] for i in ri], color="C3", lw=1.0)
        ax_q.plot(widths[ri], [rsb[i]["q"] for i in ri], color="C3", ls=":",
                  label=r"1RSB $xq_0 + (1-x)q_1$")
        ax_q.plot(widths[ri], [rsb[i]["Q"] for i in ri], color="C1", lw=1.0, label="1RSB $Q$")
    mc_points(ax_q, "q")
    mc_points(ax_q, "Q", label=False)
    ax_q.set_xlabel(r"width $\omega$")
    ax_q.set_ylabel(r"overlaps $q$ (lower), $Q$ (upper)")
    ax_q.legend(loc="upper left", fontsize=6)

    mc = data["mc"][big]
    for j, w in enumerate(data["settings"]["pq_widths"]):
        key = str(float(w))
        if key not in mc:
            continue
        edges = arr(mc[key]["q_edges"])
        hist = arr(mc[key]["q_hist"])
        col = f"C{j * 3}"
        i = _nearest(widths, float(w))
        phase = "RS stable" if at[i] < 1 else "RSB"
        ax_p.stairs(hist, edges, color=col, label=fr"MC $\omega$={float(w):g} ({phase}, at={at[i]:.2f})")
        ax_p.axvline(rs[i]["q"], color=col, ls="--", lw=1.0)
        if rsb[i] is not None:
            for qq in (rsb[i]["q0"], rsb[i]["q1"]):
                ax_p.axvline(qq, color=col, ls=":", lw=1.2)
    ax_p.set_xlabel(r"$q_{ab} = w^a\cdot w^b/d$")
    ax_p.set_ylabel(r"$P(q)$")
    ax_p.set_title(f"overlap distribution, d = {big}")
    ax_p.legend(loc="upper right", fontsize=6, title="dashed: RS q; dotted: 1RSB q0, q1",
                title_fontsize=6)
    for ax, letter in zip((ax_g, ax_t, ax_q, ax_p), "abcd"):
        panel_label(ax, letter)
    return fig


def _z(mc_point: dict, key: str) -> float:
    e = mc_point["errors"][key]
    return (mc_point["values"][key] - mc_point["theory_realised"][key]) / e if e > 0 else 0.0


def claims(data: dict) -> list:
    """What the caption states, checked on the data."""
    widths = arr(data["widths"])
    rs, rsb = data["rs"], data["rsb"]
    at = np.array([r["at"] for r in rs])
    sizes = [str(d) for d in data["settings"]["sizes"]]
    big, small = sizes[-1], sizes[0]
    out = [(f"the RS line has {widths.size} >= 80 converged points", widths.size >= 80
            and all(r["converged"] for r in rs)),
           ("the AT line is crossed inside the range (at < 1 at the left end, > 1 at the right)",
            bool(at[0] < 1 < at[-1]))]
    if data["rsb_available"]:
        wc = widths[np.argmax(at > 1)]
        beyond = [i for i in range(widths.size) if widths[i] > wc + 0.1]
        out.append(("1RSB breaks replica symmetry (q1 > q0) at every width 0.1 beyond the AT line",
                    all(rsb[i] is not None and rsb[i]["q1"] > rsb[i]["q0"] for i in beyond)))
        out.append(("f_1RSB >= f_RS wherever 1RSB is drawn", all(
            r is None or r["free_energy"] >= rs[i]["free_energy"] - 1e-9 for i, r in enumerate(rsb))))
    mc = data["mc"][big]
    for key in sorted(mc, key=float):
        p = mc[key]
        kind = p["theory_realised_kind"]
        for obs in ("gen_error", "q", "Q"):
            z = _z(p, obs)
            out.append((f"omega={float(key):g}, d={big}: MC {obs} equals {kind} at the realised "
                        f"teacher norms within 3 s.e. (z = {z:+.1f})", abs(z) < 3))
    ws = sorted(mc, key=float)
    out.append((f"P(q) is broader in the RSB phase: Var q at omega={float(ws[-1]):g} > 3 x Var q at "
                f"omega={float(ws[0]):g} (d={big})", mc[ws[-1]]["q_var"] > 3 * mc[ws[0]]["q_var"]))
    dtr = {d: float(np.mean([abs(data["mc"][d][w]["values"]["train_error"]
                                 - data["mc"][d][w]["theory_realised"]["train_error"]) for w in ws]))
           for d in (small, big)}
    out.append((f"finite-size trend: the mean |MC - theory| of the training error shrinks from "
                f"d={small} ({dtr[small]:.4f}) to d={big} ({dtr[big]:.4f})", dtr[big] < dtr[small]))
    return out


def caption(data: dict) -> str:
    """Caption: parameters, what is drawn, the numbers and what it shows."""
    widths = arr(data["widths"])
    rs, rsb = data["rs"], data["rsb"]
    at = np.array([r["at"] for r in rs])
    st = data["settings"]
    sizes = [str(d) for d in st["sizes"]]
    lines = [f"RS vs 1RSB vs Monte Carlo across the AT line, b = {BITS} uniform levels, {REF_TEXT}.",
             f"Theory: RS ({widths.size} widths, continuation) solid where at < 1, dashed where "
             "at > 1; " + ("1RSB (solve_1rsb, Parisi x maximising f) where q1 > q0. " if data["rsb_available"]
                           else "1RSB not drawn: replicaquant.rsb is not available. ")
             + f"Monte Carlo: d = {' and '.join(sizes)} (grey squares, black circles), n = 2d, "
               f"{st['instances']} instances, 2 replicas, {st['temps']} tempering temperatures "
               f"geometric in [{st['beta_min']:g}, 5], {st['burn_in']} burn-in + {st['sweeps']} "
               "measurement sweeps; error bars = standard error over instances; gen. error uses "
               "|w0|^2/d of each instance.  Short thick ticks: the theory (RS blue where at < 1, "
               "1RSB red where at > 1) evaluated at each instance's realised teacher norm |w0|^2/d "
               "and averaged -- the teacher norm fluctuates by sqrt(2/d) and moves every order "
               "parameter, so this is the comparison whose residual is a genuine finite-size effect.",
             "(a) generalization error, (b) training error, (c) overlaps q (RS), q0, q1 and the mean "
             "overlap x q0 + (1-x) q1 (1RSB), Q; MC q and Q; (d) the MC overlap distribution P(q) "
             f"at d = {sizes[-1]} on both sides of the AT line, RS q and 1RSB q0, q1 marked.",
             "What it shows: the Monte Carlo follows RS where at < 1 and 1RSB beyond the AT line, "
             "where P(q) broadens and develops weight between q0 and q1; the training error carries "
             "an O(1/d) finite-size deviation that shrinks with d.",
             ("Quick settings: small d and few widths; no Monte Carlo point near the AT line, where "
              "critical slowing down and finite-size effects need larger d; P(q) at these sizes is "
              "ragged and does not resolve the two 1RSB peaks." if data["quick"] else
              "Full settings."),
             "",
             f"{'d':>4s} {'omega':>6s} {'at':>6s} | {'gen theory(real)':>16s} {'gen MC':>15s} | "
             f"{'train theory(real)':>18s} {'train MC':>15s} | {'q theory(real)':>14s} {'q MC':>13s} | "
             f"{'Var q MC':>8s}"]
    for d in sizes:
        mc = data["mc"][d]
        for key in sorted(mc, key=float):
            p = mc[key]
            i = _nearest(widths, float(key))
            v, e, t = p["values"], p["errors"], p["theory_realised"]
            lines.append(
                f"{d:>4s} {float(key):6.2f} {at[i]:6.2f} | {t['gen_error']:11.4f} {p['theory_realised_kind']:>4s} "
                f"{v['gen_error']:7.4f}+-{e['gen_error']:.4f} | {t['train_error']:13.4f} "
                f"{p['theory_realised_kind']:>4s} {v['train_error']:7.4f}+-{e['train_error']:.4f} | "
                f"{t['q']:9.3f} {p['theory_realised_kind']:>4s} {v['q']:6.3f}+-{e['q']:.3f} | "
                f"{p['q_var']:8.4f}")
    return "\n".join(lines)


def make(out_dir, quick: bool = False) -> list:
    """Compute and draw the figure into ``out_dir``; returns the files written (PNG, caption, JSON)."""
    return write_figure(out_dir, NAME, compute(quick), draw=draw, caption=caption, claims=claims,
                        quick=quick)
