"""Online STE dynamics (issue 7): finite-d SGD vs the d -> inf limit, PDE/ODE checks, fixed points.

References are closed forms derived in docs/ste.md (unquantized learning curve, finite-d
recursion, one-bit characteristics, sliding-mode and Gibbs fixed points), independent
numerical integrals, or simulation with its own error bars -- never our own earlier output.
"""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import ndtr

from replicaquant.quantizers import LloydMaxQuantizer, Quantizer, UniformQuantizer
from replicaquant.teachers import DiscreteTeacher, GaussianTeacher
from replicaquant.ste import (STEProblem, dead_zone_plateau, fixed_point, input_moments, limit,
                              midtread_quantizer, plateau_length, sgd_learning_curve, simulate,
                              sliding_moments)


# ------------------------------------------------------------------------------------------
# problem set-up


def test_input_moments_match_numerical_integrals():
    # k1 = E[x Q(x)], k2 = E[Q(x)^2] for x ~ N(0,1): closed form vs adaptive quadrature (1e-10)
    for q in (UniformQuantizer(2, 2.0), UniformQuantizer(3, 1.3), midtread_quantizer(3, 2.5)):
        pdf = lambda x: math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi)  # noqa: E731
        pts = list(q.thresholds)
        k1n = integrate.quad(lambda x: x * float(q.quantize(x)) * pdf(x), -12, 12, points=pts, limit=200)[0]
        k2n = integrate.quad(lambda x: float(q.quantize(x)) ** 2 * pdf(x), -12, 12, points=pts, limit=200)[0]
        k1, k2 = input_moments(q)
        assert k1 == pytest.approx(k1n, abs=1e-10)
        assert k2 == pytest.approx(k2n, abs=1e-10)
    # Lloyd-Max levels are cell centroids: E[x Q] = sum c_k E[x; cell] = sum c_k^2 P(cell) = E[Q^2]
    k1, k2 = input_moments(LloydMaxQuantizer(3))
    assert k1 == pytest.approx(k2, rel=1e-10)
    assert input_moments(None) == (1.0, 1.0)


def test_problem_validation_names_the_parameter():
    q = UniformQuantizer(2, 1.5)
    for kwargs, name in [(dict(eta=0.0), "eta"), (dict(eta=float("nan")), "eta"),
                         (dict(noise_var=-1.0), "noise_var"), (dict(init_std=0.0), "init_std"),
                         (dict(ste="sign"), "ste"), (dict(clip=-1.0), "clip"),
                         (dict(input_quantizer=Quantizer([-1.0, 0.5, 2.0])), "input_quantizer")]:
        with pytest.raises(ValueError, match=name):
            STEProblem(q, **kwargs)
    with pytest.raises(ValueError, match="eta"):
        STEProblem(None, eta=2.0)                      # unquantized SGD diverges for eta k2 >= 2
    with pytest.raises(ValueError, match="clip"):
        STEProblem(None, eta=0.5, ste="clipped")
    prob = STEProblem(q, eta=0.5)
    with pytest.raises(ValueError, match="d"):
        simulate(prob, 1, 1.0)
    with pytest.raises(ValueError, match="method"):
        limit(prob, 1.0, method="euler")
    with pytest.raises(ValueError, match="tau"):
        limit(prob, -1.0)


# ------------------------------------------------------------------------------------------
# unquantized weights: the known learning curve of online SGD


def test_closed_form_is_the_limit_of_the_exact_finite_d_recursion():
    # For Gaussian inputs the expected error of one-pass SGD obeys exactly
    #   E eps_{t+1} = eps_t (1 - 2 eta/d + eta^2 (d + 2)/d^2) + eta^2 noise_var/d
    # (E[(v.x)^2 |x|^2] = |v|^2 (d + 2)); iterate it and compare with the d -> inf closed form:
    # the difference must be O(1/d).
    prob = STEProblem(None, eta=0.7, noise_var=0.2, init_std=0.5)
    taus = np.array([0.5, 2.0, 6.0])
    cf = sgd_learning_curve(prob, taus)["gen_error"]
    diffs = []
    for d in (200, 800, 3200):
        eps = 1.0 + 0.25
        a = 1 - 2 * prob.eta / d + prob.eta ** 2 * (d + 2) / d ** 2
        out = []
        t = 0
        for tau in taus:
            while t < round(tau * d):
                eps = eps * a + prob.eta ** 2 * prob.noise_var / d
                t += 1
            out.append(eps)
        diffs.append(np.max(np.abs(np.array(out) - cf)))
    assert diffs[0] / diffs[1] == pytest.approx(4.0, rel=0.1)
    assert diffs[1] / diffs[2] == pytest.approx(4.0, rel=0.1)
    assert diffs[2] < 2e-3


