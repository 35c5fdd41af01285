"""Compiled walk of one sweep line: the common case of :func:`replicaquant.continuation.follow`.

A sweep line (:func:`replicaquant.sweep.sweep`) is walked with
:func:`~replicaquant.continuation.follow` / :func:`~replicaquant.continuation.hysteresis` and
``solve_rs`` at every point.  On almost every point of a diagram nothing happens that needs
Python: the predicted start converges in the compiled RS iteration, the invariants hold and
the step is judged (branch jump, smooth step, backward reuse).  :func:`walk_pass` does exactly
that for a whole pass inside one compiled call, with the same arithmetic as the Python code:

* the predictor of ``follow(..., predictor="quadratic")`` with the feasibility test of the sweep
  (``rs.feasible``), the start then validated as ``solve_rs(init=...)`` would;
* the first attempt of ``solve_rs`` (:func:`replicaquant.rs._rs_point`: the compiled Anderson
  loop with ``patience`` and the observables), the divergence rejection at ``beta = inf`` and
  the invariants (:func:`replicaquant.invariants.rs_invariants_hold`);
* ``follow``'s jump test, smooth-step test, history of three points, and in the backward pass
  the retracing rule of :func:`~replicaquant.continuation.hysteresis` (reuse the forward
  solution while the backward walk sits on it and the forward step was smooth), with
  :func:`~replicaquant.continuation.same_branch`'s definition.

The reference is :func:`replicaquant.continuation.follow` (and ``hysteresis``): the walker
takes its constants from there (``SMOOTH_RATIO``, ``SMOOTH_FLOOR``, ``JUMP_RATIO``,
``SAME_BRANCH_RTOL/ATOL``), and ``tests/test_sweep_compiled.py::
test_compiled_walk_is_bitwise_the_python_walk`` pins that, with the carried history and the
higher-order start switched off, every variable of a sweep is bitwise that of the Python walk.

It stops at the first point where anything else would happen in Python -- a start that
``solve_rs`` would refuse, an iteration that does not converge (the fallback cascade), a
rejected or invariant-violating fixed point -- and returns how far it got; the sweep then
walks that line with the Python code (so the outcome is the same either way).  The results
are bitwise those of the Python walk: the same compiled iteration from the same start, and
the predictor / judgement arithmetic written in the same order (the tests compare both).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit

from .continuation import SAME_BRANCH_ATOL, SAME_BRANCH_RTOL, SMOOTH_FLOOR, SMOOTH_RATIO
from .invariants import rs_invariants_hold
from .rs import _CHI_DIVERGED, _MEMO_N, _rs_point, feasible

__all__ = ["walk_pass", "N_FIELDS", "MAX_START"]

#: length of the per-point numbers (``RSSolution.FIELDS``)
N_FIELDS = 12
#: largest start magnitude ``solve_rs(init=...)`` accepts (``_validation.MAX_MAGNITUDE``)
MAX_START = 1e150
# follow's smooth-step test (the sweep uses follow's defaults)
_SMOOTH_RATIO = SMOOTH_RATIO
_SMOOTH_FLOOR = SMOOTH_FLOOR


@njit(cache=True)
def _same_branch(a, b, rtol, atol):
    """:func:`replicaquant.continuation.same_branch` on two 3-vectors (same sums, same order)."""
    d = 0.0
    sa = 0.0
    sb = 0.0
    for k in range(3):
        d += abs(a[k] - b[k])
        sa += abs(a[k])
        sb += abs(b[k])
    if not (math.isfinite(sa) and math.isfinite(sb)):
        return a[0] == b[0] and a[1] == b[1] and a[2] == b[2]
    return d <= atol + rtol * max(1.0, sa, sb)


@njit(cache=True)
def _extrapolate(ht, hx, nh, t, lin, curv):
    """``continuation._extrapolate`` on the history ``ht[:nh], hx[:nh]`` (oldest first): fills
    ``lin`` (and ``curv``); returns 0 (no trend), 1 (secant only) or 2 (secant and curvature)."""
    if nh < 2 or not math.isfinite(t):
        return 0
    t1 = ht[nh - 2]
    t2 = ht[nh - 1]
    if not (math.isfinite(t1) and math.isfinite(t2)) or t1 == t2 or t == t2 or t == t1:
        return 0
    f = (t - t2) / (t2 - t1)
    for k in range(3):
        a = hx[nh - 2, k]
        b = hx[nh - 1, k]
        lin[k] = b + (b - a) * f
    if nh >= 3:
        t0 = ht[nh - 3]
        if math.isfinite(t0) and t0 != t1 and t0 != t2 and t0 != t:
            w = (t - t2) * (t - t1)
            for k in range(3):
                a = hx[nh - 3, k]
                b = hx[nh - 2, k]
                c = hx[nh - 1, k]
                curv[k] = ((c - b) / (t2 - t1) - (b - a) / (t1 - t0)) / (t2 - t0) * w
            return 2
    return 1


@njit(cache=True)
def _maxdiff(a, b):
    r = 0.0
    for k in range(3):
        r = max(r, abs(a[k] - b[k]))
    return r


@njit(cache=True)
def _maxabs(a):
    r = 0.0
    for k in range(3):
        r = max(r, abs(a[k]))
    return r


@njit(cache=True)
def _push(ht, hx, nh, t, x):
    """Append ``(t, x)`` keeping the last three points; returns the new length."""
    if nh == 3:
        for j in range(2):
            ht[j] = ht[j + 1]
            for k in range(3):
                hx[j, k] = hx[j + 1, k]
        nh = 2
    ht[nh] = t
    for k in range(3):
        hx[nh, k] = x[k]
    return nh + 1


@njit(cache=True)
def _push_n(lt, lx, nl, t, x):
    """Append ``(t, x)`` to a history of ``lt.size`` points (oldest dropped); the new length."""
    cap = lt.size
    if nl == cap:
        for j in range(cap - 1):
            lt[j] = lt[j + 1]
            for k in range(3):
                lx[j, k] = lx[j + 1, k]
        nl = cap - 1
    lt[nl] = t
    for k in range(3):
        lx[nl, k] = x[k]
    return nl + 1


@njit(cache=True)
def _poly_extrapolate(lt, lx, nl, t, dd, out):
    """Polynomial extrapolation of the history ``(lt, lx)[:nl]`` (oldest first) to ``t`` into
    ``out``; ``False`` if the coordinates are not finite and distinct or the result is not a
    physical state.

    Newton form with the nodes taken from the most recent backwards,
    ``p(t) = sum_j f[s_0..s_j] prod_{i<j} (t - s_i)``: the secant and quadratic terms always,
    each further term only while its magnitude (max over components) keeps decreasing -- the
    series is cut where it stops converging (coarse grids, a feature of the branch), so the
    order adapts between 2 and ``nl - 1``.  The states ``(m, q, chi)`` are extrapolated as
    ``(m, q, 1/(1 + chi))``: ``chi`` enters the equations through ``1/(1 + chi)`` (the channel
    conjugates), the smoother function where ``chi`` grows large.
    """
    if not math.isfinite(t):
        return False
    for j in range(nl):
        if not math.isfinite(lt[j]) or lt[j] == t:
            return False
        for j2 in range(j):
            if lt[j2] == lt[j]:
                return False
    # divided differences on the nodes s_j = lt[nl-1-j] (most recent first)
    for j in range(nl):
        r = nl - 1 - j
        dd[j, 0] = lx[r, 0]
        dd[j, 1] = lx[r, 1]
        dd[j, 2] = 1.0 / (1.0 + lx[r, 2])
    for lev in range(1, nl):
        for j in range(nl - 1, lev - 1, -1):
            den = lt[nl - 1 - j] - lt[nl - 1 - (j - lev)]
            for k in range(3):
                dd[j, k] = (dd[j, k] - dd[j - 1, k]) / den
    for k in range(3):
        out[k] = dd[0, k]
    w = 1.0
    last = math.inf
    for j in range(1, nl):
        w *= t - lt[nl - j]
        size = 0.0
        for k in range(3):
            size = max(size, abs(dd[j, k] * w))
        if j >= 3 and not size < last:
            break
        for k in range(3):
            out[k] += dd[j, k] * w
        last = size
    if not (out[2] > 0.0 and out[2] <= 1.0):  # 1/(1 + chi) with chi >= 0
        return False
    out[2] = 1.0 / out[2] - 1.0
    s = 0.0
    for k in range(3):
        s += abs(out[k])
    return math.isfinite(s)


@njit(cache=True)
def _smooth(x, pred, x_prev):
    """``follow``'s smooth-step test: ``|x - pred| <= max(0.1 |x - x_prev|, 1e-9 max(1, |x|))``."""
    e = _maxdiff(x, pred)
    step = _maxdiff(x, x_prev)
    return e <= max(_SMOOTH_RATIO * step, _SMOOTH_FLOOR * max(1.0, _maxabs(x)))


