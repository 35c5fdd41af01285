"""Zero-temperature 1RSB: closed forms, stationarity, Parisi rule, limits (RS, finite beta)."""
import math
import subprocess
import sys

import numpy as np
import pytest

import replicaquant as rq
from replicaquant.rsb_zero import (RSB1ZeroMap, energy_1rsb_zero, inner_average_zero,
                                   prior_side_1rsb_zero, solve_1rsb_zero)

M1 = rq.Model.uniform(1, 0.8, alpha=2.0, beta=np.inf, lam=1e-3, noise_var=0.1)
M2 = rq.Model.uniform(2, 1.5, alpha=2.0, beta=np.inf, lam=1e-3, noise_var=0.1)


@pytest.mark.parametrize("H0,s1", [(0.4, 0.7), (-2.0, 0.7), (0.1, 0.05), (3.0, 2.5)])
def test_inner_average_vs_grid(H0, s1):
    """Closed-form cell sums vs a 400,001-point grid in z1 (the integrand has jumps at the
    thresholds, so the grid is first order: error ~ dz = 7e-5 in <<w>>; ln N is continuous)."""
    lev = np.array([-1.5, -0.4, 0.5, 1.5])
    a, yv = 1.3, 2.0
    z = np.linspace(-14, 14, 400_001)
    h = H0 + s1 * z
    e = h[:, None] * lev - 0.5 * a * lev ** 2
    k, phi = e.argmax(1), e.max(1)
    lw = -0.5 * z * z + yv * phi
    mx = lw.max()
    w = np.exp(lw - mx)
    r = inner_average_zero(lev, a, yv, H0, s1)
    assert r["lnN"] == pytest.approx(math.log(w.sum() * (z[1] - z[0]) / math.sqrt(2 * math.pi)) + mx,
                                     abs=1e-7)
    assert r["phi"] == pytest.approx((w * phi).sum() / w.sum(), abs=1e-6)
    assert r["w"] == pytest.approx((w * lev[k]).sum() / w.sum(), abs=3e-4)
    assert r["w2"] == pytest.approx((w * lev[k] ** 2).sum() / w.sum(), abs=3e-4)
    # chi = d<<w>>/dH0 - y (<<w^2>> - <<w>>^2) (Stein in z1): central difference of the closed form
    hh = 1e-5
    dw = (inner_average_zero(lev, a, yv, H0 + hh, s1)["w"] - inner_average_zero(lev, a, yv, H0 - hh, s1)["w"]) / (2 * hh)
    assert r["chi"] == pytest.approx(dw - yv * (r["w2"] - r["w"] ** 2), abs=1e-7)


@pytest.mark.parametrize("model", [M1, M2], ids=["b1", "b2"])
def test_saddle_point_is_stationary(model):
    """e(y) is stationary in all eight variables at the solution (finite differences of the
    energy functional, Phi from the compiled prior side): the saddle-point equations of the
    module are exactly the stationarity conditions of the implemented e."""
    yv = 3.0
    s = solve_1rsb_zero(model, y=yv, strict=True)
    levels = np.ascontiguousarray(model.levels, dtype=float)
    base = dict(m=s.m, q0=s.q0, Q=s.Q, chi1=s.chi1, mhat=s.mhat, qhat0=s.qhat0, qhat1=s.qhat1, Ahat=s.Ahat)

    def e(**kw):
        p = dict(base, **kw)
        out = prior_side_1rsb_zero(levels, model.lam + p["Ahat"], yv, p["mhat"], p["qhat0"], p["qhat1"],
                                   np.zeros(1), np.ones(1), model.rho)
        return energy_1rsb_zero(model, yv, p["m"], p["q0"], p["Q"], p["chi1"], p["mhat"], p["qhat0"],
                                p["qhat1"], p["Ahat"], out[0])

    assert e() == pytest.approx(s.energy, abs=1e-12)
    for k, v in base.items():
        h = 1e-5 * max(1.0, abs(v))
        g = (e(**{k: v + h}) - e(**{k: v - h})) / (2 * h)
        # truncation error h^2 e''' ~ 1e-10, rounding 1e-16/h ~ 1e-11; quadrature noise below
        assert abs(g) < 2e-7, (k, g)


