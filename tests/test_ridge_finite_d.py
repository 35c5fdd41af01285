"""RS free energy of continuous Gaussian weights against the exact finite-d free energy.

For continuous weights (Lebesgue measure) the partition function of ridge regression is a
Gaussian integral::

    Z = int dw exp(-beta/2 |y - X w/sqrt(d)|^2 - beta lam/2 |w|^2)
    ln Z = -beta/2 y^T M y + d/2 ln(2 pi/beta) - 1/2 ln det(S + lam),   S = X^T X/d,
    M = I - X (S + lam)^{-1} X^T/d = lam (K + lam)^{-1},                K = X X^T/d

(push-through identity).  Averaging over the teacher w0 ~ N(0, rho I) and the noise given X,
y ~ N(0, rho K + noise_var I), so with p = min(n, d), C = (smaller Gram)/d + lam I_p and
t = tr C^{-1}::

    E_y[y^T M y] = rho lam (p - lam t) + noise_var (n - p + lam t)
    ln det(S + lam) = ln det C + (d - p) ln lam                          (Sylvester)

all from one Cholesky factor of C.  The RS side: a dense level grid of spacing Delta, whose
counting measure is Lebesgue/Delta per coordinate, so f_cont = f_grid - (1/beta) ln Delta.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.linalg import cholesky, solve_triangular

from replicaquant.model import Model
from replicaquant.quantizers import Quantizer
from replicaquant.ridge import ridge_rs
from replicaquant.rs import solve_rs


def _cholesky_parts(X, lam):
    n, d = X.shape
    p = min(n, d)
    C = (X @ X.T if n < d else X.T @ X) / d + lam * np.eye(p)
    L = cholesky(C, lower=True, check_finite=False)
    logdet = 2.0 * np.sum(np.log(np.diag(L))) + (d - p) * math.log(lam)
    return L, logdet


def exact_free_energy_avg(X, rho, noise_var, beta, lam) -> float:
    """-(1/(beta d)) E_{w0, xi} ln Z given X (teacher and noise integrated out exactly)."""
    n, d = X.shape
    p = min(n, d)
    L, logdet = _cholesky_parts(X, lam)
    Linv = solve_triangular(L, np.eye(p), lower=True)
    t = float(np.sum(Linv ** 2))  # tr C^{-1} = |L^{-1}|_F^2
    quad = rho * lam * (p - lam * t) + noise_var * (n - p + lam * t)
    ln_z = -beta / 2 * quad + d / 2 * math.log(2 * math.pi / beta) - 0.5 * logdet
    return -ln_z / (beta * d)


def exact_free_energy_samples(X, Y, beta, lam) -> np.ndarray:
    """-(1/(beta d)) ln Z for each label vector (column of Y), n <= d (dual form)."""
    n, d = X.shape
    assert n <= d
    L, logdet = _cholesky_parts(X, lam)
    V = solve_triangular(L, Y, lower=True)  # y^T (K + lam)^{-1} y = |L^{-1} y|^2
    quad = lam * np.sum(V ** 2, axis=0)
    ln_z = -beta / 2 * quad + d / 2 * math.log(2 * math.pi / beta) - 0.5 * logdet
    return -ln_z / (beta * d)


def rs_continuous_free_energy(alpha, lam, noise_var, beta, rho=1.0, spacing=0.05):
    """RS free energy of continuous weights from ``solve_rs`` on a dense grid.

    The grid half-range is 8 standard deviations of the marginal of w (from the ridge closed
    form: Q = q + chi/beta), so the cut tail weighs exp(-32); spacing 0.05 is far below the
    Gibbs width 1/sqrt(beta (lam + Ahat)) >= 0.7 at beta ~ 1, so the Poisson-summation error
    of the grid sum, exp(-2 pi^2 width^2/spacing^2), is below 1e-300.
    """
    ref = ridge_rs(alpha, lam, noise_var, rho)
    q = ref.gen_error_mean - rho + 2 * ref.m
    half = 8.0 * math.sqrt(q + ref.chi / beta)
    k = int(np.ceil(half / spacing))
    levels = spacing * np.arange(-k, k + 1)
    sol = solve_rs(Model(Quantizer(levels), alpha=alpha, beta=beta, lam=lam, noise_var=noise_var))
    assert sol.converged
    return sol.free_energy - math.log(spacing) / beta, sol


def rs_continuous_closed_form(alpha, lam, noise_var, beta, rho=1.0):
    """Same RS free energy with a Gaussian single-site integral in closed form:
    phi(h) = h^2/(2a) + (1/(2 beta)) ln(2 pi/(beta a)), a = lam + Ahat."""
    r = ridge_rs(alpha, lam, noise_var, rho)
    chi, m = r.chi, r.m
    q = r.gen_error_mean - rho + 2 * m
    Q = q + chi / beta
    mhat = alpha / (1 + chi)
    qhat = alpha * (rho - 2 * m + q + noise_var) / (1 + chi) ** 2
    a = lam + mhat
    e_phi = (mhat ** 2 * rho + qhat) / (2 * a) + math.log(2 * math.pi / (beta * a)) / (2 * beta)
    return (-mhat * Q / 2 + qhat * chi / 2 + mhat * m - e_phi + alpha / (2 * beta) * math.log1p(chi)
            + alpha / 2 * (rho - 2 * m + q + noise_var) / (1 + chi))


@pytest.mark.parametrize("alpha, lam, noise_var, beta", [(0.5, 0.1, 0.1, 1.0), (2.0, 0.1, 0.1, 1.0),
                                                         (1.5, 0.5, 0.3, 2.0)])
def test_grid_measure_correction_gives_continuous_rs(alpha, lam, noise_var, beta):
    """The dense-grid RS free energy minus (1/beta) ln Delta is the continuous-weight RS free
    energy (closed-form Gaussian entropic term) to the solver tolerance."""
    f_grid, _ = rs_continuous_free_energy(alpha, lam, noise_var, beta)
    assert f_grid == pytest.approx(rs_continuous_closed_form(alpha, lam, noise_var, beta), abs=1e-9)


def test_teacher_noise_average_is_exact(rng):
    """The teacher/noise-averaged formula equals the sample mean of the literal ln Z over 4000
    label vectors for one design (within 4 standard errors)."""
    alpha, lam, nv, beta, rho, d = 0.5, 0.1, 0.1, 1.0, 1.0, 400
    n = int(alpha * d)
    X = rng.standard_normal((n, d))
    n_s = 4000
    W0 = rng.normal(0.0, math.sqrt(rho), size=(d, n_s))
    Y = X @ W0 / math.sqrt(d) + math.sqrt(nv) * rng.standard_normal((n, n_s))
    f_s = exact_free_energy_samples(X, Y, beta, lam)
    f_avg = exact_free_energy_avg(X, rho, nv, beta, lam)
    se = f_s.std(ddof=1) / math.sqrt(n_s)
    assert abs(f_s.mean() - f_avg) < 4 * se


def _finite_d_errors(alpha, lam, nv, beta, dims, n_seeds):
    f_rs, _ = rs_continuous_free_energy(alpha, lam, nv, beta)
    out = {}
    for d in dims:
        n = int(round(alpha * d))
        vals = []
        for seed in range(n_seeds):
            X = np.random.default_rng([d, seed]).standard_normal((n, d))
            vals.append(exact_free_energy_avg(X, 1.0, nv, beta, lam))
        vals = np.array(vals)
        out[d] = (vals.mean() - f_rs, vals.std(ddof=1))
    return out


def test_rs_free_energy_matches_finite_d():
    """alpha = 0.25, lam = 0.1, noise_var = 0.1, beta = 1 (cheap dual Gram: p = n = d/4).

    The teacher/noise-averaged f_d depends on X only through linear spectral statistics
    (ln det C and tr C^{-1}), whose fluctuations are O(1) (Bai-Silverstein CLT), so
    std(f_d) = c/d: measured c = 0.29-0.36 for d = 200..3200 (40 designs each).  The mean
    E f_d - f_RS is O(1/d) as well (measured |mean| <= 5e-5, i.e. consistent with 0).  With 12
    designs per d the error of the mean is ~0.1/d, so the bound |error| < 0.6/d (six standard
    errors, room for the bias) shrinks with d; at d = 1600 it is 3.8e-4, far inside the 3e-3
    asked for.
    """
    errs = _finite_d_errors(0.25, 0.1, 0.1, 1.0, (400, 800, 1600), n_seeds=12)
    for d, (err, std) in errs.items():
        assert abs(err) < 0.6 / d, (d, err, std)
        # O(1/d) fluctuations, c ~ 0.33; a 12-sample std estimate is good to ~+-25%, so
        # 0.8/d is a safe bound (an O(1/sqrt(d)) spread would exceed it by 2x at d = 1600)
        assert std < 0.8 / d, (d, std)
    assert abs(errs[1600][0]) < 3e-3


@pytest.mark.slow
@pytest.mark.parametrize("alpha, n_seeds", [(0.5, 8), (2.0, 6)])
def test_rs_free_energy_matches_finite_d_larger_alpha(alpha, n_seeds):
    """Same at alpha = 0.5 and alpha = 2 (n = 2d: Cholesky of the d x d Gram)."""
    errs = _finite_d_errors(alpha, 0.1, 0.1, 1.0, (400, 800, 1600), n_seeds=n_seeds)
    for d, (err, std) in errs.items():
        assert abs(err) < 1.0 / d, (d, err, std)
        assert std < 1.0 / d
    assert abs(errs[1600][0]) < 3e-3
