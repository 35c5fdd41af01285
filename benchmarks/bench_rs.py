"""Benchmark of the RS solver against a plain NumPy fine-grid implementation (same run).

Grid: bits 1-4, width 0.5-3, alpha 0.5-3, beta 1-50 (uniform levels, rho = 1, noise 0.1,
lam 1e-3).  Prints the median time per converged finite-beta point (after JIT warm-up), the
same for the NumPy baseline (trapezoid rule on a 40,001-point field grid, vectorised
log-sum-exp over levels, the same Anderson fixed-point driver), their ratio, the largest
disagreement in (m, q, Q, chi, free energy, at), and the time a fresh Python process with a
warm Numba cache needs to print its first solution.

Usage: python benchmarks/bench_rs.py [--subset N]
"""
from __future__ import annotations

import argparse
import itertools
import subprocess
import sys
import time

import numpy as np
from scipy.special import logsumexp

import replicaquant as rq
from replicaquant.fixed_point import fixed_point


def numpy_rs(model, n_grid=40_001, half_width=10.0, tol=1e-11):
    """Plain NumPy RS solver: same equations, brute-force field grid."""
    c = model.levels
    rho, alpha, beta, lam, s2 = model.rho, model.alpha, model.beta, model.lam, model.noise_var
    z = np.linspace(-half_width, half_width, n_grid)
    wz = np.exp(-0.5 * z ** 2) / np.sqrt(2 * np.pi) * (z[1] - z[0])
    wz[[0, -1]] *= 0.5

    def prior(x):
        m, q, chi = x
        mhat = alpha / (1 + chi)
        qhat = max(alpha * (rho - 2 * m + q + s2) / (1 + chi) ** 2, 0.0)
        a = lam + mhat
        h = np.sqrt(mhat ** 2 * rho + qhat) * z
        e = beta * (np.outer(h, c) - 0.5 * a * c ** 2)
        lz = logsumexp(e, axis=1)
        p = np.exp(e - lz[:, None])
        mean = p @ c
        second = p @ c ** 2
        bvar = beta * (second - mean ** 2)
        return mhat, qhat, a, lz / beta, mean, second, bvar

    def F(x):
        _, _, _, _, mean, _, bvar = prior(x)
        chi = wz @ bvar
        return np.array([alpha / (1 + x[2]) * rho * chi, wz @ mean ** 2, chi])

    fp = fixed_point(F, np.zeros(3), mixing=0.5, tol=tol, anderson=5)
    mhat, qhat, a, phi, mean, second, bvar = prior(fp.x)
    m, q, Q, chi = mhat * rho * (wz @ bvar), wz @ mean ** 2, wz @ second, wz @ bvar
    f = (-mhat * Q / 2 + qhat * chi / 2 + mhat * m - wz @ phi + alpha / (2 * beta) * np.log1p(chi)
         + alpha / 2 * (rho - 2 * m + q + s2) / (1 + chi))
    at = alpha / (1 + chi) ** 2 * (wz @ bvar ** 2)
    return np.array([m, q, Q, chi, f, at]), fp.converged


def first_solution_time() -> float:
    code = ("import time; t0 = time.perf_counter(); import replicaquant as rq; "
            "rq.solve_rs(rq.Model(rq.UniformQuantizer(2, 1.5), alpha=2, beta=5, lam=1e-3, noise_var=0.1)); "
            "print(time.perf_counter() - t0)")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)  # populate cache
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return float(out.stdout.strip())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--subset", type=int, default=8, help="baseline on every N-th point (default 8)")
    args = ap.parse_args()
    grid = list(itertools.product([1, 2, 3, 4], [0.5, 1.0, 2.0, 3.0], [0.5, 1.0, 2.0, 3.0],
                                  [1.0, 5.0, 20.0, 50.0]))
    models = [rq.Model(rq.UniformQuantizer(b, w), alpha=a, beta=be, lam=1e-3, noise_var=0.1)
              for b, w, a, be in grid]
    rq.solve_rs(models[0])  # JIT warm-up
    times, sols = [], []
    for mdl in models:
        t0 = time.perf_counter()
        s = rq.solve_rs(mdl, warn=False)
        times.append(time.perf_counter() - t0)
        sols.append(s)
    conv = np.array([s.converged for s in sols])
    t_rq = np.median(np.array(times)[conv])

    base_t, worst, n_base = [], 0.0, 0
    for i in range(0, len(models), args.subset):
        if not sols[i].converged:
            continue
        t0 = time.perf_counter()
        ref, ok = numpy_rs(models[i])
        base_t.append(time.perf_counter() - t0)
        if ok:
            s = sols[i]
            ours = np.array([s.m, s.q, s.Q, s.chi, s.free_energy, s.at])
            worst = max(worst, float(np.max(np.abs(ours - ref) / np.maximum(1, np.abs(ref)))))
            n_base += 1
    t_np = np.median(base_t)
    t_first = first_solution_time()
    print(f"points: {len(models)} ({conv.sum()} converged); baseline on {n_base} of them")
    print(f"replicaquant  median time per converged point: {t_rq * 1e3:8.3f} ms "
          f"(max {np.max(times) * 1e3:.1f} ms, median iterations {np.median([s.iterations for s in sols]):.0f})")
    print(f"NumPy 40,001-point grid baseline, median:       {t_np * 1e3:8.3f} ms")
    print(f"speed-up (baseline / replicaquant):             {t_np / t_rq:8.1f} x")
    print(f"largest disagreement (scaled, m q Q chi f at):  {worst:.2e}")
    print(f"fresh process, warm Numba cache, import + first solution: {t_first:.2f} s")


if __name__ == "__main__":
    main()
