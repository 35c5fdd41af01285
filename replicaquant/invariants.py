"""Physical invariants of solver results: checked before anything is called "converged".

Every function here is pure and duck-typed on the attributes of a result object (no solver is
imported): it returns ``None`` when the result satisfies the invariants, otherwise a one-line
reason that names the violated invariant and the offending numbers, e.g.
``"invariant m^2 <= rho Q violated: m=1.111, rho=1, Q=0.25"``.  The one convergence protocol
(:func:`replicaquant.convergence.finalize`) turns such a reason into ``converged=False`` with the
reason as ``message``.

The invariants (see docs/theory.md for the order parameters):

* every numeric field is finite (``at`` may be ``inf`` at ``beta = inf``, where it is by definition);
* Cauchy-Schwarz ``m^2 <= rho Q`` (``m = E[w0 <w>]``, ``Q = E<w^2>``, ``rho = E[w0^2]``);
* ``0 <= q <= Q`` (RS), ``0 <= q0 <= q1 <= Q`` and ``0 < x <= 1`` (1RSB);
* ``chi >= 0`` (a variance times ``beta``), conjugates ``mhat, qhat, Ahat >= 0``;
* errors ``>= 0``: ``gen_error = rho - 2m + Q``, ``gen_error_mean = rho - 2m + q`` are squared
  distances, ``train_error`` is a mean squared residual;
* RS identities between the fields: ``Q - q = chi/beta`` (the variance of the level measure),
  the channel conjugates ``mhat = Ahat = alpha/(1 + chi)``,
  ``qhat = alpha (rho - 2m + q + noise_var)/(1 + chi)^2``, the error formulas, and the free
  energy: ``f`` recomputed from the fields with the RS formula
  ``f = -Ahat Q/2 + qhat chi/2 + mhat m - E[phi] + alpha/(2 beta) ln(1 + chi)
  + alpha/2 (rho - 2m + q + noise_var)/(1 + chi)`` (``E[phi]`` by the package's Gaussian
  quadrature at the returned conjugates) must equal ``free_energy``.

Slack: inequalities allow a relative ``1e-9`` (plus the rounding of the quantities compared);
identities a relative ``1e-7`` of the sum of the magnitudes of their terms -- far above double
rounding, far below any physically meaningful discrepancy.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping

import numpy as np
from numba import njit

__all__ = ["check_fields", "check_rs", "check_rsb1", "check_se", "check_amp_summary",
           "first_violation", "rs_invariants_hold"]

#: relative slack of the inequalities
INEQ_RTOL = 1e-9
#: relative slack of the identities (relative to the sum of the magnitudes of their terms)
IDENT_RTOL = 1e-7


def first_violation(*reasons) -> str | None:
    """The first reason that is not ``None`` (``None`` if all are)."""
    for r in reasons:
        if r is not None:
            return r
    return None


def _fmt(v) -> str:
    return f"{float(v):.6g}"


def check_fields(fields: Mapping[str, object], *, allow_inf: Iterable[str] = ()) -> str | None:
    """``None`` if every value (scalar or array) in ``fields`` is finite, else a reason naming it.

    ``allow_inf`` lists names for which ``+inf`` is a legitimate value (e.g. ``at`` at
    ``beta = inf``); NaN is never allowed.
    """
    allow = set(allow_inf)
    for name, value in fields.items():
        if value is None:
            continue
        if type(value) is float:  # fast path (solver results hold Python floats); same verdicts
            if math.isfinite(value):
                continue
            if value != value:
                return f"invariant 'finite fields' violated: {name} is NaN"
            if name in allow and value > 0:
                continue
            return f"invariant 'finite fields' violated: {name} is not finite"
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            return f"invariant 'finite fields' violated: {name} is not numeric ({value!r})"
        if np.isnan(arr).any():
            return f"invariant 'finite fields' violated: {name} is NaN"
        if not np.isfinite(arr).all():
            if name in allow and not np.any(arr == -np.inf):
                continue
            return f"invariant 'finite fields' violated: {name} is not finite"
    return None


def _le(a, b, *, scale=None) -> bool:
    """``a <= b`` up to the relative slack ``INEQ_RTOL`` of ``scale`` (default ``|a| + |b|``)."""
    s = abs(a) + abs(b) if scale is None else scale
    return a <= b + INEQ_RTOL * s + 1e-300


def _nonneg(name: str, value, scale=None) -> str | None:
    if not _le(0.0, float(value), scale=abs(float(value)) if scale is None else scale):
        return f"invariant {name} >= 0 violated: {name}={_fmt(value)}"
    return None


def _ident(name: str, lhs: float, rhs: float, terms: Iterable[float]) -> str | None:
    scale = sum(abs(float(t)) for t in terms) + abs(lhs)
    if not abs(lhs - rhs) <= IDENT_RTOL * scale + 1e-300:
        return f"invariant '{name}' violated: {_fmt(lhs)} != {_fmt(rhs)}"
    return None


def _model_numbers(sol):
    model = getattr(sol, "model", None)
    if model is None:
        return None
    try:
        return dict(alpha=float(model.alpha), beta=float(model.beta), lam=float(model.lam),
                    noise_var=float(model.noise_var), rho=float(model.rho),
                    levels=np.asarray(model.levels, dtype=float), teacher=model.teacher)
    except (AttributeError, TypeError, ValueError):
        return None


def _cauchy_schwarz(m, Q, rho) -> str | None:
    if not _le(m * m, rho * Q, scale=m * m + rho * Q):
        return (f"invariant m^2 <= rho Q violated: m={_fmt(m)}, rho={_fmt(rho)}, Q={_fmt(Q)}")
    return None


def _rs_order(q, Q, chi, *, where: str = "") -> str | None:
    """``0 <= q <= Q`` and ``chi >= 0`` (the RS overlaps and susceptibility)."""
    return first_violation(
        _nonneg("q", q, scale=abs(q) + abs(Q)),
        None if _le(q, Q) else f"invariant q <= Q violated{where}: q={_fmt(q)}, Q={_fmt(Q)}",
        _nonneg("chi", chi),
    )


def _teacher_bounds(m, Q, rho, errors, *, extra_scale: float = 0.0) -> str | None:
    """``m^2 <= rho Q``, then every ``(name, value)`` of ``errors`` ``>= 0`` on the scale
    ``rho + Q + 2|m| + extra_scale`` (the size of the terms of ``rho - 2m + Q``, plus the label
    noise for a training error)."""
    r = _cauchy_schwarz(m, Q, rho)
    if r:
        return r
    scale = rho + Q + 2 * abs(m)
    if extra_scale:
        scale = scale + extra_scale
    for k, v in errors:
        r = _nonneg(k, v, scale=scale)
        if r:
            return r
    return None


def _e_phi(p, a, mhat, qhat) -> float:
    """``E[phi]`` over the RS field ``h = mhat w0 + sqrt(qhat) z`` (package quadrature)."""
    from .quadrature import expect  # the Gaussian averages, not a solver

    levels, beta, teacher = p["levels"], p["beta"], p["teacher"]
    values = getattr(teacher, "values", None)
    if values is None:  # Gaussian teacher: h ~ N(0, mhat^2 rho + qhat)
        return float(expect(levels, a, beta, 0.0, math.sqrt(mhat * mhat * p["rho"] + qhat))[0])
    probs = np.asarray(teacher.probs, dtype=float)
    sig = math.sqrt(qhat)
    return float(sum(pj * expect(levels, a, beta, mhat * v, sig)[0]
                     for v, pj in zip(np.asarray(values, dtype=float), probs)))


@njit(cache=True)
def _le_c(a, b, s):
    return a <= b + INEQ_RTOL * s + 1e-300


@njit(cache=True)
def _ident_c(lhs, rhs, terms_abs):
    return abs(lhs - rhs) <= IDENT_RTOL * (terms_abs + abs(lhs)) + 1e-300


@njit(cache=True)
def rs_invariants_hold(fields, alpha, beta, rho, noise_var):
    """Compiled form of ``check_rs(sol, free_energy=False) is None`` for a solution with a model.

    ``fields`` are the 12 numbers of ``RSSolution.FIELDS`` (``m, q, Q, chi, mhat, qhat, Ahat,
    free_energy, gen_error, gen_error_mean, train_error, at``); the model enters through
    ``alpha, beta, rho, noise_var``.  The same inequalities and identities with the same slack
    and the same floating-point operations as :func:`check_rs`, so ``True`` here means
    :func:`check_rs` finds nothing (its fast path, and the per-point check of compiled sweeps);
    ``False``: some invariant is violated -- :func:`check_rs` says which.
    """
    inf_beta = math.isinf(beta)
    for k in range(12):
        v = fields[k]
        if not math.isfinite(v):
            if not (k == 11 and inf_beta and v > 0):  # 'at' may be +inf at beta = inf only
                return False
    m, q, Q, chi = fields[0], fields[1], fields[2], fields[3]
    mhat, qhat, Ahat = fields[4], fields[5], fields[6]
    ge, gem, te = fields[8], fields[9], fields[10]
    if not (_le_c(0.0, q, abs(q) + abs(Q)) and _le_c(q, Q, abs(q) + abs(Q))
            and _le_c(0.0, chi, abs(chi)) and _le_c(0.0, mhat, abs(mhat))
            and _le_c(0.0, qhat, abs(qhat)) and _le_c(0.0, Ahat, abs(Ahat))):
        return False
    if not _le_c(m * m, rho * Q, m * m + rho * Q):
        return False
    err_scale = rho + Q + 2 * abs(m)
    if not (_le_c(0.0, ge, err_scale) and _le_c(0.0, gem, err_scale)
            and _le_c(0.0, te, err_scale + noise_var)):
        return False
    D = rho - 2 * m + q + noise_var
    a1 = alpha / (1 + chi)
    return (_ident_c(Q - q, 0.0 if inf_beta else chi / beta, abs(Q) + abs(q))
            and _ident_c(ge, rho - 2 * m + Q, abs(rho) + abs(2 * m) + abs(Q))
            and _ident_c(gem, rho - 2 * m + q, abs(rho) + abs(2 * m) + abs(q))
            and _ident_c(mhat, a1, abs(a1))
            and _ident_c(Ahat, a1, abs(a1))
            and _ident_c(qhat, max(a1 * D / (1 + chi), 0.0),
                         abs(a1 * (rho + 2 * abs(m) + q + noise_var) / (1 + chi))))


def check_rs(sol, *, free_energy: bool = True) -> str | None:
    """Invariants of a replica-symmetric solution (attributes of :class:`RSSolution`).

    Needs ``m, q, Q, chi, mhat, qhat, Ahat, free_energy, gen_error, gen_error_mean,
    train_error, at``; if the result has a ``model`` the identities between the fields and the
    model (conjugates, errors, ``Q - q = chi/beta``, the free energy recomputed with the RS
    formula; ``free_energy=False`` skips the last one, which costs one quadrature) are checked too.
    """
    names = ("m", "q", "Q", "chi", "mhat", "qhat", "Ahat", "free_energy", "gen_error",
             "gen_error_mean", "train_error", "at")
    vals = {k: getattr(sol, k) for k in names if hasattr(sol, k)}
    p = _model_numbers(sol)
    inf_beta = p is not None and math.isinf(p["beta"])
    r = check_fields(vals, allow_inf=("at",) if (p is None or inf_beta) else ())
    if r:
        return r
    m, q, Q, chi = (float(vals[k]) for k in ("m", "q", "Q", "chi"))
    r = first_violation(_rs_order(q, Q, chi), *(_nonneg(k, vals[k]) for k in ("mhat", "qhat", "Ahat") if k in vals))
    if r:
        return r
    rho = p["rho"] if p is not None else None
    if rho is not None:
        r = _teacher_bounds(m, Q, rho, [(k, vals[k]) for k in ("gen_error", "gen_error_mean") if k in vals])
        if r:
            return r
        err_scale = rho + Q + 2 * abs(m)
    if "train_error" in vals:
        r = _nonneg("train_error", vals["train_error"],
                    scale=(err_scale + (p["noise_var"] if p else 0.0)) if rho is not None else None)
        if r:
            return r
    if p is None:
        return None
    alpha, beta, nv = p["alpha"], p["beta"], p["noise_var"]
    D = rho - 2 * m + q + nv
    checks = [
        _ident("Q - q = chi/beta", Q - q, 0.0 if inf_beta else chi / beta, (Q, q)),
        _ident("gen_error = rho - 2m + Q", float(vals.get("gen_error", rho - 2 * m + Q)),
               rho - 2 * m + Q, (rho, 2 * m, Q)),
        _ident("gen_error_mean = rho - 2m + q", float(vals.get("gen_error_mean", rho - 2 * m + q)),
               rho - 2 * m + q, (rho, 2 * m, q)),
    ]
    if "mhat" in vals:
        checks.append(_ident("mhat = alpha/(1 + chi)", float(vals["mhat"]), alpha / (1 + chi),
                             (alpha / (1 + chi),)))
    if "Ahat" in vals:
        checks.append(_ident("Ahat = alpha/(1 + chi)", float(vals["Ahat"]), alpha / (1 + chi),
                             (alpha / (1 + chi),)))
    if "qhat" in vals:
        checks.append(_ident("qhat = alpha (rho - 2m + q + noise_var)/(1 + chi)^2", float(vals["qhat"]),
                             max(alpha / (1 + chi) * D / (1 + chi), 0.0),
                             (alpha / (1 + chi) * (rho + 2 * abs(m) + q + nv) / (1 + chi),)))
    r = first_violation(*checks)
    if r or not free_energy or not all(k in vals for k in ("mhat", "qhat", "Ahat", "free_energy")):
        return r
    mhat, qhat, Ahat = (float(vals[k]) for k in ("mhat", "qhat", "Ahat"))
    try:
        e_phi = _e_phi(p, p["lam"] + Ahat, mhat, qhat)
    except Exception as exc:  # pragma: no cover - a broken quadrature is itself a violation
        return f"invariant 'free energy consistent with the fields' not checkable: {exc}"
    terms = [-Ahat * Q / 2, qhat * chi / 2, mhat * m, -e_phi, alpha / 2 * D / (1 + chi)]
    if not inf_beta:
        terms.append(alpha / (2 * beta) * math.log1p(chi))
    f_re = math.fsum(terms)
    if not math.isfinite(f_re):
        return "invariant 'free energy consistent with the fields' violated: recomputed f is not finite"
    return _ident("free energy consistent with the fields (RS formula)", float(vals["free_energy"]),
                  f_re, terms)


def check_rsb1(sol) -> str | None:
    """Invariants of a 1RSB solution (attributes of :class:`RSB1Solution`).

    Finite fields, ``0 < x <= 1``, ``0 <= q0 <= q1 <= Q``, ``chi1 >= 0``, conjugates
    ``mhat, qhat0, Ahat >= 0`` and ``qhat1 >= qhat0``, ``m^2 <= rho Q``, errors ``>= 0``,
    ``Q - q1 = chi1/beta``.  ``free_energy_rs`` may be NaN when no RS reference was computed.
    """
    names = ("x", "m", "q0", "q1", "Q", "chi1", "mhat", "qhat0", "qhat1", "Ahat", "free_energy",
             "gen_error", "gen_error_mean", "train_error", "dfdx", "complexity")
    vals = {k: getattr(sol, k) for k in names if hasattr(sol, k)}
    r = check_fields(vals)
    if r:
        return r
    x = float(vals.get("x", 1.0))
    if not (0.0 < x <= 1.0):
        return f"invariant 0 < x <= 1 violated: x={_fmt(x)}"
    m, q0, q1, Q, chi1 = (float(vals[k]) for k in ("m", "q0", "q1", "Q", "chi1"))
    r = first_violation(
        _nonneg("q0", q0, scale=abs(q0) + abs(Q)),
        None if _le(q0, q1) else f"invariant q0 <= q1 violated: q0={_fmt(q0)}, q1={_fmt(q1)}",
        None if _le(q1, Q) else f"invariant q1 <= Q violated: q1={_fmt(q1)}, Q={_fmt(Q)}",
        _nonneg("chi1", chi1),
        *(_nonneg(k, vals[k]) for k in ("mhat", "qhat0", "Ahat") if k in vals),
        None if ("qhat1" not in vals or _le(float(vals["qhat0"]), float(vals["qhat1"])))
        else f"invariant qhat0 <= qhat1 violated: qhat0={_fmt(vals['qhat0'])}, qhat1={_fmt(vals['qhat1'])}",
    )
    if r:
        return r
    p = _model_numbers(sol)
    if p is None:
        return None
    r = _teacher_bounds(m, Q, p["rho"], [(k, vals[k]) for k in ("gen_error", "gen_error_mean", "train_error")
                                         if k in vals], extra_scale=p["noise_var"])
    if r:
        return r
    if math.isfinite(p["beta"]):
        return _ident("Q - q1 = chi1/beta", Q - q1, chi1 / p["beta"], (Q, q1))
    return None


def check_se(se) -> str | None:
    """Invariants of a state-evolution trajectory (attributes of :class:`SEResult`).

    Every array finite; at the last iterate ``0 <= q <= Q``, ``chi >= 0``, ``m^2 <= rho Q``
    (the initial condition may be anything the user chose), ``mhat, qhat >= 0`` everywhere and
    ``mse, gen_error >= 0`` at the last iterate.
    """
    names = ("m", "q", "chi", "Q", "mhat", "qhat", "mse", "gen_error")
    vals = {k: np.asarray(getattr(se, k), dtype=float) for k in names if hasattr(se, k)}
    r = check_fields(vals)
    if r:
        return r
    last = {k: float(v[-1]) for k, v in vals.items() if v.size}
    for k in ("mhat", "qhat"):
        if k in vals and vals[k].size and np.min(vals[k]) < 0:
            return f"invariant {k} >= 0 violated: min {k}={_fmt(np.min(vals[k]))}"
    if not all(k in last for k in ("m", "q", "chi", "Q")):
        return None
    m, q, chi, Q = last["m"], last["q"], last["chi"], last["Q"]
    r = _rs_order(q, Q, chi, where=" at the last iterate")
    if r:
        return r
    p = _model_numbers(se)
    if p is None:
        return None
    return _teacher_bounds(m, Q, p["rho"], [(k, last[k]) for k in ("mse", "gen_error") if k in last])


def check_amp_summary(run, levels=None) -> str | None:
    """Invariants of an AMP run (attributes of :class:`AMPResult`).

    ``w`` and ``v`` finite, ``v >= 0`` (``beta Var``), ``V >= 0``, ``q = |w|^2/d >= 0``, ``mse >= 0``
    when the teacher was given; with ``levels`` every ``w_i`` lies in
    ``[min(levels), max(levels)]`` (a Gibbs mean of level values).
    """
    w = getattr(run, "w", None)
    v = getattr(run, "v", None)
    fields = {"w": w, "v": v}
    for k in ("V", "q", "mse", "m", "residual"):
        try:
            fields[k] = getattr(run, k)
        except (AttributeError, IndexError, TypeError):
            continue
    r = check_fields(fields, allow_inf=("residual",))
    if r:
        return r
    if v is not None and np.size(v) and float(np.min(v)) < 0:
        return f"invariant v >= 0 (beta Var) violated: min v={_fmt(np.min(v))}"
    for k in ("V", "q", "mse"):
        if fields.get(k) is not None:
            r = _nonneg(k, fields[k])
            if r:
                return r
    if levels is not None and w is not None and np.size(w):
        lv = np.asarray(levels, dtype=float)
        lo, hi = float(lv.min()), float(lv.max())
        slack = INEQ_RTOL * (abs(lo) + abs(hi))
        if float(np.min(w)) < lo - slack or float(np.max(w)) > hi + slack:
            return (f"invariant min(levels) <= w_i <= max(levels) violated: w in "
                    f"[{_fmt(np.min(w))}, {_fmt(np.max(w))}], levels in [{_fmt(lo)}, {_fmt(hi)}]")
    return None
