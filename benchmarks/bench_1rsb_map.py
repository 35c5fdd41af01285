"""Benchmark: the cost of ONE 1RSB map evaluation against one RS prior-side evaluation.

Run ``python benchmarks/bench_1rsb_map.py [--repeat N]``.  For every point of
``bench_1rsb.py`` the thermodynamic solution is found once (``solve_1rsb``); then, at its order
parameters, the prior side ``prior_side_1rsb_full`` (the whole nested quadrature of one map
evaluation) is timed, and so are a few ``x1_roots``-type states of the same model (``x = 1``,
``q1 = Q - t (Q - q_RS)`` between ``q_RS`` and ``Q``, ``chi1 = t chi_RS``).  Next to each time is
that of one RS prior-side evaluation of the same model (``quadrature.gauss_expect`` at the RS
solution's conjugates) measured in the same run, and the ratio; then the same map with the
coarse rules (``coarse=True``: 4 Gauss-Legendre nodes per panel, used by the ``x = 1`` scan and
the start of the ``x*`` search) and the ratio full / coarse.  Each time is the minimum over
``N`` blocks of repeated calls (the machine is shared: read ratios, not absolute times).  No
timing is asserted anywhere.
"""
from __future__ import annotations

import argparse
import math
import statistics
import time

import numpy as np

from bench_1rsb import POINTS
from replicaquant.quadrature import gauss_expect
from replicaquant.rs import solve_rs
from replicaquant.rsb import channel_conjugates_1rsb, prior_side_1rsb_full, solve_1rsb
from replicaquant.levels import LevelMeasure

T_X1 = (1e-5, 0.05, 0.5, 0.99)  # x1_roots-type states: chi1 = t chi_RS


def _time(fn, repeat, block=0.05):
    best = math.inf
    fn()
    for _ in range(repeat):
        n = 0
        t0 = time.perf_counter()
        while True:
            fn()
            n += 1
            dt = time.perf_counter() - t0
            if dt > block:
                break
        best = min(best, dt / n)
    return best


def _prior_args(model, x, state):
    levels, tv, tp, grho = LevelMeasure.from_model(model).as_tuple()
    m, q0, q1, chi1 = (float(v) for v in state)
    mhat, qhat0, qhat1, ahat = channel_conjugates_1rsb(model.alpha, model.rho, model.noise_var,
                                                       model.beta, x, m, q0, q1, chi1)
    return (levels, model.lam + ahat, model.beta, x, mhat, qhat0, qhat1, tv, tp, grho), qhat1 - qhat0


def _rs_prior(model):
    rs = solve_rs(model, init="multi")
    levels = LevelMeasure.from_model(model).as_tuple()[0]
    sig = math.sqrt(rs.mhat ** 2 * model.rho + rs.qhat)
    a = model.lam + rs.Ahat
    out = np.empty(6)
    return rs, (lambda: gauss_expect(levels, a, model.beta, 0.0, sig, out))


def main(argv=None) -> int:
    """Print the table; returns 0."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="timing blocks per entry (minimum)")
    args = ap.parse_args(argv)
    print(f"{'point':36s} {'state':>14s} {'s1':>8s} {'ms/map':>8s} {'ms/RS':>8s} {'ratio':>7s} "
          f"{'ms/crs':>8s} {'full/crs':>8s}")
    ratios, speedups = [], []
    for label, model in POINTS:
        sol = solve_1rsb(model, warn=False)
        rs, rs_call = _rs_prior(model)
        t_rs = _time(rs_call, args.repeat)
        states = [("solution", sol.x, sol.state)]
        for t in T_X1:
            chi = rs.chi
            states.append((f"x=1 t={t:g}", 1.0, np.array([rs.m, rs.q, rs.Q - t * chi / model.beta, t * chi])))
        for name, x, st in states:
            pargs, ds = _prior_args(model, x, st)
            t_map = _time(lambda: prior_side_1rsb_full(*pargs), args.repeat)
            t_crs = _time(lambda: prior_side_1rsb_full(*pargs, True), args.repeat)
            ratios.append(t_map / t_rs)
            speedups.append(t_map / t_crs)
            print(f"{label:36s} {name:>14s} {math.sqrt(max(ds, 0.0)):8.4f} {1e3 * t_map:8.3f} "
                  f"{1e3 * t_rs:8.4f} {t_map / t_rs:7.0f} {1e3 * t_crs:8.3f} {t_map / t_crs:8.2f}")
    print(f"median ratio (one 1RSB map / one RS prior side) = {statistics.median(ratios):.0f}; "
          f"coarse rules {min(speedups):.2f}-{max(speedups):.2f}x cheaper (median "
          f"{statistics.median(speedups):.2f}x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
