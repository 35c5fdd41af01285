"""Replicon eigenvalues of the 1RSB saddle point (Gardner instability), runnable and self-checking.

Run ``python -m replicaquant.derivations.rsb1_replicon`` to print the derived expressions and run
the checks (exit status 1 if one fails).  The 1RSB solution is embedded in a 2RSB ansatz; it is
unstable when the 2RSB iteration amplifies a small splitting of one of its levels.

Setting
-------
2RSB overlaps ``p0 <= p1 <= p2 <= Q`` with Parisi parameters ``y1 <= y2`` in ``(0, 1]``
(block sizes after ``n -> 0``).  A 1RSB point ``(q0, q1, x)`` is a degenerate 2RSB point in two
ways:

* **within states**: ``(p0, p1, p2) = (q0, q1, q1)``, ``y1 = x``, any ``y2`` in ``(x, 1)``: the
  direction ``u2 = p2 - p1`` splits each state into sub-states;
* **between states**: ``(p0, p1, p2) = (q0, q0, q1)``, ``y2 = x``, any ``y1 < x``: the direction
  ``u1 = p1 - p0`` groups the states into clusters.

At the degenerate point the splitting coordinate is mapped to zero whatever the other order
parameters are, so the Jacobian of the 2RSB iteration is block-triangular and the replicon
eigenvalue is the derivative of the splitting coordinate's image with respect to itself:
``lambda = (channel factor) x (prior factor)``.

1. **Channel factor** (exact, symbolic).  The 2RSB output term follows from
   ``det(I + beta C)`` of the hierarchical ``n x n`` covariance (checked against the explicit
   matrix), continued to ``n -> 0``.  The conjugates are ``qh_l = -2 alpha dG/dp_l / c_l`` with
   ``c_l = y_{l+1} - y_l`` (``y_0 = 0``, ``y_3 = 1``) the coefficients of ``qh_l p_l / 2`` in the
   free entropy (the 1RSB functional of docs/theory.md is the case of two levels), rescaled as
   ``qhat_l = qh_l / beta^2``.  Checked: the two-level version reproduces the 1RSB channel
   equations of :func:`replicaquant.rsb.channel_conjugates_1rsb`; and

   ``d(qhat2 - qhat1)/du2 -> alpha/(1 + chi1)^2``   (within, ``chi1 = beta (Q - q1)``),
   ``d(qhat1 - qhat0)/du1 -> alpha/Lam^2``          (between, ``Lam = 1 + chi1 + x beta (q1 - q0)``),

   independently of the free ``y``.
2. **Prior factor** (Taylor expansion).  Within: the new innermost field ``h = H1 + sqrt(d) z2``
   with ``d = qhat2 - qhat1 -> 0``; ``p2 - p1 = E<< Var_{z2}(<w>_h) >> = d E<<(beta Var_h w)^2>>
   + O(d^2)`` (``d<w>/dh = beta Var_h w``; the ``Z^y2`` reweighting of ``z2`` is ``1 + O(sqrt d)``
   and drops out at this order; the ``z1`` reweighting tends to the 1RSB one ``Z^x``).  Between:
   the outer field ``H0 = H' + sqrt(d) z'``; ``p1 - p0 = E[Var_{z'} <<w>>(H0)] =
   d E[(d<<w>>/dH0)^2]`` with ``d<<w>>/dH0 = <<beta Var>> + x beta (<<<w>^2>> - <<w>>^2)`` (the
   derivative of the reweighted average ``E_z1[Z^x <w>] / E_z1[Z^x]``, ``d ln Z^x/dh = x beta <w>``).
   The derivative identity is checked symbolically below for a two-level measure; the full prior
   factor is checked numerically in ``tests/test_replicon.py`` by a brute-force three-level
   quadrature of the 2RSB map (finite differences in the splitting direction).

Result (evaluated by :func:`replicaquant.rsb.prior_side_1rsb_full`)::

    lambda_within  = alpha/(1 + chi1)^2 E_{w0,z0} << (beta Var_h w)^2 >>
    lambda_between = alpha/Lam^2 E_{w0,z0} [ (<<beta Var_h w>> + x beta (<<<w>^2>> - <<w>>^2))^2 ]

At ``q1 = q0`` both equal the RS ``at = alpha/(1+chi)^2 E[(beta Var)^2]`` (checked).  1RSB is
stable iff both are ``<= 1``; the Gardner line is where the larger one crosses 1.
"""
from __future__ import annotations

