"""Benchmark of the sweep engine against cold point-by-point solving (same run).

Diagram: 100 x 100 (width x alpha), uniform b = 2 levels, beta = 5, lam = 1e-3, noise_var = 0.1,
rho = 1; width in [0.2, 4], alpha in [0.2, 4] (continuation along alpha, the last axis).

Prints, for ``sweep(..., workers=N)`` with the default ``bidirectional=True``, with
``bidirectional="full"`` (every backward point solved), for the forward-only sweep and (when
``N > 1``) for the default sweep in one process (``workers=1``): wall time,
points per second, CPU time (this process + pool workers) and the ratio against cold solving.  The cold
baseline is the loop a user would write, ``solve_rs(model)`` (uninformed start) point by point in
one process; it is timed on a random subset of points (default 500, seed 0) and extrapolated to
the full grid -- the output says so.  The subset is also solved with ``init="multi"`` (two
starts per point, the point-by-point way to see a second branch, which the bidirectional sweep
also looks for).  Finally the sweep is compared with the cold solutions on the subset.

A tiny sweep runs first so that one-off costs (imports, the first process pool) are not timed.
CPU times are what to compare on a shared machine; the ratios of the issue are cold / sweep.

Usage: python benchmarks/bench_sweep.py [--workers 2] [--subset 500] [--n 100]
"""
from __future__ import annotations

import argparse
import os
import resource
import time

import numpy as np

from replicaquant.model import Model
from replicaquant.rs import RSSolution, solve_rs
from replicaquant.sweep import sweep


