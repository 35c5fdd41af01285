"""The invariant checks themselves: each one fires on a result that violates exactly it.

Results are built by hand (SimpleNamespace) from a genuine RS solution with one field altered, so
each test knows the right answer independently of the checks.
"""
import dataclasses
import math
from types import SimpleNamespace

import numpy as np
import pytest

import replicaquant as rq
from replicaquant.invariants import (check_amp_summary, check_fields, check_rs, check_rsb1,
                                     check_se, first_violation)


@pytest.fixture(scope="module")
def rs_sol():
    model = rq.Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    return rq.solve_rs(model)


def test_first_violation_and_fields():
    assert first_violation(None, None) is None
    assert first_violation(None, "a", "b") == "a"
    assert check_fields({"a": 1.0, "b": np.ones(3)}) is None
    assert "b is NaN" in check_fields({"a": 1.0, "b": [1.0, math.nan]})
    assert "a is not finite" in check_fields({"a": math.inf})
    assert check_fields({"at": math.inf}, allow_inf=("at",)) is None
    assert "at is not finite" in check_fields({"at": -math.inf}, allow_inf=("at",))


def test_genuine_rs_solution_passes(rs_sol):
    assert rs_sol.converged
    assert check_rs(rs_sol) is None


@pytest.mark.parametrize("change, words", [
    (dict(m=1.2), "m^2 <= rho Q"),
    (dict(q=-0.1), "q >= 0"),
    (dict(q=2.0), "q <= Q"),
    (dict(chi=-0.5), "chi >= 0"),
    (dict(qhat=-1.0), "qhat >= 0"),
    (dict(train_error=-0.1), "train_error >= 0"),
    (dict(free_energy=0.5), "free energy consistent"),
    (dict(m=math.nan), "m is NaN"),
    (dict(Q=math.inf), "Q is not finite"),
])
def test_each_rs_invariant_fires(rs_sol, change, words):
    bad = dataclasses.replace(rs_sol, **change)
    reason = check_rs(bad)
    assert reason is not None and words in reason, reason


def test_rs_identities(rs_sol):
    # shifting Q alone breaks Q - q = chi/beta (and the error formulas)
    assert "Q - q = chi/beta" in check_rs(dataclasses.replace(rs_sol, Q=rs_sol.Q + 1e-3))
    assert "mhat = alpha/(1 + chi)" in check_rs(dataclasses.replace(rs_sol, mhat=rs_sol.mhat * 1.01))
    assert "gen_error = rho - 2m + Q" in check_rs(dataclasses.replace(rs_sol, gen_error=rs_sol.gen_error + 0.01))


def test_rs_without_model_checks_what_it_can():
    ns = SimpleNamespace(m=0.5, q=0.3, Q=0.4, chi=1.0, mhat=1.0, qhat=0.1, Ahat=1.0,
                         free_energy=0.0, gen_error=0.1, gen_error_mean=0.1, train_error=0.1,
                         at=math.inf)
    assert check_rs(ns) is None
    ns.q = 0.5
    assert "q <= Q" in check_rs(ns)


def _rsb(**kw):
    base = dict(x=0.8, m=0.5, q0=0.4, q1=0.6, Q=0.7, chi1=0.5, mhat=1.0, qhat0=0.1, qhat1=0.2,
                Ahat=1.0, free_energy=0.1, gen_error=0.7, gen_error_mean=0.5, train_error=0.1,
                dfdx=0.0, complexity=0.0)
    base.update(kw)
    return SimpleNamespace(**base)


@pytest.mark.parametrize("change, words", [
    (dict(x=0.0), "0 < x <= 1"), (dict(x=1.5), "0 < x <= 1"),
    (dict(q0=0.65), "q0 <= q1"), (dict(q1=0.8), "q1 <= Q"), (dict(chi1=-1.0), "chi1 >= 0"),
    (dict(qhat1=0.05), "qhat0 <= qhat1"), (dict(complexity=math.nan), "complexity is NaN"),
])
def test_rsb1_invariants(change, words):
    assert check_rsb1(_rsb()) is None
    assert words in check_rsb1(_rsb(**change))


def test_se_and_amp_invariants():
    se = SimpleNamespace(m=np.array([0.0, 0.5]), q=np.array([0.0, 0.4]), chi=np.array([0.0, 1.0]),
                         Q=np.array([0.0, 0.5]), mhat=np.ones(2), qhat=np.ones(2),
                         mse=np.array([1.0, 0.5]), gen_error=np.array([1.0, 0.6]))
    assert check_se(se) is None
    se.q = np.array([0.0, 0.6])
    assert "q <= Q" in check_se(se)
    se.q = np.array([0.0, math.nan])
    assert "q is NaN" in check_se(se)
    run = SimpleNamespace(w=np.array([0.1, -0.2]), v=np.array([0.1, 0.2]), V=0.15, q=0.025,
                          mse=0.3, m=0.1, residual=1e-9)
    assert check_amp_summary(run, levels=[-1.0, 1.0]) is None
    assert "min(levels) <= w_i <= max(levels)" in check_amp_summary(run, levels=[-0.1, 0.1])
    run.v = np.array([-0.1, 0.2])
    assert "v >= 0" in check_amp_summary(run)
