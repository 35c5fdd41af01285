"""Zero-temperature 1RSB: the ``beta -> inf`` limit of the 1RSB saddle point at fixed ``y = beta x``.

Scaling (derived and checked in ``replicaquant.derivations.rsb1_zero_sympy``).  For discrete
levels the states freeze as ``beta -> inf``: inside a state the Gibbs weight concentrates on one
configuration, so ``Q - q1 = chi1/beta -> 0`` with ``chi1 = beta (Q - q1)`` of order one (the
density of local fields at the level thresholds, see below), while the Parisi parameter
``x = y/beta -> 0`` with ``y`` fixed, so that ``x beta (q1 - q0) = y (Q - q0)`` stays finite.
All conjugates keep finite limits.  With ``D = rho - 2m + q0 + noise_var`` and
``Lam = 1 + chi1 + y (Q - q0)`` the 1RSB free energy ``f`` tends to the energy functional::

    e(y) = -Ahat Q/2 + qhat1 chi1/2 + (y/2)(qhat1 Q - qhat0 q0) + mhat m - Phi(y)
           + alpha/(2 y) ln(Lam/(1 + chi1)) + alpha D/(2 Lam)

    Phi(y) = (1/y) E_{w0, z0} ln E_{z1} exp(y phi_inf(a, h)),   a = lam + Ahat,
    h = mhat w0 + sqrt(qhat0) z0 + sqrt(qhat1 - qhat0) z1,
    phi_inf(a, h) = max_k (h c_k - a c_k^2/2)

(the ``alpha/(2 beta) ln(1 + chi1)`` term vanishes), with stationarity conditions

    channel:  Ahat = alpha/(1+chi1),  mhat = alpha/Lam,  qhat0 = alpha D/Lam^2,
              qhat1 = qhat0 + alpha (Q - q0)/((1 + chi1) Lam)
    prior:    m = E[w0 <<w>>],  q0 = E[<<w>>^2],  Q = E<<w^2>>,  chi1 = E<<d round(h)/dh>>

where ``round(h)`` is the maximising level and ``<<.>>`` the ``z1`` average tilted by
``exp(y phi_inf)``.  ``chi1 = E sum_k (c_{k+1} - c_k) p_tilt(theta_k)``: jumps times the tilted
field density at the thresholds ``theta_k = a (c_k + c_{k+1})/2`` -- finite, which is the
scaling claimed.  For a Gaussian teacher Stein's lemma gives ``m = mhat rho (Lam - 1)``.

Closed forms.  On the cell ``k`` of ``round`` the tilted integrand is a Gaussian times the
exponential of a linear function of ``z1``, so with ``t_k = y s1 c_k`` (``s1^2 = qhat1 - qhat0``)
and ``(l_k, u_k)`` the cell in units of ``z1``::

    E_{z1}[exp(y phi_inf) 1_cell_k] = exp(y (c_k H0 - a c_k^2/2) + t_k^2/2) [Phi(u_k - t_k) - Phi(l_k - t_k)]

summed in log space (``ln(Phi(b) - Phi(a))`` by tail-aware formulas with a continued fraction
for the Mills ratio), and the moments follow from truncated-normal means.  The outer average over
``H0 = mhat w0 + sqrt(qhat0) z0`` uses Gauss-Legendre panels resolving the features of the
integrand: unit-``sig0`` panels, a step-``min(s1, sig0)`` grid where the inner window straddles
a threshold, and graded points (width ``1/(y dc_k)``) where two cells exchange dominance.

Parisi rule and observables.  ``e(y)`` is maximised over ``y > 0``; ``y -> 0`` gives the RS
ground state (``e(0+) = e_RS``), so ``e_1RSB = max_y e(y) >= e_RS``.  The complexity of the states
selected by ``y`` is ``Sigma(y) = y^2 de/dy`` (the ``beta -> inf`` limit of ``beta x^2 df/dx``),
zero at the Parisi ``y*``.  The training error (mean squared residual, the limit of the
finite-beta 1RSB formula) is ``(Q - q0)/((1 + chi1) Lam) + D/Lam^2``; the generalization error
``rho - 2m + Q`` (Gibbs sample = Gibbs mean at zero temperature).  At ``y*`` the energy obeys
``e = alpha train_error/2 + lam Q/2`` (a check of the Parisi condition: the states have zero
complexity, so their free energy is their energy).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
from numba import njit

from ._validation import check_int, check_real
from .fixed_point import solve_fixed_point
from .model import Model
from .quadrature import GL_N, GL_W, GL_X, T_GRADED, gauss_expect_inf
from .rsb_common import RSB1Record, feasible_1rsb, straddle_window
from .rs import RSSolution, _teacher_arrays, solve_rs

__all__ = ["RSB1ZeroSolution", "RSB1ZeroMap", "solve_1rsb_zero", "scan_alpha_zero", "phase_zero", "prior_side_1rsb_zero",
           "channel_conjugates_1rsb_zero", "energy_1rsb_zero", "dedy_1rsb_zero",
           "train_error_1rsb_zero", "inner_average_zero"]

_L_OUT = 9.0           # outer support mu +- 9 sig0
_L_IN = 8.0            # zone half-width around a threshold, in units of s1
_LOG_SQRT2PI = 0.5 * math.log(2.0 * math.pi)
#: ``ln Phi(t)`` from the Mills-ratio continued fraction below ``t = -5`` (where ``erfc`` would
#: lose relative accuracy), with 60 terms (converged to rounding for ``|t| >= 5``)
_MILLS_BELOW = -5.0
_MILLS_TERMS = 60
_S1_TINY = 1e-12       # s1 below this (relative): q1 = q0, the RS closed form applies
_PANEL_TINY = 1e-14    # outer panels narrower than this (relative to the grid span): duplicates, skipped
_N_OUT = 7             # E ln N, E<<phi>>, E<<w>>^2, E<<w^2>>, E chi_in, E w0<<w>>, E<<w>>


# ---------------------------------------------------------------------------------------------
# log normal CDF


@njit(cache=True)
def _log_ndtr(t):
    """``ln Phi(t)`` for any real ``t`` (continued fraction for the Mills ratio below -5)."""
    if t == -np.inf:
        return -np.inf
    if t == np.inf:
        return 0.0
    if t > 0.0:
        return math.log1p(-0.5 * math.erfc(t / math.sqrt(2.0)))
    if t > _MILLS_BELOW:
        return math.log(0.5 * math.erfc(-t / math.sqrt(2.0)))
    s = -t
    # Mills ratio R(s) = Q(s)/pdf(s) = 1/(s + 1/(s + 2/(s + 3/(s + ...)))), backward evaluation
    cf = s
    for j in range(_MILLS_TERMS, 0, -1):
        cf = s + j / cf
    return -0.5 * s * s - _LOG_SQRT2PI - math.log(cf)


@njit(cache=True)
def _log_ndtr_diff(lo, hi):
    """``ln(Phi(hi) - Phi(lo))`` for ``lo < hi`` (``-inf`` if the interval is empty)."""
    if not hi > lo:
        return -np.inf
    if lo >= 0.0:  # both in the upper tail: Phi(-lo) - Phi(-hi)
        a = _log_ndtr(-lo)
        b = _log_ndtr(-hi)
        return a + math.log1p(-math.exp(b - a)) if b < a else -np.inf
    if hi <= 0.0:
        a = _log_ndtr(hi)
        b = _log_ndtr(lo)
        return a + math.log1p(-math.exp(b - a)) if b < a else -np.inf
    return math.log1p(-(math.exp(_log_ndtr(lo)) + math.exp(_log_ndtr(-hi))))


# ---------------------------------------------------------------------------------------------
# inner average over z1


@njit(cache=True)
def _inner(levels, a, y, H0, s1, out):
    """Fill ``out[0:5]`` with ``ln N, <<phi_inf>>, <<w>>, <<w^2>>, <<d round/dh>>`` at ``H0``.

    ``N = E_z1 exp(y phi_inf(a, H0 + s1 z1))``, summed over the cells of ``round`` in closed form.
    """
    K = levels.size
    logs = np.empty(K)
    zmean = np.empty(K)
    lmax = -np.inf
    for k in range(K):
        c = levels[k]
        t = y * s1 * c
        if k == 0:
            lo = -np.inf
        else:
            lo = (0.5 * a * (levels[k - 1] + c) - H0) / s1
        if k == K - 1:
            hi = np.inf
        else:
            hi = (0.5 * a * (c + levels[k + 1]) - H0) / s1
        ld = _log_ndtr_diff(lo - t, hi - t)
        lk = y * (c * H0 - 0.5 * a * c * c) + 0.5 * t * t + ld
        logs[k] = lk
        # truncated-normal mean of z on the cell under N(t, 1)
        zm = t
        if ld > -np.inf:
            if lo > -np.inf:
                zm += math.exp(-0.5 * (lo - t) ** 2 - _LOG_SQRT2PI - ld)
            if hi < np.inf:
                zm -= math.exp(-0.5 * (hi - t) ** 2 - _LOG_SQRT2PI - ld)
        zmean[k] = zm
        if lk > lmax:
            lmax = lk
    s = 0.0
    for k in range(K):
        s += math.exp(logs[k] - lmax)
    lnN = lmax + math.log(s)
    ephi = 0.0
    ew = 0.0
    ew2 = 0.0
    for k in range(K):
        p = math.exp(logs[k] - lnN)
        if p == 0.0:
            continue
        c = levels[k]
        ephi += p * (c * (H0 + s1 * zmean[k]) - 0.5 * a * c * c)
        ew += p * c
        ew2 += p * c * c
    chi = 0.0
    for k in range(K - 1):
        c = levels[k]
        theta = 0.5 * a * (c + levels[k + 1])
        u = (theta - H0) / s1
        lg = -0.5 * u * u - _LOG_SQRT2PI - math.log(s1) + y * (c * theta - 0.5 * a * c * c) - lnN
        chi += (levels[k + 1] - c) * math.exp(lg)
    out[0] = lnN
    out[1] = ephi
    out[2] = ew
    out[3] = ew2
    out[4] = chi


def inner_average_zero(levels, a, y, H0, s1) -> dict:
    """Python wrapper of the inner ``z1`` average (for tests): dict ``lnN, phi, w, w2, chi``."""
    out = np.empty(5)
    _inner(np.ascontiguousarray(levels, dtype=float), float(a), float(y), float(H0), float(s1), out)
    return dict(zip(("lnN", "phi", "w", "w2", "chi"), (float(v) for v in out)))


# ---------------------------------------------------------------------------------------------
# outer average over H0


@njit(cache=True)
def _outer_grid(levels, a, y, mu, sig0, s1):
    lo = mu - _L_OUT * sig0
    hi = mu + _L_OUT * sig0
    step = min(s1, sig0)
    K = levels.size
    count = int(2 * _L_OUT) + 2
    for i in range(K - 1):
        _, flo, fhi = straddle_window(levels, a, y, s1, i, _L_IN, lo, hi)
        if fhi > flo:
            count += int(math.ceil((fhi - flo) / step)) + 1
        count += T_GRADED.size
    buf = np.empty(count)
    nb = 0
    nc = int(2 * _L_OUT)
    for j in range(nc + 1):
        buf[nb] = lo + (hi - lo) * j / nc
        nb += 1
    for i in range(K - 1):
        theta, flo, fhi = straddle_window(levels, a, y, s1, i, _L_IN, lo, hi)
        if fhi > flo:
            nz = max(int(math.ceil((fhi - flo) / step)), 1)
            for j in range(nz + 1):
                buf[nb] = flo + (fhi - flo) * j / nz
                nb += 1
        # dominance exchange of cells i, i+1: a logistic of width 1/(y dc)
        hstar = theta - 0.5 * y * s1 * s1 * (levels[i] + levels[i + 1])
        wdt = 1.0 / (y * (levels[i + 1] - levels[i]))
        for t in T_GRADED:
            v = hstar + wdt * t
            if lo < v < hi:
                buf[nb] = v
                nb += 1
    return np.sort(buf[:nb])


@njit(cache=True)
def _outer(levels, a, y, mu, sig0, s1, w0, weight, acc):
    tmp = np.empty(5)
    if sig0 <= 0.0:
        _inner(levels, a, y, mu, s1, tmp)
        _acc(acc, weight, tmp, w0)
        return
    grid = _outer_grid(levels, a, y, mu, sig0, s1)
    span = grid[-1] - grid[0]
    for ip in range(grid.size - 1):
        half = 0.5 * (grid[ip + 1] - grid[ip])
        if half <= _PANEL_TINY * span:
            continue
        mid = 0.5 * (grid[ip + 1] + grid[ip])
        for g in range(GL_N):
            H0 = mid + half * GL_X[g]
            u = (H0 - mu) / sig0
            wo = half * GL_W[g] * math.exp(-0.5 * u * u - _LOG_SQRT2PI) / sig0
            if wo == 0.0:
                continue
            _inner(levels, a, y, H0, s1, tmp)
            _acc(acc, weight * wo, tmp, w0)


@njit(cache=True)
def _acc(acc, w, tmp, w0):
    acc[0] += w * tmp[0]
    acc[1] += w * tmp[1]
    acc[2] += w * tmp[2] * tmp[2]
    acc[3] += w * tmp[3]
    acc[4] += w * tmp[4]
    acc[5] += w * w0 * tmp[2]
    acc[6] += w * tmp[2]


@njit(cache=True)
def prior_side_1rsb_zero(levels, a, y, mhat, qhat0, qhat1, t_values, t_probs, gauss_rho):
    """Teacher-, z0- and z1-averaged single-site quantities at zero temperature.

    Returns ``[Phi, m, q0, Q, chi1, E<<phi_inf>>]`` with ``Phi = (1/y) E ln E_z1 exp(y phi_inf)``
    (module docstring).  ``gauss_rho > 0`` selects the Gaussian teacher (``H0 ~ N(0, mhat^2 rho
    + qhat0)``, ``m = mhat rho (chi1 + y (Q - q0))``); otherwise the discrete teacher.  When
    ``qhat1 = qhat0`` (no inner field) the RS closed form ``gauss_expect_inf`` is used.
    """
    s1 = math.sqrt(max(qhat1 - qhat0, 0.0))
    out = np.zeros(6)
    if gauss_rho > 0.0:
        sig0 = math.sqrt(mhat * mhat * gauss_rho + qhat0)
        mus = np.zeros(1)
        ws = np.ones(1)
        vs = np.zeros(1)
    else:
        sig0 = math.sqrt(max(qhat0, 0.0))
        mus = mhat * t_values
        ws = t_probs
        vs = t_values
    acc = np.zeros(_N_OUT)
    tiny = s1 <= _S1_TINY * (1.0 + sig0 + abs(mhat) * (np.max(np.abs(vs)) if vs.size else 0.0))
    tmp6 = np.empty(6)
    for j in range(mus.size):
        if tiny:
            # no inner field: <<.>> is the point value, E ln N = y E phi_inf (RS closed form)
            gauss_expect_inf(levels, a, mus[j], sig0, tmp6)
            acc[0] += ws[j] * y * tmp6[0]
            acc[1] += ws[j] * tmp6[0]
            acc[2] += ws[j] * tmp6[2]
            acc[3] += ws[j] * tmp6[3]
            acc[4] += ws[j] * tmp6[4]
            acc[5] += ws[j] * vs[j] * tmp6[1]
            acc[6] += ws[j] * tmp6[1]
        else:
            _outer(levels, a, y, mus[j], sig0, s1, vs[j], ws[j], acc)
    out[0] = acc[0] / y
    out[2] = acc[2]
    out[3] = acc[3]
    out[4] = acc[4]
    out[5] = acc[1]
    if gauss_rho > 0.0:
        out[1] = mhat * gauss_rho * (acc[4] + y * (acc[3] - acc[2]))
    else:
        out[1] = acc[5]
    return out


# ---------------------------------------------------------------------------------------------
# channel side, energy, observables


def channel_conjugates_1rsb_zero(alpha, rho, noise_var, y, m, q0, Q, chi1):
    """``(mhat, qhat0, qhat1, Ahat)``: ``Ahat = alpha/(1+chi1)``, ``mhat = alpha/Lam``,
    ``qhat0 = alpha D/Lam^2``, ``qhat1 = qhat0 + alpha (Q - q0)/((1+chi1) Lam)`` with
    ``Lam = 1 + chi1 + y (Q - q0)``, ``D = rho - 2m + q0 + noise_var``."""
    lam_ = 1.0 + chi1 + y * (Q - q0)
    d = rho - 2.0 * m + q0 + noise_var
    # divide in steps: no overflow when a diverging iteration drives chi1 or Lam beyond 1e154
    qhat0 = max(alpha * d / lam_ / lam_, 0.0)
    qhat1 = qhat0 + max(alpha * (Q - q0) / (1.0 + chi1) / lam_, 0.0)
    return alpha / lam_, qhat0, qhat1, alpha / (1.0 + chi1)


def energy_1rsb_zero(model: Model, y, m, q0, Q, chi1, mhat, qhat0, qhat1, Ahat, Phi) -> float:
    """The zero-temperature 1RSB energy functional ``e(y)`` of the module docstring."""
    alpha = model.alpha
    lam_ = 1.0 + chi1 + y * (Q - q0)
    d = model.rho - 2.0 * m + q0 + model.noise_var
    return float(-Ahat * Q / 2 + qhat1 * chi1 / 2 + y / 2 * (qhat1 * Q - qhat0 * q0) + mhat * m - Phi
                 + alpha / (2 * y) * (math.log(lam_) - math.log1p(chi1)) + alpha * d / (2 * lam_))


#: ``chi1`` beyond this is a divergence (no finite saddle point), as in the RS solver
_CHI_DIVERGED = 1e12


def _divergence(s):
    if s[3] > _CHI_DIVERGED or s[2] - s[1] < 0:
        return f"no finite saddle point: chi1 = {s[3]:.3e} diverges"
    return None


def dedy_1rsb_zero(model: Model, y, m, q0, Q, chi1, qhat0, qhat1, Phi, e_phi) -> float:
    """Explicit ``de/dy`` at fixed order parameters (= total derivative at a saddle point)::

        (qhat1 Q - qhat0 q0)/2 + (Phi - E<<phi>>)/y - alpha/(2 y^2) ln(Lam/(1+chi1))
        + alpha (Q - q0)/(2 y Lam) - alpha D (Q - q0)/(2 Lam^2)
    """
    alpha = model.alpha
    dq = Q - q0
    lam_ = 1.0 + chi1 + y * dq
    d = model.rho - 2.0 * m + q0 + model.noise_var
    return float((qhat1 * Q - qhat0 * q0) / 2 + (Phi - e_phi) / y
                 - alpha / (2 * y * y) * (math.log(lam_) - math.log1p(chi1))
                 + alpha * dq / (2 * y * lam_) - alpha * d * dq / (2 * lam_ * lam_))


def train_error_1rsb_zero(model: Model, y, m, q0, Q, chi1) -> float:
    """Mean squared training residual ``(Q - q0)/((1 + chi1) Lam) + D/Lam^2`` (the ``beta -> inf``
    limit of the finite-beta 1RSB formula at ``x = y/beta``)."""
    lam_ = 1.0 + chi1 + y * (Q - q0)
    d = model.rho - 2.0 * m + q0 + model.noise_var
    return float((Q - q0) / (1.0 + chi1) / lam_ + d / lam_ / lam_)


# ---------------------------------------------------------------------------------------------
# fixed-y map


class RSB1ZeroMap:
    """The zero-temperature 1RSB iteration at fixed ``y``: ``(m, q0, Q, chi1) -> prior(channel(.))``."""

    def __init__(self, model: Model, y: float):
        self.model = model
        self.y = float(y)
        self.levels = np.ascontiguousarray(model.levels, dtype=float)
        self.tv, self.tp, self.grho = _teacher_arrays(model.teacher)
        self.rho = model.rho

    def evaluate(self, s):
        m, q0, Q, chi1 = (float(v) for v in s)
        M = self.model
        hats = channel_conjugates_1rsb_zero(M.alpha, self.rho, M.noise_var, self.y, m, q0, Q, chi1)
        mhat, qhat0, qhat1, Ahat = hats
        out = prior_side_1rsb_zero(self.levels, M.lam + Ahat, self.y, mhat, qhat0, qhat1,
                                   self.tv, self.tp, self.grho)
        return hats, out

    def __call__(self, s):
        _, out = self.evaluate(s)
        return np.array([out[1], out[2], out[3], out[4]])

    def feasible(self, s) -> bool:
        """:func:`replicaquant.rsb_common.feasible_1rsb` on ``(m, q0, Q, chi1)``."""
        return bool(feasible_1rsb(np.asarray(s, dtype=float), float(self.rho)))


@dataclass(frozen=True, kw_only=True, repr=False)
class RSB1ZeroSolution(RSB1Record):
    """Zero-temperature 1RSB ground state (``beta = inf``) at the Parisi ``y*`` (or a given ``y``).

    The fields of :class:`~replicaquant.rsb_common.RSB1Record` (``Q`` is also the intra-state
    ``q1``, ``complexity`` is ``Sigma(y) = y^2 de/dy`` in nats per weight, ``rsb`` means
    ``Q - q0`` above the collapse tolerance, ``iterations`` counts map evaluations over every
    fixed-``y`` solve, ``status`` is 0 success, 1 no Parisi root / not converged, 4 invalid: a
    non-finite field), plus:

    Attributes
    ----------
    y : float
        ``beta x`` at ``beta = inf``; the Parisi ``y*`` maximising ``e(y)`` unless given.
    energy : float
        Ground-state energy density ``e(y)`` (``H/d``); ``free_energy`` is the same number.
    energy_rs : float
        RS ground-state energy of the same model (``energy >= energy_rs`` at ``y*``).
    dedy : float
        ``de/dy``.
    """

    y: float
    energy: float
    energy_rs: float
    dedy: float

    FIELDS = ("y", "m", "q0", "Q", "chi1", "mhat", "qhat0", "qhat1", "Ahat", "energy", "energy_rs",
              "gen_error", "train_error", "dedy", "complexity")
    STATE = ("m", "q0", "Q", "chi1")

    @property
    def free_energy(self) -> float:
        """Same as ``energy`` (the free energy density at ``beta = inf``)."""
        return self.energy

    @property
    def q1(self) -> float:
        """Intra-state overlap: equal to ``Q`` at zero temperature."""
        return self.Q

    @property
    def x(self) -> float:
        """Parisi ``x = y/beta = 0`` at ``beta = inf``."""
        return 0.0

    @property
    def gen_error_mean(self) -> float:
        """Error of the Gibbs mean: equals ``gen_error`` at zero temperature."""
        return self.gen_error


def _build(model, y, zmap, s, converged, iterations, residual, message, rs, collapse_tol):
    hats, out = zmap.evaluate(s)
    mhat, qhat0, qhat1, Ahat = (float(v) for v in hats)
    Phi, _, _, _, _, e_phi = (float(v) for v in out)
    m, q0, Q, chi1 = (float(v) for v in s)
    e = energy_1rsb_zero(model, y, m, q0, Q, chi1, mhat, qhat0, qhat1, Ahat, Phi)
    g = dedy_1rsb_zero(model, y, m, q0, Q, chi1, qhat0, qhat1, Phi, e_phi)
    return RSB1ZeroSolution(
        model=model, y=float(y), m=m, q0=q0, Q=Q, chi1=chi1, mhat=mhat, qhat0=qhat0, qhat1=qhat1,
        Ahat=Ahat, energy=e, energy_rs=float(rs.free_energy) if rs is not None else float(e),
        gen_error=model.rho - 2 * m + Q, train_error=train_error_1rsb_zero(model, y, m, q0, Q, chi1),
        dedy=g, complexity=y * y * g, rsb=bool(Q - q0 > collapse_tol), converged=bool(converged),
        iterations=int(iterations), residual=float(residual), message=message, rs=rs)


#: fixed-y solves: the accelerated iteration stops when its best residual has not dropped by 1 %
#: within ``_PATIENCE`` steps; the Powell-hybrid root fallback then gets ``_ROOT_MAXFEV`` map
#: evaluations (the values the solver has always used; not tuned here)
_PATIENCE = 200
_ROOT_MAXFEV = 200
#: the frozen start: ``Q`` floored here (a start away from ``Q = 0``, where the states cannot
#: split), ``q0 = Q/2``, ``m`` at most this fraction of the Cauchy-Schwarz bound ``sqrt(rho q0)``
_FROZEN_Q_MIN = 1e-3
_FROZEN_M_FRACTION = 0.999
#: default Parisi scan of ``y`` (``geomspace(*_Y_GRID)``), continued by factors ``_Y_GROWTH``
_Y_GRID = (0.05, 40.0, 28)
_Y_GROWTH = 1.3


def _solve_fixed_y(model, y, s0, rs, *, mixing, tol, max_iter, anderson, collapse_tol):
    zmap = RSB1ZeroMap(model, y)
    fp = solve_fixed_point(zmap, s0, mixing=mixing, tol=tol, max_iter=max_iter, anderson=anderson,
                           feasible=zmap.feasible, fallback=True, patience=_PATIENCE,
                           root_maxfev=_ROOT_MAXFEV, fallback_max_iter=max_iter, reject=_divergence)
    s = fp.x if zmap.feasible(fp.x) else np.asarray(s0, dtype=float)
    return _build(model, y, zmap, s, fp.converged, fp.iterations, fp.residual, fp.message, rs,
                  collapse_tol)


def _frozen_start(rs: RSSolution, model: Model) -> np.ndarray:
    """A start away from the RS point: ``q0`` well below ``Q``, half the RS ``chi``."""
    Q = max(rs.Q, _FROZEN_Q_MIN)
    q0 = 0.5 * Q
    m = min(rs.m, _FROZEN_M_FRACTION * math.sqrt(model.rho * q0))
    chi = rs.chi if math.isfinite(rs.chi) and rs.converged else 1.0
    return np.array([m, q0, Q, 0.5 * chi])


def solve_1rsb_zero(model: Model, *, y: float | None = None, init=None, y_grid=None,
                    mixing: float = 0.5, tol: float = 1e-10, max_iter: int = 2000,
                    anderson: int = 4, y_tol: float = 1e-7, y_max: float = 1e4,
                    collapse_tol: float = 1e-7,
                    strict: bool = False, warn: bool = True) -> RSB1ZeroSolution:
    """Zero-temperature 1RSB ground state of ``model`` (``beta`` is ignored: ``beta = inf``).

    Solves the fixed-``y`` saddle point (module docstring) and, unless ``y`` is given, fixes
    ``y`` by the Parisi rule: the maximum of ``e(y)`` over ``y > 0``, i.e. the root of
    ``de/dy`` (zero complexity).  The branch is followed in ``y`` along ``y_grid`` (default
    ``geomspace(0.05, 40, 28)``, continued by factors 1.3 up to ``y_max``) by warm starts from
    a frozen start (``q0 = Q/2``); the first sign change of ``de/dy`` from ``+`` to ``-`` is
    refined by Brent's method.

    Parameters
    ----------
    model : Model
    y : float, optional
        Solve at this ``y > 0`` only.
    init : None, RSB1ZeroSolution or array ``(m, q0, Q, chi1)``
        Start (default: the frozen start built from the RS ground state).
    y_grid : array, optional
        Increasing ``y`` values scanned for the Parisi bracket.
    mixing, tol, max_iter, anderson
        Fixed-point options (``tol`` on the undamped scaled residual).
    y_tol : float
        Tolerance on ``y*``.
    y_max : float
        Largest ``y`` searched (``y* -> inf`` as the ground state becomes isolated).
    collapse_tol : float
        ``Q - q0`` below this counts as the RS branch.
    strict, warn
        Non-convergence raises :class:`~replicaquant.errors.ConvergenceError` or warns.

    Returns
    -------
    RSB1ZeroSolution
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    if y is not None:
        y = check_real("y", y, low=0.0, low_inclusive=False)
    tol = check_real("tol", tol, low=0.0, low_inclusive=False)
    mixing = check_real("mixing", mixing, low=0.0, low_inclusive=False, high=1.0)
    opts = dict(mixing=mixing, tol=tol, max_iter=check_int("max_iter", max_iter, low=1),
                anderson=check_int("anderson", anderson, low=0),
                collapse_tol=check_real("collapse_tol", collapse_tol, low=0.0))
    model0 = model if np.isinf(model.beta) else model.replace(beta=np.inf)
    rs = solve_rs(model0, init="multi", warn=False)
    if isinstance(init, RSB1ZeroSolution):
        s0 = init.state
    elif init is None:
        s0 = _frozen_start(rs, model0)
    else:
        try:
            s0 = np.asarray(init, dtype=float)
        except (TypeError, ValueError):
            s0 = np.empty(0)
        if s0.shape != (4,) or not np.all(np.isfinite(s0)):
            raise ValueError(f"init must be None, an RSB1ZeroSolution or a finite (m, q0, Q, chi1), "
                             f"got {init!r}")

    if y is not None:
        sol = _solve_fixed_y(model0, y, s0, rs, **opts)
    else:
        if y_grid is None:
            y_grid = np.geomspace(*_Y_GRID)
        y_grid = np.asarray(y_grid, dtype=float)
        if y_grid.ndim != 1 or y_grid.size < 2 or np.any(np.diff(y_grid) <= 0) or y_grid[0] <= 0:
            raise ValueError("y_grid must be an increasing sequence of positive values")
        sol = _parisi(model0, y_grid, y_max, s0, rs, y_tol, opts)
    return _finish(sol, model0, strict, warn)


