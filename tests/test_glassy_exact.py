"""Exact finite-d Gibbs averages (replicaquant.glassy_exact) against independent routes.

* brute force: all K**d configurations built with itertools.product / bit masks, energies from
  a dense matrix product, weights by log-sum-exp -- no Gray code, no incremental update, no lazy
  site sums, no Walsh-Hadamard transform;
* the ground-state search of replicaquant.groundstate (a different kernel) for min H;
* parallel-tempering Monte Carlo (replicaquant.montecarlo) at d = 12, within its own error bars;
* closed-form limits (beta -> 0: uniform measure; identities <q_ab> = |<w>|^2/d).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import replicaquant as rq
from replicaquant.data import make_data
from replicaquant.errors import ResourceError
from replicaquant.glassy_exact import (EXACT_OBS, exact_gibbs, exact_gibbs_scan, exact_gibbs_work,
                                       extrapolate, merge_scans)
from replicaquant.model import Model
from replicaquant.quantizers import Quantizer

BETAS = (0.7, 8.0, 16.0)


def _glassy_model(beta=16.0):
    return Model.uniform(1, 1.3, alpha=0.6, beta=beta, lam=1e-4, noise_var=0.1)


def _brute(X, y, w0, levels, lam, beta):
    n, d = X.shape
    F = X / math.sqrt(d)
    W = np.array(list(itertools.product(levels, repeat=d)), dtype=float)
    R = y[None, :] - W @ F.T
    H = 0.5 * (R ** 2).sum(1) + 0.5 * lam * (W ** 2).sum(1)
    lw = -beta * H
    lnZ = np.logaddexp.reduce(lw)
    p = np.exp(lw - lnZ)
    wm = p @ W
    eH = p @ H
    rho = float(w0 @ w0) / d
    out = {"free_energy": -lnZ / (beta * d), "energy": eH / d, "entropy": lnZ / d + beta * eH / d,
           "specific_heat": beta ** 2 * (p @ H ** 2 - eH ** 2) / d,
           "train_error": p @ (R ** 2).sum(1) / n, "Q": p @ (W ** 2).sum(1) / d,
           "m": wm @ w0 / d, "q": wm @ wm / d, "gen_error": rho - 2 * wm @ w0 / d + p @ (W ** 2).sum(1) / d,
           "gen_error_mean": float(np.sum((wm - w0) ** 2)) / d}
    return out, p, W, H


@pytest.mark.parametrize("d,seed", [(8, 0), (10, 1)])
def test_one_bit_equals_brute_force_with_overlap_distribution(d, seed):
    # Every observable at three temperatures (liquid 0.7, d1RSB 8, static 1RSB 16) equals the
    # brute-force sums to 1e-9 relative (double rounding over <= 1024 terms and the incremental
    # residual update: ~1e-13 observed).  P(q): the probability that two independent replicas
    # have overlap q(h), by a dense double sum over all pairs, to 1e-10.
    model = _glassy_model()
    X, y, w0 = make_data(model, d, seed)
    g = exact_gibbs(X, y, model, w0=w0, betas=BETAS)
    assert g.configurations == 2 ** d and g.converged and g.pq is not None
    c = 1.3
    for b, beta in enumerate(BETAS):
        ref, p, W, H = _brute(X, y, w0, (-c, c), model.lam, beta)
        for k in EXACT_OBS:
            assert g.values[k][b] == pytest.approx(ref[k], rel=1e-9, abs=1e-12), (k, beta)
        assert np.allclose(g.w_mean[b], p @ W, atol=1e-12)
        h = (W[:, None, :] != W[None, :, :]).sum(2)          # Hamming distances of all pairs
        pq_ref = np.array([p @ (h == k) @ p for k in range(d + 1)])
        assert np.allclose(g.pq[b], pq_ref, atol=1e-10)
        assert g.pq[b].sum() == pytest.approx(1.0, abs=1e-12)
        qab = W @ W.T / d
        assert g.p_q_above(1.2)[b] == pytest.approx(p @ (qab > 1.2) @ p, abs=1e-10)
        mom = g.pq_moments()
        # identity: E_ab q_ab = |<w>|^2/d, computed by two unrelated routes
        assert mom["q_pq"][b] == pytest.approx(g.values["q"][b], abs=1e-10)
        assert mom["var_q"][b] == pytest.approx(p @ qab ** 2 @ p - (p @ qab @ p) ** 2, abs=1e-10)
    assert g.ground_energy == pytest.approx(H.min() / d, rel=1e-12)


def test_two_bits_and_asymmetric_levels_equal_brute_force():
    # Mixed-radix Gray code (K = 4, d = 6: 4096 states) and an asymmetric one-bit set (no P(q)).
    for levels, d in (((-1.5, -0.5, 0.5, 1.5), 6), ((-0.4, 1.1), 9)):
        model = Model(Quantizer(levels), alpha=0.8, beta=4.0, lam=0.05, noise_var=0.1)
        X, y, w0 = make_data(model, d, 7)
        g = exact_gibbs(X, y, model, w0=w0, betas=[0.5, 4.0, 30.0])
        assert g.pq is None and g.configurations == len(levels) ** d
        for b, beta in enumerate((0.5, 4.0, 30.0)):
            ref = _brute(X, y, w0, levels, model.lam, beta)[0]
            for k in EXACT_OBS:
                assert g.values[k][b] == pytest.approx(ref[k], rel=1e-9, abs=1e-12), (levels, k, beta)
        with pytest.raises(ValueError, match="pq"):
            exact_gibbs(X, y, model, pq=True)


def test_ground_energy_matches_ground_state_search_and_limits():
    # min H from the Gibbs kernel equals exact_ground_state (separate Gray-code kernel, Gram
    # update for n >= d); at beta -> 0 the measure is uniform: entropy -> ln K, <w_i> -> mean
    # level, q -> (mean level)^2; at large beta the energy tends to the ground energy.
    from replicaquant.groundstate import exact_ground_state

    model = Model(Quantizer((-1.0, 1.0)), alpha=2.0, beta=1.0, lam=0.0, noise_var=0.1)
    X, y, w0 = make_data(model, 9, 4)
    gs = exact_ground_state(X, y, model, w0=w0)
    g = exact_gibbs(X, y, model, w0=w0, betas=[1e-9, 200.0])
    assert g.ground_energy == pytest.approx(gs.energy_per_weight, rel=1e-10)
    assert g.values["entropy"][0] == pytest.approx(math.log(2), rel=1e-8)
    assert np.allclose(g.w_mean[0], 0.0, atol=1e-8)
    assert g.values["q"][0] == pytest.approx(0.0, abs=1e-12)
    # beta = 200: excited states are ~exp(-200 * gap); the gap here is O(0.1-1)
    assert g.values["energy"][1] == pytest.approx(gs.energy_per_weight, abs=1e-6)


def test_agrees_with_parallel_tempering_at_d12():
    # d = 12, the d1RSB point beta = 8 (PT ladder of 6 temperatures in [2, 8], where docs/glassy.md
    # finds PT equilibrated at d <= 25).  PT's energy, training error, m and mean overlap q_ab on
    # two instances agree with the exact sums within 5 of its own blocking standard errors (the
    # thermal error only -- both routes use the same instance), plus 1e-3 for the blocking
    # estimate's own uncertainty at these run lengths.
    from replicaquant.montecarlo import monte_carlo_instance

    model = _glassy_model(8.0)
    for k in range(2):
        X, y, w0 = make_data(model, 12, 40 + k)
        g = exact_gibbs(X, y, model, w0=w0)
        r = monte_carlo_instance(X, y, model, w0=w0, sweeps=4000, burn_in=500, temps=6,
                                 beta_min=2.0, seed=k)
        for key in ("energy", "train_error", "m", "q"):
            v, e = r.values[key], r.thermal_err[key]
            assert abs(v - g.values[key][0]) < 5 * e + 1e-3, (k, key, v, g.values[key][0], e)


def test_extrapolate_recovers_synthetic_laws():
    # Data generated from v = a + b/d + c/d^2 + s (alpha_d - alpha) with noise far below the
    # quoted se: the fit of the right order recovers a within 3 se; with exact data the
    # first-order fit of first-order data is exact and chi2 = 0.
    ds = np.arange(10, 27)
    sh = np.array([round(0.6 * d) / d for d in ds]) - 0.6
    v = 0.1 + 0.4 / ds + 0.3 * sh
    ex = extrapolate(ds, v, np.full(ds.size, 1e-3), alpha_shift=sh)
    assert ex.value == pytest.approx(0.1, abs=1e-12) and ex.chi2 < 1e-15
    assert ex.coef["s"] == pytest.approx(0.3, abs=1e-9) and ex.dof == ds.size - 3
    rng = np.random.default_rng(0)
    v2 = 0.1 + 0.4 / ds - 2.0 / ds ** 2 + 1e-3 * rng.standard_normal(ds.size)
    e2 = extrapolate(ds, v2, np.full(ds.size, 1e-3), order=2)
    assert abs(e2.value - 0.1) < 3 * e2.se
    assert e2.predict(20) == pytest.approx(0.1 + 0.4 / 20 - 2.0 / 400, abs=3e-3)
    with pytest.raises(ValueError, match="se"):
        extrapolate(ds, v, np.zeros(ds.size))
    with pytest.raises(ValueError, match="at least"):
        extrapolate([10, 12], [0.1, 0.2], [0.01, 0.01], order=2)


def test_scan_merge_and_errors():
    # The scan's plain mean (control_variates=False) is the average of the per-instance exact
    # values; the control-variate mean differs from it by less than 3 plain standard errors and
    # its standard error is not larger (least squares on two regressors, 12 instances);
    # merge_scans concatenates runs over d.
    model = _glassy_model()
    a = exact_gibbs_scan(model, [6, 7], instances=12, seed=3, betas=[8.0, 16.0], q_threshold=1.2,
                         control_variates=False)
    b = exact_gibbs_scan(model, [8], instances=12, seed=3, betas=[8.0, 16.0], q_threshold=1.2)
    cv = exact_gibbs_scan(model, [6, 7], instances=12, seed=3, betas=[8.0, 16.0], q_threshold=1.2)
    for j in range(2):
        per = a.per_instance["train_error"][j]
        assert np.allclose(a.mean["train_error"][j], per.mean(axis=0))
        assert np.all(np.abs(cv.mean["train_error"][j] - a.mean["train_error"][j]) < 3 * a.se["train_error"][j])
        assert np.all(cv.se["energy"][j] <= 1.15 * a.se["energy"][j])
    pm, pse = a.paired("energy", 1, 0)     # plain: the mean of the per-instance differences
    diff = [a.per_instance["energy"][j][:, 1] - a.per_instance["energy"][j][:, 0] for j in range(2)]
    assert np.allclose(pm, [v.mean() for v in diff])
    assert np.allclose(pse, [v.std(ddof=1) / math.sqrt(v.size) for v in diff])
    X, y, w0 = make_data(model, 7, np.random.SeedSequence([3, 7, 5]))
    g = exact_gibbs(X, y, model, w0=w0, betas=[8.0, 16.0])
    assert np.allclose(a.per_instance["energy"][1][5], g.values["energy"])
    m = merge_scans([b, a])
    assert m.ds == (6, 7, 8) and m.instances == (12, 12, 12)
    assert np.allclose(m.mean["p_q1"][2], b.mean["p_q1"][0])
    assert m.extrapolate("energy", 1).value == pytest.approx(
        extrapolate([6, 7, 8], m.mean["energy"][:, 1], m.se["energy"][:, 1], alpha_shift=m.alpha_shift()).value)
    assert "train_error" in m.table(1)
    with pytest.raises(ValueError, match="overlap"):
        merge_scans([a, a])


def test_input_validation():
    model = _glassy_model()
    X, y, w0 = make_data(model, 10, 0)
    with pytest.raises(ResourceError, match="d = 10"):
        exact_gibbs(X, y, model, max_work=1e3)
    assert exact_gibbs_work(2, 10, 6, 3) == 2 ** 10 * 18
    with pytest.raises(ValueError, match="betas"):
        exact_gibbs(X, y, model, betas=[1.0, -2.0])
    with pytest.raises(ValueError, match="betas"):
        exact_gibbs(X, y, model, betas=[np.inf])
    with pytest.raises(ValueError, match="y"):
        exact_gibbs(X, y[:-1], model)
    with pytest.raises(ValueError, match="model"):
        exact_gibbs(X, y, "model")
    g = exact_gibbs(X, y, model)  # no teacher: m and generalization errors are nan, never raised
    assert g.values["energy"].shape == (1,) and math.isnan(g.values["m"][0])
    with pytest.raises(ValueError, match="instances"):
        exact_gibbs_scan(model, [6], instances=2)
    with pytest.raises(ValueError, match="name"):
        exact_gibbs_scan(model, [6, 7, 8], instances=4).extrapolate("nope")
    assert rq.Model is Model
