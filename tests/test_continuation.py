"""The continuation primitive: predictors, retries, branch jumps, halving, hysteresis.

References are closed forms and exactly solvable toy problems, never our own output:

* the ridge closed form ``ridge_rs`` along alpha (a smooth curve; secant error must be O(h^2));
* gradient flow on ``E(x) = x^4/4 - x^2/2 - t x``: the stable fixed points are the outer roots of
  ``x^3 - x - t``, which coexist for ``|t| < t_c = 2/(3 sqrt 3)`` (a fold at each end), so a
  forward walk must jump at the first grid point past ``+t_c`` and a backward one past ``-t_c``;
* two parallel curved branches ``A(t) = sin 3t`` and ``B = A + 1`` whose basins meet at ``A + 1/2``:
  a coarse step lands on ``B``, halving keeps ``A``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from replicaquant.continuation import (ContinuationResult, follow, hysteresis, predict,
                                       same_branch, state_of)
from replicaquant.model import Model
from replicaquant.quantizers import Quantizer
from replicaquant.ridge import ridge_rs
from replicaquant.rs import solve_rs


@dataclass(frozen=True)
class Sol:
    state_vector: np.ndarray
    converged: bool = True
    residual: float = 0.0


def _start(init) -> float:
    return float(np.atleast_1d(init)[0])


def descend_cubic(t, init):
    """Exact end point of gradient flow on x^4/4 - x^2/2 - t x from ``init``: the nearest root
    of f = x^3 - x - t in the downhill direction -sign f(init) (always a stable root)."""
    x0 = _start(init)
    r = np.roots([1.0, 0.0, -1.0, -t])
    r = np.sort(r[np.abs(r.imag) < 1e-9].real)
    if x0 ** 3 - x0 - t > 0:
        below = r[r <= x0]
        x = below.max() if below.size else r.min()
    else:
        above = r[r >= x0]
        x = above.min() if above.size else r.max()
    return Sol(np.array([x]))


def two_branches(t, init):
    a = math.sin(3 * t)
    return Sol(np.array([a if _start(init) < a + 0.5 else a + 1.0]))


T_C = 2 / (3 * math.sqrt(3))


def test_same_branch_is_the_documented_rule():
    a = np.array([0.5, 0.3, 2.0])
    tol = 1e-9 + 1e-6 * 2.8  # atol + rtol max(1, |a|_1)
    assert same_branch(a, a + np.array([0.9 * tol, 0, 0]))
    assert not same_branch(a, a + np.array([1.1 * tol, 0, 0]))
    small = np.array([1e-4, 0.0, 0.0])  # below size 1 the tolerance is absolute ~1e-6
    assert same_branch(small, small + 9e-7) is False  # 3 entries x 9e-7 = 2.7e-6 > 1.001e-6
    assert same_branch(small, small + 3e-7)
    assert same_branch(a, a + 1e-3, rtol=1e-2)
    assert not same_branch(np.array([np.inf]), np.array([1.0]))
    assert same_branch(Sol(a), a)  # solutions are read with state_of
    with pytest.raises(TypeError, match="state"):
        state_of(object())


def test_secant_predictor_follows_the_ridge_closed_form_with_h2_error():
    """The predictor itself: secant extrapolation of a smooth curve has error ~ x'' h^2, so
    halving the step divides the worst prediction error by ~4 (3 to 5 allowed for the
    O(h^3) remainder on these coarse grids)."""
    def solve(alpha, init):
        r = ridge_rs(alpha, 0.1, 0.1, 1.0)
        return Sol(np.array([r.m, r.gen_error_mean, r.chi]))

    errs = []
    for n in (11, 21, 41):
        grid = np.linspace(0.5, 3.0, n)
        walk = follow(grid, solve, predictor="secant")
        assert walk.converged and [s.attempt for s in walk.steps][:2] == ["init", "predicted"]
        # the walk returns the closed form at every grid point
        for s in walk.steps:
            r = ridge_rs(s.value, 0.1, 0.1, 1.0)
            assert s.solution.state_vector[0] == r.m
        errs.append(max(s.prediction_error for s in walk.steps[2:]))
        assert not walk.branch_changes  # a smooth curve: never a jump
    assert 3.0 < errs[0] / errs[1] < 5.0 and 3.0 < errs[1] / errs[2] < 5.0
    # the prediction is the secant formula
    hist = [(1.0, np.array([1.0, 2.0])), (2.0, np.array([2.0, 5.0]))]
    np.testing.assert_allclose(predict(hist, 2.5, "secant"), [2.5, 6.5])
    np.testing.assert_allclose(predict(hist, 2.5, "previous"), [2.0, 5.0])


def test_rs_walk_along_alpha_reproduces_ridge_on_a_dense_level_grid():
    """241 levels on [-6, 6] at beta = 100 are continuous-weight ridge regression to ~2e-9
    (Poisson summation + Gaussian tail, see tests/test_sweep.py); allowed 1e-7."""
    base = Model(Quantizer(np.linspace(-6, 6, 241)), alpha=2.0, beta=100.0, lam=0.1, noise_var=0.1)
    alphas = [0.5, 0.9, 1.3, 1.7]
    walk = follow(alphas, lambda a, init: solve_rs(base.replace(alpha=a), init=init, warn=False),
                  predictor="secant", fallbacks=(None, "multi"), state=lambda s: s.x)
    assert walk.converged
    assert [s.attempt for s in walk.steps] == ["init"] + ["predicted"] * 3
    for a, sol in zip(alphas, walk.solutions):
        ref = ridge_rs(a, 0.1, 0.1, 1.0)
        assert abs(sol.chi - ref.chi) <= 1e-7 * max(1.0, ref.chi)
        assert abs(sol.m - ref.m) <= 1e-7


def test_fold_jump_is_detected_and_hysteresis_matches_the_exact_window():
    ts = np.linspace(-1.0, 1.0, 41)  # spacing 0.05; t_c = 0.3849
    h = hysteresis(ts, descend_cubic, init=np.array([-2.0]), backward_init=np.array([2.0]))
    fwd_jumps = [h.forward.steps[i].value for i in h.forward.branch_changes]
    bwd_jumps = [h.backward.steps[i].value for i in h.backward.branch_changes]
    # exactly one jump each way, at the first grid point beyond the fold
    assert fwd_jumps == [pytest.approx(0.40)] and bwd_jumps == [pytest.approx(-0.40)]
    # coexistence exactly on the grid points inside (-t_c, t_c), where the cubic has 3 roots
    np.testing.assert_array_equal(np.array(h.coexist), np.abs(ts) < T_C)
    fwd, bwd = h.aligned()
    for t, f, b in zip(ts, fwd, bwd):
        roots = np.sort(np.roots([1, 0, -1, -t]).real[np.abs(np.roots([1, 0, -1, -t]).imag) < 1e-9])
        assert f.solution.state_vector[0] == pytest.approx(roots[0] if t < T_C else roots[-1])
        assert b.solution.state_vector[0] == pytest.approx(roots[-1] if t > -T_C else roots[0])
    # on_jump="stop" ends the walk at the fold
    stop = follow(ts, descend_cubic, init=np.array([-2.0]), on_jump="stop")
    assert not stop.complete and stop.steps[-1].value == pytest.approx(0.40)
    assert "stopped" in stop.message


def test_jump_to_a_nearby_branch_detected_and_halving_keeps_the_branch():
    grid = np.arange(0.0, 2.01, 0.25)
    plain = follow(grid, two_branches, init=np.array([0.0]))
    off = [s.solution.state_vector[0] - math.sin(3 * s.value) for s in plain.steps]
    assert max(off) == pytest.approx(1.0)            # the coarse walk lands on B ...
    first_b = next(k for k, d in enumerate(off) if d > 0.5)
    assert first_b in plain.branch_changes           # ... and says so at that step
    for mh in (1, 3):
        kept = follow(grid, two_branches, init=np.array([0.0]), max_halvings=mh)
        off = [s.solution.state_vector[0] - math.sin(3 * s.value) for s in kept.steps]
        assert max(abs(d) for d in off) == 0.0        # every point on A
        assert not kept.branch_changes and kept.converged
        assert max(s.halvings for s in kept.steps) >= 1 and kept.solves > len(grid)
    # halving through the real fold still ends on the other branch and says so
    ts = np.linspace(-1.0, 1.0, 11)
    fold = follow(ts, descend_cubic, init=np.array([-2.0]), max_halvings=4)
    jumps = [fold.steps[i].value for i in fold.branch_changes]
    assert jumps == [pytest.approx(0.4)]


def test_retries_and_restarts():
    calls = []

    def flaky(t, init):
        calls.append((t, init if isinstance(init, str) or init is None else "pred"))
        ok = not (t == 2.0 and not isinstance(init, str))  # t = 2 needs the "robust" start
        return Sol(np.array([t]), converged=ok and t != 4.0, residual=1.0 if t == 4.0 else 0.0)

    walk = follow([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], flaky, init=None, fallbacks=(None, "robust"))
    att = [(s.attempt, s.fallback) for s in walk.steps]
    assert att == [("init", -1), ("predicted", -1), ("fallback", 1), ("predicted", -1),
                   ("predicted", -1), ("init", -1)]
    assert not walk.steps[4].accepted and not walk.converged
    # after the failed point the walk restarts from init; the cold fallback was tried at t=2
    assert (2.0, None) in calls and (5.0, None) in calls
    last = follow([0.0, 1.0, 4.0, 4.0, 5.0], flaky, init=None, restart="last", max_failures=2)
    assert len(last.steps) == 4 and not last.complete  # two failures in a row end the walk


def test_bad_options_raise_value_error_naming_them():
    for kw, name in ((dict(predictor="cubic"), "predictor"), (dict(on_jump="x"), "on_jump"),
                     (dict(max_halvings=-1), "max_halvings"), (dict(jump_ratio=math.nan), "jump_ratio"),
                     (dict(coords=[1.0]), "coords"), (dict(restart="x"), "restart"),
                     (dict(max_failures=0), "max_failures")):
        with pytest.raises(ValueError, match=name):
            follow([1.0, 2.0], descend_cubic, **kw)
    assert isinstance(follow([], descend_cubic), ContinuationResult)


def test_solution_predictor_passes_the_previous_solution_object():
    """A solver that can only continue from its own solution objects (like solve_1rsb's branch
    following) gets exactly the previous accepted solution as init."""
    seen = []

    def solve(t, init):
        assert init is None or isinstance(init, Sol), type(init)
        seen.append(init)
        base = 0.0 if init is None else float(init.state_vector[0])
        return Sol(np.array([base + t]))

    walk = follow([1.0, 2.0, 3.0], solve, init=None, predictor="solution")
    assert [float(s.solution.state_vector[0]) for s in walk.steps] == [1.0, 3.0, 6.0]
    assert seen[0] is None and seen[1] is walk.steps[0].solution and seen[2] is walk.steps[1].solution


def test_stop_ends_the_walk_at_the_first_bracket_of_a_root():
    """``stop(prev, sol)`` sees consecutive accepted solutions: bracketing the root of
    ``g(t) = cos t`` (the state is ``x = cos t`` exactly) must stop at the first grid point past
    ``pi/2`` and not before, with ``complete=False`` and the two bracket ends as the last steps."""
    def solve(t, init):
        return Sol(np.array([math.cos(t)]))

    ts = np.linspace(0.0, 3.0, 13)  # step 0.25: pi/2 = 1.571 lies in (1.5, 1.75)
    walk = follow(ts, solve, init=None,
                  stop=lambda p, s: p.state_vector[0] > 0 >= s.state_vector[0])
    assert not walk.complete and "by stop()" in walk.message
    assert [s.value for s in walk.steps[-2:]] == [1.5, 1.75]
    assert walk.steps[-2].solution.state_vector[0] > 0 >= walk.steps[-1].solution.state_vector[0]
    # a stop() that never fires leaves the walk complete
    assert follow(ts, solve, init=None, stop=lambda p, s: False).complete
