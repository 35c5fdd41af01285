"""Symbolic derivation of the zero-temperature 1RSB equations, runnable and self-checking.

Run ``python -m replicaquant.derivations.rsb1_zero_sympy`` to print the limit and run every check
(exit status 1 if one fails).  ``derive()`` returns the expressions, ``run_checks()`` the
verdicts.  The numerical counterpart is :mod:`replicaquant.rsb_zero`.

Steps
-----
1. Scaling.  At finite beta the 1RSB free energy (solver scaling of :mod:`replicaquant.rsb`) is

       f = -Ahat Q/2 + qhat1 chi1/2 + (beta x/2)(qhat1 q1 - qhat0 q0) + mhat m - Phi_beta
           + alpha/(2 beta x) ln Lam + alpha/(2 beta)(1 - 1/x) ln(1 + chi1) + alpha D/(2 Lam),
       chi1 = beta (Q - q1),  Lam = 1 + chi1 + x beta (q1 - q0).

   For discrete levels the intra-state measure freezes: ``chi1 = E<<beta Var>> = E<<d<w>/dh>>``
   stays of order one (``d<w>/dh`` tends to jumps times deltas at the thresholds, whose tilted
   average is a density), hence ``Q - q1 = chi1/beta = O(1/beta)``.  The Parisi parameter scales
   as ``x = y/beta`` so that ``x beta (q1 - q0) = y (Q - q0) + O(1/beta)`` stays finite; the
   conjugates (``Ahat = alpha/(1+chi1)``, ``qhat1 - qhat0 = alpha (q1 - q0)/((1+chi1) Lam)``)
   then have finite limits, and so does ``Phi_beta = (1/y) E ln E_z1 exp(y phi)`` because
   ``phi -> phi_inf = max_k (h c_k - a c_k^2/2)`` uniformly (``0 <= phi - phi_inf <= ln K/beta``).
   Substituting ``x = y/beta``, ``q1 = Q - chi1/beta`` and expanding in ``eps = 1/beta`` gives
   the energy functional ``e(y)`` (leading order) and its ``O(1/beta)`` correction (checked).
2. Channel equations: stationarity of ``e`` in ``(m, q0, Q, chi1)`` solved for the conjugates.
3. Prior equations: stationarity in the conjugates (``Phi`` an undefined function of
   ``(Ahat, mhat, qhat0, qhat1, y)``); their moment form is in :mod:`replicaquant.rsb_zero`.
4. Training error: the ``beta -> inf`` limit of the finite-beta 1RSB training error.
5. ``y -> 0``: with ``Phi = Ephi_RS + O(y)`` (the inner average becomes a plain average),
   ``e(0+)`` is the RS ground-state free energy with ``q = Q``, ``chi = chi1``, ``qhat = qhat1``.
6. ``de/dy`` at fixed order parameters, using ``dPhi/dy = (E<<phi_inf>> - Phi)/y``; the
   complexity ``Sigma = lim beta x^2 df/dx = y^2 de/dy`` (since ``d/dx = beta d/dy``).
"""
from __future__ import annotations

import functools
import sys

import sympy as sp

from . import print_equations, report_checks

alpha, beta, x, y, eps = sp.symbols("alpha beta x y epsilon", positive=True)
rho, noise = sp.symbols("rho noise_var", positive=True)
lam = sp.symbols("lam", nonnegative=True)
m, q0, q1, Q, chi1 = sp.symbols("m q0 q1 Q chi1", real=True)
mhat, qhat0, qhat1, Ahat = sp.symbols("mhat qhat0 qhat1 Ahat", real=True)
PhiB = sp.Function("Phi_beta")  # (1/(beta x)) E ln E_z1 exp(x beta phi)
Phi = sp.Function("Phi")        # (1/y) E ln E_z1 exp(y phi_inf)
ephi = sp.symbols("Ephi", real=True)  # E<<phi_inf>>

Dres = rho - 2 * m + q0 + noise


def finite_beta_free_energy():
    """Finite-beta 1RSB ``f`` with ``chi1 = beta (Q - q1)`` as in :mod:`replicaquant.rsb`."""
    c1 = beta * (Q - q1)
    Lam = 1 + c1 + x * beta * (q1 - q0)
    return (-Ahat * Q / 2 + qhat1 * c1 / 2 + beta * x / 2 * (qhat1 * q1 - qhat0 * q0) + mhat * m
            - PhiB(Ahat, mhat, qhat0, qhat1, x)
            + alpha / (2 * beta * x) * sp.log(Lam) + alpha / (2 * beta) * (1 - 1 / x) * sp.log(1 + c1)
            + alpha * Dres / (2 * Lam))


def finite_beta_train_error():
    c1 = beta * (Q - q1)
    Lam = 1 + c1 + x * beta * (q1 - q0)
    return (1 - 1 / x) * c1 / (beta * (1 + c1)) + (Lam - 1) / (beta * x * Lam) + Dres / Lam ** 2


def zero_t_substitution():
    """``x = y eps``, ``q1 = Q - chi1 eps``, ``beta = 1/eps``."""
    return {x: y * eps, q1: Q - chi1 * eps, beta: 1 / eps}


def energy_closed_form():
    """``e(y)`` as implemented in :mod:`replicaquant.rsb_zero`."""
    Lam = 1 + chi1 + y * (Q - q0)
    return (-Ahat * Q / 2 + qhat1 * chi1 / 2 + y / 2 * (qhat1 * Q - qhat0 * q0) + mhat * m
            - Phi(Ahat, mhat, qhat0, qhat1, y)
            + alpha / (2 * y) * sp.log(Lam / (1 + chi1)) + alpha * Dres / (2 * Lam))