@njit(cache=True)
def _solve_at(start, args, mixing, tol, max_iter, depth, patience, ws):
    """The first attempt of ``solve_rs(init=start)`` and its acceptance: ``(ok, iterations,
    residual, fields)``; ``ok`` = converged, not rejected (``chi`` diverging at ``beta = inf``)
    and the invariants hold (else the Python walk takes over)."""
    xi, fx, status, it, res, f = _rs_point(start.copy(), args, mixing, tol, max_iter, depth,
                                           patience, ws)
    ok = status == 0 and f[0] == f[0]
    if ok and xi[2] > _CHI_DIVERGED and math.isinf(args[8]):
        ok = False
    if ok and not rs_invariants_hold(f, args[4], args[8], args[5], args[6]):
        ok = False
    return ok, it, res, f


@njit(cache=True)
def walk_pass(order, coords, levels, tv, tp, grho, alpha, rho, noise_var, lam, beta,
              mixing, tol, max_iter, depth, plain_depth, patience, jump_ratio, carry, start_order,
              reuse, r_smooth, r_state, r_fields,
              fields, iterations, residual, smooth, state, reused):
    """Walk the points ``order[1:]`` of one pass (``order[0]`` is solved and filled in).

    Parameters
    ----------
    order : int array
        Point indices in walk order (forward ``0..n-1``, backward ``n-1..0``).
    coords : float array
        Predictor coordinate of every point (``follow``'s ``coords``).
    levels, tv, tp : 2-D float arrays; grho, alpha, rho, noise_var, lam, beta : float arrays
        The level measure and the scalars of every point's model (``RSMap.args``).
    mixing, tol, max_iter, depth, plain_depth, patience
        The options of ``solve_rs`` and of its first attempt (``patience < 0``: none);
        ``plain_depth`` is the ``anderson`` option, ``depth <= plain_depth`` the depth of the
        solves with a carried history.
    jump_ratio : float
        ``follow``'s branch-jump threshold.
    carry : bool
        Carry the Anderson history from one solve to the next along the pass (counters
        ``[n_pairs, 2]`` of :func:`~replicaquant.fixed_point.anderson_loop`: the secant pairs of
        the neighbouring point are used from the first step, like a Jacobian estimate); reset
        after a jump and after reused points.  ``False``: every solve starts afresh, exactly as
        ``solve_rs`` does (then the results are bitwise those of the Python walk).
    start_order : int
        ``> 2``: start each solve from the polynomial extrapolation of this order through the
        last ``start_order + 1`` points of the pass (:func:`_poly_extrapolate`) instead of ``follow``'s
        quadratic prediction (which still judges the step: smooth-step and jump tests are
        ``follow``'s); infeasible or invalid extrapolations fall back to that prediction.
        ``<= 2``: ``follow``'s prediction (bitwise the Python walk when ``carry`` is off).
        A solve started either way (carried history or the higher-order start) is kept only when
        its step is *smooth* (``follow``'s test against its own prediction); otherwise the point
        is solved again exactly as the Python walk does (from ``follow``'s prediction, a fresh
        history, depth ``plain_depth``) and that solve decides, so near folds, jumps and failures
        the walker finds the branch the Python walk finds.
    reuse : bool
        Backward pass of ``hysteresis(reuse=True)``: ``r_smooth``, ``r_state``, ``r_fields``
        are the forward pass (per point index) to retrace.
    fields, iterations, residual, smooth, state, reused : arrays (per point index)
        Outputs; ``state[order[0]]`` must hold the state of the first point.

    Returns
    -------
    int
        The number of points of ``order`` walked (``order.size`` when the whole pass was done
        here; else the position where the Python walk has to take over).
    """
    n = order.size
    ht = np.empty(3)
    hx = np.empty((3, 3))
    lin = np.empty(3)
    curv = np.empty(3)
    pred = np.empty(3)
    x = np.empty(3)
    nh = _push(ht, hx, 0, coords[order[0]], state[order[0]])
    prev = state[order[0]].copy()
    ws = anderson_workspace_nb(depth)
    cnt = ws[3]
    nlong = max(start_order + 1, 1)
    lt = np.empty(nlong)
    lx = np.empty((nlong, 3))
    nl = _push_n(lt, lx, 0, coords[order[0]], state[order[0]])
    dd = np.empty((nlong, 3))
    start = np.empty(3)

    for jj in range(1, n):
        i = order[jj]
        t = coords[i]
        if reuse:
            ip = order[jj - 1]
            if r_smooth[ip] and _same_branch(prev, r_state[ip], SAME_BRANCH_RTOL, SAME_BRANCH_ATOL):
                fields[i, :] = r_fields[i, :]   # (the caller copies the forward residual)
                state[i, :] = r_state[i, :]
                iterations[i] = 0
                reused[i] = True
                nh = _push(ht, hx, nh, t, r_state[i])
                prev[:] = r_state[i]
                nl = _push_n(lt, lx, nl, t, r_state[i])
                cnt[0] = 0  # the history belongs to a point further back
                continue
        # predictor ("quadratic") and the feasibility test of the sweep
        code = _extrapolate(ht, hx, nh, t, lin, curv)
        have = code > 0
        if have:
            use_curv = False
            if code == 2:
                cmax = 0.0
                smax = 0.0
                for k in range(3):
                    cmax = max(cmax, abs(curv[k]))
                    smax = max(smax, abs(lin[k] - hx[nh - 1, k]))
                use_curv = cmax <= 0.5 * smax
            s = 0.0
            for k in range(3):
                pred[k] = lin[k] + curv[k] if use_curv else lin[k]
                s += abs(pred[k])
            have = math.isfinite(s) and feasible(pred, rho[i])
        if not have:
            pred[:] = hx[nh - 1]
        # what solve_rs(init=start) would refuse is left to Python (it raises there)
        for k in range(3):
            if not abs(pred[k]) <= MAX_START:
                return jj
        if not (pred[2] > -1.0 and pred[1] >= 0.0):
            return jj
        start[:] = pred
        if start_order > 2 and nl > 3 and _poly_extrapolate(lt, lx, nl, t, dd, start):
            ok = feasible(start, rho[i])
            for k in range(3):
                ok = ok and abs(start[k]) <= MAX_START
            if not ok:
                start[:] = pred
        else:
            start[:] = pred
        memo = np.full(_MEMO_N, np.nan)
        args = (levels[i], tv[i], tp[i], grho[i], alpha[i], rho[i], noise_var[i], lam[i], beta[i],
                memo)
        if carry:
            cnt[1] = 2
        else:
            ws = anderson_workspace_nb(depth)
            cnt = ws[3]
        tuned = carry
        for k in range(3):
            tuned = tuned or start[k] != pred[k]
        ok, it, res, f = _solve_at(start, args, mixing, tol, max_iter, depth, patience, ws)
        sm = False
        if ok:
            x[0] = f[0]
            x[1] = f[1]
            x[2] = f[3]
            sm = _smooth(x, pred, hx[nh - 1])
        if tuned and not sm:
            # not a smooth step (near a fold, a jump, a failure): the solve of the Python walk
            # decides -- from follow's prediction, a fresh history, the solver's own depth
            ws = anderson_workspace_nb(plain_depth)
            cnt = ws[3]
            ok, it, res, f = _solve_at(pred, args, mixing, tol, max_iter, plain_depth, patience,
                                       ws)
            if ok:
                x[0] = f[0]
                x[1] = f[1]
                x[2] = f[3]
                sm = _smooth(x, pred, hx[nh - 1])
        if not ok:
            return jj
        # follow's jump test against the trend (reference and scale of _trend_scale)
        jumped = False
        if code > 0:
            scale = 0.0
            for k in range(3):
                scale = max(scale, abs(lin[k] - hx[nh - 1, k]))
            if code == 2:
                cm = 0.0
                for k in range(3):
                    lin[k] = lin[k] + curv[k]
                    cm = max(cm, abs(curv[k]))
                scale = max(scale, cm)
            l1 = abs(x[0]) + abs(x[1]) + abs(x[2])
            err = _maxdiff(x, lin) - (SAME_BRANCH_ATOL + SAME_BRANCH_RTOL * max(1.0, l1))
            if err > 0.0:
                r = err / scale if scale > 0.0 else math.inf
                jumped = r > jump_ratio
        smooth[i] = sm
        fields[i, :] = f
        state[i, :] = x
        iterations[i] = it
        residual[i] = res
        reused[i] = False
        if jumped:
            nh = 0
            nl = 0
            cnt[0] = 0  # the secant pairs describe the old branch
        nh = _push(ht, hx, nh, t, x)
        nl = _push_n(lt, lx, nl, t, x)
        prev[:] = x
    return n


@njit(cache=True)
def anderson_workspace_nb(depth):
    """``replicaquant.fixed_point.anderson_workspace(3, depth)``, inside compiled code (the same
    fresh arrays ``(dX, dG, prev, counters)``)."""
    d = max(depth, 1)
    return (np.zeros((d, 3)), np.zeros((d, 3)), np.zeros((2, 3)), np.zeros(2, dtype=np.int64))

