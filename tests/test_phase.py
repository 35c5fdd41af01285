"""Phase classification (issue 10 item 2): RS / d1RSB / 1RSB / FRSB beyond the AT test.

The discontinuous example is checked against the published numbers and (in
``test_rsb_branches.py``) against a brute-force evaluation of the 1RSB map; the continuous onset
against the RS AT width found by root finding on the RS solver alone.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

import replicaquant as rq
from replicaquant.model import Model

EXAMPLE = dict(alpha=0.65, beta=100.0, lam=1e-4, noise_var=0.1)
REF5 = dict(alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)


@pytest.fixture(scope="module")
def example():
    return rq.phase(Model.uniform(2, 1.5, **EXAMPLE))


def test_discontinuous_static_1rsb_while_rs_locally_stable(example):
    ph = example
    assert ph.converged, ph.message
    assert ph.label == "1RSB" and ph.transition == "discontinuous"
    assert ph.at < 1.0 and ph.rs.rs_stable  # the AT test alone would say RS
    assert 0.80 < ph.x < 0.88
    assert ph.free_energy - ph.rs.free_energy > 3e-5
    assert abs(ph.complexity) < 1e-7  # Sigma(x*) = 0 at the interior maximum
    assert ph.replicon <= 1.0 and ph.replicon_between <= 1.0  # 1RSB stable: not FRSB
    assert ph.n_branches >= 2 and ph.rsb.branches
    assert ph.q1 > ph.q0 and ph.gen_error_mean == pytest.approx(0.716, abs=5e-3)
    assert ph.gen_error_mean > ph.rs.gen_error_mean + 0.03  # RS 0.675: the AT test is misleading


@pytest.mark.parametrize("bits, width", [(1, 0.5), (2, 1.5), (3, 2.0)])
def test_reference_points_with_at_below_one_are_rs(bits, width):
    ph = rq.phase(Model.uniform(bits, width, **REF5))
    assert ph.at < 1.0
    assert ph.label == "RS" and ph.transition is None and ph.n_branches == 0, ph.message
    assert ph.x == 1.0 and ph.free_energy == ph.rs.free_energy and ph.complexity == 0.0
    assert math.isnan(ph.replicon)


@pytest.mark.parametrize("bits, width", [(1, 1.0), (2, 3.0)])
def test_reference_points_with_at_above_one_break_continuously(bits, width):
    ph = rq.phase(Model.uniform(bits, width, **REF5))
    assert ph.at > 1.0 and ph.converged
    assert ph.label in ("1RSB", "FRSB") and ph.transition == "continuous"
    assert 0 < ph.x < 1 and ph.free_energy > ph.rs.free_energy


def test_label_changes_exactly_at_the_at_line_with_q1_minus_q0_growing_from_zero():
    """b = 1, beta = 5: no discontinuous transition precedes the AT line.  The AT width is the
    root of the RS replicon alone (independent of the 1RSB code)."""
    base = Model.uniform(1, 1.0, **REF5)
    w_at = brentq(lambda w: rq.solve_rs(base.replace(width=w), init="multi").at - 1.0, 0.7, 1.0,
                  xtol=1e-12)
    below = rq.phase(base.replace(width=w_at * (1 - 2e-3)))
    assert below.label == "RS" and below.at < 1.0, below.message
    reps = [rq.phase(base.replace(width=w_at * (1 + d))) for d in (2e-3, 4e-3)]
    for r in reps:
        assert r.label in ("1RSB", "FRSB") and r.transition == "continuous", r.message
    dq = np.array([r.q1 - r.q0 for r in reps])
    # continuous onset: q1 - q0 is linear in the distance to the AT width (ratio 2 within 10%)
    assert np.all(dq > 0) and dq[1] / dq[0] == pytest.approx(2.0, rel=0.1)
    # both 1RSB replicons tend to the RS at = 1 at the bifurcation
    for r in reps:
        assert abs(r.replicon - 1.0) < 0.01 and abs(r.replicon_between - 1.0) < 0.01


def test_dynamical_phase_reports_rs_thermodynamics():
    """1 bit, beta = 100, alpha = 0.2, width 1: nontrivial x = 1 branches with Sigma(1) > 0 and no
    interior maximum: d1RSB, f = f_RS exactly (f(1) = f_RS on every branch)."""
    ph = rq.phase(Model.uniform(1, 1.0, alpha=0.2, beta=100.0, lam=1e-4, noise_var=0.1))
    assert ph.label == "d1RSB" and ph.converged, ph.message
    assert ph.complexity > 0 and ph.complexity == ph.complexity_x1
    assert ph.free_energy == ph.rs.free_energy and ph.at < 1
    for b in ph.rsb.branches:
        assert abs(b.at_one.free_energy - ph.rs.free_energy) < 1e-10


def test_phase_fields_are_flat_and_bad_input():
    d = rq.phase_fields(Model.uniform(2, 1.5, **REF5))
    assert d["phase"] == "RS" and d["phase_transition"] == "none"
    assert all(isinstance(v, (float, str)) for v in d.values())
    assert d["phase_converged"] == 1.0 and d["phase_at"] < 1
    with pytest.raises(TypeError, match="model"):
        rq.phase("model")
    with pytest.raises(ValueError, match="replicon_tol"):
        rq.phase(Model.uniform(2, 1.5, **REF5), replicon_tol=-1.0)
    d2 = rq.phase(Model.uniform(2, 1.5, **REF5)).as_dict()
    assert d2["label"] == "RS" and d2["transition"] is None


def test_never_rs_where_at_above_one():
    """1 bit, beta = 100, width 1.5, alpha = 0.9 (at = 26): the frozen branch's f(x) rises above
    f_RS but its continuation is lost at small x; the point must not be called RS."""
    ph = rq.phase(Model.uniform(1, 1.5, alpha=0.9, beta=100.0, lam=1e-4, noise_var=0.1))
    assert ph.at > 1 and ph.label in ("1RSB", "FRSB")
    assert ph.free_energy > ph.rs.free_energy
    if not ph.converged:
        assert "not located" in ph.message
