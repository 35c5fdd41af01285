"""Derived quantities of the RS theory: AT line, optimal width, interpolation threshold, peak.

Everything here is built on :func:`replicaquant.rs.solve_rs` with warm starts along one
parameter axis (walked with :func:`replicaquant.continuation.follow`; no dependence on the
sweep engine).  Axis names and meanings are those of the one registry
:mod:`replicaquant.axes` -- ``width``, ``alpha``, ``beta``, ``T``, ``lam``, ``noise_var``,
``rho``, ``gamma``, ``scale``, ``bits`` -- in particular ``width`` is the *outer level*
(largest ``|c_k|``) for every family (on a :class:`~replicaquant.quantizers.LloydMaxQuantizer`
it sets ``scale``).

Definitions (all at the RS saddle point):

* **AT line** -- the parameter value where the replicon ``at = alpha/(1+chi)^2 E[(beta Var_h w)^2]``
  crosses 1 (:func:`at_line`, :func:`at_line_curve`).
* **Optimal width** ``omega*`` -- the width minimising ``gen_error = rho - 2m + Q``
  (:func:`optimal_width`).
* **Interpolation threshold** ``alpha_c`` -- at ``beta = inf`` and ``lam -> 0+`` the
  finite-``chi`` RS solution exists only for ``alpha > alpha_c``; ``chi`` diverges as
  ``alpha -> alpha_c+`` and ``train_error = R/(1+chi)^2`` goes to 0 (:func:`interpolation_threshold`).
* **Double-descent peak** -- the maximum of an error curve over ``alpha``
  (:func:`double_descent_peak`).
* **AT slope** -- ``lim_{beta->inf} at/beta`` (:func:`at_slope`): ``at`` grows linearly in beta.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import brentq, minimize_scalar

from . import axes as _axes
from ._validation import check_int, check_real
from .model import Model
from .continuation import follow
from .records import PS_CHI, PS_M, PS_Q
from .rs import ConvergenceError, RSMap, RSSolution, prior_side, solve_rs, solve_rs_retrying
from .teachers import GaussianTeacher

__all__ = [
    "AXES", "ATLine", "OptimalWidth", "InterpolationThreshold", "DoubleDescentPeak",
    "with_param", "scan", "at_line", "at_line_curve", "optimal_width", "interpolation_threshold",
    "double_descent_peak", "at_slope",
]

#: the parameter axes (:data:`replicaquant.axes.AXES`, the one registry; ``bits`` only where
#: integers make sense, object axes not here)
AXES = _axes.AXES
_OBSERVABLES = ("gen_error", "gen_error_mean", "train_error", "at", "m", "q", "Q", "chi",
                "free_energy")


# ---------------------------------------------------------------------------------------------
# parameter handling and warm-started solves


def _check_axis(axis: str, *, continuous: bool = True) -> str:
    _axes.check_axis(axis, kinds=("real",) if continuous else ("real", "int"))
    return axis


def _check_observable(observable: str) -> str:
    if observable not in _OBSERVABLES:
        raise ValueError(f"observable must be one of {list(_OBSERVABLES)}, got {observable!r}")
    return observable


def _check_bracket(name: str, bracket) -> tuple[float, float]:
    try:
        lo, hi = bracket
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (lo, hi), got {bracket!r}") from None
    lo = check_real(f"{name}[0]", lo)
    hi = check_real(f"{name}[1]", hi)
    if not lo < hi:
        raise ValueError(f"{name} must satisfy lo < hi, got ({lo}, {hi})")
    return lo, hi


def _real_values(name: str, values) -> np.ndarray:
    """A 1-D float array of parameter values (``inf`` allowed, NaN and strings not)."""
    if isinstance(values, (str, bytes)):
        raise ValueError(f"{name} must be a sequence of real numbers, got {values!r}")
    try:
        arr = np.atleast_1d(np.asarray(values, dtype=float))
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of real numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN")
    return arr


def _normal_pdf(x, loc, scale):
    """Density of ``N(loc, scale**2)`` (scipy.stats is avoided: it doubles the import time)."""
    u = (np.asarray(x, dtype=float) - loc) / scale
    return np.exp(-0.5 * u * u) / (scale * math.sqrt(2.0 * math.pi))


def with_param(model: Model, axis: str, value) -> Model:
    """``model`` with one parameter set (:func:`replicaquant.axes.with_param`): e.g. ``width``
    is the outer level ``max|c_k|`` for every family (on Lloyd-Max it sets ``scale``)."""
    _check_axis(axis, continuous=False)
    return _axes.with_param(model, axis, value)


def _param_value(model: Model, axis: str) -> float:
    return float(_axes.param_value(model, axis))


def _solve(model: Model, init=None, solve_kwargs=None, retry: bool = True) -> RSSolution:
    """Warm-started solve; with ``retry`` a failure is retried cold, then multi-start
    (:func:`~replicaquant.rs.solve_rs_retrying`).  Never warns: check ``.converged``."""
    kw = dict(solve_kwargs or {})
    if retry:
        return solve_rs_retrying(model, init, **kw)[0]
    kw.update(warn=False, strict=False)
    return solve_rs(model, init=init, **kw)


#: how :func:`scan` walks (see :func:`replicaquant.continuation.follow`): warm start from the
#: previous solution, on failure cold then multi-start (as ``solve_rs_retrying``)
_SCAN_WALK = dict(init=None, predictor="previous", fallbacks=(None, "multi"), state=lambda s: s.x)


def _walk_solver(model: Model, axis: str, solve_kwargs=None, *, setter=None):
    """``solve(value, init)`` for :func:`~replicaquant.continuation.follow` along ``axis``."""
    kw = dict(solve_kwargs or {})
    kw.update(warn=False, strict=False)
    setter = setter or (lambda v: with_param(model, axis, v))

    def solve(value, init):
        return solve_rs(setter(value), init=init, **kw)

    return solve


#: how :class:`_Tracker` walks its scan grid: as :data:`_SCAN_WALK`, but a point that does not
#: converge is skipped (the next one starts from the last converged point, the nearest one)
_TRACK_WALK = dict(_SCAN_WALK, restart="last")


class _Tracker:
    """Solve along one axis: a grid walked by :func:`~replicaquant.continuation.follow`
    (:meth:`scan`), then single points (``track(value)``, e.g. inside a root finder), each
    warm-started from the nearest converged solution known so far (on failure cold, then
    multi-start)."""

    def __init__(self, model: Model, axis: str, solve_kwargs=None):
        self.model = model
        self.axis = axis
        self.solve_kwargs = solve_kwargs
        self.known: list[tuple[float, RSSolution]] = []
        self.evaluations = 0

    def nearest(self, value: float):
        conv = [(abs(v - value), s) for v, s in self.known if s.converged]
        if not conv:
            return None
        return min(conv, key=lambda t: t[0])[1]

    def __call__(self, value: float) -> RSSolution:
        sol = _solve(with_param(self.model, self.axis, value), self.nearest(value), self.solve_kwargs)
        self.known.append((float(value), sol))
        self.evaluations += 1
        return sol

    def scan(self, values) -> list:
        """Solutions at ``values`` (a monotone grid), walked in order by continuation."""
        values = [float(v) for v in values]
        walk = follow(values, _walk_solver(self.model, self.axis, self.solve_kwargs), **_TRACK_WALK)
        sols = list(walk.solutions)
        self.known.extend(zip(values, sols))
        self.evaluations += len(sols)
        return sols


def _grid(lo: float, hi: float, n: int, spacing: str) -> np.ndarray:
    if spacing not in ("auto", "linear", "log"):
        raise ValueError(f"spacing must be 'auto', 'linear' or 'log', got {spacing!r}")
    if spacing == "log" or (spacing == "auto" and lo > 0 and hi / lo >= 10):
        if lo <= 0:
            raise ValueError("spacing='log' needs a positive bracket")
        return np.geomspace(lo, hi, n)
    return np.linspace(lo, hi, n)


def scan(model: Model, axis: str, values, *, reverse: bool = False,
         solve_kwargs: dict | None = None) -> list[RSSolution]:
    """RS solutions along ``axis`` at ``values``, each warm-started from the previous one.

    Parameters
    ----------
    model : Model
        Base model; ``axis`` is replaced by each value in turn (see :func:`with_param`).
    axis : str
        A real or integer axis of :data:`AXES` (:mod:`replicaquant.axes`).
    values : array_like
        Parameter values (any order; continuation follows this order, or its reverse).
    reverse : bool
        Continue from the last value to the first (e.g. from large to small ``alpha``).
    solve_kwargs : dict, optional
        Passed to :func:`~replicaquant.rs.solve_rs` (``warn`` defaults to False here).

    Returns
    -------
    list of RSSolution
        In the order of ``values``; check ``.converged`` of each (a point that does not
        converge is kept with its flag and is not used as a warm start).
    """
    _check_axis(axis, continuous=False)
    vals = list(_real_values("values", values))
    walk = follow(vals[::-1] if reverse else vals, _walk_solver(model, axis, solve_kwargs),
                  **_SCAN_WALK)
    sols = list(walk.solutions)
    return sols[::-1] if reverse else sols


# ---------------------------------------------------------------------------------------------
# AT line


@dataclass(frozen=True)
class ATLine:
    """Root of ``at - 1`` along one parameter axis.

    Attributes
    ----------
    axis : str
        The parameter varied.
    value : float or None
        Parameter value where ``at = 1`` (the first crossing from ``bracket[0]``); ``None``
        when not found.
    found : bool
        A sign change of ``at - 1`` was bracketed and the root converged.
    stable_below : bool or None
        ``True`` if RS is stable (``at < 1``) on the low side of the root.
    n_crossings : int
        Sign changes of ``at - 1`` seen on the scan grid (more than one: re-entrance; the
        first is returned).
    bracket : (float, float)
        The search interval.
    at_range : (float, float)
        ``at`` at the two ends of the bracket.
    solution : RSSolution or None
        Saddle point at the root.
    evaluations : int
        Number of RS solves.
    message : str
        Status in words.
    """

    axis: str
    value: float | None
    found: bool
    stable_below: bool | None
    n_crossings: int
    bracket: tuple
    at_range: tuple
    solution: RSSolution | None = field(repr=False)
    evaluations: int
    message: str


def at_line(model: Model, axis: str = "width", bracket=(0.05, 50.0), *, n_scan: int = 32,
            spacing: str = "auto", xtol: float = 1e-9, rtol: float = 1e-10,
            strict: bool = False, warn: bool = True, solve_kwargs: dict | None = None) -> ATLine:
    """Critical value of ``axis`` where the replicon ``at`` crosses 1 (the AT line).

    A coarse warm-started scan of ``n_scan`` points over ``bracket`` locates the first sign
    change of ``at - 1``; Brent's method (``scipy.optimize.brentq``) refines it, each evaluation
    warm-started from the nearest solution already computed.

    Parameters
    ----------
    model : Model
        Base model (must have finite ``beta`` unless ``axis == "beta"``: at beta = inf,
        ``at = inf`` for any discrete level set).
    axis : str
        Continuous parameter: ``width``, ``alpha``, ``beta``, ``T``, ``lam``, ``noise_var``,
        ``rho``, ``gamma`` or ``scale`` (meanings: :mod:`replicaquant.axes`).
    bracket : (lo, hi)
        Search interval.
    n_scan : int
        Points of the coarse scan (geometric spacing if ``hi/lo >= 10`` and ``spacing="auto"``).
    strict : bool
        Raise ``ValueError`` (no crossing) or :class:`~replicaquant.rs.ConvergenceError`
        (a solve failed) instead of returning ``found=False``.
    warn : bool
        Emit a ``RuntimeWarning`` when no root is found (ignored when ``strict``).

    Returns
    -------
    ATLine
    """
    _check_axis(axis)
    lo, hi = _check_bracket("bracket", bracket)
    n_scan = check_int("n_scan", n_scan, low=2)
    grid = _grid(lo, hi, n_scan, spacing)
    track = _Tracker(model, axis, solve_kwargs)
    sols = track.scan(grid)
    at_range = (float(sols[0].at), float(sols[-1].at))

    def fail(msg, exc=ValueError):
        if strict:
            raise exc(msg)
        if warn:
            warnings.warn(msg, RuntimeWarning, stacklevel=3)
        return ATLine(axis, None, False, None, 0, (lo, hi), at_range, None, track.evaluations, msg)

    bad = [v for v, s in zip(grid, sols) if not s.converged]
    if bad:
        return fail(f"at_line: RS solve did not converge at {axis} = {bad[0]:.6g} "
                    f"({len(bad)} of {n_scan} scan points)", ConvergenceError)
    g = np.array([s.at for s in sols]) - 1.0
    sign = np.sign(g)
    idx = np.nonzero(sign[:-1] * sign[1:] < 0)[0]
    if idx.size == 0:
        side = "RS-stable (at < 1)" if g.max() < 0 else "RS-unstable (at >= 1)"
        return fail(f"at_line: no crossing of at = 1 for {axis} in [{lo:g}, {hi:g}]: "
                    f"{side} everywhere on the scan (at from {at_range[0]:.4g} to {at_range[1]:.4g})")
    i = int(idx[0])
    a, b = float(grid[i]), float(grid[i + 1])

    failures = []

    def f(v):
        s = track(v)
        if not s.converged:
            failures.append(v)
            raise ConvergenceError(f"RS solve did not converge at {axis} = {v:.6g}", s)
        return s.at - 1.0

    try:
        root = brentq(f, a, b, xtol=xtol, rtol=rtol, maxiter=200)
    except ConvergenceError as exc:
        return fail(f"at_line: {exc}", ConvergenceError)
    sol = track(root)
    msg = f"at = 1 at {axis} = {root:.10g}"
    if idx.size > 1:
        msg += f" (first of {idx.size} crossings on the scan grid)"
    return ATLine(axis, float(root), True, bool(g[i] < 0), int(idx.size), (lo, hi), at_range,
                  sol, track.evaluations, msg)


def at_line_curve(model: Model, *, over: str, values, axis: str = "width",
                  bracket=(0.05, 50.0), **kwargs) -> list[ATLine]:
    """The AT line ``axis_c(over)``: :func:`at_line` along ``axis`` for each value of ``over``.

    E.g. ``at_line_curve(model, over="bits", values=[1, 2, 3])`` gives the critical width
    for each number of bits; ``over="alpha"`` the critical width as a function of alpha.
    Keyword arguments go to :func:`at_line` (``warn`` defaults to False here: check ``.found``).
    """
    _check_axis(over, continuous=False)
    _check_axis(axis)
    if over == axis:
        raise ValueError("over must differ from axis")
    kwargs.setdefault("warn", False)
    return [at_line(with_param(model, over, v), axis, bracket, **kwargs)
            for v in np.atleast_1d(values)]


# ---------------------------------------------------------------------------------------------
# optimal width


@dataclass(frozen=True)
class OptimalWidth:
    """Minimiser ``omega*`` of an error over the quantizer width.

    Attributes
    ----------
    width : float
        ``omega*`` (for Lloyd-Max: the outer level, see :func:`with_param`).
    error : float
        The minimised observable at ``omega*``.
    at : float
        Replicon value at ``omega*``.
    rs_stable : bool
        ``at < 1`` at ``omega*`` (the RS prediction is self-consistent there).
    interior : bool
        The minimum lies strictly inside ``bounds`` (not at a scan edge).
    converged : bool
        Every solve of the scan and of the refinement converged.
    observable : str
        Which error was minimised (default ``gen_error``).
    solution : RSSolution
        Saddle point at ``omega*``.
    widths, values : ndarray
        The coarse scan (converged points only).
    message : str
    """

    width: float
    error: float
    at: float
    rs_stable: bool
    interior: bool
    converged: bool
    observable: str
    solution: RSSolution = field(repr=False)
    widths: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    message: str = ""


def optimal_width(model: Model, bounds=(0.05, 6.0), *, observable: str = "gen_error",
                  n_scan: int = 24, spacing: str = "linear", xatol: float = 1e-6,
                  solve_kwargs: dict | None = None) -> OptimalWidth:
    """Width ``omega*`` minimising ``observable`` (default ``gen_error = rho - 2m + Q``).

    A warm-started scan of ``n_scan`` widths finds the best grid point; a bounded scalar
    minimisation (``scipy.optimize.minimize_scalar(method="bounded")``) between its two grid
    neighbours refines it.  ``interior`` is False when the grid minimum is at an edge of
    ``bounds`` (then ``width`` is that edge: widen ``bounds``).

    Returns
    -------
    OptimalWidth
    """
    _check_observable(observable)
    lo, hi = _check_bracket("bounds", bounds)
    if lo <= 0:
        raise ValueError(f"bounds must be positive widths, got ({lo}, {hi})")
    n_scan = check_int("n_scan", n_scan, low=3)
    grid = _grid(lo, hi, n_scan, spacing)
    track = _Tracker(model, "width", solve_kwargs)
    sols = track.scan(grid)
    ok = np.array([s.converged for s in sols])
    if not ok.any():
        raise ConvergenceError("optimal_width: no RS solve converged on the scan", sols[0])
    vals = np.array([getattr(s, observable) for s in sols])
    masked = np.where(ok, vals, np.inf)
    i = int(np.argmin(masked))
    interior = 0 < i < n_scan - 1
    all_conv = bool(ok.all())
    if interior:
        failed = []

        def f(w):
            s = track(w)
            if not s.converged:
                failed.append(w)
                return float(masked.max()) + 1.0
            return float(getattr(s, observable))

        res = minimize_scalar(f, bounds=(grid[i - 1], grid[i + 1]), method="bounded",
                              options={"xatol": xatol})
        w_best = float(res.x)
        sol = track(w_best)
        if not sol.converged or getattr(sol, observable) > masked[i]:
            w_best, sol = float(grid[i]), sols[i]
        all_conv = all_conv and not failed
        msg = f"minimum of {observable} at width {w_best:.8g}"
    else:
        w_best, sol = float(grid[i]), sols[i]
        msg = (f"minimum of {observable} at the {'lower' if i == 0 else 'upper'} edge of "
               f"bounds ({w_best:g}): not interior, widen bounds")
    if not all_conv:
        msg += f"; {int((~ok).sum())} scan point(s) did not converge"
    return OptimalWidth(width=w_best, error=float(getattr(sol, observable)), at=float(sol.at),
                        rs_stable=bool(sol.rs_stable), interior=interior, converged=all_conv,
                        observable=observable, solution=sol, widths=grid[ok], values=vals[ok],
                        message=msg)


# ---------------------------------------------------------------------------------------------
# interpolation threshold (beta = inf, lam -> 0+)


@dataclass(frozen=True)
class InterpolationThreshold:
    """Interpolation threshold of the ``beta = inf``, ``lam -> 0+`` RS theory.

    Attributes
    ----------
    alpha : float
        ``alpha_c``: finite-``chi`` RS ground state for ``alpha > alpha_c`` only; ``chi -> inf``
        and ``train_error -> 0`` as ``alpha -> alpha_c+``.  Ridgeless continuous regression: 1.
    gen_error : float
        ``rho - 2m + q`` at ``alpha_c+`` (finite for a bounded level set: the height of the
        beta = inf double-descent cusp).
    m, q : float
        Overlaps at ``alpha_c+``.
    sigma : float
        Std of the effective Gaussian noise of the rounded field, ``sigma^2 = R/alpha_c``.
    message : str
    """

    alpha: float
    gen_error: float
    m: float
    q: float
    sigma: float
    message: str = ""


def _threshold_parts(rsmap: RSMap, levels: np.ndarray, sigma: float, rho: float, noise_var: float):
    # field h = w0 + sigma z, rounding with a = 1: <w> = Q(w0 + sigma z); prior_side returns
    # [E phi, m, q, Q, D = E d<w>/dh, .]
    out = prior_side(levels, 1.0, math.inf, 1.0, sigma * sigma, rsmap.tv, rsmap.tp, rsmap.grho)
    m, q, D = float(out[PS_M]), float(out[PS_Q]), float(out[PS_CHI])
    R = rho - 2.0 * m + q + noise_var
    return D, R, m, q


def interpolation_threshold(model: Model) -> InterpolationThreshold:
    """Interpolation threshold ``alpha_c`` of quantized least squares (beta = inf, lam -> 0+).

    At ``beta = inf`` with ``lam -> 0+`` the local field divided by ``Ahat`` is
    ``w0 + sigma z`` with ``sigma^2 = qhat/Ahat^2 = R/alpha``, ``R = rho - 2m + q + noise_var``,
    and the estimator is its nearest level ``<w> = Q(w0 + sigma z)``.  The susceptibility obeys
    ``chi = (1 + chi) D/alpha`` with ``D = E[dQ/dh] = sum_k (c_{k+1}-c_k) E[p(theta_k)]``
    (jumps times the density of ``w0 + sigma z`` at the midpoints), so
    ``chi = D/(alpha - D)``: finite iff ``alpha > D``.  The threshold is the solution of

        alpha_c = D(sigma),    alpha_c sigma^2 = R(sigma),

    a one-dimensional root in ``sigma`` (``D sigma^2 - R = 0``, Brent).  For
    ``alpha -> alpha_c+``, ``chi -> inf`` and ``train_error = R/(1+chi)^2 -> 0``: the quantized
    model *does* interpolate in the RS theory, below ``alpha_c`` rather than below 1.  A dense,
    wide level grid gives ``D -> 1`` and recovers ridgeless regression (``alpha_c -> 1``,
    divergent error); any bounded level set has ``alpha_c < 1`` and a finite error there.
    For one bit, ``D = 2 omega phi(0)/s`` (Gaussian teacher, ``s^2 = rho + sigma^2``) and
    ``alpha_c`` is the smaller root of ``rho a^2 - (rho + omega^2 + noise_var) a + 2 omega^2/pi``.

    Only the level set, the teacher and ``noise_var`` enter; ``model.alpha``, ``model.beta`` and
    ``model.lam`` are not used (the threshold is defined at beta = inf, lam -> 0+).  The RS
    ground state is AT-unstable at beta = inf (``at = inf``), so this is the RS prediction.
    Beyond RS: at beta = inf the zero-temperature 1RSB (:mod:`replicaquant.rsb_zero`) has a
    positive, volume-limited training error ``~ K^(-2/alpha)`` below ``alpha_c``; ``alpha_c`` is a
    crossover, not an interpolation point (see docs/ground_state.md).
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    rsmap = RSMap(model)
    levels = rsmap.levels
    rho, nv = float(model.rho), float(model.noise_var)

    def F(log_sigma):
        D, R, _, _ = _threshold_parts(rsmap, levels, math.exp(log_sigma), rho, nv)
        return D * math.exp(2 * log_sigma) - R

    lo, hi = math.log(_SIGMA_BRACKET[0]), math.log(_SIGMA_BRACKET[1])
    f_lo, f_hi = F(lo), F(hi)
    if not (f_lo < 0 < f_hi):
        raise ValueError(f"interpolation_threshold: no root of D sigma^2 = R for {model!r} "
                         f"(F(1e-8) = {f_lo:.3g}, F(1e8) = {f_hi:.3g})")
    ls = brentq(F, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500)
    sigma = math.exp(ls)
    D, R, m, q = _threshold_parts(rsmap, levels, sigma, rho, nv)
    return InterpolationThreshold(alpha=D, gen_error=rho - 2 * m + q, m=m, q=q, sigma=sigma,
                                  message=f"chi diverges as alpha -> {D:.10g}+ (beta = inf, lam -> 0+)")