@pytest.mark.parametrize("qx", [None, UniformQuantizer(2, 2.0)])
def test_pde_reproduces_unquantized_closed_form(qx):
    # Q = identity: the Fokker-Planck solver must reproduce
    # eps(tau) = eps_inf + (eps_0 - eps_inf) exp(-eta k2 (2 - eta k2) tau); with quantized inputs
    # eps_inf includes eps_lin = rho (1 - k1^2/k2) > 0.  Tolerance 2e-3: measured discretisation
    # error of the h = 0.02 grid is ~5e-4 (it halves with h, see test_pde_grid_convergence).
    prob = STEProblem(None, eta=0.5, noise_var=0.1, init_std=1.0, input_quantizer=qx)
    th = limit(prob, 8.0, n_out=9, h=0.02)
    cf = sgd_learning_curve(prob, th.tau)
    assert np.max(np.abs(th.gen_error - cf["gen_error"])) < 2e-3
    assert np.max(np.abs(th.mass - 1.0)) < 1e-12
    if qx is not None:
        assert cf["gen_error_inf"] > prob.eps_lin > 0.01


def test_simulation_matches_unquantized_learning_curve():
    # Finite-d SGD (d = 2000, 4 seeds) against the closed form: every record within 4 s.e.m.
    # plus the O(1/d) finite-size bias bound (eta^2 eps 2/d per unit time, < 1e-3 here).
    prob = STEProblem(None, eta=0.5, noise_var=0.1, init_std=1.0)
    sim = simulate(prob, 2000, 6.0, n_records=7, n_seeds=4, seed=11)
    cf = sgd_learning_curve(prob, sim.tau)["gen_error"]
    sem = np.maximum(sim.gen_error_sem, 1e-4)
    assert np.all(np.abs(sim.gen_error_mean - cf) <= 4 * sem + 1e-3)


# ------------------------------------------------------------------------------------------
# simulation vs limit with error bars shrinking with d


def _sim_vs_limit(prob, th, d, n_seeds, seed):
    sim = simulate(prob, d, th.tau[-1], record_times=th.tau, n_seeds=n_seeds, seed=seed)
    dev = sim.gen_error_mean - th.gen_error
    return sim, dev


def test_simulation_vs_limit_errors_shrink_with_d():
    # Quantized weights, identity STE.  Per-run fluctuations of eps_g are O(1/sqrt(d)) (a sum of d
    # weakly dependent terms): the per-run spread at d = 2000 must be about half that at d = 500,
    # and the limit must lie within 4 s.e.m. of the seed average at every time for both sizes
    # (so the band that contains the theory shrinks with d).  With 64 seeds at d = 500 and 16 at
    # d = 2000 the measured deviations were all below 0.01 with no visible bias.
    prob = STEProblem(UniformQuantizer(2, 1.5), eta=0.5, noise_var=0.05, init_std=1.0)
    th = limit(prob, 6.0, n_out=7, h=0.02)
    spread = {}
    for d in (500, 2000):
        sim, dev = _sim_vs_limit(prob, th, d, 6, seed=3)
        sem = np.maximum(sim.gen_error_sem[1:], 1e-6)
        assert np.all(np.abs(dev[1:]) <= 4 * sem), (d, dev / np.maximum(sim.gen_error_sem, 1e-6))
        spread[d] = np.mean(sim.gen_error[:, 1:].std(axis=0, ddof=1))
    ratio = spread[2000] / spread[500]
    assert 0.3 < ratio < 0.75, ratio                # expected sqrt(500/2000) = 0.5


@pytest.mark.slow
def test_simulation_vs_limit_d8000():
    # d = 8000 (slow): error bars another factor 2 smaller, theory still within them, for the
    # identity and the clipped STE.
    for ste in ("identity", "clipped"):
        prob = STEProblem(UniformQuantizer(2, 1.5), eta=0.5, noise_var=0.05, ste=ste)
        th = limit(prob, 6.0, n_out=7, h=0.01)
        sim, dev = _sim_vs_limit(prob, th, 8000, 4, seed=5)
        z = dev[1:] / np.maximum(sim.gen_error_sem[1:], 1e-6)
        assert np.sqrt(np.mean(z ** 2)) < 3.0, (ste, z)
        assert np.max(np.abs(dev)) < 0.03


