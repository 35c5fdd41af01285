"""Replica-symmetric saddle point of quantized regression (see docs/theory.md).

Order parameters ``m = w.w0/d``, ``q = <w>.<w>/d``, ``Q = |w|^2/d``, ``chi = beta (Q - q)``.
Channel side (square loss, exact Gaussian integral)::

    Ahat = mhat = alpha/(1 + chi),    qhat = alpha (rho - 2m + q + noise_var)/(1 + chi)^2

Prior side: the level measure ``p(c|h) ∝ exp(-beta[(lam + Ahat) c^2/2 - h c])`` with field
``h = mhat w0 + sqrt(qhat) z``::

    m = E[w0 <w>_h],  q = E[<w>_h^2],  Q = E[<w^2>_h],  chi = beta E[Var_h(w)]

Free energy density::

    f = -Ahat Q/2 + qhat chi/2 + mhat m - E[phi(h)]
        + alpha/(2 beta) ln(1 + chi) + alpha/2 (rho - 2m + q + noise_var)/(1 + chi)

with ``phi = (1/beta) ln sum_k exp(-beta[(lam+Ahat) c_k^2/2 - h c_k])`` (``max_k`` at beta = inf).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._results import format_result
from ._validation import (check_count, check_depth, check_flag, check_mixing, check_state,
                          check_tol)
from .continuation import same_branch
from .convergence import SUCCESS, finalize
from .errors import ConvergenceError  # noqa: F401  (re-exported: rs.ConvergenceError)
from .fixed_point import (FixedPointResult, _message, anderson_loop, anderson_workspace,
                          solve_fixed_point)
from .invariants import check_rs, rs_invariants_hold
from .levels import LevelMeasure, teacher_arrays
from .model import Model
from .quadrature import _SYM_RTOL, N_OUT, gauss_expect, gauss_expect_inf, symmetric_levels
from .records import (GE_BVAR, GE_BVAR2, GE_MEAN, GE_MEAN2, GE_PHI, GE_SECOND, PS_BVAR2, PS_CHI,
                      PS_M, PS_N, PS_PHI, PS_Q, PS_QSELF)


# ---------------------------------------------------------------------------------------------
# compiled prior side: teacher average of the Gaussian single-site averages


@njit(cache=True)
def prior_side(levels, a, beta, mhat, qhat, t_values, t_probs, gauss_rho):
    """Teacher- and field-averaged single-site quantities.

    Returns the vector ``[E phi, m, q, Q, chi, E bvar^2]`` (slots ``records.PS_*``).
    ``gauss_rho > 0`` selects the Gaussian teacher ``N(0, gauss_rho)`` (one average over
    ``h ~ N(0, mhat^2 rho + qhat)``, ``m`` by Stein's lemma ``m = mhat rho chi``); otherwise the
    discrete teacher ``(t_values, t_probs)`` (one average per value, ``h | w0 ~ N(mhat w0, qhat)``).
    """
    out = np.zeros(PS_N)
    tmp = np.empty(N_OUT)
    inf_beta = np.isinf(beta)
    if gauss_rho > 0.0:
        sig = math.sqrt(mhat * mhat * gauss_rho + qhat)
        if inf_beta:
            gauss_expect_inf(levels, a, 0.0, sig, tmp)
        else:
            gauss_expect(levels, a, beta, 0.0, sig, tmp)
        out[PS_PHI] = tmp[GE_PHI]
        out[PS_Q] = tmp[GE_MEAN2]
        out[PS_QSELF] = tmp[GE_SECOND]
        out[PS_CHI] = tmp[GE_BVAR]
        out[PS_BVAR2] = tmp[GE_BVAR2]
        out[PS_M] = mhat * gauss_rho * tmp[GE_BVAR]
        return out
    sig = math.sqrt(qhat)
    n_t = t_values.size
    # a teacher and a level set both symmetric about 0: the value -v contributes exactly what
    # v does (h -> -h), so only the first half of the values is integrated, with weight 2
    half = symmetric_levels(levels) and _symmetric_teacher(t_values, t_probs)
    for j in range((n_t + 1) // 2 if half else n_t):
        v = t_values[j]
        pj = t_probs[j]
        if half and 2 * j + 1 != n_t:  # (the middle value of an odd count is 0: weight 1)
            pj = 2.0 * pj
        if inf_beta:
            gauss_expect_inf(levels, a, mhat * v, sig, tmp)
        else:
            gauss_expect(levels, a, beta, mhat * v, sig, tmp)
        out[PS_PHI] += pj * tmp[GE_PHI]
        out[PS_M] += pj * v * tmp[GE_MEAN]
        out[PS_Q] += pj * tmp[GE_MEAN2]
        out[PS_QSELF] += pj * tmp[GE_SECOND]
        out[PS_CHI] += pj * tmp[GE_BVAR]
        out[PS_BVAR2] += pj * tmp[GE_BVAR2]
    return out


@njit(cache=True)
def _symmetric_teacher(t_values, t_probs):
    """``t_values[j] = -t_values[T-1-j]`` and ``t_probs[j] = t_probs[T-1-j]`` (sorted, symmetric)?"""
    n = t_values.size
    scale = 0.0
    for j in range(n):
        scale = max(scale, abs(t_values[j]))
    for j in range((n + 1) // 2):
        k = n - 1 - j
        if abs(t_values[j] + t_values[k]) > _SYM_RTOL * scale:
            return False
        if abs(t_probs[j] - t_probs[k]) > _SYM_RTOL * max(t_probs[j], t_probs[k]):
            return False
    return True


def _teacher_arrays(teacher):
    """Deprecated alias of :func:`replicaquant.levels.teacher_arrays` (until ``rsb`` switches)."""
    return teacher_arrays(teacher)


# ---------------------------------------------------------------------------------------------
# channel side and observables (plain functions of the order parameters)


@njit(cache=True)
def channel_conjugates(alpha, rho, noise_var, m, q, chi):
    """``(mhat, qhat, Ahat)`` of the square-loss channel (scalars; compiled).

    ``Ahat = mhat = alpha/(1 + chi)``, ``qhat = max(0, alpha (rho - 2m + q + noise_var)/(1 + chi)^2)``
    (see docs/theory.md).
    """
    mhat = alpha / (1.0 + chi)
    # divide twice instead of by (1 + chi)**2: no overflow (and no RuntimeWarning) when a
    # non-convergent iteration drives chi beyond 1e154; qhat then underflows quietly to 0
    qhat = mhat * (rho - 2.0 * m + q + noise_var) / (1.0 + chi)
    if qhat < 0.0:
        qhat = 0.0
    return mhat, qhat, mhat


@njit(cache=True)
def _free_energy(alpha, beta, rho, noise_var, m, q, Q, chi, mhat, qhat, Ahat, e_phi):
    """The RS free energy formula (module docstring); scalars, compiled (one source for
    :func:`free_energy_rs` and the compiled observables of a solve)."""
    f = (-Ahat * Q / 2 + qhat * chi / 2 + mhat * m - e_phi
         + alpha / 2 * (rho - 2 * m + q + noise_var) / (1 + chi))
    if math.isfinite(beta):
        f += alpha / (2 * beta) * math.log1p(chi)
    return f


@njit(cache=True)
def _train_error(beta, rho, noise_var, m, q, chi):
    """The RS training error formula of :func:`train_error_rs` (scalars, compiled)."""
    r = (rho - 2 * m + q + noise_var) / (1 + chi) / (1 + chi)  # no overflow at huge chi
    if math.isfinite(beta):
        r += chi / (beta * (1 + chi))
    return r


def free_energy_rs(model: Model, m, q, Q, chi, mhat, qhat, Ahat, e_phi) -> float:
    """RS free energy density ``f`` (module docstring) from order parameters, conjugates and ``E[phi]``."""
    return float(_free_energy(float(model.alpha), float(model.beta), float(model.rho),
                              float(model.noise_var), float(m), float(q), float(Q), float(chi),
                              float(mhat), float(qhat), float(Ahat), float(e_phi)))


def train_error_rs(model: Model, m, q, chi) -> float:
    """``(rho - 2m + q + noise_var)/(1+chi)^2 + chi/(beta (1+chi))``: mean squared training residual."""
    return float(_train_error(float(model.beta), float(model.rho), float(model.noise_var),
                              float(m), float(q), float(chi)))


# ---------------------------------------------------------------------------------------------
# result object


@dataclass(frozen=True)
class RSSolution:
    """Replica-symmetric saddle point and its observables.

    Attributes
    ----------
    m, q, Q, chi : float
        Order parameters (teacher overlap, two-replica overlap, self-overlap, ``beta (Q - q)``).
    mhat, qhat, Ahat : float
        Conjugates.
    free_energy : float
        ``f = -(1/(beta d)) E ln Z`` at the saddle point (ground-state energy density at beta = inf).
    gen_error, gen_error_mean, train_error : float
        ``rho - 2m + Q`` (Gibbs sample), ``rho - 2m + q`` (Gibbs mean), training residual.
    at : float
        Replicon value ``alpha/(1+chi)^2 E[(beta Var_h)^2]``; ``inf`` at beta = inf.
    rs_stable : bool
        ``at < 1``: RS is *locally* stable (no continuous AT instability).  This is not a proof
        that RS is the right phase: at low temperature a discontinuous (random first-order)
        transition to 1RSB can occur while ``at < 1``; use :func:`replicaquant.phase` (see
        docs/phases.md) for the thermodynamic phase.
    converged, iterations, residual, message
        Solver status; ``residual`` is the undamped scaled residual of the last iteration.
    status : int
        Status code of :mod:`replicaquant.convergence` (``0`` converged; otherwise why not).
    branches : tuple of RSSolution
        Other converged branches found by a multi-start solve (higher free energy).
    """

    model: Model = field(repr=False)
    m: float
    q: float
    Q: float
    chi: float
    mhat: float
    qhat: float
    Ahat: float
    free_energy: float
    gen_error: float
    gen_error_mean: float
    train_error: float
    at: float
    rs_stable: bool
    converged: bool
    iterations: int
    residual: float
    message: str = ""
    branches: tuple = field(default=(), repr=False)
    status: int = 0

    FIELDS = ("m", "q", "Q", "chi", "mhat", "qhat", "Ahat", "free_energy", "gen_error",
              "gen_error_mean", "train_error", "at")

    def as_dict(self) -> dict:
        """Plain dict of the numbers and the status (for JSON / tables)."""
        d = {k: float(getattr(self, k)) for k in self.FIELDS}
        d.update(rs_stable=bool(self.rs_stable), converged=bool(self.converged),
                 iterations=int(self.iterations), residual=float(self.residual),
                 message=self.message, status=int(self.status))
        return d

    @property
    def x(self) -> np.ndarray:
        """The iteration variables ``(m, q, chi)`` (for warm starts)."""
        return np.array([self.m, self.q, self.chi])

    def __repr__(self) -> str:
        return format_result(f"RSSolution  ({self.model!r})", self, self.FIELDS,
                             {"rs_stable": self.rs_stable})


# ---------------------------------------------------------------------------------------------
# solver


@njit(cache=True)
def rs_evaluate(x, args):
    """One RS step at ``x = (m, q, chi)``: ``(mhat, qhat, Ahat, prior-side vector)`` (compiled).

    ``args = (levels, t_values, t_probs, gauss_rho, alpha, rho, noise_var, lam, beta, memo)``
    (:attr:`RSMap.args`); the vector has the slots ``records.PS_*``.  ``memo`` (length
    ``_MEMO_N``) is written by :func:`rs_map` only: ``x, mhat, qhat, Ahat`` and the vector of
    its last evaluation, so that the solution at the final iterate needs no extra evaluation.
    """
    levels, tv, tp, grho, alpha, rho, noise_var, lam, beta, _ = args
    mhat, qhat, Ahat = channel_conjugates(alpha, rho, noise_var, x[0], x[1], x[2])
    out = prior_side(levels, lam + Ahat, beta, mhat, qhat, tv, tp, grho)
    return mhat, qhat, Ahat, out


@njit(cache=True)
def rs_map(x, args):
    """The undamped RS map ``(m, q, chi) -> (m, q, chi)`` (compiled; ``args`` as in :func:`rs_evaluate`)."""
    mhat, qhat, Ahat, out = rs_evaluate(x, args)
    memo = args[9]
    memo[0] = x[0]
    memo[1] = x[1]
    memo[2] = x[2]
    memo[3] = mhat
    memo[4] = qhat
    memo[5] = Ahat
    memo[6:] = out
    fx = np.empty(3)
    fx[0] = out[PS_M]
    fx[1] = out[PS_Q]
    fx[2] = out[PS_CHI]
    return fx


_MEMO_N = 6 + PS_N

#: Cauchy-Schwarz slack of the feasibility test ``m^2 <= rho q (1 + _CS_RTOL) + _CS_ATOL``: the
#: prior side returns m and q from separate quadratures, so at an informed fixed point
#: (``m^2 = rho q`` exactly, e.g. a teacher on the levels at low temperature) rounding may put
#: ``m^2`` a few ulps above ``rho q``; ``_CS_ATOL`` keeps ``m = q = 0`` feasible
_CS_RTOL = 1e-9
_CS_ATOL = 1e-300


@njit(cache=True)
def feasible(x, rho):
    """Is ``x = (m, q, chi)`` a physical RS state: finite, ``q >= 0``, ``chi >= 0``, ``m^2 <= rho q``?"""
    m, q, chi = x[0], x[1], x[2]
    return bool(math.isfinite(m) and math.isfinite(q) and math.isfinite(chi) and q >= 0.0
                and chi >= 0.0 and m * m <= rho * q * (1.0 + _CS_RTOL) + _CS_ATOL)


@njit(cache=True)
def _rs_feasible(x, args):
    return feasible(x, args[5])


@njit(cache=True)
def _rs_solve(x0, args, mixing, tol, max_iter, depth, patience, ws):
    """The whole RS iteration, compiled: :func:`~replicaquant.fixed_point.anderson_loop` on :func:`rs_map`."""
    return anderson_loop(rs_map, _rs_feasible, x0, args, mixing, tol, max_iter, depth, patience, ws)


@njit(cache=True)
def _rs_fields(mhat, qhat, Ahat, out, alpha, beta, rho, noise_var):
    """The numbers of :class:`RSSolution` (order of ``RSSolution.FIELDS``) from the conjugates and
    the prior-side vector ``out`` (slots ``records.PS_*``) of the map evaluation at the solution."""
    e_phi = out[PS_PHI]
    m = out[PS_M]
    q = out[PS_Q]
    Q = out[PS_QSELF]
    chi = out[PS_CHI]
    if math.isinf(beta):
        at = math.inf
    else:
        at = alpha / (1 + chi) / (1 + chi) * out[PS_BVAR2]  # no overflow of (1 + chi)**2
    res = np.empty(12)
    res[0] = m
    res[1] = q
    res[2] = Q
    res[3] = chi
    res[4] = mhat
    res[5] = qhat
    res[6] = Ahat
    res[7] = _free_energy(alpha, beta, rho, noise_var, m, q, Q, chi, mhat, qhat, Ahat, e_phi)
    res[8] = rho - 2 * m + Q
    res[9] = rho - 2 * m + q
    res[10] = _train_error(beta, rho, noise_var, m, q, chi)
    res[11] = at
    return res


@njit(cache=True)
def _rs_point(x0, args, mixing, tol, max_iter, depth, patience, ws):
    """:func:`_rs_solve` plus, on success, the solution's numbers (:func:`_rs_fields`) from the
    memo of the last map evaluation, which is the evaluation at the returned ``x``.

    Returns ``(x, fx, status, iterations, residual, fields)``; ``fields`` is NaN unless
    ``status == SUCCESS``.
    """
    x, fx, status, it, res = anderson_loop(rs_map, _rs_feasible, x0, args, mixing, tol, max_iter,
                                           depth, patience, ws)
    memo = args[9]
    fields = np.full(12, np.nan)
    if status == 0 and memo[0] == x[0] and memo[1] == x[1] and memo[2] == x[2]:
        fields = _rs_fields(memo[3], memo[4], memo[5], memo[6:], args[4], args[8], args[5], args[6])
    return x, fx, status, it, res, fields


class RSMap:
    """The RS iteration ``(m, q, chi) -> prior side(channel side(m, q, chi))``.

    Calling it applies the undamped map (one step of state evolution); ``evaluate`` also
    returns the conjugates and the full prior-side vector ``[E phi, m, q, Q, chi, E bvar^2]``
    (slots ``records.PS_*``).  ``args`` is the argument tuple of the compiled :func:`rs_map`.
    """

    def __init__(self, model: Model):
        if not isinstance(model, Model):
            raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
        self.model = model
        self.measure = LevelMeasure.from_model(model)
        self.levels = self.measure.levels
        self.tv, self.tp, self.grho = self.measure.teacher
        self.rho = model.rho
        self._memo = np.full(_MEMO_N, np.nan)
        self.args = (self.levels, self.tv, self.tp, float(self.grho), float(model.alpha),
                     float(self.rho), float(model.noise_var), float(model.lam), float(model.beta),
                     self._memo)

    def evaluate(self, x):
        x = np.asarray(x, dtype=float)
        memo = self._memo
        if x[0] == memo[0] and x[1] == memo[1] and x[2] == memo[2]:  # the last map evaluation
            return (float(memo[3]), float(memo[4]), float(memo[5])), memo[6:].copy()
        mhat, qhat, Ahat, out = rs_evaluate(x, self.args)
        return (mhat, qhat, Ahat), out

    def __call__(self, x):
        return rs_map(np.asarray(x, dtype=float), self.args)

    def feasible(self, x) -> bool:
        return feasible(np.asarray(x, dtype=float), self.rho)

    def iterate(self, x0, *, mixing, tol, max_iter, anderson, patience=None, workspace=None):
        """Run the compiled iteration from ``x0`` (see :func:`~replicaquant.fixed_point.anderson_loop`).

        ``workspace`` (an :func:`~replicaquant.fixed_point.anderson_workspace`) carries the
        Anderson history in and out; a fresh one by default.  Returns a
        :class:`~replicaquant.fixed_point.FixedPointResult`.
        """
        ws = anderson_workspace(3, anderson) if workspace is None else workspace
        pat = -1 if patience is None else int(patience)
        x, fx, status, it, res = _rs_solve(np.array(x0, dtype=float), self.args, float(mixing),
                                           float(tol), int(max_iter), int(anderson), pat, ws)
        return FixedPointResult(x, fx, status == 0, int(it), float(res),
                                _message(status, it, res, patience), status=int(status))


#: informed start: ``m`` this fraction of the Cauchy-Schwarz bound ``sqrt(rho q)`` (strictly
#: inside the feasible set), ``q = min(rho, max_k c_k^2)`` (neither the teacher's power nor the
#: largest level can be exceeded) and a small ``chi``: a nearly frozen state aligned with the teacher
_INFORMED_ALIGNMENT = 0.999
_INFORMED_CHI = 1e-3


def _default_inits(model: Model):
    """Uninformed ``(0, 0, 0)`` and informed (``m`` near ``sqrt(rho q)``, small ``chi``) starts."""
    rho = model.rho
    qi = min(rho, float(np.max(model.levels ** 2)))
    return [np.zeros(3), np.array([_INFORMED_ALIGNMENT * math.sqrt(rho * qi), qi, _INFORMED_CHI])]


def _build_solution(model, rsmap, x, fp, branches=()):
    (mhat, qhat, Ahat), out = rsmap.evaluate(x)
    a = rsmap.args
    fields = _rs_fields(float(mhat), float(qhat), float(Ahat), np.ascontiguousarray(out, dtype=float),
                        a[4], a[8], a[5], a[6])
    return _new_solution(model, fields, fp.converged, fp.iterations, fp.residual, fp.message,
                         tuple(branches), fp.status)


_RESULT_KEYS = ("model",) + RSSolution.FIELDS + ("rs_stable", "converged", "iterations", "residual",
                                                 "message", "branches", "status")


def _new_solution(model, fields, converged, iterations, residual, message, branches=(), status=0):
    """An :class:`RSSolution` from the ``RSSolution.FIELDS`` vector ``fields`` and the status.

    Equivalent to ``RSSolution(model=model, m=..., ...)``; fills the instance dict in one call
    (the generated ``__init__`` of a frozen dataclass sets its 20 fields one by one through
    ``object.__setattr__``, a noticeable part of a 0.2 ms solve).
    """
    vals = fields.tolist()
    sol = object.__new__(RSSolution)
    sol.__dict__.update(zip(_RESULT_KEYS, (model, *vals, bool(vals[11] < 1.0), bool(converged),
                                           int(iterations), float(residual), message, branches,
                                           int(status))))
    return sol


def _plain_options(mixing, tol, max_iter, anderson, strict, warn, fallback) -> bool:
    """Are the solver options plain, valid Python values (so that the checks can be skipped)?

    Only a fast path: anything else goes through the ``_validation`` checks, which accept more
    (NumPy scalars, integral floats) and raise the documented errors.
    """
    return (type(mixing) is float and 0.0 < mixing <= 1.0 and type(tol) is float
            and 0.0 < tol < math.inf and type(max_iter) is int and max_iter >= 1
            and type(anderson) is int and anderson >= 0 and type(strict) is bool
            and type(warn) is bool and type(fallback) is bool)


def solve_rs(model: Model, *, init=None, mixing: float = 0.5, tol: float = 1e-11,
             max_iter: int = 3000, anderson: int = 5, strict: bool = False,
             warn: bool = True, fallback: bool = True) -> RSSolution:
    """Solve the RS saddle-point equations of ``model``.

    Parameters
    ----------
    model : Model
        The problem (``beta = np.inf`` allowed).
    init : None, RSSolution, array_like ``(m, q, chi)``, or ``"multi"``
        Starting point.  ``None`` starts uninformed (``m = q = chi = 0``); an ``RSSolution``
        or a triple warm-starts; ``"multi"`` runs from an uninformed and an informed start
        and returns the branch of lowest free energy, the others in ``.branches``.
    mixing : float in (0, 1]
        Weight on the new iterate in the damped step.
    tol : float
        Tolerance on the undamped scaled residual ``max |F(x) - x|/max(1, |F(x)|)``.
    anderson : int
        Anderson-acceleration depth; 0 for plain damped iteration.
    strict : bool
        Raise :class:`ConvergenceError` instead of warning when not converged.
    warn : bool
        Emit a ``RuntimeWarning`` on non-convergence (ignored when ``strict``).
    fallback : bool
        If the accelerated iteration fails, retry from its best iterate with a Newton-type root
        finder on ``F(x) - x`` (MINPACK hybrd), then with plain heavily damped iteration
        (``mixing = 0.1``).  The method that converged is named in ``message``; convergence is
        always judged on the same undamped residual.  Needed e.g. deep in the RSB phase at
        small alpha, where ``chi`` is O(100) and the undamped map oscillates.

    Returns
    -------
    RSSolution
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    if not _plain_options(mixing, tol, max_iter, anderson, strict, warn, fallback):
        mixing, tol = check_mixing("mixing", mixing), check_tol("tol", tol)
        max_iter, anderson = check_count("max_iter", max_iter), check_depth("anderson", anderson)
        strict, warn, fallback = (check_flag(k, v) for k, v in
                                  (("strict", strict), ("warn", warn), ("fallback", fallback)))
    rsmap = RSMap(model)
    if isinstance(init, str):
        if init != "multi":
            raise ValueError(f"init must be None, a solution, a triple or 'multi', got {init!r}")
        starts = _default_inits(model)
    elif init is None:
        starts = [np.zeros(3)]  # the uninformed start of _default_inits
    elif isinstance(init, RSSolution):
        starts = [init.x]
    else:
        x0 = check_state("init", init, ("m", "q", "chi"))
        # the channel needs 1 + chi > 0 and the field variance needs q >= 0 (issue 13, defect 2:
        # chi <= -1 gave NaN results)
        if not x0[2] > -1.0:
            raise ValueError(f"init (m, q, chi) must have chi > -1 (1 + chi divides the conjugates), "
                             f"got chi={x0[2]:g}")
        if x0[1] < 0.0:
            raise ValueError(f"init (m, q, chi) must have q >= 0, got q={x0[1]:g}")
        starts = [x0]

    sols = [_solve_start(model, rsmap, x0, mixing, tol, max_iter, anderson, fallback)
            for x0 in starts]
    sol = sols[0] if len(sols) == 1 else _select_branch(sols)
    # the free-energy identity of check_rs would re-run the solver's own quadrature at the
    # same conjugates (it checks free_energy_rs, which the tests do); the cheap identities run
    violation = None
    if sol.converged:
        a = rsmap.args
        d = sol.__dict__
        if rs_invariants_hold(np.array([d[k] for k in RSSolution.FIELDS]), a[4], a[8], a[5], a[6]):
            return sol  # the compiled check_rs found nothing: no message text to build
        violation = check_rs(sol, free_energy=False)
    if violation is None and sol.converged:
        return sol
    return finalize(sol, violation=violation, strict=strict, warn=warn, what="solve_rs", model=model,
                    detail=f"last iterate m={sol.m:.6g}, q={sol.q:.6g}, chi={sol.chi:.6g}")


#: the attempts of :func:`solve_rs_retrying`, in order
RETRY_ATTEMPTS = ("given", "cold", "multi")


def solve_rs_retrying(model: Model, init=None, **kwargs) -> tuple[RSSolution, str]:
    """Solve for continuation: start from ``init``, on failure cold (``init=None``), then ``"multi"``.

    Used by sweeps and scans, where a warm start from a neighbouring point may sit on a branch
    that ends between the two points.  Returns ``(solution, attempt)`` with ``attempt`` the entry
    of :data:`RETRY_ATTEMPTS` that converged (attempts equal to an earlier one are skipped); if
    none converged, the attempt of smallest residual, with ``converged=False``.  Never warns
    (the flag is the report); other ``kwargs`` go to :func:`solve_rs`.
    """
    kwargs = dict(kwargs, warn=False, strict=False)
    tried = []
    for attempt, start in zip(RETRY_ATTEMPTS, (init, None, "multi")):
        if attempt == "cold" and init is None:
            continue
        sol = solve_rs(model, init=start, **kwargs)
        if sol.converged:
            return sol, attempt
        tried.append((sol, attempt))
    return min(tried, key=lambda t: t[0].residual)


# beta = inf only: chi = sum_k dc_k p_h(theta_k) is unbounded.  Where the RS ground state
# interpolates (zero training error, e.g. one bit at alpha < 1) there is no finite saddle point
# and the iteration drives chi -> inf; beyond this value an apparent fixed point is a
# floating-point artefact (mhat**2 underflows), so it is reported as non-convergence.
_CHI_DIVERGED = 1e12


def _divergence(model: Model, x) -> str | None:
    if x[2] > _CHI_DIVERGED and math.isinf(model.beta):
        return (f"no finite saddle point: chi diverges (chi = {x[2]:.3e} > {_CHI_DIVERGED:g}); at "
                f"beta = inf the RS ground state interpolates (zero training error)")
    return None


#: ``patience`` of the first (accelerated) attempt of :func:`_solve_from` (the default of
#: :func:`~replicaquant.fixed_point.solve_fixed_point`)
_PATIENCE = 200


def _solve_from(rsmap, x0, *, mixing, tol, max_iter, anderson, fallback, first=None):
    # the compiled loop does the iterations; the fallback cascade (root finder, damped run)
    # is chosen in Python and judged on the same undamped residual
    return solve_fixed_point(rsmap, x0, mixing=mixing, tol=tol, max_iter=max_iter, anderson=anderson,
                             feasible=rsmap.feasible, fallback=fallback, patience=_PATIENCE,
                             reject=lambda x: _divergence(rsmap.model, x), loop=rsmap.iterate,
                             first=first)


def _solve_start(model, rsmap, x0, mixing, tol, max_iter, anderson, fallback):
    """One start of :func:`solve_rs`: the compiled iteration and, on success, the solution's
    numbers in the same compiled call; anything else (no convergence, a rejected fixed point)
    continues with the fallback cascade of :func:`_solve_from` from that first attempt."""
    pat = _PATIENCE if fallback else None
    x, fx, status, it, res, fields = _rs_point(np.array(x0, dtype=float), rsmap.args, mixing, tol,
                                               max_iter, anderson, -1 if pat is None else pat,
                                               anderson_workspace(3, anderson))
    if status == SUCCESS and fields[0] == fields[0] and _divergence(model, x) is None:
        return _new_solution(model, fields, True, it, res, "converged")
    first = FixedPointResult(x, fx, status == SUCCESS, int(it), float(res),
                             _message(status, it, res, pat), status=int(status))
    fp = _solve_from(rsmap, x0, mixing=mixing, tol=tol, max_iter=max_iter, anderson=anderson,
                     fallback=fallback, first=first)
    xs = fp.x if np.all(np.isfinite(fp.x)) else x0
    return _build_solution(model, rsmap, xs, fp)


def _select_branch(sols):
    conv = [s for s in sols if s.converged]
    if not conv:
        return min(sols, key=lambda s: s.residual)
    conv.sort(key=lambda s: s.free_energy)
    best = conv[0]
    others = [s for s in conv[1:] if not same_branch(s.x, best.x)]  # the one definition
    if not others:
        return best
    msg = (f"converged; {len(others) + 1} branches, returned the one of lowest free energy "
           f"(f={best.free_energy:.10g}; others: " + ", ".join(f"{s.free_energy:.10g}" for s in others) + ")")
    return dataclasses.replace(best, message=msg, branches=tuple(others))
