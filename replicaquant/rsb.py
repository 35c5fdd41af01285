"""One-step replica symmetry breaking (1RSB) at finite beta (see docs/theory.md, docs/rsb.md).

Order parameters ``m``, ``Q >= q1 >= q0`` (self, intra-state and inter-state overlaps), the Parisi
parameter ``x in (0, 1]`` and ``chi1 = beta (Q - q1)``.  With ``D = rho - 2m + q0 + noise_var`` and
``Lam = 1 + chi1 + x beta (q1 - q0)``, the free energy density (``f = -phi/beta`` of docs/theory.md, with
the conjugates rescaled as in the RS solver: ``mh = beta mhat``, ``q0h = beta^2 qhat0``,
``q1h = beta^2 qhat1``, ``Qh + q1h = beta Ahat``) is::

    f = -Ahat Q/2 + qhat1 chi1/2 + (beta x/2)(qhat1 q1 - qhat0 q0) + mhat m - Phi
        + alpha/(2 beta x) ln Lam + alpha/(2 beta) (1 - 1/x) ln(1 + chi1) + alpha D/(2 Lam)

    Phi = (1/(beta x)) E_{w0, z0} ln E_{z1} exp(x beta phi(a, h)),    a = lam + Ahat,
    h = mhat w0 + sqrt(qhat0) z0 + sqrt(qhat1 - qhat0) z1

where ``phi(a, h) = (1/beta) ln sum_k exp(beta (h c_k - a c_k^2/2))`` is ``kernels.site_moments``.
Its stationary points (derived in ``replicaquant.derivations.rsb1_sympy``) are

    channel:  Ahat = alpha/(1 + chi1),  mhat = alpha/Lam,  qhat0 = alpha D/Lam^2,
              qhat1 = qhat0 + alpha (q1 - q0)/((1 + chi1) Lam)
    prior:    m = E[w0 <<w>>],  q0 = E[<<w>>^2],  q1 = E<<<w>^2>>,  chi1 = E<<beta Var>>,
              Q = E<<<w^2>>> = q1 + chi1/beta

with ``<.>`` the level measure at field ``h`` and ``<<.>>`` the ``z1`` average reweighted by
``exp(x beta phi(h))``.  For a Gaussian teacher Stein's lemma gives ``m = mhat rho (Lam' - 1)``
with ``Lam'`` built from the new ``chi1, q1, q0``.

Observables: ``gen_error = rho - 2m + Q`` (a Gibbs sample), ``gen_error_mean = rho - 2m + q_mean``
with ``q_mean = x q0 + (1 - x) q1`` the mean of the overlap distribution
``P(q) = x delta(q - q0) + (1 - x) delta(q - q1)`` (= ``|<w>|^2/d`` of the Gibbs mean),
``train_error = (1 - 1/x) chi1/(beta (1 + chi1)) + (Lam - 1)/(beta x Lam) + D/Lam^2``.
Complexity (Monasson): with ``F*(x) = d(x f)/dx`` the free energy of the states selected at ``x``,
``Sigma(x) = beta x^2 df/dx`` (nats per weight); ``x`` is chosen where ``f(x)`` is maximal on
``(0, 1]``: ``Sigma = 0`` at an interior maximum (static 1RSB), ``Sigma = beta df/dx|_{x=1} >= 0``
when the maximum sits at ``x = 1`` (then ``f = f_RS``).

Numerics (``replicaquant.rsb_quadrature``; docs/rsb.md).  The inner ``z1`` average is done in
log space.  At large beta ``exp(x beta phi)`` has steps of width ``eps_k = 1/(beta dc_k)`` at the
thresholds; the Gaussian-tilted integrand is a mixture of pieces centred at
``h = H0 + x beta s1^2 c_k`` (``s1^2 = qhat1 - qhat0``) whose heaviest log-weight bounds every term,
so each inner sum is one pass shifted by it.  Two regimes:

* ``s1 < eps_min/4``: every feature is wider than four inner standard deviations and a 20-point
  Gauss-Hermite rule per outer node, centred at the tilted mean ``x beta s1 <w>``, is exact to
  double precision;
* otherwise one global panel grid in ``h`` (step ``1.5 s1`` plus graded points at the thresholds,
  the ``quadrature.breakpoints`` construction) carries the kernel values once, and each outer
  node sums its window of it (with a vectorised exponential).

The outer ``H0`` average uses ``breakpoints`` panels when ``s1`` is unresolved; otherwise
unit-``sig0`` panels plus a step-``2 s1`` grid over the region where the inner window straddles a
threshold, graded breakpoints (width ``eps_k/x``) where two tilted pieces exchange dominance, and
graded points in the exponential tails of the steps.  For symmetric levels and a centred field
only ``H0 >= 0`` is integrated (all accumulated quantities are even).  ``RSB1Map(coarse=True)``
runs the same grids with 4 Gauss-Legendre nodes per panel (~1e-6 relative, 3-4x cheaper): the
``x = 1`` scan and the start of the ``x*`` search use it, every returned state is a full-rule
evaluation.  ``tests/test_rsb.py`` and
``tests/test_rsb_quadrature.py`` check all this against brute-force double grids.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
from numba import njit

from ._validation import ParameterTypeError, check_int, check_real, check_state
from .convergence import MAX_ITER, SUCCESS, finalize
from .fixed_point import (FixedPointResult, anderson_loop, anderson_workspace, residual_norm,
                          solve_fixed_point)
from .fixed_point import _message as _fp_message
from .invariants import check_rsb1
from .model import Model
from .records import R1_CHI1, R1_M, R1_Q0, R1_Q1
from .errors import ConvergenceError  # noqa: F401  (re-exported: rsb.ConvergenceError)
from .levels import LevelMeasure
from .rs import RSSolution, solve_rs
from .rsb_common import RSB1Record, feasible_1rsb
from .rsb_quadrature import prior_side_1rsb, prior_side_1rsb_full  # noqa: F401  (re-exported)

__all__ = ["RSB1Solution", "RSB1Branch", "RSB1Map", "solve_1rsb", "x1_roots", "follow_branch", "prior_side_1rsb", "channel_conjugates_1rsb",
           "free_energy_1rsb", "train_error_1rsb", "dfdx_1rsb", "prior_side_1rsb_full"]

# the nested quadrature of the prior side lives in rsb_quadrature.py (re-exported here)

# ---------------------------------------------------------------------------------------------
# channel side, free energy, observables (plain functions of the order parameters)


@njit(cache=True)
def _channel_1rsb(alpha, rho, noise_var, beta, x, m, q0, q1, chi1):
    """Compiled :func:`channel_conjugates_1rsb` (same formulas, same order of operations)."""
    lam_ = 1.0 + chi1 + x * beta * (q1 - q0)
    d = rho - 2.0 * m + q0 + noise_var
    mhat = alpha / lam_
    qhat0 = max(alpha * d / lam_ ** 2, 0.0)
    qhat1 = qhat0 + max(alpha * (q1 - q0) / ((1.0 + chi1) * lam_), 0.0)
    return mhat, qhat0, qhat1, alpha / (1.0 + chi1)


def channel_conjugates_1rsb(alpha, rho, noise_var, beta, x, m, q0, q1, chi1):
    """``(mhat, qhat0, qhat1, Ahat)`` from stationarity of ``f`` in ``(m, q0, q1, Q)``.

    ``Ahat = alpha/(1+chi1)``, ``mhat = alpha/Lam``, ``qhat0 = alpha D/Lam^2``,
    ``qhat1 = qhat0 + alpha (q1-q0)/((1+chi1) Lam)``, ``Lam = 1 + chi1 + x beta (q1-q0)``,
    ``D = rho - 2m + q0 + noise_var`` (the compiled :func:`_channel_1rsb`, the one copy of the formulas).
    """
    return _channel_1rsb(float(alpha), float(rho), float(noise_var), float(beta), float(x), float(m),
                         float(q0), float(q1), float(chi1))


def _energetic(alpha, beta, x, rho, noise_var, m, q0, q1, Q):
    """``-(alpha/beta) G_E`` (square-loss output term of docs/theory.md divided by ``-beta``)."""
    chi1 = beta * (Q - q1)
    lam_ = 1.0 + chi1 + x * beta * (q1 - q0)
    d = rho - 2.0 * m + q0 + noise_var
    return (alpha / (2 * beta * x) * math.log(lam_)
            + alpha / (2 * beta) * (1.0 - 1.0 / x) * math.log1p(chi1) + alpha * d / (2 * lam_))


def _levels_and_teacher(model: Model):
    """``(levels, t_values, t_probs, gauss_rho)`` of :class:`replicaquant.levels.LevelMeasure`."""
    return LevelMeasure.from_model(model).as_tuple()


def _check_x(x) -> float:
    x = check_real("x", x, low=0.0, low_inclusive=False, high=1.0)
    return x


def free_energy_1rsb(model: Model, x: float, m, q0, q1, Q, mhat, qhat0, qhat1, Ahat) -> float:
    """1RSB free energy ``f`` (module docstring) at arbitrary, not necessarily stationary, arguments.

    Used for the finite-difference stationarity checks; at the saddle point it equals
    ``RSB1Solution.free_energy``.
    """
    x = _check_x(x)
    _check_finite_beta(model)
    levels, tv, tp, grho = _levels_and_teacher(model)
    out = prior_side_1rsb(levels, model.lam + Ahat, model.beta, x, mhat, qhat0, qhat1, tv, tp, grho)
    return _free_energy_from(model, x, m, q0, q1, Q, mhat, qhat0, qhat1, Ahat, out[0])


def _free_energy_from(model, x, m, q0, q1, Q, mhat, qhat0, qhat1, Ahat, Phi) -> float:
    beta = model.beta
    chi1 = beta * (Q - q1)
    f = (-Ahat * Q / 2 + qhat1 * chi1 / 2 + beta * x / 2 * (qhat1 * q1 - qhat0 * q0) + mhat * m - Phi
         + _energetic(model.alpha, beta, x, model.rho, model.noise_var, m, q0, q1, Q))
    return float(f)


def dfdx_1rsb(model: Model, x, m, q0, q1, Q, mhat, qhat0, qhat1, Phi, e_phi) -> float:
    """Explicit ``df/dx`` at fixed order parameters (= total derivative at a saddle point).

    ``df/dx = (beta/2)(qhat1 q1 - qhat0 q0) - (E<<phi>> - Phi)/x
    - alpha/(2 beta x^2) ln(Lam/(1+chi1)) + alpha (q1-q0)/(2 x Lam) - alpha beta D (q1-q0)/(2 Lam^2)``.
    """
    beta, alpha = model.beta, model.alpha
    chi1 = beta * (Q - q1)
    dq = q1 - q0
    lam_ = 1.0 + chi1 + x * beta * dq
    d = model.rho - 2.0 * m + q0 + model.noise_var
    return float(beta / 2 * (qhat1 * q1 - qhat0 * q0) - (e_phi - Phi) / x
                 - alpha / (2 * beta * x * x) * (math.log(lam_) - math.log1p(chi1))
                 + alpha * dq / (2 * x * lam_) - alpha * beta * d * dq / (2 * lam_ ** 2))


def train_error_1rsb(model: Model, x, m, q0, q1, chi1) -> float:
    """Mean squared training residual ``(1/n) sum_mu <(y_mu - w.x_mu/sqrt d)^2>`` at 1RSB.

    ``(1 - 1/x) chi1/(beta (1+chi1)) + (Lam - 1)/(beta x Lam) + D/Lam^2`` (``d/dbeta`` of the
    replicated output term at fixed overlaps; reduces to the RS formula at ``q1 = q0``).
    """
    beta = model.beta
    lam_ = 1.0 + chi1 + x * beta * (q1 - q0)
    d = model.rho - 2.0 * m + q0 + model.noise_var
    return float((1.0 - 1.0 / x) * chi1 / (beta * (1.0 + chi1)) + (lam_ - 1.0) / (beta * x * lam_)
                 + d / lam_ ** 2)


def _check_finite_beta(model: Model) -> None:
    if not np.isfinite(model.beta):
        raise ValueError("beta must be finite for the 1RSB solver (at beta = inf use a large finite "
                         "beta: the 1RSB scale x beta must stay finite)")


# ---------------------------------------------------------------------------------------------
# the fixed-x map


# compiled map: args = (levels, t_values, t_probs, gauss_rho, alpha, rho, noise_var, lam, beta,
# x, coarse, memo); memo = [count, s (4), hats (4), prior-side vector (_FULL_N)] of the last evaluation
_FULL_N = 9  # length of prior_side_1rsb_full's vector
_MEMO_COUNT = 0
_MEMO_S = 1
_MEMO_HATS = 5
_MEMO_OUT = 9
_MEMO_N = _MEMO_OUT + _FULL_N


@njit(cache=True)
def _rsb1_evaluate(s, args):
    """One fixed-``x`` 1RSB step at ``s = (m, q0, q1, chi1)``: channel conjugates, then the full
    prior-side vector of :func:`prior_side_1rsb_full` (with Stein's ``m`` for a Gaussian
    teacher); both are recorded in ``memo`` together with ``s``, and the evaluation counter
    ``memo[0]`` is incremented.  Returns ``(mhat, qhat0, qhat1, Ahat, out)``."""
    levels, tv, tp, grho, alpha, rho, noise_var, lam, beta, x, coarse, memo = args
    mhat, qhat0, qhat1, Ahat = _channel_1rsb(alpha, rho, noise_var, beta, x, s[0], s[1], s[2], s[3])
    out = prior_side_1rsb_full(levels, lam + Ahat, beta, x, mhat, qhat0, qhat1, tv, tp, grho, coarse)
    memo[_MEMO_COUNT] += 1.0
    for i in range(4):
        memo[_MEMO_S + i] = s[i]
    memo[_MEMO_HATS] = mhat
    memo[_MEMO_HATS + 1] = qhat0
    memo[_MEMO_HATS + 2] = qhat1
    memo[_MEMO_HATS + 3] = Ahat
    for i in range(_FULL_N):
        memo[_MEMO_OUT + i] = out[i]
    return mhat, qhat0, qhat1, Ahat, out


@njit(cache=True)
def _rsb1_map(s, args):
    """The undamped fixed-``x`` 1RSB map ``(m, q0, q1, chi1) -> (m, q0, q1, chi1)`` (compiled)."""
    out = _rsb1_evaluate(s, args)[4]
    fx = np.empty(4)
    fx[0] = out[R1_M]
    fx[1] = out[R1_Q0]
    fx[2] = out[R1_Q1]
    fx[3] = out[R1_CHI1]
    return fx


@njit(cache=True)
def _rsb1_feasible(s, args):
    """Physical 1RSB state: finite, ``q0 >= 0``, ``q1 >= q0``, ``chi1 >= 0``, ``m^2 <= rho q0``
    (Cauchy-Schwarz; :func:`replicaquant.rsb_common.feasible_1rsb`, shared with ``rsb_zero``)."""
    return feasible_1rsb(s, args[5])


@njit(cache=True)
def _rsb1_solve(x0, args, mixing, tol, max_iter, depth, patience, ws):
    """The whole fixed-``x`` 1RSB iteration, compiled: :func:`~replicaquant.fixed_point.anderson_loop`
    on :func:`_rsb1_map`."""
    return anderson_loop(_rsb1_map, _rsb1_feasible, x0, args, mixing, tol, max_iter, depth, patience, ws)


class RSB1Map:
    """The 1RSB iteration at fixed Parisi ``x``: ``(m, q0, q1, chi1) -> prior(channel(.))``.

    Calling it applies the undamped map (compiled, :func:`_rsb1_map`); ``evaluate`` also returns
    the conjugates ``(mhat, qhat0, qhat1, Ahat)`` and the full prior-side vector
    ``[Phi, m, q0, q1, Q, chi1, E<<phi>>, E<<bvar^2>>, E[(d<<w>>/dH0)^2]]`` (reusing the last
    evaluation when ``s`` is its argument); ``iterate`` runs the compiled Anderson loop;
    ``evaluations`` counts every map evaluation made through this object.  ``coarse=True`` uses
    the coarse quadrature rules of :func:`prior_side_1rsb_full` (3-4x cheaper, ~1e-6 relative):
    for sign tests and starts only, never for a reported solution.
    """

    def __init__(self, model: Model, x: float, coarse: bool = False):
        _check_finite_beta(model)
        self.model = model
        self.x = _check_x(x)
        self.coarse = bool(coarse)
        self.levels, self.tv, self.tp, self.grho = _levels_and_teacher(model)
        self.rho = model.rho
        self._memo = np.full(_MEMO_N, np.nan)
        self._memo[_MEMO_COUNT] = 0.0
        self.args = (self.levels, self.tv, self.tp, float(self.grho), float(model.alpha),
                     float(self.rho), float(model.noise_var), float(model.lam), float(model.beta),
                     float(self.x), self.coarse, self._memo)

    def at(self, x: float) -> "RSB1Map":
        """The same model's map at another ``x`` (shares the level arrays; own memo and count)."""
        new = object.__new__(RSB1Map)
        new.model, new.x, new.coarse = self.model, _check_x(x), self.coarse
        new.levels, new.tv, new.tp, new.grho, new.rho = self.levels, self.tv, self.tp, self.grho, self.rho
        new._memo = np.full(_MEMO_N, np.nan)
        new._memo[_MEMO_COUNT] = 0.0
        new.args = self.args[:9] + (float(new.x), new.coarse, new._memo)
        return new

    @property
    def evaluations(self) -> int:
        """Map evaluations made so far (compiled loop, calls and :meth:`evaluate`)."""
        return int(self._memo[_MEMO_COUNT])

    def evaluate(self, s):
        s = np.asarray(s, dtype=float)
        memo = self._memo
        if np.array_equal(s, memo[_MEMO_S:_MEMO_S + 4]):  # the last evaluation
            return tuple(float(v) for v in memo[_MEMO_HATS:_MEMO_OUT]), memo[_MEMO_OUT:].copy()
        mhat, qhat0, qhat1, Ahat, out = _rsb1_evaluate(s, self.args)
        return (mhat, qhat0, qhat1, Ahat), out

    def __call__(self, s):
        return _rsb1_map(np.asarray(s, dtype=float), self.args)

    def feasible(self, s) -> bool:
        return bool(_rsb1_feasible(np.asarray(s, dtype=float), self.args))

    def iterate(self, x0, *, mixing, tol, max_iter, anderson, patience=None, workspace=None):
        """Run the compiled iteration from ``x0`` (:func:`~replicaquant.fixed_point.anderson_loop`).

        ``workspace`` (an :func:`~replicaquant.fixed_point.anderson_workspace` for 4 unknowns)
        carries the Anderson history in and out; a fresh one by default.  Returns a
        :class:`~replicaquant.fixed_point.FixedPointResult`.
        """
        ws = anderson_workspace(4, anderson) if workspace is None else workspace
        pat = -1 if patience is None else int(patience)
        x, fx, status, it, res = _rsb1_solve(np.array(x0, dtype=float), self.args, float(mixing),
                                             float(tol), int(max_iter), int(anderson), pat, ws)
        return FixedPointResult(x, fx, status == SUCCESS, int(it), float(res),
                                _fp_message(status, it, res, patience), status=int(status))


