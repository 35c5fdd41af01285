"""Heat-bath sweeps per second at d = 1000, alpha = 2, against the cost floor of one pass over X.

One sweep updates all ``d`` coordinates; each update is a dot product ``F_i . r`` with a
contiguous column plus, when the weight changes, an axpy ``r -= delta F_i``.  Its floor is one
pass over ``X`` (``n d`` multiply-adds), measured in the same run as the time of ``X @ v``
(single-threaded BLAS, in blocks of 20 calls) and of ``X.T @ r``.  Printed: sweeps/s and the ratio
``time per sweep / time of one X @ v`` for a high-temperature point (most weights change:
dot + axpy) and a low-temperature RSB point (few changes: mostly the dot), with and without
parallel tempering overhead (swaps and energies are O(n + d) per chain).

Run: ``python benchmarks/bench_mc.py [--d 1000] [--repeat 5]``.
"""
from __future__ import annotations

import os

# the sweep is single-threaded: compare it with a single-threaded pass over X
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def _best(fn, repeat):
    best = math.inf
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main(argv=None):
    from replicaquant.data import make_data
    from replicaquant.model import Model
    from replicaquant.montecarlo import heat_bath_sweep, monte_carlo_instance

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--d", type=int, default=1000)
    ap.add_argument("--alpha", type=float, default=2.0)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    d = args.d

    base = Model.uniform(2, 1.5, alpha=args.alpha, beta=5.0, lam=1e-3, noise_var=0.1)
    X, y, w0 = make_data(base, d, 0)
    n = X.shape[0]
    Xf = np.asfortranarray(X)
    v = np.ones(d)
    rv = np.ones(n)
    n_sw = 20
    # timed in blocks of n_sw calls, like the sweeps below, so both see the same machine noise
    floor = _best(lambda: [Xf @ v for _ in range(n_sw)], args.repeat) / n_sw
    floor_t = _best(lambda: [Xf.T @ rv for _ in range(n_sw)], args.repeat) / n_sw
    print(f"d = {d}, n = {n}; floor: X @ v {floor * 1e3:.3f} ms, X.T @ r {floor_t * 1e3:.3f} ms")

    Ft = np.ascontiguousarray(X.T) / math.sqrt(d)
    cn = np.einsum("ij,ij->i", Ft, Ft)
    rng = np.random.default_rng(1)
    cases = [("b=2 w=1.5 beta=0.5 (hot: most weights change)", base.replace(beta=0.5)),
             ("b=2 w=1.5 beta=5 (RS phase)", base),
             ("b=1 w=1.0 beta=5 (RSB phase)", base.replace(bits=1, width=1.0))]
    print(f"{'case':<48s} {'ms/sweep':>9s} {'sweeps/s':>9s} {'flips/site':>10s} {'ratio to X@v':>13s}")
    for name, model in cases:
        levels = model.levels
        w = levels[rng.integers(0, levels.size, d)]
        r = y - Ft.T @ w
        u = rng.random((n_sw, d))
        for s in range(5):  # compile and equilibrate a little
            heat_bath_sweep(Ft, cn, levels, model.lam, model.beta, w, r, u[s])
        flips = [0]

        def run():
            f = 0
            for s in range(n_sw):
                f += heat_bath_sweep(Ft, cn, levels, model.lam, model.beta, w, r, u[s])
            flips[0] = f

        t = _best(run, args.repeat) / n_sw
        print(f"{name:<48s} {t * 1e3:9.3f} {1 / t:9.1f} {flips[0] / (n_sw * d):10.3f} {t / floor:13.2f}")

    # full driver (2 replicas x 4 temperatures, swaps, measurements, RNG, residual refresh)
    model = base
    monte_carlo_instance(X[:20, :10], y[:20], model, w0=w0[:10], sweeps=2, burn_in=0, temps=4)
    sweeps = 50
    t = _best(lambda: monte_carlo_instance(X, y, model, w0=w0, sweeps=sweeps, burn_in=0, temps=4,
                                           seed=2), max(1, args.repeat // 2))
    per = t / (sweeps * 2 * 4)
    print(f"{'monte_carlo_instance, 2 replicas x 4 temps':<48s} {per * 1e3:9.3f} {1 / per:9.1f} "
          f"{'':>10s} {per / floor:13.2f}   (per chain-sweep, all overheads)")


if __name__ == "__main__":
    main()