# ---------------------------------------------------------------------------------------------
# double-descent peak


@dataclass(frozen=True)
class DoubleDescentPeak:
    """Double-descent peak: the highest interior local maximum of an error curve over alpha.

    Attributes
    ----------
    alpha, height : float
        Position and value of the peak (refined by a bounded search between grid neighbours).
    observable : str
        The error (default ``gen_error_mean``, the error of the Gibbs mean -- the estimator
        that the ridgeless closed form describes; equal to ``gen_error`` at beta = inf).
    interior : bool
        An interior local maximum was found.  If False, ``alpha``/``height`` are the global
        maximum of the valid points, at an end of the range (no peak).
    converged : bool
        Every scan point gave a valid solution (see ``failed_alphas``).
    alphas, values : ndarray
        The valid scan points and their ``observable``.
    failed_alphas : ndarray
        Points without a valid finite-``chi`` RS solution (not converged, or ``chi`` beyond
        ``1e3/lam`` -- the ``chi = inf`` phase at beta = inf), plus the smaller alphas skipped
        after two consecutive failures.
    ridgeless_alpha : float
        1.0: position of the (divergent) ridgeless peak, for comparison.
    message : str
    """

    alpha: float
    height: float
    observable: str
    interior: bool
    converged: bool
    alphas: np.ndarray = field(repr=False)
    values: np.ndarray = field(repr=False)
    failed_alphas: np.ndarray = field(repr=False)
    ridgeless_alpha: float = 1.0
    message: str = ""