# ---------------------------------------------------------------------------------------------
# result object


@dataclass(frozen=True, kw_only=True, repr=False)
class RSB1Solution(RSB1Record):
    """1RSB saddle point at the thermodynamic Parisi ``x`` (or at a given ``x``) and observables.

    Attributes
    ----------
    x : float
        Parisi parameter in ``(0, 1]`` (``1.0`` by convention when the branch collapses to RS).
    m, q0, q1, Q, chi1 : float
        Teacher overlap, inter-state and intra-state overlaps, self-overlap, ``beta (Q - q1)``.
    mhat, qhat0, qhat1, Ahat : float
        Conjugates (RS-solver scaling; ``qhat1 = qhat0`` iff ``q1 = q0``).
    free_energy, free_energy_rs : float
        1RSB ``f`` and the RS ``f`` of the same model (``f >= f_RS`` at the Parisi ``x``).
    gen_error, gen_error_mean, train_error : float
        ``rho - 2m + Q``; ``rho - 2m + q_mean`` with ``q_mean = x q0 + (1-x) q1``; training residual.
    dfdx, complexity : float
        ``df/dx`` and ``Sigma = beta x^2 df/dx`` at the returned ``x``.
    rsb : bool
        ``q1 - q0`` above the collapse tolerance (a genuine 1RSB branch).
    at_rs : float
        RS replicon value of the same model.
    replicon, replicon_between : float
        1RSB replicon eigenvalues (stability against further breaking; > 1 means the 1RSB
        saddle point is unstable, the Gardner/FRSB side): within states
        ``alpha/(1+chi1)^2 E<<(beta Var_h w)^2>>`` and between states
        ``alpha/Lam^2 E[(<<beta Var>> + x beta (<<<w>^2>> - <<w>>^2))^2]``
        (derived in :mod:`replicaquant.derivations.rsb1_replicon`); both reduce to the RS
        ``at`` at ``q1 = q0``.
    converged, iterations, residual, message
        Status; ``iterations`` counts map evaluations over all fixed-``x`` solves.
    rs : RSSolution
        The RS solution used as start and reference.
    status : int
        Code of :mod:`replicaquant.convergence` (``0`` converged, ``1`` not converged,
        ``4`` an invariant is violated).
    branch : str
        Which branch this is and why it was selected (thermodynamic solution of
        :func:`solve_1rsb`).
    branches : tuple of RSB1Branch
        Every nontrivial branch found by the search (empty for fixed-``x`` solves).
    evaluations : dict
        Map evaluations of :func:`solve_1rsb`: with the full quadrature rules by phase,
        ``x1_roots`` (branch search at ``x = 1``), ``walk`` (``x`` search), ``polish`` (the final
        full-tolerance steps), and ``coarse``, those made with the coarse rules (3-4x cheaper:
        the ``x = 1`` scan and the start of the ``x`` search); ``iterations`` is their sum (empty
        for fixed-``x`` solves).
    """

    x: float
    q1: float
    free_energy: float
    free_energy_rs: float
    gen_error_mean: float
    dfdx: float
    at_rs: float
    replicon: float
    replicon_between: float
    branch: str = ""
    branches: tuple = field(default=(), repr=False)
    evaluations: dict = field(default_factory=dict, repr=False, compare=False)

    FIELDS: ClassVar[tuple] = ("x", "m", "q0", "q1", "Q", "chi1", "mhat", "qhat0", "qhat1", "Ahat",
                               "free_energy", "free_energy_rs", "gen_error", "gen_error_mean",
                               "train_error", "dfdx", "complexity", "at_rs", "replicon",
                               "replicon_between")
    STATE: ClassVar[tuple] = ("m", "q0", "q1", "chi1")  # the iteration variables (warm starts)

    @property
    def q_mean(self) -> float:
        """Mean of ``P(q)``: ``x q0 + (1-x) q1`` (squared norm of the Gibbs mean per weight)."""
        return self.x * self.q0 + (1.0 - self.x) * self.q1

    def _extra_dict(self) -> dict:
        return {"q_mean": self.q_mean}


