"""Symbolic derivation of the 1RSB saddle-point equations (docs/theory.md), runnable, self-checking.

Run ``python -m replicaquant.derivations.rsb1_sympy`` to regenerate and print the equations and
run every check (exit status 1 if one fails).  ``derive()`` returns the expressions,
``run_checks()`` the verdicts, ``numeric_functions()`` lambdified versions used by the tests to
compare with :mod:`replicaquant.rsb`.

Steps
-----
1. Output (energetic) term.  For each sample, the residuals ``r_a = y - u_a`` of the ``n``
   replicas are jointly Gaussian with covariance ``C_ab = D + (q1 - q0) [a ~ b] + (Q - q1) [a = b]``
   (``D = rho - 2m + q0 + noise_var``, ``a ~ b``: same block of size ``x``), and
   ``E exp(-beta/2 sum_a r_a^2) = det(I + beta C)^(-1/2)``.  The determinant is checked against its
   eigenvalue form for explicit ``(n, x)``, continued to real ``n`` and expanded to ``O(n)``:
   this gives ``G_E`` of docs/theory.md.
2. Entropic term.  Hubbard-Stratonovich on ``sum_{a != b} qh_ab w_a w_b`` with the 1RSB ``qh_ab``
   gives ``(1/x) E_{z0} ln E_{z1} Z(B)^x``; the Gaussian identity ``E_z exp(s c z) = exp(s^2 c^2/2)``
   is checked (it is what makes ``x = 1`` collapse to RS).
3. Rescaling ``mh = beta mhat``, ``q0h = beta^2 qhat0``, ``q1h = beta^2 qhat1``,
   ``Qh = beta Ahat - beta^2 qhat1`` maps ``f = -phi/beta`` onto the form used by
   :mod:`replicaquant.rsb` (checked symbolically), with ``Phi = (1/(beta x)) E ln E exp(x beta phi)``
   an undefined function of ``(Ahat, mhat, qhat0, qhat1, x)``.
4. Stationarity in ``(m, q0, q1, Q)`` is solved for the conjugates (channel equations);
   stationarity in the conjugates gives ``Q = -2 dPhi/dAhat``, ``m = dPhi/dmhat``,
   ``chi1 + beta x q1 = 2 dPhi/dqhat1``, ``beta x q0 = -2 dPhi/dqhat0``.
5. Their moment form (``Q = E<<<w^2>>>``, ``q1 = E<<<w>^2>>``, ``q0 = E<<w>>^2``,
   ``chi1 = E<<bvar>>``, ``m = mhat rho (chi1 + x beta (q1 - q0))`` for a Gaussian teacher,
   ``dPhi/dx = (E<<phi>> - Phi)/x``) follows from Stein's lemma; it is verified in closed form
   for a continuous Gaussian level measure, where every average is a Gaussian integral.
6. Reductions: ``q1 = q0`` (and ``qhat1 = qhat0``) gives the RS free energy for every ``x``;
   ``x = 1`` gives the RS free energy with ``q = q0``, ``Ahat_RS = Ahat - beta (qhat1 - qhat0)``.
7. Training error ``d/dbeta' (1/n) ln det(I + beta' C)`` at ``n -> 0``, and the explicit
   ``df/dx`` (complexity ``Sigma = beta x^2 df/dx``).
"""
from __future__ import annotations

import functools
import sys

import sympy as sp

from . import print_equations, report_checks

# ---------------------------------------------------------------------------------------------
# symbols

alpha, beta, x, n = sp.symbols("alpha beta x n", positive=True)
rho, noise = sp.symbols("rho noise_var", positive=True)
lam = sp.symbols("lam", nonnegative=True)
m, q0, q1, Q = sp.symbols("m q0 q1 Q", real=True)
mhat, qhat0, qhat1, Ahat = sp.symbols("mhat qhat0 qhat1 Ahat", real=True)
Phi = sp.Function("Phi")  # (1/(beta x)) E_{w0,z0} ln E_{z1} exp(x beta phi(lam + Ahat, h))