#: a valid double-descent point has ``chi <= _CHI_CAP_TIMES_LAM/lam``: the ridge-selected
#: interpolator holds ``chi ~ 1/lam``, so a factor 1e3 above that is the ``chi = inf`` phase
_CHI_CAP_TIMES_LAM = 1e3
#: the cap at ``lam = 0``: beyond it an apparent fixed point is a floating-point artefact
#: (the same divergence threshold as the RS solver at ``beta = inf``)
_CHI_CAP_RIDGELESS = 1e12
#: bracket of the field scale ``sigma`` searched (in ``ln sigma``) for the interpolation threshold,
#: sixteen decades around the unit scale of the levels; a model whose root lies outside gets a
#: ValueError from the sign check at both ends, never a wrong root
_SIGMA_BRACKET = (1e-8, 1e8)


def _chi_cap(model: Model) -> float:
    return _CHI_CAP_TIMES_LAM / model.lam if model.lam > 0 else _CHI_CAP_RIDGELESS


def _valid(sol: RSSolution, cap: float) -> bool:
    return bool(sol.converged and sol.chi <= cap)


def double_descent_peak(model: Model, alphas, *, observable: str = "gen_error_mean",
                        xatol: float = 1e-6, solve_kwargs: dict | None = None) -> DoubleDescentPeak:
    """Position and height of the double-descent peak of ``observable`` vs alpha.

    The curve is computed from the largest alpha downwards with warm starts (large alpha is
    the easy, well-determined side).  The peak is the highest *interior local maximum* of the
    valid points, refined by a bounded scalar search between its grid neighbours.  A point is
    valid if the RS solve converged with ``chi <= 1e3/lam`` (``1e12`` at ``lam = 0``): at
    beta = inf, below the :func:`interpolation_threshold` ``alpha_c`` the ridge either holds
    ``chi ~ 1/lam`` (the ridge-selected interpolator, valid) or cannot (one bit: ``|w|^2`` is
    constant; then ``chi = inf`` and the point is listed in ``failed_alphas``).  After two
    consecutive failures the smaller alphas are skipped (and listed).

    Ridgeless regression peaks at ``alpha = 1`` with infinite height.  At beta = inf and
    ``lam -> 0+`` the quantized peak is the cusp at ``alpha_c < 1`` with the finite height of
    :func:`interpolation_threshold`.  At finite beta the Gibbs-*sample* error ``gen_error``
    has no interior maximum (it grows as alpha -> 0: thermal spread over interpolators).
    """
    _check_observable(observable)
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    a = np.unique(_real_values("alphas", alphas))
    if a.size < 3:
        raise ValueError("alphas must contain at least 3 distinct values")
    if not np.all(np.isfinite(a)) or a[0] <= 0:
        raise ValueError("alphas must be finite and positive")
    cap = _chi_cap(model)
    valid = np.zeros(a.size, dtype=bool)
    vals = np.zeros(a.size)
    sols: dict[int, RSSolution] = {}
    # from the largest alpha down, warm-started from the last valid solution; two consecutive
    # invalid points end the walk (the smaller alphas are skipped and listed as failed)
    idx = list(range(a.size - 1, -1, -1))
    walk = follow([float(a[i]) for i in idx],
                  _walk_solver(model, "alpha", solve_kwargs, setter=lambda v: model.replace(alpha=v)),
                  init=None, predictor="previous", state=lambda s: s.x, restart="last",
                  max_failures=2, accept=lambda s: _valid(s, cap))
    for i, st in zip(idx, walk.steps):
        if st.accepted:
            valid[i], vals[i], sols[i] = True, float(getattr(st.solution, observable)), st.solution
    if not valid.any():
        raise ConvergenceError("double_descent_peak: no valid RS solution on the alpha grid", None)
    peaks = [i for i in range(1, a.size - 1)
             if valid[i - 1] and valid[i] and valid[i + 1]
             and vals[i] > vals[i - 1] and vals[i] >= vals[i + 1]]
    if peaks:
        i = max(peaks, key=lambda j: vals[j])
        alpha_best, height = float(a[i]), float(vals[i])
        warm = sols[i]
        floor = float(vals[valid].min()) - 1.0

        def f(x):
            s = _solve(model.replace(alpha=x), warm, solve_kwargs, retry=False)
            return -float(getattr(s, observable)) if _valid(s, cap) else -floor

        res = minimize_scalar(f, bounds=(float(a[i - 1]), float(a[i + 1])), method="bounded",
                              options={"xatol": xatol})
        if -res.fun >= height:
            alpha_best, height = float(res.x), float(-res.fun)
        interior = True
        msg = f"peak of {observable} at alpha = {alpha_best:.8g} (height {height:.6g})"
    else:
        j = int(np.argmax(np.where(valid, vals, -np.inf)))
        alpha_best, height, interior = float(a[j]), float(vals[j]), False
        msg = (f"no interior local maximum of {observable}: largest value at alpha = "
               f"{alpha_best:g} (end of the valid range)")
    failed = a[~valid]
    if failed.size:
        msg += f"; no valid finite-chi RS solution at {failed.size} alpha(s) <= {failed.max():.4g}"
    return DoubleDescentPeak(alpha=alpha_best, height=height, observable=observable,
                             interior=interior, converged=not failed.size, alphas=a[valid],
                             values=vals[valid], failed_alphas=failed, message=msg)


