"""A fixed-point driver done right: mixing, Anderson acceleration, undamped residual test.

``x_{t+1} = (1 - mixing) x_t + mixing F(x_t)`` (``mixing`` is the weight on the *new* value;
``mixing = 1`` is the plain iteration), optionally accelerated by Anderson mixing (type II,
depth ``anderson``).  Convergence is declared on the *undamped* residual
``max_i |F(x)_i - x_i| / max(1, |F(x)_i|)`` so that heavy damping cannot fake convergence.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Callable

import numpy as np


@dataclass(frozen=True)
class FixedPointResult:
    """Outcome of :func:`fixed_point`: last iterate ``x``, its image ``fx`` and the status."""

    x: np.ndarray
    fx: np.ndarray
    converged: bool
    iterations: int
    residual: float
    message: str
    history: tuple = field(default=(), repr=False)


def residual_norm(x: np.ndarray, fx: np.ndarray) -> float:
    """Undamped scaled residual ``max |fx - x| / max(1, |fx|)``."""
    return float(np.max(np.abs(fx - x) / np.maximum(1.0, np.abs(fx))))


def fixed_point(F: Callable[[np.ndarray], np.ndarray], x0, *, mixing: float = 0.5,
                tol: float = 1e-10, max_iter: int = 2000, anderson: int = 5,
                feasible: Callable[[np.ndarray], bool] | None = None,
                record: bool = False, patience: int | None = None) -> FixedPointResult:
    """Iterate ``x <- F(x)`` to a fixed point.

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
            return FixedPointResult(x, x, False, it, float(res),
                                    f"map returned a non-finite value at iteration {it}", tuple(hist))
        g = fx - x
        res = residual_norm(x, fx)
        if record:
            hist.append(res)
        if res < tol:
            return FixedPointResult(x, fx, True, it, res, "converged", tuple(hist))
        if res < 0.99 * best_seen:
            best_seen, best_it = res, it
        elif patience is not None and it - best_it > patience:
            return FixedPointResult(x, fx, False, it, res,
                                    f"stagnated: residual {res:.3e} not improving for {patience} iterations",
                                    tuple(hist))
        step = x + mixing * g
        if anderson > 0:
            if res > 10.0 * best:  # stagnation or blow-up: restart the history
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
                gamma, *_ = np.linalg.lstsq(dG, g, rcond=1e-12)
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
    return FixedPointResult(x, fx, False, max_iter, float(res),
                            f"no convergence in {max_iter} iterations (residual {res:.3e})", tuple(hist))


def solve_fixed_point(F: Callable[[np.ndarray], np.ndarray], x0, *, mixing: float = 0.5,
                      tol: float = 1e-10, max_iter: int = 2000, anderson: int = 5,
                      feasible: Callable[[np.ndarray], bool] | None = None, fallback: bool = True,
                      patience: int | None = 200, root_maxfev: int | None = None,
                      fallback_mixing: float = 0.1, fallback_max_iter: int | None = None,
                      reject: Callable[[np.ndarray], str | None] | None = None) -> FixedPointResult:
    """:func:`fixed_point`, and if it fails, two fallbacks judged on the same undamped residual.

    1. A Newton-type root of ``F(x) - x`` (MINPACK hybrd, ``scipy.optimize.root``) from the
       best iterate, accepted only if ``F``'s undamped residual there is below ``tol``.
    2. Plain damped iteration with ``fallback_mixing`` (no acceleration) for
       ``fallback_max_iter`` (default ``10 max_iter``) iterations.

    The first attempt stops early after ``patience`` iterations without progress.  ``reject(x)``
    may return a reason why an apparent fixed point is not acceptable (e.g. a divergent order
    parameter); such a point is never reported as converged and the last reason found becomes
    the message.  ``message`` names the method that converged; ``iterations`` counts all map
    evaluations.
    """
    def rejected(x):
        return reject(x) if reject is not None else None

    def ok(x):
        return bool(np.all(np.isfinite(x))) and (feasible is None or feasible(x))

    fp = fixed_point(F, x0, mixing=mixing, tol=tol, max_iter=max_iter, anderson=anderson,
                     feasible=feasible, patience=patience if fallback else None)
    if fp.converged and rejected(fp.x):
        fp = dataclasses.replace(fp, converged=False, message=rejected(fp.x))
    if fp.converged or not fallback:
        return fp
    from scipy.optimize import root

    start = fp.x if ok(fp.x) else np.asarray(x0, dtype=float)
    options = {} if root_maxfev is None else {"maxfev": int(root_maxfev)}
    xr, nfev = None, 0
    with np.errstate(all="ignore"):
        try:
            r = root(lambda x: F(x) - x if ok(x) else np.full(np.shape(x), 1e3), start,
                     method="hybr", tol=tol * 1e-2, options=options)
            xr, nfev = r.x, int(r.nfev)
        except (ValueError, FloatingPointError):  # pragma: no cover - defensive
            pass
    if xr is not None and ok(xr) and not rejected(xr):
        fx = np.asarray(F(xr), dtype=float)
        res = residual_norm(xr, fx)
        if res < tol:
            return FixedPointResult(xr, fx, True, fp.iterations + nfev + 1, res,
                                    "converged (root-finder fallback after the accelerated iteration failed)")
    n_fb = 10 * max_iter if fallback_max_iter is None else fallback_max_iter
    fp2 = fixed_point(F, start, mixing=fallback_mixing, tol=tol, max_iter=max(int(n_fb), 1),
                      anderson=0, feasible=feasible)
    it = fp.iterations + nfev + fp2.iterations
    if fp2.converged and not rejected(fp2.x):
        return FixedPointResult(fp2.x, fp2.fx, True, it, fp2.residual,
                                f"converged (damped fallback, mixing {fallback_mixing:g}, after the "
                                "accelerated iteration failed)")
    best = fp if fp.residual <= fp2.residual else fp2
    why = rejected(fp2.x) or rejected(fp.x)
    return FixedPointResult(best.x, best.fx, False, it, best.residual,
                            why or f"no convergence (accelerated, root-finder and damped attempts; "
                                   f"best residual {best.residual:.3e})")
