"""Ground states of quantized least squares on finite instances: exact and annealed.

For one data set ``(X, y)`` with ``F = X/sqrt(d)`` the energy on ``C**d`` is

    H(w) = 1/2 |y - F w|^2 + lam/2 |w|^2
         = 1/2 |y|^2 - b.w + 1/2 w.G w + lam/2 |w|^2,     G = F^T F,  b = F^T y.

* :func:`exact_ground_state` enumerates all ``K**d`` configurations in the order of a
  reflected mixed-radix Gray code (Knuth's loopless algorithm H): consecutive configurations
  differ in one coordinate, by one level step.  Each step updates the energy in O(1) from a
  maintained vector and then the vector by one axpy: ``u = G w`` (length ``d``) when
  ``n >= d``, or the residual ``r = y - F w`` (length ``n``) when ``n < d`` -- whichever is
  shorter.  Work ``K**d * min(n, d)`` is checked against a budget before starting.
* :func:`anneal_ground_state` is the heuristic for large ``d``: simulated annealing with
  heat-bath single-coordinate updates (:func:`replicaquant.kernels.sample_level`), a
  geometric ``beta`` ramp, then greedy zero-temperature sweeps to a single-flip local minimum,
  from several random restarts; the spread of the restart energies and the fraction of
  restarts reaching the best energy are reported as diagnostics.
* :func:`ground_state_scan` averages either over instances at several ``d`` and extrapolates
  linearly in ``1/d`` to ``d = inf`` (weighted least squares, errors from the instance
  scatter).
* :func:`training_volume_scaling` is the small-``alpha`` test of the volume argument: the
  exact minimum training error against ``K**(-2/alpha)``; :func:`training_error_volume_law`
  the same for the zero-temperature 1RSB theory (what replaces the RS interpolation threshold).

Theory counterparts: :func:`replicaquant.solve_rs` (``beta = inf``) and
:func:`replicaquant.rsb_zero.solve_1rsb_zero`; see docs/ground_state.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._validation import check_instance, check_int, check_real
from .errors import ResourceError
from .kernels import argmax_level, sample_level
from .model import Model

__all__ = ["GroundState", "AnnealedGroundState", "GroundStateScan", "VolumeScaling",
           "exact_ground_state", "anneal_ground_state", "ground_state_scan", "exact_work",
           "training_volume_scaling", "training_error_volume_law", "VolumeLaw", "DEFAULT_MAX_WORK"]

#: default budget of :func:`exact_ground_state`: configurations x update length.  At the
#: ~1-2e9 axpy-elements/s of one core this is a few seconds (d = 26 one bit at alpha = 2:
#: 1.7e9; d = 13 two bits: 8.7e8).
DEFAULT_MAX_WORK = 4e9
#: floor of the 1/d-fit error bars, relative to their mean: an instance mean reproduced exactly
#: (sem = 0, e.g. a deterministic ground state) must not get infinite weight
_SEM_FLOOR = 1e-6
#: relative energy difference below which an annealing restart counts as reaching the best energy
_HIT_RTOL = 1e-9
#: fewer instances than this give no usable control-variate regression (2 controls + intercept
#: + at least two residual degrees of freedom)
_MIN_CV_INSTANCES = 5


# ---------------------------------------------------------------------------------------------
# compiled Gray-code enumeration


@njit(cache=True, inline="always")
def _keep_best(e, best, a, best_digits):
    """``min(e, best)``, copying the digits ``a`` into ``best_digits`` when ``e`` is the new minimum."""
    if e < best:
        for i in range(a.size):
            best_digits[i] = a[i]
        return e
    return best


@njit(cache=True)
def _gray_search(levels, M, b, diag, lam, v, e0, gram, best_digits):
    """Enumerate ``K**d`` configurations in reflected mixed-radix Gray-code order (Knuth, TAOCP
    7.2.1.1, loopless Algorithm H: digits ``a``, directions ``o``, focus pointers ``f``).

    Starts from all digits 0 with energy ``e0``.  One step moves coordinate ``j`` by one level,
    ``delta = c' - c``, and updates ``H`` in O(1) from the maintained vector ``v``:

    * ``gram``: ``v = u = G w``, ``M = G``:  ``H += delta (u_j - b_j) + diag_j delta^2/2 + ...``,
      ``u += delta G_j``;
    * otherwise ``v = r = y - F w``, ``M = F^T``:  ``H += -delta F_j.r + diag_j delta^2/2 + ...``,
      ``r -= delta F_j``;

    (``diag_j = G_jj = |F_j|^2``; ``...`` is ``lam (c'^2 - c^2)/2``).  One kernel for both, with
    the Gray-code bookkeeping written once and kept inline: moving it into helper functions costs
    a factor ~2 in this loop.  ``best_digits`` receives the level indices of the minimum.  Returns
    ``(best energy, configurations examined)``.
    """
    d = M.shape[0]
    K = levels.size
    L = v.size
    a = np.zeros(d, dtype=np.int64)
    o = np.ones(d, dtype=np.int64)
    f = np.arange(d + 1)
    e = e0
    best = e
    best_digits[:] = 0
    count = 1
    while True:
        j = f[0]
        f[0] = 0
        if j == d:
            break
        old = levels[a[j]]
        a[j] += o[j]
        new = levels[a[j]]
        delta = new - old
        mj = M[j]
        if gram:
            e += delta * (v[j] - b[j]) + 0.5 * diag[j] * delta * delta + 0.5 * lam * (new * new - old * old)
            for i in range(L):
                v[i] += delta * mj[i]
        else:
            dot = 0.0
            for mu in range(L):
                dot += mj[mu] * v[mu]
            e += -delta * dot + 0.5 * diag[j] * delta * delta + 0.5 * lam * (new * new - old * old)
            for mu in range(L):
                v[mu] -= delta * mj[mu]
        count += 1
        best = _keep_best(e, best, a, best_digits)
        if a[j] == 0 or a[j] == K - 1:
            o[j] = -o[j]
            f[j] = f[j + 1]
            f[j + 1] = j + 1
    return best, count


@njit(cache=True)
def _gray_gram(levels, G, b, lam, e0, best_digits):
    """:func:`_gray_search` maintaining ``u = G w`` (cheaper for ``n >= d``); ``e0 = H(all lowest
    level)``.  A compiled wrapper so that ``gram`` is a constant the compiler folds into the loop."""
    u = G @ np.full(G.shape[0], levels[0])
    return _gray_search(levels, G, b, np.diag(G).copy(), lam, u, e0, True, best_digits)


@njit(cache=True)
def _gray_residual(levels, Ft, colnorm2, y, lam, best_digits):
    """:func:`_gray_search` maintaining the residual ``r = y - F w`` (cheaper for ``n < d``)."""
    d = Ft.shape[0]
    c0 = levels[0]
    r = _start_residual(Ft, y, c0)
    e0 = 0.5 * np.dot(r, r) + 0.5 * lam * d * c0 * c0
    return _gray_search(levels, Ft, y, colnorm2, lam, r, e0, False, best_digits)


@njit(cache=True)
def _start_residual(Ft, y, c0):
    """``r = y - F w`` at ``w = (c0, ..., c0)``, accumulated column by column (as the sweep does)."""
    r = y.copy()
    for i in range(Ft.shape[0]):
        for mu in range(y.size):
            r[mu] -= c0 * Ft[i, mu]
    return r


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class GroundState:
    """Exact (or best found) minimiser of ``H(w) = 1/2 |y - X w/sqrt(d)|^2 + lam/2 |w|^2`` on ``C**d``.

    Attributes
    ----------
    w : ndarray
        The minimiser (level values).
    energy : float
        ``H(w)`` recomputed directly from ``w``.
    energy_per_weight : float
        ``H(w)/d`` (compare with the theory's ground-state energy density).
    train_error : float
        ``|y - X w/sqrt(d)|^2 / n``.
    gen_error : float or None
        ``|w - w0|^2/d`` (excess test MSE, ``rho - 2m + Q`` at finite d); ``None`` without ``w0``.
    m : float or None
        ``w.w0/d`` (``None`` without ``w0``).
    Q : float
        ``|w|^2/d``.
    configurations : int
        Configurations whose energy was evaluated.
    d, n : int
        Instance size.
    exact : bool
        ``True`` for the exhaustive search (a certified minimum).
    method : str
        ``"gray-gram"``, ``"gray-residual"`` or ``"anneal"``.
    converged, iterations, message
        Status (the exhaustive search always completes; ``iterations = configurations``).
    """

    w: np.ndarray = field(repr=False)
    energy: float
    energy_per_weight: float
    train_error: float
    gen_error: float | None
    m: float | None
    Q: float
    configurations: int
    d: int
    n: int
    exact: bool
    method: str
    converged: bool = True
    iterations: int = 0
    message: str = ""

    def as_dict(self) -> dict:
        """Plain dict of the numbers (no ``w``) for JSON / tables."""
        return {k: (float(v) if isinstance(v, float) else v) for k, v in
                ((f, getattr(self, f)) for f in ("energy", "energy_per_weight", "train_error",
                                                 "gen_error", "m", "Q", "configurations", "d", "n",
                                                 "exact", "method", "converged", "iterations",
                                                 "message"))}


@dataclass(frozen=True)
class AnnealedGroundState(GroundState):
    """:class:`GroundState` of the annealing heuristic plus closeness-to-optimum diagnostics.

    Attributes
    ----------
    restart_energies : ndarray
        ``H/d`` of the local minimum reached by every restart.
    energy_spread : float
        Standard deviation of ``restart_energies``.
    hit_fraction : float
        Fraction of restarts whose energy equals the best one (relative ``1e-9``): near 1 means
        the landscape is searched reliably; small means the best is likely not optimal.
    sweeps : int
        Annealing sweeps per restart (plus greedy sweeps until no coordinate moves).
    """

    restart_energies: np.ndarray = field(default=None, repr=False)
    energy_spread: float = math.nan
    hit_fraction: float = math.nan
    sweeps: int = 0

    def as_dict(self) -> dict:
        d = super().as_dict()
        d.update(energy_spread=float(self.energy_spread), hit_fraction=float(self.hit_fraction),
                 sweeps=int(self.sweeps), restarts=int(self.restart_energies.size))
        return d


# ---------------------------------------------------------------------------------------------
# validation helpers


def _check_instance(X, y, model, w0):
    """``model`` is a :class:`~replicaquant.model.Model`; ``(X, y, w0)`` by
    :func:`replicaquant._validation.check_instance`."""
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    return check_instance(X, y, w0)


def exact_work(K: int, d: int, n: int) -> float:
    """Work of the exhaustive search: ``K**d`` configurations times the update length ``min(n, d)``."""
    return float(K) ** d * min(n, d)


def _result(X, y, w, lam, w0, configurations, exact, method, message="", cls=GroundState, **extra):
    n, d = X.shape
    r = y - X @ w / math.sqrt(d)
    energy = 0.5 * float(r @ r) + 0.5 * lam * float(w @ w)
    if w0 is None:
        gen, m = None, None
    else:
        gen, m = float(np.sum((w - w0) ** 2)) / d, float(w @ w0) / d
    return cls(w=w, energy=energy, energy_per_weight=energy / d, train_error=float(r @ r) / n,
               gen_error=gen, m=m, Q=float(w @ w) / d, configurations=int(configurations), d=d, n=n,
               exact=exact, method=method, converged=True, iterations=int(configurations),
               message=message, **extra)


# ---------------------------------------------------------------------------------------------
# public API


def exact_ground_state(X, y, model: Model, *, w0=None, max_work: float = DEFAULT_MAX_WORK) -> GroundState:
    """Exact minimiser of ``H(w) = 1/2 |y - X w/sqrt(d)|^2 + lam/2 |w|^2`` over ``w in C**d``.

    Exhaustive enumeration of the ``K**d`` configurations (``C = model.levels``,
    ``lam = model.lam``; ``model.alpha``/``beta`` are not used) in reflected mixed-radix
    Gray-code order: each configuration differs from the previous one in one coordinate ``j``
    by one level step ``delta``, and

        H' = H + delta (u_j - b_j) + G_jj delta^2/2 + lam (c'^2 - c^2)/2,   u <- u + delta G e_j

    with ``u = G w`` (``G = F^T F``, ``b = F^T y``, ``F = X/sqrt(d)``) if ``n >= d``; for
    ``n < d`` the residual ``r = y - F w`` is kept instead
    (``H' = H - delta F_j.r + |F_j|^2 delta^2/2 + ...``, ``r <- r - delta F_j``).  The returned
    energy is recomputed from the minimiser directly (no accumulated rounding).

    Parameters
    ----------
    X : array (n, d)
        Inputs (unscaled, as returned by :func:`replicaquant.make_data`).
    y : array (n,)
        Labels.
    model : Model
        Supplies the level set and ``lam``.
    w0 : array (d,), optional
        Teacher, for ``gen_error`` and ``m``.
    max_work : float
        Budget on ``K**d * min(n, d)`` (default :data:`DEFAULT_MAX_WORK`, a few seconds on one
        core); larger instances raise :class:`replicaquant.errors.ResourceError` (a ``ValueError``)
        before any work is done.

    Returns
    -------
    GroundState
    """
    X, y, w0 = _check_instance(X, y, model, w0)
    max_work = check_real("max_work", max_work, low=0.0, low_inclusive=False, allow_inf=True)
    n, d = X.shape
    levels = np.ascontiguousarray(model.levels, dtype=float)
    K = levels.size
    work = exact_work(K, d, n)
    if work > max_work:
        raise _resource_error(f"d = {d}: exact ground-state search needs K**d * min(n, d) = {K}**{d} * "
                              f"{min(n, d)} = {work:.3g} updates, above max_work = {max_work:.3g}; "
                              f"use anneal_ground_state for this size")
    lam = float(model.lam)
    F = X / math.sqrt(d)
    digits = np.zeros(d, dtype=np.int64)
    if n >= d:
        G = np.ascontiguousarray(F.T @ F)
        b = F.T @ y
        w_start = np.full(d, levels[0])
        e0 = 0.5 * float(y @ y) - float(b @ w_start) + 0.5 * float(w_start @ G @ w_start) \
            + 0.5 * lam * float(w_start @ w_start)
        _, count = _gray_gram(levels, G, b, lam, e0, digits)
        method = "gray-gram"
    else:
        Ft = np.ascontiguousarray(F.T)
        _, count = _gray_residual(levels, Ft, np.sum(F * F, axis=0), y, lam, digits)
        method = "gray-residual"
    w = levels[digits]
    return _result(X, y, w, lam, w0, count, True, method, message="exhaustive")


def _resource_error(msg):
    return ResourceError(msg)


@njit(cache=True)
def _set_level(G, u, w, i, c):
    """Set ``w_i = c`` keeping ``u = G w`` (one axpy); returns 1 if ``w_i`` changed, else 0."""
    if c == w[i]:
        return 0
    delta = c - w[i]
    gi = G[i]
    for j in range(G.shape[0]):
        u[j] += delta * gi[j]
    w[i] = c
    return 1


#: cap on the greedy zero-temperature sweeps of one annealing run: every sweep that moves lowers
#: H strictly, so this only guards against an endless loop from rounding ties
_MAX_GREEDY_SWEEPS = 10000


@njit(cache=True)
def _anneal_run(levels, G, b, lam, betas, w, u, rng_u):
    """One annealing run in place: heat-bath sweeps at ``betas[s]`` then greedy sweeps.

    The local field of coordinate ``i`` is ``b_i - u_i + G_ii w_i`` with quadratic coefficient
    ``a_i = G_ii + lam``; ``u = G w`` is updated by one axpy on every change.  Returns the
    number of greedy sweeps.
    """
    d = G.shape[0]
    for s in range(betas.size):
        beta = betas[s]
        for i in range(d):
            gii = G[i, i]
            field = b[i] - u[i] + gii * w[i]
            k = sample_level(levels, gii + lam, field, beta, rng_u[s, i])
            _set_level(G, u, w, i, levels[k])
    greedy = 0
    while True:
        greedy += 1
        changed = 0
        for i in range(d):
            gii = G[i, i]
            field = b[i] - u[i] + gii * w[i]
            changed += _set_level(G, u, w, i, levels[argmax_level(levels, gii + lam, field)])
        if changed == 0 or greedy > _MAX_GREEDY_SWEEPS:
            break
    return greedy


def anneal_ground_state(X, y, model: Model, *, w0=None, restarts: int = 8, sweeps: int = 400,
                        beta_min: float = 0.1, beta_max: float = 1e3, seed=None) -> AnnealedGroundState:
    """Heuristic minimiser of ``H(w) = 1/2 |y - X w/sqrt(d)|^2 + lam/2 |w|^2`` on ``C**d`` (any d).

    Each restart starts from uniformly random levels, runs ``sweeps`` sequential heat-bath
    sweeps with ``beta`` rising geometrically from ``beta_min`` to ``beta_max`` (coordinate
    ``i`` drawn from ``p(c) ∝ exp(beta (h_i c - a_i c^2/2))``, ``a_i = G_ii + lam``,
    ``h_i = (F^T y)_i - (G w)_i + G_ii w_i``: the exact conditional of the Gibbs measure), then
    greedy sweeps (``beta = inf``: nearest level to ``h_i/a_i``) until no coordinate moves, i.e.
    a local minimum under single-coordinate changes.  The best restart is returned.

    Parameters
    ----------
    X, y, model, w0
        As in :func:`exact_ground_state`.
    restarts : int
        Independent runs (>= 1).
    sweeps : int
        Annealing sweeps per run (>= 1).
    beta_min, beta_max : float
        Ends of the geometric ``beta`` ramp (``beta_max`` in units where the energy is
        ``H``, not ``H/d``).
    seed
        Seed for ``numpy.random.default_rng``.

    Returns
    -------
    AnnealedGroundState
        ``exact=False``; ``restart_energies``, ``energy_spread`` and ``hit_fraction`` measure
        how reliably the best energy is found (compare with :func:`exact_ground_state` where
        both run).
    """
    X, y, w0 = _check_instance(X, y, model, w0)
    restarts = check_int("restarts", restarts, low=1)
    sweeps = check_int("sweeps", sweeps, low=1)
    beta_min = check_real("beta_min", beta_min, low=0.0, low_inclusive=False)
    beta_max = check_real("beta_max", beta_max, low=beta_min)
    n, d = X.shape
    levels = np.ascontiguousarray(model.levels, dtype=float)
    lam = float(model.lam)
    F = X / math.sqrt(d)
    G = np.ascontiguousarray(F.T @ F)
    b = F.T @ y
    betas = np.geomspace(beta_min, beta_max, sweeps)
    rng = np.random.default_rng(seed)
    best_w, best_e = None, math.inf
    energies = np.empty(restarts)
    total = 0
    for r_ in range(restarts):
        w = levels[rng.integers(0, levels.size, d)]
        u = G @ w
        greedy = _anneal_run(levels, G, b, lam, betas, w, u, rng.random((sweeps, d)))
        total += (sweeps + greedy) * d
        rres = y - F @ w
        e = 0.5 * float(rres @ rres) + 0.5 * lam * float(w @ w)
        energies[r_] = e / d
        if e < best_e:
            best_e, best_w = e, w.copy()
    hits = np.abs(energies - best_e / d) <= _HIT_RTOL * max(1.0, abs(best_e / d))
    return _result(X, y, best_w, lam, w0, total, False, "anneal",
                   message=f"{restarts} restarts, {int(hits.sum())} reached the best energy",
                   cls=AnnealedGroundState, restart_energies=energies,
                   energy_spread=float(np.std(energies)), hit_fraction=float(hits.mean()),
                   sweeps=sweeps)


# ---------------------------------------------------------------------------------------------
# instance averages and 1/d extrapolation


@dataclass(frozen=True)
class GroundStateScan:
    """Instance-averaged ground states at several ``d`` and their ``1/d`` extrapolation.

    For each observable ``o`` in (``energy``, ``train_error``, ``gen_error``) the arrays
    ``<o>_mean[i]``, ``<o>_sem[i]`` hold the instance mean and standard error at ``ds[i]``;
    ``<o>_inf`` and ``<o>_inf_err`` the intercept of the weighted least-squares line
    ``o(d) = o_inf + c/d`` and its standard error (from the covariance of the fit, inflated by
    ``sqrt(chi2/dof)`` when that exceeds 1).  ``energy`` is ``H/d``.

    Attributes
    ----------
    model : Model
    ds : ndarray
    instances : int
    method : str
        ``"exact"`` or ``"anneal"``.
    energy_mean, energy_sem, train_error_mean, train_error_sem, gen_error_mean, gen_error_sem : ndarray
    energy_inf, energy_inf_err, train_error_inf, train_error_inf_err, gen_error_inf, gen_error_inf_err : float
    hit_fraction : float
        Mean hit fraction of the annealing restarts (``1.0`` for the exact search).
    """

    model: Model = field(repr=False)
    ds: np.ndarray
    instances: int
    method: str
    energy_mean: np.ndarray
    energy_sem: np.ndarray
    train_error_mean: np.ndarray
    train_error_sem: np.ndarray
    gen_error_mean: np.ndarray
    gen_error_sem: np.ndarray
    energy_inf: float
    energy_inf_err: float
    train_error_inf: float
    train_error_inf_err: float
    gen_error_inf: float
    gen_error_inf_err: float
    hit_fraction: float = 1.0

    OBSERVABLES = ("energy", "train_error", "gen_error")

    def as_dict(self) -> dict:
        """Plain dict (lists for arrays) for JSON."""
        out = {"ds": [int(v) for v in self.ds], "instances": int(self.instances), "method": self.method,
               "hit_fraction": float(self.hit_fraction)}
        for o in self.OBSERVABLES:
            out[f"{o}_mean"] = [float(v) for v in getattr(self, f"{o}_mean")]
            out[f"{o}_sem"] = [float(v) for v in getattr(self, f"{o}_sem")]
            out[f"{o}_inf"] = float(getattr(self, f"{o}_inf"))
            out[f"{o}_inf_err"] = float(getattr(self, f"{o}_inf_err"))
        return out


def extrapolate_inv_d(ds, mean, sem) -> tuple[float, float]:
    """Weighted least-squares fit ``o(d) = o_inf + c/d``; returns ``(o_inf, its standard error)``.

    Weights ``1/sem^2`` (floored at 1e-6 of the mean |sem| so that an exactly reproduced value
    does not dominate); the standard error is the fit's, inflated by ``sqrt(chi2/dof)`` when
    that exceeds 1.  With a single ``d`` the value itself is returned with its ``sem``.
    """
    ds = np.asarray(ds, dtype=float)
    mean = np.asarray(mean, dtype=float)
    sem = np.asarray(sem, dtype=float)
    if ds.size == 1:
        return float(mean[0]), float(sem[0])
    s = np.maximum(sem, _SEM_FLOOR * max(float(np.mean(np.abs(sem))), 1e-300))
    coef, cov = _weighted_line_fit(1.0 / ds, mean, s)
    return float(coef[0]), float(math.sqrt(cov[0, 0]))


def weighted_fit(cols, y, s):
    """Weighted least squares ``y ~ sum_j c_j cols[j]`` with weights ``1/s^2``.

    Returns ``(coef, cov, chi2, dof)``; ``cov = (A^T A)^-1`` inflated by ``max(1, chi2/dof)``
    when ``dof = n - len(cols) > 0`` (scatter beyond the error bars widens them, never narrows).
    Used by the 1/d extrapolations here and in :mod:`replicaquant.glassy_exact`.
    """
    A = np.column_stack(cols) / s[:, None]
    rhs = y / s
    coef, *_ = np.linalg.lstsq(A, rhs, rcond=None)
    cov = np.linalg.inv(A.T @ A)
    dof = y.size - len(cols)
    chi2 = float(np.sum((A @ coef - rhs) ** 2))
    if dof > 0:
        cov = cov * max(1.0, chi2 / dof)
    return coef, cov, chi2, dof


def _weighted_line_fit(x, y, s):
    """:func:`weighted_fit` of ``y ~ c0 + c1 x``; returns ``(coef, cov)``."""
    coef, cov, _, _ = weighted_fit([np.ones_like(x), x], y, s)
    return coef, cov


def ground_state_scan(model: Model, ds, instances: int = 16, seed=0, *, method: str = "exact",
                      max_work: float = DEFAULT_MAX_WORK, restarts: int = 8,
                      sweeps: int = 400, control_variates: bool = True) -> GroundStateScan:
    """Instance averages of the ground state at each ``d`` in ``ds``, extrapolated in ``1/d``.

    For every ``d``, ``instances`` data sets ``rq.make_data(model, d, seed_i)`` (seeds from
    ``numpy.random.SeedSequence(seed)``, one child per ``(d, instance)``) are solved by
    :func:`exact_ground_state` (``method="exact"``) or :func:`anneal_ground_state`
    (``"anneal"``); the mean and standard error of ``H/d``, the training error and
    ``|w - w0|^2/d`` are extrapolated by :func:`extrapolate_inv_d`.

    Control variates (``control_variates=True``, default): the sample-to-sample fluctuations of
    ``H/d`` are O(1/sqrt(d)) and mostly follow the label norm, so each mean is regression-adjusted
    with ``C1 = |y|^2/(2d)`` and ``C2 = |F^T y|^2/(2d)``, whose finite-``d`` means are exact,

        E C1 = n (rho + noise_var)/(2d),    E C2 = (rho n (n + d + 1)/d + noise_var n)/(2d),

    (Gaussian inputs; ``rho = E w0^2``): ``mean_adj = mean(o) - (mean(C) - E C).b`` with ``b``
    the least-squares slope of ``o`` on ``C``; the standard error is that of the regression
    residuals.  Unbiased up to O(1/instances); it cuts the error bar of the energy by ~2.5x.

    Parameters
    ----------
    model : Model
        Level set, ``alpha``, ``lam``, teacher and ``noise_var`` (``beta`` is not used).
    ds : sequence of int
        Dimensions (each >= 1).
    instances : int
        Data sets per ``d`` (>= 2, for an error bar).
    seed : int
        Root seed.
    method : {"exact", "anneal"}
    max_work : float
        Budget of each exact search (checked for the largest ``d`` before anything runs).
    restarts, sweeps : int
        Annealing parameters.
    control_variates : bool
        Regression-adjust the instance means (above).

    Returns
    -------
    GroundStateScan
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    ds = np.array([check_int("ds", v, low=1) for v in np.atleast_1d(ds)], dtype=int)
    instances = check_int("instances", instances, low=2)
    if method not in ("exact", "anneal"):
        raise ValueError(f"method must be 'exact' or 'anneal', got {method!r}")
    if method == "exact":
        K = model.levels.size
        for d in ds:
            n = int(round(model.alpha * d))
            if exact_work(K, d, n) > max_work:
                raise _resource_error(f"d = {d}: exact search needs {exact_work(K, d, n):.3g} updates "
                                      f"per instance, above max_work = {max_work:.3g}")
    stats, controls, control_means, hits = _scan_instances(
        model, ds, instances, seed, method, max_work=max_work, restarts=restarts, sweeps=sweeps)
    kw = {}
    for o, arr in stats.items():
        mean = np.empty(ds.size)
        sem = np.empty(ds.size)
        for i in range(ds.size):
            if control_variates and instances >= _MIN_CV_INSTANCES:
                mean[i], sem[i] = _cv_mean(arr[i], controls[i], control_means[i])
            else:
                mean[i] = arr[i].mean()
                sem[i] = arr[i].std(ddof=1) / math.sqrt(instances)
        inf, err = extrapolate_inv_d(ds, mean, sem)
        kw.update({f"{o}_mean": mean, f"{o}_sem": sem, f"{o}_inf": inf, f"{o}_inf_err": err})
    return GroundStateScan(model=model, ds=ds, instances=instances, method=method,
                           hit_fraction=float(np.mean(hits)) if hits else 1.0, **kw)


def _scan_instances(model, ds, instances, seed, method, *, max_work, restarts, sweeps):
    """Solve every ``(d, instance)`` of :func:`ground_state_scan`.

    Returns ``(stats, controls, control_means, hits)``: ``stats[o][i, j]`` the observable ``o`` of
    instance ``j`` at ``ds[i]``, ``controls[i, j] = (C1, C2)`` and ``control_means[i]`` their exact
    means (the control variates of :func:`ground_state_scan`), and the annealing hit fractions.
    """
    from .data import make_data

    children = np.random.SeedSequence(seed).spawn(ds.size * instances)
    stats = {o: np.empty((ds.size, instances)) for o in GroundStateScan.OBSERVABLES}
    controls = np.empty((ds.size, instances, 2))
    control_means = np.empty((ds.size, 2))
    rho, nv = float(model.rho), float(model.noise_var)
    hits = []
    for i, d in enumerate(ds):
        for j in range(instances):
            X, y, w0 = make_data(model, int(d), children[i * instances + j])
            if method == "exact":
                gs = exact_ground_state(X, y, model, w0=w0, max_work=max_work)
            else:
                gs = anneal_ground_state(X, y, model, w0=w0, restarts=restarts, sweeps=sweeps,
                                         seed=children[i * instances + j].spawn(1)[0])
                hits.append(gs.hit_fraction)
            Fty = X.T @ y / math.sqrt(d)
            controls[i, j] = (0.5 * float(y @ y) / d, 0.5 * float(Fty @ Fty) / d)
            stats["energy"][i, j] = gs.energy_per_weight
            stats["train_error"][i, j] = gs.train_error
            stats["gen_error"][i, j] = gs.gen_error
        n = X.shape[0]
        control_means[i] = (n * (rho + nv) / (2 * d), (rho * n * (n + d + 1) / d + nv * n) / (2 * d))
    return stats, controls, control_means, hits


def _cv_mean(o, C, mu):
    """Regression (control-variate) estimate of ``E o`` given controls ``C`` with means ``mu``."""
    N, p = C.shape
    Cc = C - C.mean(axis=0)
    b, *_ = np.linalg.lstsq(Cc, o - o.mean(), rcond=None)
    adj = float(o.mean() - (C.mean(axis=0) - mu) @ b)
    res = o - o.mean() - Cc @ b
    se = math.sqrt(float(res @ res) / (N - p - 1) / N)
    return adj, se


# ---------------------------------------------------------------------------------------------
# small-alpha training error: the volume argument


@dataclass(frozen=True)
class VolumeScaling:
    """Exact minimum training error at small ``alpha`` against the volume argument.

    With ``K**d`` configurations and ``n = alpha d`` labels, the residual vectors
    ``y - F w`` of the ``K**d`` configurations fill the ``n``-dimensional label space with
    density ``K**d`` per unit volume (of the scale set by the spread of ``F w``), so the
    nearest one is at distance ``~ K**(-d/n)`` in each direction and the minimal mean squared
    residual is ``~ K**(-2/alpha)``: positive (no exact interpolation) but exponentially small
    in ``1/alpha``.

    Attributes
    ----------
    alphas : ndarray
    train_error_mean, train_error_sem : ndarray
        Instance mean and standard error of the exact minimum ``|y - F w|^2/n``.
    volume_prediction : ndarray
        ``K**(-2/alpha)``.
    slope, slope_err : float
        Least-squares slope of ``ln train_error`` against ``(2/alpha) ln K`` (``-1`` for the
        volume law; the prefactor is free) and its standard error.
    d, instances : int
    """

    alphas: np.ndarray
    train_error_mean: np.ndarray
    train_error_sem: np.ndarray
    volume_prediction: np.ndarray
    slope: float
    slope_err: float
    d: int
    instances: int

    def as_dict(self) -> dict:
        return {"alphas": [float(v) for v in self.alphas],
                "train_error_mean": [float(v) for v in self.train_error_mean],
                "train_error_sem": [float(v) for v in self.train_error_sem],
                "volume_prediction": [float(v) for v in self.volume_prediction],
                "slope": float(self.slope), "slope_err": float(self.slope_err), "d": int(self.d),
                "instances": int(self.instances)}


def training_volume_scaling(model: Model, alphas, d: int = 20, instances: int = 16, seed=0,
                            max_work: float = DEFAULT_MAX_WORK) -> VolumeScaling:
    """Exact minimum training error at several small ``alpha`` vs the volume law ``K**(-2/alpha)``.

    For each ``alpha`` the exact ground state (:func:`exact_ground_state`) of ``instances``
    data sets of dimension ``d`` is found; ``ln <train_error>`` is regressed on
    ``(2/alpha) ln K`` (slope ``-1`` if the training error scales as ``K**(-2/alpha)``).

    Returns
    -------
    VolumeScaling
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    alphas = np.array([check_real("alphas", a, low=0.0, low_inclusive=False) for a in np.atleast_1d(alphas)])
    d = check_int("d", d, low=1)
    instances = check_int("instances", instances, low=2)
    K = model.levels.size
    m_, s_ = [], []
    for i, a in enumerate(alphas):
        sc = ground_state_scan(model.replace(alpha=float(a)), [d], instances, seed=(seed, i),
                               max_work=max_work)
        m_.append(sc.train_error_mean[0])
        s_.append(sc.train_error_sem[0])
    m_, s_ = np.array(m_), np.array(s_)
    xv = 2.0 * math.log(K) / alphas
    if alphas.size >= 2 and np.all(m_ > 0):
        # relative errors floored at 1e-12: an exactly reproduced mean must not get infinite weight
        coef, cov = _weighted_line_fit(xv, np.log(m_), np.maximum(s_ / m_, 1e-12))
        slope, slope_err = float(coef[1]), float(math.sqrt(cov[1, 1]))
    else:
        slope, slope_err = math.nan, math.nan
    return VolumeScaling(alphas=alphas, train_error_mean=m_, train_error_sem=s_,
                         volume_prediction=float(K) ** (-2.0 / alphas), slope=slope,
                         slope_err=slope_err, d=d, instances=instances)


@dataclass(frozen=True)
class VolumeLaw:
    """Zero-temperature 1RSB training error along ``alpha`` against the volume law ``K**(-2/alpha)``.

    What replaces the RS "interpolation threshold" for quantized weights: the ground-state
    training error never reaches 0; below the RS threshold ``alpha_c`` it is volume-limited,
    ``train_error ~ A K**(-2 s/alpha)`` with ``s = 1`` for the volume law.

    Attributes
    ----------
    alphas : ndarray
        The alphas at which the 1RSB converged (others dropped; see ``message``).
    train_error, volume : ndarray
        1RSB training error and ``K**(-2/alpha)``.
    ratio : ndarray
        ``train_error / volume``.
    slope : float
        Least-squares slope ``s`` of ``ln train_error`` against ``-(2/alpha) ln K`` over the
        alphas below ``alpha_c_rs`` (``nan`` if fewer than two).
    alpha_c_rs : float
        RS interpolation threshold (:func:`replicaquant.interpolation_threshold`).
    message : str
    """

    alphas: np.ndarray
    train_error: np.ndarray
    volume: np.ndarray
    ratio: np.ndarray
    slope: float
    alpha_c_rs: float
    message: str = ""


def training_error_volume_law(model: Model, alphas) -> VolumeLaw:
    """1RSB ground-state training error vs ``K**(-2/alpha)`` (see :class:`VolumeLaw`).

    Solves the zero-temperature 1RSB along ``alphas`` by continuation
    (:func:`replicaquant.rsb_zero.scan_alpha_zero`) and fits the exponent below the RS threshold.
    """
    from .analysis import interpolation_threshold
    from .rsb_zero import scan_alpha_zero

    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    sols = scan_alpha_zero(model, alphas)
    ok = [s for s in sols if s.converged]
    a = np.array([s.model.alpha for s in ok])
    tr = np.array([s.train_error for s in ok])
    K = model.levels.size
    vol = float(K) ** (-2.0 / a) if a.size else np.empty(0)
    ac = float(interpolation_threshold(model).alpha)
    below = a < ac
    slope = math.nan
    if below.sum() >= 2 and np.all(tr[below] > 0):
        slope = float(np.polyfit(-2.0 * math.log(K) / a[below], np.log(tr[below]), 1)[0])
    dropped = len(sols) - len(ok)
    return VolumeLaw(alphas=a, train_error=tr, volume=np.asarray(vol), ratio=tr / vol if a.size else a,
                     slope=slope, alpha_c_rs=ac,
                     message=f"{dropped} alpha(s) dropped (1RSB not converged)" if dropped else "")
