"""Fixed points of STE training and plateau lengths of error curves.

Fixed point (``docs/ste.md`` §5)
--------------------------------
*Small-noise limit* (``eta -> 0``, any STE): a coordinate with ``w* = (k1/k2) w0`` strictly inside
``(c_1, c_K)`` ends sliding on the threshold between the levels ``c_k <= w* < c_{k+1}``, spending a
fraction ``f = (w* - c_k)/(c_{k+1} - c_k)`` of the time on ``c_{k+1}``: ``E[Q] = w*`` and
``Var Q = (w* - c_k)(c_{k+1} - w*)``.  Outside the range ``Q -> c_1`` or ``c_K``.  Hence

    eps* = eps_lin + k2 E_{w0}[ pi(w*) ],   pi(w) = (w - c_k)(c_{k+1} - w) inside, (w - c_edge)^2 outside,

and the deviation from the unquantized model (whose ``eta -> 0`` fixed point is ``eps_lin``) is
``k2 E[pi(w*)]``.  For the clipped STE the weights with ``|u(0)| > clip`` never move: they keep
``Q(u(0))`` and add their own error.

*Finite eta, identity STE*: the stationary density of the limit diffusion is the Gibbs density
``p(u | w0) ∝ exp(-U(u)/T)`` with the piecewise-linear potential ``U' = k2 Q(u) - k1 w0`` and
``T = eta k2 (eps + noise_var)/2``, normalisable when ``c_1 < w* < c_K``; ``eps`` solves the
self-consistency ``eps = G(eps)``.  All roots are returned; ``G`` is bounded for quantized weights.
For unquantized weights this gives ``eps* = (2 eps_lin + eta k2 noise_var)/(2 - eta k2)``.
For the clipped STE at finite ``eta`` there is no such state (mass leaks out through ``±clip``
and freezes, at a rate ``~ exp(-barrier/T)``); use ``method="ode"``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq

from .._validation import check_int, check_real
from .problem import STEProblem
from .results import STEFixedPoint


def _unquantized_fixed_point(problem: STEProblem) -> float:
    k1, k2 = problem.kappa
    if problem.eta * k2 >= 2.0:
        return math.inf
    return (2.0 * problem.eps_lin + problem.eta * k2 * problem.noise_var) / (2.0 - problem.eta * k2)


def _teacher_grid(problem: STEProblem, n: int = 12):
    from .limit import teacher_nodes
    return teacher_nodes(problem, panel_width=0.25, n_per_panel=n)


def sliding_moments(levels: np.ndarray, wstar: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(E[Q], E[Q^2])`` of the small-noise fixed point at targets ``w*`` (sliding-mode mixture)."""
    c = np.asarray(levels, dtype=float)
    w = np.atleast_1d(np.asarray(wstar, dtype=float))
    eq = np.empty_like(w)
    eq2 = np.empty_like(w)
    lo = w <= c[0]
    hi = w >= c[-1]
    eq[lo], eq2[lo] = c[0], c[0] ** 2
    eq[hi], eq2[hi] = c[-1], c[-1] ** 2
    mid = ~(lo | hi)
    k = np.searchsorted(c, w[mid], side="right") - 1
    a, b = c[k], c[k + 1]
    f = (w[mid] - a) / (b - a)
    eq[mid] = w[mid]
    eq2[mid] = (1 - f) * a * a + f * b * b
    return eq, eq2


def _frozen_part(problem: STEProblem):
    """Mass and ``E[Q; frozen]``, ``E[Q^2; frozen]`` of the clipped STE's never-moving weights."""
    if problem.ste != "clipped":
        return 0.0, 0.0, 0.0
    from .limit import gauss_moments_outside
    return gauss_moments_outside(problem, problem.clip_range)


def _ode_fixed_point(problem: STEProblem):
    k1, k2 = problem.kappa
    nodes, w = _teacher_grid(problem)
    fz_mass, fz_m, fz_q = _frozen_part(problem)
    if problem.levels is None:
        eq, eq2 = problem.target_factor * nodes, (problem.target_factor * nodes) ** 2
        if problem.ste == "clipped":
            c = problem.clip_range
            eq = np.clip(eq, -c, c)
            eq2 = eq * eq
    else:
        lv = problem.levels
        if problem.ste == "clipped":
            th = problem.quantizer.thresholds
            c = problem.clip_range
            lo_q = lv[np.searchsorted(th, -c, side="left")]
            hi_q = lv[np.searchsorted(th, c, side="right")]
            inner = lv[(lv > -c) & (lv < c)]
            lv = np.unique(np.concatenate(([lo_q], inner, [hi_q])))
        eq, eq2 = sliding_moments(lv, problem.target_factor * nodes)
    act = 1.0 - fz_mass
    m_node = act * eq + fz_m
    q_node = act * eq2 + fz_q
    eps = float(np.sum(w * (nodes ** 2 - 2 * k1 * nodes * m_node + k2 * q_node)))
    return eps, float(np.sum(w * nodes * m_node)), float(np.sum(w * q_node)), fz_mass