def test_input_quantized_simulation_vs_pde_errors_and_density():
    # Weights and inputs quantized (b = 2, omega = 2), teacher w0 = ±1: error curve within the
    # error bars, and the empirical distribution of u | w0 = 1 at tau = 20 against the PDE bin
    # averages: Kolmogorov distance below 1.63/sqrt(n) (the 1% KS level for n samples).
    q = UniformQuantizer(2, 2.0)
    prob = STEProblem(q, eta=0.1, input_quantizer=q, teacher=DiscreteTeacher([-1.0, 1.0]))
    bins = np.linspace(-3.0, 3.0, 61)
    th = limit(prob, 20.0, n_out=5, density_times=[20.0], density_w0=[1.0], bins=bins, h=0.01)
    sim = simulate(prob, 1000, 20.0, record_times=th.tau, density_times=[20.0], density_w0=[1.0],
                   bins=bins, n_seeds=3, seed=7)
    sem = np.maximum(sim.gen_error_sem, 1e-4)
    assert np.all(np.abs(sim.gen_error_mean - th.gen_error) <= 4 * sem)
    w = np.diff(bins)
    cdf_th = np.cumsum(th.density[0, 0] * w)
    cdf_sim = np.cumsum(sim.density_pooled[0, 0] * w)
    n = int(sim.n_conditioned.sum())
    assert abs(cdf_th[-1] - 1.0) < 1e-6
    assert np.max(np.abs(cdf_th - cdf_sim)) < 1.63 / math.sqrt(n)


def test_simulation_initial_error_and_reproducibility():
    # The recorded eps_g(0) equals (|w0|^2 - 2 k1 w0.Q(u0) + k2 |Q(u0)|^2)/d recomputed from the
    # same seed stream with quantizer.quantize (independent of the compiled kernel); same seed ->
    # identical runs, different seeds -> different runs.
    q = UniformQuantizer(2, 1.0)
    prob = STEProblem(q, eta=0.3, input_quantizer=UniformQuantizer(3, 2.0))
    sim = simulate(prob, 300, 0.5, n_records=3, seed=4, n_seeds=2)
    rng = np.random.default_rng(np.random.SeedSequence(4).spawn(2)[0])
    w0 = prob.teacher.sample(300, rng)
    u0 = prob.init_std * rng.standard_normal(300)
    w = q.quantize(u0)
    k1, k2 = prob.kappa
    assert sim.gen_error[0, 0] == pytest.approx((w0 @ w0 - 2 * k1 * w0 @ w + k2 * w @ w) / 300, rel=1e-12)
    again = simulate(prob, 300, 0.5, n_records=3, seed=4, n_seeds=2)
    np.testing.assert_array_equal(sim.gen_error, again.gen_error)
    assert not np.allclose(sim.gen_error[0], sim.gen_error[1])


# ------------------------------------------------------------------------------------------
# PDE solver: mass, grid convergence, small-noise limit


def test_pde_mass_conservation_with_absorption_and_outflow():
    # Clipped STE (absorbing faces at ±clip, absorbed mass frozen outside) and identity STE
    # (outflow for targets beyond the levels): total probability conserved to rounding while a
    # sizeable fraction crosses the boundaries.
    for ste in ("clipped", "identity"):
        prob = STEProblem(UniformQuantizer(2, 1.0), eta=0.8, ste=ste, noise_var=0.2)
        th = limit(prob, 15.0, n_out=6, h=0.02)
        assert np.max(np.abs(th.mass - 1.0)) < 1e-12
        assert th.outflow[-1] > 0.1


def test_pde_grid_convergence_to_exact_stationary_state():
    # Identity STE, discrete teacher: at long times the PDE must converge, as h -> 0, to the exact
    # Gibbs state exp(-U/T) with the self-consistent temperature (fixed_point 'stationary',
    # closed-form cell integrals).  Errors must decrease under refinement (measured factor 3-4 per
    # halving, second order; we require 1.5) and be below 5e-5 on the finest grid (measured 8e-6).
    prob = STEProblem(UniformQuantizer(2, 1.5), eta=0.3, teacher=DiscreteTeacher([-1.1, -0.35, 0.35, 1.1]),
                      init_std=0.8)
    exact = fixed_point(prob, method="stationary").gen_error
    errs = []
    for h in (0.08, 0.04, 0.02):
        th = limit(prob, 150.0, n_out=3, h=h)
        errs.append(abs(th.gen_error[-1] - exact))
        assert np.max(np.abs(th.mass - 1.0)) < 1e-12
    assert errs[0] > 1.5 * errs[1] > 2.25 * errs[2] or errs[2] < 1e-5, errs
    assert errs[2] < 5e-5, errs


