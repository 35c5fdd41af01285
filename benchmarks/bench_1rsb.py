"""Benchmark: a converged thermodynamic 1RSB point against an RS solve of the same model.

Run ``python benchmarks/bench_1rsb.py [--repeat N] [--line-points N]``.  After a JIT warm-up,
each point is solved ``N`` times from scratch with ``solve_1rsb(model)`` -- RS multi-start, the
branch search at ``x = 1`` (one-variable bracketing), the continuation of every branch in ``x``
and the location of the Parisi maximum -- and the median wall time is printed next to the median
time of ``solve_rs(model, init="multi")`` measured in the same run, with their ratio (the
baseline of the goal since the benchmark was written: the multi-start RS solve is the RS answer
that ``solve_1rsb`` itself starts from; the ratio to the single-start default ``solve_rs(model)``,
2-4x faster, is printed too, ``r_def``), the number
of 1RSB map evaluations (all kinds; split into full-rule ones by phase -- ``x1`` the branch
search at ``x = 1``, ``walk`` the search in ``x``, ``pol`` the final full-tolerance steps -- and
``crs`` the coarse-rule ones, 3-4x cheaper, of the scan and the start of the search) and the time
of one full-rule map evaluation at the solution.  Then one static (Kauzmann) transition point along ``alpha``, found
from a ``--line-points``-point scan (every scan point a phase classification) plus its
refinement and two side solves, reports its wall time; and a whole static line, the static
``alpha_s(width)`` at ``--line-widths`` widths from 1.25 to 3 (each from a 12-point scan of
``alpha``, one process).  No timing is asserted anywhere; the
machine is shared, so read ratios, not absolute times.
"""
from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from replicaquant.model import Model
from replicaquant.rs import solve_rs
from replicaquant.rsb import RSB1Map, solve_1rsb
from replicaquant.transitions import transition_lines

REF5 = dict(alpha=2.0, lam=1e-3, noise_var=0.1)
LOWT = dict(lam=1e-4, noise_var=0.1)
POINTS = [  # (label, model)
    ("b=1 w=1.0 beta=5 (AT-broken)", Model.uniform(1, 1.0, beta=5.0, **REF5)),
    ("b=2 w=3.0 beta=5 (AT-broken)", Model.uniform(2, 3.0, beta=5.0, **REF5)),
    ("b=2 w=1.5 beta=5 (RS)", Model.uniform(2, 1.5, beta=5.0, **REF5)),
    ("b=2 w=1.5 a=.65 beta=100 (static)", Model.uniform(2, 1.5, alpha=0.65, beta=100.0, **LOWT)),
    ("b=1 w=1.0 a=.2 beta=100 (d1RSB)", Model.uniform(1, 1.0, alpha=0.2, beta=100.0, **LOWT)),
    ("b=1 w=3.0 a=.4 beta=100 (frozen)", Model.uniform(1, 3.0, alpha=0.4, beta=100.0, **LOWT)),
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
    """Print the tables; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="repetitions per point (median)")
    ap.add_argument("--line-points", type=int, default=30, help="grid points of the static-line scan")
    ap.add_argument("--line-widths", type=int, default=30, help="widths of the static line (0: skip)")
    args = ap.parse_args(argv)

    for _, m in POINTS:  # JIT warm-up (compiles or loads the numba cache)
        solve_1rsb(m, warn=False)
        solve_rs(m, init="multi")
        solve_rs(m)

    print(f"{'point':36s} {'label':>9s} {'x':>7s} {'t_1RSB[s]':>10s} {'t_RS[s]':>9s} {'ratio':>7s} "
          f"{'r_def':>6s} "
          f"{'maps':>5s} {'x1':>4s} {'walk':>4s} {'pol':>4s} {'crs':>4s} {'ms/map':>7s} {'branches':>8s}")
    ratios, ratios_def = [], []
    for label, model in POINTS:
        t_rsb, sol = _median_time(lambda: solve_1rsb(model, warn=False), args.repeat)
        t_rs, _ = _median_time(lambda: solve_rs(model, init="multi"), max(args.repeat, 5))
        t_def, _ = _median_time(lambda: solve_rs(model), max(args.repeat, 5))
        rmap = RSB1Map(model, sol.x)
        t_map, _ = _median_time(lambda: rmap(sol.state), 5)
        ev = sol.evaluations
        kind = ("RS" if not sol.rsb else "x*<1" if sol.x < 1 else "x=1")
        ratios.append(t_rsb / t_rs)
        ratios_def.append(t_rsb / t_def)
        print(f"{label:36s} {kind:>9s} {sol.x:7.4f} {t_rsb:10.3f} {t_rs:9.4f} {t_rsb / t_rs:7.0f} "
              f"{t_rsb / t_def:6.0f} "
              f"{sol.iterations:5d} {ev.get('x1_roots', 0):4d} {ev.get('walk', 0):4d} "
              f"{ev.get('polish', 0):4d} {ev.get('coarse', 0):4d} {1e3 * t_map:7.2f} "
              f"{len(sol.branches):8d}")
    print(f"median ratio t_1RSB / t_RS = {statistics.median(ratios):.1f} (goal <= 10); "
          f"against the single-start solve_rs(model): {statistics.median(ratios_def):.1f}")

    model = Model.uniform(2, 1.5, alpha=0.65, beta=100.0, **LOWT)
    t0 = time.perf_counter()
    tl = transition_lines(model, "alpha", (0.35, 0.95), n_scan=args.line_points, kinds=("static",),
                          xtol=1e-4)
    dt = time.perf_counter() - t0
    st = tl["static"]
    print(f"one static point along alpha (b=2 w=1.5 beta=100) from a {args.line_points}-point scan + "
          f"refinement: "
          f"{dt:.1f} s ({dt / args.line_points:.2f} s/point), alpha_s = "
          f"{st.value:.5f}" if st.found else f"... not found: {st.message}")

    if args.line_widths > 0:
        widths = np.linspace(1.25, 3.0, args.line_widths)
        t0 = time.perf_counter()
        found = []
        for w in widths:
            mw = Model.uniform(2, float(w), alpha=0.65, beta=100.0, **LOWT)
            p = transition_lines(mw, "alpha", (0.35, 0.95), n_scan=12, kinds=("static",),
                                 xtol=1e-4)["static"]
            if p.found:
                found.append((float(w), p.value))
        dt = time.perf_counter() - t0
        print(f"static line alpha_s(width), b=2 beta=100, {args.line_widths} widths in [1.25, 3] "
              f"(12-point alpha scans): {dt:.1f} s ({dt / args.line_widths:.2f} s/point), "
              f"{len(found)} found, alpha_s from {found[0][1]:.4f} (width {found[0][0]:.3g}) to "
              f"{found[-1][1]:.4f} (width {found[-1][0]:.3g})" if found else
              f"static line: none found in {dt:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
