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

Public building blocks (used by the RS, 1RSB and beta = inf code alike):

* :func:`threshold` / :func:`thresholds` -- ``theta_k = a (c_k + c_{k+1})/2``;
* :func:`breakpoints` -- the graded panel grid described above;
* ``GL_N, GL_X, GL_W`` -- the Gauss-Legendre rule on ``[-1, 1]`` used on every panel,
  ``T_GRADED`` -- the graded offsets (units of the step width);
* :func:`add_moments` -- accumulate the moment vector ``(phi, m, m^2, s, v, v^2)`` of one field;
* :func:`std_normal_cell` / :func:`gauss_cell_moments` / :func:`cell_moments` -- the Gaussian
  mass and first two moments of an interval (quantizer cell) in closed form;
* :func:`symmetric_levels` -- the level sets for which ``h -> -h`` halves the work.

Symmetry: for a level set symmetric about 0 and a centred field (``mu = 0``) the integrands
``phi, <w>^2, <w^2>, bvar`` are even and ``<w>`` is odd in ``h``, so :func:`gauss_expect`
integrates over ``h >= 0`` only (on the union of the breakpoints of both halves, folded) and
sets ``E<w> = 0`` exactly.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .kernels import _CUTOFF, argmax_level, site_moments
from .records import GE_BVAR, GE_BVAR2, GE_MEAN, GE_MEAN2, GE_N, GE_PHI, GE_SECOND

N_OUT = GE_N  #: length of the moment vector (slots ``records.GE_*``)
_L = 9.0  # half-width of the Gaussian support in units of sig: P(|z| > 9) = 2.3e-19
#: Gauss-Legendre rule on [-1, 1] applied to every panel
GL_N = 8
GL_X, GL_W = np.polynomial.legendre.leggauss(GL_N)
#: graded breakpoints around a sharp threshold, in units of its width eps
T_GRADED = np.array([0.0, 1.0, -1.0, 2.5, -2.5, 5.0, -5.0, 9.0, -9.0, 15.0, -15.0,
                     24.0, -24.0, 38.0, -38.0])
_T_MAX = 38.0  # exp(-38) = 3e-17: beyond this the step has fully settled
_INV_SQRT2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT1_2 = math.sqrt(0.5)
#: a level set counts as symmetric when |c_k + c_{K-1-k}| <= _SYM_RTOL max|c| (a few dozen
#: ulps: UniformQuantizer's formula is symmetric only up to rounding); the averages then change
#: at that relative level, i.e. not at all beyond double rounding
_SYM_RTOL = 1e-14
# old private names (rsb.py imports them)
_GL_N, _GL_X, _GL_W, _T_GRADED = GL_N, GL_X, GL_W, T_GRADED


@njit(cache=True)
def threshold(levels, a, i):
    """``theta_i = a (c_i + c_{i+1})/2``: where levels ``i`` and ``i+1`` have equal energy ``b c - a c^2/2``."""
    return 0.5 * a * (levels[i] + levels[i + 1])


@njit(cache=True)
def thresholds(levels, a):
    """All ``K - 1`` thresholds ``theta_k = a (c_k + c_{k+1})/2`` (``a = 1``: nearest-level rounding)."""
    out = np.empty(levels.size - 1)
    for i in range(levels.size - 1):
        out[i] = threshold(levels, a, i)
    return out