# ---------------------------------------------------------------------------------------------
# solvers


def _build(model, x, rsmap, s, fp_converged, iterations, residual, message, rs, collapse_tol):
    hats, out = rsmap.evaluate(s)
    mhat, qhat0, qhat1, Ahat = (float(v) for v in hats)
    Phi, m, q0, q1, Q, chi1, e_phi, e_bv2, e_dw2 = (float(v) for v in out)
    lam_ = 1.0 + chi1 + x * model.beta * (q1 - q0)
    # 1RSB replicons (rsb1_replicon derivation): within states alpha/(1+chi1)^2 E<<bvar^2>>,
    # between states alpha/Lam^2 E[(d<<w>>/dH0)^2]; both equal the RS `at` when q1 = q0
    rep_in = model.alpha / (1.0 + chi1) ** 2 * e_bv2
    rep_out = model.alpha / lam_ ** 2 * e_dw2
    # report the order parameters of the last iterate (the image differs by the residual)
    f = _free_energy_from(model, x, m, q0, q1, Q, mhat, qhat0, qhat1, Ahat, Phi)
    g = dfdx_1rsb(model, x, m, q0, q1, Q, mhat, qhat0, qhat1, Phi, e_phi)
    q_mean = x * q0 + (1.0 - x) * q1
    rho = model.rho
    return RSB1Solution(
        model=model, x=float(x), m=m, q0=q0, q1=q1, Q=Q, chi1=chi1, mhat=mhat, qhat0=qhat0,
        qhat1=qhat1, Ahat=Ahat, free_energy=f,
        free_energy_rs=float(rs.free_energy) if rs is not None else math.nan,
        gen_error=rho - 2 * m + Q, gen_error_mean=rho - 2 * m + q_mean,
        train_error=train_error_1rsb(model, x, m, q0, q1, chi1), dfdx=g,
        complexity=model.beta * x * x * g, rsb=bool(q1 - q0 > collapse_tol),
        at_rs=float(rs.at) if rs is not None else math.nan, replicon=rep_in,
        replicon_between=rep_out, converged=bool(fp_converged),
        iterations=int(iterations), residual=float(residual), message=message, rs=rs)


def _search_opts(kwargs) -> dict:
    """Fixed-``x`` solver options from :func:`solve_1rsb` keyword arguments (defaults as there)."""
    return dict(mixing=kwargs.get("mixing", 0.5), tol=kwargs.get("tol", 1e-10),
                max_iter=kwargs.get("max_iter", 2000), anderson=kwargs.get("anderson", 5),
                collapse_tol=kwargs.get("collapse_tol", 1e-7))


def _walk_opts(opts):
    """Fixed-``x`` options for continuation steps: a bounded budget (150 maps: accelerated
    iteration, then the Powell-hybrid root, no long damped fallback), because a failed step is
    retried with half the step from a better prediction."""
    return dict(opts, max_iter=min(opts["max_iter"], 150))


def _solve_fixed_x(model, x, s0, rs, *, mixing, tol, max_iter, anderson, collapse_tol, counter=None):
    """Fixed-``x`` saddle point by :func:`~replicaquant.fixed_point.solve_fixed_point`: damped/Anderson
    iteration (at most 400 steps) first; if it stalls (Anderson can cycle near the RS/1RSB
    bifurcation, where the ``q1 - q0`` mode is marginal), a Powell-hybrid root of ``F(s) - s``
    accepted only if the undamped residual there is below ``tol``, then damped iteration with half
    the mixing for the remaining budget.  ``iterations`` counts map evaluations (also added to
    ``counter[0]`` when a one-element list is given)."""
    rsmap = RSB1Map(model, x)
    n_fp = min(max_iter, 400) if max_iter > 150 else min(max_iter, 100)
    budget = max_iter - n_fp
    fp = solve_fixed_point(rsmap, s0, mixing=mixing, tol=tol, max_iter=n_fp, anderson=anderson,
                           feasible=rsmap.feasible, fallback=budget >= 10, patience=None,
                           root_maxfev=min(400, budget - 1), fallback_mixing=0.5 * mixing,
                           fallback_max_iter=max(budget - min(400, budget - 1), 1),
                           loop=rsmap.iterate)
    s = fp.x if np.all(np.isfinite(fp.x)) else np.asarray(s0, dtype=float)
    sol = _build(model, x, rsmap, s, fp.converged, fp.iterations, fp.residual, fp.message, rs,
                 collapse_tol)
    if counter is not None:
        counter[0] += rsmap.evaluations
    return replace(sol, iterations=rsmap.evaluations)


def _split_start(rs: RSSolution, frac: float) -> np.ndarray:
    """RS point with a fraction ``frac`` of ``Q - q`` moved into ``q1 - q0``."""
    Q, q, chi = rs.Q, rs.q, rs.chi
    return np.array([rs.m, q, q + frac * (Q - q), chi * (1.0 - frac)])


# ---------------------------------------------------------------------------------------------
# branches: every nontrivial solution at x = 1, each followed in x


@dataclass(frozen=True)
class RSB1Branch:
    """One nontrivial 1RSB branch: found at ``x = 1`` and followed in ``x`` by continuation.

    Attributes
    ----------
    index : int
        Position among the ``x = 1`` roots, ordered by ``q1 - q0`` (0: the one closest to RS,
        the branch that bifurcates from RS at the AT line).
    at_one : RSB1Solution
        The branch at ``x = 1`` (``f = f_RS`` exactly; its ``complexity`` is ``Sigma(1)``).
    best : RSB1Solution
        The maximum of ``f(x)`` on the branch: the Parisi ``x*`` with ``Sigma(x*) = 0``
        (``kind = "interior"``), ``x = 1`` when ``Sigma(1) >= 0`` (``kind = "x=1"``), or the last
        point reached when no maximum was found (``kind = "open"``).
    kind : str
        ``"interior"``, ``"x=1"`` or ``"open"``.
    path : tuple of RSB1Solution
        Every fixed-``x`` solution of the walk, in the order computed.
    message : str
        How the walk ended.
    """

    index: int
    at_one: RSB1Solution
    best: RSB1Solution
    kind: str
    path: tuple = field(default=(), repr=False)
    message: str = ""

    @property
    def x(self) -> float:
        """``x`` of :attr:`best`."""
        return self.best.x

    @property
    def free_energy(self) -> float:
        """``f`` at :attr:`best` (the branch maximum)."""
        return self.best.free_energy


def _state_x1(rs: RSSolution, t: float) -> np.ndarray:
    """State at ``x = 1`` with the RS ``m, q0 = q, Q`` and ``chi1 = t chi_RS`` (``t -> 1``: RS,
    ``t -> 0``: frozen)."""
    chi = rs.chi
    return np.array([rs.m, rs.q, rs.Q - t * chi / rs.model.beta, t * chi])


