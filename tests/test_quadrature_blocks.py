"""Public quadrature building blocks: thresholds, cell moments, symmetry, the one tie rule."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from replicaquant import LloydMaxQuantizer, PowerQuantizer, Quantizer, UniformQuantizer
from replicaquant.kernels import argmax_level, sample_level, site_moments_inf
from replicaquant.quadrature import (GL_W, GL_X, add_moments, breakpoints, cell_moments,
                                     expect, expect_bruteforce, gauss_cell_moments,
                                     std_normal_cell, symmetric_levels, threshold, thresholds)


def _quad_moments(lo, hi, mu, sig):
    """Independent route: adaptive quadrature of the Gaussian density times 1, x, x^2."""
    dens = lambda x: math.exp(-0.5 * ((x - mu) / sig) ** 2) / (sig * math.sqrt(2 * math.pi))
    # scipy.quad handles infinite limits by a change of variables; break at the mean so the
    # peak is not missed on wide intervals
    pts = [v for v in (mu,) if lo < v < hi]
    out = []
    for k in range(3):
        f = lambda x, k=k: x ** k * dens(x)
        if pts and math.isfinite(lo) and math.isfinite(hi):
            val = integrate.quad(f, lo, hi, points=pts, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
        elif pts:
            val = (integrate.quad(f, lo, pts[0], epsabs=1e-14, epsrel=1e-13, limit=200)[0]
                   + integrate.quad(f, pts[0], hi, epsabs=1e-14, epsrel=1e-13, limit=200)[0])
        else:
            val = integrate.quad(f, lo, hi, epsabs=1e-14, epsrel=1e-13, limit=200)[0]
        out.append(val)
    return np.array(out)


@pytest.mark.parametrize("lo, hi, mu, sig", [
    (-0.3, 0.7, 0.0, 1.0), (-np.inf, -1.2, 0.0, 1.0), (2.0, np.inf, 0.0, 1.0),
    (0.5, 2.5, 1.3, 0.4), (-np.inf, np.inf, -0.7, 2.0), (4.0, 6.0, 0.0, 1.0), (-3.0, 1.0, 2.0, 3.0),
])
def test_cell_moments_match_scipy_quad(lo, hi, mu, sig):
    got = np.array(gauss_cell_moments(lo, hi, mu, sig))
    ref = _quad_moments(lo, hi, mu, sig)
    # quad is converged to ~1e-13 relative; the closed form to rounding
    np.testing.assert_allclose(got, ref, rtol=1e-11, atol=1e-14)


def test_upper_tail_cell_has_no_cancellation():
    # P(5 < z < 6) = 2.86e-7: Phi(6) - Phi(5) would lose ~9 digits; the complement does not
    P, m1, m2 = std_normal_cell(5.0, 6.0)
    ref = _quad_moments(5.0, 6.0, 0.0, 1.0)
    assert P == pytest.approx(ref[0], rel=1e-12)
    assert std_normal_cell(1.0, 1.0) == (0.0, 0.0, 0.0)  # empty cell


def test_cell_moments_of_a_partition_sum_to_the_gaussian_moments():
    edges = np.concatenate(([-np.inf], thresholds(LloydMaxQuantizer(3).levels, 1.0), [np.inf]))
    P, M1, M2 = cell_moments(edges, 0.4, 1.7)
    assert P.sum() == pytest.approx(1.0, abs=1e-15)
    assert M1.sum() == pytest.approx(0.4, abs=1e-14)
    assert M2.sum() == pytest.approx(0.4 ** 2 + 1.7 ** 2, abs=1e-13)


def test_thresholds_are_the_midpoints():
    lv = PowerQuantizer(3, 2.0, 1.5).levels
    np.testing.assert_array_equal(thresholds(lv, 1.0), [(lv[i] + lv[i + 1]) / 2 for i in range(lv.size - 1)])
    np.testing.assert_allclose(thresholds(lv, 2.5), 2.5 * (lv[1:] + lv[:-1]) / 2, rtol=1e-15)
    assert threshold(lv, 2.5, 3) == 0.5 * 2.5 * (lv[3] + lv[4])


def test_breakpoints_and_rule():
    lv = UniformQuantizer(2, 1.5).levels
    bp = breakpoints(lv, 1.0, 50.0, 0.2, 1.3)
    assert np.all(np.diff(bp) >= 0) and bp[0] == pytest.approx(0.2 - 9 * 1.3)
    # sharp steps (eps = 1/50 << sig) are refined: points within 2 eps of each threshold
    for th in thresholds(lv, 1.0):
        assert np.sum(np.abs(bp - th) < 2 * 0.02) >= 3
    assert GL_W.sum() == pytest.approx(2.0) and np.all(np.abs(GL_X) < 1)


def test_add_moments():
    out = np.zeros(6)
    add_moments(out, 0.5, 1.0, 2.0, 3.0, 4.0)
    np.testing.assert_array_equal(out, [0.5, 1.0, 2.0, 1.5, 2.0, 8.0])


def test_symmetric_half_range_equals_brute_force():
    # uniform levels and a centred field: gauss_expect integrates h >= 0 only; compare with
    # the 40,001-point grid over the whole line (accuracy claim of the module: 1e-8)
    for lv in (UniformQuantizer(2, 1.5).levels, PowerQuantizer(3, 2.0, 2.0).levels,
               Quantizer([-1.0, 0.0, 1.0]).levels):
        assert symmetric_levels(lv)
        for beta in (1.0, 20.0):
            got = expect(lv, 1.3, beta, 0.0, 1.7)
            ref = expect_bruteforce(lv, 1.3, beta, 0.0, 1.7)
            np.testing.assert_allclose(got, ref, rtol=1e-8, atol=1e-10)
            assert got[1] == 0.0  # <w> is odd
    assert not symmetric_levels(Quantizer([-1.0, 0.1, 1.0]).levels)


# ---------------------------------------------------------------------------------------------
# one tie rule


@pytest.mark.parametrize("quant", [UniformQuantizer(2, 1.5), Quantizer([-1.0, 0.0, 2.0]),
                                   PowerQuantizer(3, 1.0, 2.0)], ids=repr)
def test_ties_go_up_in_quantize_and_in_the_kernels(quant):
    lv = quant.levels
    th = quant.thresholds
    up = quant.quantize(th)
    np.testing.assert_array_equal(up, lv[1:])  # quantize: the upper level
    for k, t in enumerate(th):
        # a = 1, b = theta: the same tie for the level measure (beta = inf and the heat bath)
        assert argmax_level(lv, 1.0, t) == k + 1
        assert site_moments_inf(lv, 1.0, t)[1] == lv[k + 1]
        assert sample_level(lv, 1.0, t, np.inf, 0.5) == k + 1
        # just below the threshold both round down
        below = np.nextafter(t, -np.inf)
        assert argmax_level(lv, 1.0, below) == k and quant.quantize(below) == lv[k]
