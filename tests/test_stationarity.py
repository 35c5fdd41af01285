"""The RS saddle-point equations are the stationarity conditions of the free energy.

Symbolically (sympy: conjugates derived from the energetic term, compared with the implemented
``channel_conjugates``) and numerically (central finite differences of ``f`` in all six
variables at solved points, with the entropic term evaluated by the kernels at arbitrary
conjugates, not only at the saddle).
"""
from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp

from replicaquant.model import Model
from replicaquant.quantizers import Quantizer, UniformQuantizer
from replicaquant.rs import _teacher_arrays, channel_conjugates, prior_side, solve_rs
from replicaquant.symbolic import (rs_conjugates_function, rs_conjugates_symbolic, rs_energetic_term,
                                   rs_free_energy_symbolic, rs_prior_equations_symbolic, rs_symbols)
from replicaquant.teachers import DiscreteTeacher, GaussianTeacher

# --------------------------------------------------------------------------------------------
# symbolic derivation


@pytest.mark.parametrize("zero_temperature", [False, True])
def test_sympy_conjugates_simplify_to_spec_form(zero_temperature):
    s = rs_symbols()
    c = rs_conjugates_symbolic(zero_temperature)
    resid = s.rho - 2 * s.m + s.q + s.noise_var
    assert sp.simplify(c["Ahat_chi"] - s.alpha / (1 + s.chi)) == 0
    assert sp.simplify(c["mhat_chi"] - s.alpha / (1 + s.chi)) == 0
    assert sp.simplify(c["qhat_chi"] - s.alpha * resid / (1 + s.chi) ** 2) == 0
    if not zero_temperature:  # in (m, q, Q): chi = beta (Q - q)
        chi = s.beta * (s.Q - s.q)
        assert sp.simplify(c["Ahat"] - s.alpha / (1 + chi)) == 0
        assert sp.simplify(c["qhat"] - s.alpha * resid / (1 + chi) ** 2) == 0


def test_sympy_conjugates_equal_implementation(rng):
    """At random points (m^2 <= rho q so that the residual is non-negative and the
    implementation's clip qhat >= 0 is inactive) the lambdified sympy conjugates equal
    ``rs.channel_conjugates`` to rounding (1e-12 relative)."""
    F = rs_conjugates_function()
    F0 = rs_conjugates_function(zero_temperature=True)
    for _ in range(200):
        alpha, beta, rho = rng.uniform(0.1, 5), rng.uniform(0.1, 100), rng.uniform(0.2, 3)
        noise_var = rng.uniform(0, 1)
        q = rng.uniform(0, 3)
        m = rng.uniform(-1, 1) * math.sqrt(rho * q)
        Q = q + rng.uniform(0, 2)
        chi = beta * (Q - q)
        impl = channel_conjugates(alpha, rho, noise_var, m, q, chi)
        np.testing.assert_allclose(F(alpha, beta, rho, noise_var, m, q, Q), impl, rtol=1e-12)
        np.testing.assert_allclose(F0(alpha, rho, noise_var, m, q, chi), impl, rtol=1e-12)


def test_sympy_energetic_term_is_spec_formula():
    s = rs_symbols()
    chi = s.beta * (s.Q - s.q)
    spec = (s.alpha / (2 * s.beta) * sp.log(1 + chi)
            + s.alpha / 2 * (s.rho - 2 * s.m + s.q + s.noise_var) / (1 + chi))
    assert sp.simplify(rs_energetic_term() - spec) == 0
    assert sp.simplify(rs_energetic_term(True) - s.alpha / 2 * (s.rho - 2 * s.m + s.q + s.noise_var)
                       / (1 + s.chi)) == 0


def _e_phi(model, Ahat, mhat, qhat):
    tv, tp, grho = _teacher_arrays(model.teacher)
    return float(prior_side(np.ascontiguousarray(model.levels), model.lam + Ahat, model.beta,
                            mhat, qhat, tv, tp, grho)[0])


@pytest.mark.parametrize("beta", [3.0, np.inf])
@pytest.mark.parametrize("teacher", [GaussianTeacher(1.3), DiscreteTeacher([-1.0, 0.4, 1.2], [0.3, 0.3, 0.4])],
                         ids=["gauss", "discrete"])