#: ``t`` grid of the ``x = 1`` scan (``t = chi1/chi_RS``): geometric where frozen roots sit
#: (``t ~ -g(0)``, ``g`` is linear in ``t`` there), then O(1) steps; the end ``t = 1`` needs no
#: evaluation (``k(1) = at - 1``, see :func:`x1_roots`).  9 points (dropping 1e-6 and 1e-3) find
#: the same roots at the bench points and in the tests, but a pair of roots born together (the
#: dynamical line) first shows as a narrow dip of ``|k|`` through zero between scan points, so
#: every local minimum of ``|k|`` is searched by :func:`_tangency_probe` (docs/phases.md)
_T_SCAN = (1e-9, 1e-6, 1e-4, 1e-3, 1e-2, 0.04, 0.12, 0.3, 0.55, 0.8, 0.95)
#: bracket refinement of an ``x = 1`` root: at most this many evaluations before the fixed-``x``
#: solver takes over from the best point
_X1_REFINE_MAX = 30
_X1_TANGENCY_MAX = 8   # evaluations per local minimum of |k| (golden section, early stop)
#: the scan, the tangency probes and the first bracket refinement use the coarse quadrature
#: (``RSB1Map(coarse=True)``, 3-4x cheaper); where ``|F_q1 - q1| <`` this margin times ``|F_q1|``
#: the value is recomputed with the full rules before its sign is used.  The coarse relative
#: error of ``F_q1`` is <= 8.5e-6 on 192 models x 14 ``t`` (1-4 bits, beta 2-200) and is bounded
#: by 2e-5 in tests/test_rsb_quadrature.py, 5x below the margin
_X1_COARSE_MARGIN = 1e-4
_X1_COARSE_ROOT = 1e-6  # coarse refinement stops at this relative step (see _refine_root)
_X1_SECANT_MAX = 4     # full-rule secant steps from the coarse root before the full Illinois
_GOLD = 0.381966011250105  # 2 - golden ratio


def _logit(t):
    return math.log(t / (1.0 - t))


def x1_roots(model: Model, rs: RSSolution, *, t_grid=None, collapse_tol: float = 1e-7,
             counts: dict | None = None, **opts):
    """Every nontrivial 1RSB fixed point at ``x = 1``, by bracketing in one variable.

    At ``x = 1`` the 1RSB equations for ``(m, q0, Q)`` reduce exactly to RS (``m = m_RS``,
    ``q0 = q_RS``, ``Q = Q_RS`` for any ``q1``; see the module docstring), so the branches at
    ``x = 1`` are the roots of the one-variable function
    ``k(t) = (F_q1(q1(t)) - q1(t)) / ((1 - t)(Q - q0))``, ``q1(t) = Q - t (Q - q0)``,
    ``chi1 = t chi_RS`` on ``t in (0, 1)`` (``t = 1`` is RS itself).  Near ``t = 1``
    ``F_q1 - q1 ~ at (q1 - q0) - (q1 - q0)``, so ``k(1) = at - 1`` is known without an
    evaluation (the RS replicon).  ``k`` is tabulated on :data:`_T_SCAN` (11 points, dense where
    frozen states sit, ``t << 1``); every sign change (the last interval ends at ``t = 1``) and
    every near-tangency (a local minimum of ``|k|`` between scan points where a golden-section
    search, :func:`_tangency_probe`, finds ``k`` changing sign: two close roots just born) is
    refined until the *full* state has residual ``< tol`` (:func:`_refine_root`), the fixed-``x``
    solver taking over only if that fails.  ``k(t_min) > 0`` (``g > 0`` down to ``chi1 ~ 0``) is a
    frozen root at ``t < t_min``, solved from ``t_min``.

    The scan and the probes only need signs, so they use the coarse quadrature (``coarse=True``
    of :class:`RSB1Map`), and a value is recomputed with
    the full rules when ``|F_q1 - q1| <`` :data:`_X1_COARSE_MARGIN` ``|F_q1|`` (the coarse error is
    relative to ``F_q1``) before its sign is used; every returned state is evaluated with the full
    rules.
    Returns ``(solutions, n_evaluations)`` (every map evaluation counted; ``counts``, a dict,
    receives ``full`` and ``coarse``), solutions sorted by ``q1 - q0`` ascending (nontrivial,
    converged ones).
    """
    if rs.chi <= 0.0:
        return [], 0
    opts = {**_search_opts(opts), **{k: v for k, v in opts.items() if k != "counter"}}
    opts.pop("collapse_tol", None)
    tol = opts["tol"]
    rsmap = RSB1Map(model, 1.0)
    cmap = RSB1Map(model, 1.0, coarse=True)
    scale = max(rs.Q - rs.q, 1e-300)
    n_extra = 0

    def k_with(fmap, t):  # (k, full-state residual, |F_q1 - q1| / |F_q1|)
        s = _state_x1(rs, t)
        fx = fmap(s)
        step = float(fx[2] - s[2])
        return step / scale / (1.0 - t), residual_norm(s, fx), abs(step) / max(abs(fx[2]), 1e-300)

    def k(t):  # the full rules: (k, residual)
        return k_with(rsmap, t)[:2]

    def k_coarse(t):  # the coarse rules: (k, relative step)
        v, _, rel = k_with(cmap, t)
        return v, rel

    def k_sign(t):  # coarse, unless too close to 0 for its sign to be trusted
        v, rel = k_coarse(t)
        return (k(t)[0] if rel < _X1_COARSE_MARGIN else v), None

    ts = list(_T_SCAN if t_grid is None else np.asarray(t_grid, dtype=float))
    ks = [k_sign(t)[0] for t in ts]
    us, vs = ts + [1.0], ks + [float(rs.at) - 1.0]  # the t = 1 end: no evaluation
    brackets, starts = [], []
    if ks[0] > 0.0:  # g > 0 down to the smallest t: the frozen root sits at t < t_min (chi1 ~ 0)
        starts.append(ts[0])
    for i in range(len(us) - 1):
        if vs[i] == 0.0 and i < len(ts):
            starts.append(us[i])
        elif vs[i] * vs[i + 1] < 0.0:
            brackets.append((us[i], vs[i], us[i + 1], vs[i + 1]))
    for i in range(1, len(ts) - 1):  # near-tangencies: two roots between grid points
        a, b, c = vs[i - 1], vs[i], vs[i + 1]
        if not (a * b > 0.0 and b * c > 0.0 and abs(b) < abs(a) and abs(b) < abs(c)):
            continue
        tv, kv = _tangency_probe(k_sign, us[i - 1], us[i], us[i + 1], a, b, c)
        if kv * b < 0.0:
            lo, hi = (i - 1, i) if tv < us[i] else (i, i + 1)
            brackets.append((us[lo], vs[lo], tv, kv))
            brackets.append((tv, kv, us[hi], vs[hi]))
    found = []
    for ta, fa, tb, fb in brackets:
        t, conv, res = _refine_root(k_coarse, k, ta, fa, tb, fb, tol)
        if conv:  # the last evaluation was at this state: _build reuses it
            found.append(_build(model, 1.0, rsmap, _state_x1(rs, t), True, 0, res,
                                "converged (x = 1 root by bracketing)", rs, collapse_tol))
        else:
            starts.append(t)
    for t in starts:
        s = _solve_fixed_x(model, 1.0, _state_x1(rs, t), rs, collapse_tol=collapse_tol, **opts)
        n_extra += s.iterations
        found.append(s)
    sols = []
    for s in sorted(found, key=lambda z: z.q1 - z.q0):  # q1 - q0 ascending
        if s.converged and s.rsb and not any(_same_point(s.state, o.state) for o in sols):
            sols.append(s)
    if counts is not None:
        counts["full"] = rsmap.evaluations + n_extra
        counts["coarse"] = cmap.evaluations
    return sols, rsmap.evaluations + n_extra + cmap.evaluations


def _tangency_probe(k, t0, t1, t2, k0, k1, k2):
    """Look for a sign change of ``k`` near a local minimum of ``|k|`` at the scan point ``t1``
    (neighbours ``t0 < t1 < t2`` with ``k`` of one sign): two roots born in a saddle-node
    (the dynamical line) first show up as a narrow dip of ``|k|`` through zero between scan
    points.  The continuous extremum of ``k`` lies in ``(t0, t2)``; it is located by a golden
    section in ``logit t`` started at the vertex of the parabola through the three points,
    stopped as soon as ``k`` changes sign, after :data:`_X1_TANGENCY_MAX` evaluations at most.
    Returns ``(t, k(t))`` of the last probe with a sign change, else of the best probe."""
    sgn = 1.0 if k1 > 0.0 else -1.0
    u0, u1, u2 = _logit(t0), _logit(t1), _logit(t2)
    d1, d2 = (k1 - k0) / (u1 - u0), (k2 - k1) / (u2 - u1)
    curv = (d2 - d1) / (u2 - u0)
    uv = 0.5 * (u0 + u1) - d1 / (2.0 * curv) if curv != 0.0 else u1
    if not (u0 < uv < u2):
        uv = u1
    best_t, best_k = t1, k1

    def probe(u):
        nonlocal best_t, best_k
        t = 1.0 / (1.0 + math.exp(-u))
        kt = k(t)[0]
        if kt * sgn < best_k * sgn:
            best_t, best_k = t, kt
        return kt * sgn  # minimise: <= 0 means a sign change

    lo, hi = u0, u2
    fv = probe(uv)
    n = 1
    if fv <= 0.0:
        return best_t, best_k
    xm, fm = (uv, fv) if fv < k1 * sgn else (u1, k1 * sgn)
    while n < _X1_TANGENCY_MAX:  # golden section on [lo, hi] around the best point xm
        if xm - lo > hi - xm:
            xn = xm - _GOLD * (xm - lo)
        else:
            xn = xm + _GOLD * (hi - xm)
        fn = probe(xn)
        n += 1
        if fn <= 0.0:
            break
        if fn < fm:
            if xn < xm:
                hi = xm
            else:
                lo = xm
            xm, fm = xn, fn
        elif xn < xm:
            lo = xn
        else:
            hi = xn
    return best_t, best_k


