"""The convergence protocol (``convergence.finalize``) and the compiled fixed-point loop."""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pytest
from numba import njit

from replicaquant import DiscreteTeacher, GaussianTeacher, Model, UniformQuantizer
from replicaquant.convergence import INVALID, MAX_ITER, NON_FINITE, STAGNATED, SUCCESS, finalize
from replicaquant.errors import ConvergenceError
from replicaquant.fixed_point import (always_feasible, anderson_loop, anderson_workspace,
                                      fixed_point, solve_fixed_point)
from replicaquant.levels import LevelMeasure
from replicaquant.quantizers import LloydMaxQuantizer, PowerQuantizer
from replicaquant.rs import RSMap, _teacher_arrays, solve_rs
from replicaquant.state_evolution import state_evolution


@dataclass(frozen=True)
class _Res:
    converged: bool
    message: str
    status: int = SUCCESS


# ---------------------------------------------------------------------------------------------
# finalize


def test_finalize_passes_converged_results_through_silently():
    r = _Res(True, "converged")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert finalize(r, strict=True, what="x") is r


def test_finalize_warns_raises_or_stays_silent():
    r = _Res(False, "residual 1e-3", MAX_ITER)
    with pytest.warns(RuntimeWarning, match=r"^toy did not converge for 'M': residual 1e-3; last x=1$"):
        out = finalize(r, what="toy", model="M", detail="last x=1")
    assert out is r
    with pytest.raises(ConvergenceError, match="toy did not converge: residual 1e-3") as info:
        finalize(r, strict=True, warn=False, what="toy")
    assert info.value.result is r
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert finalize(r, warn=False, what="toy") is r


def test_finalize_violation_replaces_a_converged_result():
    r = _Res(True, "converged")
    with pytest.warns(RuntimeWarning, match="chi < 0"):
        out = finalize(r, violation="invariant chi >= 0 violated: chi < 0", what="toy")
    assert not out.converged and out.status == INVALID and out.message.startswith("invariant")
    assert r.converged  # the original is frozen and untouched
    with pytest.raises(TypeError, match="violation"):
        finalize(r, violation=3, what="toy")


def test_finalize_warning_points_at_the_callers_caller():
    def solver():
        return finalize(_Res(False, "nope"), what="solver", stacklevel=2)

    with pytest.warns(RuntimeWarning) as rec:
        solver()  # this line is the one the warning must name
    assert rec[0].filename == __file__


def test_state_evolution_reports_status_and_message():
    model = Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    se = state_evolution(model, n_iter=2, warn=False)
    assert not se.converged and se.status == MAX_ITER and "not converged" in se.message
    se = state_evolution(model, n_iter=300)
    assert se.converged and se.status == SUCCESS and se.as_dict()["status"] == SUCCESS


# ---------------------------------------------------------------------------------------------
# compiled loop == Python loop


@njit(cache=True)
def _toy_map(x, args):
    # a contraction with a non-trivial Jacobian: x -> A cos(x) + b
    a, b = args
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = a * math.cos(x[(i + 1) % x.size]) + b * (i + 1)
    return out


@njit(cache=True)
def _toy_solve(x0, args, mixing, tol, max_iter, depth, patience, ws):
    return anderson_loop(_toy_map, always_feasible, x0, args, mixing, tol, max_iter, depth,
                         patience, ws)


@pytest.mark.parametrize("mixing, depth", [(0.5, 5), (1.0, 3), (0.3, 0)])
def test_anderson_loop_matches_python_loop_on_a_toy_map(mixing, depth):
    args = (0.7, 0.1)
    x0 = np.zeros(4)
    x, fx, status, it, res = _toy_solve(x0, args, mixing, 1e-13, 500, depth, -1,
                                        anderson_workspace(4, depth))
    ref = fixed_point(lambda v: _toy_map(v, args), x0, mixing=mixing, tol=1e-13, max_iter=500,
                      anderson=depth)
    assert status == SUCCESS and ref.converged
    assert it == ref.iterations  # the same iteration, step by step
    # the two differ only in the order of floating-point sums (Anderson update)
    np.testing.assert_allclose(x, ref.x, rtol=0, atol=1e-13)