def _finish(sol, model, strict, warn):
    from .convergence import MAX_ITER, finalize
    from .invariants import check_fields

    if not sol.converged and sol.status == 0:
        sol = replace(sol, status=MAX_ITER)
    violation = check_fields({k: getattr(sol, k) for k in sol.FIELDS})
    return finalize(sol, violation=violation, strict=strict, warn=warn, what="solve_1rsb_zero",
                    stacklevel=3, model=model,
                    detail=f"last iterate y={sol.y:.6g}, m={sol.m:.6g}, q0={sol.q0:.6g}, Q={sol.Q:.6g}, "
                           f"chi1={sol.chi1:.6g}")


def _parisi(model, y_grid, y_max, s0, rs, y_tol, opts):
    """The Parisi ``y*``: walk ``y`` upwards (:func:`_y_values`) by
    :func:`replicaquant.continuation.follow` until ``de/dy`` changes sign from ``+`` to ``-`` on the
    frozen branch, then Brent's method inside the bracket.

    Each fixed-``y`` solve starts from the previous frozen state (``s0`` after a point that
    collapsed onto RS: from the RS point the frozen branch is not reached); a point that collapses
    is retried once from the frozen start.  A solve that does not converge ends the search
    (``max_failures=1``).  ``iterations`` counts the map evaluations of every solve.
    """
    from scipy.optimize import brentq

    from .continuation import follow

    cache = {}
    n_iter = 0

    def at(yv, start):
        nonlocal n_iter
        if yv not in cache:
            s = _solve_fixed_y(model, yv, start, rs, **opts)
            n_iter += s.iterations
            cache[yv] = s
        return cache[yv]

    def solve(yv, start):
        nonlocal n_iter
        s = at(yv, start)
        if s.converged and not s.rsb:
            # collapsed onto q0 = Q (the RS ground state); try the frozen start once more
            s2 = _solve_fixed_y(model, yv, _frozen_start(rs, model), rs, **opts)
            n_iter += s2.iterations
            if s2.converged and s2.rsb:
                s = cache[yv] = s2
        return s

    walk = follow(list(_y_values(y_grid, y_max)), solve, init=s0, predictor="previous",
                  state=lambda s: s.state if s.rsb else s0, max_failures=1,
                  stop=lambda prev, s: prev.rsb and s.rsb and prev.dedy > 0 >= s.dedy)
    sols = walk.solutions
    last = sols[-1]
    if not last.converged:
        return replace(last, iterations=n_iter, message=f"fixed-y solve failed at y = {last.y:.4g}: {last.message}")
    if walk.complete:
        return replace(last, converged=False, iterations=n_iter,
                       message=f"no sign change of de/dy on y in [{y_grid[0]:.3g}, {last.y:.3g}] "
                               f"(branch rsb={last.rsb}, de/dy={last.dedy:.3g} at the end)")
    lo, hi = sols[-2], last

    def g(v):
        near = lo if abs(v - lo.y) < abs(v - hi.y) else hi
        r = at(v, near.state)
        if not r.converged or not r.rsb:
            raise _Failed(r)
        return r.dedy

    try:
        ys = brentq(g, lo.y, hi.y, xtol=y_tol, rtol=1e-12, maxiter=100)
    except _Failed as exc:
        return replace(exc.sol, converged=False, iterations=n_iter,
                       message=f"branch lost inside the Parisi bracket at y = {exc.sol.y:.6g}")
    best = at(ys, lo.state)
    return replace(best, iterations=n_iter, message="converged; Parisi y* (de/dy = 0)")