def stationary_moments(problem: STEProblem, temperature: float, w0) -> tuple[np.ndarray, np.ndarray]:
    """``(E[Q|w0], E[Q^2|w0])`` under the Gibbs density ``exp(-U/T)`` of the identity STE.

    ``U' = k2 Q(u) - k1 w0`` is piecewise linear (slope ``s_r`` on the cell of level ``c_r``);
    each cell contributes ``∫ exp(-U/T)`` in closed form, summed in log space.  Targets outside
    ``(c_1, c_K)`` (no normalisable density) return the outer level.
    """
    k1, k2 = problem.kappa
    c = problem.levels
    th = problem.quantizer.thresholds
    w0 = np.atleast_1d(np.asarray(w0, dtype=float))
    T = float(temperature)
    eq = np.empty_like(w0)
    eq2 = np.empty_like(w0)
    K = c.size
    for j, x in enumerate(w0):
        ws = k1 * x / k2
        if ws <= c[0] or ws >= c[-1]:
            e = c[0] if ws <= c[0] else c[-1]
            eq[j], eq2[j] = e, e * e
            continue
        slopes = k2 * c - k1 * x                 # U' on each cell
        # U at the thresholds (U(th[0]) = 0)
        U = np.concatenate(([0.0], np.cumsum(slopes[1:K - 1] * np.diff(th))))
        logm = np.empty(K)
        for r in range(K):
            s = slopes[r] / T
            if r == 0:                             # (-inf, th[0]]: s < 0 here
                logm[r] = -U[0] / T - math.log(-s)
            elif r == K - 1:                       # [th[-1], inf): s > 0 here
                logm[r] = -U[-1] / T - math.log(s)
            else:
                L = th[r] - th[r - 1]
                a = -U[r - 1] / T                  # log density at the left end
                z = -s * L                         # log-density change across the cell
                logm[r] = a + _log_int_exp(z, L)
        mx = logm.max()
        p = np.exp(logm - mx)
        p /= p.sum()
        eq[j] = np.dot(p, c)
        eq2[j] = np.dot(p, c * c)
    return eq, eq2


def _log_int_exp(z: float, L: float) -> float:
    """``log ∫_0^L exp(z x/L) dx`` computed stably."""
    if abs(z) < 1e-8:
        return math.log(L) + z / 2
    if z > 0:
        return math.log(L) + z + math.log(-math.expm1(-z)) - math.log(z)
    return math.log(L) + math.log(-math.expm1(z)) - math.log(-z)


def _stationary_G(problem: STEProblem, eps: float, nodes, w) -> tuple[float, float, float]:
    k1, k2 = problem.kappa
    T = problem.eta * k2 * (eps + problem.noise_var) / 2.0
    if T <= 0.0:
        eq, eq2 = sliding_moments(problem.levels, problem.target_factor * nodes)
    else:
        eq, eq2 = stationary_moments(problem, T, nodes)
    G = float(np.sum(w * (nodes ** 2 - 2 * k1 * nodes * eq + k2 * eq2)))
    return G, float(np.sum(w * nodes * eq)), float(np.sum(w * eq2))