def _series(expr, order=2):
    """Expansion of ``expr`` in ``eps`` up to ``eps**(order-1)``: list of coefficients."""
    ser = sp.series(expr, eps, 0, order).removeO()
    return [sp.simplify(ser.coeff(eps, k)) for k in range(order)]


@functools.lru_cache(maxsize=None)
def _derive_cached():
    P = sp.Symbol("P")
    f = finite_beta_free_energy().subs(PhiB(Ahat, mhat, qhat0, qhat1, x), P)
    fz = sp.expand_log(f.subs(zero_t_substitution()), force=True)
    c0, c1_ = _series(fz, 2)
    e = energy_closed_form()
    tz = finite_beta_train_error().subs(zero_t_substitution())
    t0 = sp.simplify(sp.limit(tz, eps, 0))
    # channel equations
    unknowns = (mhat, qhat0, qhat1, Ahat)
    eqs = [sp.diff(e, v) for v in (m, q0, Q, chi1)]
    sol = sp.solve(eqs, unknowns, dict=True)[0]
    channel = {k: sp.factor(sp.together(sol[k])) for k in unknowns}
    prior = {v: sp.diff(e, v) for v in unknowns}
    # de/dy: replace dPhi/dy by (Ephi - Phi)/y
    Pv = sp.Symbol("Phi_val")
    dedy = sp.diff(e, y).subs(sp.Derivative(Phi(Ahat, mhat, qhat0, qhat1, y), y), (ephi - Pv) / y)
    dedy = dedy.subs(Phi(Ahat, mhat, qhat0, qhat1, y), Pv)
    return {"f_finite": f, "e_leading": c0, "e_correction": c1_, "e": e, "train_error": t0,
            "channel": channel, "prior": prior, "dedy": sp.simplify(dedy), "P": P, "Pv": Pv}


def derive() -> dict:
    """The derived expressions (dict; a copy)."""
    return dict(_derive_cached())


def run_checks(d=None) -> dict:
    """Verdicts of every check (dict name -> bool)."""
    d = d or derive()
    P, Pv = d["P"], d["Pv"]
    Lam = 1 + chi1 + y * (Q - q0)
    out = {}
    # 1. the eps -> 0 limit of the finite-beta f equals e(y)
    e_num = d["e"].subs(Phi(Ahat, mhat, qhat0, qhat1, y), P)
    out["lim f(x = y/beta, q1 = Q - chi1/beta) = e(y)"] = sp.simplify(
        sp.expand_log(d["e_leading"] - e_num, force=True)) == 0
    # the O(1/beta) correction at fixed order parameters and fixed Phi (finite: no log(beta))
    corr = sp.simplify(d["e_correction"] - (alpha / 2 * sp.log(1 + chi1) - y * qhat1 * chi1 / 2
                                            + alpha * chi1 * (y * Dres - Lam) / (2 * Lam ** 2)))
    out["O(1/beta) correction: alpha/2 ln(1+chi1) - y qhat1 chi1/2 + alpha chi1 (y D - Lam)/(2 Lam^2)"] = corr == 0
    # 2. channel equations
    cf = {mhat: alpha / Lam, qhat0: alpha * Dres / Lam ** 2,
          qhat1: alpha * Dres / Lam ** 2 + alpha * (Q - q0) / ((1 + chi1) * Lam), Ahat: alpha / (1 + chi1)}
    out["channel equations"] = all(sp.simplify(d["channel"][k] - v) == 0 for k, v in cf.items())
    # 4. training error
    out["training error limit"] = sp.simplify(
        d["train_error"] - ((Q - q0) / ((1 + chi1) * Lam) + Dres / Lam ** 2)) == 0
    # 5. y -> 0 gives RS at beta = inf: Phi = Ephi_RS + y P1
    E0, P1 = sp.symbols("Ephi_RS P1")
    e_small = d["e"].subs(Phi(Ahat, mhat, qhat0, qhat1, y), E0 + y * P1)
    e0 = sp.limit(e_small, y, 0)
    f_rs = (-(Ahat - 0) * Q / 2 + qhat1 * chi1 / 2 + mhat * m - E0
            + alpha / 2 * (rho - 2 * m + Q + noise) / (1 + chi1))
    out["y -> 0 is the RS ground state (q = Q, chi = chi1, qhat = qhat1)"] = sp.simplify(e0 - f_rs) == 0
    # 6. de/dy closed form
    dq = Q - q0
    dedy_cf = ((qhat1 * Q - qhat0 * q0) / 2 + (Pv - ephi) / y
               - alpha / (2 * y ** 2) * sp.log(Lam / (1 + chi1))
               + alpha * dq / (2 * y * Lam) - alpha * Dres * dq / (2 * Lam ** 2))
    out["de/dy closed form"] = sp.simplify(sp.expand_log(d["dedy"] - dedy_cf, force=True)) == 0
    return {k: bool(v) for k, v in out.items()}


def main() -> int:
    d = derive()
    print("Zero-temperature 1RSB: x = y/beta, q1 = Q - chi1/beta, beta -> inf")
    print("  e(y) =", d["e"])
    print("  O(1/beta) correction of f (order parameters fixed) =", d["e_correction"])
    print_equations("Channel equations (de/d(m, q0, Q, chi1) = 0):", d["channel"])
    print_equations("Prior equations (de/d(conjugate) = 0):", d["prior"], "  de/d{k} = {v} = 0")
    print("\nTraining error:", d["train_error"])
    print("de/dy (Ephi = E<<phi_inf>>), Sigma = y^2 de/dy:", d["dedy"])
    return report_checks(run_checks(d))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
