"""A fixed-point driver done right: mixing, Anderson acceleration, undamped residual test.

``x_{t+1} = (1 - mixing) x_t + mixing F(x_t)`` (``mixing`` is the weight on the *new* value;
``mixing = 1`` is the plain iteration), optionally accelerated by Anderson mixing (type II,
depth ``anderson``).  Convergence is declared on the *undamped* residual
``max_i |F(x)_i - x_i| / max(1, |F(x)_i|)`` so that heavy damping cannot fake convergence.
"""
from __future__ import annotations

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