def test_prior_equations_are_derivatives_of_entropic_term(beta, teacher):
    """sympy: stationarity in the conjugates gives m = dPhi/dmhat, Q = -2 dPhi/dAhat,
    chi = 2 dPhi/dqhat.  With Phi = E[phi] from the kernels these hold at *arbitrary* conjugates
    (they are identities of the single-site average: Stein's lemma and d phi/da = -<w^2>/2),
    checked against ``prior_side``'s outputs by central differences (h = 1e-5: truncation
    ~1e-10, rounding ~1e-11)."""
    model = Model(Quantizer([-1.3, -0.2, 0.1, 0.9, 2.0]), alpha=1.0, beta=beta, lam=0.05,
                  teacher=teacher)
    s = rs_symbols()
    zt = bool(np.isinf(beta))
    eqs = rs_prior_equations_symbolic(zt)
    tv, tp, grho = _teacher_arrays(teacher)
    h = 1e-5
    for Ahat, mhat, qhat in ((0.7, 0.7, 0.3), (1.5, 0.4, 1.1), (0.2, 1.3, 0.05)):
        x = np.array([Ahat, mhat, qhat])
        grad = []
        for i in range(3):
            e = np.zeros(3)
            e[i] = h
            grad.append((_e_phi(model, *(x + e)) - _e_phi(model, *(x - e))) / (2 * h))
        derivs = {sp.Derivative(s.Phi(s.Ahat, s.mhat, s.qhat), v): g
                  for v, g in zip((s.Ahat, s.mhat, s.qhat), grad)}
        out = prior_side(np.ascontiguousarray(model.levels), model.lam + Ahat, beta, mhat, qhat, tv, tp, grho)
        _, m, q, Q, chi, _ = out
        num = {k: float(v.subs(derivs).subs(s.beta, beta) if not zt else v.subs(derivs))
               for k, v in eqs.items()}
        assert num["m"] == pytest.approx(m, abs=1e-8)
        if zt:
            assert num["q"] == pytest.approx(Q, abs=1e-8)
            assert num["chi"] == pytest.approx(chi, abs=1e-8)
        else:
            assert num["Q"] == pytest.approx(Q, abs=1e-8)
            # q = Q - chi/beta with chi = 2 dPhi/dqhat (beta Var, not E<w>^2, at arbitrary hats)
            assert num["q"] == pytest.approx(Q - chi / beta, abs=1e-8)


# --------------------------------------------------------------------------------------------
# finite-difference stationarity at solved points


def free_energy_all(model: Model, x) -> float:
    """f(m, q, Q, mhat, qhat, Ahat) at finite beta (docs/theory.md), with chi = beta (Q - q)."""
    m, q, Q, mhat, qhat, Ahat = x
    chi = model.beta * (Q - q)
    a = model.alpha
    return (-Ahat * Q / 2 + qhat * chi / 2 + mhat * m - _e_phi(model, Ahat, mhat, qhat)
            + a / (2 * model.beta) * math.log1p(chi)
            + a / 2 * (model.rho - 2 * m + q + model.noise_var) / (1 + chi))


def free_energy_all_inf(model: Model, x) -> float:
    """f(m, q, chi, mhat, qhat, Ahat) at beta = inf (Q = q, entropic term E max)."""
    m, q, chi, mhat, qhat, Ahat = x
    a = model.alpha
    return (-Ahat * q / 2 + qhat * chi / 2 + mhat * m - _e_phi(model, Ahat, mhat, qhat)
            + a / 2 * (model.rho - 2 * m + q + model.noise_var) / (1 + chi))


def _nishimori(bits, noise_var, alpha):
    quant = UniformQuantizer(bits, 1.0)
    return Model(quant, alpha=alpha, beta=1 / noise_var, noise_var=noise_var,
                 teacher=DiscreteTeacher.from_quantizer(quant))