def test_pde_transient_grid_convergence():
    # Transient (tau <= 6) with a Gaussian teacher, clipped STE: successive refinements differ by
    # less and less (Cauchy sequence), finest difference < 2e-3.
    prob = STEProblem(UniformQuantizer(2, 1.5), eta=0.5, ste="clipped", noise_var=0.05)
    curves = [limit(prob, 6.0, n_out=7, h=h).gen_error for h in (0.06, 0.03, 0.015)]
    d1 = np.max(np.abs(curves[0] - curves[1]))
    d2 = np.max(np.abs(curves[1] - curves[2]))
    assert d2 < d1 and d2 < 2e-3, (d1, d2)


def test_pde_tends_to_small_noise_ode():
    # At fixed s = eta tau the diffusion eta^2 k2 (eps + noise)/2 vanishes as eta -> 0 and the
    # PDE must approach the exact ODE characteristics; the gap must shrink roughly linearly in
    # eta (we require a factor > 1.6 per halving of eta, with h scaled with eta).
    T = DiscreteTeacher([-1.3, -0.4, 0.25, 0.9, 1.7])
    for ste in ("identity", "clipped"):
        base = STEProblem(UniformQuantizer(2, 1.5), eta=0.04, ste=ste, init_std=0.7, teacher=T)
        S = 4.0
        gaps = []
        for eta, h in ((0.04, 0.01), (0.02, 0.005)):
            p = base.replace(eta=eta)
            ode = limit(p, S / eta, method="ode", n_out=9)
            pde = limit(p, S / eta, n_out=9, h=h)
            gaps.append(np.max(np.abs(pde.gen_error - ode.gen_error)))
        assert gaps[0] > 1.6 * gaps[1], (ste, gaps)
        assert gaps[1] < 0.02


# ------------------------------------------------------------------------------------------
# ODE limit: exact characteristics


def test_ode_one_bit_closed_form():
    # Levels {-1, 1}, w0 = 0.5, u(0) ~ N(0, s0^2), s = eta tau.  u > 0 moves left at speed 0.5,
    # u < 0 right at speed 1.5; arrivals at 0 slide with a fraction f = 1.5/(1.5 + 0.5) on +1.
    # Hence E[Q] = P(u0 > s/2) - P(u0 < -3s/2) + (2f - 1) P(-3s/2 < u0 < s/2).
    s0 = 0.8
    prob = STEProblem(UniformQuantizer(1, 1.0), eta=0.1, init_std=s0, teacher=DiscreteTeacher([0.5]))
    th = limit(prob, 20.0, method="ode", n_out=11)
    s = prob.eta * th.tau
    hi = 1 - ndtr(0.5 * s / s0)
    lo = ndtr(-1.5 * s / s0)
    eq = hi - lo + 0.5 * (1 - hi - lo)
    np.testing.assert_allclose(th.m, 0.5 * eq, atol=1e-12)
    np.testing.assert_allclose(th.q, 1.0, atol=1e-12)            # Q^2 = 1 always
    np.testing.assert_allclose(th.gen_error, 0.25 - 2 * (0.5 * eq) + 1.0, atol=1e-12)  # rho - 2m + q


def test_ode_long_time_equals_sliding_fixed_point():
    # Independent code paths: characteristics at large s vs the closed-form sliding-mode fixed
    # point eps* = eps_lin + k2 E[pi(w*)] (+ frozen weights of the clipped STE).
    for kw in (dict(), dict(ste="clipped"), dict(input_quantizer=UniformQuantizer(3, 2.5))):
        prob = STEProblem(UniformQuantizer(2, 1.2), eta=0.1, **kw)
        ode = limit(prob, 2000.0, method="ode", n_out=3)
        fp = fixed_point(prob, method="ode")
        # the only remaining error is the w0 quadrature around the last, slowest arrivals
        assert ode.gen_error[-1] == pytest.approx(fp.gen_error, abs=2e-3)
        assert 0 < fp.frozen_fraction < 0.5 if prob.ste == "clipped" else fp.frozen_fraction == 0


