"""Derived quantities: AT line, optimal width, interpolation threshold, double-descent peak.

Physics assertions of issue 5 at the reference point beta = 5, alpha = 2, rho = 1,
noise_var = 0.1, lam = 1e-3.  References are closed forms, identities or independent scans,
never numbers copied from our own output; inequalities carry the measured margin in a comment.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from replicaquant.analysis import (at_line, at_line_curve, at_slope, double_descent_peak,
                                   interpolation_threshold, optimal_width, scan, with_param)
from replicaquant.model import Model
from replicaquant.quantizers import LloydMaxQuantizer, PowerQuantizer, Quantizer, UniformQuantizer
from replicaquant.ridge import ridge_rs
from replicaquant.rs import solve_rs

REF = dict(alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)


def ref(bits=2, width=1.0, **kw):
    d = dict(REF)
    d.update(kw)
    return Model(quantizer=UniformQuantizer(bits, width), **d)


# ------------------------------------------------------------------------------ AT line


@pytest.fixture(scope="module")
def crit_uniform():
    return at_line_curve(ref(1), over="bits", values=[1, 2, 3], bracket=(0.05, 100.0))


def test_at_line_root_is_a_root_and_brackets_a_fine_scan(crit_uniform):
    for b, r in zip((1, 2, 3), crit_uniform):
        assert r.found and r.stable_below and r.n_crossings == 1
        # Brent with xtol 1e-9: at(omega_c) = 1 to the slope times 1e-9
        assert abs(solve_rs(ref(b, r.value)).at - 1.0) < 1e-6
        # independent check: a plain cold solve on either side of the root
        assert solve_rs(ref(b, 0.99 * r.value)).at < 1.0 < solve_rs(ref(b, 1.01 * r.value)).at


def test_rsb_region_at_small_bits_and_large_width(crit_uniform):
    wc = [r.value for r in crit_uniform]
    # critical width grows with bits (measured 0.85, 2.32, 5.42: margins far above 1e-9)
    assert wc[0] < wc[1] < wc[2]
    for b, w in zip((1, 2, 3), wc):
        assert solve_rs(ref(b, 0.1)).at < 1.0          # small width: RS stable
        assert not solve_rs(ref(b, 2 * w)).rs_stable   # large width: RSB
    # many bits: RS stable on the whole practical width range (b = 5: omega_c ~ 24)
    r = at_line(ref(5), "width", (0.05, 6.0), warn=False)
    assert not r.found and r.at_range[1] < 1.0


def test_at_line_along_alpha_and_beta_are_consistent_with_width_root(crit_uniform):
    # the AT surface is one set: the root along alpha (or beta) at omega_c(alpha=2) is alpha=2
    wc = crit_uniform[1].value
    ra = at_line(ref(2, wc), "alpha", (1.2, 6.0))
    rb = at_line(ref(2, wc), "beta", (1.0, 50.0))
    assert ra.found and abs(ra.value - 2.0) < 1e-6
    assert rb.found and abs(rb.value - 5.0) < 1e-6


def test_at_line_no_crossing_is_flagged_not_silent():
    with pytest.warns(RuntimeWarning, match="no crossing"):
        r = at_line(ref(3), "width", (0.05, 1.0))
    assert not r.found and r.value is None
    with pytest.raises(ValueError, match="no crossing"):
        at_line(ref(3), "width", (0.05, 1.0), strict=True)
    with pytest.raises(ValueError, match="axis"):
        at_line(ref(3), "bits", (1, 3))
    with pytest.raises(ValueError, match="bracket"):
        at_line(ref(3), "width", (2.0, 1.0))


# ------------------------------------------------------------------------------ optimal width


def test_optimal_width_interior_growing_with_bits_and_a_true_minimum():
    res = [optimal_width(ref(b), bounds=(0.05, 6.0)) for b in (1, 2, 3, 4)]
    ws = [r.width for r in res]
    assert all(r.interior and r.converged for r in res)
    # measured 0.722, 1.517, 1.789, 1.866: strictly increasing
    assert all(a < b for a, b in zip(ws, ws[1:]))
    for b, r in zip((1, 2, 3, 4), res):
        # a minimum: independent cold solves 1e-3 either side are not lower (Brent xatol 1e-6)
        assert solve_rs(ref(b, r.width - 1e-3)).gen_error >= r.error - 1e-12
        assert solve_rs(ref(b, r.width + 1e-3)).gen_error >= r.error - 1e-12
        assert r.rs_stable  # the optimum lies in the RS phase at beta = 5
    # more bits never hurt at the optimum
    errs = [r.error for r in res]
    assert all(a > b for a, b in zip(errs, errs[1:]))


def test_optimal_width_edge_is_reported():
    r = optimal_width(ref(2), bounds=(0.05, 0.5), n_scan=6)
    assert not r.interior and r.width == pytest.approx(0.5) and "edge" in r.message


# ------------------------------------------------------------------------------ non-uniform


def test_nonuniform_levels_enlarge_the_rs_stable_region():
    """Fair comparison: width = outer level for every family; RS-stable region = width < omega_c.

    Documented families: Lloyd-Max (b = 2, 3) and the power family gamma = 2 (b = 3).
    """
    def wc(quant):
        return at_line(Model(quantizer=quant, **REF), "width", (0.05, 100.0)).value

    u2, u3 = wc(UniformQuantizer(2, 1.0)), wc(UniformQuantizer(3, 1.0))
    l2, l3 = wc(LloydMaxQuantizer(2)), wc(LloydMaxQuantizer(3))
    p3 = wc(PowerQuantizer(3, 1.0, 2.0))
    # measured ratios: Lloyd-Max 1.03 (b=2), 1.23 (b=3); power gamma=2 1.66 (b=3)
    assert l2 > 1.01 * u2
    assert l3 > 1.1 * u3
    assert p3 > 1.3 * u3
    # and at b = 3 the lowest error of Lloyd-Max is below the uniform one (0.2619 vs 0.2743)
    e_u = optimal_width(ref(3), bounds=(0.05, 6.0)).error
    e_l = optimal_width(Model(quantizer=LloydMaxQuantizer(3), **REF), bounds=(0.05, 6.0)).error
    assert e_l < e_u - 0.005
    # identity: at one bit every family is {-w, +w}: same AT line to root accuracy
    assert wc(LloydMaxQuantizer(1)) == pytest.approx(wc(UniformQuantizer(1, 1.0)), abs=1e-7)


def test_with_param_width_is_the_outer_level_for_lloyd_max():
    m = with_param(Model(quantizer=LloydMaxQuantizer(3), **REF), "width", 2.5)
    assert np.max(np.abs(m.levels)) == pytest.approx(2.5, rel=1e-12)
    with pytest.raises(ValueError, match="axis"):
        with_param(m, "colour", 1.0)


# ------------------------------------------------------------------------------ interpolation


def test_interpolation_threshold_one_bit_closed_form():
    # b = 1 (levels +-w, Gaussian teacher): alpha_c is the smaller root of
    # rho a^2 - (rho + w^2 + noise) a + (2/pi) w^2 = 0  (derivation in the docstring)
    for w, nv in ((0.8, 0.1), (1.5, 0.0), (3.0, 0.5)):
        th = interpolation_threshold(Model(quantizer=UniformQuantizer(1, w), alpha=1, beta=math.inf,
                                           noise_var=nv))
        B = 1 + w * w + nv
        exact = (B - math.sqrt(B * B - 4 * (2 / math.pi) * w * w)) / 2
        assert th.alpha == pytest.approx(exact, rel=1e-9)
        assert th.alpha < 2 / math.pi  # one bit can never reach the ridgeless threshold


def test_interpolation_threshold_dense_grid_recovers_ridgeless():
    # 4001 levels on [-20, 20]: D -> integral of the Gaussian density = 1, so alpha_c -> 1,
    # and the peak height grows without bound (ridgeless: infinite).  Measured 0.9973, 43.
    m = Model(quantizer=Quantizer(np.linspace(-20, 20, 4001)), alpha=1, beta=math.inf, noise_var=0.1)
    th = interpolation_threshold(m)
    assert 0.99 < th.alpha < 1.0
    assert th.gen_error > 20


def test_interpolation_threshold_matches_the_rs_solver():
    """chi diverges and train_error -> 0 as alpha -> alpha_c+ in solve_rs at beta = inf."""
    for b, w in ((1, 0.8), (2, 1.5), (3, 1.8)):
        m = ref(b, w, beta=math.inf, lam=1e-10)
        th = interpolation_threshold(m)
        assert th.alpha < 1.0
        near = solve_rs(m.replace(alpha=th.alpha * 1.001))
        far = solve_rs(m.replace(alpha=th.alpha * 1.5))
        assert near.converged and far.converged
        # chi ~ 2/(alpha/alpha_c - 1) ~ 2000 near the threshold, O(1) far from it
        assert near.chi > 300 and far.chi < 20
        assert near.train_error < 1e-4 < far.train_error
        # the error at alpha_c+ is the limit of the solver's curve (rounding by lam, 1e-3 step)
        assert near.gen_error == pytest.approx(th.gen_error, rel=5e-3)


def test_double_descent_peak_moves_below_one_and_is_finite():
    """Measured (omega*-like widths): beta = inf peak = alpha_c = 0.63 (b=2), 0.74 (b=3)."""
    for b, w in ((2, 1.5), (3, 1.8)):
        m = ref(b, w, beta=math.inf, lam=1e-8)
        th = interpolation_threshold(m)
        grid = np.linspace(th.alpha - 0.12, th.alpha + 0.3, 11)
        p = double_descent_peak(m, grid)
        assert p.interior
        # the beta = inf peak is the cusp at alpha_c; lam = 1e-8 rounds it on a scale ~1e-3
        assert p.alpha == pytest.approx(th.alpha, abs=2e-3)
        assert p.height == pytest.approx(th.gen_error, rel=1e-2)
        # ridgeless diverges at alpha = 1; the quantized peak is finite and well below that
        assert p.alpha < 0.8
        assert p.height < 0.2 * ridge_rs(0.99, 0.0, 0.1).gen_error_mean
        # large finite beta: the Gibbs-mean peak survives between alpha_c and 1
        pf = double_descent_peak(m.replace(beta=1000.0), np.linspace(0.3, 1.2, 19))
        assert pf.interior and th.alpha < pf.alpha < 1.0
        # the Gibbs *sample* error has no interior maximum (thermal spread over interpolators)
        ps = double_descent_peak(m.replace(beta=1000.0), np.linspace(0.3, 1.2, 19),
                                 observable="gen_error")
        assert not ps.interior


def test_double_descent_peak_flags_the_chi_infinite_phase():
    # one bit at beta = inf: no finite-chi RS solution below alpha_c (lam cannot regularise)
    m = ref(1, 0.8, beta=math.inf, lam=1e-6)
    th = interpolation_threshold(m)
    p = double_descent_peak(m, [0.5 * th.alpha, 1.2 * th.alpha, 1.5 * th.alpha, 2 * th.alpha])
    assert 0.5 * th.alpha in p.failed_alphas and not p.converged
    assert np.all(p.alphas > th.alpha)


# ------------------------------------------------------------------------------ AT slope


def test_at_grows_linearly_in_beta_with_closed_form_slope():
    for b, w in ((1, 0.7), (2, 1.5), (3, 1.8)):
        m = ref(b, w)
        S = at_slope(m)
        # uniform levels: S = alpha dc^2 chi/(6 (1+chi)^2) with chi at beta = inf (identity)
        chi = solve_rs(m.replace(beta=math.inf)).chi
        dc = 2 * w / (2 ** b - 1)
        assert S == pytest.approx(2.0 * dc * dc * chi / (6 * (1 + chi) ** 2), rel=1e-10)
        # asymptotics: corrections are O(1/beta) relative; measured 2e-5 at beta = 1000
        at500 = solve_rs(m.replace(beta=500.0)).at
        assert at500 / 500.0 == pytest.approx(S, rel=1e-3)


# ------------------------------------------------------------------------------ scan


def test_scan_warm_equals_cold():
    widths = np.linspace(0.3, 3.0, 12)
    warm = scan(ref(2), "width", widths)
    back = scan(ref(2), "width", widths, reverse=True)
    for w, s, t in zip(widths, warm, back):
        cold = solve_rs(ref(2, w))
        # tolerance 1e-11 on the residual; a contraction factor < 0.9 gives < 1e-9 on x
        assert np.allclose(s.x, cold.x, atol=1e-8) and np.allclose(t.x, cold.x, atol=1e-8)
