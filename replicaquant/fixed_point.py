"""A fixed-point driver done right: mixing, Anderson acceleration, undamped residual test.

``x_{t+1} = (1 - mixing) x_t + mixing F(x_t)`` (``mixing`` is the weight on the *new* value;
``mixing = 1`` is the plain iteration), optionally accelerated by Anderson mixing (type II,
depth ``anderson``).  Convergence is declared on the *undamped* residual
``max_i |F(x)_i - x_i| / max(1, |F(x)_i|)`` so that heavy damping cannot fake convergence.

Two implementations of the same iteration:

* :func:`anderson_loop` -- compiled (Numba), for a compiled map ``F(x, args) -> fx``.  The
  whole loop (map, residual, mixing, Anderson, feasibility guard, stagnation test) runs in
  machine code; the Anderson history lives in an :class:`AndersonState`-like workspace that the
  caller may keep and pass to the next solve (a warm start along a continuation).
* :func:`fixed_point` -- the same iteration in Python, for any Python callable.

:func:`solve_fixed_point` adds the fallback cascade (Newton-type root finder, then damped
iteration), judged on the same undamped residual.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numba import njit

from .convergence import INVALID, MAX_ITER, NON_FINITE, STAGNATED, SUCCESS

__all__ = ["FixedPointResult", "anderson_loop", "anderson_workspace", "always_feasible",
           "fixed_point", "residual_norm", "solve_fixed_point", "RESTART_FACTOR", "PROGRESS_FACTOR",
           "ANDERSON_RCOND", "ROOT_TOL_FACTOR", "ROOT_PENALTY"]

# ---------------------------------------------------------------------------------------------
# constants of the iteration (shared by the compiled and the Python loop)

#: the Anderson history is discarded when the residual exceeds this multiple of the best
#: residual seen so far: the secant information then describes a different region (blow-up,
#: or a jump between basins) and extrapolating with it makes things worse
RESTART_FACTOR = 10.0
#: "progress" for the stagnation test (``patience``): the best residual must shrink by at least
#: 1% (``res < PROGRESS_FACTOR * best``); smaller changes are rounding-level wandering
PROGRESS_FACTOR = 0.99
#: relative cut-off on the singular values in the Anderson least-squares problem (as
#: ``numpy.linalg.lstsq(rcond=...)``): directions this close to degenerate are ignored
ANDERSON_RCOND = 1e-12
#: the root-finder fallback works to ``ROOT_TOL_FACTOR * tol`` (MINPACK's ``xtol`` is a
#: relative *step* tolerance, not our residual) so that its answer passes the residual test
ROOT_TOL_FACTOR = 1e-2
#: value of ``F(x) - x`` returned to the root finder outside the feasible set: a large,
#: constant residual that pushes hybrd back without producing NaN inside MINPACK (the order
#: parameters are O(1), so 1e3 is far above any residual of a physical point)
ROOT_PENALTY = 1e3
#: a fallback damped run gets this many times the budget of the accelerated run
FALLBACK_BUDGET_FACTOR = 10


@dataclass(frozen=True)
class FixedPointResult:
    """Outcome of a fixed-point solve: last iterate ``x``, its image ``fx`` and the status.

    ``status`` is a code of :mod:`replicaquant.convergence` (``SUCCESS = 0``).
    """

    x: np.ndarray
    fx: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str
    history: tuple = field(default=(), repr=False)
    status: int = SUCCESS


@njit(cache=True)
def _residual(x, fx):
    r = 0.0
    for i in range(x.size):
        v = abs(fx[i] - x[i]) / max(1.0, abs(fx[i]))
        if v > r:
            r = v
    return r


def residual_norm(x: np.ndarray, fx: np.ndarray) -> float:
    """Undamped scaled residual ``max |fx - x| / max(1, |fx|)``."""
    return float(np.max(np.abs(fx - x) / np.maximum(1.0, np.abs(fx))))


# ---------------------------------------------------------------------------------------------
# compiled loop


@njit(cache=True)
def always_feasible(x, args):
    """The trivial feasibility predicate for :func:`anderson_loop` (every ``x`` is allowed)."""
    return True


def anderson_workspace(n: int, depth: int) -> tuple:
    """Workspace (Anderson history) of :func:`anderson_loop` for ``n`` unknowns.

    A tuple ``(dX, dG, prev, counters)``: the last ``depth`` differences of iterates and of
    residual vectors ``g = F(x) - x`` (rows, oldest first), ``prev = [x_prev; g_prev]`` and
    ``counters = [n_pairs, have_prev]``.  Fresh (empty) here; after a solve it holds the
    secant information of the last iterations and can seed the next solve (warm start).
    """
    depth = max(int(depth), 1)
    return (np.zeros((depth, n)), np.zeros((depth, n)), np.zeros((2, n)), np.zeros(2, dtype=np.int64))


@njit(cache=True)
def _anderson_coefficients(dG, g, k):
    """Minimum-norm least-squares ``gamma`` of ``dG[:k].T gamma ~ g`` (``lstsq``, ``rcond``)."""
    A = np.ascontiguousarray(dG[:k].T)
    return np.linalg.lstsq(A, g, rcond=ANDERSON_RCOND)[0]


@njit(cache=True)
def _all_finite(v):
    for i in range(v.size):
        if not np.isfinite(v[i]):
            return False
    return True


@njit(inline="always")
def anderson_loop(F, feasible, x0, args, mixing, tol, max_iter, depth, patience, ws):
    """Compiled damped / Anderson fixed-point iteration of ``x <- F(x, args)``.

    Step: ``x + mixing g`` with ``g = F(x) - x``; with ``depth > 0`` Anderson type II replaces it
    by ``x + mixing g - (dX + mixing dG) gamma`` with ``gamma`` the least-squares fit
    ``dG gamma ~ g`` over the last ``depth`` differences.  An accelerated step that is not
    finite or not ``feasible`` is dropped (history cleared); a step that is not ``feasible``
    is halved (``x + mixing g / 2``).  The history restarts when the residual exceeds
    ``RESTART_FACTOR`` times the best seen.  Identical, step by step, to :func:`fixed_point`.

    Parameters
    ----------
    F : @njit function ``F(x, args) -> fx``
        The map (a new array of the shape of ``x``).
    feasible : @njit function ``feasible(x, args) -> bool``
        Feasibility predicate (:func:`always_feasible` for none).
    x0 : float64 array
        Start (not modified).
    args : tuple
        Passed through to ``F`` and ``feasible``.
    mixing, tol, max_iter, depth
        As in :func:`fixed_point`; ``tol`` on the undamped scaled residual.
    patience : int
        Stop (``STAGNATED``) when the best residual has not dropped by 1% within ``patience``
        iterations; ``< 0`` disables the test.
    ws : tuple
        :func:`anderson_workspace` (``depth`` rows at least); updated in place and may come
        from an earlier solve: with ``counters[1] = 1`` (as left by a solve) the earlier
        solve's last iterate and history are continued (the same map); set ``counters[1] = 2``
        to carry only the history to a solve of a *neighbouring* map (continuation: the secant
        pairs describe nearly the same Jacobian and are used from the first step on, but no
        pair is formed across the two maps).

    Returns
    -------
    x, fx, status, iterations, residual
        ``status`` is a code of :mod:`replicaquant.convergence`; on ``NON_FINITE`` ``fx = x``.

    Notes
    -----
    Declared ``inline="always"``: call it from your own ``@njit(cache=True)`` wrapper that
    names ``F`` and ``feasible`` as globals (as ``rs._rs_solve`` does) and the whole loop is
    compiled once and cached.  Called with function *arguments* from Python it still works
    but is recompiled in every process (Numba cannot cache first-class function arguments).
    """
    dX, dG, prev, cnt = ws
    n = x0.size
    x = x0.copy()
    fx = x.copy()
    best = np.inf
    best_seen = np.inf
    best_it = 0
    res = np.inf
    nh = cnt[0] if depth > 0 else 0
    # counters[1]: 1 = ``prev`` holds the last iterate of an earlier solve of the same map (its
    # pair is formed at the first step); 2 = only the history carries over (a solve of a
    # neighbouring map along a continuation: its pairs are used from the first step on, no
    # pair is formed across the two maps)
    carried = cnt[1] == 2 and depth > 0 and nh > 0
    have_prev = cnt[1] == 1 and depth > 0
    if nh > depth:
        nh = depth
    for it in range(1, max_iter + 1):
        fx = F(x, args)
        if not _all_finite(fx):
            cnt[0] = nh
            cnt[1] = 1 if have_prev else 0
            return x, x.copy(), NON_FINITE, it, res
        g = fx - x
        res = _residual(x, fx)
        if res < tol:
            cnt[0] = nh
            cnt[1] = 1 if have_prev else 0
            prev[0, :] = x
            prev[1, :] = g
            return x, fx, SUCCESS, it, res
        if res < PROGRESS_FACTOR * best_seen:
            best_seen = res
            best_it = it
        elif patience >= 0 and it - best_it > patience:
            cnt[0] = nh
            cnt[1] = 1 if have_prev else 0
            return x, fx, STAGNATED, it, res
        step = x + mixing * g
        if depth > 0:
            if res > RESTART_FACTOR * best:
                nh = 0
                have_prev = False
            best = min(best, res)
            if have_prev or carried:
                if have_prev:
                    if nh == depth:  # drop the oldest pair
                        for j in range(depth - 1):
                            dX[j, :] = dX[j + 1, :]
                            dG[j, :] = dG[j + 1, :]
                        nh -= 1
                    dX[nh, :] = x - prev[0]
                    dG[nh, :] = g - prev[1]
                    nh += 1
                carried = False
                gamma = _anderson_coefficients(dG, g, nh)
                acc = step.copy()
                for j in range(nh):
                    for i in range(n):
                        acc[i] -= (dX[j, i] + mixing * dG[j, i]) * gamma[j]
                if _all_finite(acc) and feasible(acc, args):
                    step = acc
                else:
                    nh = 0
            prev[0, :] = x
            prev[1, :] = g
            have_prev = True
        if not feasible(step, args):
            step = x + 0.5 * mixing * g
        x = step
    cnt[0] = nh
    cnt[1] = 1 if have_prev else 0
    return x, fx, MAX_ITER, max_iter, res


# ---------------------------------------------------------------------------------------------
# Python loop


def fixed_point(F: Callable[[np.ndarray], np.ndarray], x0, *, mixing: float = 0.5,
                tol: float = 1e-10, max_iter: int = 2000, anderson: int = 5,
                feasible: Callable[[np.ndarray], bool] | None = None,
                record: bool = False, patience: int | None = None) -> FixedPointResult:
    """Iterate ``x <- F(x)`` to a fixed point (Python version of :func:`anderson_loop`).

    Parameters
    ----------
    F : callable
        The map; must return an array of the same shape (NaN/inf stops the iteration).
    x0 : array_like
        Starting point.
    mixing : float in (0, 1]
        Weight on the new value in the damped step.
    tol : float
        Tolerance on the undamped scaled residual.
    anderson : int
        Anderson depth (0 disables acceleration).
    feasible : callable, optional
        Predicate; an accelerated step that leaves the feasible set is replaced by the damped
        step and the Anderson history is reset.
    record : bool
        Keep the residual of every iteration in ``history``.
    patience : int, optional
        Stop early (not converged, message "stagnated") when the smallest residual seen has not
        decreased by 1% within this many iterations.
    """
    x = np.array(x0, dtype=float)
    dx_hist: list[np.ndarray] = []
    dg_hist: list[np.ndarray] = []
    prev_x = prev_g = None
    best = np.inf
    hist = []
    res = np.inf
    fx = x
    best_seen, best_it = np.inf, 0
    for it in range(1, max_iter + 1):
        fx = np.asarray(F(x), dtype=float)
        if not np.all(np.isfinite(fx)):
            return FixedPointResult(x, x, False, it, float(res), _message(NON_FINITE, it, res, patience),
                                    tuple(hist), NON_FINITE)
        g = fx - x
        res = residual_norm(x, fx)
        if record:
            hist.append(res)
        if res < tol:
            return FixedPointResult(x, fx, True, it, res, "converged", tuple(hist), SUCCESS)
        if res < PROGRESS_FACTOR * best_seen:
            best_seen, best_it = res, it
        elif patience is not None and it - best_it > patience:
            return FixedPointResult(x, fx, False, it, res, _message(STAGNATED, it, res, patience),
                                    tuple(hist), STAGNATED)
        step = x + mixing * g
        if anderson > 0:
            if res > RESTART_FACTOR * best:  # stagnation or blow-up: restart the history
                dx_hist.clear()
                dg_hist.clear()
                prev_x = prev_g = None
            best = min(best, res)
            if prev_x is not None:
                dx_hist.append(x - prev_x)
                dg_hist.append(g - prev_g)
                if len(dx_hist) > anderson:
                    dx_hist.pop(0)
                    dg_hist.pop(0)
                dG = np.stack(dg_hist, axis=1)
                dX = np.stack(dx_hist, axis=1)
                gamma, *_ = np.linalg.lstsq(dG, g, rcond=ANDERSON_RCOND)
                acc = step - (dX + mixing * dG) @ gamma
                if np.all(np.isfinite(acc)) and (feasible is None or feasible(acc)):
                    step = acc
                else:
                    dx_hist.clear()
                    dg_hist.clear()
            prev_x, prev_g = x, g
        if feasible is not None and not feasible(step):
            step = x + 0.5 * mixing * g
        x = step
    return FixedPointResult(x, fx, False, max_iter, float(res), _message(MAX_ITER, max_iter, res, patience),
                            tuple(hist), MAX_ITER)


def _message(status: int, it: int, res: float, patience) -> str:
    """The message of a :func:`fixed_point` / :func:`anderson_loop` outcome."""
    if status == SUCCESS:
        return "converged"
    if status == NON_FINITE:
        return f"map returned a non-finite value at iteration {it}"
    if status == STAGNATED:
        return f"stagnated: residual {res:.3e} not improving for {patience} iterations"
    return f"no convergence in {it} iterations (residual {res:.3e})"


# ---------------------------------------------------------------------------------------------
# fallback cascade


def solve_fixed_point(F: Callable[[np.ndarray], np.ndarray], x0, *, mixing: float = 0.5,
                      tol: float = 1e-10, max_iter: int = 2000, anderson: int = 5,
                      feasible: Callable[[np.ndarray], bool] | None = None, fallback: bool = True,
                      patience: int | None = 200, root_maxfev: int | None = None,
                      fallback_mixing: float = 0.1, fallback_max_iter: int | None = None,
                      reject: Callable[[np.ndarray], str | None] | None = None,
                      loop: Callable[..., FixedPointResult] | None = None,
                      first: FixedPointResult | None = None) -> FixedPointResult:
    """:func:`fixed_point`, and if it fails, two fallbacks judged on the same undamped residual.

    1. A Newton-type root of ``F(x) - x`` (MINPACK hybrd, ``scipy.optimize.root``) from the
       best iterate, accepted only if ``F``'s undamped residual there is below ``tol``.
    2. Plain damped iteration with ``fallback_mixing`` (no acceleration) for
       ``fallback_max_iter`` (default ``10 max_iter``) iterations.

    The first attempt stops early after ``patience`` iterations without progress.  ``reject(x)``
    may return a reason why an apparent fixed point is not acceptable (e.g. a divergent order
    parameter); such a point is never reported as converged and the last reason found becomes
    the message.  ``message`` names the method that converged; ``iterations`` counts all map
    evaluations.  ``loop(x0, *, mixing, tol, max_iter, anderson, patience)``, if given, runs
    the two iterations instead of :func:`fixed_point` (e.g. a compiled :func:`anderson_loop`
    specialisation; it must return a :class:`FixedPointResult`); ``F`` is then only used by the
    root finder.  An exception raised by the root finder is not fatal: the damped fallback runs
    and the exception is named in the final message if nothing converged.  ``first``, if given,
    is the outcome of the first attempt already run by the caller (the same ``loop`` call with
    these arguments): the cascade continues from it without repeating it.
    """
    if loop is None:
        def loop(x_start, **kw):
            return fixed_point(F, x_start, feasible=feasible, **kw)

    def rejected(x):
        return reject(x) if reject is not None else None

    def ok(x):
        return bool(np.all(np.isfinite(x))) and (feasible is None or feasible(x))

    if first is None:
        fp = loop(x0, mixing=mixing, tol=tol, max_iter=max_iter, anderson=anderson,
                  patience=patience if fallback else None)
    else:
        fp = first
    if fp.converged:
        why = rejected(fp.x)
        if why:
            fp = dataclasses.replace(fp, converged=False, message=why, status=INVALID)
    if fp.converged or not fallback:
        return fp
    from scipy.optimize import root

    start = fp.x if ok(fp.x) else np.asarray(x0, dtype=float)
    options = {} if root_maxfev is None else {"maxfev": int(root_maxfev)}
    xr, nfev, root_error = None, 0, None
    with np.errstate(all="ignore"):
        try:
            r = root(lambda x: F(x) - x if ok(x) else np.full(np.shape(x), ROOT_PENALTY), start,
                     method="hybr", tol=tol * ROOT_TOL_FACTOR, options=options)
            xr, nfev = r.x, int(r.nfev)
        except (ValueError, FloatingPointError, ArithmeticError) as exc:
            root_error = f"root finder raised {type(exc).__name__}: {exc}"
    if xr is not None and ok(xr) and not rejected(xr):
        fx = np.asarray(F(xr), dtype=float)
        res = residual_norm(xr, fx)
        if res < tol:
            return FixedPointResult(xr, fx, True, fp.iterations + nfev + 1, res,
                                    "converged (root-finder fallback after the accelerated iteration failed)")
    n_fb = FALLBACK_BUDGET_FACTOR * max_iter if fallback_max_iter is None else fallback_max_iter
    fp2 = loop(start, mixing=fallback_mixing, tol=tol, max_iter=max(int(n_fb), 1), anderson=0,
               patience=None)
    it = fp.iterations + nfev + fp2.iterations
    if fp2.converged and not rejected(fp2.x):
        return FixedPointResult(fp2.x, fp2.fx, True, it, fp2.residual,
                                f"converged (damped fallback, mixing {fallback_mixing:g}, after the "
                                "accelerated iteration failed)")
    best = fp if fp.residual <= fp2.residual else fp2
    why = rejected(fp2.x) or rejected(fp.x)
    msg = why or (f"no convergence (accelerated, root-finder and damped attempts; "
                  f"best residual {best.residual:.3e})")
    if root_error:
        msg += f"; {root_error}"
    return FixedPointResult(best.x, best.fx, False, it, best.residual, msg,
                            status=INVALID if why else best.status)
