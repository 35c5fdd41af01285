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