def _refine_root(kc, k, ta, fa, tb, fb, tol):
    """Root of ``k`` in the bracket ``[ta, tb]`` until the full state's residual is ``< tol``:
    the root ``tc`` of the coarse ``kc`` by :func:`_illinois` (cheap; stopped once the relative
    step ``|F_q1 - q1|/|F_q1|``, ``kc``'s second value, is below :data:`_X1_COARSE_ROOT`, a tenth
    of the coarse error: beyond that the coarse root is noise), then secant steps on the
    full ``k`` from ``tc`` (first slope: the coarse secant through the two coarse points closest
    to the root), at most :data:`_X1_SECANT_MAX`; if they do not converge inside the bracket,
    :func:`_illinois_root` on the full ``k``.  Returns ``(t, converged, residual)``."""
    pts = []
    last = [math.inf]

    def value(t):
        v, last[0] = kc(t)
        pts.append((t, v))
        return v

    tc, _ = _illinois(value, ta, fa, tb, fb, 0.0, max_iter=_X1_REFINE_MAX, rtol=1e-12,
                      done=lambda: last[0] < _X1_COARSE_ROOT)
    lo, hi = min(ta, tb), max(ta, tb)
    if tc is not None and len(pts) >= 2:
        (t0, v0), (t1, v1) = sorted(pts, key=lambda p: abs(p[1]))[:2]
        slope = (v1 - v0) / (t1 - t0) if t1 != t0 else 0.0
        t_prev, k_prev = None, None
        t = tc
        for _ in range(_X1_SECANT_MAX):
            kt, res = k(t)
            if res < tol:
                return t, True, res
            if t_prev is not None and t != t_prev:
                slope = (kt - k_prev) / (t - t_prev)
            if not (slope != 0.0 and math.isfinite(slope)):
                break
            t_prev, k_prev = t, kt
            t = t - kt / slope
            if not lo < t < hi:  # hi <= 1: never at t = 1 (RS itself)
                break
    return _illinois_root(k, ta, fa, tb, fb, tol)


def _illinois_root(k, ta, fa, tb, fb, tol):
    """Root of ``k`` in the bracket ``[ta, tb]`` by :func:`_illinois`, stopped when the full
    state's residual (second value of ``k``) is below ``tol``.  Returns ``(t, converged, residual)``
    (else the evaluated point of smallest residual); an end with ``t = 1`` (``k(1) = at - 1``) is
    never evaluated."""
    best = [ta if abs(fa) < abs(fb) else tb, math.inf]

    def value(t):
        kt, res = k(t)
        if res < best[1]:
            best[0], best[1] = t, res
        return kt

    t, _ = _illinois(value, ta, fa, tb, fb, 0.0, max_iter=_X1_REFINE_MAX, rtol=4e-16,
                     done=lambda: best[1] < tol)
    if best[1] < tol:
        return t, True, best[1]
    return best[0], False, best[1]


def _same_point(a, b, rtol=1e-6, atol=1e-9) -> bool:
    try:
        from .continuation import same_branch
    except ImportError:  # pragma: no cover - until continuation.py lands
        return bool(np.all(np.abs(np.asarray(a) - np.asarray(b))
                           <= atol + rtol * np.maximum(np.abs(a), np.abs(b))))
    return bool(same_branch(a, b, rtol=rtol, atol=atol))


def _is_jump(s, pred, last, dx: float, first: bool = False) -> bool:
    """Has a converged fixed-``x`` state ``s`` left the branch of ``last``?

    On the branch the distance to the predictor is small against the predicted change (secant
    error ``O(dx^2)`` vs change ``O(dx)``) -- but a secant built over a long previous step can
    be poor, so a slack ``0.25 |dx| (1 + |last|)`` that vanishes with the step is added: a
    halved step is eventually accepted on a smooth branch, while another branch stays a finite
    distance away.  First step (no slope known): the change must stay below 10%."""
    err = float(np.max(np.abs(s - pred)))
    scale = 1.0 + float(np.max(np.abs(last)))
    if first:
        return err > 0.1 * scale
    return err > 2.0 * float(np.max(np.abs(pred - last))) + 0.25 * abs(dx) * scale + 1e-6 * scale


def follow_branch(model: Model, start: RSB1Solution, xs, *, rs: RSSolution | None = None,
                  mixing: float = 0.5, tol: float = 1e-10, max_iter: int = 2000, anderson: int = 5,
                  collapse_tol: float = 1e-7, max_halvings: int = 8):
    """Fixed-``x`` solutions along the branch of ``start`` at the given ``xs`` (in order).

    A walk of :func:`replicaquant.continuation.follow` over ``(start.x, *xs)``: each solve starts
    from the secant prediction of its two predecessors on the branch (the first from
    ``start``; a prediction outside the physical set is replaced by the previous state); a step
    that jumps off the branch (prediction error large against the trend, see
    :mod:`replicaquant.continuation`), collapses to ``q1 = q0`` or does not converge is re-walked
    in halves (recursion depth ``max_halvings``); the first step, which has no trend yet, may
    change the state by at most 10%.  The walk stops at the first point that cannot be reached
    on the branch.  Returns the list of solutions reached (``len < len(xs)`` if the branch
    ended).
    """
    from .continuation import follow

    opts = dict(mixing=mixing, tol=tol, max_iter=max_iter, anderson=anderson, collapse_tol=collapse_tol)
    rs = start.rs if rs is None else rs
    xs = [_check_x(v) for v in xs]
    if not xs:
        return []
    origin = object()
    starts = {}  # id(solution) -> the start it was solved from
    fmap = RSB1Map(model, 1.0)  # the feasibility test does not depend on x

    def solve(xv, init):
        if init is origin:
            return start
        sol = _solve_fixed_x(model, xv, np.asarray(init, dtype=float), rs, **opts)
        starts[id(sol)] = np.asarray(init, dtype=float)
        return sol

    def accept(sol):
        if sol is start:
            return True
        if not sol.rsb:
            return False
        s0 = starts.get(id(sol))
        if s0 is not None and np.array_equal(s0, start.state):  # the first step: no trend yet
            return not _is_jump(sol.state, s0, start.state, 0.0, first=True)
        return True

    walk = follow([float(start.x)] + xs, solve, init=origin, state=lambda z: z.state,
                  predictor="secant", max_halvings=int(max_halvings), on_jump="stop",
                  accept=accept, max_failures=1, feasible=lambda st, v: fmap.feasible(st))
    out = []
    for step in walk.steps[1:]:
        if not step.accepted or step.branch_changed:
            break
        out.append(step.solution)
    return out


def _predict(path, xv):
    if len(path) >= 2 and path[-1].x != path[-2].x:
        a, b = path[-2], path[-1]
        return b.state + (xv - b.x) / (b.x - a.x) * (b.state - a.state)
    return path[-1].state


def _step_to(model, rs, path, xv, opts, max_halvings, exact=True):
    """Solve at ``xv`` on the branch of ``path`` (appended to), halving the step on jumps
    (``max_halvings`` failed attempts allowed).  ``exact``: keep going until ``xv`` itself is
    reached; otherwise return the first point reached on the way.  ``None`` if the branch
    cannot be continued."""
    target = xv
    failures = 0
    while failures <= max_halvings:
        last = path[-1]
        pred = _predict(path, target)
        if not RSB1Map(model, target).feasible(pred):
            pred = last.state
        s = _solve_fixed_x(model, target, pred, rs, **opts)
        if s.converged and s.rsb and not _is_jump(s.state, pred, last.state, target - last.x,
                                                   len(path) < 2):
            path.append(s)
            if target == xv or not exact:
                return s
            target = xv  # intermediate point reached: now try the full step again
            continue
        failures += 1
        target = 0.5 * (last.x + target)
    return None


#: map evaluations after which the step walk gives a branch up as unresolved ("open"): a regular
#: walk needs 50-150; the fully frozen 1-bit branches (q1 = Q = c^2, chi1 ~ 1e-15) whose
#: fixed-x solves fail below some x cost 10^4 before the halvings are exhausted
_WALK_BUDGET = 1000


def _walk(model, rs, start, opts, *, x_min, x_tol, dx0=0.02, dx_max=0.3, max_steps=60):
    """Follow ``start``'s branch in ``x`` to the maximum of ``f``.

    ``Sigma(x) < 0`` means ``f`` grows as ``x`` decreases: walk down; ``Sigma > 0`` at ``x < 1``:
    walk up (an ``x = 1`` start with ``Sigma(1) >= 0`` is its own maximum).  Steps grow towards the
    linear extrapolation of the zero of ``Sigma``; once ``Sigma`` changes sign the zero is located
    by Brent's method, each solve warm-started from the chord between its bracketing neighbours
    on the branch.  Returns ``(best, kind, path, message, n_evaluations)``.
    """
    path = [start]
    n0 = start.iterations
    if start.x >= 1.0 and start.complexity >= 0.0:
        return start, "x=1", path, "Sigma(1) >= 0: f decreases below x = 1", 0
    sgn = -1.0 if start.complexity < 0.0 else 1.0
    dx = dx0
    cur = start
    bracket = None
    for _ in range(max_steps):
        xn = min(max(cur.x + sgn * dx, x_min), 1.0)
        if xn == cur.x:
            break
        n_before = len(path)
        s = _step_to(model, rs, path, xn, _walk_opts(opts), 6, exact=False)
        counter = opts.get("counter")
        if s is not None and counter is not None and counter[0] > _WALK_BUDGET:
            return (s, "open", path, f"branch not resolved: {_WALK_BUDGET} map evaluations spent "
                    f"walking down to x = {s.x:.4g} (Sigma = {s.complexity:.3g})", _count(path, n0))
        if s is None:
            last = path[-1]
            return (last, "open", path, f"branch lost at x = {last.x:.4g} (fixed-x solves jump off "
                    "or collapse to q1 = q0)", _count(path, n0))
        seg = path[n_before - 1:]
        pair = next(((a, b) for a, b in zip(seg, seg[1:]) if a.complexity * b.complexity <= 0.0), None)
        if pair is not None:
            bracket = pair
            break
        prev = path[-2]
        if s.x == prev.x:  # the steps shrank to rounding (a fold in x): the branch ends here
            return (s, "open", path, f"branch ends at x = {s.x:.6g} (continuation steps shrank to "
                    "zero)", _count(path, n0))
        # next step: aim 30% beyond the secant zero of Sigma, within [dx/2, min(2 dx, dx_max)]
        slope = (s.complexity - prev.complexity) / (s.x - prev.x)
        est = -s.complexity / slope * sgn if slope != 0 else np.inf
        dx = abs(s.x - prev.x) if s.x != xn else dx  # the step actually taken
        dx = float(np.clip(1.3 * est, 0.5 * dx, min(2.0 * dx, dx_max))) if est > 0 else min(2 * dx, dx_max)
        cur = s
        if (sgn < 0 and cur.x <= x_min) or (sgn > 0 and cur.x >= 1.0):
            break
    if bracket is None:
        if sgn > 0 and cur.x >= 1.0:
            return cur, "x=1", path, "Sigma > 0 up to x = 1: maximum of f at x = 1", _count(path, n0)
        return (cur, "open", path, f"Sigma < 0 down to x = {cur.x:.3g}: no interior maximum above "
                f"x_min = {x_min}", _count(path, n0))
    lo, hi = sorted(bracket, key=lambda z: z.x)
    cache = {lo.x: lo, hi.x: hi}

    def sigma(xv):
        """Sigma on the branch at ``xv`` (``None`` if the solve leaves the branch)."""
        if xv in cache:
            return cache[xv].complexity
        ks = sorted(cache)
        i = int(np.searchsorted(ks, xv))
        a, b = cache[ks[max(i - 1, 0)]], cache[ks[min(i, len(ks) - 1)]]
        w = (xv - a.x) / (b.x - a.x) if b.x != a.x else 0.0
        pred = a.state + w * (b.state - a.state)
        s = _solve_fixed_x(model, xv, pred, rs, **_walk_opts(opts))
        near = a if w < 0.5 else b
        if not (s.converged and s.rsb) or _is_jump(s.state, pred, near.state, xv - near.x):
            return None
        path.append(s)
        cache[xv] = s
        return s.complexity

    xs, lost = _illinois(sigma, lo.x, lo.complexity, hi.x, hi.complexity, x_tol)
    if lost is not None:
        best = max(cache.values(), key=lambda z: z.free_energy)
        return (best, "open", path, f"branch lost at x = {lost:.6g} while locating Sigma = 0",
                _count(path, n0))
    return cache[xs], "interior", path, f"Sigma(x) = 0 at x* = {xs:.6g}", _count(path, n0)