def _y_values(y_grid, y_max):
    """``y_grid``, then geometric steps of 1.3 beyond its end up to ``y_max``."""
    for v in y_grid:
        yield float(v)
    v = float(y_grid[-1])
    while v * _Y_GROWTH <= y_max:
        v *= _Y_GROWTH
        yield v


class _Failed(Exception):
    def __init__(self, sol):
        super().__init__("failed")
        self.sol = sol


#: a continued point whose ``y*`` falls below this fraction of the previous one has jumped to a
#: small-``y`` root next to RS (the frozen branch moves smoothly: ``y*`` changes by tens of percent
#: between neighbouring alphas at most)
_Y_JUMP_FRACTION = 0.2
#: the continued Parisi search starts at this fraction of the previous ``y*`` (just below it)
_Y_CONTINUE_FROM = 0.8


def scan_alpha_zero(model: Model, alphas, **kwargs) -> list:
    """Zero-temperature 1RSB ground states along ``alphas`` by continuation (largest first).

    Walked by :func:`replicaquant.continuation.follow` (predictor ``"solution"``): each point
    starts from the previous one's state with the Parisi search beginning just below its ``y*``
    (``y_grid = geomspace(0.8 y*_prev, y*_prev, 2)``; below the RS interpolation threshold the
    small-``y`` solutions, close to RS, have no finite saddle point, so the branch can only be
    reached from above); the first point uses the default search.  A continued point whose
    ``y*`` drops below ``0.2 y*_prev`` landed on a small-``y`` root next to RS, not on the
    continued frozen branch, and is flagged not converged.  A point whose search fails (e.g.
    ``y*`` beyond ``y_max``) is returned non-converged and the next one continues from the last
    converged solution (``restart="last"``).  Returns the solutions in the order of ``alphas``
    (non-converged ones flagged, never NaN); ``kwargs`` go to :func:`solve_1rsb_zero`
    (``warn`` defaults to False).
    """
    from .continuation import follow

    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    vals = [check_real("alphas", a, low=0.0, low_inclusive=False) for a in np.atleast_1d(alphas)]
    kwargs.setdefault("warn", False)
    order = [int(i) for i in np.argsort(vals)[::-1]]

    def solve(alpha, prev):
        m = model.replace(alpha=alpha, beta=np.inf)
        if prev is None:
            return solve_1rsb_zero(m, **kwargs)
        grid = np.geomspace(_Y_CONTINUE_FROM * prev.y, prev.y, 2)
        sol = solve_1rsb_zero(m, init=prev, y_grid=grid, **kwargs)
        if sol.converged and sol.y < _Y_JUMP_FRACTION * prev.y:
            # a small-y root next to RS, not the continued frozen branch: do not accept it
            sol = replace(sol, converged=False, status=1,
                          message=f"continuation lost the frozen branch (y* jumped {prev.y:.3g} -> {sol.y:.3g})")
        return sol

    walk = follow([vals[i] for i in order], solve, init=None, predictor="solution", restart="last")
    out = [None] * len(vals)
    for i, sol in zip(order, walk.solutions):
        out[i] = sol
    return out