def _cpu() -> float:
    """CPU seconds of this process plus its reaped children (the pool workers)."""
    ch = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + ch.ru_utime + ch.ru_stime


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2, help="processes for the sweep (default 2)")
    ap.add_argument("--subset", type=int, default=500, help="cold points timed (default 500)")
    ap.add_argument("--n", type=int, default=100, help="grid size per axis (default 100)")
    args = ap.parse_args()

    base = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    widths = np.linspace(0.2, 4.0, args.n)
    alphas = np.linspace(0.2, 4.0, args.n)
    n_pts = widths.size * alphas.size
    solve_rs(base)  # JIT / cache warm-up in the parent (the pool forks after it)
    # a tiny sweep first: one-off costs (xarray/netCDF imports, first pool start) are not timed
    sweep(base, width=widths[:2], alpha=alphas[:3], workers=args.workers, progress=False)

    t0, c0 = time.perf_counter(), _cpu()
    ds = sweep(base, width=widths, alpha=alphas, workers=args.workers, progress=False)
    t_bi, c_bi = time.perf_counter() - t0, _cpu() - c0
    t0, c0 = time.perf_counter(), _cpu()
    ds_full = sweep(base, width=widths, alpha=alphas, workers=args.workers, progress=False,
                    bidirectional="full")
    t_full, c_full = time.perf_counter() - t0, _cpu() - c0
    t0, c0 = time.perf_counter(), _cpu()
    ds_f = sweep(base, width=widths, alpha=alphas, workers=args.workers, progress=False,
                 bidirectional=False)
    t_fw, c_fw = time.perf_counter() - t0, _cpu() - c0
    if args.workers != 1:  # the default sweep also in one process (no pool)
        t0, c0 = time.perf_counter(), _cpu()
        sweep(base, width=widths, alpha=alphas, workers=1, progress=False)
        t_one, c_one = time.perf_counter() - t0, _cpu() - c0
    else:
        t_one, c_one = t_bi, c_bi

    rng = np.random.default_rng(0)
    k = min(args.subset, n_pts)
    flat = rng.choice(n_pts, size=k, replace=False)
    ij = np.unravel_index(flat, (widths.size, alphas.size))
    models = [base.replace(width=widths[i], alpha=alphas[j]) for i, j in zip(*ij)]
    t0, c0 = time.perf_counter(), _cpu()
    cold = [solve_rs(m, warn=False) for m in models]
    t_cold, c_cold = ((time.perf_counter() - t0) / k * n_pts, (_cpu() - c0) / k * n_pts)
    t0, c0 = time.perf_counter(), _cpu()
    multi = [solve_rs(m, init="multi", warn=False) for m in models]
    t_multi, c_multi = ((time.perf_counter() - t0) / k * n_pts, (_cpu() - c0) / k * n_pts)

    worst = 0.0
    for s, i, j in zip(cold, *ij):
        if s.converged and ds["n_branches"].values[i, j] == 1:
            for f in RSSolution.FIELDS:
                worst = max(worst, abs(getattr(s, f) - float(ds[f].values[i, j])))
    it_cold = np.mean([s.iterations for s in cold])
    it_multi = np.mean([s.iterations for s in multi])

    print(f"grid {widths.size} x {alphas.size} (width x alpha) = {n_pts} points, beta 5, b 2, "
          f"lam 1e-3, noise 0.1; sweep workers = {args.workers}")
    print(f"sweep, bidirectional (default): wall {t_bi:7.2f} s  {n_pts / t_bi:7.0f} points/s  "
          f"CPU {c_bi:7.2f} s; converged {int(ds['converged'].sum())}/{n_pts}, coexisting "
          f"branches at {int((ds['n_branches'] > 1).sum())} points, mean iterations fwd "
          f"{float(ds['iterations_fwd'].mean()):.2f} bwd {float(ds['iterations_bwd'].mean()):.2f}")
    reused = float((ds["method_bwd"] == 4).mean())
    same = bool((ds["n_branches"] == ds_full["n_branches"]).all()) and all(
        float(np.max(np.abs(ds[f] - ds_full[f]))) <= 1e-8 for f in ("m", "q", "chi"))
    print(f"  backward points reused from smooth forward steps: {100 * reused:.1f} %")
    print(f"sweep, bidirectional='full':    wall {t_full:7.2f} s  {n_pts / t_full:7.0f} points/s  "
          f"CPU {c_full:7.2f} s; same branches and values as the default: {same}")
    print(f"sweep, forward only:            wall {t_fw:7.2f} s  {n_pts / t_fw:7.0f} points/s  "
          f"CPU {c_fw:7.2f} s; converged {int(ds_f['converged'].sum())}/{n_pts}")
    print(f"sweep, bidirectional (default), 1 process: wall {t_one:7.2f} s  {n_pts / t_one:7.0f} "
          f"points/s  CPU {c_one:7.2f} s")
    print(f"cold point-by-point solve_rs(model), 1 process, timed on {k} random points and "
          f"extrapolated to {n_pts}: wall {t_cold:7.2f} s  CPU {c_cold:7.2f} s "
          f"(mean iterations {it_cold:.2f})")
    print(f"cold point-by-point solve_rs(model, init='multi'), same subset, extrapolated: "
          f"wall {t_multi:7.2f} s  CPU {c_multi:7.2f} s (mean iterations {it_multi:.2f})")
    print("ratios (wall = what a user waits for; CPU = work, insensitive to other load):")
    print(f"  cold / sweep bidirectional:        wall {t_cold / t_bi:5.2f} x   CPU {c_cold / c_bi:5.2f} x")
    print(f"  cold / sweep bidirectional='full': wall {t_cold / t_full:5.2f} x   CPU {c_cold / c_full:5.2f} x")
    print(f"  cold / sweep forward only:         wall {t_cold / t_fw:5.2f} x   CPU {c_cold / c_fw:5.2f} x")
    print(f"  cold / sweep default, 1 process:   wall {t_cold / t_one:5.2f} x   CPU {c_cold / c_one:5.2f} x")
    print(f"  cold multi / sweep bidirectional:  wall {t_multi / t_bi:5.2f} x   CPU {c_multi / c_bi:5.2f} x")
    print(f"largest |sweep - cold| over the subset (single-branch points, all fields): {worst:.2e}")
    it_sweep = float(ds["iterations_fwd"].mean() + ds["iterations_bwd"].mean())
    print(f"map evaluations per point (iterations of the kept solves): sweep {it_sweep:.2f} "
          f"(forward {float(ds['iterations_fwd'].mean()):.2f} + backward "
          f"{float(ds['iterations_bwd'].mean()):.2f}) vs cold {it_cold:.2f}: the ideal CPU ratio "
          f"if a solve cost only its iterations is {it_cold / it_sweep:.2f}x")
    print(f"goals (issue 14): sweep vs cold >= 3x in CPU time (here {c_cold / c_bi:.2f}x default "
          f"with workers={args.workers}, {c_cold / c_one:.2f}x default in 1 process, "
          f"{c_cold / c_fw:.2f}x forward only); {widths.size} x {alphas.size} diagram under 1.5 s "
          f"wall on 2 cores (here {t_bi:.2f} s default with workers={args.workers}, {t_one:.2f} s "
          f"in 1 process, {t_fw:.2f} s forward only; the machine load average was "
          f"{os.getloadavg()[0]:.1f} at the end of the run)")


if __name__ == "__main__":
    main()
