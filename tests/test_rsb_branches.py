"""1RSB branch search (issue 10 item 1): every branch at x = 1, continuation in x, Parisi maximum.

Independent references: a brute-force double trapezoid grid of the nested z0/z1 average written
here in plain NumPy (no code of ``replicaquant.rsb`` except the shared single-site kernel), the
sympy-derived channel equations, and finite differences of ``f`` along a branch.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from replicaquant.derivations import rsb1_sympy as D
from replicaquant.kernels import site_moments_array
from replicaquant.model import Model
from replicaquant.rsb import RSB1Branch, follow_branch, solve_1rsb

# the discontinuous example of the issue: b = 2, width 1.5, alpha 0.65, beta 100, lam 1e-4
EXAMPLE = dict(alpha=0.65, beta=100.0, lam=1e-4, noise_var=0.1)
REF5 = dict(alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)


@pytest.fixture(scope="module")
def example():
    return solve_1rsb(Model.uniform(2, 1.5, **EXAMPLE))


def _bruteforce_prior(levels, a, beta, x, mhat, qhat0, qhat1, rho, n0=3001, n1=2001, chunk=150):
    """``[Phi, m, q0, q1, Q, chi1, E<<phi>>]`` by trapezoid rules on uniform grids (Gaussian
    teacher folded into ``H0 ~ N(0, mhat^2 rho + qhat0)``; ``m`` from the regression
    ``E[w0 | H0] = mhat rho H0 / sig0^2``).  Outer ``u in [-9, 9]`` (3001 points), inner ``z1``
    over ``+-9`` around the span of the tilted pieces (2001 points): at beta = 100 the steps of
    the level measure have width ``1/(beta dc) = 0.01`` in ``h`` and both grids are finer than
    that in ``h``; the trapezoid rule converges geometrically for these smooth integrands."""
    s1 = math.sqrt(qhat1 - qhat0)
    sig0 = math.sqrt(mhat ** 2 * rho + qhat0)
    zc = x * beta * s1 * np.array([min(levels[0], 0.0), max(levels[-1], 0.0)])
    z = np.linspace(zc[0] - 9, zc[1] + 9, n1)
    u = np.linspace(-9, 9, n0)
    w_out = np.exp(-u ** 2 / 2)
    w_out /= w_out.sum()
    acc = np.zeros(7)
    for i0 in range(0, n0, chunk):
        H0 = sig0 * u[i0:i0 + chunk]
        h = H0[:, None] + s1 * z[None, :]
        r = site_moments_array(levels, a, h.ravel(), beta)
        phi, mn, sc, bv = (r[k].reshape(h.shape) for k in ("phi", "mean", "second", "bvar"))
        t = x * beta * phi - z[None, :] ** 2 / 2
        tm = t.max(axis=1, keepdims=True)
        e = np.exp(t - tm)
        S = e.sum(axis=1)
        lnN = tm[:, 0] + np.log(S * (z[1] - z[0]) / math.sqrt(2 * math.pi))
        mw = (e * mn).sum(1) / S
        wm = mhat * rho * H0 / sig0 ** 2
        vals = [lnN / (x * beta), mw * wm, mw ** 2, (e * mn ** 2).sum(1) / S, (e * sc).sum(1) / S,
                (e * bv).sum(1) / S, (e * phi).sum(1) / S]
        ww = w_out[i0:i0 + chunk]
        acc += np.array([np.dot(ww, f) for f in vals])
    return acc


def test_discontinuous_example_found_and_verified_by_bruteforce(example):
    """RS is locally stable (at < 1) but a frozen branch has an interior maximum of f(x)."""
    sol = example
    assert sol.converged and sol.rsb, sol.message
    assert sol.rs.at < 1.0
    assert 0.80 < sol.x < 0.88
    assert sol.free_energy - sol.free_energy_rs > 3e-5
    assert abs(sol.complexity) < 1e-7  # interior maximum: Sigma(x*) = 0
    assert len(sol.branches) >= 2 and all(isinstance(b, RSB1Branch) for b in sol.branches)
    assert "interior maximum" in sol.message and "branch" in sol.branch
    # the fixed point, re-evaluated by an independent route: sympy channel + brute-force prior
    M = sol.model
    fn = D.numeric_functions()
    base = (M.alpha, M.beta, sol.x, M.rho, M.noise_var, sol.m, sol.q0, sol.q1, sol.Q)
    mhat, qhat0, qhat1, Ahat = fn["channel"](*base)
    bf = _bruteforce_prior(M.levels, M.lam + Ahat, M.beta, sol.x, mhat, qhat0, qhat1, M.rho)
    Phi, m, q0, q1, Q, chi1, ephi = bf
    # the solver's fixed point (residual 1e-10) must be a fixed point of the brute-force map; the
    # grids resolve the 0.01-wide steps with >= 2.5 points per width: agreement ~1e-6 observed
    # in the order parameters is far below the O(0.1) differences between branches
    np.testing.assert_allclose([m, q0, q1, chi1], [sol.m, sol.q0, sol.q1, sol.chi1], atol=2e-5)
    f_bf = fn["f_rest"](*base, mhat, qhat0, qhat1, Ahat) - Phi
    assert abs(f_bf - sol.free_energy) < 2e-7  # << f - f_RS = 5e-5
    sig_bf = M.beta * sol.x ** 2 * fn["dfdx"](*base, mhat, qhat0, qhat1, Phi, ephi)
    assert abs(sig_bf) < 2e-3  # vs Sigma(1) = O(0.06) on this branch
    # RS reference and the published numbers: x* ~ 0.84, df ~ 5.4e-5, gen_error_mean ~ 0.716
    assert sol.rs.at == pytest.approx(0.767, abs=2e-3)
    assert sol.gen_error_mean == pytest.approx(0.716, abs=5e-3)


def test_complexity_is_finite_difference_of_f_along_the_branch(example):
    """Sigma(x) = beta x^2 df/dx on a branch (closed form) equals central differences of f
    computed by continuation on the same branch; f is smooth and increases from x = 1 to x*."""
    win = next(b for b in example.branches if b.kind == "interior")
    M = example.model
    x0, h = 0.92, 2e-3
    sols = follow_branch(M, win.at_one, [0.96, x0 + h, x0, x0 - h])
    assert len(sols) == 4 and all(s.converged and s.rsb for s in sols)
    fp, fc, fm = (s.free_energy for s in sols[1:])
    fd = M.beta * x0 ** 2 * (fp - fm) / (2 * h)
    # FD truncation h^2 f''' beta x^2 ~ 1e-5; f errors ~1e-12 / h * beta ~ 1e-8
    assert abs(fd - sols[2].complexity) < 1e-4 * max(1.0, abs(sols[2].complexity) * 10)
    assert sols[2].complexity < 0  # x0 above x*: f still increasing as x decreases
    path = sorted(win.path, key=lambda s: -s.x)
    fs = [s.free_energy for s in path if s.x >= win.x - 1e-12]
    assert all(b >= a - 1e-12 for a, b in zip(fs, fs[1:]))  # monotone up to the maximum
    assert abs(win.at_one.free_energy - example.free_energy_rs) < 1e-10  # f(1) = f_RS


@pytest.mark.parametrize("bits, width, rs_stable", [
    (1, 0.5, True), (2, 1.5, True), (3, 2.0, True), (1, 1.0, False), (2, 3.0, False)])
def test_reference_points_beta5(bits, width, rs_stable):
    """At the beta = 5 reference points: no spurious branch where at < 1; where at > 1 the one
    branch that splits off RS, with an interior maximum (Sigma(x*) = 0, f > f_RS)."""
    sol = solve_1rsb(Model.uniform(bits, width, **REF5))
    assert sol.converged, sol.message
    assert (sol.rs.at < 1) == rs_stable
    if rs_stable:
        assert not sol.rsb and sol.branches == () and sol.x == 1.0
        assert abs(sol.free_energy - sol.free_energy_rs) < 1e-9
    else:
        assert sol.rsb and len(sol.branches) == 1 and sol.branches[0].kind == "interior"
        assert 0 < sol.x < 1 and abs(sol.complexity) < 1e-8
        assert sol.free_energy > sol.free_energy_rs


def test_one_bit_frozen_branch_interior_maximum():
    """1 bit, beta = 100, alpha = 0.4, width 3 (at = 0.40): besides a dynamical x = 1 branch a
    frozen branch (chi1 ~ 1e-77 at x = 1) has its maximum of f at small x* (x* beta = O(1)).
    The old x search hopped between branches and reported x = 1, f = f_RS.  Independent check:
    f on the branch at x* +- 10% (continuation from x*) lies below f(x*)."""
    sol = solve_1rsb(Model.uniform(1, 3.0, alpha=0.4, beta=100.0, lam=1e-4, noise_var=0.1))
    assert sol.converged and sol.rsb, sol.message
    assert sol.rs.at < 0.5 and 0.01 < sol.x < 0.5 and "interior maximum" in sol.message
    assert sol.free_energy - sol.free_energy_rs > 1e-3
    win = next(b for b in sol.branches if b.kind == "interior")
    assert win.at_one.chi1 < 1e-10  # a frozen branch
    near = follow_branch(sol.model, sol, [sol.x * 1.1]) + follow_branch(sol.model, sol, [sol.x * 0.9])
    assert len(near) == 2
    for s in near:
        assert s.free_energy < sol.free_energy


def test_quasi_newton_search_agrees_with_the_step_walk_and_counts_evaluations(example):
    """The x search (quasi-Newton on (state, x), certified) lands on the same Parisi maximum as
    the independent step-by-step continuation (fixed-x solves from secant predictions, Illinois
    on Sigma); every map evaluation is counted by phase."""
    from replicaquant import rsb as R
    sol = example
    win = next(b for b in sol.branches if b.kind == "interior")
    assert "quasi-Newton" in win.message  # certified, no fallback
    ref, kind, path, _, _ = R._walk(sol.model, sol.rs, win.at_one, R._search_opts({}),
                                    x_min=1e-3, x_tol=1e-9)
    assert kind == "interior" and len(path) > 3
    # both locate Sigma = 0 to x_tol ~ 1e-7 on the same branch: |dx| ~ 1e-7 moves f by
    # Sigma dx / (beta x^2) ~ 0, the state by ~1e-7 (dstate/dx = O(1))
    assert abs(ref.x - sol.x) < 1e-6
    assert abs(ref.free_energy - sol.free_energy) < 1e-11
    np.testing.assert_allclose(ref.state, sol.state, atol=1e-6)
    ev = sol.evaluations
    assert set(ev) == {"x1_roots", "walk", "polish", "coarse"} and sum(ev.values()) == sol.iterations
    # the 11-point scan and the 6 evaluations of the first Jacobian are coarse; the refinement
    # of the x = 1 root and the end of the search are full-rule evaluations
    assert ev["coarse"] >= 11 + 6 and ev["x1_roots"] >= 1 and ev["walk"] + ev["polish"] >= 1
    assert sol.iterations < 60  # was ~100 with fixed-x solves at every walk point


def _assert_bruteforce_fixed_point(M, sol):
    """The brute-force NumPy 1RSB map (sympy channel, double trapezoid grid for the prior side)
    at ``sol``'s state: a fixed point to 2e-5 and the same f to 2e-7 (grids resolving the steps
    of width 1/(beta dc) by >= 2.5 points agree to ~1e-6 in the state)."""
    fn = D.numeric_functions()
    base = (M.alpha, M.beta, sol.x, M.rho, M.noise_var, sol.m, sol.q0, sol.q1, sol.Q)
    mhat, qhat0, qhat1, Ahat = fn["channel"](*base)
    Phi, m, q0, q1, Q, chi1, ephi = _bruteforce_prior(M.levels, M.lam + Ahat, M.beta, sol.x, mhat,
                                                      qhat0, qhat1, M.rho)
    np.testing.assert_allclose([m, q0, q1, chi1], [sol.m, sol.q0, sol.q1, sol.chi1], atol=2e-5)
    assert abs(fn["f_rest"](*base, mhat, qhat0, qhat1, Ahat) - Phi - sol.free_energy) < 2e-7


@pytest.mark.parametrize("bits, width, alpha, beta", [
    (1, 0.41076074127457796, 1.2097864794427224, 81.91990966464031),
    (3, 2.844571795073453, 1.518982697947084, 46.47813477775971),
])
def test_coarse_search_falls_back_to_the_full_rules_not_to_the_step_walk(bits, width, alpha, beta):
    """Two of 300 random low-temperature models where the quasi-Newton x* search on the coarse
    rules ended uncertified (wrong-signed Broyden dSigma/dx, or a wandering search) with a 1e-4
    difference step; with 1e-3 the second is certified on the coarse rules, the first still needs
    the rerun of the search on the full rules (last round's algorithm) before the step walk.
    Independent route: the step walk itself (fixed-x solves from secant predictions, Illinois on
    Sigma) from the same x = 1 root lands on the same maximum (both to x_tol ~ 1e-7: |dx| < 1e-6,
    f to 1e-11 since df/dx = 0 there)."""
    from replicaquant import rsb as R
    m = Model.uniform(bits, width, alpha=alpha, beta=beta, lam=1e-4, noise_var=0.1)
    sol = solve_1rsb(m, warn=False)
    assert sol.converged and sol.rsb, sol.message
    win = max((b for b in sol.branches if b.kind == "interior"), key=lambda b: b.free_energy)
    assert "quasi-Newton" in win.message, win.message
    ref, kind, _, _, _ = R._walk(m, sol.rs, win.at_one, R._search_opts({}), x_min=1e-3, x_tol=1e-9)
    assert kind == "interior"
    assert abs(ref.x - sol.x) < 1e-6 and abs(ref.free_energy - sol.free_energy) < 1e-11


def test_one_bit_large_width_small_x_branch_kept_and_verified():
    """1 bit, width 3, alpha 0.5, beta 100: the frozen branch's maximum sits at small x
    (x* ~ 0.04, x* beta ~ 4); the branch must not be lost on the way down from x = 1.
    Independent checks: (i) the brute-force NumPy 1RSB map (double trapezoid grid) at the
    returned state is a fixed point and gives the same f; (ii) f(x) along the branch, walked by
    fixed-x continuation from x = 1 (geometric steps), is continuous and increasing down to x*,
    and its finite difference near x* equals Sigma = beta x^2 df/dx."""
    M = Model.uniform(1, 3.0, alpha=0.5, beta=100.0, lam=1e-4, noise_var=0.1)
    sol = solve_1rsb(M)
    assert sol.converged and sol.rsb and 0.01 < sol.x < 0.1, sol.message
    assert abs(sol.complexity) < 1e-7 and sol.free_energy > sol.free_energy_rs
    win = next(b for b in sol.branches if b.kind == "interior")
    # steps of width 1/(beta dc) = 1/600 in h resolved by >= 2.5 grid points: ~1e-6 agreement
    _assert_bruteforce_fixed_point(M, sol)
    xs = list(np.geomspace(0.9, 1.6 * sol.x, 12)) + [1.2 * sol.x + 1e-4, 1.2 * sol.x, 1.2 * sol.x - 1e-4]
    path = follow_branch(M, win.at_one, xs)
    assert len(path) == len(xs) and all(s.converged and s.rsb for s in path)
    fs = [win.at_one.free_energy] + [s.free_energy for s in path[:13]]
    assert all(b > a for a, b in zip(fs, fs[1:]))  # Sigma < 0 above x*: f grows as x decreases
    assert path[12].free_energy < sol.free_energy  # and x* is above every point walked
    # finite difference at x0 = 1.2 x*: truncation h^2 f''' ~ 1e-9, f noise ~1e-12/h
    x0, h = 1.2 * sol.x, 1e-4
    fd = M.beta * x0 ** 2 * (path[-3].free_energy - path[-1].free_energy) / (2 * h)
    assert abs(fd - path[-2].complexity) < 1e-3 * abs(path[-2].complexity) + 1e-7


def test_one_bit_beyond_at_frozen_branch_fold_small_x():
    """1 bit, width 3, alpha 1.0, beta 50 (at = 52, deep beyond the AT line): the x = 1 branch is
    fully frozen (q1 = Q = c^2, q0 close to Q) with Sigma < 0 down to a fold near x ~ 0.1, where
    it ends; the old walk lost it there (or raised).  The maximum of f lies on the branch below
    the fold (q0 ~ 1, x* beta = O(1)).  Independent checks: the brute-force NumPy map at the
    returned state is a fixed point with the same f; f on that branch at x* (1 +- 10%), reached
    by fixed-x continuation from x*, lies below f(x*)."""
    M = Model.uniform(1, 3.0, alpha=1.0, beta=50.0, lam=1e-4, noise_var=0.1)
    sol = solve_1rsb(M)
    assert sol.converged and sol.rsb, sol.message
    win = next(b for b in sol.branches if b.kind == "interior")
    assert "fold" in win.message, win.message
    assert 0.2 < sol.x * M.beta < 5.0 and abs(sol.complexity) < 1e-7
    assert sol.free_energy > sol.free_energy_rs and sol.q0 < 0.5 * sol.Q
    # step width 1/(beta dc) = 1/300 in h, resolved by the brute-force grids: ~1e-6 agreement
    _assert_bruteforce_fixed_point(M, sol)
    near = follow_branch(M, sol, [sol.x * 1.1]) + follow_branch(M, sol, [sol.x * 0.9])
    assert len(near) == 2 and all(s.free_energy < sol.free_energy for s in near)


def test_one_bit_fold_exit_needing_a_long_iteration():
    """1 bit, width 1.5, alpha 0.6, beta 100 (at = 4.2): the fully frozen x = 1 branch (q1 = Q =
    c^2, q0 = 2.06) ends at a fold near x = 0.967; the fixed-x solve that steps off it onto the
    branch with q0 ~ 0.88 takes ~250 iterations, more than the walk's 150-map budget, and the
    solver used to give up ("branch not resolved", converged=False).  Independent route: plain
    fixed-x solves (no quasi-Newton, no x search) continued on the small-q0 branch from x = 0.822
    by ``follow_branch``:
    f at x* (1 +- 15%) lies below f(x*), and Sigma = beta x^2 df/dx has opposite signs there (a
    maximum of f: Sigma < 0 above, > 0 below).  x* is returned to x_tol = 1e-7 and the
    neighbours are 15% away, so the comparison has a margin of order f'' (0.15 x*)^2 / 2."""
    from replicaquant import rsb
    M = Model.uniform(1, 1.5, alpha=0.6, beta=100.0, lam=1e-4, noise_var=0.1)
    sol = solve_1rsb(M, warn=False)
    assert sol.converged and sol.rsb, sol.message
    assert 0.05 < sol.x < 0.12 and abs(sol.complexity) < 1e-7 and sol.q0 < 0.5 * sol.Q
    assert sol.free_energy > sol.free_energy_rs
    opts = rsb._search_opts({})
    start = rsb._solve_fixed_x(M, 0.822, sol.state, sol.rs, **opts)
    assert start.converged and start.q0 < 1.0  # the small-q0 branch
    xs = list(np.geomspace(0.822, 1.15 * sol.x, 10)[1:])
    path = follow_branch(M, start, xs)
    assert len(path) == len(xs) and all(s.converged and s.rsb for s in path)
    above = path[-1]
    below = follow_branch(M, sol, [0.85 * sol.x])[0]
    assert below.converged and below.rsb
    assert above.free_energy < sol.free_energy and below.free_energy < sol.free_energy
    assert above.complexity < 0.0 < below.complexity


@pytest.mark.parametrize("alpha", [0.40, 0.41, 0.42])
def test_x1_roots_resolve_a_pair_born_between_scan_points(alpha):
    """Just above the dynamical line the two new x = 1 roots are born together (saddle-node)
    inside one interval of the 11-point scan of k(t) (b = 2, width 1.5, beta = 100: k > 0 only
    on t in ~[0.003, 0.006] at alpha = 0.41, between the scan points 1e-3 and 1e-2).  Independent
    route: a dense 300-point scan of the same one-variable function k(t) on [1e-4, 0.99]; the
    roots exist iff that scan changes sign (no tolerance: a sign test; the dense scan resolves
    the positive window, ~100 points wide in log t at alpha >= 0.41, none at 0.40)."""
    from replicaquant import rsb
    from replicaquant.rs import solve_rs
    m = Model.uniform(2, 1.5, alpha=alpha, beta=100.0, lam=1e-4, noise_var=0.1)
    rs = solve_rs(m, init="multi", warn=False)
    mp = rsb.RSB1Map(m, 1.0)

    def k(t):
        s = rsb._state_x1(rs, t)
        return (mp(s)[2] - s[2]) / (rs.Q - rs.q) / (1.0 - t)

    dense = np.array([k(t) for t in np.geomspace(1e-4, 0.99, 300)])
    roots, _ = rsb.x1_roots(m, rs)
    assert (len(roots) >= 2) == bool((dense > 0).any())
