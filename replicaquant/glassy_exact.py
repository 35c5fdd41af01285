"""Exact finite-``d`` Gibbs averages by exhaustive enumeration, and their ``d -> inf`` extrapolation.

For one data set ``(X, y)`` (``F = X/sqrt(d)``) the Gibbs measure on ``C**d`` (counting measure) is::

    P(w) = exp(-beta H(w)) / Z,    H(w) = 1/2 |y - F w|^2 + lam/2 |w|^2,

and every thermodynamic quantity of the instance is a finite sum over the ``K**d``
configurations.  :func:`exact_gibbs` computes those sums exactly (no sampling):

* the configurations are visited in reflected mixed-radix Gray-code order (Knuth's loopless
  algorithm H, the same order as :func:`replicaquant.groundstate.exact_ground_state`), so two
  consecutive ones differ in one coordinate ``j`` by one level step ``delta`` and the residual
  ``r = y - F w`` and the energy are updated in ``O(n)``::

      H' = H - delta F_j.r + |F_j|^2 delta^2/2 + lam (c'^2 - c^2)/2,    r <- r - delta F_j;

* the Boltzmann weights are accumulated relative to a running reference energy ``H_ref``
  (``exp(-beta (H - H_ref))``, rescaling every accumulator when a configuration more than
  ``50/beta`` below ``H_ref`` appears): the log-sum-exp of ``-beta H`` without overflow;
* the site averages ``<w_i>`` are accumulated lazily -- ``w_i`` changes only when ``i`` is
  flipped, so ``sum_w P(w) w_i`` is updated in ``O(1)`` per configuration from the running
  partition sum -- which gives ``m``, ``q = sum_i <w_i>^2/d`` and ``gen_error_mean`` exactly;
* several temperatures share one enumeration (the energies do not depend on ``beta``);
* for one bit with symmetric levels ``+-c`` the overlap distribution of two independent
  replicas, ``P(q)`` with ``q_ab = c^2 (1 - 2 h_ab/d)`` (``h`` the Hamming distance), is
  ``P(h) = sum_{|s| = h} A(s)``, ``A(s) = sum_w P(w) P(w xor s)``: the autocorrelation of
  ``P`` on the group ``Z_2^d``, computed with two Walsh-Hadamard transforms in
  ``O(d 2**d)`` (needs the ``2**d`` energies in memory).

Per instance (:class:`ExactGibbs`): ``free_energy = -ln Z/(beta d)``, ``energy = <H>/d``,
``entropy = ln Z/d + beta <H>/d``, ``specific_heat = beta^2 Var(H)/d``,
``train_error = <|r|^2>/n``, ``Q = <|w|^2>/d``, ``m = <w>.w0/d``, ``q = |<w>|^2/d``,
``gen_error = rho_i - 2 m + Q`` and ``gen_error_mean = |<w> - w0|^2/d = rho_i - 2m + q``
(``rho_i = |w0|^2/d``), the ground-state energy ``min H/d``, and ``P(q)``.

:func:`exact_gibbs_scan` averages over independent instances at several ``d`` (errors from
the instance-to-instance spread, reduced with the control variates ``rho_i - rho`` and
``|y|^2/n - (rho + noise_var)``, whose means are known exactly) and :func:`extrapolate`
fits ``v(d) = a + b/d [+ c/d^2] + s (n/d - alpha)`` (weighted least squares; the last term
absorbs the jitter of ``n = round(alpha d)``) to give ``a = v(d = inf)`` with an error bar.
The results are compared with RS and the thermodynamic 1RSB in docs/glassy.md.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._validation import check_instance, check_int, check_real
from .errors import ResourceError
from .groundstate import _cv_mean as _cv_regression, weighted_fit
from .model import Model

__all__ = ["ExactGibbs", "exact_gibbs", "exact_gibbs_work", "ExactGibbsScan", "exact_gibbs_scan",
           "merge_scans", "Extrapolation", "extrapolate", "EXACT_OBS", "DEFAULT_GIBBS_MAX_WORK", "DEFAULT_PQ_MAX_D"]

#: per-temperature observables of :class:`ExactGibbs` (``values`` keys).
EXACT_OBS = ("free_energy", "energy", "entropy", "specific_heat", "train_error", "Q", "m", "q",
             "gen_error", "gen_error_mean")

#: default budget of :func:`exact_gibbs` on ``K**d (n + 2 n_beta)`` elementary updates (about
#: a minute of one core; d = 26 one bit at alpha = 0.6, three temperatures: 1.5e9).
DEFAULT_GIBBS_MAX_WORK = 2e10

#: largest ``d`` for which :func:`exact_gibbs` computes ``P(q)`` by default (``2**d`` energies
#: in memory: 32 MB at d = 22).
DEFAULT_PQ_MAX_D = 22

_RESCALE = 50.0  # rescale the accumulators when a weight would exceed exp(_RESCALE)


# ---------------------------------------------------------------------------------------------
# compiled kernels


@njit(cache=True)
def _gibbs_gray(levels, Ft, colnorm2, y, lam, betas, w0, store, energies):
    """Gray-code enumeration of ``K**d`` configurations with Boltzmann accumulators.

    Returns ``(acc, m1, e_min, e_ref, count)``: ``acc[b] = (S0, S_H, S_H2, S_W2)`` and
    ``m1[b, i] = sum_w exp(-beta_b (H - e_ref)) w_i``.  With ``store`` the energy of the
    configuration with digit code ``sum_i a_i K**i`` is written to ``energies``.
    """
    d, n = Ft.shape
    K = levels.size
    nb = betas.size
    a = np.zeros(d, dtype=np.int64)
    o = np.ones(d, dtype=np.int64)
    f = np.arange(d + 1)
    powk = np.ones(d, dtype=np.int64)
    for i in range(1, d):
        powk[i] = powk[i - 1] * K
    r = y.copy()
    c0 = levels[0]
    for i in range(d):
        for mu in range(n):
            r[mu] -= c0 * Ft[i, mu]
    w2 = d * c0 * c0
    e = 0.5 * np.dot(r, r) + 0.5 * lam * w2
    e_min = e
    e_ref = e
    acc = np.zeros((nb, 4))
    m1 = np.zeros((nb, d))
    last = np.zeros((nb, d))
    bmax = 0.0
    for b in range(nb):
        if betas[b] > bmax:
            bmax = betas[b]
    for b in range(nb):
        acc[b, 0] = 1.0
        acc[b, 1] = e
        acc[b, 2] = e * e
        acc[b, 3] = w2
    code = 0
    if store:
        energies[0] = e
    count = 1
    while True:
        j = f[0]
        f[0] = 0
        if j == d:
            break
        old = levels[a[j]]
        a[j] += o[j]
        new = levels[a[j]]
        code += o[j] * powk[j]
        delta = new - old
        fj = Ft[j]
        dot = 0.0
        for mu in range(n):
            dot += fj[mu] * r[mu]
        e += -delta * dot + 0.5 * colnorm2[j] * delta * delta + 0.5 * lam * (new * new - old * old)
        for mu in range(n):
            r[mu] -= delta * fj[mu]
        w2 += new * new - old * old
        count += 1
        if store:
            energies[code] = e
        if e < e_min:
            e_min = e
        if bmax * (e_ref - e) > _RESCALE:  # new reference: rescale everything accumulated so far
            for b in range(nb):
                s = math.exp(-betas[b] * (e_ref - e))
                for k in range(4):
                    acc[b, k] *= s
                for i in range(d):
                    m1[b, i] *= s
                    last[b, i] *= s
            e_ref = e
        for b in range(nb):
            # site j held `old` in every configuration since its last change
            m1[b, j] += old * (acc[b, 0] - last[b, j])
            last[b, j] = acc[b, 0]
            p = math.exp(-betas[b] * (e - e_ref))
            acc[b, 0] += p
            acc[b, 1] += p * e
            acc[b, 2] += p * e * e
            acc[b, 3] += p * w2
        if a[j] == 0 or a[j] == K - 1:
            o[j] = -o[j]
            f[j] = f[j + 1]
            f[j + 1] = j + 1
    for b in range(nb):
        for i in range(d):
            m1[b, i] += levels[a[i]] * (acc[b, 0] - last[b, i])
    return acc, m1, e_min, e_ref, count


@njit(cache=True)
def _wht(v):
    """In-place unnormalised Walsh-Hadamard transform of a length-``2**d`` vector."""
    N = v.size
    h = 1
    while h < N:
        for start in range(0, N, 2 * h):
            for i in range(start, start + h):
                x = v[i]
                z = v[i + h]
                v[i] = x + z
                v[i + h] = x - z
        h *= 2


@njit(cache=True)
def _hamming_distribution(energies, beta, e_min, d):
    """``P(h) = sum_{|s| = h} sum_w P(w) P(w xor s)`` for the Gibbs weights of ``energies``."""
    N = energies.size
    p = np.empty(N)
    tot = 0.0
    for k in range(N):
        p[k] = math.exp(-beta * (energies[k] - e_min))
        tot += p[k]
    for k in range(N):
        p[k] /= tot
    _wht(p)
    for k in range(N):
        p[k] = p[k] * p[k]
    _wht(p)
    out = np.zeros(d + 1)
    for s in range(N):
        c = 0
        x = s
        while x:
            x &= x - 1
            c += 1
        out[c] += p[s] / N
    return out


# ---------------------------------------------------------------------------------------------
# one instance


@dataclass(frozen=True)
class ExactGibbs:
    """Exact Gibbs averages of one instance at one or several temperatures.

    Attributes
    ----------
    d, n : int
    betas : ndarray
        The inverse temperatures (one enumeration serves all of them).
    values : dict
        ``name -> ndarray (len(betas),)`` for every name in :data:`EXACT_OBS`:
        ``free_energy = -ln Z/(beta d)``, ``energy = <H>/d``, ``entropy = ln Z/d + beta <H>/d``,
        ``specific_heat = beta^2 (<H^2> - <H>^2)/d``, ``train_error = <|y - F w|^2>/n``,
        ``Q = <|w|^2>/d``, ``m = <w>.w0/d``, ``q = |<w>|^2/d``, ``gen_error = rho_i - 2m + Q``,
        ``gen_error_mean = |<w> - w0|^2/d`` (``m`` and the generalization errors are ``nan``
        without a teacher).
    w_mean : ndarray, shape (len(betas), d)
        The Gibbs means ``<w_i>``.
    ground_energy : float
        ``min_w H(w)/d``.
    rho_instance : float
        ``|w0|^2/d`` (``nan`` without a teacher).
    y2 : float
        ``|y|^2/n`` (a control variate of :func:`exact_gibbs_scan`).
    pq_q : ndarray or None
        The overlap values ``q(h) = c^2 (1 - 2h/d)``, ``h = 0..d`` (one bit, symmetric levels,
        ``d <= pq_max_d``; else ``None``).
    pq : ndarray or None, shape (len(betas), d + 1)
        ``P(q_ab = q(h))`` of two independent replicas (sums to 1).
    configurations : int
        Number of configurations enumerated (``K**d``).
    converged : bool
        Always ``True`` (an exact sum).
    iterations : int
        ``configurations``.
    message : str
    """

    d: int
    n: int
    betas: np.ndarray
    values: dict
    w_mean: np.ndarray = field(repr=False)
    ground_energy: float
    rho_instance: float
    y2: float
    pq_q: np.ndarray | None = field(repr=False)
    pq: np.ndarray | None = field(repr=False)
    configurations: int
    converged: bool
    iterations: int
    message: str

    def pq_moments(self) -> dict:
        """``{"q_pq": <q_ab>, "q2_pq": <q_ab^2>, "var_q": Var(q_ab)}`` per temperature from ``P(q)``.

        ``<q_ab>`` equals ``q = |<w>|^2/d`` identically (a check of both routes).  RS predicts
        ``Var(q_ab) -> 0``; 1RSB ``x (1 - x) (q1 - q0)^2``.
        """
        if self.pq is None:
            raise ValueError("P(q) was not computed for this instance (one bit, symmetric levels, "
                             "d <= pq_max_d only)")
        m1 = self.pq @ self.pq_q
        m2 = self.pq @ self.pq_q ** 2
        return {"q_pq": m1, "q2_pq": m2, "var_q": np.maximum(m2 - m1 * m1, 0.0)}

    def p_q_above(self, threshold: float) -> np.ndarray:
        """``P(q_ab > threshold)`` per temperature (e.g. the weight of the ``q1`` peak)."""
        threshold = check_real("threshold", threshold)
        if self.pq is None:
            raise ValueError("P(q) was not computed for this instance (one bit, symmetric levels, "
                             "d <= pq_max_d only)")
        return self.pq[:, self.pq_q > threshold].sum(axis=1)


def exact_gibbs_work(K: int, d: int, n: int, n_beta: int = 1) -> float:
    """Work of :func:`exact_gibbs`: ``K**d (2 n + 2 n_beta)`` elementary updates."""
    return float(K) ** d * (2 * n + 2 * n_beta)


def _check_instance(X, y, model, w0):
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    return check_instance(X, y, w0)


def _check_betas(betas, model):
    if betas is None:
        betas = [model.beta]
    b = np.atleast_1d(np.asarray(betas, dtype=float))
    if b.ndim != 1 or b.size == 0 or not np.all(np.isfinite(b)) or np.any(b <= 0):
        raise ValueError(f"betas must be finite positive inverse temperatures, got {betas!r}")
    return np.ascontiguousarray(b)


def exact_gibbs(X, y, model: Model, *, w0=None, betas=None, pq: bool | None = None,
                pq_max_d: int = DEFAULT_PQ_MAX_D,
                max_work: float = DEFAULT_GIBBS_MAX_WORK) -> ExactGibbs:
    """Exact Gibbs averages of one instance by enumerating all ``K**d`` configurations.

    ``Z(beta) = sum_{w in C**d} exp(-beta H(w))`` with
    ``H(w) = 1/2 |y - X w/sqrt(d)|^2 + lam/2 |w|^2`` (``C = model.levels``, ``lam = model.lam``)
    and every average ``<A> = sum_w A(w) exp(-beta H(w))/Z`` summed exactly, in Gray-code order
    with ``O(n)`` work per configuration (module docstring).

    Parameters
    ----------
    X : array (n, d)
        Inputs (unscaled, as returned by :func:`replicaquant.make_data`).
    y : array (n,)
        Labels.
    model : Model
        Supplies the levels, ``lam`` and (if ``betas`` is None) ``beta``.
    w0 : array (d,), optional
        Teacher, for ``m`` and the generalization errors.
    betas : float or sequence of float, optional
        Inverse temperatures (default ``[model.beta]``); one enumeration serves all.
    pq : bool, optional
        Compute ``P(q)`` (one bit with symmetric levels only).  Default: when possible and
        ``d <= pq_max_d``.
    pq_max_d : int
        Default size limit for ``P(q)`` (memory ``8 * 2**d`` bytes, time ``O(d 2**d)``).
    max_work : float
        Budget on :func:`exact_gibbs_work`; larger instances raise
        :class:`replicaquant.errors.ResourceError` (a ``ValueError``) before any work is done.

    Returns
    -------
    ExactGibbs
    """
    X, y, w0 = _check_instance(X, y, model, w0)
    bet = _check_betas(betas, model)
    max_work = check_real("max_work", max_work, low=0.0, low_inclusive=False, allow_inf=True)
    pq_max_d = check_int("pq_max_d", pq_max_d, low=0)
    n, d = X.shape
    levels = np.ascontiguousarray(model.levels, dtype=float)
    K = levels.size
    work = exact_gibbs_work(K, d, n, bet.size)
    if work > max_work:
        raise ResourceError(f"d = {d}: exact Gibbs enumeration needs K**d (2n + 2 n_beta) = {K}**{d} * "
                            f"{2 * n + 2 * bet.size} = {work:.3g} updates, above max_work = {max_work:.3g}")
    symmetric = K == 2 and abs(levels[0] + levels[1]) <= 1e-12 * abs(levels[1])
    if pq is None:
        pq = symmetric and d <= pq_max_d
    elif pq and not symmetric:
        raise ValueError("pq=True needs one bit with symmetric levels +-c")
    if pq and d > 30:
        raise ResourceError(f"d = {d}: P(q) needs 2**d energies in memory; use pq=False")
    F = X / math.sqrt(d)
    Ft = np.ascontiguousarray(F.T)
    colnorm2 = np.sum(F * F, axis=0)
    energies = np.empty(K ** d if pq else 1)
    w0v = np.zeros(d) if w0 is None else np.ascontiguousarray(w0)
    acc, m1, e_min, e_ref, count = _gibbs_gray(levels, Ft, colnorm2, y, float(model.lam), bet,
                                               w0v, bool(pq), energies)
    S0 = acc[:, 0]
    eH = acc[:, 1] / S0
    eH2 = acc[:, 2] / S0
    eW2 = acc[:, 3] / S0
    wm = m1 / S0[:, None]
    lnZ = np.log(S0) - bet * e_ref
    varH = np.maximum(eH2 - eH * eH, 0.0)
    train = np.maximum(2.0 * eH - model.lam * eW2, 0.0) / n
    qv = np.sum(wm * wm, axis=1) / d
    vals = {"free_energy": -lnZ / (bet * d), "energy": eH / d, "entropy": lnZ / d + bet * eH / d,
            "specific_heat": bet ** 2 * varH / d, "train_error": train, "Q": eW2 / d, "q": qv}
    if w0 is None:
        rho = math.nan
        nanv = np.full(bet.size, math.nan)
        vals.update(m=nanv, gen_error=nanv.copy(), gen_error_mean=nanv.copy())
    else:
        rho = float(w0 @ w0) / d
        mv = wm @ w0 / d
        vals.update(m=mv, gen_error=rho - 2 * mv + eW2 / d,
                    gen_error_mean=np.sum((wm - w0[None, :]) ** 2, axis=1) / d)
    pq_q = pq_arr = None
    if pq:
        c = float(levels[1])
        pq_q = c * c * (1.0 - 2.0 * np.arange(d + 1) / d)
        pq_arr = np.array([_hamming_distribution(energies, float(bb), float(e_min), d) for bb in bet])
    return ExactGibbs(d=d, n=n, betas=bet, values={k: np.asarray(vals[k], dtype=float) for k in EXACT_OBS},
                      w_mean=wm, ground_energy=float(e_min) / d, rho_instance=rho,
                      y2=float(y @ y) / n, pq_q=pq_q, pq=pq_arr, configurations=int(count),
                      converged=True, iterations=int(count),
                      message=f"exhaustive: {count} configurations, {bet.size} temperature(s)")


# ---------------------------------------------------------------------------------------------
# extrapolation


@dataclass(frozen=True)
class Extrapolation:
    """Weighted least-squares fit ``v(d) = a + b/d [+ c/d^2] [+ s (alpha_d - alpha)]``.

    Attributes
    ----------
    value, se : float
        ``a = v(d = inf)`` and its standard error (from the fit covariance, inflated by
        ``sqrt(chi2/dof)`` when that exceeds 1).
    order : int
        1 (``a + b/d``) or 2 (``+ c/d^2``).
    coef : dict
        ``a``, ``b`` (and ``c``, ``s``) with ``cov`` their covariance matrix (same order).
    cov : ndarray
    chi2 : float
    dof : int
    ds : ndarray
        The dimensions fitted.
    """

    value: float
    se: float
    order: int
    coef: dict
    cov: np.ndarray = field(repr=False)
    chi2: float
    dof: int
    ds: np.ndarray = field(repr=False)

    def predict(self, d, alpha_d=None) -> float:
        """The fitted ``v(d)`` (at ``alpha_d = alpha`` unless given)."""
        d = float(d)
        v = self.coef["a"] + self.coef["b"] / d + self.coef.get("c", 0.0) / d ** 2
        if alpha_d is not None and "s" in self.coef:
            v += self.coef["s"] * alpha_d
        return float(v)


def extrapolate(ds, mean, se, *, order: int = 1, alpha_shift=None) -> Extrapolation:
    """Fit ``v(d) = a + b/d [+ c/d^2] [+ s alpha_shift]`` by weighted least squares.

    Parameters
    ----------
    ds : sequence of int
        Dimensions.
    mean, se : sequence of float
        Instance means and their standard errors at each ``d`` (weights ``1/se^2``).
    order : int
        Highest power of ``1/d`` (1 or 2).
    alpha_shift : sequence of float, optional
        ``n/d - alpha`` at each ``d``: adds the free slope ``s`` that absorbs the jitter of
        ``n = round(alpha d)``.

    Returns
    -------
    Extrapolation
        ``value = a`` with the fit's standard error (scaled up by ``sqrt(chi2/dof)`` when
        ``chi2/dof > 1``).
    """
    order = check_int("order", order, low=1, high=2)
    ds = np.asarray(ds, dtype=float)
    mean = np.asarray(mean, dtype=float)
    se = np.asarray(se, dtype=float)
    if ds.ndim != 1 or mean.shape != ds.shape or se.shape != ds.shape:
        raise ValueError("ds, mean and se must be 1-D arrays of one length")
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(se)) and np.all(se > 0)):
        raise ValueError("mean must be finite and se finite and positive")
    cols = [np.ones_like(ds), 1.0 / ds] + ([1.0 / ds ** 2] if order == 2 else [])
    names = ["a", "b"] + (["c"] if order == 2 else [])
    if alpha_shift is not None:
        sh = np.asarray(alpha_shift, dtype=float)
        if sh.shape != ds.shape:
            raise ValueError("alpha_shift must have the length of ds")
        cols.append(sh)
        names.append("s")
    if ds.size < len(cols):
        raise ValueError(f"need at least {len(cols)} dimensions for this fit, got {ds.size}")
    coef, cov, chi2, dof = weighted_fit(cols, mean, se)
    return Extrapolation(value=float(coef[0]), se=float(math.sqrt(cov[0, 0])), order=order,
                         coef={k: float(v) for k, v in zip(names, coef)}, cov=cov, chi2=chi2,
                         dof=int(dof), ds=ds)


# ---------------------------------------------------------------------------------------------
# scan over d


@dataclass(frozen=True)
class ExactGibbsScan:
    """Instance averages of :func:`exact_gibbs` at several ``d`` and temperatures.

    Attributes
    ----------
    model : Model
    ds : tuple of int
    ns : tuple of int
        ``n = round(alpha d)``.
    betas : ndarray
    instances : tuple of int
        Data sets at each ``d``.
    mean, se : dict
        ``name -> ndarray (len(ds), len(betas))``: the control-variate-corrected instance mean
        and its standard error, for the names of :data:`EXACT_OBS` plus, where ``P(q)`` was
        computed (else ``nan``), ``var_q`` and ``p_q1`` (``P(q_ab > q_threshold)``).
    raw_se : dict
        The plain standard errors (no control variates), for comparison.
    per_instance : dict
        ``name -> list over ds of ndarray (instances, len(betas))``.
    rho, y2 : list of ndarray
        Per-instance ``|w0|^2/d`` and ``|y|^2/n`` (the control variates).
    q_threshold : float
    cpu_seconds : ndarray
        Process CPU time spent at each ``d``.
    control_variates : bool
        Whether ``mean``/``se`` (and :meth:`paired`) use the control variates.
    """

    model: Model = field(repr=False)
    ds: tuple
    ns: tuple
    betas: np.ndarray
    instances: tuple
    mean: dict = field(repr=False)
    se: dict = field(repr=False)
    raw_se: dict = field(repr=False)
    per_instance: dict = field(repr=False)
    rho: list = field(repr=False)
    y2: list = field(repr=False)
    q_threshold: float
    cpu_seconds: np.ndarray
    control_variates: bool = True

    def alpha_shift(self) -> np.ndarray:
        """``n/d - alpha`` at each ``d``."""
        return np.array([n / d for n, d in zip(self.ns, self.ds)]) - self.model.alpha

    def extrapolate(self, name: str, beta_index: int = 0, *, order: int = 1, d_min: int = 0,
                    alpha_slope: bool = True) -> Extrapolation:
        """:func:`extrapolate` of observable ``name`` at ``betas[beta_index]`` over ``d >= d_min``
        (with the ``n/d - alpha`` slope unless ``alpha_slope=False``)."""
        if name not in self.mean:
            raise ValueError(f"name must be one of {sorted(self.mean)}, got {name!r}")
        beta_index = check_int("beta_index", beta_index, low=0, high=self.betas.size - 1)
        ds = np.array(self.ds)
        keep = (ds >= d_min) & np.isfinite(self.mean[name][:, beta_index])
        sh = self.alpha_shift()[keep] if alpha_slope else None
        return extrapolate(ds[keep], self.mean[name][keep, beta_index], self.se[name][keep, beta_index],
                           order=order, alpha_shift=sh)

    def paired(self, name: str, beta_index: int, ref_index: int) -> tuple:
        """Per-``d`` mean and standard error of the per-instance difference
        ``v(betas[beta_index]) - v(betas[ref_index])`` (same instances: the instance-to-instance
        fluctuations common to both temperatures cancel), control-variate corrected as the means.

        Returns
        -------
        mean, se : ndarray (len(ds),)
        """
        if name not in self.per_instance:
            raise ValueError(f"name must be one of {sorted(self.per_instance)}, got {name!r}")
        b1 = check_int("beta_index", beta_index, low=0, high=self.betas.size - 1)
        b0 = check_int("ref_index", ref_index, low=0, high=self.betas.size - 1)
        mean = np.full(len(self.ds), math.nan)
        se = np.full(len(self.ds), math.nan)
        for j in range(len(self.ds)):
            v = self.per_instance[name][j][:, b1] - self.per_instance[name][j][:, b0]
            if np.all(np.isfinite(v)):
                mean[j], se[j] = _cv_mean(v, self._controls(j))
        return mean, se

    def extrapolate_paired(self, name: str, beta_index: int, ref_index: int, *, order: int = 1,
                           d_min: int = 0, alpha_slope: bool = True) -> Extrapolation:
        """:func:`extrapolate` of :meth:`paired` over ``d >= d_min``."""
        mean, se = self.paired(name, beta_index, ref_index)
        ds = np.array(self.ds)
        keep = (ds >= d_min) & np.isfinite(mean)
        sh = self.alpha_shift()[keep] if alpha_slope else None
        return extrapolate(ds[keep], mean[keep], se[keep], order=order, alpha_shift=sh)

    def _controls(self, j):
        if not self.control_variates:
            return None
        C = np.column_stack([self.rho[j] - self.model.rho,
                             self.y2[j] - self.model.rho - self.model.noise_var])
        return C if np.all(np.isfinite(C)) else None

    def table(self, beta_index: int = 0, names=("energy", "train_error", "free_energy", "q",
                                                "gen_error_mean", "p_q1")) -> str:
        """Rows ``d | n | value ± se`` per observable at ``betas[beta_index]``."""
        head = f"{'d':>3s} {'n':>3s}" + "".join(f" {k:>19s}" for k in names)
        lines = [f"beta = {self.betas[beta_index]:g}, instances per d: {self.instances}", head]
        for j, (d, n) in enumerate(zip(self.ds, self.ns)):
            line = f"{d:3d} {n:3d}"
            for k in names:
                line += f" {self.mean[k][j, beta_index]:10.5f}±{self.se[k][j, beta_index]:8.5f}"
            lines.append(line)
        return "\n".join(lines)


def _cv_mean(v, C):
    """Mean and s.e. of ``v - C beta`` with ``beta`` the least-squares slopes of ``v`` on the
    zero-mean control variates ``C`` (columns); falls back to the plain mean if singular."""
    v = np.asarray(v, dtype=float)
    N = v.size
    if N < 2:
        return float(v.mean()), math.nan
    plain = float(v.std(ddof=1) / math.sqrt(N))
    if C is None or N <= C.shape[1] + 2:
        return float(v.mean()), plain
    return _cv_regression(v, C, np.zeros(C.shape[1]))


def exact_gibbs_scan(model: Model, ds, *, instances: int = 64, seed: int = 0, betas=None,
                     q_threshold: float = math.nan, pq_max_d: int = DEFAULT_PQ_MAX_D,
                     control_variates: bool = True, max_work: float = DEFAULT_GIBBS_MAX_WORK,
                     progress=None) -> ExactGibbsScan:
    """:func:`exact_gibbs` on ``instances`` independent data sets at each ``d`` in ``ds``.

    Instance ``k`` at dimension ``d`` is ``make_data(model, d, SeedSequence([seed, d, k]))``.
    Per ``d`` and temperature the reported mean is the control-variate estimate
    ``mean(v_k - c.(C_k - E C))`` with ``C_k = (rho_k - rho, |y_k|^2/n - rho - noise_var)``
    (both means known exactly; ``c`` from least squares on the instances) and its standard error
    ``sqrt(sum_k (u_k - mean u)^2 / ((N - 3) N))`` with ``u_k = v_k - c.(C_k - E C)``.  With
    ``control_variates=False`` the plain mean and ``std/sqrt(N)``.

    Parameters
    ----------
    model : Model
        The levels, ``alpha``, ``lam``, ``noise_var``, teacher and (if ``betas`` is None) ``beta``.
    ds : sequence of int
    instances : int or dict
        Data sets per ``d`` (at least 4), or a dict ``d -> count``.
    seed : int
    betas : sequence of float, optional
        Temperatures sharing each enumeration (default ``[model.beta]``).
    q_threshold : float
        ``p_q1 = P(q_ab > q_threshold)`` where ``P(q)`` is computed (``nan``: not reported).
    pq_max_d, max_work
        As in :func:`exact_gibbs`.
    control_variates : bool
    progress : callable, optional
        Called as ``progress(d, cpu_seconds)`` after each ``d``.

    Returns
    -------
    ExactGibbsScan
    """
    import time

    from .data import make_data

    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    ds = tuple(check_int("ds", d, low=2) for d in ds)
    if not ds:
        raise ValueError("ds must contain at least one dimension")
    counts = {d: check_int("instances", instances[d] if isinstance(instances, dict) else instances, low=4)
              for d in ds}
    bet = _check_betas(betas, model)
    q_threshold = float(q_threshold)
    names = list(EXACT_OBS) + ["var_q", "p_q1"]
    per = {k: [] for k in names}
    rhos, y2s, ns, cpu = [], [], [], []
    for d in ds:
        t0 = time.process_time()
        rows = {k: [] for k in names}
        rho_d, y2_d = [], []
        n = int(round(model.alpha * d))
        for k in range(counts[d]):
            X, y, w0 = make_data(model, d, np.random.SeedSequence([int(seed), int(d), k]))
            g = exact_gibbs(X, y, model, w0=w0, betas=bet, pq_max_d=pq_max_d, max_work=max_work)
            for key in EXACT_OBS:
                rows[key].append(g.values[key])
            if g.pq is not None:
                rows["var_q"].append(g.pq_moments()["var_q"])
                rows["p_q1"].append(g.p_q_above(q_threshold) if math.isfinite(q_threshold)
                                    else np.full(bet.size, math.nan))
            else:
                rows["var_q"].append(np.full(bet.size, math.nan))
                rows["p_q1"].append(np.full(bet.size, math.nan))
            rho_d.append(g.rho_instance)
            y2_d.append(g.y2)
        for key in names:
            per[key].append(np.array(rows[key]))
        rhos.append(np.array(rho_d))
        y2s.append(np.array(y2_d))
        ns.append(n)
        cpu.append(time.process_time() - t0)
        if progress is not None:
            progress(d, cpu[-1])
    mean = {k: np.full((len(ds), bet.size), math.nan) for k in names}
    se = {k: np.full((len(ds), bet.size), math.nan) for k in names}
    raw = {k: np.full((len(ds), bet.size), math.nan) for k in names}
    for j in range(len(ds)):
        C = np.column_stack([rhos[j] - model.rho, y2s[j] - model.rho - model.noise_var])
        if not control_variates or not np.all(np.isfinite(C)):
            C = None
        for key in names:
            for b in range(bet.size):
                v = per[key][j][:, b]
                if not np.all(np.isfinite(v)):
                    continue
                mean[key][j, b], se[key][j, b] = _cv_mean(v, C)
                raw[key][j, b] = float(v.std(ddof=1) / math.sqrt(v.size))
    return ExactGibbsScan(model=model, ds=ds, ns=tuple(ns), betas=bet,
                          instances=tuple(counts[d] for d in ds), mean=mean,
                          se=se, raw_se=raw, per_instance=per, rho=rhos, y2=y2s,
                          q_threshold=q_threshold, cpu_seconds=np.array(cpu),
                          control_variates=bool(control_variates))


def merge_scans(scans) -> ExactGibbsScan:
    """Concatenate :class:`ExactGibbsScan` results over ``d`` (same model, temperatures and
    ``q_threshold``; e.g. one run per ``d``), sorted by ``d``."""
    scans = sorted(scans, key=lambda s: s.ds[0])
    if not scans:
        raise ValueError("scans must not be empty")
    s0 = scans[0]
    for s in scans[1:]:
        if (not np.array_equal(s.betas, s0.betas) or repr(s.model) != repr(s0.model)
                or not (s.q_threshold == s0.q_threshold
                        or (math.isnan(s.q_threshold) and math.isnan(s0.q_threshold)))):
            raise ValueError("scans must share model, betas and q_threshold")
    cat = lambda attr: tuple(x for s in scans for x in getattr(s, attr))  # noqa: E731
    ds = cat("ds")
    if len(set(ds)) != len(ds):
        raise ValueError(f"scans overlap in d: {ds}")
    order = np.argsort(ds)
    pick = lambda seq: [seq[i] for i in order]  # noqa: E731
    stack = lambda attr: {k: np.concatenate([getattr(s, attr)[k] for s in scans])[order]  # noqa: E731
                          for k in s0.mean}
    per = {k: pick([x for s in scans for x in s.per_instance[k]]) for k in s0.per_instance}
    return ExactGibbsScan(model=s0.model, ds=tuple(pick(ds)), ns=tuple(pick(cat("ns"))),
                          betas=s0.betas, instances=tuple(pick(cat("instances"))),
                          mean=stack("mean"), se=stack("se"), raw_se=stack("raw_se"), per_instance=per,
                          rho=pick([x for s in scans for x in s.rho]), y2=pick([x for s in scans for x in s.y2]),
                          q_threshold=s0.q_threshold,
                          cpu_seconds=np.concatenate([s.cpu_seconds for s in scans])[order],
                          control_variates=s0.control_variates)
