"""The nested 1RSB quadrature (replicaquant.rsb_quadrature) against an independent brute force.

The reference is a plain NumPy double sum on ONE uniform lattice in ``h`` (spacing ``dh``):
outer nodes ``H0_i`` are lattice points, the inner field ``h = H0 + s1 z1`` runs over the same
lattice, so ``z1 = (j - i) dh / s1`` is a fixed vector and the inner log-sum-exp of every outer
node is one row of a matrix.  Both sums are trapezoid rules of analytic, Gaussian-decaying
integrands: the error is ``~exp(-2 pi d / dh)`` with ``d`` the distance of the nearest
singularity from the real axis -- ``pi eps`` for the logistic steps of width ``eps`` of the
kernels, ~``s1`` for the inner Gaussian -- so ``dh <= min(eps/3, s1/2)`` gives < 1e-20.  The
windows (+-12 std around the tilted pieces, +-10 sig0 outer) cut off < 1e-22.  None of the
panels, graded breakpoints, folding, Gauss-Hermite shift or the vectorised exponential of the
implementation is used by the reference.  The 1e-9 tolerance of the existing double-grid tests
(tests/test_rsb.py) is kept; observed agreement is ~1e-12.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from replicaquant.kernels import site_moments_array
from replicaquant.quantizers import UniformQuantizer
from replicaquant.rsb import prior_side_1rsb, prior_side_1rsb_full
from replicaquant import rsb_quadrature as rq_quad


def _lattice_bruteforce(levels, a, beta, x, mhat, qhat0, qhat1, tv, tp, grho, L0=10.0, L1=12.0):
    """All nine slots of ``prior_side_1rsb_full`` by the lattice double sum (module docstring)."""
    levels = np.asarray(levels, float)
    s1 = math.sqrt(qhat1 - qhat0)
    xb = x * beta
    dc = np.diff(levels).min()
    eps = min(1.0 / (beta * dc), math.sqrt(a / beta))
    dh = min(eps / 3.0, s1 / 2.0)
    if grho > 0.0:
        comps = [(0.0, 1.0, math.sqrt(mhat ** 2 * grho + qhat0), None)]
    else:
        comps = [(mhat * v, p, math.sqrt(qhat0), v) for v, p in zip(tv, tp)]
    # inner window in lattice steps (every tilted piece +- L1 std)
    klo = int(math.floor(s1 * (xb * s1 * min(levels[0], 0.0) - L1) / dh))
    khi = int(math.ceil(s1 * (xb * s1 * max(levels[-1], 0.0) + L1) / dh))
    k = np.arange(klo, khi + 1)
    z = k * dh / s1
    acc = np.zeros(9)
    for mu, p, sig0, v in comps:
        n0 = int(math.ceil(L0 * sig0 / dh))
        H0 = mu + dh * np.arange(-n0, n0 + 1)
        wout = np.exp(-0.5 * ((H0 - mu) / sig0) ** 2) * dh / (sig0 * math.sqrt(2 * math.pi))
        h = mu + dh * np.arange(-n0 + klo, n0 + khi + 1)   # h[i + (k - klo)] = H0[i] + k dh
        r = site_moments_array(levels, a, h, beta)
        phi, mn, sc, bv = r["phi"], r["mean"], r["second"], r["bvar"]
        rows = {q: [] for q in ("lnN", "phi", "w", "w2", "sec", "bv", "bv2")}
        chunk = max(1, 2_000_000 // k.size)
        for i0 in range(0, H0.size, chunk):
            idx = np.arange(i0, min(i0 + chunk, H0.size))[:, None] + (k - klo)[None, :]
            t = xb * phi[idx] - 0.5 * z[None, :] ** 2
            tm = t.max(axis=1, keepdims=True)
            e = np.exp(t - tm)
            S = e.sum(axis=1)
            rows["lnN"].append(tm[:, 0] + np.log(S * dh / (s1 * math.sqrt(2 * math.pi))))
            rows["phi"].append((e * phi[idx]).sum(1) / S)
            rows["w"].append((e * mn[idx]).sum(1) / S)
            rows["w2"].append((e * mn[idx] ** 2).sum(1) / S)
            rows["sec"].append((e * sc[idx]).sum(1) / S)
            rows["bv"].append((e * bv[idx]).sum(1) / S)
            rows["bv2"].append((e * bv[idx] ** 2).sum(1) / S)
        R = {q: np.concatenate(vals) for q, vals in rows.items()}
        # m = E[w0 <<w>>]: discrete teacher directly; Gaussian teacher by the regression
        # E[w0 | H0] = mhat rho H0 / sig0^2
        w0 = v if v is not None else mhat * grho * H0 / sig0 ** 2
        dw = R["bv"] + xb * (R["w2"] - R["w"] ** 2)
        vals = [R["lnN"] / xb, w0 * R["w"], R["w"] ** 2, R["w2"], R["sec"], R["bv"], R["phi"],
                R["bv2"], dw ** 2]
        acc += p * np.array([np.dot(wout, f) for f in vals])
    return acc


def _gauss(rho=1.0):
    return np.zeros(1), np.ones(1), rho


# (levels, a, beta, x, mhat, qhat0, qhat1, teacher): every regime the quadrature distinguishes
CASES = {
    # resolved inner average, folded outer average (symmetric levels, Gaussian teacher)
    "b2 beta100 x1 gauss": (UniformQuantizer(2, 1.5).levels, 1.3, 100.0, 1.0, 0.8, 0.3, 0.3 + 0.05 ** 2, _gauss()),
    "b2 beta100 x0.05 gauss": (UniformQuantizer(2, 1.5).levels, 1.3, 100.0, 0.05, 0.8, 0.3, 0.3 + 0.2 ** 2, _gauss()),
    "b1 beta1000 x1 gauss": (UniformQuantizer(1, 0.5).levels, 1.1, 1000.0, 1.0, 0.7, 0.25, 0.25 + 0.005 ** 2, _gauss()),
    "b2 beta5 x0.05 gauss": (UniformQuantizer(2, 3.0).levels, 1.55, 5.0, 0.05, 1.0, 0.195, 0.402, _gauss()),
    # not folded: discrete teacher (mu != 0) at beta ~ 1e3, small x
    "b1 beta1000 x0.05 discrete": (UniformQuantizer(1, 0.5).levels, 1.1, 1000.0, 0.05, 0.7, 0.25, 0.25 + 0.005 ** 2,
                                   (np.array([-1.0, 0.5]), np.array([0.4, 0.6]), 0.0)),
    # folded component mu = 0 (teacher value 0) next to unfolded ones
    "b2 beta100 x0.3 discrete": (UniformQuantizer(2, 1.5).levels, 1.3, 100.0, 0.3, 0.8, 0.3, 0.3 + 0.04 ** 2,
                                 (np.array([-1.0, 0.0, 1.0]), np.array([0.25, 0.5, 0.25]), 0.0)),
    # asymmetric levels with a Gaussian teacher: must not fold
    "asym beta100 x0.5 gauss": (np.array([-1.0, 0.2, 1.5]), 1.2, 100.0, 0.5, 0.6, 0.2, 0.2 + 0.03 ** 2, _gauss()),
    # unresolved inner std (s1 = eps/5): shifted Gauss-Hermite, 6-bit levels (large tilt)
    "b6 beta100 x1 hermite": (UniformQuantizer(6, 3.0).levels, 1.5, 100.0, 1.0, 0.6, 0.4,
                              0.4 + (min(1 / (100 * 6 / 63), math.sqrt(1.5 / 100)) / 5) ** 2, _gauss()),
    "b2 beta1000 x0.05 hermite": (UniformQuantizer(2, 1.5).levels, 1.3, 1000.0, 0.05, 0.8, 0.3, 0.3 + 2e-4 ** 2,
                                  (np.array([-1.0, 1.0]), np.array([0.5, 0.5]), 0.0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_prior_side_matches_lattice_bruteforce(name):
    levels, a, beta, x, mhat, qhat0, qhat1, (tv, tp, grho) = CASES[name]
    levels = np.ascontiguousarray(levels, float)
    ours = prior_side_1rsb_full(levels, a, beta, x, mhat, qhat0, qhat1, tv, tp, grho)
    ref = _lattice_bruteforce(levels, a, beta, x, mhat, qhat0, qhat1, tv, tp, grho)
    # slots 7, 8 (replicon averages) scale like beta: compare relative to max(1, |ref|)
    scale = np.maximum(1.0, np.abs(ref))
    np.testing.assert_array_less(np.abs(ours - ref) / scale, 1e-9)
    np.testing.assert_allclose(prior_side_1rsb(levels, a, beta, x, mhat, qhat0, qhat1, tv, tp, grho),
                               ours[:7], rtol=0, atol=0)


def test_vectorised_exponential_matches_numpy():
    """The branch-free exp of the inner sums (mantissa polynomial x 2^k) to ~1 ulp on [-300, 300]."""
    y = np.concatenate([np.linspace(-300.0, 300.0, 200_001), [-0.5 * math.log(2), 0.0, 1e-300]])
    n = y.size
    mant = np.empty(n)
    expo = np.empty(n, np.int64)
    # gt = y, z = 0 (gh = H0), shift = 0
    rq_quad._exp_window(np.zeros(n), y, 0.0, 1.0, 0.0, 0, n, mant, expo)
    got = mant * expo.view(np.float64)
    np.testing.assert_array_less(np.abs(got / np.exp(y) - 1.0), 4e-16)


@pytest.mark.parametrize("name", sorted(CASES))
def test_coarse_rules_match_lattice_bruteforce(name):
    """The coarse rules (4 Gauss-Legendre nodes per panel, 10 Gauss-Hermite nodes; used only for
    signs and starts) against the same brute force, in every regime of CASES.  Bound 1e-4
    relative (to max(1, |ref|)): the x = 1 scan trusts a coarse sign only where the step
    ``|F_q1 - q1|`` exceeds 1e-4 |F_q1| (rsb._X1_COARSE_MARGIN), and the quasi-Newton search
    leaves the coarse rules at a residual of 1e-5, so an error of this size would only cost
    full-rule evaluations, not change an answer; the observed errors are 1e-13 to 2.1e-5 (the
    largest at x = 0.05, beta = 1000)."""
    levels, a, beta, x, mhat, qhat0, qhat1, (tv, tp, grho) = CASES[name]
    levels = np.ascontiguousarray(levels, float)
    coarse = prior_side_1rsb_full(levels, a, beta, x, mhat, qhat0, qhat1, tv, tp, grho, True)
    ref = _lattice_bruteforce(levels, a, beta, x, mhat, qhat0, qhat1, tv, tp, grho)
    scale = np.maximum(1.0, np.abs(ref))
    np.testing.assert_array_less(np.abs(coarse - ref) / scale, 1e-4)


def test_coarse_step_error_is_below_the_x1_margin():
    """The x = 1 scan's sign test (rsb.x1_roots): a coarse ``F_q1`` is used only where
    ``|F_q1 - q1| >= 1e-4 |F_q1|`` (rsb._X1_COARSE_MARGIN), which is safe if the coarse relative
    error of ``F_q1`` is well below 1e-4.  Checked on the scan states of 1-4 bit models from
    beta = 2 to 200 against the full rules (themselves checked against the brute force above to
    1e-9): bound 2e-5, a factor 5 of safety; the largest error measured on a 192-model grid was
    8.5e-6 (beta = 2, where the unresolved outer grid is coarsest)."""
    from replicaquant import rsb
    from replicaquant.model import Model
    from replicaquant.rs import solve_rs

    assert rsb._X1_COARSE_MARGIN >= 5 * 2e-5
    worst = 0.0
    for b, w, alpha, beta in [(1, 0.8, 0.3, 10.0), (1, 3.0, 3.0, 200.0), (2, 0.8, 1.5, 2.0),
                              (2, 1.5, 0.65, 100.0), (2, 3.0, 3.0, 200.0), (3, 0.8, 1.5, 2.0),
                              (3, 1.5, 0.7, 50.0), (4, 1.5, 0.7, 10.0), (4, 3.0, 1.5, 200.0)]:
        m = Model.uniform(b, w, alpha=alpha, beta=beta, lam=1e-4, noise_var=0.1)
        rs = solve_rs(m, init="multi", warn=False)
        assert rs.converged
        full, coarse = rsb.RSB1Map(m, 1.0), rsb.RSB1Map(m, 1.0, coarse=True)
        for t in rsb._T_SCAN + (0.2, 0.7, 0.99):
            s = rsb._state_x1(rs, t)
            ff, fc = full(s)[2], coarse(s)[2]
            worst = max(worst, abs(fc - ff) / abs(ff))
    assert worst < 2e-5
