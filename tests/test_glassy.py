"""glassy.py: theory selection, teacher-norm correction and the verdict logic.

The Monte Carlo / AMP vs theory measurements themselves are in tests/test_glassy_slow.py
(``-m slow``); here only the fast, deterministic parts.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from replicaquant.glassy import (MCPoint, _corrected, calibrated, finite_size_allowance,
                                 glassy_theory, verdict)
from replicaquant.model import Model


def test_theory_at_the_published_static_1rsb_point():
    # Published example (b = 2, width 1.5, alpha 0.65, beta 100, lam 1e-4, noise 0.1): RS is
    # locally stable (at = 0.767) but the frozen 1RSB branch has an interior maximum of f(x)
    # at x* ~ 0.84 with f_1RSB - f_RS ~ 5.4e-5 and gen_error_mean 0.716 (RS 0.675); the
    # numbers were confirmed by an independent fine-grid solver.
    model = Model.uniform(2, 1.5, alpha=0.65, beta=100.0, lam=1e-4, noise_var=0.1)
    th = glassy_theory(model)
    assert th.label == "1RSB" and th.rs.at < 1
    assert 0.80 < th.x < 0.88
    assert th.rsb.free_energy - th.rs.free_energy > 3e-5
    assert th.rsb.gen_error_mean == pytest.approx(0.716, abs=2e-3)
    # Sigma = beta x^2 df/dx vanishes at the interior maximum
    assert abs(th.rsb.complexity) < 1e-4
    r1 = th.observables("1rsb")
    assert r1["p_q1"] == pytest.approx(1 - th.x)
    assert r1["q"] == pytest.approx(th.x * th.rsb.q0 + (1 - th.x) * th.rsb.q1)
    assert th.observables("rs")["p_q1"] == 0.0
    assert th.rsb.q0 < th.q_threshold < th.rsb.q1


def test_theory_d1rsb_point_has_rs_thermodynamics():
    # 1 bit (levels +-1.3), alpha 0.6, beta 8: a frozen branch exists at x = 1 with
    # Sigma(1) > 0, so the thermodynamics is RS and the two predictions coincide.
    model = Model.uniform(1, 1.3, alpha=0.6, beta=8.0, lam=1e-4, noise_var=0.1)
    th = glassy_theory(model)
    assert th.label == "d1RSB" and th.complexity_1 > 0 and th.x == 1.0
    assert th.branch.q1 - th.branch.q0 > 0.5
    assert th.observables("1rsb") == th.observables("rs")


def test_teacher_norm_correction_removes_a_linear_dependence():
    # values = 0.3 + 0.5 (rho_i - 1) exactly: after the correction with slope 0.5 the spread is
    # zero and the mean is the value at mean(rho).
    rho = np.array([0.9, 1.1, 1.05, 0.97])
    vals = 0.3 + 0.5 * (rho - 1.0)
    out = _corrected({"m": vals}, rho, {"m": 0.5})
    assert out["m"][0] == pytest.approx(0.3 + 0.5 * (rho.mean() - 1.0), abs=1e-15)
    assert out["m"][1] == pytest.approx(0.0, abs=1e-15)
    raw = _corrected({"m": vals}, rho, {})
    assert raw["m"][1] == pytest.approx(vals.std(ddof=1) / 2)


def test_finite_size_allowance_is_the_remaining_one_over_d_correction():
    # v(d) = a + b/d exactly: from d = 50, 100 the allowance equals |b|/100 = |v(100) - a|.
    a, b = 0.1, 2.0
    pts = [MCPoint(d=d, values={"e": (a + b / d, 0.0)}, rho_eff=1.0, problems=[], mc=None)
           for d in (100, 50)]
    assert finite_size_allowance(pts)["e"] == pytest.approx(b / 100)
    assert finite_size_allowance(pts[:1]) == {}


def test_verdict_logic():
    rs = {"e": 0.10, "q": 0.70}
    r1 = {"e": 0.12, "q": 0.85}
    # at 1RSB within errors, far from RS
    v = verdict("MC", {"e": (0.121, 0.002), "q": (0.86, 0.01)}, rs, r1, label="1RSB")
    assert v.follows == "1RSB" and v.text == "MC follows 1RSB"
    v = verdict("AMP", {"e": (0.101, 0.002), "q": (0.69, 0.01)}, rs, r1, label="1RSB")
    assert v.follows == "RS" and v.text == "AMP follows RS (metastable)"
    # errors too large: not resolved
    v = verdict("MC", {"e": (0.11, 0.02), "q": (0.78, 0.2)}, rs, r1, finite_size={"q": 0.1})
    assert v.follows == "both" and "too large" in v.text
    # a finite-size allowance widens sigma in quadrature
    v = verdict("MC", {"e": (0.121, 0.003)}, rs, r1, finite_size={"e": 0.004})
    assert v.sigma["e"] == pytest.approx(0.005)
    # far from both
    v = verdict("MC", {"e": (0.2, 0.001)}, rs, r1)
    assert v.follows == "neither" and "closer to 1RSB" in v.text
    # coinciding theories (d1RSB)
    v = verdict("MC", {"e": (0.1005, 0.001)}, rs, dict(rs), label="d1RSB")
    assert v.follows == "RS=1RSB" and math.isclose(v.z_rs["e"], 0.5)


def test_compare_glassy_record_is_complete_on_a_tiny_run():
    # Smoke test of the driver on a deliberately tiny run (numbers meaningless at d = 12, 16):
    # every observable has a finite value and error at every d, the verdicts are strings naming
    # the algorithm, the table renders, and AMP at a static point with at < 1 converges.
    from replicaquant.glassy import OBS, compare_glassy

    model = Model.uniform(1, 1.3, alpha=0.6, beta=16.0, lam=1e-4, noise_var=0.1)
    c = compare_glassy(model, ds=(16, 12), instances=3, sweeps=200, burn_in=100, temps=4,
                       beta_min=4.0, amp_d=200, amp_seeds=2, amp_max_iter=300)
    assert c.theory.label == "1RSB" and [p.d for p in c.mc] == [12, 16]
    for p in c.mc:
        assert set(OBS) <= set(p.values)
        assert all(math.isfinite(v) and math.isfinite(e) for v, e in p.values.values())
        assert p.rho_eff == c.mc[-1].rho_eff  # every d corrected to one teacher norm
    assert set(c.finite_size) >= set(OBS)
    assert c.mc_verdict.text.startswith("MC ") and c.amp_verdict.text.startswith("AMP ")
    assert c.amp.converged >= 1
    assert "MC d=16" in c.table() and c.verdict in c.table()


def test_calibration_subtracts_the_reference_excess():
    # reference point: MC 0.14 +- 0.005 where the exact answer is 0.12 -> excess 0.02
    out = calibrated({"train_error": (0.116, 0.006), "m": (0.5, 0.1)},
                     {"train_error": (0.14, 0.005)}, {"train_error": 0.12})
    assert set(out) == {"train_error"}
    assert out["train_error"][0] == pytest.approx(0.096)
    assert out["train_error"][1] == pytest.approx(math.hypot(0.006, 0.005))
