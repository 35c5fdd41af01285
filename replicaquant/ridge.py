"""Closed-form ridge regression with continuous Gaussian-prior weights (the reference limit).

With ``chi`` the positive root of ``lam chi^2 + (lam + alpha - 1) chi - 1 = 0``,
``s = alpha chi/(1 + chi)`` and ``kappa = s^2/alpha``::

    m = rho s,    rho - 2m + q = (rho (1 - s)^2 + kappa noise_var)/(1 - kappa)

Ridgeless (``lam = 0``): ``noise_var/(alpha - 1)`` for ``alpha > 1`` and
``rho (1 - alpha) + alpha noise_var/(1 - alpha)`` for ``alpha < 1`` (divergent at alpha = 1,
the interpolation threshold).  These do not depend on beta (the Gibbs mean of a Gaussian
posterior is the ridge estimator at every temperature).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from ._validation import check_real


@dataclass(frozen=True)
class RidgeResult:
    """Ridge order parameters and errors (``gen_error_mean = rho - 2m + q``)."""

    alpha: float
    lam: float
    noise_var: float
    rho: float
    chi: float
    m: float
    gen_error_mean: float
    train_error: float


def ridge_rs(alpha: float, lam: float = 0.0, noise_var: float = 0.0, rho: float = 1.0) -> RidgeResult:
    """Closed-form ridge / ridgeless asymptotics (beta = inf training error).

    ``train_error = (gen_error_mean + noise_var)/(1 + chi)^2`` is the mean squared residual
    of the ridge estimator.
    """
    alpha = check_real("alpha", alpha, low=0.0, low_inclusive=False)
    lam = check_real("lam", lam, low=0.0)
    noise_var = check_real("noise_var", noise_var, low=0.0)
    rho = check_real("rho", rho, low=0.0, low_inclusive=False)
    if lam > 0:
        b = lam + alpha - 1.0
        chi = (-b + math.sqrt(b * b + 4.0 * lam)) / (2.0 * lam)
        s = alpha * chi / (1.0 + chi)
        kappa = s * s / alpha
        gen = (rho * (1.0 - s) ** 2 + kappa * noise_var) / (1.0 - kappa)
        m = rho * s
        train = (gen + noise_var) / (1.0 + chi) ** 2
    elif alpha > 1.0:
        chi = 1.0 / (alpha - 1.0)
        m = rho
        gen = noise_var / (alpha - 1.0)
        train = (gen + noise_var) / (1.0 + chi) ** 2
    elif alpha < 1.0:
        chi = math.inf
        m = rho * alpha
        gen = rho * (1.0 - alpha) + alpha * noise_var / (1.0 - alpha)
        train = 0.0
    else:
        chi = math.inf
        m = rho
        gen = math.inf if noise_var > 0 or rho > 0 else 0.0
        train = 0.0
    return RidgeResult(alpha, lam, noise_var, rho, chi, m, gen, train)