chi1 = beta * (Q - q1)
Lam = 1 + chi1 + x * beta * (q1 - q0)
Dres = rho - 2 * m + q0 + noise

G_E_CLOSED = (-sp.log(1 + chi1) / 2 - sp.log(1 + x * beta * (q1 - q0) / (1 + chi1)) / (2 * x)
            - beta * Dres / (2 * (1 + chi1 + x * beta * (q1 - q0))))


# ---------------------------------------------------------------------------------------------
# 1. output term


def replica_determinant_check(cases=((4, 2), (6, 3))) -> bool:
    """``det(I + beta C)`` of the explicit 1RSB matrix equals its eigenvalue form."""
    D, u, v = sp.symbols("D u v", positive=True)
    ok = True
    for nn, xx in cases:
        M = sp.Matrix(nn, nn, lambda i, j: beta * (D + (u if i // xx == j // xx else 0)
                                                 + (v if i == j else 0)) + (1 if i == j else 0))
        det = M.det(method="berkowitz")
        form = ((1 + beta * v) ** (nn - nn // xx) * (1 + beta * v + beta * xx * u) ** (nn // xx - 1)
                * (1 + beta * v + beta * xx * u + nn * beta * D))
        ok &= sp.expand(det - form) == 0
    return bool(ok)


def log_det(b=beta):
    """``ln det(I + b C)`` continued to real ``n`` (eigenvalues with their multiplicities:
    ``1 + b (Q-q1)`` x ``n (1 - 1/x)``, ``Lam`` x ``(n/x - 1)``, ``Lam + n b D`` x 1)."""
    lam0 = 1 + b * (Q - q1)
    lam1 = lam0 + b * x * (q1 - q0)
    return ((n - n / x) * sp.log(lam0) + (n / x - 1) * sp.log(lam1)
            + sp.log(lam1 + n * b * Dres))


def _order_n(expr):
    """Coefficient of ``n`` in the expansion of ``expr`` around ``n = 0`` (``expr(0) = 0``)."""
    ser = sp.series(expr, n, 0, 2).removeO()
    assert sp.simplify(ser.subs(n, 0)) == 0
    return sp.expand(ser).coeff(n, 1)


def output_term():
    """``G_E = lim_{n->0} -(1/(2n)) ln det(I + beta C)``."""
    return -_order_n(log_det()) / 2


_L0, _L1 = sp.symbols("L0 L1", positive=True)  # 1 + chi1 and Lam: the arguments of the logs


def _canon(e):
    """Simplify in the variables ``L0 = 1 + beta (Q - q1)``, ``L1 = Lam`` (so that every log has a
    positive symbol as argument and log identities are seen by ``expand_log``)."""
    e = e.subs(Q, q1 + (_L0 - 1) / beta).subs(q1, q0 + (_L1 - _L0) / (x * beta))
    e = e.replace(lambda z: isinstance(z, sp.log), lambda z: sp.log(sp.cancel(sp.together(z.args[0]))))
    return sp.simplify(sp.expand_log(e, force=True))


def _is_zero_rational(e) -> bool:
    """Zero test for a rational function of the symbols."""
    return sp.cancel(sp.together(e)) == 0


def same_function(e1, e2, point) -> bool:
    """``e1 == e2`` symbolically (:func:`_canon` of the difference is 0) and numerically (to 40
    digits at ``point``)."""
    d = e1 - e2
    return _canon(d) == 0 and abs(sp.N(d.subs(point), 50)) < 1e-40


# ---------------------------------------------------------------------------------------------
# 2.-3. free energy


def gaussian_identity_check() -> bool:
    """``E_z exp(s c z) = exp(s^2 c^2/2)`` for ``z ~ N(0, 1)``."""
    z, s, c = sp.symbols("z s c", real=True)
    val = sp.integrate(sp.exp(-z ** 2 / 2 + s * c * z), (z, -sp.oo, sp.oo)) / sp.sqrt(2 * sp.pi)
    return bool(sp.simplify(val - sp.exp(s ** 2 * c ** 2 / 2)) == 0)


def free_entropy_unscaled(G_E):
    """``phi`` of docs/theory.md with unscaled conjugates; the single-site term is ``beta Phi``
    (``Z(B) = exp(beta phi(lam + Ahat, B/beta))``)."""
    Qh, q1h, q0h, mh = sp.symbols("Qh q1h q0h mh", real=True)
    phi = (Qh * Q / 2 - (x - 1) * q1h * q1 / 2 + x * q0h * q0 / 2 - mh * m
           + beta * Phi(Ahat, mhat, qhat0, qhat1, x) + alpha * G_E)
    return phi, (Qh, q1h, q0h, mh)


def free_energy(G_E=None):
    """``f(m, q0, q1, Q; mhat, qhat0, qhat1, Ahat; x) = -phi/beta`` in the solver's scaling."""
    if G_E is None:
        G_E = G_E_CLOSED
    phi, (Qh, q1h, q0h, mh) = free_entropy_unscaled(G_E)
    sub = {Qh: beta * Ahat - beta ** 2 * qhat1, q1h: beta ** 2 * qhat1, q0h: beta ** 2 * qhat0,
           mh: beta * mhat}
    return sp.expand(-phi.subs(sub) / beta)


def free_energy_solver_form():
    """The formula implemented in :mod:`replicaquant.rsb` (module docstring)."""
    return (-Ahat * Q / 2 + qhat1 * chi1 / 2 + beta * x / 2 * (qhat1 * q1 - qhat0 * q0) + mhat * m
            - Phi(Ahat, mhat, qhat0, qhat1, x)
            + alpha / (2 * beta * x) * sp.log(Lam) + alpha / (2 * beta) * (1 - 1 / x) * sp.log(1 + chi1)
            + alpha * Dres / (2 * Lam))


def free_energy_rs(q, Ars, qhat_rs, ephi):
    """RS ``f`` (see docs/theory.md) with ``chi = beta (Q - q)``."""
    chi = beta * (Q - q)
    return (-Ars * Q / 2 + qhat_rs * chi / 2 + mhat * m - ephi + alpha / (2 * beta) * sp.log(1 + chi)
            + alpha / 2 * (rho - 2 * m + q + noise) / (1 + chi))


# ---------------------------------------------------------------------------------------------
# 4. saddle-point equations


def channel_equations(f):
    """Solve ``df/d(m, q0, q1, Q) = 0`` for ``(mhat, qhat0, qhat1, Ahat)``."""
    eqs = [sp.diff(f, v) for v in (m, q0, q1, Q)]
    unknowns = [mhat, qhat0, qhat1, Ahat]
    A, b = sp.linear_eq_to_matrix(eqs, unknowns)  # f is linear in the conjugates
    sol = A.LUsolve(b)
    return {k: sp.factor(sp.together(v)) for k, v in zip(unknowns, sol)}


def channel_closed_forms():
    """The conjugates as written in :func:`replicaquant.rsb.channel_conjugates_1rsb`."""
    return {mhat: alpha / Lam, qhat0: alpha * Dres / Lam ** 2,
            qhat1: alpha * Dres / Lam ** 2 + alpha * (q1 - q0) / ((1 + chi1) * Lam),
            Ahat: alpha / (1 + chi1)}


def prior_equations(f):
    """Stationarity in the conjugates, as equations ``lhs = 0`` in terms of ``Phi``'s derivatives."""
    return {v: sp.simplify(sp.diff(f, v)) for v in (Ahat, mhat, qhat0, qhat1)}


def train_error_expr():
    """``d/dbeta' (1/n) ln det(I + beta' C)`` at ``beta' = beta`` and ``n -> 0``: the loss enters
    the replicated output term only through ``beta'``, so this is ``(1/n) sum_mu <r_mu^2>``."""
    bp = sp.symbols("beta_p", positive=True)
    return sp.together(_order_n(sp.diff(log_det(bp), bp)).subs(bp, beta))


def train_error_closed_form():
    """As written in :func:`replicaquant.rsb.train_error_1rsb`."""
    return ((1 - 1 / x) * chi1 / (beta * (1 + chi1)) + (Lam - 1) / (beta * x * Lam) + Dres / Lam ** 2)


def dfdx_expr(f, e_phi):
    """Explicit ``df/dx`` with ``dPhi/dx = (E<<phi>> - Phi)/x`` substituted."""
    P = Phi(Ahat, mhat, qhat0, qhat1, x)
    d = sp.diff(f, x).subs(sp.Derivative(P, x), (e_phi - P) / x)
    return sp.together(d.doit())


# ---------------------------------------------------------------------------------------------
# 5. the moment (Stein) form, verified on a continuous Gaussian level measure


def _rat(e):
    """Canonical form of a rational function (``cancel`` is much faster than ``simplify``)."""
    return sp.cancel(sp.together(sp.expand(e)))


def gaussian_prior_check() -> dict:
    """Closed-form check of the prior-side equations and of ``dPhi/dx``.

    Level sum replaced by ``int dw``: ``phi(a, h) = h^2/(2a) + ln(2 pi/(beta a))/(2 beta)``,
    ``<w> = h/a``, ``<w^2> = h^2/a^2 + 1/(beta a)``, ``bvar = 1/a``.  The ``z1`` average reweighted
    by ``exp(x beta phi)`` is Gaussian; the teacher is ``N(0, rho)`` folded into
    ``H0 ~ N(0, mhat^2 rho + qhat0)``.  Returns ``{name: simplified difference}`` (all zero).
    """
    a = lam + Ahat
    s2 = qhat1 - qhat0
    sig2 = mhat ** 2 * rho + qhat0
    z, H0, w0 = sp.symbols("z H0 w0", real=True)
    const = sp.log(2 * sp.pi / (beta * a)) / (2 * beta)

    def phi_of(h):
        return h ** 2 / (2 * a) + const

    # inner: exp(x beta phi(H0 + s z)) N(z) is Gaussian in z with precision k and mean mu_z
    k = 1 - x * beta * s2 / a
    mu_z = x * beta * sp.sqrt(s2) * H0 / (a * k)
    var_z = 1 / k
    lnN = x * beta * const + x * beta * H0 ** 2 / (2 * a * k) - sp.log(k) / 2
    # check lnN against the integral
    av, sv = sp.symbols("a_v s_v", positive=True)
    integrand = sp.exp(-z ** 2 / 2 + x * beta * (H0 + sv * z) ** 2 / (2 * av))
    N_int = sp.integrate(integrand, (z, -sp.oo, sp.oo), conds="none") / sp.sqrt(2 * sp.pi)
    kv = 1 - x * beta * sv ** 2 / av
    N_closed = sp.exp(x * beta * H0 ** 2 / (2 * av * kv)) / sp.sqrt(kv)
    hm = H0 + sp.sqrt(s2) * mu_z            # <<h>>
    hv = s2 * var_z                          # Var of h under the tilted measure
    mean_w = hm / a                          # <<<w>>>
    mean_w2 = (hm ** 2 + hv) / a ** 2        # <<<w>^2>>
    second = mean_w2 + 1 / (beta * a)        # <<<w^2>>>
    bvar = 1 / a                             # <<bvar>>
    ephi_in = (hm ** 2 + hv) / (2 * a) + const

    def outer(expr):
        # E over H0 ~ N(0, sig2) of a polynomial in H0 (degree <= 2)
        p = sp.Poly(sp.expand(expr), H0)
        coeffs = dict(zip(p.monoms(), p.coeffs()))
        return (coeffs.get((0,), 0) + coeffs.get((2,), 0) * sig2)

    Phi_closed = outer(lnN) / (x * beta)
    Qv = outer(second)
    q1v = outer(mean_w2)
    q0v = outer(mean_w ** 2)
    chi1v = outer(bvar)
    # m = E[w0 <<<w>>>]: E[w0 H0] = mhat rho
    mv = sp.Poly(sp.expand(mean_w), H0).coeff_monomial(H0) * mhat * rho
    ephi = outer(ephi_in)
    # (the zero tests use whichever of simplify/cancel/_rat sympy 1.12-1.14 finishes fastest)
    res = {
        "lnN integral": sp.simplify(sp.simplify(N_int) / N_closed - 1),
        "Q = -2 dPhi/dAhat": sp.simplify(Qv + 2 * sp.diff(Phi_closed, Ahat)),
        "m = dPhi/dmhat": sp.cancel(mv - sp.diff(Phi_closed, mhat)),
        "chi1 + beta x q1 = 2 dPhi/dqhat1": sp.cancel(chi1v + beta * x * q1v - 2 * sp.diff(Phi_closed, qhat1)),
        "beta x q0 = -2 dPhi/dqhat0": sp.simplify(beta * x * q0v + 2 * sp.diff(Phi_closed, qhat0)),
        "chi1 = beta (Q - q1)": sp.cancel(chi1v - beta * (Qv - q1v)),
        "Stein: m = mhat rho (chi1 + x beta (q1 - q0))": sp.cancel(mv - mhat * rho * (chi1v + x * beta * (q1v - q0v))),
        "dPhi/dx = (E<<phi>> - Phi)/x": _rat(sp.diff(Phi_closed, x) - (ephi - Phi_closed) / x),
    }
    return res


# ---------------------------------------------------------------------------------------------
# 6. reductions


def reduction_checks(f) -> dict:
    """Differences that must vanish (``Phi`` replaced by the RS single-site term where it reduces)."""
    ephi = sp.Symbol("Ephi")
    P = Phi(Ahat, mhat, qhat0, qhat1, x)
    # q1 = q0, qhat1 = qhat0: Phi -> E phi(lam + Ahat, h) for every x
    f_eq = f.subs(P, ephi).subs({q1: q0, qhat1: qhat0})
    d_eq = _canon(f_eq - free_energy_rs(q0, Ahat, qhat0, ephi))
    # x = 1: E_z1 exp(beta phi(a, h)) = exp(beta phi(a - beta (qhat1 - qhat0), H0)) by the Gaussian identity
    f_1 = f.subs(P, ephi).subs(x, 1)
    d_1 = _canon(f_1 - free_energy_rs(q0, Ahat - beta * (qhat1 - qhat0), qhat0, ephi))
    # dfdx vanishes on the RS branch
    g = dfdx_expr(f, ephi).subs(ephi, P).subs({q1: q0, qhat1: qhat0})
    return {"q1 = q0 -> RS (any x)": d_eq, "x = 1 -> RS with q = q0": d_1,
            "df/dx = 0 on the RS branch": sp.simplify(g)}


# ---------------------------------------------------------------------------------------------
# driver


_CHECK_POINT = {alpha: sp.Rational(2), beta: sp.Rational(5), x: sp.Rational(3, 7), rho: sp.Rational(1),
                noise: sp.Rational(1, 10), m: sp.Rational(9, 10), q0: sp.Rational(11, 10),
                q1: sp.Rational(13, 10), Q: sp.Rational(3, 2)}


@functools.lru_cache(maxsize=1)
def _derive_cached():
    G_E = output_term()
    f = free_energy(G_E_CLOSED)
    ephi = sp.Symbol("Ephi")
    return {"G_E": G_E, "f": f, "channel": channel_equations(f), "prior": prior_equations(f),
            "train_error": train_error_expr(), "dfdx": dfdx_expr(f, ephi)}


def derive() -> dict:
    """All derived expressions (sympy).  ``f`` uses the closed-form ``G_E`` (docs/theory.md), which
    :func:`run_checks` proves equal to the replica-derived one."""
    return dict(_derive_cached())


def run_checks(d=None, include_gaussian_prior: bool = True) -> dict:
    """``{check name: bool}`` for every symbolic check (the closed-form Gaussian-prior check of
    step 5 takes most of the time and can be left out)."""
    if d is None:
        d = derive()
    out = {"det(I + beta C) eigenvalue form": replica_determinant_check(),
           "G_E (replica determinant) = closed form": same_function(d["G_E"], G_E_CLOSED, _CHECK_POINT),
           "Gaussian identity": gaussian_identity_check(),
           "f = solver form": same_function(d["f"], free_energy_solver_form(),
                                            {**_CHECK_POINT, mhat: 1, qhat0: 1, qhat1: 2, Ahat: 3})}
    ch = channel_closed_forms()
    for k, v in ch.items():
        out[f"channel {k} = closed form"] = _is_zero_rational(d["channel"][k] - v)
    out["train error = closed form"] = _is_zero_rational(d["train_error"] - train_error_closed_form())
    for k, v in reduction_checks(d["f"]).items():
        out[k] = v == 0
    if include_gaussian_prior:
        for k, v in gaussian_prior_check().items():
            out[f"Gaussian prior: {k}"] = v == 0
    return {k: bool(v) for k, v in out.items()}


def numeric_functions():
    """Lambdified derived expressions for comparison with :mod:`replicaquant.rsb`.

    Returns a dict of callables: ``channel(alpha, beta, x, rho, noise_var, m, q0, q1, Q)`` ->
    ``(mhat, qhat0, qhat1, Ahat)``; ``f_rest(...)`` the free energy without ``-Phi`` with arguments
    ``(alpha, beta, x, rho, noise_var, m, q0, q1, Q, mhat, qhat0, qhat1, Ahat)``;
    ``train_error(alpha, beta, x, rho, noise_var, m, q0, q1, Q)``;
    ``dfdx(alpha, beta, x, rho, noise_var, m, q0, q1, Q, mhat, qhat0, qhat1, Phi, Ephi)``.
    """
    d = derive()
    f = d["f"]
    P = Phi(Ahat, mhat, qhat0, qhat1, x)
    Pv = sp.Symbol("Phi_v")
    ephi = sp.Symbol("Ephi")
    ch = d["channel"]
    base = (alpha, beta, x, rho, noise, m, q0, q1, Q)
    hats = (mhat, qhat0, qhat1, Ahat)
    return {
        "channel": sp.lambdify(base, [ch[mhat], ch[qhat0], ch[qhat1], ch[Ahat]], "math"),
        "f_rest": sp.lambdify(base + hats, f.subs(P, 0), "math"),
        "train_error": sp.lambdify(base, d["train_error"], "math"),
        "dfdx": sp.lambdify(base + hats[:3] + (Pv, ephi), d["dfdx"].subs(P, Pv), "math"),
    }


def main() -> int:
    """Print the derived equations and the check verdicts; exit status 1 if a check fails."""
    d = derive()
    print("1RSB free energy f (solver scaling; Phi = (1/(beta x)) E ln E_z1 exp(x beta phi)):")
    print("  f =", d["f"])
    print("\nOutput term G_E = lim_{n->0} -(1/(2n)) ln det(I + beta C):")
    print("  G_E =", d["G_E"])
    print_equations("Channel equations (df/d(m, q0, q1, Q) = 0):", d["channel"])
    print_equations("Prior equations (df/d(conjugate) = 0, Phi derivatives; Stein form in the docstring):", d["prior"], "  df/d{k} = {v} = 0")
    print("\nTraining error (1/n) sum_mu <r_mu^2>:")
    print("  ", d["train_error"])
    print("\ndf/dx (explicit; Ephi = E<<phi>>), complexity Sigma = beta x^2 df/dx:")
    print("  ", d["dfdx"])
    return report_checks(run_checks(d))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
