"""Gaussian averages of the single-site kernels, resolved at any beta.

``gauss_expect`` computes, for ``h ~ N(mu, sig**2)``,

    E[phi], E[<w>], E[<w>**2], E[<w**2>], E[beta Var], E[(beta Var)**2]

where the brackets are the level measure with parameters ``(a, b=h)`` (see ``kernels``).

At large beta ``<w>_h`` is a smoothed staircase whose steps sit at the thresholds
``theta_k = a (c_k + c_{k+1})/2`` with width ``eps_k = 1/(beta (c_{k+1} - c_k))``: the
log-odds of two neighbouring levels is ``(h - theta_k)/eps_k``.  A fixed Gauss-Hermite rule
cannot see a step much narrower than its node spacing, so the line ``[mu - L sig, mu + L sig]``
is cut into panels: unit-``sig`` panels for the Gaussian weight, plus, around every threshold
that is sharper than ``sig``, breakpoints at ``theta_k + eps_k t`` for a graded set of ``t``
(the step is then smooth on every panel), and each panel gets a Gauss-Legendre rule.
Accuracy (checked by the tests against a 40,001-point grid): better than 1e-8 for
beta <= 100 and K <= 64.

``gauss_expect_inf`` is the beta = inf limit in closed form (normal CDF, pdf at thresholds).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .kernels import _CUTOFF, argmax_level, site_moments

N_OUT = 6
_L = 9.0  # half-width of the Gaussian support in units of sig: P(|z| > 9) = 2.3e-19
_GL_N = 8
_GL_X, _GL_W = np.polynomial.legendre.leggauss(_GL_N)
# graded breakpoints around a sharp threshold, in units of its width eps
_T_GRADED = np.array([0.0, 1.0, -1.0, 2.5, -2.5, 5.0, -5.0, 9.0, -9.0, 15.0, -15.0,
                      24.0, -24.0, 38.0, -38.0])
_T_MAX = 38.0  # exp(-38) = 3e-17: beyond this the step has fully settled
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)


@njit(cache=True)
def step_widths(levels, a, beta, i):
    """``(core, tail)`` widths in ``h`` of the step of ``<w>_h`` at threshold ``i``.

    The log-odds of levels ``i, i+1`` is ``beta dc (h - theta_i)``, so the exponential tail decays
    on ``tail = 1/(beta dc)``.  For an isolated step (``beta a dc^2 > 1``) the core is as wide as
    the tail; for packed levels (``beta a dc^2 < 1``) the level weights form a Gaussian of std
    ``1/sqrt(beta a)`` in ``c`` whose edges move on the scale ``core = sqrt(a/beta)`` in ``h``.
    """
    tail = 1.0 / (beta * (levels[i + 1] - levels[i]))
    return min(tail, math.sqrt(a / beta)), tail


@njit(cache=True)
def _breakpoints(levels, a, beta, mu, sig):
    lo = mu - _L * sig
    hi = mu + _L * sig
    n_coarse = int(2 * _L) + 1
    k = levels.size
    buf = np.empty(n_coarse + 2 * (k - 1) * _T_GRADED.size)
    nb = 0
    for j in range(n_coarse):
        buf[nb] = lo + j * sig
        nb += 1
    last_theta = -np.inf
    last_eps = 0.0
    for i in range(k - 1):
        # the pair width sets how far the exponential tail of the step reaches; the
        # active-span width (<= pair width) sets how narrow its core is
        eps, eps_pair = step_widths(levels, a, beta, i)
        if eps >= 0.5 * sig:
            continue
        theta = 0.5 * a * (levels[i] + levels[i + 1])
        if theta + _T_MAX * eps_pair < lo or theta - _T_MAX * eps_pair > hi:
            continue
        # a neighbour refined with (nearly) the same widths already resolves this step
        if theta - last_theta < 2.0 * eps and eps > 0.5 * last_eps:
            continue
        last_theta = theta
        last_eps = eps
        # the exponential tail of this step is hidden behind the neighbouring steps
        left = lo
        if i > 0:
            left = max(lo, 0.5 * a * (levels[i - 1] + levels[i]))
        right = hi
        if i < k - 2:
            right = min(hi, 0.5 * a * (levels[i + 1] + levels[i + 2]))
        for t in _T_GRADED:
            x = theta + eps * t
            if lo < x < hi:
                buf[nb] = x
                nb += 1
        if eps_pair > 2.0 * eps:
            for t in _T_GRADED[5:]:
                x = theta + min(eps_pair, sig) * t
                if left < x < right:
                    buf[nb] = x
                    nb += 1
    out = np.sort(buf[:nb])
    return out


# ---------------------------------------------------------------------------------------------
# the large-beta asymptotic regime (docs/ranges.md)
#
# Each step of <w>_h is a logistic of width eps_k = 1/(beta dc_k) around theta_k.  Expanding the
# Gaussian average around the beta = inf staircase (Sommerfeld), with p = density of h at theta_k:
#   E<w>, E<w^2>, E[bvar]:   beta = inf closed form + O((eps/sig)^2)   (the logistic is odd)
#   E[<w>^2] = E<w^2> - E[bvar]/beta                                    (exact identity)
#   E[phi]:                  closed form + sum_k pi^2/(6 beta^2 dc_k) p   + O(eps^3/sig^3 ...)
#   E[bvar^2]:               beta sum_k dc_k^3 p / 6  (int sigma'(u)^2 du = 1/6) + O(eps/sig)
# The resolved quadrature below evaluates the kernels at fields h represented in double
# precision: the log-odds beta dc (h - theta) of a step then carries a rounding error of about
# eps_mach S/eps with S = |mu| + L sig the magnitude of the fields integrated.  So past the point
# where the truncation error of the expansion, (eps/sig)^2, is below that rounding error (or
# below eps_mach itself) the expansion is the more accurate of the two, and for
# beta dc sig >~ 1e13 the resolved panels (width ~eps) vanish under the 1e-13 sig cut-off and
# double resolution altogether (chi, hence m = mhat rho chi, would come out 0).  With
# B = beta dc_min sig the switch happens at B >= min(eps_mach^(-1/2), (sig/(eps_mach S))^(1/3)):
# B ~ 7.9e4 for a centred field (S = 9 sig), where both errors are ~1e-10 relative.  It also
# requires isolated steps (beta a dc_min^2 >= 2 _CUTOFF: the next-but-one level's weight at a
# threshold, exp(-beta a dc^2), is below exp(-90)); packed levels stay on the resolved path.
_EPS = float(np.finfo(np.float64).eps)
_ISOLATED = 2.0 * _CUTOFF


@njit(cache=True)
def asymptotic_regime(levels, a, beta, mu, sig):
    """Does ``gauss_expect`` use the large-beta expansion (see the comment above) at these arguments?"""
    if not (sig > 0.0) or np.isinf(beta):
        return False
    dcmin = np.inf
    for i in range(levels.size - 1):
        dcmin = min(dcmin, levels[i + 1] - levels[i])
    if beta * a * dcmin * dcmin < _ISOLATED:
        return False
    eps = 1.0 / (beta * dcmin)
    r = eps / sig
    scale = abs(mu) + _L * sig
    return r * r <= _EPS * max(1.0, scale / eps) if eps > 0.0 else True


@njit(cache=True)
def gauss_expect_asymptotic(levels, a, beta, mu, sig, out):
    """Large-beta expansion of :func:`gauss_expect` around the closed form (comment above)."""
    gauss_expect_inf(levels, a, mu, sig, out)
    s0 = 0.0
    s5 = 0.0
    for i in range(levels.size - 1):
        dc = levels[i + 1] - levels[i]
        u = (0.5 * a * (levels[i] + levels[i + 1]) - mu) / sig
        dens = _INV_SQRT2PI * math.exp(-0.5 * u * u) / sig
        s0 += dens / dc
        s5 += dc * dc * dc * dens
    out[0] += math.pi ** 2 / 6.0 * s0 / beta / beta
    out[2] = max(out[3] - out[4] / beta, 0.0)
    out[5] = beta * s5 / 6.0


@njit(cache=True)
def gauss_expect(levels, a, beta, mu, sig, out):
    """Fill ``out[0:6]`` with ``E[phi, <w>, <w>^2, <w^2>, bvar, bvar^2]`` for ``h ~ N(mu, sig^2)``.

    Past the large-beta threshold (:func:`asymptotic_regime`) the expansion
    :func:`gauss_expect_asymptotic` is used instead of the resolved quadrature.
    """
    for j in range(N_OUT):
        out[j] = 0.0
    if asymptotic_regime(levels, a, beta, mu, sig):
        gauss_expect_asymptotic(levels, a, beta, mu, sig, out)
        return
    if sig <= 0.0:
        p, m, s, v = site_moments(levels, a, mu, beta)
        out[0] = p
        out[1] = m
        out[2] = m * m
        out[3] = s
        out[4] = v
        out[5] = v * v
        return
    bps = _breakpoints(levels, a, beta, mu, sig)
    tiny = 1e-13 * sig
    for ip in range(bps.size - 1):
        x0 = bps[ip]
        x1 = bps[ip + 1]
        half = 0.5 * (x1 - x0)
        if half <= tiny:
            continue
        mid = 0.5 * (x1 + x0)
        for g in range(_GL_N):
            h = mid + half * _GL_X[g]
            u = (h - mu) / sig
            w = half * _GL_W[g] * _INV_SQRT2PI * math.exp(-0.5 * u * u) / sig
            p, m, s, v = site_moments(levels, a, h, beta)
            out[0] += w * p
            out[1] += w * m
            out[2] += w * m * m
            out[3] += w * s
            out[4] += w * v
            out[5] += w * v * v


@njit(cache=True)
def _ncdf(x):
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


@njit(cache=True)
def gauss_expect_inf(levels, a, mu, sig, out):
    """beta = inf version of :func:`gauss_expect` in closed form.

    ``<w>_h`` is the level ``c_k`` on the cell ``(theta_{k-1}, theta_k)``;
    ``E[beta Var]`` is replaced by ``chi = sum_k (c_{k+1} - c_k) p(theta_k)`` (the derivative
    of the staircase), and ``out[5]`` (the AT moment) is ``inf``.
    """
    k = levels.size
    for j in range(N_OUT):
        out[j] = 0.0
    if sig <= 0.0:
        # deterministic field: chi is zero unless it sits exactly on a threshold
        i = argmax_level(levels, a, mu)  # factorised comparisons: exact at huge a
        out[0] = mu * levels[i] - 0.5 * a * levels[i] ** 2
        out[1] = levels[i]
        out[2] = levels[i] ** 2
        out[3] = levels[i] ** 2
        out[5] = np.inf
        return
    cdf_prev = 0.0
    pdf_prev = 0.0
    for j in range(k):
        if j < k - 1:
            u = (0.5 * a * (levels[j] + levels[j + 1]) - mu) / sig
            cdf = _ncdf(u)
            pdf = _INV_SQRT2PI * math.exp(-0.5 * u * u)
        else:
            cdf = 1.0
            pdf = 0.0
        p = cdf - cdf_prev
        c = levels[j]
        # int_cell h phi = mu P + sig (pdf(u_{j-1}) - pdf(u_j))
        hmean = mu * p + sig * (pdf_prev - pdf)
        out[0] += c * hmean - 0.5 * a * c * c * p
        out[1] += c * p
        out[2] += c * c * p
        if j < k - 1:
            out[4] += (levels[j + 1] - c) * pdf / sig
        cdf_prev = cdf
        pdf_prev = pdf
    out[3] = out[2]
    out[5] = np.inf


def expect(levels, a, beta, mu, sig) -> np.ndarray:
    """Python wrapper: the six Gaussian averages as an array (beta may be ``inf``)."""
    out = np.empty(N_OUT)
    levels = np.ascontiguousarray(levels, dtype=float)
    if np.isinf(beta):
        gauss_expect_inf(levels, float(a), float(mu), float(sig), out)
    else:
        gauss_expect(levels, float(a), float(beta), float(mu), float(sig), out)
    return out


def expect_bruteforce(levels, a, beta, mu, sig, n_grid: int = 40_001, half_width: float = 12.0):
    """Reference: trapezoid rule on a uniform ``n_grid``-point grid over ``mu ± half_width sig``.

    Slow; for tests and benchmarks only.  The trapezoid rule converges geometrically for the
    analytic, Gaussian-decaying integrands here as long as the grid resolves the step width.
    """
    from .kernels import site_moments_array

    h = mu + sig * np.linspace(-half_width, half_width, n_grid)
    dens = np.exp(-0.5 * ((h - mu) / sig) ** 2) / (sig * np.sqrt(2 * np.pi))
    w = np.full(n_grid, h[1] - h[0])
    w[0] = w[-1] = 0.5 * (h[1] - h[0])
    w = w * dens
    r = site_moments_array(levels, a, h, beta)
    vals = [r["phi"], r["mean"], r["mean"] ** 2, r["second"], r["bvar"], r["bvar"] ** 2]
    return np.array([np.dot(w, v) for v in vals])
