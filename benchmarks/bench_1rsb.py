"""Benchmark: time per converged 1RSB point (Parisi x optimised), against the RS solve.

Run ``python benchmarks/bench_1rsb.py [--repeat N]``.  After a JIT warm-up, each point is solved
``N`` times from scratch (``solve_1rsb(model)``: RS multi-start, split starts, fixed-x solves and
the search for the Parisi x) and the median wall time is printed next to the median time of
``solve_rs(model, init="multi")`` measured in the same run, with their ratio.  Also printed: the
number of 1RSB map evaluations and the time per evaluation (the nested z0/z1 quadrature).
No timing is asserted anywhere; the machine is shared, so read ratios, not absolute times.
"""
from __future__ import annotations

import argparse
import statistics
import time

from replicaquant.model import Model
from replicaquant.rs import solve_rs
from replicaquant.rsb import RSB1Map, solve_1rsb

BASE = dict(alpha=2.0, lam=1e-3, noise_var=0.1)
POINTS = [  # (label, bits, width, beta): RSB-phase points (at_RS > 1) and one RS-stable point
    ("b=1 w=1.0 beta=5", 1, 1.0, 5.0),
    ("b=2 w=2.5 beta=5", 2, 2.5, 5.0),
    ("b=2 w=3.0 beta=5", 2, 3.0, 5.0),
    ("b=2 w=3.0 beta=20", 2, 3.0, 20.0),
    ("b=3 w=4.0 beta=10", 3, 4.0, 10.0),
    ("b=2 w=1.5 beta=5 (RS)", 2, 1.5, 5.0),
]


def _median_time(fn, repeat):
    times = []
    out = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main(argv=None) -> int:
    """Print the table; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="repetitions per point (median)")
    args = ap.parse_args(argv)

    warm = Model.uniform(2, 3.0, beta=5.0, **BASE)
    solve_1rsb(warm)  # JIT warm-up (compiles or loads the numba cache)
    solve_rs(warm, init="multi")

    print(f"{'point':24s} {'at_RS':>6s} {'x':>7s} {'q1-q0':>8s} {'t_1RSB[s]':>10s} {'t_RS[s]':>9s} "
          f"{'ratio':>7s} {'maps':>5s} {'ms/map':>7s}")
    for label, bits, width, beta in POINTS:
        model = Model.uniform(bits, width, beta=beta, **BASE)
        t_rsb, sol = _median_time(lambda: solve_1rsb(model), args.repeat)
        t_rs, _ = _median_time(lambda: solve_rs(model, init="multi"), max(args.repeat, 5))
        rmap = RSB1Map(model, sol.x)
        t_map, _ = _median_time(lambda: rmap(sol.state), 5)
        print(f"{label:24s} {sol.at_rs:6.3f} {sol.x:7.4f} {sol.q1 - sol.q0:8.4f} {t_rsb:10.3f} "
              f"{t_rs:9.4f} {t_rsb / t_rs:7.0f} {sol.iterations:5d} {1e3 * t_map:7.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
