"""Transition lines (issue 10 item 4): dynamical, static (Kauzmann), AT, Gardner along an axis.

Independent routes: the AT value against ``analysis.at_line`` (RS solver only); the Kauzmann
point against finite differences of ``f`` along the branch at ``x = 1`` (``Sigma(1) = 0`` means
``f(1 - h) - f_RS = O(h^2)`` instead of ``O(h)``); the labels on both sides against ``rq.phase``.
"""
from __future__ import annotations

import math

import pytest

import replicaquant as rq
from replicaquant.analysis import at_line
from replicaquant.model import Model
from replicaquant.rsb import follow_branch, solve_1rsb
from replicaquant.transitions import transition_lines

REF5 = dict(alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)


def test_continuous_at_transition_along_width_beta5():
    """b = 1, beta = 5: RS up to the AT width, then broken continuously; no x = 1 branch and no
    Kauzmann point before the AT line."""
    model = Model.uniform(1, 0.8, **REF5)
    tl = transition_lines(model, "width", (0.7, 1.0), n_scan=5, kinds=("dynamical", "static", "AT"))
    at = tl["AT"]
    ref = at_line(model, "width", (0.7, 1.0), warn=False)
    assert at.found and at.value == pytest.approx(ref.value, abs=1e-6)
    assert at.below["label"] == "RS" and at.above["label"] in ("1RSB", "FRSB")
    assert at.above["q1"] - at.above["q0"] < 1e-3  # continuous: q1 - q0 grows from 0
    assert not tl["static"].found
    # the only x = 1 branch is the AT one: it appears exactly at the AT width
    dyn = tl["dynamical"]
    assert (not dyn.found) or abs(dyn.value - at.value) < 1e-3
    assert tl.labels[0] == "RS" and tl.labels[-1] in ("1RSB", "FRSB")


@pytest.mark.slow
def test_random_first_order_structure_along_alpha_beta100():
    """b = 2, width 1.5, beta = 100: dynamical < static < AT along alpha; the issue's example
    alpha = 0.65 lies between the static and the AT line (static 1RSB while at < 1)."""
    model = Model.uniform(2, 1.5, alpha=0.65, beta=100.0, lam=1e-4, noise_var=0.1)
    tl = transition_lines(model, "alpha", (0.35, 0.95), n_scan=7, xtol=1e-4,
                          kinds=("dynamical", "static", "AT"))
    dyn, stat, at = tl["dynamical"], tl["static"], tl["AT"]
    assert dyn.found and stat.found and at.found, (dyn.message, stat.message, at.message)
    assert dyn.value < stat.value < 0.65 < at.value
    assert dyn.below["label"] == "RS" and dyn.above["label"] == "d1RSB"
    assert stat.below["label"] == "d1RSB" and stat.above["label"] == "1RSB"
    assert stat.above["at"] < 1 and stat.above["q1"] - stat.above["q0"] > 0.1  # discontinuous
    # Kauzmann: on the branch with Sigma(1) ~ 0, f(1 - h) - f_RS is O(h^2): compare two h
    sol = solve_1rsb(model.replace(alpha=stat.value))
    br = min(sol.branches, key=lambda b: abs(b.at_one.complexity))
    assert abs(br.at_one.complexity) < 1e-3
    f1 = br.at_one.free_energy
    d = []
    for h in (0.02, 0.04):
        (s,) = follow_branch(sol.model, br.at_one, [1.0 - h])
        d.append(s.free_energy - f1)
    # O(h) would give a ratio 2, O(h^2) a ratio 4 (quadratic coefficient beta-scaled, positive)
    assert d[1] / d[0] == pytest.approx(4.0, rel=0.15)
    # the phase at the example agrees with the line positions
    assert rq.phase(model).label == "1RSB"
    assert all(math.isfinite(v) for v in tl.values)