@pytest.mark.parametrize("model", [M1, M2], ids=["b1", "b2"])
def test_state_energy_identity_and_dedy(model):
    """The energy of the states selected by y, d(y e)/dy = e + y de/dy, equals the direct
    energy alpha train_error/2 + lam Q/2 at every y (Legendre structure), and de/dy matches a
    finite difference of e along the branch."""
    for yv in (0.5, 4.0, 20.0):
        s = solve_1rsb_zero(model, y=yv, strict=True)
        assert s.energy + yv * s.dedy == pytest.approx(model.alpha * s.train_error / 2 + model.lam * s.Q / 2,
                                                       abs=1e-9)
        h = 1e-4 * yv
        up = solve_1rsb_zero(model, y=yv + h, init=s, strict=True)
        dn = solve_1rsb_zero(model, y=yv - h, init=s, strict=True)
        assert (up.energy - dn.energy) / (2 * h) == pytest.approx(s.dedy, abs=1e-8)


@pytest.mark.parametrize("model", [M1, M2], ids=["b1", "b2"])
def test_parisi_ground_state_above_rs(model):
    """Parisi rule: e(y*) = max_y e(y) with de/dy = 0 (zero complexity).  y -> 0 is the RS
    ground state (checked symbolically in the derivation), so the maximum over y is >= e_RS:
    the sign required by the replica n -> 0 limit, where the physical saddle maximises f over the
    breaking parameters.  Also at y*: e = alpha train_error/2 + lam Q/2 (the states' energy)."""
    s = solve_1rsb_zero(model, strict=True)
    rs = rq.solve_rs(model, init="multi", warn=False)
    assert s.rsb and s.converged
    assert abs(s.complexity) < 1e-9
    assert s.energy > rs.free_energy + 1e-4  # strictly: the RS ground state is AT-unstable
    assert s.energy_rs == pytest.approx(rs.free_energy, rel=1e-12)
    for yv in (0.3 * s.y, 3.0 * s.y):
        other = solve_1rsb_zero(model, y=yv, init=s, strict=True)
        assert other.energy < s.energy
    assert solve_1rsb_zero(model, y=0.3 * s.y, init=s).complexity > 0
    assert s.energy == pytest.approx(model.alpha * s.train_error / 2 + model.lam * s.Q / 2, abs=1e-10)
    # y -> 0 approaches RS (e(y) - e_RS = O(y))
    small = solve_1rsb_zero(model, y=1e-3, strict=True)
    assert small.energy == pytest.approx(rs.free_energy, abs=5e-5)


def test_zero_t_limit_of_finite_beta_1rsb():
    """Finite-beta thermodynamic 1RSB (Parisi x, frozen branch, started from x = y*/beta) at
    beta = 50..400 extrapolated in 1/beta (quadratic fit: the corrections are c1/beta +
    c2/beta^2 -- channel terms O(1/beta), the phi - phi_inf smearing at the thresholds
    O(1/beta^2)) reproduces e(y*) and y* = lim beta x*.  Tolerance 2e-6 on e: the cubic term
    left out of the fit is ~ 1e-7 at beta = 50, while e(50) - e(inf) is 2.4e-5 and the RS
    energy lies 2.9e-3 below."""
    z = solve_1rsb_zero(M1, strict=True)
    betas = np.array([50.0, 100.0, 200.0, 400.0])
    f, bx = [], []
    for b in betas:
        mb = M1.replace(beta=b)
        s0 = rq.solve_1rsb(mb, x=z.y / b, init=[z.m, z.q0, z.Q - z.chi1 / b, z.chi1], warn=False)
        s = rq.solve_1rsb(mb, init=s0, warn=False)
        assert s.converged and s.rsb
        f.append(s.free_energy)
        bx.append(s.x * b)
    inv = 1.0 / betas
    c = np.polyfit(inv, f, 2)
    assert c[-1] == pytest.approx(z.energy, abs=2e-6)
    assert np.all(np.diff(f) < 0)  # monotone approach from above
    cy = np.polyfit(inv, bx, 2)
    assert cy[-1] == pytest.approx(z.y, rel=1e-2)


