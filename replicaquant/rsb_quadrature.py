"""Nested quadrature of the 1RSB prior side (the single-site averages of docs/rsb.md, Numerics).

:func:`prior_side_1rsb` / :func:`prior_side_1rsb_full` evaluate, for ``H0 ~ N(mu, sig0^2)``
(one component per teacher value, or the folded Gaussian teacher) and the inner field
``h = H0 + s1 z1``,

    Phi = (1/(beta x)) E_{w0, z0} ln E_{z1} exp(x beta phi(a, h))

and the reweighted moments ``m, q0, q1, Q, chi1, E<<phi>>`` (plus the two replicon averages).
The grids are described in the "Numerics" paragraph of :mod:`replicaquant.rsb`, which
re-exports both functions.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .kernels import site_moments
from .rsb_common import straddle_window
from .quadrature import GL_N as _GL_N, GL_W as _GL_W, GL_X as _GL_X, T_GRADED as _T_GRADED
from .quadrature import breakpoints as _breakpoints, step_widths, symmetric_levels

__all__ = ["prior_side_1rsb", "prior_side_1rsb_full"]

# ---------------------------------------------------------------------------------------------
# quadrature constants

_GL_LOGW = np.log(_GL_W)  # the Gauss-Legendre rule of quadrature.py
_GH_N = 20         # shifted Gauss-Hermite rule (unresolved s1; see _inner_hermite)
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(_GH_N)
_GH_W = _GH_W / math.sqrt(2.0 * math.pi)
_GH_LOGW = np.log(_GH_W)
#: the *coarse* rules (``coarse=True``): 4 Gauss-Legendre nodes per panel and 10 shifted
#: Gauss-Hermite nodes on the same grids: 3-4x cheaper, ~1e-6 relative error (bounded by
#: tests/test_rsb_quadrature.py).  Used only where a sign or a start is needed, never for a
#: reported result (``rsb.x1_roots``, ``rsb._newton_walk``)
_GC_N = 4
_GC_X, _GC_W = np.polynomial.legendre.leggauss(_GC_N)
_GC_LOGW = np.log(_GC_W)
_GHC_N = 10
_GHC_X, _GHC_W = np.polynomial.hermite_e.hermegauss(_GHC_N)
_GHC_LOGW = np.log(_GHC_W / math.sqrt(2.0 * math.pi))
_L_OUT = 9.0       # outer support mu +- 9 sig0 (same as quadrature._L): P(|z| > 9) = 2e-19
_L_IN = 8.0        # inner window: +- 8 std around every non-negligible tilted piece (1.3e-15)
_PIECE_CUT = 46.0  # tilted pieces lighter than exp(-46) of the heaviest are dropped
_LOG_SQRT2PI = 0.5 * math.log(2.0 * math.pi)
_STEP_IN = 1.5     # inner panel step in units of s1 (3.0 loses 1e-10 at beta = 100)
_STEP_OUT = 2.0    # outer panel step (feature zones) in units of min(s1, sig0) (3.0: 2e-8 at beta = 1e3)
_S1_TINY = 1e-10   # below this inner std (relative to 1 + |H0|) the z1 average is a point
_N_OUT = 9         # E lnN, E<<phi>>, E<<w>>^2, E<<<w>^2>>, E<<<w^2>>>, E<<bvar>>, E w0<<w>>,
#                    E<<bvar^2>>, E[(d<<w>>/dH0)^2]  (the last two: 1RSB replicons)


# ---------------------------------------------------------------------------------------------
# grids


@njit(cache=True)
def _min_feature_width(levels, a, beta):
    w = np.inf
    for i in range(levels.size - 1):
        w = min(w, step_widths(levels, a, beta, i)[0])
    return w


@njit(cache=True)
def _graded(buf, nb, center, w, step, lo, hi, min_offset, t_start):
    """Append ``center + w t`` (``t`` from ``_T_GRADED[t_start:]``) while the graded spacing is
    below ``step`` (beyond that a step-``step`` grid is finer); skip ``|w t| < min_offset``."""
    prev = abs(_T_GRADED[t_start])
    for j in range(t_start, _T_GRADED.size):
        at = abs(_T_GRADED[j])
        if w * (at - prev) > step:
            break
        prev = at
        y = center + w * _T_GRADED[j]
        if abs(y - center) >= min_offset and lo < y < hi:
            buf[nb] = y
            nb += 1
    return nb


@njit(cache=True)
def _uniform(buf, nb, lo, hi, step):
    """Append a uniform grid of spacing ``<= step`` on ``[lo, hi]``."""
    n = max(int(math.ceil((hi - lo) / step)), 1)
    for j in range(n + 1):
        buf[nb] = lo + (hi - lo) * j / n
        nb += 1
    return nb


@njit(cache=True)
def _panel_nodes(grid, coarse=False):
    """Gauss-Legendre nodes and log-weights of the panels of ``grid`` (empty panels skipped;
    ``coarse``: the 4-node rule)."""
    gx, glw = (_GC_X, _GC_LOGW) if coarse else (_GL_X, _GL_LOGW)
    ng = gx.size
    npan = grid.size - 1
    h = np.empty(npan * ng)
    lw = np.empty(npan * ng)
    n = 0
    span = grid[-1] - grid[0]
    for ip in range(npan):
        half = 0.5 * (grid[ip + 1] - grid[ip])
        if half <= 1e-14 * span:
            continue
        mid = 0.5 * (grid[ip + 1] + grid[ip])
        lh = math.log(half)
        for g in range(ng):
            h[n] = mid + half * gx[g]
            lw[n] = lh + glw[g]
            n += 1
    return h[:n], lw[:n]


@njit(cache=True)
def _outer_grid(levels, a, beta, x, mu, sig0, s1, resolved):
    """Panel edges for the outer average over ``H0 ~ N(mu, sig0^2)``.

    Unresolved inner std (``s1 < eps_min/4``): the outer integrand has the RS steps of width
    ``eps_k`` at ``theta_k`` -> ``quadrature._breakpoints``.  Resolved: the steps are smoothed on
    the scale ``s1`` and the integrand varies only (i) where the inner window straddles a
    threshold, ``[theta_k - xb s1^2 c_{k+1} - L s1, theta_k - xb s1^2 c_k + L s1]`` -> a grid of
    step ``~s1`` there; (ii) where the two tilted pieces ``k, k+1`` exchange dominance,
    ``H0* = theta_k - xb s1^2 (c_k + c_{k+1})/2``, a logistic of width ``eps_k/x`` -> graded
    breakpoints; (iii) in the exponential tails (core ``eps_k``, decay ``1/(beta dc_k)``) of the
    unsmoothed steps beyond that zone; plus unit-``sig0`` panels for the Gaussian weight.
    """
    if not resolved:
        return _breakpoints(levels, a, beta, mu, sig0)
    lo = mu - _L_OUT * sig0
    hi = mu + _L_OUT * sig0
    step = _STEP_OUT * min(s1, sig0)
    xb = x * beta
    k = levels.size
    n_coarse = int(2 * _L_OUT) + 1
    count = n_coarse
    for i in range(k - 1):
        theta, flo, fhi = straddle_window(levels, a, xb, s1, i, _L_IN, lo, hi)
        if fhi > flo:
            count += int(math.ceil((fhi - flo) / step)) + 1
        count += 3 * _T_GRADED.size
    buf = np.empty(count)
    nb = _uniform(buf, 0, lo, hi, sig0)
    for i in range(k - 1):
        theta, flo, fhi = straddle_window(levels, a, xb, s1, i, _L_IN, lo, hi)
        if fhi > flo:
            nb = _uniform(buf, nb, flo, fhi, step)
        eps, eps_pair = step_widths(levels, a, beta, i)
        hstar = theta - 0.5 * xb * s1 * s1 * (levels[i] + levels[i + 1])
        nb = _graded(buf, nb, hstar, eps / x, step, lo, hi, 0.0, 0)
        nb = _graded(buf, nb, theta, eps, sig0, lo, hi, 0.5 * _L_IN * s1, 0)
        nb = _graded(buf, nb, theta, eps_pair, sig0, lo, hi, 0.5 * _L_IN * s1, 5)
    return np.sort(buf[:nb])


# ---------------------------------------------------------------------------------------------
# inner average over z1 with weight exp(x beta phi)


@njit(cache=True)
def _window(levels, xb, a, H0, s1):
    """``(zlo, zhi, wmax)``: the ``z``-range holding the inner mass and the heaviest log-weight.

    The tilted pieces ``k`` sit at ``z_k = xb s1 c_k`` with log-weight
    ``w_k = xb (c_k H0 - (a - xb s1^2) c_k^2/2)`` (the maximum over ``z`` of
    ``xb e_k(H0 + s1 z) - z^2/2``); pieces below ``wmax - 46`` are dropped."""
    aeff = a - xb * s1 * s1
    wmax = -np.inf
    for c in levels:
        w = xb * (c * H0 - 0.5 * aeff * c * c)
        if w > wmax:
            wmax = w
    zlo = np.inf
    zhi = -np.inf
    for c in levels:
        w = xb * (c * H0 - 0.5 * aeff * c * c)
        if w > wmax - _PIECE_CUT:
            z = xb * s1 * c
            zlo = min(zlo, z)
            zhi = max(zhi, z)
    return zlo - _L_IN, zhi + _L_IN, wmax


@njit(cache=True)
def _inner_point(levels, a, beta, x, H0, out):
    p, mn, sc, bv = site_moments(levels, a, H0, beta)
    out[0] = x * beta * p
    out[1] = p
    out[2] = mn
    out[3] = mn * mn
    out[4] = sc
    out[5] = bv
    out[6] = bv * bv


@njit(cache=True)
def _inner_hermite(levels, a, beta, x, H0, s1, out, coarse=False):
    """Inner average by Gauss-Hermite (smooth regime ``s1 << eps``): fills ``out[0:7]`` with
    ``ln N, <<phi>>, <<w>>, <<<w>^2>>, <<<w^2>>>, <<bvar>>, <<bvar^2>>``,
    ``N = E_z1 exp(x beta phi)``.

    The tilt ``exp(x beta phi(H0 + s1 z)) ~ exp(x beta s1 <w> z)`` moves the mass to
    ``z ~ zbar = x beta s1 <w>_{H0}``, so the rule is centred there (importance shift,
    ``E f(z) = E[f(zbar + X) exp(-zbar X - zbar^2/2)]``, ``X ~ N(0, 1)``): the remaining integrand
    is smooth on the scale ``eps/s1 >= 4``: on single inner averages at ``s1 = eps/4`` (1-6 bits,
    beta 1-1000, x 0.05-1) 20 shifted nodes err by <= 1.4e-13, the unshifted 40-node rule by up
    to 9e-8 at 6 bits.  One pass, shifted by the heaviest tilted piece (see :func:`_inner_window`).
    ``coarse``: 10 shifted nodes."""
    gx, glw = (_GHC_X, _GHC_LOGW) if coarse else (_GH_X, _GH_LOGW)
    xb = x * beta
    shift = _window(levels, xb, a, H0, s1)[2]
    zbar = xb * s1 * site_moments(levels, a, H0, beta)[1]
    s = 0.0
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    a4 = 0.0
    a5 = 0.0
    for g in range(gx.size):
        p, mn, sc, bv = site_moments(levels, a, H0 + s1 * (zbar + gx[g]), beta)
        e = math.exp(glw[g] - zbar * (gx[g] + 0.5 * zbar) + xb * p - shift)
        s += e
        a0 += e * p
        a1 += e * mn
        a2 += e * mn * mn
        a3 += e * sc
        a4 += e * bv
        a5 += e * bv * bv
    out[0] = shift + math.log(s)
    out[1] = a0 / s
    out[2] = a1 / s
    out[3] = a2 / s
    out[4] = a3 / s
    out[5] = a4 / s
    out[6] = a5 / s


# exp(y) for the inner sums: exp(r) 2^k with k = round(y / ln 2), |r| <= ln(2)/2, exp(r) by its
# Taylor polynomial of degree 12 (remainder r^13/13! < 2e-16 relative) and 2^k assembled in the
# exponent bits.  Branch-free, so LLVM vectorises the loop (math.exp is a scalar libm call: ~2.5x
# slower per node here); the round-to-integer uses the 1.5 2^52 trick, so this function must not
# be compiled with fastmath.  Valid for -700 <= y <= 700 (the arguments are clamped to that).
_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 split so that k _LN2_HI is exact for |k| < 2^20
_LN2_LO = 1.9082149292705877e-10
_ROUND = 6755399441055744.0  # 1.5 2^52
_FASTSUM = {"reassoc", "contract"}  # lets the plain sums below vectorise (no nnan/ninf)


@njit(cache=True)
def _exp_window(gh, gt, H0, inv, shift, i0, n, mant, expo):
    """``mant[j] * view(expo[j]) = exp(gt[i] - z^2/2 - shift)``, ``z = (gh[i] - H0)/s1``, ``i = i0 + j``."""
    for j in range(n):
        i = i0 + j
        z = (gh[i] - H0) * inv
        y = min(max(gt[i] - 0.5 * z * z - shift, -300.0), 300.0)
        kf = (y * _LOG2E + _ROUND) - _ROUND
        r = (y - kf * _LN2_HI) - kf * _LN2_LO
        mant[j] = 1.0 + r * (1.0 + r * (0.5 + r * (1.0 / 6 + r * (1.0 / 24 + r * (
            1.0 / 120 + r * (1.0 / 720 + r * (1.0 / 5040 + r * (1.0 / 40320 + r * (
                1.0 / 362880 + r * (1.0 / 3628800 + r * (1.0 / 39916800 + r * (1.0 / 479001600))))))))))))
        expo[j] = (np.int64(kf) + 1023) << 52


@njit(cache=True, fastmath=_FASTSUM)
def _window_sums(mant, scale, gval, i0, n, out):
    s = 0.0
    a0 = 0.0
    a1 = 0.0
    a2 = 0.0
    a3 = 0.0
    a4 = 0.0
    a5 = 0.0
    for j in range(n):
        e = mant[j] * scale[j]
        i = i0 + j
        s += e
        a0 += e * gval[0, i]
        a1 += e * gval[1, i]
        a2 += e * gval[2, i]
        a3 += e * gval[3, i]
        a4 += e * gval[4, i]
        a5 += e * gval[5, i]
    out[1] = a0 / s
    out[2] = a1 / s
    out[3] = a2 / s
    out[4] = a3 / s
    out[5] = a4 / s
    out[6] = a5 / s
    return s


@njit(cache=True)
def _inner_window(gh, gt, gval, H0, s1, zlo, zhi, shift, mant, expo, out):
    """Inner average from the precomputed global grid over ``z in [zlo, zhi]``: nodes ``gh``,
    ``gt = ln(weight) + x beta phi`` and kernel values ``gval[0:6, :] = phi, <w>, <w>^2, <w^2>,
    bvar, bvar^2`` (one row per quantity).  One pass: ``shift`` (``wmax + ln s1`` of
    :func:`_window`) bounds the log integrand from above to within ``x ln K``
    (``exp(x beta phi) <= K^x max_k exp(x beta e_k)``), so no term overflows and the mass is
    not lost; ``mant, expo`` are work buffers (length >= the window)."""
    i0 = np.searchsorted(gh, H0 + s1 * zlo)
    i1 = np.searchsorted(gh, H0 + s1 * zhi)
    n = i1 - i0
    _exp_window(gh, gt, H0, 1.0 / s1, shift, i0, n, mant, expo)
    s = _window_sums(mant, expo.view(np.float64), gval, i0, n, out)
    out[0] = shift + math.log(s) - math.log(s1) - _LOG_SQRT2PI


@njit(cache=True)
def _global_grid(levels, a, beta, x, lo, hi, s1, coarse=False):
    """Kernel values on one panel grid in ``h`` covering every inner window of ``H0 in [lo, hi]``:
    step ``_STEP_IN s1`` (the Gaussian kernel) plus graded points at every threshold (core width
    ``eps_k``, exponential tails ``1/(beta dc_k)``) while they are finer than that step.
    Returns nodes, ``ln(weight) + x beta phi`` and the kernel values."""
    xb = x * beta
    glo = lo + s1 * (xb * s1 * min(levels[0], 0.0) - _L_IN)
    ghi = hi + s1 * (xb * s1 * max(levels[-1], 0.0) + _L_IN)
    step = _STEP_IN * s1
    k = levels.size
    buf = np.empty(int(math.ceil((ghi - glo) / step)) + 2 + 2 * (k - 1) * _T_GRADED.size)
    nb = _uniform(buf, 0, glo, ghi, step)
    for i in range(k - 1):
        theta = 0.5 * a * (levels[i] + levels[i + 1])
        eps, eps_pair = step_widths(levels, a, beta, i)
        nb = _graded(buf, nb, theta, eps, step, glo, ghi, 0.0, 0)
        nb = _graded(buf, nb, theta, eps_pair, step, glo, ghi, 0.0, 5)
    gh, glw = _panel_nodes(np.sort(buf[:nb]), coarse)
    gval = np.empty((6, gh.size))
    for i in range(gh.size):
        p, mn, sc, bv = site_moments(levels, a, gh[i], beta)
        glw[i] += xb * p
        gval[0, i] = p
        gval[1, i] = mn
        gval[2, i] = mn * mn
        gval[3, i] = sc
        gval[4, i] = bv
        gval[5, i] = bv * bv
    return gh, glw, gval


# ---------------------------------------------------------------------------------------------
# outer average over H0 ~ N(mu, sig0^2)


@njit(cache=True)
def _outer_average(levels, a, beta, x, mu, sig0, s1, w0, weight, acc, coarse=False):
    """Add ``weight * E_H0[...]`` of the inner averages to ``acc[0:9]`` (see ``_N_OUT``).

    Symmetric levels and ``mu = 0``: every accumulated quantity is even in ``H0`` (``<<w>>`` is
    odd, ``w0 = 0``), so only ``H0 >= 0`` is integrated, on both halves' panels folded onto it,
    with weight 2."""
    xb = x * beta
    tmp = np.empty(7)
    resolved = s1 >= 0.25 * _min_feature_width(levels, a, beta)
    if sig0 <= 0.0:
        if s1 <= _S1_TINY * (1.0 + abs(mu)):
            _inner_point(levels, a, beta, x, mu, tmp)
        else:
            _inner_hermite(levels, a, beta, x, mu, s1, tmp, coarse)
        _accumulate(acc, weight, 1.0, tmp, w0, xb)
        return
    grid = _outer_grid(levels, a, beta, x, mu, sig0, s1, resolved)
    fold = mu == 0.0 and w0 == 0.0 and symmetric_levels(levels)
    lo = mu - _L_OUT * sig0
    if fold:
        grid = np.sort(np.concatenate((np.zeros(1), np.abs(grid))))
        lo = 0.0
        weight = 2.0 * weight
    oh, olw = _panel_nodes(grid, coarse)
    if resolved:
        gh, gt, gval = _global_grid(levels, a, beta, x, lo, mu + _L_OUT * sig0, s1, coarse)
        mant = np.empty(gh.size)
        expo = np.empty(gh.size, np.int64)
    ls1 = math.log(s1) if s1 > 0.0 else 0.0
    for i in range(oh.size):
        H0 = oh[i]
        u = (H0 - mu) / sig0
        wo = math.exp(olw[i] - 0.5 * u * u - _LOG_SQRT2PI) / sig0
        if wo == 0.0:
            continue
        if s1 <= _S1_TINY * (1.0 + abs(H0)):
            _inner_point(levels, a, beta, x, H0, tmp)
        elif resolved:
            zlo, zhi, wmax = _window(levels, xb, a, H0, s1)
            _inner_window(gh, gt, gval, H0, s1, zlo, zhi, wmax + ls1, mant, expo, tmp)
        else:
            _inner_hermite(levels, a, beta, x, H0, s1, tmp, coarse)
        _accumulate(acc, weight, wo, tmp, w0, xb)


@njit(cache=True)
def _accumulate(acc, weight, wo, tmp, w0, xb):
    w = weight * wo
    acc[0] += w * tmp[0]
    acc[1] += w * tmp[1]
    acc[2] += w * tmp[2] * tmp[2]
    acc[3] += w * tmp[3]
    acc[4] += w * tmp[4]
    acc[5] += w * tmp[5]
    acc[6] += w * w0 * tmp[2]
    acc[7] += w * tmp[6]
    # d<<w>>/dH0 = <<bvar>> + x beta (<<<w>^2>> - <<w>>^2)  (the z1 reweighting moves with H0)
    dw = tmp[5] + xb * (tmp[3] - tmp[2] * tmp[2])
    acc[8] += w * dw * dw


@njit(cache=True)
def prior_side_1rsb_full(levels, a, beta, x, mhat, qhat0, qhat1, t_values, t_probs, gauss_rho,
                         coarse=False):
    """:func:`prior_side_1rsb` plus the two averages of the 1RSB replicons.

    Returns ``[Phi, m, q0, q1, Q, chi1, E<<phi>>, E<<bvar^2>>, E[(d<<w>>/dH0)^2]]`` with
    ``bvar = beta Var_h(w)`` and ``d<<w>>/dH0 = <<bvar>> + x beta (<<<w>^2>> - <<w>>^2)`` (the
    response of a state-averaged mean to the field shared by all states; see
    :mod:`replicaquant.derivations.rsb1_replicon`).  ``coarse``: the same grids with the coarse
    rules (4 Gauss-Legendre nodes per panel, 10 Gauss-Hermite nodes; ~1e-6 relative).
    """
    s1 = math.sqrt(max(qhat1 - qhat0, 0.0))
    acc = np.zeros(_N_OUT)
    if gauss_rho > 0.0:
        sig0 = math.sqrt(mhat * mhat * gauss_rho + qhat0)
        _outer_average(levels, a, beta, x, 0.0, sig0, s1, 0.0, 1.0, acc, coarse)
    else:
        sig0 = math.sqrt(max(qhat0, 0.0))
        for j in range(t_values.size):
            _outer_average(levels, a, beta, x, mhat * t_values[j], sig0, s1, t_values[j],
                           t_probs[j], acc, coarse)
    out = np.empty(9)
    out[0] = acc[0] / (x * beta)
    out[2] = acc[2]
    out[3] = acc[3]
    out[4] = acc[4]
    out[5] = acc[5]
    out[6] = acc[1]
    out[7] = acc[7]
    out[8] = acc[8]
    if gauss_rho > 0.0:
        out[1] = mhat * gauss_rho * (acc[5] + x * beta * (acc[3] - acc[2]))
    else:
        out[1] = acc[6]
    return out


@njit(cache=True)
def prior_side_1rsb(levels, a, beta, x, mhat, qhat0, qhat1, t_values, t_probs, gauss_rho):
    """Teacher-, z0- and z1-averaged single-site quantities of the 1RSB measure.

    Returns ``[Phi, m, q0, q1, Q, chi1, E<<phi>>]`` with
    ``Phi = (1/(beta x)) E_{w0,z0} ln E_{z1} exp(x beta phi(a, h))`` and the moments of the
    module docstring.  ``gauss_rho > 0`` selects the Gaussian teacher ``N(0, gauss_rho)``
    (``mhat w0`` folded into ``z0``: ``H0 ~ N(0, mhat^2 rho + qhat0)``, ``m`` from Stein's lemma
    ``m = mhat rho (chi1 + x beta (q1 - q0))``); otherwise the discrete teacher.
    """
    return prior_side_1rsb_full(levels, a, beta, x, mhat, qhat0, qhat1, t_values, t_probs,
                                gauss_rho)[:7]
