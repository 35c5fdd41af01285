"""Transition lines along one parameter axis: dynamical, static (Kauzmann), AT and Gardner.

``rq.transition_lines(model, axis="alpha", bracket=(lo, hi))`` scans ``axis`` (a warm-started
grid), evaluates the phase of every grid point (:func:`replicaquant.phase.phase_line`: each point
continued from its neighbour, the full branch search where the branches change) and refines each
transition between neighbouring grid points by root finding:

* **dynamical**: a nontrivial 1RSB branch exists at ``x = 1`` (``rsb.x1_roots`` finds one) on
  one side and not on the other -- bisection on the existence (the branch appears at a
  saddle-node, where no smooth function changes sign);
* **static** (Kauzmann): ``Sigma(1) = 0`` on a nontrivial ``x = 1`` branch -- Brent's method on
  the smallest ``Sigma(1)`` over the branches;
* **AT**: ``at = 1`` (:func:`replicaquant.analysis.at_line`, RS only);
* **Gardner**: the larger 1RSB replicon of the thermodynamic 1RSB solution crosses 1 -- Brent's
  method, each 1RSB solve warm-started from the nearest solved point's branch
  (``solve_1rsb(init=...)``, continuation along the axis).

Each line is a :class:`TransitionPoint` with the value and the phase (label, ``x``, ``q0``,
``q1``, ``at``, ``Sigma``, replicon) just below and just above it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .axes import param_value, with_param
from .model import Model
from .phase import PhaseReport, classify, phase_line
from .rs import solve_rs
from .rsb import RSB1Solution, _search_opts, solve_1rsb, x1_roots

__all__ = ["TransitionPoint", "TransitionLines", "transition_lines", "KINDS"]

KINDS = ("dynamical", "static", "AT", "Gardner")


@dataclass(frozen=True)
class TransitionPoint:
    """One transition along the axis.

    Attributes
    ----------
    kind : str
        ``"dynamical"``, ``"static"``, ``"AT"`` or ``"Gardner"``.
    value : float
        Axis value of the transition (``nan`` if not found in the bracket).
    found : bool
        A crossing was bracketed on the scan grid and refined.
    below, above : dict
        Phase summary (``label``, ``x``, ``q0``, ``q1``, ``at``, ``complexity``,
        ``complexity_x1``, ``replicon``, ``free_energy``, ``gen_error_mean``) on the two sides,
        at ``value -+ max(10 xtol, 1e-3 max|axis|)`` (fresh branch searches).  Empty when not
        found.
    n_crossings : int
        Crossings of this kind seen on the scan grid (the first one is refined).
    evaluations : int
        Solves spent on the refinement.
    message : str
        How it was found, or why not.
    """

    kind: str
    value: float
    found: bool
    below: dict = field(default_factory=dict)
    above: dict = field(default_factory=dict)
    n_crossings: int = 0
    evaluations: int = 0
    message: str = ""

    def as_dict(self) -> dict:
        """Plain dict (JSON)."""
        return {"kind": self.kind, "value": float(self.value), "found": bool(self.found),
                "below": dict(self.below), "above": dict(self.above),
                "n_crossings": int(self.n_crossings), "evaluations": int(self.evaluations),
                "message": self.message}


@dataclass(frozen=True)
class TransitionLines:
    """All transitions of one axis scan.

    Attributes
    ----------
    axis : str
        The axis (meaning per quantizer family: :mod:`replicaquant.axes`).
    values : tuple of float
        The scan grid.
    labels : tuple of str
        Phase label at each grid point.
    lines : dict
        ``{kind: TransitionPoint}`` for the kinds requested.
    scan : tuple of dict
        Phase summary at each grid point (as in :attr:`TransitionPoint.below`).
    model : Model
        The base model.
    """

    axis: str
    values: tuple
    labels: tuple
    lines: dict
    scan: tuple = field(repr=False)
    model: Model = field(repr=False)

    def __getitem__(self, kind: str) -> TransitionPoint:
        return self.lines[kind]

    def as_dict(self) -> dict:
        """Plain dict (JSON)."""
        return {"axis": self.axis, "values": [float(v) for v in self.values],
                "labels": list(self.labels), "lines": {k: v.as_dict() for k, v in self.lines.items()},
                "scan": [dict(s) for s in self.scan]}


def _summary(rep: PhaseReport) -> dict:
    return {"label": rep.label, "x": float(rep.x), "q0": float(rep.q0), "q1": float(rep.q1),
            "at": float(rep.at), "complexity": float(rep.complexity),
            "complexity_x1": float(rep.complexity_x1), "replicon": float(rep.replicon),
            "replicon_between": float(rep.replicon_between), "free_energy": float(rep.free_energy),
            "gen_error_mean": float(rep.gen_error_mean), "free_energy_rs": float(rep.free_energy_rs),
            "gen_error_mean_rs": float(rep.rs.gen_error_mean), "converged": bool(rep.converged)}


def _gardner_value(rep: PhaseReport) -> float:
    """``max(replicon, replicon_between) - 1`` of the thermodynamic 1RSB solution (nan if the
    point is RS or d1RSB, or its Parisi maximum was not located)."""
    if rep.label not in ("1RSB", "FRSB") or not rep.converged:
        return math.nan
    return max(rep.replicon, rep.replicon_between) - 1.0


def _sigma1(roots) -> float:
    return min((r.complexity for r in roots), default=math.nan)


def transition_lines(model: Model, axis: str = "alpha", bracket=(0.1, 3.0), *, values=None,
                     n_scan: int = 16, kinds=KINDS, xtol: float = 1e-5,
                     solve_kwargs: dict | None = None) -> TransitionLines:
    """Dynamical, static, AT and Gardner transitions of ``model`` along ``axis``.

    Parameters
    ----------
    model : Model
        Base model (finite ``beta``).
    axis : str
        A real axis of :mod:`replicaquant.axes` (``width``, ``alpha``, ``beta``, ``T``, ``lam``,
        ``noise_var``, ...).
    bracket : (lo, hi)
        Scan interval (ignored when ``values`` is given).
    values : sequence of float, optional
        Explicit scan grid (increasing).
    n_scan : int
        Grid points in ``bracket`` (linear spacing).
    kinds : sequence of str
        Which lines to refine (subset of :data:`KINDS`).
    xtol : float
        Absolute tolerance on each transition value.
    solve_kwargs : dict, optional
        Passed to :func:`replicaquant.rsb.solve_1rsb` (``tol``, ``x_tol``, ...).

    Returns
    -------
    TransitionLines
        ``lines[kind]`` is a :class:`TransitionPoint`; ``found=False`` (value ``nan``) when the
        transition is not in the scanned range.
    """
    from scipy.optimize import brentq

    from .analysis import at_line

    if not isinstance(model, Model):
        raise TypeError(f"model must be a replicaquant Model, got {type(model).__name__}")
    kinds = tuple(kinds)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValueError(f"kinds must be a subset of {KINDS}, got {bad}")
    if values is None:
        lo, hi = (float(v) for v in bracket)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"bracket must be finite (lo, hi) with lo < hi, got {bracket!r}")
        n_scan = int(n_scan)
        if n_scan < 2:
            raise ValueError(f"n_scan must be >= 2, got {n_scan}")
        grid = np.linspace(lo, hi, n_scan)
    else:
        grid = np.asarray(values, dtype=float)
        if grid.ndim != 1 or grid.size < 2 or not np.all(np.diff(grid) > 0) or not np.all(np.isfinite(grid)):
            raise ValueError("values must be a finite increasing sequence of >= 2 numbers")
    xtol = float(xtol)
    if not (xtol > 0):
        raise ValueError(f"xtol must be > 0, got {xtol!r}")
    param_value(model, axis)  # validates the axis for this quantizer family
    skw = dict(solve_kwargs or {})
    skw.setdefault("warn", False)
    opts = _search_opts(skw)

    def at_point(v):
        return with_param(model, axis, float(v))

    # the scan: each grid point continued from its neighbour (phase_line: same labels as the
    # full search, which it falls back to whenever the branches change)
    reps = list(phase_line([at_point(v) for v in grid], **skw))
    scan = tuple(_summary(r) for r in reps)
    solved = {float(v): r for v, r in zip(grid, reps)}

    def phase_at(v, near=None):
        """Full phase at ``v``; warm-started from ``near``'s 1RSB branch when it has one."""
        m = at_point(v)
        rep = None
        if near is not None and near.rsb.rsb and near.label in ("1RSB", "FRSB"):
            sol = solve_1rsb(m, init=near.rsb, **skw)
            if sol.converged and sol.rsb:
                rep = classify(sol)
        if rep is None:
            rep = classify(solve_1rsb(m, **skw))
        solved[float(v)] = rep
        return rep

    side = max(10.0 * xtol, 1e-3 * max(float(np.max(np.abs(grid))), 1.0))

    def sides(v):
        """Fresh (full branch search) phases at ``v -+ side``, inside the grid."""
        lo_v, hi_v = max(v - side, float(grid[0])), min(v + side, float(grid[-1]))
        return (classify(solve_1rsb(at_point(lo_v), **skw)), classify(solve_1rsb(at_point(hi_v), **skw)))

    def nearest(v):
        k = min(solved, key=lambda u: abs(u - v))
        return solved[k]

    lines = {}
    if "AT" in kinds:
        atl = at_line(model, axis, (float(grid[0]), float(grid[-1])), n_scan=len(grid),
                      spacing="linear", warn=False, xtol=xtol * 1e-2)
        if atl.found:
            v = float(atl.value)
            b, a = sides(v)
            lines["AT"] = TransitionPoint("AT", v, True, _summary(b), _summary(a), atl.n_crossings,
                                          atl.evaluations, f"at = 1 at {axis} = {v:.6g}")
        else:
            lines["AT"] = TransitionPoint("AT", math.nan, False, message=atl.message)

    if "dynamical" in kinds:
        has = [r.n_branches > 0 for r in reps]
        idx = [i for i in range(len(grid) - 1) if has[i] != has[i + 1]]
        if idx:
            i = idx[0]
            a, b = float(grid[i]), float(grid[i + 1])
            ha = has[i]
            n_ev = 0
            while b - a > xtol:
                c = 0.5 * (a + b)
                mc = at_point(c)
                rs = solve_rs(mc, init="multi", warn=False)
                roots, _ = x1_roots(mc, rs, **opts)
                n_ev += 1
                if (len(roots) > 0) == ha:
                    a = c
                else:
                    b = c
            v = 0.5 * (a + b)
            lo_rep, hi_rep = sides(v)
            lines["dynamical"] = TransitionPoint(
                "dynamical", v, True, _summary(lo_rep), _summary(hi_rep), len(idx), n_ev,
                f"a nontrivial x = 1 branch {'disappears' if ha else 'appears'} at {axis} = {v:.6g} "
                "(bisection on its existence)")
        else:
            lines["dynamical"] = TransitionPoint("dynamical", math.nan, False,
                                                 message="no appearance of a nontrivial x = 1 branch on the grid")

    def root_line(kind, values, fun, found_msg, lost_msg, none_msg):
        """Brent's method on ``fun`` (``_NoBranch`` if it cannot be evaluated) across the first
        sign change of the scanned ``values``."""
        idx = [i for i in range(len(grid) - 1)
               if np.isfinite(values[i]) and np.isfinite(values[i + 1]) and values[i] * values[i + 1] < 0]
        if not idx:
            return TransitionPoint(kind, math.nan, False, message=none_msg)
        i = idx[0]
        count = [0]

        def counted(v):
            count[0] += 1
            val = fun(v)
            if not np.isfinite(val):
                raise _NoBranch(v)
            return val

        try:
            v = float(brentq(counted, float(grid[i]), float(grid[i + 1]), xtol=xtol, maxiter=100))
        except _NoBranch as exc:
            return TransitionPoint(kind, math.nan, False, n_crossings=len(idx), evaluations=count[0],
                                   message=lost_msg.format(f"{exc.v:.6g}"))
        lo_rep, hi_rep = sides(v)
        return TransitionPoint(kind, v, True, _summary(lo_rep), _summary(hi_rep), len(idx), count[0],
                               found_msg.format(f"{v:.6g}"))

    def sigma1_at(v):
        mv = at_point(v)
        roots, _ = x1_roots(mv, solve_rs(mv, init="multi", warn=False), **opts)
        return _sigma1(roots)

    if "static" in kinds:
        lines["static"] = root_line(
            "static", [min((b.at_one.complexity for b in r.rsb.branches), default=math.nan) for r in reps],
            sigma1_at, f"Sigma(1) = 0 on a nontrivial x = 1 branch at {axis} = {{}} (Kauzmann)",
            f"the x = 1 branch vanished at {axis} = {{}} while locating Sigma(1) = 0",
            "Sigma(1) of the x = 1 branches does not change sign on the grid")
    if "Gardner" in kinds:
        lines["Gardner"] = root_line(
            "Gardner", [_gardner_value(r) for r in reps],
            lambda v: _gardner_value(phase_at(v, nearest(v))), f"1RSB replicon = 1 at {axis} = {{}}",
            f"the 1RSB phase ended at {axis} = {{}} while locating the Gardner point",
            "the 1RSB replicon does not cross 1 inside a 1RSB/FRSB region of the grid")
    return TransitionLines(axis=axis, values=tuple(float(v) for v in grid),
                           labels=tuple(r.label for r in reps), lines=lines, scan=scan, model=model)


class _NoBranch(Exception):
    def __init__(self, v):
        super().__init__(v)
        self.v = v
