"""Replica-symmetric saddle point of quantized regression (SPEC §2).

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
import warnings
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._results import format_result
from .continuation import same_branch
from .errors import ConvergenceError  # noqa: F401  (re-exported: rs.ConvergenceError)
from .fixed_point import solve_fixed_point
from .model import Model
from .quadrature import N_OUT, gauss_expect, gauss_expect_inf
from .teachers import GaussianTeacher


# ---------------------------------------------------------------------------------------------
# compiled prior side: teacher average of the Gaussian single-site averages


@njit(cache=True)
def prior_side(levels, a, beta, mhat, qhat, t_values, t_probs, gauss_rho):
    """Teacher- and field-averaged single-site quantities.

    Returns ``[E phi, m, q, Q, chi, E bvar^2]``.  ``gauss_rho > 0`` selects the Gaussian
    teacher ``N(0, gauss_rho)`` (one average over ``h ~ N(0, mhat^2 rho + qhat)``, ``m`` by
    Stein's lemma ``m = mhat rho chi``); otherwise the discrete teacher ``(t_values, t_probs)``
    (one average per value, ``h | w0 ~ N(mhat w0, qhat)``).
    """
    out = np.zeros(6)
    tmp = np.empty(N_OUT)
    inf_beta = np.isinf(beta)
    if gauss_rho > 0.0:
        sig = math.sqrt(mhat * mhat * gauss_rho + qhat)
        if inf_beta:
            gauss_expect_inf(levels, a, 0.0, sig, tmp)
        else:
            gauss_expect(levels, a, beta, 0.0, sig, tmp)
        out[0] = tmp[0]
        out[2] = tmp[2]
        out[3] = tmp[3]
        out[4] = tmp[4]
        out[5] = tmp[5]
        out[1] = mhat * gauss_rho * tmp[4]
        return out
    sig = math.sqrt(qhat)
    for j in range(t_values.size):
        v = t_values[j]
        pj = t_probs[j]
        if inf_beta:
            gauss_expect_inf(levels, a, mhat * v, sig, tmp)
        else:
            gauss_expect(levels, a, beta, mhat * v, sig, tmp)
        out[0] += pj * tmp[0]
        out[1] += pj * v * tmp[1]
        out[2] += pj * tmp[2]
        out[3] += pj * tmp[3]
        out[4] += pj * tmp[4]
        out[5] += pj * tmp[5]
    return out


def _teacher_arrays(teacher):
    if isinstance(teacher, GaussianTeacher):
        return np.zeros(1), np.ones(1), float(teacher.rho)
    return teacher.values, teacher.probs, 0.0


# ---------------------------------------------------------------------------------------------
# channel side and observables (plain functions of the order parameters)


def channel_conjugates(alpha: float, rho: float, noise_var: float, m: float, q: float, chi: float):
    """``(mhat, qhat, Ahat)`` from the square-loss channel: SPEC §2."""
    mhat = alpha / (1.0 + chi)
    # divide twice instead of by (1 + chi)**2: no overflow (and no RuntimeWarning) when a
    # non-convergent iteration drives chi beyond 1e154; qhat then underflows quietly to 0
    qhat = mhat * (rho - 2.0 * m + q + noise_var) / (1.0 + chi)
    return mhat, max(qhat, 0.0), mhat


def free_energy_rs(model: Model, m, q, Q, chi, mhat, qhat, Ahat, e_phi) -> float:
    """RS free energy density ``f`` (SPEC §2) from order parameters, conjugates and ``E[phi]``."""
    a, beta, rho = model.alpha, model.beta, model.rho
    f = (-Ahat * Q / 2 + qhat * chi / 2 + mhat * m - e_phi
         + a / 2 * (rho - 2 * m + q + model.noise_var) / (1 + chi))
    if np.isfinite(beta):
        f += a / (2 * beta) * math.log1p(chi)
    return float(f)


def train_error_rs(model: Model, m, q, chi) -> float:
    """``(rho - 2m + q + noise_var)/(1+chi)^2 + chi/(beta (1+chi))``: mean squared training residual."""
    r = (model.rho - 2 * m + q + model.noise_var) / (1 + chi) / (1 + chi)  # no overflow at huge chi
    if np.isfinite(model.beta):
        r += chi / (model.beta * (1 + chi))
    return float(r)


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

    FIELDS = ("m", "q", "Q", "chi", "mhat", "qhat", "Ahat", "free_energy", "gen_error",
              "gen_error_mean", "train_error", "at")

    def as_dict(self) -> dict:
        """Plain dict of the numbers and the status (for JSON / tables)."""
        d = {k: float(getattr(self, k)) for k in self.FIELDS}
        d.update(rs_stable=bool(self.rs_stable), converged=bool(self.converged),
                 iterations=int(self.iterations), residual=float(self.residual),
                 message=self.message)
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


class RSMap:
    """The RS iteration ``(m, q, chi) -> prior side(channel side(m, q, chi))``.

    Calling it applies the undamped map (one step of state evolution); ``evaluate`` also
    returns the conjugates and the full prior-side vector ``[E phi, m, q, Q, chi, E bvar^2]``.
    """

    def __init__(self, model: Model):
        self.model = model
        self.levels = np.ascontiguousarray(model.levels, dtype=float)
        self.tv, self.tp, self.grho = _teacher_arrays(model.teacher)
        self.rho = model.rho

    def evaluate(self, x):
        m, q, chi = x
        M = self.model
        mhat, qhat, Ahat = channel_conjugates(M.alpha, self.rho, M.noise_var, m, q, chi)
        out = prior_side(self.levels, M.lam + Ahat, M.beta, mhat, qhat, self.tv, self.tp, self.grho)
        return (mhat, qhat, Ahat), out

    def __call__(self, x):
        _, out = self.evaluate(x)
        return np.array([out[1], out[2], out[4]])

    def feasible(self, x) -> bool:
        return feasible(x, self.rho)


def feasible(x, rho: float) -> bool:
    """Is ``x = (m, q, chi)`` a physical RS state: finite, ``q >= 0``, ``chi >= 0``, ``m^2 <= rho q``?"""
    m, q, chi = x
    return bool(math.isfinite(m) and math.isfinite(q) and math.isfinite(chi) and q >= 0.0
                and chi >= 0.0 and m * m <= rho * q * (1 + 1e-9) + 1e-300)


def _default_inits(model: Model):
    """Uninformed ``(0, 0, 0)`` and informed (``m`` near ``sqrt(rho q)``, small ``chi``) starts."""
    rho = model.rho
    qi = min(rho, float(np.max(model.levels ** 2)))
    return [np.zeros(3), np.array([0.999 * math.sqrt(rho * qi), qi, 1e-3])]


def _build_solution(model, rsmap, x, fp, branches=()):
    (mhat, qhat, Ahat), out = rsmap.evaluate(x)
    e_phi, m, q, Q, chi, e_bv2 = (float(v) for v in out)
    f = free_energy_rs(model, m, q, Q, chi, mhat, qhat, Ahat, e_phi)
    if np.isinf(model.beta):
        at = math.inf
    else:
        at = model.alpha / (1 + chi) ** 2 * e_bv2
    return RSSolution(
        model=model, m=m, q=q, Q=Q, chi=chi, mhat=mhat, qhat=qhat, Ahat=Ahat, free_energy=f,
        gen_error=model.rho - 2 * m + Q, gen_error_mean=model.rho - 2 * m + q,
        train_error=train_error_rs(model, m, q, chi), at=at, rs_stable=bool(at < 1.0),
        converged=fp.converged, iterations=fp.iterations, residual=fp.residual,
        message=fp.message, branches=tuple(branches))


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
    if not (0.0 < mixing <= 1.0) or math.isnan(mixing):
        raise ValueError(f"mixing must be in (0, 1], got {mixing}")
    if not tol > 0:
        raise ValueError(f"tol must be > 0, got {tol}")
    rsmap = RSMap(model)
    if isinstance(init, str):
        if init != "multi":
            raise ValueError(f"init must be None, a solution, a triple or 'multi', got {init!r}")
        starts = _default_inits(model)
    elif init is None:
        starts = [_default_inits(model)[0]]
    elif isinstance(init, RSSolution):
        starts = [init.x]
    else:
        x0 = np.asarray(init, dtype=float)
        if x0.shape != (3,) or not np.all(np.isfinite(x0)):
            raise ValueError("init must be a finite triple (m, q, chi)")
        starts = [x0]

    sols = []
    for x0 in starts:
        fp = _solve_from(rsmap, x0, mixing=mixing, tol=tol, max_iter=max_iter, anderson=anderson,
                         fallback=fallback)
        x = fp.x if np.all(np.isfinite(fp.x)) else x0
        sols.append(_build_solution(model, rsmap, x, fp))

    sol = _select_branch(sols)
    if not sol.converged:
        msg = (f"solve_rs did not converge for {model!r}: {sol.message}; "
               f"last iterate m={sol.m:.6g}, q={sol.q:.6g}, chi={sol.chi:.6g}")
        if strict:
            raise ConvergenceError(msg, sol)
        if warn:
            warnings.warn(msg, RuntimeWarning, stacklevel=2)
    return sol


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
    if np.isinf(model.beta) and x[2] > _CHI_DIVERGED:
        return (f"no finite saddle point: chi diverges (chi = {x[2]:.3e} > {_CHI_DIVERGED:g}); at "
                f"beta = inf the RS ground state interpolates (zero training error)")
    return None


def _solve_from(rsmap, x0, *, mixing, tol, max_iter, anderson, fallback):
    return solve_fixed_point(rsmap, x0, mixing=mixing, tol=tol, max_iter=max_iter, anderson=anderson,
                             feasible=rsmap.feasible, fallback=fallback,
                             reject=lambda x: _divergence(rsmap.model, x))


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