def phase_zero(model: Model, *, init=None, **solve_kwargs):
    """:class:`replicaquant.phase.PhaseReport` at ``beta = inf`` (used by ``rq.phase``).

    At zero temperature the RS ground state is never locally stable for a discrete level set
    (``at = inf``), so the candidates are 1RSB and beyond.  The label is ``"1RSB"`` when the
    zero-temperature 1RSB (:func:`solve_1rsb_zero`) has a frozen branch (``Q - q0 > 0``) with an
    interior Parisi ``y*`` (``Sigma(y*) = 0``); the replicons of the zero-temperature 1RSB
    solution are not computed (``nan``), so FRSB (a Gardner instability of the ground state) is
    not tested.  ``x`` is ``0`` (``x = y*/beta``), ``complexity = Sigma(y*)``, ``q1 = Q``;
    ``transition`` is ``"discontinuous"`` (frozen states appear with ``Q - q0`` finite).
    Otherwise (no frozen branch, or not converged) the report is not converged; its label is still
    ``"1RSB"``, never ``"RS"``: with ``at = inf`` the RS ground state is excluded whatever the
    1RSB search found, and the message says what is inconclusive (e.g. a Parisi ``y*`` beyond the
    searched range).
    """
    from .phase import PhaseReport

    solve_kwargs.setdefault("warn", False)
    sol = solve_1rsb_zero(model, init=init, **solve_kwargs)
    rs = sol.rs
    ok = bool(sol.converged and sol.rsb and rs is not None and rs.converged)
    why = (f"1RSB (beta = inf): frozen states with Q - q0 = {sol.Q - sol.q0:.4g}, Parisi y* = "
           f"{sol.y:.6g} (Sigma = {sol.complexity:.2g}), e - e_RS = {sol.energy - sol.energy_rs:.3e}; "
           f"RS at = inf; replicons not computed at beta = inf (FRSB not tested)"
           if ok else f"inconclusive at beta = inf (RS excluded: at = inf; 1RSB not located): "
                 f"{sol.message}")
    nan = math.nan
    return PhaseReport(label="1RSB", transition="discontinuous" if ok else None,
                       x=0.0, free_energy=sol.energy, free_energy_rs=sol.energy_rs,
                       complexity=sol.complexity, complexity_x1=nan, at=math.inf, replicon=nan,
                       replicon_between=nan, q0=sol.q0, q1=sol.Q, gen_error=sol.gen_error,
                       gen_error_mean=sol.gen_error, train_error=sol.train_error, n_branches=int(sol.rsb),
                       converged=ok, message=why, rs=rs, rsb=sol)