import functools
import sys

import sympy as sp

from . import report_checks

alpha, beta, n = sp.symbols("alpha beta n", positive=True)
y1, y2, x = sp.symbols("y1 y2 x", positive=True)
rho, noise = sp.symbols("rho noise_var", positive=True)
m, p0, p1, p2, Q = sp.symbols("m p0 p1 p2 Q", real=True)
eps = sp.symbols("epsilon", positive=True)


def determinant_check(cases=((8, 4, 2), (12, 6, 3), (12, 4, 2))) -> bool:
    """``det(I + beta C)`` of the explicit two-level hierarchical matrix equals its eigenvalue form
    (blocks of size ``m1`` containing blocks of size ``m2``).  Both sides are polynomials in
    ``(beta, D, u1, u2, v)``; they are compared exactly at random rational points (a nonzero
    polynomial of this degree vanishes at random rationals with probability 0), which keeps the
    check to a second instead of a symbolic 12 x 12 determinant."""
    import random

    rnd = random.Random(10)
    ok = True
    for nn, m1, m2 in cases:
        for _ in range(3):
            b, D, u1, u2, v = (sp.Rational(rnd.randint(1, 97), rnd.randint(1, 29)) for _ in range(5))
            M = sp.Matrix(nn, nn, lambda i, j: (1 if i == j else 0) + b * (
                D + (u1 if i // m1 == j // m1 else 0) + (u2 if i // m2 == j // m2 else 0)
                + (v if i == j else 0)))
            lv = 1 + b * v
            l2 = lv + b * m2 * u2
            l1 = l2 + b * m1 * u1
            form = (lv ** (nn - nn // m2) * l2 ** (nn // m2 - nn // m1) * l1 ** (nn // m1 - 1)
                    * (l1 + nn * b * D))
            ok &= M.det() == form
    return bool(ok)


def output_term_2rsb():
    """``G = lim_{n->0} -(1/(2n)) ln det(I + beta C)`` for overlaps ``p0 <= p1 <= p2 <= Q``."""
    D = rho - 2 * m + p0 + noise
    lv = 1 + beta * (Q - p2)
    l2 = lv + beta * y2 * (p2 - p1)
    l1 = l2 + beta * y1 * (p1 - p0)
    return -sp.Rational(1, 2) * ((1 - 1 / y2) * sp.log(lv) + (1 / y2 - 1 / y1) * sp.log(l2)
                                 + sp.log(l1) / y1 + beta * D / l1)


def conjugates_2rsb():
    """``qhat_l = -2 alpha (dG/dp_l) / (c_l beta^2)`` with ``c = (y1, y2 - y1, 1 - y2)``."""
    G = output_term_2rsb()
    cs = (y1, y2 - y1, 1 - y2)
    return [sp.together(-2 * alpha * sp.diff(G, p) / (c * beta ** 2)) for p, c in zip((p0, p1, p2), cs)]


def channel_1rsb_check() -> dict:
    """The two-level version of the same construction reproduces the 1RSB channel equations."""
    q0, q1 = sp.symbols("q0 q1", real=True)
    D = rho - 2 * m + q0 + noise
    l0 = 1 + beta * (Q - q1)
    lam = l0 + x * beta * (q1 - q0)
    G = -sp.Rational(1, 2) * ((1 - 1 / x) * sp.log(l0) + sp.log(lam) / x + beta * D / lam)
    qh0 = -2 * alpha * sp.diff(G, q0) / (x * beta ** 2)
    qh1 = -2 * alpha * sp.diff(G, q1) / ((1 - x) * beta ** 2)
    want0 = alpha * D / lam ** 2
    want1 = want0 + alpha * (q1 - q0) / (l0 * lam)
    return {"qhat0 = alpha D/Lam^2": sp.cancel(sp.together(qh0 - want0)),
            "qhat1 = qhat0 + alpha (q1-q0)/((1+chi1) Lam)": sp.cancel(sp.together(qh1 - want1))}


def replicon_channel_factors():
    """``(within, between)``: ``lim d(qhat2 - qhat1)/du2`` at ``p2 = p1`` and
    ``lim d(qhat1 - qhat0)/du1`` at ``p1 = p0`` (in 1RSB variables ``q0, q1, x``)."""
    q0, q1 = sp.symbols("q0 q1", real=True)
    qh = conjugates_2rsb()
    # within: p0 = q0, p1 = q1, p2 = q1 + eps, y1 = x, y2 free
    w = sp.together((qh[2] - qh[1]).subs({p0: q0, p1: q1, p2: q1 + eps, y1: x}) / eps)
    within = sp.factor(sp.limit(w, eps, 0))
    # between: p0 = q0 - eps, p1 = q0, p2 = q1, y2 = x, y1 free
    b = sp.together((qh[1] - qh[0]).subs({p0: q0 - eps, p1: q0, p2: q1, y2: x}) / eps)
    between = sp.factor(sp.limit(b, eps, 0))
    return within, between, (q0, q1)


def replicon_factor_checks() -> dict:
    """Differences between the derived channel factors and the closed forms (all zero)."""
    within, between, (q0, q1) = replicon_channel_factors()
    chi1 = beta * (Q - q1)
    lam = 1 + chi1 + x * beta * (q1 - q0)
    return {"within: alpha/(1+chi1)^2": sp.cancel(sp.together(within - alpha / (1 + chi1) ** 2)),
            "between: alpha/Lam^2": sp.cancel(sp.together(between - alpha / lam ** 2))}


def reweighted_derivative_check() -> bool:
    """``d/dH [sum_j p_j e^{x b a_j(H)} w_j(H) / sum_j p_j e^{x b a_j(H)}] = <<w'>> + x b
    (<<w a'>> - <<w>><<a'>>)`` with ``a' = <w>`` (two-point z1 measure, symbolic ``H``): the
    identity behind ``d<<w>>/dH0 = <<beta Var>> + x beta (<<<w>^2>> - <<w>>^2)``."""
    H = sp.symbols("H", real=True)
    pj = sp.symbols("p1 p2", positive=True)
    a = [sp.Function(f"a{j}")(H) for j in range(2)]
    xb = sp.symbols("xb", positive=True)
    wts = [pj[j] * sp.exp(xb * a[j]) for j in range(2)]
    mean = [sp.diff(a[j], H) for j in range(2)]          # <w>_h = d phi/dh
    avg = sum(wts[j] * mean[j] for j in range(2)) / sum(wts)
    lhs = sp.diff(avg, H)
    def rw(e):
        return sum(wts[j] * e[j] for j in range(2)) / sum(wts)
    rhs = rw([sp.diff(mean[j], H) for j in range(2)]) + xb * (rw([mean[j] ** 2 for j in range(2)])
                                                              - rw(mean) ** 2)
    return bool(sp.simplify(lhs - rhs) == 0)


@functools.lru_cache(maxsize=1)
def numeric_channel():
    """Lambdified 2RSB conjugates ``(qhat0, qhat1, qhat2)`` of
    ``(alpha, beta, y1, y2, rho, noise_var, m, p0, p1, p2, Q)`` (for the tests' finite
    differences of the 2RSB map)."""
    qh = conjugates_2rsb()
    return sp.lambdify((alpha, beta, y1, y2, rho, noise, m, p0, p1, p2, Q), qh, "math")


def run_checks() -> dict:
    """``{check name: bool}``."""
    out = {"det(I + beta C), two-level hierarchy": determinant_check()}
    for k, v in channel_1rsb_check().items():
        out[f"1RSB channel from the general construction: {k}"] = v == 0
    for k, v in replicon_factor_checks().items():
        out[f"replicon channel factor, {k}"] = v == 0
    out["d<<w>>/dH0 = <<beta Var>> + x beta (<<<w>^2>> - <<w>>^2)"] = reweighted_derivative_check()
    return {k: bool(v) for k, v in out.items()}


def main() -> int:
    """Print the derived factors and the check verdicts; exit status 1 if a check fails."""
    within, between, _ = replicon_channel_factors()
    print("2RSB output term G(p0, p1, p2, Q; y1, y2):\n  ", output_term_2rsb())
    print("\nReplicon channel factors (limits of the 2RSB conjugates):")
    print("  within states :  d(qhat2 - qhat1)/du2 ->", within)
    print("  between states:  d(qhat1 - qhat0)/du1 ->", between)
    print("\nlambda_within  = alpha/(1+chi1)^2 E<<(beta Var)^2>>")
    print("lambda_between = alpha/Lam^2 E[(<<beta Var>> + x beta (<<<w>^2>> - <<w>>^2))^2]")
    return report_checks(run_checks())


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
