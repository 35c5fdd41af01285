"""Hostile inputs to the Python API (issue 13): every numbered defect as a regression test, and
property tests (random valid models -> invariants hold or converged=False with a message;
random invalid inputs -> ValueError/TypeError naming the parameter).

Test names start with the entry point they exercise (``test_solve_rs_...``, ``test_quantizer_...``)
so that ``pytest --collect-only -q tests/test_hostile_api.py`` counts the cases per entry point.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import scipy.integrate as sint
import scipy.stats as sst

import replicaquant as rq
from replicaquant.invariants import check_rs

BASE = dict(alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)


def _model(**kw):
    params = dict(BASE, **kw)
    return rq.Model.uniform(2, 1.5, **params)


def _solve(model, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return rq.solve_rs(model, **kw)


# =============================================================================================
# issue 13, defect 1: wrong answers reported as converged


@pytest.mark.parametrize("beta", [1e11, 1e14, 1e100, 1e140])
def test_solve_rs_huge_beta_is_the_ground_state(beta):
    """beta = 1e14 gave m = 0, gen_error 2.2445; the beta = inf ground state (closed form, an
    independent code path: normal CDFs at the thresholds) gives 0.2736.

    The finite-beta solution differs from beta = inf by a 1/beta term (Q - q = chi/beta and
    the resulting shift of the conjugates); its coefficient is measured at beta = 1e3 on the
    resolved quadrature (a third code path).  At beta >= 1e11 the difference is below 1e-11.
    """
    ref = _solve(_model(beta=math.inf))
    mid = _solve(_model(beta=1e3))
    sol = _solve(_model(beta=beta))
    assert sol.converged and check_rs(sol) is None
    coef = abs(mid.m - ref.m) * 1e3  # |m(beta) - m(inf)| ~ coef/beta
    # tolerance: the 1/beta term (coef/beta, with a factor 2 for the O(1/beta^2) remainder at
    # beta = 1e3) plus the solver tolerance 1e-11
    assert abs(sol.m - ref.m) <= 2 * coef / beta + 1e-10
    assert abs(sol.gen_error - ref.gen_error) <= 10 * coef / beta + 1e-10
    assert sol.gen_error == pytest.approx(0.2736, abs=1e-4)


@pytest.mark.parametrize("beta", [1e160, 1e300])
def test_model_beta_beyond_double_precision_is_refused(beta):
    """Past alpha (beta max c^2)^2 = 1e300 the AT value alpha E[(beta Var)^2]/(1+chi)^2 can
    overflow; the limit is stated and beta = inf suggested (docs/ranges.md)."""
    with pytest.raises(ValueError, match=r"^beta too large.*use beta=inf"):
        _model(beta=beta)


def test_solve_rs_large_beta_one_over_beta_law_across_the_switch():
    """Below the asymptotic threshold (beta = 1e3, 1e4: resolved quadrature) and above it
    (beta = 1e6, 1e8: the expansion) beta (m(beta) - m(inf)) is the same constant: the switch
    keeps the exact 1/beta term.  Tolerance 1%: the O(1/beta^2) remainder at beta = 1e3."""
    ref = _solve(_model(beta=math.inf))
    coefs = [beta * (_solve(_model(beta=beta)).m - ref.m) for beta in (1e3, 1e4, 1e6, 1e8)]
    assert np.allclose(coefs, coefs[1], rtol=1e-2), coefs


@pytest.mark.parametrize("beta", [5.0, math.inf])
@pytest.mark.parametrize("lam", [1e10, 1e20, 1e290])
def test_solve_rs_huge_lam_is_the_two_inner_level_problem(lam, beta):
    """lam = 1e20 gave m = 1.111 > sqrt(rho Q) = 0.5 and negative errors.

    For lam -> inf only the levels of smallest |c| (here +-0.5) survive, and since both have the
    same c^2 the ridge term is a constant: the order parameters are exactly those of the
    two-level set {-0.5, 0.5} (any lam; lam = 0 here), and f is shifted by lam 0.25/2.
    """
    sol = _solve(_model(lam=lam, beta=beta))
    two = _solve(rq.Model(rq.Quantizer([-0.5, 0.5]), alpha=2.0, beta=beta, lam=0.0, noise_var=0.1))
    assert sol.converged and check_rs(sol) is None
    for k in ("m", "q", "Q", "chi", "gen_error", "train_error"):
        assert getattr(sol, k) == pytest.approx(getattr(two, k), rel=1e-8, abs=1e-10), k
    assert sol.free_energy == pytest.approx(two.free_energy + lam * 0.25 / 2, rel=1e-12)


def _rounding_limit():
    """alpha -> inf: <w> is the nearest-level rounding of w0, so m = E[w0 round(w0)],
    gen_error = E[(w0 - round(w0))^2] for w0 ~ N(0, 1) (scipy quadrature, cells of (-1, 0, 1))."""
    levels = [-1.5, -0.5, 0.5, 1.5]
    edges = [-np.inf, -1.0, 0.0, 1.0, np.inf]
    pdf = sst.norm.pdf
    return sum(sint.quad(lambda w, c=c: (w - c) ** 2 * pdf(w), lo, hi)[0]
               for lo, hi, c in zip(edges[:-1], edges[1:], levels))


@pytest.mark.parametrize("beta", [5.0, math.inf])
@pytest.mark.parametrize("alpha", [1e11, 1e12, 1e14])
def test_solve_rs_huge_alpha_is_rounding_of_the_teacher(alpha, beta):
    """alpha = 1e12 gave gen_error 0.941 at beta = 5 (0.8829 expected).  Corrections to the
    rounding limit are O(noise_var/alpha) and O(1/(beta alpha)): below 1e-9 here."""
    sol = _solve(_model(alpha=alpha, beta=beta))
    assert sol.converged and check_rs(sol) is None
    assert sol.gen_error == pytest.approx(_rounding_limit(), abs=1e-9)
