"""Gardner points at low temperature (beta = 50, 100) checked by finite differences of the 2RSB map.

At a Gardner point the larger 1RSB replicon of ``RSB1Solution`` (analytic formula of
``derivations/rsb1_replicon.py``, evaluated by the package's nested quadrature) equals 1.  The
independent route, as in ``tests/test_replicon.py``: embed the 1RSB saddle point in a 2RSB
ansatz, split one level by ``eps`` (within states: ``p2 = q1 + eps``; between states:
``p0 = q0 - eps``), take the conjugates from the sympy-derived 2RSB channel
(``derivations.rsb1_replicon.numeric_channel``) and the image of the split from a plain NumPy
quadrature of the 2RSB prior written here; the replicon is ``d(image)/d(eps)``.

The brute-force grids of ``test_replicon.py`` do not resolve beta = 100 (the Gibbs means step
over ``1/(beta dc) ~ 0.01`` in the field, the tilt ``exp(x beta phi)`` shifts ``z1`` by
``x beta sqrt(qhat1 - qhat0) c ~ 7``), so here each Gaussian level is integrated on the grid of
its *total field* ``g = H + s z`` (uniform, step ``w/2`` with ``w = 1/(beta dc)`` the step width
of ``<w>_h``; the Gaussian kernel of each level becomes a weight on that grid).  The integrands
are analytic in a strip of half-width ``~ pi w`` around the real axis, so the trapezoid error is
``~ exp(-2 pi^2 w / dg) ~ 1e-17`` and the finite-difference error dominates.  The one-sided
difference has an ``O(eps)`` error; Richardson extrapolation over ``eps`` and ``eps/2`` removes
it, and the tolerance is set from the size of the correction itself.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from replicaquant.derivations import rsb1_replicon as R
from replicaquant.model import Model
from replicaquant.rsb import solve_1rsb
from replicaquant.transitions import transition_lines

BASE = dict(lam=1e-4, noise_var=0.1)
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(24)
_GH_W = _GH_W / _GH_W.sum()


def _site(levels, a, beta, h):
    """``phi = ln(sum_c exp(beta (h c - a c^2 / 2))) / beta`` and ``<w>_h`` (log-sum-exp)."""
    lv = np.asarray(levels, dtype=float)
    e = beta * (h[..., None] * lv - 0.5 * a * lv ** 2)
    mx = e.max(axis=-1, keepdims=True)
    w = np.exp(e - mx)
    z = w.sum(axis=-1)
    return (np.log(z) + mx[..., 0]) / beta, (w * lv).sum(axis=-1) / z


def _grid(sol, spread):
    """Uniform field grid of step ``w/2`` covering ``+-spread`` plus the tilt shift."""
    lv = np.asarray(sol.model.levels, dtype=float)
    beta, x = sol.model.beta, sol.x
    s1sq = sol.qhat1 - sol.qhat0
    step = 0.5 / (beta * float(np.min(np.diff(lv)))) if lv.size > 1 else 0.01
    half = spread + 10.0 * math.sqrt(s1sq) + x * beta * s1sq * float(np.max(np.abs(lv))) + 0.5
    return np.arange(-half, half + step, step)


def _outer(sigma, n0=801):
    u = np.linspace(-9.0, 9.0, n0)
    w = np.exp(-u ** 2 / 2)
    return sigma * u, w / w.sum()


def _within_split(sol, delta, y2):
    """``p2 - p1`` of the 2RSB prior whose innermost conjugate is split by ``delta``:
    ``E_H0 [ E_z1[N2^(x/y2) Var2] / E_z1[N2^(x/y2)] ]`` with, at the field ``g = H0 + s1 z1``,
    ``N2 = E_z2 exp(y2 beta phi(g + sqrt(delta) z2))`` and ``Var2`` the ``N2``-weighted variance
    of ``<w>`` over ``z2`` (24-point Gauss-Hermite: ``sqrt(delta) << w``)."""
    M = sol.model
    beta, x = M.beta, sol.x
    a = M.lam + sol.Ahat
    s1 = math.sqrt(sol.qhat1 - sol.qhat0)
    sig0 = math.sqrt(sol.mhat ** 2 * M.rho + sol.qhat0)
    g = _grid(sol, 9.0 * sig0)
    phi, mean = _site(M.levels, a, beta, g[:, None] + math.sqrt(delta) * _GH_X[None, :])
    t2 = y2 * beta * phi
    t2max = t2.max(axis=1, keepdims=True)
    e2 = _GH_W * np.exp(t2 - t2max)
    n2 = e2.sum(axis=1)
    m2 = (e2 * mean).sum(axis=1) / n2
    var2 = (e2 * (mean - m2[:, None]) ** 2).sum(axis=1) / n2
    logw = (x / y2) * (np.log(n2) + t2max[:, 0])
    H0, wout = _outer(sig0)
    total = 0.0
    for i in range(0, H0.size, 100):
        lw = logw[None, :] - (g[None, :] - H0[i:i + 100, None]) ** 2 / (2 * s1 * s1)
        e = np.exp(lw - lw.max(axis=1, keepdims=True))
        total += float(np.dot(wout[i:i + 100], (e * var2).sum(axis=1) / e.sum(axis=1)))
    return total


def _between_split(sol, delta, y1):
    """``p1 - p0`` of the 2RSB prior with the outer field split ``H0 = H' + sqrt(delta) z'``:
    ``E_H' [ Var_{z'} <<w>>(H0) ]`` with the ``z'`` weights ``N1(H0)^(y1/x)``, where
    ``N1(H0) = E_z1 exp(x beta phi(H0 + s1 z1))`` and ``<<w>>`` the ``N1``-reweighted mean."""
    M = sol.model
    beta, x = M.beta, sol.x
    a = M.lam + sol.Ahat
    s1 = math.sqrt(sol.qhat1 - sol.qhat0)
    sigp = math.sqrt(sol.mhat ** 2 * M.rho + sol.qhat0 - delta)
    h = _grid(sol, 9.0 * sigp + 7.0 * math.sqrt(delta))
    phi, mean = _site(M.levels, a, beta, h)
    tilt = x * beta * phi
    Hp, wout = _outer(sigp)
    G = (Hp[:, None] + math.sqrt(delta) * _GH_X[None, :]).ravel()
    lnN = np.empty(G.size)
    mw = np.empty(G.size)
    for i in range(0, G.size, 200):
        lk = tilt[None, :] - (h[None, :] - G[i:i + 200, None]) ** 2 / (2 * s1 * s1)
        mx = lk.max(axis=1)
        e = np.exp(lk - mx[:, None])
        s = e.sum(axis=1)
        lnN[i:i + 200] = np.log(s) + mx
        mw[i:i + 200] = (e * mean).sum(axis=1) / s
    lnN = lnN.reshape(Hp.size, -1)
    mw = mw.reshape(Hp.size, -1)
    tz = (y1 / x) * lnN
    ez = _GH_W * np.exp(tz - tz.max(axis=1, keepdims=True))
    mz = (ez * mw).sum(axis=1) / ez.sum(axis=1)
    var = (ez * (mw - mz[:, None]) ** 2).sum(axis=1) / ez.sum(axis=1)
    return float(np.dot(wout, var))


def fd_replicons(sol, eps=2e-6):
    """``(lambda_within, lambda_between, corrections)`` by finite differences of the 2RSB map,
    Richardson-extrapolated over ``eps`` and ``eps / 2``; ``corrections`` are the sizes of the
    extrapolation steps (an estimate of the remaining O(eps) error, far above it)."""
    M = sol.model
    ch = R.numeric_channel()
    args = (M.alpha, M.beta)
    y2, y1 = 0.5 * (1 + sol.x), 0.5 * sol.x

    def within(e):
        qh = ch(*args, sol.x, y2, M.rho, M.noise_var, sol.m, sol.q0, sol.q1, sol.q1 + e, sol.Q)
        return _within_split(sol, qh[2] - qh[1], y2) / e

    def between(e):
        qh = ch(*args, y1, sol.x, M.rho, M.noise_var, sol.m, sol.q0 - e, sol.q0, sol.q1, sol.Q)
        return _between_split(sol, qh[1] - qh[0], y1) / e

    out = []
    for f in (within, between):
        d1, d2 = f(eps), f(eps / 2)
        out.append((2 * d2 - d1, abs(d2 - d1)))
    return out[0][0], out[1][0], (out[0][1], out[1][1])


def _fd_check(sol, eps=1e-6):
    """FD replicons of ``sol`` and the agreement with the analytic ones; returns the FD pair."""
    lam_in, lam_out, corr = fd_replicons(sol, eps=eps)
    # Richardson leaves O(eps^2): observed ~1e-3 of the extrapolation step at beta = 100
    # (3e-8 vs 8e-5 at eps = 4e-7); a tenth of the step plus 1e-5 is a safe bound
    assert lam_in == pytest.approx(sol.replicon, abs=1e-5 + 0.1 * corr[0])
    assert lam_out == pytest.approx(sol.replicon_between, abs=1e-5 + 0.1 * corr[1])
    return lam_in, lam_out


def test_fd_replicons_reproduce_the_beta5_reference():
    """The grid of this file at the beta = 5 point of test_replicon.py (b = 2, width 3; its
    coarser brute-force quadrature gave 1.07439 / 1.01572)."""
    sol = solve_1rsb(Model.uniform(2, 3.0, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1), warn=False)
    lam_in, lam_out = _fd_check(sol, eps=1e-5)
    assert lam_in > 1.07 and lam_out > 1.01  # both unstable: FRSB, as test_replicon.py says


def test_tabulated_gardner_point_b2_beta100_is_where_the_fd_replicon_crosses_one():
    """docs/phases.md: b = 2, width 1.5, beta = 100, Gardner alpha = 0.9077 (xtol 1e-3).  On
    both sides of it (+-3e-3, i.e. the table's precision plus margin) the full search gives a
    converged static 1RSB solution whose FD replicon is below 1 before and above 1 after."""
    alpha_g, side = 0.9077, 3e-3
    lam = []
    for a in (alpha_g - side, alpha_g + side):
        sol = solve_1rsb(Model.uniform(2, 1.5, alpha=a, beta=100.0, **BASE), warn=False)
        assert sol.converged and sol.rsb and sol.x < 1, sol.message
        lam.append(max(_fd_check(sol)))
    assert lam[0] < 1.0 < lam[1], lam


# Gardner points of docs/phases.md (lines along alpha; brackets around the tabulated values).
# 1 bit at beta = 100: no Gardner point at omega* in alpha <= 1.6; at width 1.5 (0.603) the 1RSB
# branch is reached only by continuation (the RS solution itself jumps at alpha = 0.5986), so
# the 1-bit beta = 100 point is taken at width 0.8 (the figure's diagram: replicon 0.84 at
# alpha = 0.40, 1.26 at 0.45, both converged static 1RSB/FRSB).
GARDNER = [
    pytest.param(1, 0.612, 50.0, (0.455, 0.475), id="b1-w0.612-beta50"),
    pytest.param(1, 0.8, 100.0, (0.40, 0.45), id="b1-w0.8-beta100"),
    pytest.param(2, 1.5, 50.0, (1.065, 1.085), id="b2-w1.5-beta50"),
    pytest.param(2, 1.5, 100.0, (0.900, 0.915), id="b2-w1.5-beta100"),
    pytest.param(2, 1.022, 100.0, (0.855, 0.872), id="b2-w1.022-beta100"),
]


@pytest.mark.slow
@pytest.mark.parametrize("bits, width, beta, bracket", GARDNER)
def test_gardner_line_points_against_finite_differences(bits, width, beta, bracket):
    """The Gardner point located by ``transition_lines`` (to 1e-6 in alpha): there the
    independently computed (FD) larger replicon is 1."""
    model = Model.uniform(bits, width, alpha=bracket[0], beta=beta, **BASE)
    tl = transition_lines(model, "alpha", values=bracket, kinds=("Gardner",), xtol=1e-6)
    g = tl["Gardner"]
    assert g.found, g.message
    near = solve_1rsb(model, warn=False)
    sol = solve_1rsb(model.replace(alpha=g.value), init=near, warn=False)
    assert sol.converged and sol.rsb, sol.message
    lam_in, lam_out = _fd_check(sol)
    # |d replicon / d alpha| <= ~20 here, so xtol 1e-6 moves it by <= 2e-5
    assert max(lam_in, lam_out) == pytest.approx(1.0, abs=1e-4), (g.value, lam_in, lam_out)
