"""Single-site kernels of the K-level measure -- the one source of truth.

For natural parameters ``a > 0`` (quadratic) and ``b`` (field) the level measure is

    p(c_k | a, b) ∝ exp(beta * e_k),      e_k = b c_k - a c_k**2 / 2,

so ``phi(a, b) = (1/beta) ln sum_k exp(beta e_k)`` is the log-partition (divided by beta),
``<w> = d phi/db``, ``beta Var(w) = d<w>/db`` and ``<w**2> = -2 d phi/da``.
The replica solver (``a = lam + Ahat``, ``b = h``), state evolution and AMP
(``a = lam + A``, ``b = B``) all call these functions.

Numerics: ``e_k`` is concave in ``c_k`` so, as a function of ``k``, it is unimodal with its
maximum at the level nearest ``b/a``.  Sums are taken relative to that maximum (log-sum-exp)
and walk outwards only while ``beta (e_max - e_k) < _CUTOFF``, which costs O(1) levels at large
beta and never loses more than ``exp(-_CUTOFF)`` relative mass.  Moments are accumulated
around the dominant level to avoid cancellation in the variance.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_CUTOFF = 45.0  # exp(-45) = 2.9e-20: levels further down contribute below double precision


@njit(cache=True)
def argmax_level(levels, a, b):
    """Index of the level maximising ``b c - a c**2/2`` (nearest level to ``b/a``).

    Tie rule (the one of the package, as :meth:`~replicaquant.quantizers.BaseQuantizer.quantize`):
    a field exactly at a threshold ``b = a (c_k + c_{k+1})/2`` goes to the *upper* level ``k+1``.
    """
    x = b / a
    k = np.searchsorted(levels, x)
    if k <= 0:
        return 0
    n = levels.size
    if k >= n:
        return n - 1
    # compare e_k - e_{k-1} = (c_k - c_{k-1})(b - a (c_k + c_{k-1})/2) in factorised form: b/a
    # rounds away an O(1) field next to a huge a (lam = 1e20), the factorised difference does not
    lo = levels[k - 1]
    hi = levels[k]
    if (hi - lo) * (b - 0.5 * a * (hi + lo)) < 0.0:  # (== 0: a tie, goes up)
        return k - 1
    return k


@njit(cache=True)
def _walk(levels, a, b, beta, k0, step):
    """Sum the relative weights ``w_j = exp(beta (e_j - e_k0))`` from ``k0 + step`` outwards.

    Stops at the first level with ``beta (e_k0 - e_j) > _CUTOFF`` (``e_j`` is unimodal in ``j``,
    so every further level is smaller still).  Returns ``(sum w, sum w dc, sum w dc**2, last)``
    with ``dc = c_j - c_k0`` and ``last`` the outermost index included (``k0`` if none).
    """
    c0 = levels[k0]
    z = 0.0
    s1 = 0.0
    s2 = 0.0
    last = k0
    j = k0 + step
    n = levels.size
    while 0 <= j < n:
        c = levels[j]
        # e_j - e0 factorised: no cancellation of two O(a c^2) numbers (lam = 1e20 would lose
        # the whole O(b) field part otherwise)
        # (g > 0 only by rounding: argmax_level compares the same factorised differences, and
        # at beta ~ 1e300 exp(g) of a rounding error would overflow)
        g = min(beta * ((c - c0) * (b - 0.5 * a * (c + c0))), 0.0)
        if g < -_CUTOFF:
            break
        w = np.exp(g)
        dc = c - c0
        z += w
        s1 += w * dc
        s2 += w * dc * dc
        last = j
        j += step
    return z, s1, s2, last


@njit(cache=True)
def site_moments(levels, a, b, beta):
    """Return ``(phi, mean, second, bvar)`` of the level measure at finite ``beta``.

    ``phi = (1/beta) ln sum_k exp(beta (b c_k - a c_k**2/2))``, ``mean = <w>``,
    ``second = <w**2>``, ``bvar = beta Var(w)``.
    """
    k0 = argmax_level(levels, a, b)
    c0 = levels[k0]
    e0 = b * c0 - 0.5 * a * c0 * c0
    zu, s1u, s2u, _ = _walk(levels, a, b, beta, k0, 1)
    zd, s1d, s2d, _ = _walk(levels, a, b, beta, k0, -1)
    z = 1.0 + zu + zd
    s1 = s1u + s1d  # sum_k w_k (c_k - c0), weights relative to the dominant level
    s2 = s2u + s2d  # sum_k w_k (c_k - c0)**2
    d1 = s1 / z
    d2 = s2 / z
    var = d2 - d1 * d1
    if var < 0.0:
        var = 0.0
    mean = c0 + d1
    second = c0 * c0 + 2.0 * c0 * d1 + d2
    phi = e0 + np.log(z) / beta
    return phi, mean, second, beta * var


@njit(cache=True)
def site_moments_inf(levels, a, b):
    """``beta = inf`` limit: ``(max_k e_k, rounded level, its square, 0)``."""
    k0 = argmax_level(levels, a, b)
    c0 = levels[k0]
    return b * c0 - 0.5 * a * c0 * c0, c0, c0 * c0, 0.0


@njit(cache=True)
def site_moments_any(levels, a, b, beta):
    """:func:`site_moments`, or :func:`site_moments_inf` when ``beta = inf``."""
    if np.isinf(beta):
        return site_moments_inf(levels, a, b)
    return site_moments(levels, a, b, beta)


@njit(cache=True)
def denoise(levels, a, b, beta, mean_out, bvar_out):
    """Vectorised denoiser for AMP: ``mean_out[i] = <w>_(a, b[i])``, ``bvar_out[i] = beta Var``.

    At ``beta = inf`` returns rounding and zero variance.
    """
    for i in range(b.size):
        _, mean_out[i], _, bvar_out[i] = site_moments_any(levels, a, b[i], beta)


def site_moments_array(levels, a, b, beta):
    """Python convenience wrapper: moments for an array of fields ``b``.

    Returns a dict of arrays ``phi, mean, second, bvar``.
    """
    from ._validation import check_real, check_vector

    levels = np.ascontiguousarray(check_vector("levels", levels, min_len=1, increasing=True))
    a = check_real("a", a, low=0.0, low_inclusive=False)
    beta = check_real("beta", beta, low=0.0, low_inclusive=False, allow_inf=True)
    b_in = np.asarray(b)
    if b_in.dtype.kind not in "iuf":
        raise ValueError(f"b must be an array of real numbers, got dtype {b_in.dtype}")
    b = np.atleast_1d(b_in.astype(float))
    if not np.all(np.isfinite(b)):
        raise ValueError("b must be finite")
    out = np.empty((4, b.size))
    _moments_loop(levels, float(a), b.ravel(), float(beta), out)
    shape = np.shape(b)
    return {k: out[i].reshape(shape) for i, k in enumerate(("phi", "mean", "second", "bvar"))}


@njit(cache=True)
def _moments_loop(levels, a, b, beta, out):
    for i in range(b.size):
        out[0, i], out[1, i], out[2, i], out[3, i] = site_moments_any(levels, a, b[i], beta)


@njit(cache=True)
def sample_level(levels, a, b, beta, u):
    """Heat-bath draw from the level measure: index ``k`` with probability ``p(c_k | a, b)``.

    ``p(c_k | a, b) ∝ exp(beta (b c_k - a c_k**2/2))`` exactly as in :func:`site_moments`:
    weights are taken relative to the dominant level (log-sum-exp) and only levels within
    ``_CUTOFF`` of it are kept.  The draw is the inverse CDF of the uniform ``u`` in
    ``[0, 1)``: the smallest ``k`` with ``sum_{j <= k} p_j > u``.  At ``beta = inf`` it returns
    the dominant level (the zero-temperature, greedy update).  Returns the index into
    ``levels``.
    """
    k0 = argmax_level(levels, a, b)
    if np.isinf(beta):
        return k0
    c0 = levels[k0]
    zu, _, _, hi = _walk(levels, a, b, beta, k0, 1)
    zd, _, _, lo = _walk(levels, a, b, beta, k0, -1)
    z = 1.0 + zu + zd
    target = u * z
    acc = 0.0
    for j in range(lo, hi):
        c = levels[j]
        acc += np.exp(min(beta * ((c - c0) * (b - 0.5 * a * (c + c0))), 0.0))
        if acc > target:
            return j
    return hi