ASYM = Quantizer([-1.3, -0.2, 0.1, 0.9, 2.0])
SOLVED_POINTS = {
    "spec-2bit": Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1),
    "spec-1bit-rsb": Model(UniformQuantizer(1, 1.0), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1),
    "asym-beta30": Model(ASYM, alpha=1.3, beta=30.0, lam=0.05, noise_var=0.2),
    "2bit-beta100": Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=100.0, lam=1e-3, noise_var=0.1),
    "nishimori-3bit": _nishimori(3, 0.2, 1.0),
    "discrete-teacher": Model(UniformQuantizer(2, 1.2), alpha=0.8, beta=8.0, lam=0.1, noise_var=0.05,
                              teacher=DiscreteTeacher([-1.0, 0.5, 1.5], [0.3, 0.3, 0.4])),
    "inf-gauss": Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=np.inf, lam=1e-3, noise_var=0.1),
    "inf-asym-discrete": Model(ASYM, alpha=1.3, beta=np.inf, lam=0.05, noise_var=0.2,
                               teacher=DiscreteTeacher([-1.0, 0.5, 1.5], [0.3, 0.3, 0.4])),
}


@pytest.mark.parametrize("name", list(SOLVED_POINTS))
def test_free_energy_is_stationary_at_solution(name):
    """|df/dx_i| < 1e-6 in all six variables by central differences.

    Steps: h = 1e-5 for m and the conjugates; for q and Q (finite beta) h = 1e-5/beta,
    because f depends on them through chi = beta (Q - q) and its third derivative in Q grows
    like beta^3 -- so the truncation error h^2 f'''/6 stays ~1e-10 * O(beta) <= 1e-8, and
    rounding ~1e-16 |f|/h <= 1e-9.  The quadrature nodes move continuously with the
    conjugates, so E[phi] is a smooth function of them at the 1e-12 level.  A gradient from
    a wrong conjugate formula or kernel would be O(1e-2) or larger.
    """
    model = SOLVED_POINTS[name]
    sol = solve_rs(model)
    assert sol.converged
    if np.isinf(model.beta):
        F = free_energy_all_inf
        x0 = np.array([sol.m, sol.q, sol.chi, sol.mhat, sol.qhat, sol.Ahat])
        steps = np.full(6, 1e-5)
    else:
        F = free_energy_all
        x0 = np.array([sol.m, sol.q, sol.Q, sol.mhat, sol.qhat, sol.Ahat])
        steps = np.array([1e-5, 1e-5 / model.beta, 1e-5 / model.beta, 1e-5, 1e-5, 1e-5])
    # the explicit six-variable f reproduces the solver's free energy at the saddle point
    assert F(model, x0) == pytest.approx(sol.free_energy, abs=1e-12)
    grad = np.empty(6)
    for i in range(6):
        e = np.zeros(6)
        e[i] = steps[i]
        grad[i] = (F(model, x0 + e) - F(model, x0 - e)) / (2 * steps[i])
    assert np.max(np.abs(grad)) < 1e-6, grad
    # and it is a genuine test: the gradient away from the saddle point is not small
    x_off = x0.copy()
    x_off[3] *= 1.01  # mhat off by 1%
    e = np.zeros(6)
    e[0] = steps[0]
    off_grad = (F(model, x_off + e) - F(model, x_off - e)) / (2 * steps[0])
    assert abs(off_grad) > 1e-3


def test_sympy_free_energy_matches_explicit_formula(rng):
    """The symbolic f (with Phi replaced by the kernel average) equals the explicit one used in
    the finite-difference test, at random non-saddle points."""
    s = rs_symbols()
    model = SOLVED_POINTS["asym-beta30"]
    f = rs_free_energy_symbolic()
    phi_val = sp.Symbol("phi_val")
    f_num = sp.lambdify((s.m, s.q, s.Q, s.mhat, s.qhat, s.Ahat, s.alpha, s.beta, s.rho, s.noise_var, phi_val),
                        f.subs(s.Phi(s.Ahat, s.mhat, s.qhat), phi_val), modules="math")
    for _ in range(10):
        m, q = rng.uniform(0, 0.5), rng.uniform(0.3, 1.0)
        x = np.array([m, q, q + rng.uniform(0.001, 0.05), rng.uniform(0.2, 2), rng.uniform(0.05, 1),
                      rng.uniform(0.2, 2)])
        ephi = _e_phi(model, x[5], x[3], x[4])
        val = f_num(*x, model.alpha, model.beta, model.rho, model.noise_var, ephi)
        assert val == pytest.approx(free_energy_all(model, x), rel=1e-12, abs=1e-13)
