"""1RSB replicons (Gardner stability; issue 10 item 3).

Independent route: the 1RSB solution is embedded in a 2RSB ansatz and the 2RSB map is
differentiated numerically in the splitting direction -- conjugates from the sympy-derived 2RSB
channel (``derivations.rsb1_replicon.numeric_channel``), prior side by a brute-force three-level
quadrature written here in plain NumPy (trapezoid rules and Gauss-Hermite, no code of
``replicaquant.rsb``).  The analytic replicons of ``RSB1Solution`` must equal these slopes.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from replicaquant.derivations import rsb1_replicon as R
from replicaquant.kernels import site_moments_array
from replicaquant.model import Model
from replicaquant.rsb import solve_1rsb

REF5 = dict(alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(24)
_GH_W = _GH_W / _GH_W.sum()


@pytest.fixture(scope="module")
def deep():
    return solve_1rsb(Model.uniform(2, 3.0, **REF5))


def _moments(levels, a, beta, h):
    r = site_moments_array(levels, a, h.ravel(), beta)
    return r["phi"].reshape(h.shape), r["mean"].reshape(h.shape)


def _z1_grid(x, beta, s1, levels, n1=601):
    zc = x * beta * s1 * np.array([min(levels[0], 0.0), max(levels[-1], 0.0)])
    z = np.linspace(zc[0] - 9, zc[1] + 9, n1)
    return z, np.exp(-z ** 2 / 2)


def _within_split(sol, delta, y2, n0=801):
    """``p2 - p1`` of the 2RSB prior with innermost conjugate split ``delta``: z2 by 24-point
    Gauss-Hermite (std sqrt(delta) ~ 0.01 << the step width 1/(beta dc) = 0.1), z1 and H0 by
    trapezoid rules finer than the step width."""
    M = sol.model
    lv, beta, x = M.levels, M.beta, sol.x
    a = M.lam + sol.Ahat
    s1 = math.sqrt(sol.qhat1 - sol.qhat0)
    s2 = math.sqrt(delta)
    sig0 = math.sqrt(sol.mhat ** 2 * M.rho + sol.qhat0)
    z1, g1 = _z1_grid(x, beta, s1, lv)
    u = np.linspace(-9, 9, n0)
    wout = np.exp(-u ** 2 / 2)
    wout /= wout.sum()
    total = 0.0
    for i0 in range(0, n0, 40):
        H0 = sig0 * u[i0:i0 + 40]
        h = H0[:, None, None] + s1 * z1[None, :, None] + s2 * _GH_X[None, None, :]
        phi, mean = _moments(lv, a, beta, h)
        t2 = y2 * beta * phi
        t2max = t2.max(axis=2, keepdims=True)
        e2 = _GH_W * np.exp(t2 - t2max)
        N2 = e2.sum(axis=2)
        m2 = (e2 * mean).sum(axis=2) / N2
        var2 = (e2 * (mean - m2[..., None]) ** 2).sum(axis=2) / N2
        lnN2 = np.log(N2) + t2max[..., 0]
        t1 = (x / y2) * lnN2
        e1 = g1 * np.exp(t1 - t1.max(axis=1, keepdims=True))
        total += np.dot(wout[i0:i0 + 40], (e1 * var2).sum(axis=1) / e1.sum(axis=1))
    return total


def _between_split(sol, delta, y1, n0=801):
    """``p1 - p0`` of the 2RSB prior with the outer field split ``H0 = H' + sqrt(delta) z'``."""
    M = sol.model
    lv, beta, x = M.levels, M.beta, sol.x
    a = M.lam + sol.Ahat
    s1 = math.sqrt(sol.qhat1 - sol.qhat0)
    sigp = math.sqrt(sol.mhat ** 2 * M.rho + sol.qhat0 - delta)
    z1, g1 = _z1_grid(x, beta, s1, lv)
    u = np.linspace(-9, 9, n0)
    wout = np.exp(-u ** 2 / 2)
    wout /= wout.sum()
    sd = math.sqrt(delta)
    total = 0.0
    for i0 in range(0, n0, 40):
        Hp = sigp * u[i0:i0 + 40]
        h = Hp[:, None, None] + sd * _GH_X[None, :, None] + s1 * z1[None, None, :]
        phi, mean = _moments(lv, a, beta, h)
        t1 = x * beta * phi
        t1max = t1.max(axis=2, keepdims=True)
        e1 = g1 * np.exp(t1 - t1max)
        N1 = e1.sum(axis=2)
        mw = (e1 * mean).sum(axis=2) / N1           # <<w>>(H0) for each z'
        lnN = np.log(N1) + t1max[..., 0]
        tz = (y1 / x) * lnN
        ez = _GH_W * np.exp(tz - tz.max(axis=1, keepdims=True))
        mz = (ez * mw).sum(axis=1) / ez.sum(axis=1)
        var = (ez * (mw - mz[:, None]) ** 2).sum(axis=1) / ez.sum(axis=1)
        total += np.dot(wout[i0:i0 + 40], var)
    return total


def test_sympy_replicon_derivation_checks():
    checks = R.run_checks()
    assert checks and all(checks.values()), checks


@pytest.mark.parametrize("x_fixed", [None, 0.8])
def test_replicons_equal_finite_differences_of_the_2rsb_map(deep, x_fixed):
    sol = deep if x_fixed is None else solve_1rsb(deep.model, x=x_fixed, init=deep)
    assert sol.converged and sol.rsb
    M = sol.model
    ch = R.numeric_channel()
    eps = 1e-4
    # the 2RSB channel at the degenerate point reproduces the 1RSB conjugates
    y2 = 0.5 * (1 + sol.x)
    qh = ch(M.alpha, M.beta, sol.x, y2, M.rho, M.noise_var, sol.m, sol.q0, sol.q1, sol.q1, sol.Q)
    assert qh[0] == pytest.approx(sol.qhat0, rel=1e-10) and qh[1] == pytest.approx(sol.qhat1, rel=1e-10)
    # within states: split p2 = q1 + eps
    qh = ch(M.alpha, M.beta, sol.x, y2, M.rho, M.noise_var, sol.m, sol.q0, sol.q1, sol.q1 + eps, sol.Q)
    lam_in = _within_split(sol, qh[2] - qh[1], y2) / eps
    # between states: split p0 = q0 - eps below p1 = q0
    y1 = 0.5 * sol.x
    qh = ch(M.alpha, M.beta, y1, sol.x, M.rho, M.noise_var, sol.m, sol.q0 - eps, sol.q0, sol.q1, sol.Q)
    lam_out = _between_split(sol, qh[1] - qh[0], y1) / eps
    # finite-difference error O(eps) relative (observed 5e-5 within, 2e-4 between at x*),
    # quadrature ~1e-8: 2e-3 relative still separates e.g. 1.074 from 1
    assert sol.replicon == pytest.approx(lam_in, rel=2e-3)
    assert sol.replicon_between == pytest.approx(lam_out, rel=2e-3)


def test_replicons_reduce_to_at_when_q1_equals_q0():
    """RS-stable point: every start collapses to q1 = q0 at fixed x; both replicons are then
    the RS AT value (RS solver, independent quadrature)."""
    model = Model.uniform(2, 1.5, **REF5)
    for x in (0.3, 0.7, 1.0):
        s = solve_1rsb(model, x=x)
        assert s.converged and not s.rsb
        assert s.replicon == pytest.approx(s.rs.at, abs=1e-8)
        assert s.replicon_between == pytest.approx(s.rs.at, abs=1e-8)
