"""Numerical continuation: follow one branch of solutions along a sequence of parameter values.

This is the one continuation primitive of the package.  Sweeps (:mod:`replicaquant.sweep`),
scans (:mod:`replicaquant.analysis`), the figures, the 1RSB ``x``-continuation and the
transition lines all walk a parameter axis with it.  The solver is a callable
``solve(value, init) -> solution``; the primitive decides *where to start* each solve and keeps
the books of which branch the walk is on.

* **Predictor.**  With ``x_j`` the state vectors (e.g. ``(m, q, chi)``) of the last converged
  points ``t_j`` of the current segment, the start of the next solve at ``t`` is

  - ``"previous"``:  ``x_{j}``;
  - ``"secant"``:    ``x_j + (x_j - x_{j-1}) (t - t_j)/(t_j - t_{j-1})`` (linear extrapolation);
  - ``"solution"``: the previous accepted *solution object* itself (not its state vector);
  - ``"quadratic"``: the Newton form ``secant + x[t_{j-2}, t_{j-1}, t_j] (t - t_j)(t - t_{j-1})``
    when its curvature term is at most half the secant step ``|secant - x_j|`` (max norm), else
    the secant;

  falling back to the previous state when fewer points are known, coordinates coincide or are
  not finite, or the prediction is not ``feasible``.
* **Retries.**  If the predicted start does not converge, ``fallbacks`` (e.g. ``(None,
  "multi")``: cold start, then multi-start) are tried in order, skipping starts equal to one
  already tried.  After a fallback the predictor history restarts at the new point (a retry may
  have changed branch); after a point where every attempt failed the next point restarts from
  ``init``.  If nothing converged, the attempt of smallest ``residual`` is kept.
* **Same branch.**  :func:`same_branch` is *the* definition used everywhere (sweeps, multi-start
  branch selection in :func:`replicaquant.rs.solve_rs`, counting coexisting branches): two states
  are the same fixed point iff ``sum_k |a_k - b_k| <= atol + rtol max(1, sum|a_k|, sum|b_k|)``
  (defaults ``rtol = 1e-6``, ``atol = 1e-9``; i.e. absolute ``~1e-6`` for states of size up to 1,
  relative beyond).
* **Branch jumps.**  A converged step with a trend (at least two history points, real
  coordinates) is measured against the extrapolation ``p`` of the trend (quadratic through the
  last three points, the secant through two when only two are known)::

      r = (|x - p| - tol_same) / max(|s - x_j|, |c|)

  (max norms; ``s`` the secant, ``c`` the curvature term of the quadratic, ``tol_same`` the
  :func:`same_branch` tolerance at ``x``): the error of the next order in units of the trend's
  first- and second-order increments.  On a smooth branch ``r = O(h)`` (``h`` the step; also at
  an extremum of the state, where the first-order increment vanishes), at a fold (a branch
  that ends) the error stays ``O(1)`` as ``h -> 0``.  ``r > jump_ratio`` (default 2) marks the
  step ``branch_changed=True``.  With ``max_halvings > 0`` a step with ``r > halve_ratio``
  (default 0.25) or that does not converge is re-walked in two half steps, recursively up to
  ``max_halvings`` levels: a branch that merely turned is then followed (also when the coarse
  step had silently landed on another branch closer to the prediction), a branch that ends
  still jumps in the last sub-step.  ``on_jump="stop"`` ends the walk after the jump
  (spinodals, transition lines), ``"flag"`` continues on the new branch with a fresh predictor
  history.  Steps without a trend (the first step, right after a restart) are not judged.
* **Smooth steps and retracing (hysteresis).**  A step is *smooth* when the predicted start
  converged (no halving) within ``smooth_ratio = 0.1`` of the step, ``|x - x_pred| <= 0.1 |x -
  x_prev|`` (or ``<= 1e-9 max(1, |x|)``).  :func:`hysteresis` walks forward, then backward with
  ``retrace=`` the forward walk: while the backward walk sits on the forward solution at the
  previous point and the forward step between the two points was smooth, continuing backwards
  would only retrace that step, so the forward solution is taken without a solve
  (``attempt="reused"``).  Where the two walks end on different states both branches coexist
  (a first-order transition's hysteresis window).

Nothing here knows about the replica equations: states are 1-D float arrays obtained from the
solutions by ``state`` (default: ``solution.state_vector``, else ``.state``, else ``.x``).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

__all__ = ["same_branch", "branch_tolerance", "state_of", "predict", "follow", "hysteresis",
           "Step", "ContinuationResult", "Hysteresis", "PREDICTORS", "ATTEMPTS",
           "SAME_BRANCH_RTOL", "SAME_BRANCH_ATOL", "SMOOTH_RATIO", "SMOOTH_FLOOR", "HISTORY",
           "JUMP_RATIO", "HALVE_RATIO"]

#: default tolerances of :func:`same_branch`
SAME_BRANCH_RTOL = 1e-6
SAME_BRANCH_ATOL = 1e-9
#: predictor names accepted by :func:`follow`
PREDICTORS = ("previous", "secant", "quadratic", "solution")
#: ``Step.attempt`` values: the walk's (re)start, the predicted start, a fallback, retraced
ATTEMPTS = ("init", "predicted", "fallback", "reused")

#: smooth step (certifies retracing): ``|x - x_pred| <= SMOOTH_RATIO |x - x_prev|`` ...
SMOOTH_RATIO = 0.1
#: ... or ``|x - x_pred| <= SMOOTH_FLOOR max(1, |x|)`` (max norms; a step at rounding level)
SMOOTH_FLOOR = 1e-9
#: points kept for the predictor (the quadratic needs three)
HISTORY = 3
#: default ``jump_ratio`` of :func:`follow`: a prediction error above twice the trend's
#: increments is a branch change (on a smooth branch the ratio is O(step))
JUMP_RATIO = 2.0
#: default ``halve_ratio``: above a quarter of the trend's increments a step is re-walked in halves
HALVE_RATIO = 0.25
_SMOOTH_RATIO, _SMOOTH_FLOOR, _HISTORY = SMOOTH_RATIO, SMOOTH_FLOOR, HISTORY  # old private names


# ---------------------------------------------------------------------------------------------
# states and branch identity


def state_of(obj) -> np.ndarray:
    """The state vector of a solution (or of an array): a 1-D float array.

    Looks for ``state_vector``, then ``state``, then ``x`` (the first that is array-like with at
    least one entry); plain sequences are converted.  Raises ``TypeError`` otherwise (pass
    ``state=`` to :func:`follow`).
    """
    if isinstance(obj, np.ndarray) or isinstance(obj, (list, tuple)):
        return np.atleast_1d(np.asarray(obj, dtype=float))
    for name in ("state_vector", "state", "x"):
        v = getattr(obj, name, None)
        if v is None or callable(v):
            continue
        arr = np.asarray(v, dtype=float)
        if arr.ndim == 1 and arr.size >= 1:
            return arr
    raise TypeError(f"state: cannot read a state vector from {type(obj).__name__} "
                    "(give follow(..., state=lambda s: ...))")


def _vec(x) -> tuple:
    """A state as a tuple of Python floats (the walk's arithmetic is on these: states are
    short, and plain floats are several times faster than NumPy reductions on 3-vectors)."""
    if type(x) is tuple:  # the fast path: states given as tuples of numbers
        return x
    if isinstance(x, np.ndarray):
        return tuple(x.ravel().tolist())
    return tuple(state_of(x).tolist())


def _l1(a) -> float:
    return sum([abs(v) for v in a])


def _maxabs(a) -> float:
    return max([abs(v) for v in a]) if a else 0.0


def _maxdiff(a, b) -> float:
    return max([abs(u - v) for u, v in zip(a, b)]) if a else 0.0


def _finite(a) -> bool:
    return math.isfinite(sum([abs(v) for v in a]))  # inf/nan propagate (overflow counts as inf)


def branch_tolerance(a, b=None, *, rtol: float = SAME_BRANCH_RTOL,
                     atol: float = SAME_BRANCH_ATOL) -> float:
    """``atol + rtol max(1, sum|a_k|, sum|b_k|)``: the distance below which states are one branch."""
    a = _vec(a)
    scale = max(1.0, _l1(a), _l1(_vec(b)) if b is not None else 0.0)
    return atol + rtol * scale


def same_branch(state_a, state_b, *, rtol: float = SAME_BRANCH_RTOL,
                atol: float = SAME_BRANCH_ATOL) -> bool:
    """Are two states the same fixed point?  THE definition used across the package.

    ``sum_k |a_k - b_k| <= atol + rtol max(1, sum_k |a_k|, sum_k |b_k|)``

    Parameters
    ----------
    state_a, state_b : array_like or solution
        State vectors, or solutions (read with :func:`state_of`).
    rtol, atol : float
        Relative (to ``max(1, |a|_1, |b|_1)``) and absolute tolerance; the defaults (1e-6, 1e-9)
        sit far above the disagreement of two solves of one fixed point to ``tol = 1e-11``
        (``~1e-9``) and far below the distance of distinct branches.

    Returns
    -------
    bool
        Symmetric in ``a, b``; non-finite states are the same only if exactly equal.
    """
    a, b = _vec(state_a), _vec(state_b)
    if len(a) != len(b):
        return False
    d = sa = sb = 0.0
    for u, v in zip(a, b):
        d += abs(u - v)
        sa += abs(u)
        sb += abs(v)
    if not (math.isfinite(sa) and math.isfinite(sb)):  # a non-finite entry: only exact equality
        return bool(a == b)
    return d <= atol + rtol * max(1.0, sa, sb)


# ---------------------------------------------------------------------------------------------
# predictor


def _extrapolate(hist, t):
    """``(secant, curvature term or None)`` at ``t`` from the last two/three history points;
    ``None`` when the last two coordinates (and ``t``) are not finite and distinct."""
    if len(hist) < 2 or t is None or not math.isfinite(t):
        return None
    (t1, x1), (t2, x2) = hist[-2], hist[-1]
    if t1 is None or t2 is None or not (math.isfinite(t1) and math.isfinite(t2)) \
            or t1 == t2 or t == t2 or t == t1:
        return None
    f = (t - t2) / (t2 - t1)
    lin = [b + (b - a) * f for a, b in zip(x1, x2)]
    curv = None
    if len(hist) >= 3:
        t0, x0 = hist[-3]
        if t0 is not None and math.isfinite(t0) and t0 != t1 and t0 != t2 and t0 != t:
            w = (t - t2) * (t - t1)
            curv = [((c - b) / (t2 - t1) - (b - a) / (t1 - t0)) / (t2 - t0) * w
                    for a, b, c in zip(x0, x1, x2)]
    return lin, curv


def _predict(hist, t, predictor: str, ext=None):
    """Prediction (tuple of floats) from ``hist = [(t_j, vec_j)]``; ``None``: use the last state.
    ``ext``: :func:`_extrapolate` already computed."""
    if predictor in ("previous", "solution"):
        return None
    if ext is None:
        ext = _extrapolate(hist, t)
    if ext is None:
        return None
    lin, curv = ext
    pred = lin
    if predictor == "quadratic" and curv is not None:
        x2 = hist[-1][1]
        if max([abs(v) for v in curv]) <= 0.5 * max([abs(u - v) for u, v in zip(lin, x2)]):
            pred = [u + v for u, v in zip(lin, curv)]
    return tuple(pred) if _finite(pred) else None


def predict(hist, t, predictor: str = "secant", feasible: Callable | None = None):
    """Predicted state at coordinate ``t`` from ``hist = [(t_j, x_j), ...]`` (oldest first).

    See the module docstring for the three predictors.  Returns the last state (an array) when
    the history is too short, coordinates coincide or are not finite, or ``feasible(prediction)``
    is False.
    """
    vh = [(tj, _vec(xj)) for tj, xj in hist]
    pred = _predict(vh, t, predictor)
    if pred is None:
        return np.array(vh[-1][1])
    arr = np.array(pred)
    if feasible is not None and not feasible(arr):
        return np.array(vh[-1][1])
    return arr


def _trend_scale(hist, t, ext=None):
    """``(reference, scale)`` of the jump test, or ``None`` when there is no trend.

    ``reference``: the quadratic extrapolation through the last three points (the secant through
    two when only two are usable); ``scale = max(|s - x_j|, |c|)`` with ``s`` the secant and ``c``
    the curvature term of the quadratic (the first- and second-order increments of the trend).
    """
    if ext is None:
        ext = _extrapolate(hist, t)
    if ext is None:
        return None
    lin, curv = ext
    x2 = hist[-1][1]
    scale = max([abs(u - v) for u, v in zip(lin, x2)])
    if curv is None:
        return lin, scale
    return [u + v for u, v in zip(lin, curv)], max(scale, max([abs(v) for v in curv]))


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class Step:
    """One point of a continuation walk.

    Attributes
    ----------
    value : object
        The parameter value (as given in ``values``).
    solution : object
        What ``solve`` returned (the accepted attempt).
    attempt : str
        ``"init"`` (the walk's start, or a restart after a failed point), ``"predicted"``
        (warm start from the predictor), ``"fallback"`` (``fallbacks[fallback]`` after the
        predicted start failed) or ``"reused"`` (retraced, no solve).
    branch_changed : bool
        The step jumped off the branch the walk was on (see the module docstring).
    smooth : bool
        The predicted start converged within a tenth of the step (certifies retracing).
    fallback : int
        Index into ``fallbacks`` when ``attempt == "fallback"``, else -1.
    halvings : int
        Depth of step halving used to reach this point (0: the plain step).
    solves : int
        Calls of ``solve`` made for this point (0 when reused; sub-steps included).
    prediction_error : float
        ``max|x - x_pred|`` of the accepted solution (``nan`` when there was no prediction).
    accepted : bool
        The solution converged and passed ``accept`` (it continues the walk).
    """

    value: Any
    solution: Any = field(repr=False)
    attempt: str
    accepted: bool = True
    branch_changed: bool = False
    smooth: bool = False
    fallback: int = -1
    halvings: int = 0
    solves: int = 1
    prediction_error: float = math.nan

    @property
    def converged(self) -> bool:
        return bool(getattr(self.solution, "converged", False))


@dataclass(frozen=True)
class ContinuationResult:
    """A continuation walk: one :class:`Step` per value walked, in walk order.

    Attributes
    ----------
    steps : tuple of Step
    complete : bool
        Every value was walked (False only with ``on_jump="stop"`` after a jump).
    message : str
        Status in words: points that did not converge, branch changes, where the walk stopped.
    """

    steps: tuple
    complete: bool
    message: str

    @property
    def values(self) -> tuple:
        return tuple(s.value for s in self.steps)

    @property
    def solutions(self) -> tuple:
        return tuple(s.solution for s in self.steps)

    @property
    def converged(self) -> bool:
        """Every value was walked and every step was accepted (converged)."""
        return bool(self.complete and all(s.accepted for s in self.steps))

    @property
    def branch_changes(self) -> tuple:
        """Indices (into ``steps``) of the steps that changed branch."""
        return tuple(i for i, s in enumerate(self.steps) if s.branch_changed)

    @property
    def solves(self) -> int:
        return int(sum(s.solves for s in self.steps))


@dataclass(frozen=True)
class Hysteresis:
    """Forward and backward walks over the same values (see :func:`hysteresis`).

    Attributes
    ----------
    values : tuple
        The values, in the order given.
    forward, backward : ContinuationResult
        The walks; ``backward`` walks ``values`` in reverse.
    coexist : tuple of bool
        Aligned with ``values``: both walks were accepted there and their states are not
        :func:`same_branch` (two branches; computed on first access).
    """

    values: tuple
    forward: ContinuationResult
    backward: ContinuationResult
    state: Callable = field(default=None, repr=False, compare=False)
    tolerances: dict = field(default_factory=dict, repr=False, compare=False)

    def aligned(self):
        """``(forward_steps, backward_steps)`` both aligned with ``values`` (``None`` where not walked)."""
        n = len(self.values)
        fwd = list(self.forward.steps) + [None] * (n - len(self.forward.steps))
        bwd = [None] * n
        for j, s in enumerate(self.backward.steps):
            bwd[n - 1 - j] = s
        return fwd, bwd

    @functools.cached_property
    def coexist(self) -> tuple:
        st = self.state or state_of
        f_al, b_al = self.aligned()
        return tuple(bool(a is not None and b is not None and a.accepted and b.accepted
                          and not same_branch(st(a.solution), st(b.solution), **self.tolerances))
                     for a, b in zip(f_al, b_al))


# ---------------------------------------------------------------------------------------------
# the walk


def _real(v) -> bool:
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))


def _lerp(a, b, f):
    return a + (b - a) * f


def _same_start(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    try:
        return bool(a is b or (type(a) is type(b) and a == b))
    except Exception:  # noqa: BLE001 - objects without a usable ==
        return a is b


def _residual(sol) -> float:
    r = getattr(sol, "residual", math.inf)
    try:
        r = float(r)
    except (TypeError, ValueError):
        return math.inf
    return r if not math.isnan(r) else math.inf


def follow(values: Sequence, solve: Callable, *, init=None, state: Callable | None = None,
           predictor: str = "secant", fallbacks: Sequence = (), init_fallbacks: Sequence | None = None,
           max_halvings: int = 0, on_jump: str = "flag", coords: Sequence | None = None,
           feasible: Callable | None = None, accept: Callable | None = None,
           between: Callable | None = None, restart: str = "init", max_failures: int | None = None,
           jump_ratio: float = JUMP_RATIO, halve_ratio: float = HALVE_RATIO, smooth_ratio: float = SMOOTH_RATIO,
           rtol: float = SAME_BRANCH_RTOL, atol: float = SAME_BRANCH_ATOL,
           retrace: ContinuationResult | None = None, stop: Callable | None = None) -> ContinuationResult:
    """Follow a branch of ``solve`` along ``values`` with predictor warm starts.

    Parameters
    ----------
    values : sequence
        Parameter values in walk order (numbers, or any objects such as models).
    solve : callable
        ``solve(value, init) -> solution`` with a ``.converged`` attribute (and ideally
        ``.residual``).  ``init`` is ``init`` (first point / restarts), a predicted state vector
        (``ndarray``), or an entry of ``fallbacks``.  Must not warn or raise on non-convergence.
    init : object
        Start of the walk and of every restart after a failed point (e.g. ``None`` or
        ``"multi"``, a solution, a state vector).
    state : callable, optional
        ``state(solution) -> 1-D array`` (default :func:`state_of`).
    predictor : {"previous", "secant", "quadratic", "solution"}
        Warm-start predictor (module docstring); ``"solution"`` passes the previous accepted
        *solution object* as ``init`` (for solvers whose solutions carry more than the state,
        e.g. ``solve_1rsb``'s Parisi ``x`` and branch; jumps are still judged on states).
    fallbacks : sequence
        Starts tried in order when the predicted start is not accepted (starts equal to one
        already tried are skipped).
    init_fallbacks : sequence, optional
        Starts tried when the ``init`` start is not accepted (default: ``fallbacks``; ``()``
        when ``init`` is already the most robust start, e.g. a multi-start).
    max_halvings : int
        Recursion depth of step halving for a step that jumps branch or does not converge
        (0: none; each level at most doubles the solves of that step).  Needs real ``values``
        (or ``between``).
    on_jump : {"flag", "stop"}
        After a branch change: continue on the new branch, or end the walk there.
    coords : sequence of float or None, optional
        Coordinates for the predictor (default: the values themselves where real, else
        ``None``: no extrapolation, the previous state is used).
    feasible : callable, optional
        ``feasible(state, value) -> bool``; an infeasible prediction is replaced by the previous
        state.
    accept : callable, optional
        ``accept(solution) -> bool``: whether a converged solution may continue the walk
        (default: every converged one), e.g. to reject a divergent ``chi``.
    between : callable, optional
        ``between(value_a, value_b, fraction) -> value`` for halving with non-real values
        (default: linear interpolation of real values).
    restart : {"init", "last"}
        After a point that is not accepted: restart from ``init`` (a fresh segment), or keep
        predicting from the last accepted points (skip the bad point).
    max_failures : int, optional
        End the walk (``complete=False``) after this many consecutive points not accepted.
    jump_ratio : float
        A converged step whose prediction error exceeds ``jump_ratio`` times the trend's
        increments is a branch change (default 2; module docstring).
    halve_ratio : float
        With ``max_halvings > 0``, a step whose prediction error exceeds ``halve_ratio`` times
        the trend's increments (or that does not converge) is re-walked in two halves
        (default 0.25).
    smooth_ratio : float
        Smooth-step criterion (default 0.1).
    rtol, atol : float
        :func:`same_branch` tolerances (also the noise floor of the jump test).
    retrace : ContinuationResult, optional
        A complete walk over the same values in reverse order (see :func:`hysteresis`).
    stop : callable, optional
        ``stop(previous_solution, solution) -> bool``, called after every accepted step that
        follows an accepted one: ``True`` ends the walk there (``complete=False``), e.g. when
        the two bracket a root of a scalar along the branch.

    Returns
    -------
    ContinuationResult

    Examples
    --------
    >>> import numpy as np
    >>> from replicaquant import Model, solve_rs
    >>> from replicaquant.continuation import follow
    >>> base = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    >>> walk = follow(np.linspace(0.5, 3.0, 11),
    ...               lambda a, init: solve_rs(base.replace(alpha=a), init=init, warn=False),
    ...               init="multi", fallbacks=(None, "multi"), state=lambda s: s.x)
    >>> walk.converged, [s.attempt for s in walk.steps][:3]
    (True, ['init', 'predicted', 'predicted'])
    """
    values = list(values)
    n = len(values)
    if predictor not in PREDICTORS:
        raise ValueError(f"predictor must be one of {PREDICTORS}, got {predictor!r}")
    if on_jump not in ("flag", "stop"):
        raise ValueError(f"on_jump must be 'flag' or 'stop', got {on_jump!r}")
    if restart not in ("init", "last"):
        raise ValueError(f"restart must be 'init' or 'last', got {restart!r}")
    for name, v, low in (("max_halvings", max_halvings, 0), ("max_failures", max_failures, 1)):
        if v is None and name == "max_failures":
            continue
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {v!r}")
    for name, v in (("jump_ratio", jump_ratio), ("halve_ratio", halve_ratio),
                    ("smooth_ratio", smooth_ratio), ("rtol", rtol), ("atol", atol)):
        if not (isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")
    if coords is None:
        coords = [float(v) if _real(v) else None for v in values]
    else:
        coords = [None if c is None else float(c) for c in coords]
        if len(coords) != n:
            raise ValueError(f"coords must have one entry per value ({n}), got {len(coords)}")
    if retrace is not None and (len(retrace.steps) != n or not retrace.complete):
        raise ValueError("retrace must be a complete walk over the same values (reverse order)")
    state = state_of if state is None else state
    fallbacks = tuple(fallbacks)
    init_fallbacks = fallbacks if init_fallbacks is None else tuple(init_fallbacks)
    if between is None:
        def between(a, b, f):
            return _lerp(float(a), float(b), f)
        halvable = all(_real(v) for v in values)
    else:
        halvable = True
    walk = _Walk(solve, state=state, predictor=predictor, feasible=feasible, accept=accept,
                 between=between, halvable=halvable and max_halvings > 0, max_halvings=max_halvings,
                 jump_ratio=jump_ratio, halve_ratio=halve_ratio, rtol=rtol, atol=atol)

    steps: list[Step] = []
    hist: list = []
    prev_sol = prev_value = None
    prev_ok = False
    stopped_at = None
    stopped_by = "jump"
    failures = 0
    for j, value in enumerate(values):
        t = coords[j]
        walk.solves = 0
        if retrace is not None and j > 0 and prev_ok:
            reused = walk.retraced(retrace.steps[n - j], retrace.steps[n - 1 - j], prev_sol, value)
            if reused is not None:
                steps.append(reused)
                hist = (hist + [(t, walk.anchor(_vec(state(reused.solution)), reused.solution))])[-_HISTORY:]
                prev_sol, prev_value, prev_ok, failures = reused.solution, value, True, 0
                continue
        if not hist:
            step, x = walk.start(value, init, init_fallbacks)
            new_hist = [(t, x)]
        else:
            step, x, new_hist = walk.step(hist, prev_value, value, t, fallbacks, smooth_ratio)
        steps.append(step)
        if not step.accepted:
            failures += 1
            prev_ok = False
            if restart == "init":
                hist = []
            if max_failures is not None and failures >= max_failures:
                break
            continue
        hist = new_hist
        stop_here = stop is not None and prev_ok and bool(stop(prev_sol, step.solution))
        prev_sol, prev_value, prev_ok, failures = step.solution, value, True, 0
        if (step.branch_changed and on_jump == "stop") or stop_here:
            stopped_at = j
            stopped_by = "stop" if stop_here else "jump"
            break
    return ContinuationResult(tuple(steps), len(steps) == n and stopped_at is None,
                              _message(steps, n, stopped_at, stopped_by))


class _Walk:
    """The rules of one :func:`follow` walk (its options as attributes): which start to try,
    when a solution is accepted, when a step jumped branch, step halving.  ``solves`` counts
    the calls of ``solve`` since it was last reset (per point)."""

    def __init__(self, solve, *, state, predictor, feasible, accept, between, halvable,
                 max_halvings, jump_ratio, halve_ratio, rtol, atol):
        self.solve, self.state, self.predictor = solve, state, predictor
        self.feasible, self.accept, self.between = feasible, accept, between
        self.halvable, self.max_halvings = halvable, max_halvings
        self.jump_ratio, self.halve_ratio, self.rtol, self.atol = jump_ratio, halve_ratio, rtol, atol
        self.solves = 0
        self.anchors: dict = {}  # id(state tuple in the history) -> (tuple, its solution), for "solution"

    def call(self, value, start):
        self.solves += 1
        return self.solve(value, start)

    def good(self, sol) -> bool:
        """Converged and passes ``accept``: the solution may continue the walk."""
        return bool(getattr(sol, "converged", False)) and (self.accept is None or bool(self.accept(sol)))

    def anchor(self, x, sol):
        """Remember which solution the history entry ``x`` came from (predictor ``"solution"``)."""
        self.anchors[id(x)] = (x, sol)
        return x

    def ratio(self, x, hist, t, ext=None):
        """Prediction error of ``x`` against the trend of ``hist`` (units of the trend's
        increments); ``None`` without a trend, ``inf`` when the trend does not move but ``x`` did."""
        ts = _trend_scale(hist, t, ext) if t is not None else None
        if ts is None:
            return None
        ref, scale = ts
        err = _maxdiff(x, ref) - (self.atol + self.rtol * max(1.0, _l1(x)))
        if err <= 0.0:
            return 0.0
        return err / scale if scale > 0.0 else math.inf

    def attempts(self, value, first_sol, first_start, starts):
        """``first`` then ``starts`` (skipping repeats) until one is accepted; else the smallest
        residual.  Returns ``(solution, attempt_index)`` (-1: the first)."""
        tried = [(first_sol, first_start, -1)]
        if self.good(first_sol):
            return first_sol, -1
        for k, start in enumerate(starts):
            if any(_same_start(start, c[1]) for c in tried):
                continue
            cand = self.call(value, start)
            tried.append((cand, start, k))
            if self.good(cand):
                return cand, k
        best = min(tried, key=lambda c: _residual(c[0]))
        return best[0], best[2]

    def predicted_start(self, hist, v_to, t_to, ext):
        """``(start passed to solve, prediction as a state tuple)`` at ``t_to`` from ``hist``."""
        if self.predictor == "solution":  # the previous solution object itself is the start
            pv = hist[-1][1]
            entry = self.anchors.get(id(pv))
            return (entry[1] if entry is not None and entry[0] is pv else np.array(pv)), pv
        pv = _predict(hist, t_to, self.predictor, ext)
        start = np.array(pv if pv is not None else hist[-1][1])
        if pv is not None and self.feasible is not None and not self.feasible(start, v_to):
            pv, start = None, np.array(hist[-1][1])
        return start, (pv if pv is not None else hist[-1][1])

    def reach(self, hist, v_from, t_from, v_to, t_to, depth):
        """Predicted solve at ``v_to`` from ``hist``; a failed or suspicious step (prediction
        error above ``halve_ratio``) is re-walked in two halves, recursively.

        Returns ``(solution, state, prediction, jumped, new_hist, depth_used)``; ``new_hist`` is
        ``None`` when the solution was not accepted.
        """
        ext = _extrapolate(hist, t_to)
        start, pv = self.predicted_start(hist, v_to, t_to, ext)
        sol = self.call(v_to, start)
        ok = self.good(sol)
        x = self.anchor(_vec(self.state(sol)), sol) if ok else None
        r = self.ratio(x, hist, t_to, ext) if ok else None
        jumped = r is not None and r > self.jump_ratio
        suspicious = (not ok) or (r is not None and r > self.halve_ratio)

        def plain():
            if not ok:
                return sol, x, pv, False, None, depth
            nh = [(t_to, x)] if jumped else (hist + [(t_to, x)])[-_HISTORY:]
            return sol, x, pv, jumped, nh, depth

        if (not suspicious or depth >= self.max_halvings or not self.halvable or t_from is None
                or t_to is None):
            return plain()
        v_mid, t_mid = self.between(v_from, v_to, 0.5), 0.5 * (t_from + t_to)
        m = self.reach(hist, v_from, t_from, v_mid, t_mid, depth + 1)
        if m[4] is None:  # the first half is not accepted: keep the full step
            return plain()
        second = self.reach(m[4], v_mid, t_mid, v_to, t_to, depth + 1)
        if m[3] and second[4] is not None:  # the branch ended in the first half
            return second[:3] + (True, [(t_to, second[1])], second[5])
        return second

    def retraced(self, f_prev, f_here, prev_sol, value):
        """The retraced walk's solution at ``value`` as a ``"reused"`` step, if the walk sits on
        the retraced solution of the previous point and that step was smooth; else ``None``."""
        if (f_prev.smooth and f_here.accepted
                and same_branch(self.state(prev_sol), self.state(f_prev.solution), rtol=self.rtol, atol=self.atol)):
            return Step(value, f_here.solution, "reused", solves=0)
        return None

    def start(self, value, init, init_fallbacks):
        """``(Step, state)`` of a (re)start of the walk from ``init`` (state ``None`` if not accepted)."""
        first = self.call(value, init)
        sol, k = self.attempts(value, first, init, init_fallbacks)
        ok = self.good(sol)
        step = Step(value, sol, "init" if k < 0 else "fallback", accepted=ok, fallback=k, solves=self.solves)
        return step, (self.anchor(_vec(self.state(sol)), sol) if ok else None)

    def step(self, hist, prev_value, value, t, fallbacks, smooth_ratio):
        """``(Step, state, new history)`` of a predicted step from the last point of ``hist``:
        :meth:`reach`, then ``fallbacks`` if it was not accepted; the history restarts at the new
        point after a fallback (a retry may have changed branch)."""
        t_prev, x_prev = hist[-1]
        sol, x, pred, jumped, new_hist, depth = self.reach(hist, prev_value, t_prev, value, t, 0)
        attempt, fb = "predicted", -1
        if x is None:
            sol, fb = self.attempts(value, sol, pred, fallbacks)
            if fb >= 0:
                attempt = "fallback"
            if self.good(sol):
                x = self.anchor(_vec(self.state(sol)), sol)
                r = self.ratio(x, hist, t)
                jumped = r is not None and r > self.jump_ratio
        ok = x is not None
        err = _maxdiff(x, pred) if ok else math.nan
        smooth = False
        if ok and attempt == "predicted" and depth == 0:
            smooth = err <= max(smooth_ratio * _maxdiff(x, x_prev), _SMOOTH_FLOOR * max(1.0, _maxabs(x)))
        step = Step(value, sol, attempt, accepted=ok, branch_changed=bool(jumped), smooth=smooth,
                    fallback=fb, halvings=depth, solves=self.solves, prediction_error=err)
        return step, x, (new_hist if attempt == "predicted" else [(t, x)])


def _message(steps, n, stopped_at, stopped_by="jump") -> str:
    bad = [k for k, s in enumerate(steps) if not s.accepted]
    jumps = [k for k, s in enumerate(steps) if s.branch_changed]
    parts = [f"{len(steps)}/{n} points walked, {len(steps) - len(bad)} converged"]
    if bad:
        parts.append(f"not converged (or not accepted) at step(s) {bad[:10]}{' ...' if len(bad) > 10 else ''}")
    if jumps:
        parts.append(f"branch changed at step(s) {jumps[:10]}{' ...' if len(jumps) > 10 else ''}")
    if stopped_at is not None:
        why = "after the branch change" if stopped_by == "jump" else "by stop()"
        parts.append(f"stopped {why} at step {stopped_at} (value {steps[stopped_at].value!r})")
    return "; ".join(parts)


def hysteresis(values: Sequence, solve: Callable, *, reuse: bool = True,
               backward_init=None, **kwargs) -> Hysteresis:
    """Walk ``values`` forward, then backward, and mark where two branches coexist.

    Parameters
    ----------
    values, solve, **kwargs
        As for :func:`follow` (``init`` starts both walks unless ``backward_init`` is given).
    reuse : bool
        Retrace smooth forward steps in the backward walk without solving (``attempt="reused"``,
        see :func:`follow`'s ``retrace``); False solves every backward point.
    backward_init : object, optional
        Start of the backward walk (default: ``init``).

    Returns
    -------
    Hysteresis
        ``coexist[i]``: both walks converged at ``values[i]`` and the states are not
        :func:`same_branch` (forward and backward sit on different branches).
    """
    values = list(values)
    fwd = follow(values, solve, **kwargs)
    bkw = dict(kwargs)
    if backward_init is not None:
        bkw["init"] = backward_init
    if "coords" in bkw and bkw["coords"] is not None:
        bkw["coords"] = list(bkw["coords"])[::-1]
    retrace = fwd if reuse and fwd.complete else None
    bwd = follow(values[::-1], solve, retrace=retrace, **bkw)
    rt = {k: kwargs[k] for k in ("rtol", "atol") if k in kwargs}
    return Hysteresis(tuple(values), fwd, bwd, kwargs.get("state"), rt)
