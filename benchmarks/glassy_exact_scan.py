"""Exact finite-d Gibbs averages at the glassy points of docs/glassy.md (one enumeration per
instance serves all temperatures), one pickle per d; rerun the analysis with ``--report``.

    python benchmarks/glassy_exact_scan.py --d 10-20 --instances 400 --out runs/
    python benchmarks/glassy_exact_scan.py --report --out runs/

Prints the CPU time of each d.  Points: 1 bit, levels +-1.3, alpha 0.6, lam 1e-4, noise 0.1;
beta = 5 (RS liquid), 8 (d1RSB), 12 and 16 (static 1RSB).
"""
from __future__ import annotations

import argparse
import glob
import os
import pickle
import time

import replicaquant as rq
from replicaquant.glassy_exact import exact_gibbs_scan, merge_scans

BETAS = (5.0, 8.0, 12.0, 16.0)
Q_SPLIT = 1.2  # (q0 + q1)/2 of the frozen branch at beta = 12, 16 (q0 ~ 0.70, q1 ~ 1.69)


def model():
    return rq.Model.uniform(1, 1.3, alpha=0.6, beta=16.0, lam=1e-4, noise_var=0.1)


def theory(out):
    """RS and thermodynamic 1RSB observables at each beta (cached in ``out/theory.json``)."""
    import json
    import warnings

    from replicaquant.glassy import glassy_theory

    path = os.path.join(out, "theory.json")
    if os.path.exists(path):
        return json.load(open(path))
    res = {}
    for beta in BETAS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            th = glassy_theory(model().replace(beta=beta))
        obs = {}
        for which in ("rs", "1rsb"):
            o = th.observables(which)
            sol = th.rs if (which == "rs" or th.label != "1RSB") else th.rsb
            o["free_energy"] = float(sol.free_energy)
            o["entropy"] = beta * (o["energy"] - o["free_energy"])
            o["var_q"] = (float(sol.x * (1 - sol.x) * (sol.q1 - sol.q0) ** 2)
                          if which == "1rsb" and th.label == "1RSB" else 0.0)
            if which == "1rsb" and th.label == "1RSB":
                o["p_q1"] = float(1 - sol.x)
            obs[which] = o
        res[str(beta)] = {"label": th.label, "x": float(th.x), **obs}
    json.dump(res, open(path, "w"), indent=1)
    return res


FIT_NAMES = ("train_error", "energy", "free_energy", "entropy", "q", "gen_error_mean")


def _z(v, se, t):
    return (v - t) / se


def report(sc, th):
    """Extrapolations d -> inf (several fit models) and paired temperature differences vs theory."""
    import numpy as np

    exact_alpha = [d for d, n in zip(sc.ds, sc.ns) if abs(n / d - sc.model.alpha) < 1e-12]
    print(f"\nexact-alpha sizes {exact_alpha}")
    fits = [("o1 all d (+s)", dict(order=1)), ("o1 d>=16 (+s)", dict(order=1, d_min=16)),
            ("o2 all d (+s)", dict(order=2))]
    for b, beta in enumerate(BETAS):
        t = th[str(beta)]
        print(f"\n=== beta = {beta:g} ({t['label']}, x* = {t['x']:.3f}) ===")
        for k in FIT_NAMES + ("var_q", "p_q1"):
            rs, r1 = t["rs"][k], t["1rsb"][k]
            print(f"  {k}: RS {rs:.5f}  1RSB {r1:.5f}")
            for lab, kw in fits:
                try:
                    ex = sc.extrapolate(k, b, **kw)
                except ValueError as err:
                    print(f"    {lab}: {err}")
                    continue
                print(f"    {lab:16s} {ex.value:9.5f} ± {ex.se:7.5f}  chi2/dof {ex.chi2:5.1f}/{ex.dof:2d}"
                      f"  z_RS {_z(ex.value, ex.se, rs):6.1f}  z_1RSB {_z(ex.value, ex.se, r1):6.1f}"
                      f"  fit(50) {ex.predict(50):.4f} fit(100) {ex.predict(100):.4f}")
            m = np.array([sc.mean[k][sc.ds.index(d), b] for d in exact_alpha])
            e = np.array([sc.se[k][sc.ds.index(d), b] for d in exact_alpha])
            if np.all(np.isfinite(m)) and len(m) >= 3:
                from replicaquant.glassy_exact import extrapolate
                ex = extrapolate(exact_alpha, m, e)
                print(f"    {'o1 exact-alpha':16s} {ex.value:9.5f} ± {ex.se:7.5f}  chi2/dof {ex.chi2:5.1f}/{ex.dof:2d}"
                      f"  z_RS {_z(ex.value, ex.se, rs):6.1f}  z_1RSB {_z(ex.value, ex.se, r1):6.1f}")
    print("\n=== paired temperature differences (same instances) ===")
    for k in ("train_error", "energy", "entropy", "q"):
        for b1, b0 in ((3, 2), (3, 1), (2, 1), (1, 0)):
            t1, t0 = th[str(BETAS[b1])], th[str(BETAS[b0])]
            rs = t1["rs"][k] - t0["rs"][k]
            r1 = t1["1rsb"][k] - t0["1rsb"][k]
            mean, se = sc.paired(k, b1, b0)
            row = " ".join(f"{d}:{v:.4f}±{e:.4f}" for d, v, e in zip(sc.ds, mean, se) if d in (10, 15, 20, 22, 24, 25, 26))
            print(f"  {k} beta {BETAS[b1]:g} - {BETAS[b0]:g}: RS {rs:.5f} 1RSB {r1:.5f} | {row}")
            for lab, kw in fits:
                ex = sc.extrapolate_paired(k, b1, b0, **kw)
                print(f"    {lab:16s} {ex.value:9.5f} ± {ex.se:7.5f}  chi2/dof {ex.chi2:5.1f}/{ex.dof:2d}"
                      f"  z_RS {_z(ex.value, ex.se, rs):6.1f}  z_1RSB {_z(ex.value, ex.se, r1):6.1f}")


def _ds(text):
    out = []
    for part in text.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", default="10-20")
    ap.add_argument("--instances", type=int, default=100)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--pq-max-d", type=int, default=20)
    ap.add_argument("--out", default="glassy_exact_runs")
    ap.add_argument("--report", action="store_true")
    a = ap.parse_args(argv)
    os.makedirs(a.out, exist_ok=True)
    if a.report:
        scans = [pickle.load(open(f, "rb")) for f in sorted(glob.glob(os.path.join(a.out, "d*.pkl")))]
        sc = merge_scans(scans)
        for b in range(len(BETAS)):
            print(sc.table(b, names=("energy", "train_error", "free_energy", "entropy", "q",
                                     "gen_error_mean", "var_q", "p_q1")))
        print("cpu seconds per d:", dict(zip(sc.ds, sc.cpu_seconds.round(1))))
        report(sc, theory(a.out))
        return sc
    for d in _ds(a.d):
        t = time.process_time()
        sc = exact_gibbs_scan(model(), [d], instances=a.instances, seed=a.seed, betas=BETAS,
                              q_threshold=Q_SPLIT, pq_max_d=a.pq_max_d)
        with open(os.path.join(a.out, f"d{d:02d}.pkl"), "wb") as fh:
            pickle.dump(sc, fh)
        print(f"d = {d}: {a.instances} instances, {time.process_time() - t:.1f} s CPU", flush=True)


if __name__ == "__main__":
    main()