def test_solver_validation_and_map():
    with pytest.raises(ValueError, match="y must be > 0"):
        solve_1rsb_zero(M1, y=0.0)
    with pytest.raises(ValueError, match="init"):
        solve_1rsb_zero(M1, y=1.0, init=[1.0, 2.0])
    zm = RSB1ZeroMap(M1, 2.0)
    assert not zm.feasible([0.1, 0.5, 0.4, 0.1])  # Q < q0


@pytest.mark.slow
def test_derivation_module_runs():
    r = subprocess.run([sys.executable, "-m", "replicaquant.derivations.rsb1_zero_sympy"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "FAIL" not in r.stdout and r.stdout.count("[ok]") >= 6


def test_solve_1rsb_dispatches_at_beta_inf():
    sol = rq.solve_1rsb(M1)
    assert isinstance(sol, rq.RSB1ZeroSolution) and sol.converged
    assert sol.energy == pytest.approx(solve_1rsb_zero(M1).energy, rel=1e-12)
    assert sol.x == 0.0 and sol.q1 == sol.Q


def test_phase_at_beta_inf_reports_frozen_1rsb():
    ph = rq.phase(M1)
    z = solve_1rsb_zero(M1)
    assert ph.label == "1RSB" and ph.converged and ph.at == math.inf
    assert ph.free_energy == pytest.approx(z.energy, rel=1e-12)
    assert ph.free_energy > ph.free_energy_rs
    assert ph.q1 == ph.rsb.Q and ph.x == 0.0


def test_training_error_follows_volume_law_below_rs_threshold():
    """Below the RS interpolation threshold (b = 2: alpha_c = 0.63) RS predicts zero training
    error (lam -> 0+) while the zero-temperature 1RSB gives a positive, volume-limited one: the
    volume argument (K^d configurations, n = alpha d labels: nearest residual at squared
    distance ~ K^(-2/alpha) per label) predicts ln train_error = -(2/alpha) ln K + const, i.e.
    fitted slope s = 1; we accept s within 0.2 of 1 and the prefactor within a factor 3 (the
    constant is O(1) but not computed by the argument)."""
    from replicaquant.groundstate import training_error_volume_law

    m = rq.Model.uniform(2, 1.517, alpha=1.0, beta=np.inf, lam=1e-6, noise_var=0.1)
    vl = training_error_volume_law(m, [0.8, 0.7, 0.6, 0.55, 0.5, 0.45])
    below = vl.alphas < vl.alpha_c_rs
    assert below.sum() >= 3
    assert np.all(vl.train_error > 0)
    assert np.all((vl.ratio[below] > 1 / 3) & (vl.ratio[below] < 3))
    assert abs(vl.slope - 1.0) < 0.2
    rs = rq.solve_rs(m.replace(alpha=0.5), init="multi", warn=False)
    assert rs.train_error < 1e-4 < vl.train_error[vl.alphas == 0.5][0]


def test_phase_at_beta_inf_is_never_labelled_rs():
    """At beta = inf the RS ground state of a discrete level set is never locally stable
    (at = inf), so even where the zero-temperature 1RSB search is inconclusive (b = 2, width 1.5,
    alpha = 0.3: the Parisi y* lies beyond the searched range) the label must not be "RS"; the
    report says converged=False and why."""
    m = rq.Model.uniform(2, 1.5, alpha=0.3, beta=math.inf, lam=1e-4, noise_var=0.1)
    ph = rq.phase(m)
    assert ph.at == math.inf and ph.label != "RS"
    if not ph.converged:
        assert "inconclusive" in ph.message and "RS excluded" in ph.message