def test_anderson_loop_reports_max_iter_and_stagnation():
    args = (0.7, 0.1)
    x, fx, status, it, res = _toy_solve(np.zeros(4), args, 0.5, 1e-13, 3, 5, -1,
                                        anderson_workspace(4, 5))
    assert status == MAX_ITER and it == 3 and res > 1e-13
    # tol = 0 can never be met: the patience test stops it
    x, fx, status, it, res = _toy_solve(np.zeros(4), args, 0.5, 0.0, 10_000, 5, 20,
                                        anderson_workspace(4, 5))
    assert status == STAGNATED and it < 10_000


def _grid_models():
    out = []
    for quant in (UniformQuantizer(1, 1.0), UniformQuantizer(2, 1.5), PowerQuantizer(3, 2.0, 1.5),
                  LloydMaxQuantizer(2)):
        for alpha, beta in ((0.5, 2.0), (2.0, 5.0), (3.0, 20.0), (1.5, math.inf)):
            out.append(Model(quant, alpha=alpha, beta=beta, lam=1e-3, noise_var=0.1))
    q = UniformQuantizer(2, 1.0)
    out.append(Model(q, alpha=1.5, beta=5.0, noise_var=0.2, teacher=DiscreteTeacher.from_quantizer(q)))
    return out


@pytest.mark.parametrize("model", _grid_models(), ids=repr)
def test_compiled_rs_iteration_equals_the_python_iteration(model):
    """The compiled RS loop is the Python loop of ``fixed_point`` on ``RSMap`` (same steps)."""
    rsmap = RSMap(model)
    kw = dict(mixing=0.5, tol=1e-12, max_iter=3000, anderson=5)
    fast = rsmap.iterate(np.zeros(3), patience=200, **kw)
    slow = fixed_point(rsmap, np.zeros(3), feasible=rsmap.feasible, patience=200, **kw)
    assert fast.status == slow.status and fast.iterations == slow.iterations
    # identical map evaluations; the Anderson update sums in another order (1e-16 per step)
    np.testing.assert_allclose(fast.x, slow.x, rtol=1e-12, atol=1e-12)
    sol = solve_rs(model, warn=False)
    assert sol.status == (SUCCESS if sol.converged else sol.status)


def test_rs_status_codes():
    model = Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    assert solve_rs(model).status == SUCCESS
    sol = solve_rs(model, max_iter=2, fallback=False, warn=False)
    assert not sol.converged and sol.status == MAX_ITER
    # one bit, beta = inf, small alpha (the case of test_rs_physics): chi diverges -> the
    # apparent fixed point is rejected
    m1 = Model(UniformQuantizer(1, 1.5), alpha=0.3, beta=math.inf, lam=0.1, noise_var=0.1)
    sol = solve_rs(m1, warn=False)
    assert not sol.converged and sol.status == INVALID and "chi diverges" in sol.message


def test_solve_fixed_point_does_not_swallow_root_finder_errors():
    calls = {"n": 0}

    def F(x):
        calls["n"] += 1
        if calls["n"] > 3:  # the first attempt is over: the root finder sees this
            raise FloatingPointError("boom")
        return x + 1.0  # no fixed point

    def loop(x0, **kw):
        return fixed_point(lambda v: v + 1.0, x0, **kw)

    r = solve_fixed_point(F, np.zeros(2), max_iter=3, fallback_max_iter=3, loop=loop)
    assert not r.converged and "root finder raised FloatingPointError: boom" in r.message


def test_non_finite_map_status():
    r = fixed_point(lambda v: v * np.nan, np.ones(2))
    assert r.status == NON_FINITE and not r.converged


# ---------------------------------------------------------------------------------------------
# LevelMeasure


@pytest.mark.parametrize("teacher", [GaussianTeacher(0.7), DiscreteTeacher([-1.0, 0.5], [0.25, 0.75])])
def test_level_measure_equals_the_old_arrays(teacher):
    model = Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, teacher=teacher)
    lm = LevelMeasure.from_model(model)
    tv, tp, grho = _teacher_arrays(model.teacher)
    np.testing.assert_array_equal(lm.levels, model.levels)
    np.testing.assert_array_equal(lm.t_values, tv)
    np.testing.assert_array_equal(lm.t_probs, tp)
    assert lm.gauss_rho == grho
    assert (grho > 0) == isinstance(teacher, GaussianTeacher)
    assert lm == LevelMeasure.from_model(model)
    assert lm.as_tuple()[0] is lm.levels
    with pytest.raises(AttributeError):
        lm.gauss_rho = 1.0  # frozen