# ------------------------------------------------------------------------------------------
# fixed points


def test_fixed_point_small_noise_and_dense_grid_limits():
    # (i) unquantized weights: the Gibbs fixed point is (2 eps_lin + eta k2 s2)/(2 - eta k2).
    p0 = STEProblem(None, eta=0.4, noise_var=0.3, input_quantizer=UniformQuantizer(2, 2.0))
    k1, k2 = p0.kappa
    fp0 = fixed_point(p0, method="stationary")
    assert fp0.gen_error == pytest.approx((2 * p0.eps_lin + 0.4 * k2 * 0.3) / (2 - 0.4 * k2), rel=1e-12)
    # (ii) eta -> 0: the finite-eta Gibbs state tends to the sliding-mode fixed point.  In the two
    # cells next to the attracting threshold the Gibbs masses are T/|slope| on each side -- the
    # sliding fractions exactly -- so the gap comes only from mass beyond those cells (targets
    # within O(T) of a level, T ∝ eta): positive and decreasing (measured ∝ eta^2, factor 4 per
    # halving; we require > 3).
    q = UniformQuantizer(2, 1.5)
    ode = fixed_point(STEProblem(q, eta=0.1), method="ode").gen_error
    gaps = [fixed_point(STEProblem(q, eta=eta), method="stationary").gen_error - ode for eta in (0.1, 0.05, 0.025)]
    assert gaps[0] > gaps[1] > gaps[2] > 0
    assert gaps[1] / gaps[2] > 3.0 and gaps[2] < 1e-4, gaps
    # (iii) fine uniform grid, spacing D, range well beyond the teacher: the mixture variance
    # averaged over a cell is D^2/6, so the deviation from unquantized SGD tends to D^2/6.
    fine = UniformQuantizer(7, 6.0)
    D = 12.0 / 127
    dev = fixed_point(STEProblem(fine, eta=0.1), method="ode").deviation
    assert dev == pytest.approx(D * D / 6, rel=1e-3)    # tails beyond ±6 are 2e-9


def test_sliding_moments_mean_is_target():
    c = np.array([-1.0, -0.2, 0.5, 2.0])
    w = np.array([-3.0, -0.6, 0.0, 0.4, 1.9, 2.5])
    eq, eq2 = sliding_moments(c, w)
    np.testing.assert_allclose(eq[1:5], w[1:5])
    # Var Q = (w - c_k)(c_{k+1} - w) for c_k <= w < c_{k+1}
    np.testing.assert_allclose(eq2[1:5] - w[1:5] ** 2,
                               [(-0.6 + 1) * (-0.2 + 0.6), 0.2 * 0.5, (0.4 + 0.2) * (0.5 - 0.4), (1.9 - 0.5) * 0.1])
    assert eq[0] == -1.0 and eq[-1] == 2.0


def test_fixed_point_matches_long_simulation():
    # Identity STE at eta = 0.3: time average of eps over tau in [20, 40] (2 seeds, d = 1000)
    # against the finite-eta Gibbs fixed point; tolerance 4 standard errors of the blocked
    # average (10 blocks of 2 time units) plus the O(1/sqrt(d)) quenched-disorder spread.
    prob = STEProblem(UniformQuantizer(2, 1.5), eta=0.3, noise_var=0.1)
    fp = fixed_point(prob, method="stationary")
    sim = simulate(prob, 1000, 40.0, record_times=np.linspace(20.0, 40.0, 101), n_seeds=2, seed=8)
    blocks = sim.gen_error.reshape(2, -1)[:, :100].reshape(2, 10, 10).mean(axis=2).ravel()
    se = blocks.std(ddof=1) / math.sqrt(blocks.size)
    assert abs(blocks.mean() - fp.gen_error) < 4 * se + 0.01
    assert fp.deviation > 0.1 and fp.gen_error_unquantized < 0.02


# ------------------------------------------------------------------------------------------
# plateau


