"""Benchmark: cost of one AMP iteration against its physical floor, ``X @ v`` + ``X.T @ u``.

Usage::

    python benchmarks/bench_amp.py                 # n = 20000, d = 10000, float64 and float32
    python benchmarks/bench_amp.py --n 4000 --d 2000 --rounds 3

For each dtype, in the same process and interleaved (so that machine load affects both alike):

* baseline: ``np.dot(X, v, out=z)`` followed by ``np.dot(X.T, u, out=f)`` (preallocated
  outputs), averaged over ``--iters`` repetitions;
* AMP: ``amp(..., max_iter=k, tol=0)`` for ``k = iters//3`` and ``k = iters``; the difference of
  the two wall times divided by the difference of ``k`` is the marginal cost per iteration
  (setup -- the finiteness scan of ``X`` and the final residual matvec -- cancels).

Printed: per-iteration times, their ratio (goal <= 1.3), the amortised ratio of the longer run
including setup, and the peak memory allocated during ``amp`` beyond ``X`` (``tracemalloc``,
which sees every NumPy allocation; the compiled loops allocate nothing).  Medians over
``--rounds`` rounds.  No assertion: timings on a shared machine are indicative.
"""
from __future__ import annotations

import argparse
import gc
import time
import tracemalloc

import numpy as np

from replicaquant.amp import amp
from replicaquant.data import make_data
from replicaquant.model import Model
from replicaquant.quantizers import UniformQuantizer


def _baseline(X, iters):
    n, d = X.shape
    v = np.full(d, 0.01, dtype=X.dtype)
    u = np.full(n, 0.01, dtype=X.dtype)
    z = np.empty(n, dtype=X.dtype)
    f = np.empty(d, dtype=X.dtype)
    t0 = time.perf_counter()
    for _ in range(iters):
        np.dot(X, v, out=z)
        np.dot(X.T, u, out=f)
    return (time.perf_counter() - t0) / iters


def _amp_time(X, y, model, k):
    t0 = time.perf_counter()
    res = amp(X, y, model, max_iter=k, tol=0.0, warn=False)
    dt = time.perf_counter() - t0
    assert res.iterations == k
    return dt


def bench(n: int, d: int, dtype, iters: int, rounds: int) -> dict:
    """Measure one dtype; returns the medians and the memory figure."""
    model = Model(UniformQuantizer(2, 1.5), alpha=n / d, beta=5.0, lam=1e-3, noise_var=0.1)
    t0 = time.perf_counter()
    X, y, w0 = make_data(model, d, seed=0, dtype=dtype)
    t_data = time.perf_counter() - t0
    assert X.shape == (n, d)
    # compile / load the kernels outside the timing
    amp(np.ascontiguousarray(X[:64, :32]), y[:64], model, max_iter=2, tol=0.0, warn=False)
    k1, k2 = max(1, iters // 3), iters
    base, marg, amort = [], [], []
    for _ in range(rounds):
        base.append(_baseline(X, iters))
        t1 = _amp_time(X, y, model, k1)
        t2 = _amp_time(X, y, model, k2)
        marg.append((t2 - t1) / (k2 - k1))
        amort.append(t2 / k2)
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    amp(X, y, model, max_iter=3, tol=0.0, warn=False)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    b, m, a = (float(np.median(v)) for v in (base, marg, amort))
    return dict(dtype=np.dtype(dtype).name, n=n, d=d, X_bytes=X.nbytes, t_data=t_data,
                baseline=b, amp_marginal=m, amp_amortised=a, ratio=m / b, ratio_amortised=a / b,
                peak_extra_bytes=peak, n_plus_d_doubles=8 * (n + d))


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n", type=int, default=20000)
    p.add_argument("--d", type=int, default=10000)
    p.add_argument("--iters", type=int, default=12, help="iterations per timing (default 12)")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median), default 3")
    p.add_argument("--dtypes", nargs="+", default=["float64", "float32"])
    args = p.parse_args(argv)
    print(f"AMP iteration vs X@v + X.T@u  (n = {args.n}, d = {args.d}, {args.iters} iterations, "
          f"median of {args.rounds} rounds)")
    for name in args.dtypes:
        r = bench(args.n, args.d, np.dtype(name), args.iters, args.rounds)
        print(f"  {r['dtype']:>7s}: X = {r['X_bytes'] / 2**30:.2f} GiB (made in {r['t_data']:.1f} s)")
        print(f"           matvec pair       {1e3 * r['baseline']:8.1f} ms")
        print(f"           AMP iteration     {1e3 * r['amp_marginal']:8.1f} ms   ratio {r['ratio']:.3f}"
              f"  (goal <= 1.3)")
        print(f"           AMP incl. setup   {1e3 * r['amp_amortised']:8.1f} ms   ratio "
              f"{r['ratio_amortised']:.3f}  ({args.iters}-iteration run)")
        print(f"           peak memory beyond X: {r['peak_extra_bytes'] / 2**20:.2f} MiB "
              f"(= {r['peak_extra_bytes'] / r['n_plus_d_doubles']:.1f} x 8(n+d) bytes)")
        gc.collect()


if __name__ == "__main__":
    main()