#: finite-difference step (relative to ``max(1, |z_j|)``) of the initial Jacobian of the
#: augmented system: far above the map's rounding (~1e-13), far below its curvature scale
_FD_STEP = 1e-6
#: trust region of :func:`_newton_walk` in ``x``: the first step changes ``x`` by at most
#: ``_NEWTON_DX0``; the radius doubles (up to ``_NEWTON_DX``) after a step over which the linear
#: model predicted the residual to within a quarter of its size, halves after a miss larger
#: than the residual itself (measured on the bench points: 0.2/0.3 need the fewest evaluations;
#: 0.05-0.3 all converge to the same x*)
_NEWTON_DX0 = 0.2
_NEWTON_DX = 0.3
_NEWTON_MAX = 40
#: the quasi-Newton search runs on the coarse quadrature until the (coarse) state residual is
#: below this (or half of _NEWTON_MAX steps were coarse); the full rules take over from there.
#: (1e-5 / 1e-6 / 1e-7 and the x-step condition on or off: 65-69 full-map equivalents over the
#: six bench points, the same x* to 1e-9)
_NEWTON_COARSE_RES = 1e-6
_NEWTON_COARSE_DX = 1e-4   # ... and the last x step below this (else x is still far from x*)
#: forward-difference step of the coarse Jacobian: the coarse map's error jumps by ~1e-7 where
#: its panel counts change, which a 1e-6 step would turn into O(0.1) Jacobian errors (1e-4 left
#: 4 of 5 hard cases uncertified, 1e-3 one; see _newton_search for what happens then)
_FD_STEP_COARSE = 1e-3


def _augmented(model, base, z):
    """``(R, rmap)``: ``R = (F(s; x) - s, Sigma(s, x))`` at ``z = (s, x)`` (one map evaluation;
    ``Sigma = beta x^2 df/dx`` with ``df/dx`` the explicit derivative :func:`dfdx_1rsb`, equal to
    the total one at a fixed point)."""
    s, x = z[:4], float(z[4])
    rm = base.at(x)
    hats, out = rm.evaluate(s)
    F = np.array([out[R1_M], out[R1_Q0], out[R1_Q1], out[R1_CHI1]])
    Q = s[2] + s[3] / model.beta
    g = dfdx_1rsb(model, x, s[0], s[1], s[2], Q, hats[0], hats[1], hats[2], out[0], out[6])
    return np.append(F - s, model.beta * x * x * g), rm


