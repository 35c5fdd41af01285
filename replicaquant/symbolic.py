"""Symbolic (sympy) derivation of the replica-symmetric saddle point (see docs/theory.md).

The RS free energy density of quantized regression is written as a function of *all* its
variables, the order parameters ``(m, q, Q)`` and the conjugates ``(mhat, qhat, Ahat)``::

    f = -Ahat Q/2 + qhat chi/2 + mhat m - Phi(Ahat, mhat, qhat)                    (entropic)
        + alpha/(2 beta) ln(1 + chi) + alpha/2 (rho - 2m + q + noise_var)/(1 + chi)  (energetic)

with ``chi = beta (Q - q)`` and ``Phi(Ahat, mhat, qhat) = E_{w0,z} phi(lam + Ahat, mhat w0 +
sqrt(qhat) z)`` the averaged single-site log-partition, kept *abstract* here (an undefined sympy
function): its numerical value comes from :mod:`replicaquant.kernels`.

Stationarity in ``(m, q, Q)`` involves only the energetic term and the linear terms of the
entropic one; solving it gives the channel conjugates ::

    Ahat = mhat = alpha/(1 + chi),    qhat = alpha (rho - 2m + q + noise_var)/(1 + chi)**2

and stationarity in the conjugates gives the prior-side equations ::

    m = dPhi/dmhat,    Q = -2 dPhi/dAhat,    chi = beta (Q - q) = 2 dPhi/dqhat.

At ``beta = inf`` the variables are ``(m, q, chi)`` with ``Q = q``; the energetic term is
``alpha/2 (rho - 2m + q + noise_var)/(1 + chi)`` and the entropic one
``-Ahat q/2 + qhat chi/2 + mhat m - Phi`` with ``Phi = E max_k(...)``; the conjugates are the same.

Everything is derived once and cached (``functools.lru_cache``); the numerical functions are
produced by ``sympy.lambdify``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import sympy as sp

__all__ = ["RSSymbols", "rs_symbols", "rs_energetic_term", "rs_free_energy_symbolic",
           "rs_conjugates_symbolic", "rs_prior_equations_symbolic", "rs_conjugates_function"]


@dataclass(frozen=True)
class RSSymbols:
    """The sympy symbols of the RS free energy.

    ``alpha, beta, rho, noise_var`` are model parameters, ``m, q, Q, chi`` order parameters,
    ``mhat, qhat, Ahat`` conjugates and ``Phi`` the undefined single-site function
    ``Phi(Ahat, mhat, qhat)``.
    """

    alpha: sp.Symbol
    beta: sp.Symbol
    rho: sp.Symbol
    noise_var: sp.Symbol
    m: sp.Symbol
    q: sp.Symbol
    Q: sp.Symbol
    chi: sp.Symbol
    mhat: sp.Symbol
    qhat: sp.Symbol
    Ahat: sp.Symbol
    Phi: sp.FunctionClass


@lru_cache(maxsize=None)
def rs_symbols() -> RSSymbols:
    """Return the (cached) symbols used by every function of this module."""
    alpha, beta, rho = sp.symbols("alpha beta rho", positive=True)
    noise_var = sp.Symbol("noise_var", nonnegative=True)
    m, q, Q = sp.symbols("m q Q", real=True)
    chi = sp.Symbol("chi", nonnegative=True)
    mhat, qhat, Ahat = sp.symbols("mhat qhat Ahat", real=True)
    return RSSymbols(alpha, beta, rho, noise_var, m, q, Q, chi, mhat, qhat, Ahat,
                     sp.Function("Phi"))


def rs_energetic_term(zero_temperature: bool = False) -> sp.Expr:
    """Energetic (output-channel) term of the RS free energy (docs/theory.md).

    Finite beta, as a function of ``(m, q, Q)``::

        alpha/(2 beta) ln(1 + beta (Q - q)) + alpha/2 (rho - 2m + q + noise_var)/(1 + beta (Q - q))

    ``zero_temperature=True``: ``alpha/2 (rho - 2m + q + noise_var)/(1 + chi)`` in ``(m, q, chi)``.
    """
    s = rs_symbols()
    resid = s.rho - 2 * s.m + s.q + s.noise_var
    if zero_temperature:
        return s.alpha / 2 * resid / (1 + s.chi)
    chi = s.beta * (s.Q - s.q)
    return s.alpha / (2 * s.beta) * sp.log(1 + chi) + s.alpha / 2 * resid / (1 + chi)


def rs_free_energy_symbolic(zero_temperature: bool = False) -> sp.Expr:
    """Full RS free energy ``f(m, q, Q, mhat, qhat, Ahat)`` with an abstract ``Phi``.

    ``f = -Ahat Q/2 + qhat chi/2 + mhat m - Phi(Ahat, mhat, qhat) + energetic``, with
    ``chi = beta (Q - q)`` (finite beta) or ``Q -> q`` and ``chi`` independent
    (``zero_temperature=True``).
    """
    s = rs_symbols()
    phi = s.Phi(s.Ahat, s.mhat, s.qhat)
    if zero_temperature:
        entropic = -s.Ahat * s.q / 2 + s.qhat * s.chi / 2 + s.mhat * s.m - phi
    else:
        entropic = (-s.Ahat * s.Q / 2 + s.qhat * s.beta * (s.Q - s.q) / 2 + s.mhat * s.m - phi)
    return entropic + rs_energetic_term(zero_temperature)


def _order_parameters(zero_temperature: bool):
    s = rs_symbols()
    return (s.m, s.q, s.chi) if zero_temperature else (s.m, s.q, s.Q)


@lru_cache(maxsize=None)
def rs_conjugates_symbolic(zero_temperature: bool = False) -> dict:
    """Conjugates from stationarity of ``f`` in the order parameters, solved with sympy.

    Solves ``df/dm = df/dq = df/dQ = 0`` (``df/dchi`` instead of ``df/dQ`` at beta = inf) for
    ``(mhat, qhat, Ahat)``.  Returns ``{"mhat": expr, "qhat": expr, "Ahat": expr}`` in the
    order parameters (``m, q, Q`` at finite beta), plus the same three simplified in terms of
    ``chi`` under the keys ``"mhat_chi", "qhat_chi", "Ahat_chi"``:
    ``alpha/(1 + chi)``, ``alpha (rho - 2m + q + noise_var)/(1 + chi)**2``, ``alpha/(1 + chi)``.
    """
    s = rs_symbols()
    f = rs_free_energy_symbolic(zero_temperature)
    eqs = [sp.diff(f, v) for v in _order_parameters(zero_temperature)]
    sol = sp.solve(eqs, [s.mhat, s.qhat, s.Ahat], dict=True)
    if len(sol) != 1:  # pragma: no cover - the system is linear in the conjugates
        raise RuntimeError(f"expected a unique solution for the conjugates, got {sol}")
    sol = sol[0]
    out = {}
    for name, sym in (("mhat", s.mhat), ("qhat", s.qhat), ("Ahat", s.Ahat)):
        expr = sp.simplify(sol[sym])
        out[name] = expr
        if not zero_temperature:
            expr = expr.subs(s.Q, s.q + s.chi / s.beta)
        out[name + "_chi"] = sp.factor(sp.simplify(expr))
    return out


@lru_cache(maxsize=None)
def rs_prior_equations_symbolic(zero_temperature: bool = False) -> dict:
    """Stationarity of ``f`` in the conjugates, solved for the order parameters.

    Returns ``{"m": dPhi/dmhat, "Q": -2 dPhi/dAhat, "q": ...}`` where the right-hand sides are
    sympy ``Derivative`` objects of the abstract ``Phi``; at finite beta
    ``q = Q - (2/beta) dPhi/dqhat`` (i.e. ``chi = 2 dPhi/dqhat``); at beta = inf the keys are
    ``m, q, chi`` with ``q = -2 dPhi/dAhat`` and ``chi = 2 dPhi/dqhat``.
    """
    s = rs_symbols()
    f = rs_free_energy_symbolic(zero_temperature)
    eqs = [sp.diff(f, v) for v in (s.mhat, s.qhat, s.Ahat)]
    unknowns = _order_parameters(zero_temperature)
    sol = sp.solve(eqs, list(unknowns), dict=True)
    if len(sol) != 1:  # pragma: no cover - linear system
        raise RuntimeError(f"expected a unique solution for the order parameters, got {sol}")
    return {str(v): sp.simplify(sol[0][v]) for v in unknowns}


@lru_cache(maxsize=None)
def rs_conjugates_function(zero_temperature: bool = False) -> Callable:
    """Numerical function of the sympy-derived conjugates.

    Finite beta: ``F(alpha, beta, rho, noise_var, m, q, Q) -> (mhat, qhat, Ahat)``.
    ``zero_temperature=True``: ``F(alpha, rho, noise_var, m, q, chi) -> (mhat, qhat, Ahat)``.
    """
    s = rs_symbols()
    c = rs_conjugates_symbolic(zero_temperature)
    exprs = [c[k + "_chi"] for k in ("mhat", "qhat", "Ahat")]
    if zero_temperature:
        args = (s.alpha, s.rho, s.noise_var, s.m, s.q, s.chi)
    else:
        args = (s.alpha, s.beta, s.rho, s.noise_var, s.m, s.q, s.Q)
        # evaluate through chi = beta (Q - q), kept unexpanded: the expanded form
        # (Q^2 beta^2 - 2 Q q beta^2 + ...) loses digits to cancellation at large beta
        exprs = [e.subs(s.chi, s.beta * (s.Q - s.q)) for e in exprs]
    return sp.lambdify(args, tuple(exprs), modules="math")
