"""State evolution of AMP (see docs/theory.md): the RS map iterated without damping.

In the large-``d`` limit the AMP field is ``B_t =d A_t w0 + sqrt(qhat_t) z`` with ``z ~ N(0, 1)``
independent of ``w0``, and the conjugates are those of the square-loss channel evaluated at the
previous iterate (``chi <-> V``)::

    A_t = mhat_t = alpha/(1 + chi_{t-1}),   qhat_t = alpha (rho - 2 m_{t-1} + q_{t-1} + noise_var)/(1 + chi_{t-1})^2
    m_t = E[w0 <w>],  q_t = E[<w>^2],  Q_t = E[<w^2>],  chi_t = beta E[Var]     (level measure at (lam + A_t, B_t))

This is exactly one call of :class:`replicaquant.rs.RSMap` per iteration (the same compiled
prior side and channel conjugates as the replica solver), so its fixed points are the RS saddle
points.  Index ``t`` lines up with :class:`replicaquant.amp.AMPHistory`: ``t = 0`` is the
initial condition (default ``m = q = chi = 0``, the image of AMP's default ``w = 0, v = 0``),
``t`` the estimate after ``t`` AMP iterations; the predicted AMP MSE is ``rho - 2 m_t + q_t``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_count, check_flag, check_int, check_real, check_state, check_tol
from .convergence import MAX_ITER, NON_FINITE, SUCCESS, finalize
from .invariants import check_se
from .model import Model
from .records import PS_CHI, PS_M, PS_Q, PS_QSELF
from .rs import RSMap, channel_conjugates

__all__ = ["SEResult", "state_evolution"]


@dataclass(frozen=True)
class SEResult:
    """A state-evolution trajectory; arrays of length ``n_iter + 1`` indexed by ``t``.

    Attributes
    ----------
    m, q, chi : ndarray
        Order parameters after ``t`` iterations (``t = 0``: the initial condition).
        ``chi`` is the prediction for AMP's ``V = mean(beta Var)``.
    Q : ndarray
        ``E<w^2>`` (``Q[0]`` is ``q[0] + chi[0]/beta``, the value consistent with the init).
    mhat, qhat : ndarray
        Channel conjugates evaluated at iterate ``t`` (they produce iterate ``t + 1``);
        ``mhat[t] = alpha/(1 + chi_t)`` is AMP's ``A`` in iteration ``t + 1``.
    mse : ndarray
        Predicted MSE of the AMP estimate ``rho - 2 m_t + q_t`` (= ``gen_error_mean``).
    gen_error : ndarray
        ``rho - 2 m_t + Q_t`` (Gibbs-sample error).
    converged : bool
        ``residual < tol``.
    residual : float
        Undamped residual ``max |x_T - x_{T-1}| / max(1, |x_T|)`` of the last step, ``x = (m, q, chi)``.
    iterations : int
        ``n_iter`` (fewer if the map produced a non-finite value: the arrays then stop at the
        last finite iterate).
    message : str
        Why the result is (not) converged.
    status : int
        Status code of :mod:`replicaquant.convergence`.
    """

    model: Model = field(repr=False)
    m: np.ndarray = field(repr=False)
    q: np.ndarray = field(repr=False)
    chi: np.ndarray = field(repr=False)
    Q: np.ndarray = field(repr=False)
    mhat: np.ndarray = field(repr=False)
    qhat: np.ndarray = field(repr=False)
    mse: np.ndarray = field(repr=False)
    gen_error: np.ndarray = field(repr=False)
    converged: bool
    residual: float
    iterations: int
    message: str = ""
    status: int = SUCCESS

    @property
    def V(self) -> np.ndarray:
        """Alias of ``chi`` (the AMP name)."""
        return self.chi

    @property
    def x(self) -> np.ndarray:
        """Last iterate ``(m, q, chi)`` (a warm start for ``solve_rs``)."""
        return np.array([self.m[-1], self.q[-1], self.chi[-1]])

    def as_dict(self) -> dict:
        """Plain dict of lists and the status."""
        d = {k: [float(v) for v in getattr(self, k)]
             for k in ("m", "q", "chi", "Q", "mhat", "qhat", "mse", "gen_error")}
        d.update(converged=bool(self.converged), residual=float(self.residual),
                 iterations=int(self.iterations), message=self.message, status=int(self.status))
        return d

    def __repr__(self) -> str:
        return (f"SEResult(iterations={self.iterations}, m={self.m[-1]:.10g}, q={self.q[-1]:.10g}, "
                f"chi={self.chi[-1]:.10g}, mse={self.mse[-1]:.10g}, converged={self.converged}, "
                f"residual={self.residual:.3e})")


def state_evolution(model: Model, *, n_iter: int = 100, init=None, tol: float = 1e-10,
                    strict: bool = False, warn: bool = True) -> SEResult:
    """Iterate state evolution ``x_t = RSMap(model)(x_{t-1})``, ``x = (m, q, chi)``, ``n_iter`` times.

    Parameters
    ----------
    model : Model
        The problem (``beta = inf`` is allowed here: the ground-state map, although AMP itself
        needs a finite beta).
    n_iter : int
        Number of iterations (>= 1); the arrays have ``n_iter + 1`` entries.
    init : None or triple ``(m0, q0, chi0)``
        Initial condition; ``None`` is ``(0, 0, 0)``, the image of AMP's default ``w = 0, v = 0``.
        For another AMP init use ``(hist.m[0], hist.q[0], hist.V[0])``.
    tol : float
        ``converged`` is ``residual < tol`` after the last step (no early stop: the trajectory
        always has ``n_iter`` steps so it lines up with an AMP run).
    strict, warn : bool
        On non-convergence raise :class:`replicaquant.errors.ConvergenceError` (``strict``) or emit a
        ``RuntimeWarning`` (``warn``).  A non-finite iterate is a non-convergence too: the
        trajectory then ends at the last finite iterate (``converged=False``, ``status``
        ``NON_FINITE``), never with NaN.

    Returns
    -------
    SEResult
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    n_iter = check_count("n_iter", n_iter)
    tol = check_tol("tol", tol, allow_zero=True)  # 0: run every iteration
    strict, warn = check_flag("strict", strict), check_flag("warn", warn)
    if init is None:
        x = np.zeros(3)
    else:
        x = check_state("init", init, ("m", "q", "chi"))
        # no Cauchy-Schwarz check m^2 <= rho q: an AMP init measured on data obeys it with the
        # empirical |w0|^2/d, which may exceed rho; the map is well defined anyway
        if x[1] < 0 or x[2] < 0:
            raise ValueError("init must satisfy q >= 0 and chi >= 0")
    rsmap = RSMap(model)
    rho = model.rho
    out = {k: np.empty(n_iter + 1) for k in ("m", "q", "chi", "Q", "mhat", "qhat")}
    out["m"][0], out["q"][0], out["chi"][0] = x
    out["Q"][0] = x[1] + (x[2] / model.beta if math.isfinite(model.beta) else 0.0)
    res = math.inf
    status, message, n_done = SUCCESS, "", n_iter
    for t in range(1, n_iter + 1):
        (mhat, qhat, _), pv = rsmap.evaluate(x)
        new = np.array([pv[PS_M], pv[PS_Q], pv[PS_CHI]])
        if not (np.all(np.isfinite(new)) and math.isfinite(pv[PS_QSELF])):
            n_done = t - 1
            status = NON_FINITE
            message = (f"state evolution produced a non-finite iterate at t={t} from x={x}; the "
                       f"trajectory stops at t={n_done}")
            break
        out["mhat"][t - 1], out["qhat"][t - 1] = mhat, qhat
        res = float(np.max(np.abs(new - x) / np.maximum(1.0, np.abs(new))))
        x = new
        out["m"][t], out["q"][t], out["chi"][t] = x
        out["Q"][t] = pv[PS_QSELF]
    out = {k: v[:n_done + 1] for k, v in out.items()}
    mh, qh, _ = channel_conjugates(model.alpha, rho, model.noise_var, *x)
    out["mhat"][n_done], out["qhat"][n_done] = mh, qh
    mse = rho - 2.0 * out["m"] + out["q"]
    gen = rho - 2.0 * out["m"] + out["Q"]
    converged = bool(res < tol) and status == SUCCESS
    if status == SUCCESS:
        if converged:
            message = f"converged: residual {res:.3e} < tol {tol:g} after {n_iter} iterations"
        else:
            status = MAX_ITER
            message = (f"state evolution not converged after {n_iter} iterations (residual "
                       f"{res:.3e} >= tol {tol:g})")
    result = SEResult(model=model, mse=mse, gen_error=gen, converged=converged, residual=res,
                      iterations=n_done, message=message, status=status, **out)
    violation = check_se(result) if converged else None
    return finalize(result, violation=violation, strict=strict, warn=warn, what="state_evolution",
                    model=model)