def fixed_point(problem: STEProblem, *, method: str = "ode", n_scan: int = 200) -> STEFixedPoint:
    """Asymptotic generalisation error of STE training and its deviation from unquantized SGD.

    Parameters
    ----------
    problem : STEProblem
    method : {"ode", "stationary"}
        ``"ode"``: ``eta -> 0`` sliding-mode fixed point (module docstring), any STE; the
        unquantized reference is then ``eps_lin``.  ``"stationary"``: finite-``eta``
        self-consistent Gibbs state of the identity STE; reference
        ``(2 eps_lin + eta k2 noise_var)/(2 - eta k2)``.
    n_scan : int
        Grid points used to bracket every root of ``eps = G(eps)`` (``stationary``).
    """
    if not isinstance(problem, STEProblem):
        raise ValueError(f"problem must be an STEProblem, got {type(problem).__name__}")
    if method not in ("ode", "stationary"):
        raise ValueError(f"method must be 'ode' or 'stationary', got {method!r}")
    n_scan = check_int("n_scan", n_scan, low=10)
    if method == "ode":
        eps, m, q, fz = _ode_fixed_point(problem)
        ref = problem.eps_lin
        return STEFixedPoint(problem=problem, method="ode", gen_error=eps, gen_error_unquantized=ref,
                             deviation=eps - ref, m=m, q=q, frozen_fraction=fz)
    if problem.ste != "identity":
        raise ValueError("method='stationary' needs ste='identity' (the clipped STE has no finite-eta "
                         "stationary state other than total absorption); use method='ode'")
    ref = _unquantized_fixed_point(problem)
    if problem.levels is None:
        k1, k2 = problem.kappa
        f = problem.target_factor
        m = f * problem.rho
        q = (ref - problem.rho + 2 * k1 * m) / k2
        return STEFixedPoint(problem=problem, method="stationary", gen_error=ref, gen_error_unquantized=ref,
                             deviation=0.0, m=m, q=q, branches=((ref, True),))
    nodes, w = _teacher_grid(problem, n=8)
    k1, k2 = problem.kappa
    c_max = float(np.abs(problem.levels).max())
    upper = problem.rho + 2 * abs(k1) * math.sqrt(problem.rho) * c_max + k2 * c_max ** 2 + 1.0
    grid = np.linspace(0.0, upper, n_scan)
    vals = np.array([_stationary_G(problem, e, nodes, w)[0] - e for e in grid])
    roots = []
    for a, b, fa, fb in zip(grid[:-1], grid[1:], vals[:-1], vals[1:]):
        if fa == 0.0:
            roots.append(a)
        elif fa * fb < 0.0:
            roots.append(brentq(lambda e: _stationary_G(problem, e, nodes, w)[0] - e, a, b, xtol=1e-13))
    if not roots:
        raise RuntimeError("no self-consistent stationary state found (G(eps) - eps has no sign change)")
    branches = []
    for r in roots:
        de = 1e-6 * max(1.0, r)
        slope = (_stationary_G(problem, r + de, nodes, w)[0] - _stationary_G(problem, max(r - de, 0.0), nodes, w)[0]) \
            / (r + de - max(r - de, 0.0))
        branches.append((float(r), bool(slope < 1.0)))
    stable = [r for r, s in branches if s] or [r for r, _ in branches]
    eps = min(stable)
    _, m, q = _stationary_G(problem, eps, nodes, w)
    return STEFixedPoint(problem=problem, method="stationary", gen_error=eps, gen_error_unquantized=ref,
                         deviation=eps - ref, m=m, q=q, branches=tuple(branches))


def plateau_length(tau, gen_error, *, level: float = 0.5, initial: float | None = None,
                   final: float | None = None) -> float:
    """Plateau length: first time the error falls below ``final + level (initial - final)``.

    ``initial`` defaults to ``gen_error[0]`` (the plateau value: the error of the initial state)
    and ``final`` to ``min(gen_error)`` (the bottom of the drop; STE curves can rise again
    afterwards, see ``docs/ste.md``).  ``level = 0.5`` is the half-way point of the drop,
    ``level = 0.9`` the time at which 10% of it is done.  The crossing is linearly
    interpolated between samples.  Returns ``inf`` when the threshold is never reached within
    the data and ``0`` when it is already met at the start.
    """
    t = np.asarray(tau, dtype=float)
    e = np.asarray(gen_error, dtype=float)
    if t.ndim != 1 or e.shape != t.shape or t.size < 2:
        raise ValueError("tau and gen_error must be 1-D arrays of the same length (>= 2)")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(e))):
        raise ValueError("tau and gen_error must be finite")
    level = check_real("level", level, low=0.0, high=1.0)
    e0 = float(e[0]) if initial is None else check_real("initial", initial)
    ef = float(e.min()) if final is None else check_real("final", final)
    thr = ef + level * (e0 - ef)
    below = np.flatnonzero(e <= thr)
    if below.size == 0:
        return math.inf
    i = int(below[0])
    if i == 0:
        return 0.0
    e1, e2 = e[i - 1], e[i]
    frac = (e1 - thr) / (e1 - e2) if e1 != e2 else 1.0
    return float(t[i - 1] + frac * (t[i] - t[i - 1]))


def dead_zone_plateau(problem: STEProblem) -> float:
    """Small-noise, small-init plateau time scale ``theta_1/(eta k1)`` of a quantizer with a zero level.

    With ``u(0) -> 0`` and ``Q = 0`` on the dead zone ``|u| < theta_1`` (``theta_1`` = the first
    positive threshold), a coordinate moves at constant speed ``eta k1 |w0|`` and leaves the dead
    zone at ``tau = theta_1/(eta k1 |w0|)``: the early error curve is a function of
    ``eta k1 tau/theta_1`` only, so every level-crossing time of the drop is proportional to the
    returned scale (``∝ width``, and ``∝ 1/(2**(bits-1) - 1)`` for :func:`midtread_quantizer`).
    Raises ``ValueError`` if zero is not a level.
    """
    if problem.levels is None or not np.any(problem.levels == 0.0):
        raise ValueError("quantizer must have a zero level (a dead zone) for a dead-zone plateau")
    th = problem.quantizer.thresholds
    theta1 = float(np.min(np.abs(th)))
    k1 = problem.kappa[0]
    return theta1 / (problem.eta * k1)