# ---------------------------------------------------------------------------------------------
# AT slope at large beta


def at_slope(model: Model, *, solution: RSSolution | None = None) -> float:
    """Large-beta slope ``lim_{beta -> inf} at/beta`` from the beta = inf saddle point.

    At large beta, ``beta Var_h(w)`` is a sum of sharp bumps at the thresholds
    ``theta_k = (lam + Ahat)(c_k + c_{k+1})/2``: with log-odds ``u = beta dc_k (h - theta_k)``,
    ``beta Var = beta dc_k^2 s(u)(1 - s(u))`` (``s`` the logistic function) and
    ``int s^2 (1-s)^2 du = 1/6``, so ``E[(beta Var)^2] = beta/6 sum_k dc_k^3 p_h(theta_k)`` and

        at / beta -> alpha/(1 + chi)^2 * sum_k dc_k^3 p_h(theta_k) / 6

    with ``chi``, ``p_h`` at beta = inf.  For uniform levels (spacing ``dc``) this is
    ``alpha dc^2 chi/(6 (1+chi)^2)``.  ``model.beta`` is ignored (the beta = inf solution is
    used; pass it as ``solution`` to avoid re-solving).
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    if solution is not None and not isinstance(solution, RSSolution):
        raise ValueError(f"solution must be an RSSolution, got {type(solution).__name__}")
    m_inf = model.replace(beta=math.inf)
    sol = solution if solution is not None else _solve(m_inf, None)
    if not sol.converged:
        raise ConvergenceError("at_slope: the beta = inf RS solve did not converge", sol)
    c = np.asarray(model.levels, dtype=float)
    dc = np.diff(c)
    theta = (model.lam + sol.Ahat) * 0.5 * (c[1:] + c[:-1])
    if isinstance(model.teacher, GaussianTeacher):
        sig = math.sqrt(sol.mhat ** 2 * model.rho + sol.qhat)
        dens = _normal_pdf(theta, 0.0, sig)
    else:
        sq = math.sqrt(sol.qhat)
        dens = sum(p * _normal_pdf(theta, sol.mhat * v, sq)
                   for v, p in zip(model.teacher.values, model.teacher.probs))
    return float(model.alpha / (1 + sol.chi) ** 2 * np.sum(dc ** 3 * dens) / 6.0)
