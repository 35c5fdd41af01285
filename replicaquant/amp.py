"""GAMP for quantized regression with the finite-beta level denoiser (see docs/theory.md).

With ``F = X/sqrt(d)`` (never formed: the matvecs are rescaled) and the Gibbs measure
``exp(-beta H)`` (docs/theory.md), one iteration ``t = 1, 2, ...`` reads::

    V      = mean(v_{t-1})                          (v = beta Var, so V <-> chi)
    omega  = F w_{t-1} - V g_{t-1}                  (Onsager term; g_0 = 0)
    g_t    = (y - omega)/(1 + V)
    A      = alpha/(1 + V),    alpha = n/d of the data
    B      = F^T g_t + A w_{t-1}
    w_t    = <w>_(lam + A, B),   v_t = beta Var_(lam + A, B)(w)      (kernels.site_moments)

This is GAMP for the output channel ``exp(-beta (y - z)^2/2)`` and the prior
``exp(-beta lam w^2/2)`` on the levels, written in beta-scaled variables (``V = beta V_true``,
``g = g_true/beta``, ``A = A_true/beta``, ``B = B_true/beta``).  ``A`` is the usual
large-system value ``sum_mu F_{mu i}^2/(1 + V) ~ alpha/(1 + V)``; ``exact_a=True`` uses the
exact column sums ``sum_mu F_{mu i}^2`` instead (one pass over ``X`` at setup).

State evolution (:mod:`replicaquant.state_evolution`) predicts ``m_t = w_t.w0/d``,
``q_t = |w_t|^2/d`` and ``V_t`` of the undamped iteration, and its fixed points are the RS saddle
points of :func:`replicaquant.rs.solve_rs`.  At ``beta = inf`` the denoiser is a step function
(``v = 0``) and AMP degenerates, so a finite beta is required.

Cost per iteration: one ``X @ u`` and one ``X.T @ u`` (BLAS gemv into preallocated buffers) plus
two fused O(n) and O(d) compiled loops; no ``n x d`` temporary is ever created.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._validation import check_count, check_flag, check_int, check_memory, check_real, check_tol
from .convergence import MAX_ITER, NON_FINITE, SUCCESS, finalize
from .invariants import check_amp_summary
from .kernels import site_moments
from .model import Model
from .records import (AMP_DV, AMP_N, AMP_SUM_M, AMP_SUM_MSE, AMP_SUM_Q, AMP_SUM_RES, AMP_SUM_STEP,
                      AMP_SUM_V)

__all__ = ["AMPHistory", "AMPResult", "amp"]

#: default ``tol`` of :func:`amp` per matvec dtype (float32 rounding floors the residual at ~1e-7)
DEFAULT_TOL = {"float64": 1e-8, "float32": 1e-5}
_DEFAULT_TOL = DEFAULT_TOL  # old private name (commands/amp.py)


# ---------------------------------------------------------------------------------------------
# compiled pieces (one pass over n or d each; the level measure itself is kernels.site_moments)


@njit(cache=True)
def _all_finite_2d(X):
    """True iff every entry of the 2-D array ``X`` is finite (no temporary)."""
    n, d = X.shape
    for i in range(n):
        for j in range(d):
            if not np.isfinite(X[i, j]):
                return False
    return True


@njit(cache=True)
def _column_sq_norms(X, out):
    """``out[j] = sum_i X[i, j]**2`` in float64 (row-wise pass, no temporary)."""
    n, d = X.shape
    for j in range(d):
        out[j] = 0.0
    for i in range(n):
        for j in range(d):
            x = np.float64(X[i, j])
            out[j] += x * x


@njit(cache=True)
def _output_step(z, y, g, gm, V, scale):
    """Channel side: ``g <- (y - z + V g)/(1 + V)``, ``gm = g * scale`` (matvec input).

    ``z = F w_{t-1}``; ``g`` holds ``g_{t-1}`` on entry (the Onsager term ``omega = z - V g``)
    and ``g_t`` on exit.  Returns ``sum (y - z)**2``, the training residual of ``w_{t-1}``;
    ``g`` is left untouched when that is not finite.
    """
    n = z.size
    r2 = 0.0
    for mu in range(n):
        r = y[mu] - z[mu]
        r2 += r * r
    if not np.isfinite(r2):
        return r2
    inv = 1.0 / (1.0 + V)
    for mu in range(n):
        gg = (y[mu] - z[mu] + V * g[mu]) * inv
        g[mu] = gg
        gm[mu] = gg * scale
    return r2


@njit(cache=True)
def _prior_step(levels, lam, ainv, colsq, beta, ftg, w, v, wm, w0, damping, scale, stats):
    """Prior side, fused: ``B = F^T g + A w``, denoise, damp, write buffers, accumulate stats.

    ``A_i = ainv * colsq[i]`` if ``colsq`` has ``d`` entries (exact column sums), else
    ``A = ainv * colsq[0]``.  The new value is ``(1 - damping) f(B) + damping * old`` for both
    ``w`` and ``v``.  ``stats`` (slots ``records.AMP_*``) receives
    ``[sum v, sum (f_w - w_old)^2, sum (w_new - w_old)^2, sum w_new^2, sum w_new w0,
    sum (w_new - w0)^2, |sum f_v - sum v_old|]``.  Returns False (nothing written) if
    ``ftg`` is not finite.
    """
    d = w.size
    for i in range(d):
        if not np.isfinite(ftg[i]):
            return False
    exact = colsq.size == d
    has_w0 = w0.size == d
    keep = damping
    new = 1.0 - damping
    s_v = 0.0
    s_res = 0.0
    s_step = 0.0
    s_q = 0.0
    s_m = 0.0
    s_mse = 0.0
    s_fv = 0.0
    s_vold = 0.0
    a_scalar = ainv * colsq[0]
    for i in range(d):
        a_i = ainv * colsq[i] if exact else a_scalar
        wo = w[i]
        b = np.float64(ftg[i]) + a_i * wo
        _, mean, _, bv = site_moments(levels, lam + a_i, b, beta)
        dw = mean - wo
        s_res += dw * dw
        s_fv += bv
        s_vold += v[i]
        wn = new * mean + keep * wo
        vn = new * bv + keep * v[i]
        s_step += (wn - wo) * (wn - wo)
        s_v += vn
        s_q += wn * wn
        if has_w0:
            t0 = w0[i]
            s_m += wn * t0
            s_mse += (wn - t0) * (wn - t0)
        w[i] = wn
        v[i] = vn
        wm[i] = wn * scale
    stats[AMP_SUM_V] = s_v
    stats[AMP_SUM_RES] = s_res
    stats[AMP_SUM_STEP] = s_step
    stats[AMP_SUM_Q] = s_q
    stats[AMP_SUM_M] = s_m
    stats[AMP_SUM_MSE] = s_mse
    stats[AMP_DV] = abs(s_fv - s_vold)
    return True


# ---------------------------------------------------------------------------------------------
# result objects


@dataclass(frozen=True)
class AMPHistory:
    """Per-iteration record of an AMP run.

    Index ``t`` of the *state* arrays (``V, q, m, mse, train_residual``, length ``T + 1``) refers
    to the estimate after ``t`` iterations; ``t = 0`` is the initial condition.  These line up
    with :class:`replicaquant.state_evolution.SEResult` index by index (``V <-> chi``).
    The *step* arrays (``step, residual``, length ``T``) refer to iteration ``t = 1..T`` at
    index ``t - 1``.

    Attributes
    ----------
    V : ndarray
        ``mean(v_t)`` (``v = beta Var``), the AMP analogue of ``chi``.
    q : ndarray
        ``|w_t|^2/d``.
    m, mse : ndarray or None
        ``w_t.w0/d`` and ``|w_t - w0|^2/d`` (``= rho_emp - 2 m + q``); ``None`` without ``w0``.
    train_residual : ndarray
        ``|y - F w_t|/sqrt(n)`` (RMS training residual of the estimate).
    step : ndarray
        ``|w_t - w_{t-1}|/sqrt(d)``, the change actually made (after damping).
    residual : ndarray
        Undamped change ``max(|f(B_t) - w_{t-1}|/sqrt(d), |mean f_v(B_t) - V_{t-1}|)``; the
        convergence test uses this, so damping cannot fake convergence.
    """

    V: np.ndarray
    q: np.ndarray
    m: np.ndarray | None
    mse: np.ndarray | None
    train_residual: np.ndarray
    step: np.ndarray
    residual: np.ndarray

    def as_dict(self) -> dict:
        """Plain dict of lists (``m``/``mse`` omitted when unknown)."""
        out = {}
        for k in ("V", "q", "m", "mse", "train_residual", "step", "residual"):
            val = getattr(self, k)
            if val is not None:
                out[k] = [float(x) for x in val]
        return out


@dataclass(frozen=True)
class AMPResult:
    """Outcome of :func:`amp`.

    Attributes
    ----------
    w : ndarray, shape (d,)
        The estimate: Gibbs mean ``<w>`` of the last iteration (float64).
    v : ndarray, shape (d,)
        ``beta Var(w_i)`` per coordinate.
    converged : bool
        Undamped residual below ``tol``.
    iterations : int
        Number of iterations performed ``T``.
    residual : float
        Undamped residual of the last iteration.
    message : str
        Why the iteration stopped.
    status : int
        Status code of :mod:`replicaquant.convergence` (``0`` converged).
    history : AMPHistory
        Per-iteration record.
    alpha : float
        ``n/d`` of the data (what AMP uses in ``A = alpha/(1 + V)``).
    damping : float
        Weight on the previous iterate used in the run.
    """

    w: np.ndarray = field(repr=False)
    v: np.ndarray = field(repr=False)
    converged: bool
    iterations: int
    residual: float
    message: str
    history: AMPHistory = field(repr=False)
    alpha: float
    damping: float
    status: int = SUCCESS

    @property
    def V(self) -> float:
        """Final ``mean(v)``."""
        return float(self.history.V[-1])

    @property
    def mse(self) -> float | None:
        """Final ``|w - w0|^2/d`` (``None`` if ``w0`` was not given)."""
        return None if self.history.mse is None else float(self.history.mse[-1])

    @property
    def m(self) -> float | None:
        """Final ``w.w0/d`` (``None`` if ``w0`` was not given)."""
        return None if self.history.m is None else float(self.history.m[-1])

    @property
    def q(self) -> float:
        """Final ``|w|^2/d``."""
        return float(self.history.q[-1])

    def as_dict(self) -> dict:
        """Status, final numbers and history as plain Python types (no arrays of size d)."""
        d = dict(converged=bool(self.converged), iterations=int(self.iterations),
                 residual=float(self.residual), message=self.message, status=int(self.status),
                 alpha=float(self.alpha),
                 damping=float(self.damping), V=self.V, q=self.q)
        if self.mse is not None:
            d.update(m=self.m, mse=self.mse)
        d["history"] = self.history.as_dict()
        return d

    def __repr__(self) -> str:
        extra = "" if self.mse is None else f", mse={self.mse:.6g}, m={self.m:.6g}"
        return (f"AMPResult(converged={self.converged}, iterations={self.iterations}, "
                f"residual={self.residual:.3e}, V={self.V:.6g}, q={self.q:.6g}{extra}, "
                f"message={self.message!r})")


# ---------------------------------------------------------------------------------------------
# driver


def _check_inputs(X, y, model, dtype):
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    if math.isinf(model.beta):
        raise ValueError("beta: AMP needs a finite beta -- at beta = inf the quantized denoiser is "
                         "a step function with zero variance and the iteration degenerates; "
                         "run AMP at a finite beta (e.g. beta = 5 .. 100) instead")
    if not isinstance(X, np.ndarray):
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be a 2-D array (n, d), got shape {X.shape}")
    n, d = X.shape
    if n < 1 or d < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    if dtype is None:
        dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"dtype must be float32 or float64, got {dtype}")
    if X.dtype != dtype or not (X.flags.c_contiguous or X.flags.f_contiguous):
        if X.dtype.kind not in "fiu":
            raise ValueError(f"X must be a real numeric array, got dtype {X.dtype}")
        check_memory("X/dtype", float(n) * d * dtype.itemsize,
                     f"AMP's {dtype} copy of X of shape ({n}, {d})")  # before allocating it
        X = np.ascontiguousarray(X, dtype=dtype)  # one-time conversion copy
    if not _all_finite_2d(X):
        raise ValueError("X must be finite (found NaN or inf)")
    if np.iscomplexobj(y):
        raise ValueError("y must be real, got a complex array")
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("y must be a vector of real numbers") from None
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},) to match X {X.shape}, got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("y must be finite (found NaN or inf)")
    return X, np.ascontiguousarray(y), dtype


def _vector(name, value, d):
    if np.iscomplexobj(value):
        raise ValueError(f"{name} must be real, got a complex array")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a vector of real numbers") from None
    if arr.shape != (d,):
        raise ValueError(f"{name} must have shape ({d},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (found NaN or inf)")
    return np.array(arr, dtype=np.float64)  # private copy: updated in place


def _initial_state(init, d):
    """``(w, v)`` from ``init``: None / "zero", a vector ``w``, or a tuple ``(w, v)``."""
    if init is None or (isinstance(init, str) and init == "zero"):
        return np.zeros(d), np.zeros(d)
    if isinstance(init, str):
        raise ValueError(f"init must be None, 'zero', a vector w or a tuple (w, v), got {init!r}")
    if isinstance(init, tuple):
        if len(init) != 2:
            raise ValueError("init as a tuple must be (w, v)")
        w = _vector("init w", init[0], d)
        if np.ndim(init[1]) == 0:
            vv = check_real("init v", init[1], low=0.0)
            v = np.full(d, vv)
        else:
            v = _vector("init v", init[1], d)
            if np.any(v < 0):
                raise ValueError("init v must be >= 0 (it is beta times a variance)")
        return w, v
    return _vector("init", init, d), np.zeros(d)


def amp(X, y, model: Model, *, max_iter: int = 200, tol: float | None = None, damping: float = 0.0,
        init=None, w0=None, exact_a: bool = False, dtype=None, strict: bool = False,
        warn: bool = True) -> AMPResult:
    """Run GAMP with the finite-beta quantized denoiser on data ``(X, y)``.

    Implements the iteration of the module docstring: ``V = mean(v)``,
    ``omega = F w - V g_old``, ``g = (y - omega)/(1 + V)``, ``A = alpha/(1 + V)``,
    ``B = F^T g + A w``, ``w = <w>_(lam + A, B)``, ``v = beta Var``, with ``F = X/sqrt(d)``.

    Parameters
    ----------
    X : ndarray, shape (n, d)
        Inputs with ``O(1)`` entries (the predictor is ``X w/sqrt(d)``), finite.
    y : ndarray, shape (n,)
        Labels, finite.
    model : Model
        Supplies the levels, ``beta`` (must be finite), ``lam``.  ``alpha`` is taken from the
        data (``n/d``); ``noise_var`` and the teacher are not used by the algorithm.
    max_iter : int
        Maximum number of iterations (>= 1).
    tol : float, optional
        Convergence when the undamped residual (see :class:`AMPHistory`) is below ``tol``.
        ``0`` runs all ``max_iter`` iterations.  Default ``1e-8`` for float64 and ``1e-5`` for
        float32 matvecs (float32 rounding puts a floor of a few ``1e-7`` under the residual).
    damping : float in [0, 1)
        Weight on the *previous* iterate: ``w_t = (1 - damping) f(B_t) + damping w_{t-1}``
        (same for ``v``).  ``0`` (default) is plain AMP, the one state evolution describes.
    init : None, "zero", ndarray ``w`` or tuple ``(w, v)``
        Initial estimate and ``beta Var`` (scalar or vector).  Default ``w = 0``, ``v = 0``:
        then state evolution starts at ``m = q = chi = 0``.  For any init independent of ``X``
        the matching state-evolution init is ``(history.m[0], history.q[0], history.V[0])``.
    w0 : ndarray, optional
        Teacher weights; enables ``m`` and ``mse`` in the history.
    exact_a : bool
        Use ``A_i = sum_mu F_{mu i}^2/(1 + V)`` instead of ``alpha/(1 + V)``.
    dtype : float32 or float64, optional
        Precision of the matrix-vector products (default: that of ``X``; float32 halves the
        memory traffic).  If it differs from ``X.dtype``, ``X`` is converted once (a copy).
        The denoiser and the state vectors are always float64.
    strict : bool
        Raise :class:`replicaquant.errors.ConvergenceError` (with ``.result``) when not converged
        (see :func:`replicaquant.convergence.finalize`).
    warn : bool
        Emit a ``RuntimeWarning`` when not converged (ignored with ``strict``).

    Returns
    -------
    AMPResult
    """
    X, y, dtype = _check_inputs(X, y, model, dtype)
    max_iter = check_count("max_iter", max_iter)
    if tol is None:
        tol = DEFAULT_TOL[dtype.name]
    tol = check_tol("tol", tol, allow_zero=True)  # 0: run every iteration
    exact_a, strict, warn = (check_flag(k, v) for k, v in
                             (("exact_a", exact_a), ("strict", strict), ("warn", warn)))
    damping = check_real("damping", damping, low=0.0)
    if damping >= 1.0:
        raise ValueError(f"damping must be in [0, 1) (weight on the previous iterate), got {damping}")
    d = X.shape[1]
    w, v = _initial_state(init, d)
    w0v = _vector("w0", w0, d) if w0 is not None else None

    run = _AMPRun(X, y, model, w, v, w0v, damping=damping, exact_a=exact_a, dtype=dtype)
    rec = _Recorder(max_iter, run)
    t, res, status, message = run.iterate(rec, max_iter, tol)
    rec.final_train_residual(t, run)
    result = AMPResult(w=run.w, v=run.v, converged=status == SUCCESS, iterations=t,
                       residual=float(res), message=message, history=rec.history(t),
                       alpha=run.alpha, damping=damping, status=status)
    violation = check_amp_summary(result, run.levels) if result.converged else None
    return finalize(result, violation=violation, strict=strict, warn=warn, what="amp")


class _AMPRun:
    """State and preallocated buffers of one AMP run (matvec buffers in the matvec dtype).

    ``w, v`` (float64) are updated in place; ``wm = w/sqrt(d)`` and ``gm = g/sqrt(d)`` are the
    matvec inputs, ``z = F w`` and ``ftg = F^T g`` the outputs; ``colsq`` is ``[alpha]`` or the
    exact column sums ``sum_mu F_{mu i}^2`` (``exact_a``).
    """

    def __init__(self, X, y, model, w, v, w0v, *, damping, exact_a, dtype):
        n, d = X.shape
        self.X, self.XT, self.y = X, X.T, y
        self.n, self.d = n, d
        self.w, self.v = w, v
        self.w0v = np.zeros(0) if w0v is None else w0v
        self.has_w0 = w0v is not None
        self.levels = np.ascontiguousarray(model.levels, dtype=np.float64)
        self.beta, self.lam = float(model.beta), float(model.lam)
        self.damping = damping
        self.alpha = n / d
        self.scale = 1.0 / math.sqrt(d)
        if exact_a:
            self.colsq = np.empty(d)
            _column_sq_norms(X, self.colsq)
            self.colsq /= d
        else:
            self.colsq = np.array([self.alpha])
        self.wm = (w * self.scale).astype(dtype)
        self.gm = np.zeros(n, dtype=dtype)
        self.z = np.empty(n, dtype=dtype)
        self.ftg = np.empty(d, dtype=dtype)
        self.g = np.zeros(n)
        self.stats = np.zeros(AMP_N)
        self.V = float(np.mean(v))

    def step(self):
        """One iteration; returns ``(status, what, r2)``: ``NON_FINITE`` and what was not finite
        (nothing updated past the failure), or ``SUCCESS`` with ``r2 = |y - F w_{t-1}|^2`` and
        ``self.stats`` filled."""
        np.dot(self.X, self.wm, out=self.z)                                  # z = F w_{t-1}
        r2 = _output_step(self.z, self.y, self.g, self.gm, self.V, self.scale)  # g_t, Onsager
        if not math.isfinite(r2):
            return NON_FINITE, "non-finite training residual", r2
        np.dot(self.XT, self.gm, out=self.ftg)                               # ftg = F^T g_t
        ainv = 1.0 / (1.0 + self.V)
        if not _prior_step(self.levels, self.lam, ainv, self.colsq, self.beta, self.ftg, self.w,
                           self.v, self.wm, self.w0v, self.damping, self.scale, self.stats):
            return NON_FINITE, "non-finite field B", r2
        self.V = self.stats[AMP_SUM_V] / self.d
        return SUCCESS, "", r2

    def iterate(self, rec, max_iter, tol):
        """Iterate until the undamped residual is below ``tol``; ``(t, residual, status, message)``."""
        res = math.inf
        t = 0
        for it in range(1, max_iter + 1):
            status, what, r2 = self.step()
            if status == NON_FINITE:
                return t, res, NON_FINITE, (f"{what} at iteration {it}; stopped at the last "
                                            "finite iterate")
            rec.train_residual(it - 1, r2, self.n)
            t = it
            st = self.stats
            res = max(math.sqrt(st[AMP_SUM_RES] / self.d), st[AMP_DV] / self.d)
            rec.record(it, st, self.d, res)
            if res < tol:
                return t, res, SUCCESS, f"converged: undamped residual {res:.3e} < tol {tol:g}"
        return t, res, MAX_ITER, f"no convergence in {max_iter} iterations (undamped residual {res:.3e})"


class _Recorder:
    """The per-iteration arrays of :class:`AMPHistory`, filled as the run goes."""

    def __init__(self, max_iter, run):
        self.has_w0 = run.has_w0
        self.V = np.empty(max_iter + 1)
        self.q = np.empty(max_iter + 1)
        self.m = np.empty(max_iter + 1)
        self.mse = np.empty(max_iter + 1)
        self.tr = np.empty(max_iter + 1)
        self.step = np.empty(max_iter)
        self.res = np.empty(max_iter)
        w, d = run.w, run.d
        self.V[0] = run.V
        self.q[0] = float(w @ w) / d
        if run.has_w0:
            self.m[0] = float(w @ run.w0v) / d
            self.mse[0] = float((w - run.w0v) @ (w - run.w0v)) / d

    def train_residual(self, t, r2, n):
        self.tr[t] = math.sqrt(r2 / n)

    def record(self, it, st, d, res):
        self.V[it] = st[AMP_SUM_V] / d
        self.q[it] = st[AMP_SUM_Q] / d
        if self.has_w0:
            self.m[it] = st[AMP_SUM_M] / d
            self.mse[it] = st[AMP_SUM_MSE] / d
        self.step[it - 1] = math.sqrt(st[AMP_SUM_STEP] / d)
        self.res[it - 1] = res

    def final_train_residual(self, t, run):
        """Training residual of the final estimate (one more matvec)."""
        np.dot(run.X, run.wm, out=run.z)
        self.tr[t] = math.sqrt(float(np.sum((run.y - run.z) ** 2)) / run.n)

    def history(self, t) -> AMPHistory:
        k = t + 1
        return AMPHistory(V=self.V[:k].copy(), q=self.q[:k].copy(),
                          m=self.m[:k].copy() if self.has_w0 else None,
                          mse=self.mse[:k].copy() if self.has_w0 else None,
                          train_residual=self.tr[:k].copy(), step=self.step[:t].copy(),
                          residual=self.res[:t].copy())