@njit(cache=True)
def symmetric_levels(levels):
    """``c_k = -c_{K-1-k}`` for all ``k`` (to ``_SYM_RTOL`` relative)?"""
    n = levels.size
    tol = _SYM_RTOL * max(abs(levels[0]), abs(levels[n - 1]))
    for i in range((n + 1) // 2):
        if abs(levels[i] + levels[n - 1 - i]) > tol:
            return False
    return True


@njit(cache=True)
def add_moments(out, w, p, m, s, v):
    """``out += w (p, m, m^2, s, v, v^2)``: the moment vector (slots ``records.GE_*``) of one field.

    ``(p, m, s, v) = (phi, <w>, <w^2>, beta Var)`` of the level measure at that field.
    """
    out[GE_PHI] += w * p
    out[GE_MEAN] += w * m
    out[GE_MEAN2] += w * m * m
    out[GE_SECOND] += w * s
    out[GE_BVAR] += w * v
    out[GE_BVAR2] += w * v * v


# ---------------------------------------------------------------------------------------------
# Gaussian mass and moments of an interval (quantizer cells)


@njit(cache=True)
def ncdf(x):
    """Standard normal CDF ``Phi(x) = erfc(-x/sqrt 2)/2`` (accurate in the lower tail)."""
    return 0.5 * math.erfc(-x * _SQRT1_2)


@njit(cache=True)
def npdf(x):
    """Standard normal density (``0`` at ``±inf``)."""
    if math.isinf(x):
        return 0.0
    return _INV_SQRT2PI * math.exp(-0.5 * x * x)


@njit(cache=True)
def std_normal_cell(lo, hi):
    """``(P, E[z; cell], E[z^2; cell])`` for ``z ~ N(0, 1)`` on ``lo < z < hi`` (``±inf`` allowed).

    ``P = Phi(hi) - Phi(lo)`` (as ``Phi(-lo) - Phi(-hi)`` for a cell above 0: no cancellation
    in the upper tail), ``E[z; cell] = pdf(lo) - pdf(hi)``,
    ``E[z^2; cell] = P + lo pdf(lo) - hi pdf(hi)``.  Empty cells (``hi <= lo``) give zeros.
    """
    if not hi > lo:
        return 0.0, 0.0, 0.0
    if lo > 0.0:
        P = ncdf(-lo) - ncdf(-hi)
    else:
        P = ncdf(hi) - ncdf(lo)
    pl = npdf(lo)
    ph = npdf(hi)
    m2 = P
    if pl > 0.0:
        m2 += lo * pl
    if ph > 0.0:
        m2 -= hi * ph
    return P, pl - ph, m2


@njit(cache=True)
def gauss_cell_moments(lo, hi, mu, sig):
    """``(P, E[x; cell], E[x^2; cell])`` for ``x ~ N(mu, sig^2)`` on ``lo < x < hi`` (closed form).

    With ``z = (x - mu)/sig`` and :func:`std_normal_cell` moments ``(P, M1, M2)``:
    ``E[x; cell] = mu P + sig M1``, ``E[x^2; cell] = mu^2 P + 2 mu sig M1 + sig^2 M2``.
    """
    P, m1, m2 = std_normal_cell((lo - mu) / sig, (hi - mu) / sig)
    return P, mu * P + sig * m1, mu * mu * P + 2.0 * mu * sig * m1 + sig * sig * m2


@njit(cache=True)
def cell_moments(edges, mu, sig):
    """:func:`gauss_cell_moments` of every cell ``(edges[k], edges[k+1])``: three arrays of length ``len(edges) - 1``."""
    n = edges.size - 1
    P = np.empty(n)
    M1 = np.empty(n)
    M2 = np.empty(n)
    for k in range(n):
        P[k], M1[k], M2[k] = gauss_cell_moments(edges[k], edges[k + 1], mu, sig)
    return P, M1, M2


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
def breakpoints(levels, a, beta, mu, sig):
    """Sorted panel edges on ``[mu - L sig, mu + L sig]`` for ``h ~ N(mu, sig^2)`` (module docstring).

    Unit-``sig`` panels, plus graded points ``theta_k + eps_k T_GRADED`` around every threshold
    sharper than ``sig/2`` (``eps_k`` from :func:`step_widths`).
    """
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
        theta = threshold(levels, a, i)
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
            left = max(lo, threshold(levels, a, i - 1))
        right = hi
        if i < k - 2:
            right = min(hi, threshold(levels, a, i + 1))
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


_breakpoints = breakpoints  # old private name (rsb.py)


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
        u = (threshold(levels, a, i) - mu) / sig
        dens = _INV_SQRT2PI * math.exp(-0.5 * u * u) / sig
        s0 += dens / dc
        s5 += dc * dc * (dc / sig) * (_INV_SQRT2PI * math.exp(-0.5 * u * u))  # no inf * 0
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
        add_moments(out, 1.0, p, m, s, v)
        return
    bps = breakpoints(levels, a, beta, mu, sig)
    if mu == 0.0 and symmetric_levels(levels):
        # even integrands: h >= 0 only, on both halves' breakpoints folded onto it (a duplicate
        # that differs by rounding makes a panel below ``tiny``, which is skipped)
        _integrate_panels(levels, a, beta, mu, sig, np.sort(np.abs(bps)), 2.0, out)
        out[GE_MEAN] = 0.0  # <w>_h is odd
        return
    _integrate_panels(levels, a, beta, mu, sig, bps, 1.0, out)


@njit(cache=True)
def _integrate_panels(levels, a, beta, mu, sig, bps, factor, out):
    """Add ``factor x`` the Gauss-Legendre sums over the panels ``bps`` of the moment vector."""
    tiny = 1e-13 * sig
    for ip in range(bps.size - 1):
        x0 = bps[ip]
        x1 = bps[ip + 1]
        half = 0.5 * (x1 - x0)
        if half <= tiny:
            continue
        mid = 0.5 * (x1 + x0)
        for g in range(GL_N):
            h = mid + half * GL_X[g]
            u = (h - mu) / sig
            w = factor * half * GL_W[g] * _INV_SQRT2PI * math.exp(-0.5 * u * u) / sig
            p, m, s, v = site_moments(levels, a, h, beta)
            add_moments(out, w, p, m, s, v)


_ncdf = ncdf  # old private name


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
    lo = -np.inf
    for j in range(k):
        hi = threshold(levels, a, j) if j < k - 1 else np.inf
        # the cell of level j: P, E[h; cell] of h ~ N(mu, sig^2)
        p, hmean, _ = gauss_cell_moments(lo, hi, mu, sig)
        c = levels[j]
        out[GE_PHI] += c * hmean - 0.5 * a * c * c * p
        out[GE_MEAN] += c * p
        out[GE_MEAN2] += c * c * p
        if j < k - 1:
            # d<w>/dh is a sum of deltas: chi = sum_k dc_k density(theta_k)
            out[GE_BVAR] += (levels[j + 1] - c) * npdf((hi - mu) / sig) / sig
        lo = hi
    out[GE_SECOND] = out[GE_MEAN2]
    out[GE_BVAR2] = np.inf


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
