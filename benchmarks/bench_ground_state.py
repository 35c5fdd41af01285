"""Benchmark of the exact ground-state search and of the zero-temperature 1RSB solver.

1. ``exact_ground_state`` at d = 24, one bit (2**24 = 1.7e7 configurations, alpha = 2, n = 48):
   configurations examined per second, against two cost floors measured in the same run with
   the same number of updates:
   * one length-n axpy per configuration (``r -= delta F_j``, the residual update of the naive
     Gray-code search), in a compiled Numba loop over a fixed column sequence;
   * one length-d axpy per configuration (the Gram update ``u += delta G_j`` the search uses for
     n >= d);
   and the NumPy brute force (all configurations of d = 18 as one matrix product, per
   configuration).
2. One zero-temperature 1RSB point (Parisi y* search included) against one RS beta = inf solve of
   the same model (after JIT warm-up; median of repeats).

Usage: python benchmarks/bench_ground_state.py [--d 24]
"""
from __future__ import annotations

import argparse
import itertools
import math
import time

import numpy as np
from numba import njit

import replicaquant as rq


@njit(cache=True)
def _axpy_floor(cols, n_updates, out):
    """``n_updates`` axpy updates ``out -= delta cols[j]`` cycling over the columns (the floor)."""
    d = cols.shape[0]
    delta = 1e-9
    j = 0
    for _ in range(n_updates):
        c = cols[j]
        for i in range(out.size):
            out[i] -= delta * c[i]
        j += 1
        if j == d:
            j = 0
    return out[0]


def _best(f, repeats=3):
    ts = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t)
    return min(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--d", type=int, default=24)
    args = ap.parse_args()
    d = args.d
    model = rq.Model.uniform(1, 0.8, alpha=2.0, beta=np.inf, lam=1e-3, noise_var=0.1)
    X, y, w0 = rq.make_data(model, d, 0)
    n = X.shape[0]
    rq.exact_ground_state(*rq.make_data(model, 8, 1)[:2], model)  # JIT warm-up
    res = {}
    t_exact = _best(lambda: res.setdefault("gs", rq.exact_ground_state(X, y, model, w0=w0)), 2)
    n_conf = 2 ** d
    F = X / math.sqrt(d)
    cols_n = np.ascontiguousarray(F.T)                 # d columns of length n
    cols_d = np.ascontiguousarray(F.T @ F)             # d Gram columns of length d
    _axpy_floor(cols_n, 10, np.zeros(n))
    t_floor_n = _best(lambda: _axpy_floor(cols_n, n_conf, np.zeros(n)), 2)
    t_floor_d = _best(lambda: _axpy_floor(cols_d, n_conf, np.zeros(d)), 2)
    # NumPy brute force per configuration (d = 18: 2.6e5 configurations as one matmul)
    db = 18
    Xb, yb, _ = rq.make_data(model, db, 2)
    W = np.array(list(itertools.product(model.levels, repeat=db)))

    def brute():
        R = yb[None, :] - W @ Xb.T / math.sqrt(db)
        return np.argmin(0.5 * np.einsum("ij,ij->i", R, R) + 0.5e-3 * np.einsum("ij,ij->i", W, W))

    t_brute = _best(brute, 2) / W.shape[0]
    print(f"exact_ground_state, one bit, d = {d}, n = {n}: {n_conf:.3g} configurations in "
          f"{t_exact:.3f} s = {n_conf / t_exact:.3g} configurations/s ({res['gs'].method})")
    print(f"  floor, one length-n axpy per configuration : {t_floor_n:.3f} s -> exact/floor = "
          f"{t_exact / t_floor_n:.2f}")
    print(f"  floor, one length-d axpy per configuration : {t_floor_d:.3f} s -> exact/floor = "
          f"{t_exact / t_floor_d:.2f}")
    print(f"  NumPy brute force (itertools + matmul, d = {db}): {1 / t_brute:.3g} configurations/s "
          f"-> Gray code is {t_brute * n_conf / t_exact:.1f}x faster per configuration")

    # zero-temperature 1RSB point vs RS beta = inf
    for bits, width in ((1, 0.8), (2, 1.5)):
        m = rq.Model.uniform(bits, width, alpha=2.0, beta=np.inf, lam=1e-3, noise_var=0.1)
        rq.solve_1rsb_zero(m)
        rq.solve_rs(m)
        t_z = _best(lambda: rq.solve_1rsb_zero(m), 3)
        t_rs = _best(lambda: rq.solve_rs(m), 5)
        print(f"b = {bits}, omega = {width}, alpha = 2: zero-T 1RSB point (Parisi search) {t_z * 1e3:.1f} ms, "
              f"RS beta = inf {t_rs * 1e3:.2f} ms -> ratio {t_z / t_rs:.0f}x")


if __name__ == "__main__":
    main()