def test_plateau_length_definition():
    t = np.linspace(0, 10, 1001)
    e = 0.2 + 0.8 / (1 + np.exp(3 * (t - 4.0)))   # drop from ~1 to 0.2, half-way at t = 4
    assert plateau_length(t, e) == pytest.approx(4.0, abs=1e-3)
    assert plateau_length(t, e, level=0.9) == pytest.approx(4 - math.log(9) / 3, abs=2e-3)
    assert plateau_length(t, np.ones_like(t) + t) == 0.0       # rising curve: min at t = 0
    assert math.isinf(plateau_length(t, e, final=0.0, level=0.1))
    with pytest.raises(ValueError, match="level"):
        plateau_length(t, e, level=1.5)


def test_plateau_grows_with_range_theory_and_simulation():
    # Mid-tread 2-bit quantizer {-w, 0, w} from a small init: the output is zero until u leaves
    # the dead zone |u| < w/2 at tau = (w/2)/(eta k1 |w0|), so the plateau length scales with the
    # range (docs/ste.md §6).  Assert the increase from the PDE limit and from simulation
    # (d = 1000, 3 seeds), the linear scaling of the small-noise ODE plateau with theta_1/(eta k1)
    # (ratio constant within 10%), and sim vs PDE within 15%.
    widths = (0.5, 1.0, 1.5)
    pde, sim, ode_ratio = [], [], []
    for w in widths:
        prob = STEProblem(midtread_quantizer(2, w), eta=0.1, init_std=0.05)
        th = limit(prob, 10.0, n_out=201, h=0.01)
        ode = limit(prob, 10.0, n_out=401, method="ode")
        s = simulate(prob, 1000, 10.0, record_times=th.tau, n_seeds=3, seed=9)
        pde.append(plateau_length(th.tau, th.gen_error))
        sim.append(plateau_length(s.tau, s.gen_error_mean))
        ode_ratio.append(plateau_length(ode.tau, ode.gen_error, level=0.9) / dead_zone_plateau(prob))
    assert pde[0] < pde[1] < pde[2]
    assert sim[0] < sim[1] < sim[2]
    assert max(ode_ratio) / min(ode_ratio) < 1.1, ode_ratio
    np.testing.assert_allclose(sim, pde, rtol=0.15)


# ------------------------------------------------------------------------------------------
# command line


def _cli(monkeypatch, argv):
    from replicaquant import cli      # subcommands are discovered in replicaquant/commands/
    return cli.main(argv)


def test_cli_ste_json_and_bad_input(monkeypatch, capsys):
    rc = _cli(monkeypatch, ["ste", "--quantizer", "none", "--eta", "0.5", "--method", "closed_form",
                            "--tau", "4", "--n-out", "5", "--json"])
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    prob = STEProblem(None, eta=0.5)
    np.testing.assert_allclose(out["gen_error"], sgd_learning_curve(prob, out["tau"])["gen_error"])
    rc = _cli(monkeypatch, ["ste", "--eta", "-0.1"])
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1 and "eta" in err
    rc = _cli(monkeypatch, ["ste", "--tau", "2", "--n-out", "3", "--simulate", "--d", "200", "--seeds", "1"])
    assert rc == 0 and "plateau length" in capsys.readouterr().out


@pytest.mark.slow
def test_figure_quick(tmp_path):
    from replicaquant.figures import ste_dynamics
    paths = ste_dynamics.make(tmp_path, quick=True)
    # every figure writes its image, its caption and the data it draws (figure claims protocol)
    assert [p.name for p in paths] == ["ste_dynamics.png", "ste_dynamics.txt", "ste_dynamics.json"]
    assert "plateau" in paths[1].read_text()


def test_teacher_quadrature_moments():
    # Gauss-Legendre panels for N(0, rho): weights sum to one, second and fourth moments exact to
    # the truncation at 6.5 sd (tail mass 8e-11).
    from replicaquant.ste import teacher_nodes
    prob = STEProblem(UniformQuantizer(2, 1.5), teacher=GaussianTeacher(2.0))
    x, w = teacher_nodes(prob)
    assert w.sum() == pytest.approx(1.0, abs=1e-14)
    assert np.dot(w, x ** 2) == pytest.approx(2.0, rel=1e-8)
    assert np.dot(w, x ** 4) == pytest.approx(12.0, rel=1e-7)


@pytest.mark.slow
def test_notebook_executes(tmp_path):
    # The notebook is generated without outputs by notebooks/_build_ste.py and must run (< 60 s).
    import pathlib
    import nbformat
    from nbclient import NotebookClient
    root = pathlib.Path(__file__).resolve().parents[1]
    nb = nbformat.read(root / "notebooks" / "05_ste_dynamics.ipynb", as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