def _newton_walk(model, rs, start, opts, *, x_min, x_tol, ev, coarse=True):
    """The Parisi maximum on ``start``'s branch by quasi-Newton on ``(s, x)`` jointly.

    Unknowns ``z = (m, q0, q1, chi1, x)``, equations ``F(s; x) = s`` and ``Sigma(s, x) = 0``
    (:func:`_augmented`): every map evaluation moves the state *and* ``x``.  The Jacobian is
    built once at the ``x = 1`` root by forward differences and then updated by Broyden's rule.
    With ``coarse`` (default): until the residual falls below :data:`_NEWTON_COARSE_RES` and the ``x`` step below
    :data:`_NEWTON_COARSE_DX`, the map uses the coarse quadrature (``RSB1Map(coarse=True)``; the
    Jacobian costs 6 coarse evaluations: the start's residual and 5 differences; ``coarse=False``:
    the full rules throughout, the Jacobian from 5 full evaluations); then the
    residual is re-evaluated with the full rules at the same point and the iteration goes on with
    them, so convergence is judged on full-rule evaluations only (the last ``x`` step computed
    from a full residual).  A step changes ``x`` by at most the trust radius (``_NEWTON_DX0``, adapted
    to how well the linear model predicted the last step, at most ``_NEWTON_DX``) and keeps it in
    ``[max(x_min, x/2), 1]`` and the state feasible.  Stops when the undamped residual is below
    ``opts['tol']`` and the last ``x`` step below ``x_tol`` (quadratic convergence: the ``x``
    error is then far below ``x_tol``).  The answer is accepted only if it is a nontrivial
    (``q1 - q0 > collapse_tol``) maximum of ``f`` on the branch walked down from ``x = 1``:
    ``f(x*) > f(x0)`` for the start ``x0`` (``f(1) = f_RS``; ``Sigma < 0`` on the way down means
    ``f`` grows as ``x`` decreases) and ``dSigma/dx < 0`` at ``x*`` (``Sigma`` changes sign from
    ``-`` above to ``+`` below: a maximum, not a minimum); and only if ``f(x*) - f(x0)`` agrees
    within a factor 2 with ``int Sigma/(beta x^2) dx`` over the cubic Hermite model of ``Sigma``
    built from its values and slopes at both ends (continuity of ``f`` along one branch: a
    solve that landed on another branch has an unrelated ``f``).  ``None`` otherwise (the caller then walks the branch in small steps).
    ``ev`` (dict) receives the evaluations by phase (``walk``, ``polish``: after the residual
    first fell below ``1e-7``; ``coarse``: the coarse-rule ones)."""
    tol = opts["tol"]
    base = RSB1Map(model, 1.0)
    cbase = RSB1Map(model, 1.0, coarse=True)
    x0 = float(start.x)
    z = np.append(start.state, x0)
    sig1 = float(start.complexity)
    ev.setdefault("coarse", 0)
    r_full = False  # was the r of the step just taken a full-rule one?
    if coarse:
        r = _augmented(model, cbase, z)[0]  # the coarse residual at the start (differences need it)
        J = _fd_jacobian(model, cbase, z, r, _FD_STEP_COARSE)
        ev["coarse"] += 6
    else:  # the full rules throughout (the start is the x = 1 root: residual < tol there)
        r = np.zeros(5)
        r[4] = sig1
        J = _fd_jacobian(model, base, z, r)
        ev["walk"] += 5
        r_full = True
    n_steps = 0
    radius = _NEWTON_DX0
    # total dSigma/dx on the branch at the start: d/dx of Sigma along ds/dx = -(R_s)^-1 R_x
    dsig1 = _total_dsigma(J)
    polish = False
    done = False
    rm = None
    for _ in range(_NEWTON_MAX):
        try:
            dz = -np.linalg.solve(J, r)
        except np.linalg.LinAlgError:
            return None
        lam = 1.0
        if abs(dz[4]) > radius:
            lam = radius / abs(dz[4])
        xn = z[4] + lam * dz[4]
        lo = max(x_min, 0.5 * z[4])
        if xn > 1.0:
            lam = (1.0 - z[4]) / dz[4] if dz[4] > 0 else lam
        elif xn < lo:
            lam = (lo - z[4]) / dz[4]
        zn = _clip_chi1(z, z + lam * dz)
        for _h in range(20):
            if base.feasible(zn[:4]) and 0.0 < zn[4] <= 1.0:
                break
            lam *= 0.5
            zn = _clip_chi1(z, z + lam * dz)
        else:
            return None
        step = zn - z
        nstep = float(step @ step)
        if not nstep > 0.0:  # no admissible move (x pinned at 1 or x_min): not certifiable
            return None
        rn, rm = _augmented(model, cbase if coarse else base, zn)
        ev["coarse" if coarse else "polish" if polish else "walk"] += 1
        if not np.all(np.isfinite(rn)):
            return None
        lin = r + J @ step  # the linear model's prediction of rn
        # trust region in x: grow where the linear model held over the step, shrink where not
        miss = float(np.max(np.abs(rn - lin))) / max(float(np.max(np.abs(r))), 1e-300)
        if miss < 0.25:
            radius = min(2.0 * radius, _NEWTON_DX)
        elif miss > 1.0:
            radius = max(0.5 * radius, _NEWTON_DX0 / 8)
        J += np.outer(rn - lin, step) / nstep  # Broyden's ("good") rank-one update
        stepped_full = r_full
        z, r = zn, rn
        res = residual_norm(z[:4], z[:4] + r[:4])
        n_steps += 1
        if coarse and ((res < _NEWTON_COARSE_RES and abs(step[4]) < _NEWTON_COARSE_DX)
                       or n_steps >= _NEWTON_MAX // 2):  # switch to the full rules here
            r, rm = _augmented(model, base, z)
            ev["walk"] += 1
            if not np.all(np.isfinite(r)):
                return None
            coarse = False
            res = residual_norm(z[:4], z[:4] + r[:4])
        r_full = not coarse
        polish = polish or (res < 1e-7 and not coarse)
        if stepped_full and res < tol and abs(step[4]) < x_tol:
            done = True
            break
    if not done or rm is None:
        return None
    sol = _build(model, float(z[4]), rm, z[:4], True, 0, res, "converged", rs, opts["collapse_tol"])
    if not (sol.rsb and x_min <= sol.x < 1.0 and sol.x != x0):
        return None
    dsig = _total_dsigma(J)
    gain = sol.free_energy - start.free_energy
    if not (gain > 0.0 and dsig < 0.0):
        return None
    # f continuity: f(x*) - f(x0) = int_x0^x* Sigma/(beta x^2) dx, Sigma ~ cubic Hermite
    pred = _hermite_gain(x0, sig1, dsig1, sol.x, 0.0, dsig, model.beta)
    if not (0.5 * pred < gain < 2.0 * pred):
        return None
    return sol


def _clip_chi1(z, zn):
    """``zn`` with ``chi1 >= chi1_old/10``: on a frozen branch ``chi1`` is tiny (down to 1e-77)
    and the map is flat in it, so a linear step may send it negative; halving the whole step
    would never fix that, so only ``chi1`` is held back (the update uses the step taken)."""
    if zn[3] < 0.1 * z[3]:
        zn = zn.copy()
        zn[3] = 0.1 * z[3]
    return zn


def _fd_jacobian(model, base, z, r, step=_FD_STEP):
    """Forward-difference Jacobian of :func:`_augmented` at ``z`` (``r`` its value there; five
    evaluations of relative step ``step``; ``m`` and ``x`` are stepped downwards to stay feasible
    and ``x <= 1``)."""
    J = np.empty((5, 5))
    for j in range(5):
        h = step * max(1.0, abs(z[j]))
        if j in (0, 4):
            h = -h
        zp = z.copy()
        zp[j] += h
        J[:, j] = (_augmented(model, base, zp)[0] - r) / h
    return J


def _total_dsigma(J):
    """``dSigma/dx`` along the branch from the augmented Jacobian ``J`` (rows ``F - s`` and
    ``Sigma``; columns ``s`` and ``x``): ``Sigma_x - Sigma_s R_s^{-1} R_x``."""
    try:
        ds = -np.linalg.solve(J[:4, :4], J[:4, 4])
    except np.linalg.LinAlgError:
        return math.nan
    return float(J[4, 4] + J[4, :4] @ ds)


def _hermite_gain(xa, sa, da, xb, sb, db, beta, n=16):
    """``int_{xa}^{xb} Sigma(x)/(beta x^2) dx`` (either order) with ``Sigma`` the cubic Hermite
    interpolant of the values ``sa, sb`` and slopes ``da, db`` at the ends (Gauss-Legendre,
    ``n`` points): ``f(xb) - f(xa)`` on one branch, since ``df/dx = Sigma/(beta x^2)``."""
    u, w = np.polynomial.legendre.leggauss(n)
    h = xb - xa
    x = xa + 0.5 * h * (u + 1.0)
    t = 0.5 * (u + 1.0)
    h00, h10, h01, h11 = 2 * t**3 - 3 * t**2 + 1, t**3 - 2 * t**2 + t, -2 * t**3 + 3 * t**2, t**3 - t**2
    sig = h00 * sa + h10 * h * da + h01 * sb + h11 * h * db
    return float(0.5 * h * np.sum(w * sig / (beta * x * x)))


def _illinois(f, a, fa, b, fb, xtol, max_iter=100, rtol=0.0, done=None):
    """Root of ``f`` in ``[a, b]`` (``fa fb <= 0``) by the Illinois variant of regula falsi
    (superlinear, always bracketed).  ``f`` may return ``None`` (cannot be evaluated there).
    Stops when the bracket is narrower than ``max(xtol, rtol max(|a|, |b|))`` or, after an
    evaluation, when ``done()`` is true (a caller's own criterion, e.g. a residual).
    Returns ``(root, None)`` -- the root is an evaluated point -- or ``(None, x_failed)``."""
    if fa == 0.0:
        return a, None
    if fb == 0.0:
        return b, None
    side = 0
    c_prev = None
    for _ in range(max_iter):
        c = (a * fb - b * fa) / (fb - fa)
        if not (min(a, b) < c < max(a, b)):
            c = 0.5 * (a + b)
        fc = f(c)
        if fc is None:
            return None, c
        if (fc == 0.0 or (c_prev is not None and abs(c - c_prev) < 0.5 * xtol)
                or (done is not None and done())):
            return c, None
        c_prev = c
        if fc * fb < 0:
            a, fa = b, fb
            side_new = 0
        else:
            side_new = 1
            if side == 1:
                fa *= 0.5
        b, fb = c, fc
        side = side_new
        if abs(b - a) < xtol or abs(b - a) <= rtol * max(abs(a), abs(b)):
            return b, None
    return b, None


def _count(path, n0):
    return sum(p.iterations for p in path) - n0


def solve_1rsb(model: Model, *, x: float | None = None, init=None, split: tuple = (0.9, 0.3),
               mixing: float = 0.5, tol: float = 1e-10, max_iter: int = 2000, anderson: int = 5,
               x_tol: float = 1e-7, x_min: float = 1e-3, collapse_tol: float = 1e-7,
               strict: bool = False, warn: bool = True) -> RSB1Solution:
    """Solve the 1RSB saddle point of ``model`` (finite beta) and fix ``x`` by the Parisi rule.

    Branch search (``x = None``, no ``init``): every nontrivial fixed point at ``x = 1`` is
    found by bracketing (:func:`x1_roots`; at ``x = 1`` the 1RSB equations are one-dimensional),
    which covers both the branch that splits off RS at the AT line and *frozen* branches
    (``q1`` just below ``Q``, small ``chi1``) that exist while RS is locally stable.  Each branch
    is followed downwards in ``x`` by continuation (every fixed-``x`` solve starts from the secant
    prediction of its neighbours on the same branch; jumps halve the step) to the maximum of
    ``f(x)``: the zero of the complexity ``Sigma(x) = beta x^2 df/dx`` (interior ``x*``), or
    ``x = 1`` when ``Sigma(1) >= 0``.  The thermodynamic solution maximises ``f`` over ``(0, 1]``
    across all branches (``f(1) = f_RS`` on every branch); the others are kept in
    ``.branches``.

    Parameters
    ----------
    model : Model
        The problem.  ``beta = inf`` (with ``x = None``) returns the zero-temperature 1RSB
        ground state, :func:`replicaquant.rsb_zero.solve_1rsb_zero` (an ``RSB1ZeroSolution``).
    x : float in (0, 1], optional
        Solve at this Parisi parameter only (from ``init``, or from RS split starts).
    init : None, RSB1Solution or array_like ``(m, q0, q1, chi1)``
        Start.  With ``x = None`` and a nontrivial ``RSB1Solution`` (e.g. the neighbour of a
        sweep), only that solution's branch is followed (from ``init.x``, in its state) to its
        maximum -- no branch search.  With ``x`` given: the start of the fixed-``x`` solve;
        ``None``: RS with a fraction ``split[i]`` of ``Q - q`` moved into ``q1 - q0``.
    split : tuple of float in (0, 1)
        The split fractions tried from RS for a fixed-``x`` solve without ``init``.
    mixing, tol, max_iter, anderson
        Passed to :func:`replicaquant.fixed_point.solve_fixed_point` (``tol`` on the undamped residual).
    x_tol : float
        Tolerance on the Parisi ``x``.
    x_min : float
        Smallest ``x`` searched.
    collapse_tol : float
        ``q1 - q0`` below this counts as the RS branch.
    strict, warn
        Non-convergence raises :class:`replicaquant.errors.ConvergenceError` (``strict``) or warns.

    Returns
    -------
    RSB1Solution
        ``branch`` names the branch and why it was selected; ``branches`` holds every
        :class:`RSB1Branch` found.
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    if np.isinf(model.beta) and x is None:  # zero temperature (y = beta x fixed): rsb_zero
        from .rsb_zero import solve_1rsb_zero
        return solve_1rsb_zero(model, init=init, strict=strict, warn=warn)
    _check_finite_beta(model)
    if x is not None:
        x = _check_x(x)
    mixing = check_real("mixing", mixing, low=0.0, low_inclusive=False, high=1.0)
    tol = check_real("tol", tol, low=0.0, low_inclusive=False)
    x_tol = check_real("x_tol", x_tol, low=0.0, low_inclusive=False)
    x_min = check_real("x_min", x_min, low=0.0, low_inclusive=False, high=1.0)
    for s in split:
        check_real("split", s, low=0.0, low_inclusive=False, high=1.0)
    collapse_tol = check_real("collapse_tol", collapse_tol, low=0.0)
    opts = dict(mixing=mixing, tol=tol, max_iter=check_int("max_iter", max_iter, low=1),
                anderson=check_int("anderson", anderson, low=0), collapse_tol=collapse_tol)
    s_init = None
    if init is not None and not isinstance(init, RSB1Solution):
        if isinstance(init, str):
            raise ParameterTypeError(f"init must be None, an RSB1Solution or a finite (m, q0, q1, chi1), "
                                     f"got {init!r}")
        s_init = check_state("init", init, ("m", "q0", "q1", "chi1"))

    rs = solve_rs(model, init="multi", warn=False)
    if x is not None:
        sol = _fixed_x_solution(model, x, init, s_init, rs, split, opts)
    elif isinstance(init, RSB1Solution) and init.rsb:
        sol = _follow_from(model, init, rs, opts, x_min, x_tol)
    else:
        sol = _search(model, rs, opts, x_min, x_tol, extra=s_init)
    if not rs.converged:
        sol = replace(sol, converged=False, message=f"{sol.message}; RS reference: {rs.message}")
    return _finish(sol, model, strict, warn)


def _finish(sol, model, strict, warn):
    """The package's convergence protocol (:func:`replicaquant.convergence.finalize`): a
    converged result that violates an invariant of :func:`replicaquant.invariants.check_rsb1`
    becomes non-converged; non-convergence warns or raises."""
    if sol.status == SUCCESS and not sol.converged:
        sol = replace(sol, status=MAX_ITER)
    violation = check_rsb1(sol) if sol.converged else None
    detail = (f"last iterate x={sol.x:.6g}, m={sol.m:.6g}, q0={sol.q0:.6g}, q1={sol.q1:.6g}, "
              f"chi1={sol.chi1:.6g}")
    return finalize(sol, violation=violation, strict=strict, warn=warn, what="solve_1rsb",
                    stacklevel=3, model=model, detail=detail)


def _fixed_x_solution(model, x, init, s_init, rs, split, opts):
    if isinstance(init, RSB1Solution) and init.rsb:
        starts = [init.state]
    elif s_init is not None:
        starts = [s_init]
    else:
        starts = [_split_start(rs, fr) for fr in split]
    n_iter = 0
    sol = None
    for s0 in starts:
        sol = _solve_fixed_x(model, x, s0, rs, **opts)
        n_iter += sol.iterations
        if sol.rsb or not sol.converged:
            break
    return replace(sol, iterations=n_iter, branch=f"fixed x = {x:.6g}")


def _newton_search(model, rs, start, opts, x_min, x_tol, ev):
    """:func:`_newton_walk` on the coarse rules first; if that is not certified (an approximate
    Jacobian can end on a wrong-signed ``dSigma/dx`` or wander), the same search on the full
    rules throughout -- the previous round's algorithm, still far cheaper than the step walk that
    follows a second failure.  Returns the certified solution or ``None``."""
    best = _newton_walk(model, rs, start, opts, x_min=x_min, x_tol=x_tol, ev=ev)
    if best is None:
        best = _newton_walk(model, rs, start, opts, x_min=x_min, x_tol=x_tol, ev=ev, coarse=False)
    return best


def _walk_branch(model, rs, start, opts, x_min, x_tol, ev):
    """``(best, kind, path, message)`` of ``start``'s branch: ``x = 1`` with ``Sigma(1) >= 0`` is
    its own maximum; otherwise the quasi-Newton search :func:`_newton_search`, and if that is not
    certified, the step-by-step continuation :func:`_walk`.  ``ev`` collects the evaluations."""
    if start.x >= 1.0 and start.complexity >= 0.0:
        return start, "x=1", [start], "Sigma(1) >= 0: f decreases below x = 1"
    best = _newton_search(model, rs, start, opts, x_min, x_tol, ev)
    if best is not None:
        return best, "interior", [start, best], (f"Sigma(x) = 0 at x* = {best.x:.6g} (quasi-Newton "
                                                 "on (state, x), certified)")
    counter = [0]
    best, kind, path, msg, _ = _walk(model, rs, start, dict(opts, counter=counter), x_min=x_min,
                                     x_tol=x_tol)
    ev["walk"] += counter[0]
    if kind == "open" and best.x > x_min and best.complexity < 0.0:
        below = _below_fold(model, rs, best, opts, x_min, x_tol, ev)
        if below is not None:
            b2, s_j = below
            return b2, "interior", list(path) + [s_j, b2], (
                f"the x = 1 branch ends (fold) near x = {best.x:.4g} with Sigma < 0 above it; "
                f"Sigma(x) = 0 at x* = {b2.x:.6g} on the branch below the fold (reached at "
                f"x = {s_j.x:.4g}, quasi-Newton, certified)")
    return best, kind, path, msg


#: a descent below a fold retries a non-converged step with the full ``max_iter`` (leaving a
#: fold's end takes 250-500 maps: the accelerated loop stalls and the root finder or the damped
#: fallback finishes; 600 was not enough at the phase_lowT points) only while it has spent less
#: than this many maps (a branch that never jumps would otherwise cost 30 such retries)
_FOLD_BUDGET = 1000


def _below_fold(model, rs, last, opts, x_min, x_tol, ev):
    """Where a branch ends at a fold with ``Sigma < 0`` (``f`` still growing as ``x`` decreases),
    e.g. the fully frozen 1-bit branch (``q1 = Q = c^2``, ``q0`` near ``Q``) at large width
    beyond the AT line: fixed-``x`` solves at ``x`` decreasing geometrically (factor 0.85), each
    from the previous state, until one lands on a different branch (``q0`` or ``q1`` changes by
    more than 10%: the branch below the fold; a solve that does not converge within the walk's
    budget of 150 maps is retried with the full ``max_iter``, since leaving the end of a branch
    takes a few hundred iterations, while this descent has spent less than :data:`_FOLD_BUDGET`);
    its Parisi maximum is then found by
    :func:`_newton_walk` from there (certified relative to that point), else by the step walk.
    Returns ``(best, first point below the fold)`` or ``None``."""
    prev = last
    used = 0
    for _ in range(30):
        xj = max(0.85 * prev.x, x_min)
        if xj >= prev.x:
            return None
        s_j = _solve_fixed_x(model, xj, prev.state, rs, **_walk_opts(opts))
        ev["walk"] += s_j.iterations
        used += s_j.iterations
        if not s_j.converged and used < _FOLD_BUDGET:  # leaving a fold's end: ~250 maps
            s_j = _solve_fixed_x(model, xj, prev.state, rs, **opts)
            ev["walk"] += s_j.iterations
            used += s_j.iterations
        if not (s_j.converged and s_j.rsb):
            return None
        if _is_jump(s_j.state, prev.state, prev.state, 0.0, first=True):
            break
        prev = s_j
    else:
        return None
    if s_j.complexity >= 0.0 or not s_j.free_energy > last.free_energy:
        return None
    b2 = _newton_search(model, rs, s_j, opts, x_min, x_tol, ev)
    if b2 is None:
        counter = [0]
        b2, kind, _, _, _ = _walk(model, rs, s_j, dict(opts, counter=counter), x_min=x_min,
                                  x_tol=x_tol)
        ev["walk"] += counter[0]
        if kind != "interior":
            return None
    return (b2, s_j) if b2.free_energy > s_j.free_energy else None


def _with_count(sol, ev):
    ev = dict(ev)
    return replace(sol, iterations=int(sum(ev.values())), evaluations=ev)


def _follow_from(model, init, rs, opts, x_min, x_tol):
    """Follow ``init``'s branch (re-solved at ``init.x`` for this model) to its f maximum."""
    ev = {"x1_roots": 0, "walk": 0, "polish": 0, "coarse": 0}
    s0 = _solve_fixed_x(model, init.x, init.state, rs, **opts)
    ev["walk"] += s0.iterations
    if not (s0.converged and s0.rsb):
        return _with_count(replace(s0, converged=False, message=f"warm start from init at x = "
                                   f"{init.x:.6g} did not stay on a 1RSB branch: {s0.message}",
                                   branch="lost"), ev)
    best, kind, path, msg = _walk_branch(model, rs, s0, opts, x_min, x_tol, ev)
    br = RSB1Branch(index=0, at_one=s0, best=best, kind=kind, path=tuple(path), message=msg)
    ok = kind != "open"
    return _with_count(replace(best, converged=best.converged and ok,
                               message=("converged; " if ok else "") + msg,
                               branch=f"followed from init: {msg}", branches=(br,)), ev)


def _search(model, rs, opts, x_min, x_tol, extra=None):
    """Branch search at x = 1, walk of each branch, selection of the maximum of f."""
    ev = {"x1_roots": 0, "walk": 0, "polish": 0, "coarse": 0}
    counts = {}
    roots, _ = x1_roots(model, rs, counts=counts, **opts)
    ev["x1_roots"], ev["coarse"] = counts["full"], counts["coarse"]
    if extra is not None:  # a user start: solved at x = 1 and added if it is a new branch
        s = _solve_fixed_x(model, 1.0, extra, rs, **opts)
        ev["x1_roots"] += s.iterations
        if s.converged and s.rsb and not any(_same_point(s.state, r.state) for r in roots):
            roots.append(s)
    branches = []
    for i, r in enumerate(roots):
        best, kind, path, msg = _walk_branch(model, rs, r, opts, x_min, x_tol, ev)
        branches.append(RSB1Branch(index=i, at_one=r, best=best, kind=kind, path=tuple(path), message=msg))
    sol = _select(model, rs, opts, tuple(branches), ev)
    return _with_count(sol, ev)


def _select(model, rs, opts, branches, ev):
    """The thermodynamic solution among ``branches`` (maximum of ``f``), with the reason."""
    interior = [b for b in branches if b.kind == "interior"]
    if interior:
        win = max(interior, key=lambda b: b.free_energy)
        others = "" if len(branches) == 1 else f" ({len(branches)} branches at x = 1)"
        why = (f"branch {win.index} of {len(branches)} at x = 1 (q1 - q0 = "
               f"{win.at_one.q1 - win.at_one.q0:.4g} there): interior maximum of f at x* = {win.x:.6g}, "
               f"f - f_RS = {win.free_energy - rs.free_energy:.3e}{others}")
        return replace(win.best, message="converged; " + why, branch=why,
                       branches=branches)
    opened = [b for b in branches if b.kind == "open"]
    at1 = [b for b in branches if b.kind == "x=1"]
    if at1:
        win = max(at1, key=lambda b: b.best.complexity)
        why = (f"branch {win.index} of {len(branches)}: nontrivial at x = 1 with Sigma(1) = "
               f"{win.best.complexity:.4g} >= 0, no interior maximum of f: maximum at x = 1, f = f_RS")
        sol = replace(win.best, branch=why, branches=branches)
        if opened:
            return replace(sol, converged=False, message=f"{why}; but {opened[0].message}")
        return replace(sol, message="converged; df/dx > 0 up to x = 1: " + why)
    if opened:
        win = opened[0]
        return replace(win.best, converged=False, message=win.message,
                       branch=f"branch {win.index}: {win.message}", branches=branches)
    # no nontrivial branch at x = 1: the RS point itself (x is immaterial, reported as 1)
    rsmap = RSB1Map(model, 1.0)
    s = np.array([rs.m, rs.q, rs.q, rs.chi])
    sol = _build(model, 1.0, rsmap, s, rs.converged, 0, rs.residual, "", rs, opts["collapse_tol"])
    ev["polish"] += rsmap.evaluations
    why = "no nontrivial 1RSB branch at x = 1 (every root of the x = 1 equation is q1 = q0)"
    if rs.at >= 1.0:
        return replace(sol, converged=False, branch=why,
                       message=f"RS is AT-unstable (at = {rs.at:.4g}) but {why}")
    return replace(sol, message="RS: " + why, branch="RS")
