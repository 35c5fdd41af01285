"""State evolution: one RS-map step per iteration, fixed point = replica saddle point.

References are closed forms (ridge), exact identities (Nishimori line, channel conjugates) and the
independent damped/Anderson solver ``solve_rs`` -- never numbers copied from our own output.
"""
from __future__ import annotations

import numpy as np
import pytest

from replicaquant.model import Model
from replicaquant.quantizers import LloydMaxQuantizer, PowerQuantizer, Quantizer, UniformQuantizer
from replicaquant.ridge import ridge_rs
from replicaquant.rs import ConvergenceError, RSMap, solve_rs
from replicaquant.state_evolution import SEResult, state_evolution
from replicaquant.teachers import DiscreteTeacher

BASE = dict(alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
U2 = UniformQuantizer(2, 1.5)

# RS-stable points of the docs/theory.md reference table and beyond (undamped SE converges at all)
STABLE = {
    "uniform b=2 w=1.5": Model(U2, **BASE),
    "uniform b=1 w=0.5": Model(UniformQuantizer(1, 0.5), **BASE),
    "uniform b=3 w=2.0": Model(UniformQuantizer(3, 2.0), **BASE),
    "lloyd-max b=2": Model(LloydMaxQuantizer(2), **BASE),
    "power b=2 w=1.5 gamma=1.5": Model(PowerQuantizer(2, 1.5, 1.5), **BASE),
    "discrete teacher {-1,0,1}": Model(U2, teacher=DiscreteTeacher([-1, 0, 1], [0.25, 0.5, 0.25]), **BASE),
    "asymmetric levels": Model(Quantizer([-1.2, -0.3, 0.4, 1.5]), **BASE),
}


def test_each_step_is_one_rsmap_step():
    # one implementation: x_t must be exactly RSMap(x_{t-1}) (same compiled code, same inputs)
    model = STABLE["uniform b=2 w=1.5"]
    se = state_evolution(model, n_iter=6, warn=False)
    F = RSMap(model)
    for t in range(1, 7):
        x_prev = np.array([se.m[t - 1], se.q[t - 1], se.chi[t - 1]])
        np.testing.assert_array_equal(F(x_prev), [se.m[t], se.q[t], se.chi[t]])


def test_arrays_line_up_by_index():
    # t = 0 is the init (AMP's w = 0, v = 0 maps to m = q = chi = 0); conjugates at index t are
    # those of iterate t (exact algebraic identities, so 1e-14)
    model = STABLE["discrete teacher {-1,0,1}"]
    se = state_evolution(model, n_iter=12, warn=False)
    assert isinstance(se, SEResult)
    assert se.m.shape == se.q.shape == se.chi.shape == se.mse.shape == (13,)
    assert se.m[0] == se.q[0] == se.chi[0] == 0.0
    a, rho, nv = model.alpha, model.rho, model.noise_var
    np.testing.assert_allclose(se.mhat, a / (1 + se.chi), rtol=1e-14)
    np.testing.assert_allclose(se.qhat, a * (rho - 2 * se.m + se.q + nv) / (1 + se.chi) ** 2, rtol=1e-14)
    np.testing.assert_allclose(se.mse, rho - 2 * se.m + se.q, rtol=1e-14)
    np.testing.assert_allclose(se.gen_error, rho - 2 * se.m + se.Q, rtol=1e-14)
    np.testing.assert_array_equal(se.V, se.chi)
    # the MSE of the uninformed start is the teacher second moment
    assert se.mse[0] == pytest.approx(rho, rel=1e-14)


@pytest.mark.parametrize("name", sorted(STABLE))
def test_fixed_point_equals_solve_rs(name):
    # SE is the undamped RS map; solve_rs (damped + Anderson, tol 1e-11) is an independent
    # route to the same saddle point.  The SE tail contracts geometrically, so after 400 steps
    # its distance to the fixed point is ~ residual/(1 - rate) < 1e-9: 1e-8 is safe.
    model = STABLE[name]
    se = state_evolution(model, n_iter=400)
    sol = solve_rs(model)
    assert se.converged and sol.converged
    assert abs(se.m[-1] - sol.m) < 1e-8
    assert abs(se.q[-1] - sol.q) < 1e-8
    assert abs(se.chi[-1] - sol.chi) < 1e-8
    assert abs(se.Q[-1] - sol.Q) < 1e-8
    assert abs(se.mse[-1] - sol.gen_error_mean) < 1e-8
    assert abs(se.mhat[-1] - sol.mhat) < 1e-8 and abs(se.qhat[-1] - sol.qhat) < 1e-8


@pytest.mark.parametrize("alpha", [0.5, 2.0])
def test_dense_grid_reproduces_ridge_closed_form(alpha):
    # 241 levels on [-6, 6] at beta = 100 approximate continuous weights (docs/theory.md); the SE
    # fixed point must then be the closed-form ridge solution.  Grid/quadrature error is below
    # 1e-6 here (the core checks the same limit for solve_rs), so 1e-6 relative.
    model = Model(Quantizer(np.linspace(-6, 6, 241)), alpha=alpha, beta=100.0, lam=0.1, noise_var=0.1)
    se = state_evolution(model, n_iter=300)
    ref = ridge_rs(alpha, 0.1, 0.1, 1.0)
    assert se.chi[-1] == pytest.approx(ref.chi, rel=1e-6)
    assert se.mse[-1] == pytest.approx(ref.gen_error_mean, rel=1e-6)


def test_nishimori_line_holds_along_the_trajectory():
    # Teacher uniform on C, beta = 1/noise_var, lam = 0, and AMP started at the prior
    # (w = 0 = prior mean, v = beta Var_prior = beta rho): the effective scalar channel is then
    # Bayes-optimal at every t, so m_t = q_t, Q_t = rho and chi_t = beta (rho - q_t) exactly
    # (Nishimori identities); quadrature is accurate to 1e-9.
    quant = UniformQuantizer(2, 1.0)
    model = Model(quant, alpha=1.5, beta=1 / 0.2, lam=0.0, noise_var=0.2,
                  teacher=DiscreteTeacher.from_quantizer(quant))
    rho = model.rho
    se = state_evolution(model, n_iter=30, init=(0.0, 0.0, model.beta * rho))
    assert se.m[-1] > 0.3  # informative: the identities are not trivially 0 = 0
    np.testing.assert_allclose(se.m, se.q, atol=1e-9)
    np.testing.assert_allclose(se.Q[1:], rho, atol=1e-9)
    np.testing.assert_allclose(se.chi, model.beta * (rho - se.q), atol=1e-8)


def test_non_convergence_is_reported():
    model = STABLE["uniform b=2 w=1.5"]
    with pytest.warns(RuntimeWarning, match="state evolution not converged"):
        se = state_evolution(model, n_iter=2)
    assert not se.converged and se.residual > 1e-3
    with pytest.raises(ConvergenceError) as info:
        state_evolution(model, n_iter=2, strict=True)
    assert isinstance(info.value.result, SEResult)
    se = state_evolution(model, n_iter=2, warn=False)  # silent on request
    assert np.all(np.isfinite(se.mse))


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_iter=0), "n_iter"),
    (dict(n_iter=2.5), "n_iter"),
    (dict(init=(0.0, 0.0)), "init"),
    (dict(init=(0.0, np.nan, 0.0)), "init"),
    (dict(init=(0.0, -0.1, 0.0)), "init"),
    (dict(init=(0.0, 0.1, -1.0)), "init"),
    (dict(init=(0.0, 0.1, np.inf)), "init"),
    (dict(init="zero"), "init"),
    (dict(tol=-1.0), "tol"),
])
def test_bad_input_raises(kwargs, match):
    with pytest.raises(ValueError, match=match):
        state_evolution(STABLE["uniform b=2 w=1.5"], **kwargs)


def test_init_from_data_may_exceed_rho():
    # AMP started at the teacher itself has m0 = q0 = |w0|^2/d, which can exceed rho = 1: SE
    # must accept it (the map is defined for any q >= 0, chi >= 0); an informed start gives a
    # smaller first-step MSE than the uninformed one
    model = STABLE["uniform b=2 w=1.5"]
    se = state_evolution(model, n_iter=3, init=(1.03, 1.03, 0.0), warn=False)
    assert np.all(np.isfinite(se.mse))
    assert se.mse[1] < state_evolution(model, n_iter=3, warn=False).mse[1]


def test_model_must_be_a_model():
    with pytest.raises(ValueError, match="model"):
        state_evolution("not a model")
