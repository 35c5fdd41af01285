"""Exact and annealed ground states of finite instances vs independent brute force."""
import itertools
import math

import numpy as np
import pytest

import replicaquant as rq
from replicaquant.groundstate import (anneal_ground_state, exact_ground_state, exact_work,
                                      extrapolate_inv_d, ground_state_scan)


def _brute(X, y, levels, lam):
    """Plain enumeration with itertools.product, energies by NumPy matrix algebra (a route
    sharing nothing with the Gray-code kernel: all configurations at once, no updates)."""
    n, d = X.shape
    W = np.array(list(itertools.product(levels, repeat=d)))
    R = y[None, :] - W @ X.T / math.sqrt(d)
    E = 0.5 * np.sum(R * R, axis=1) + 0.5 * lam * np.sum(W * W, axis=1)
    i = int(np.argmin(E))
    return W[i], E[i], np.sort(E)


LEVEL_SETS = {
    "one-bit": rq.UniformQuantizer(1, 0.8),
    "uniform-2bit": rq.UniformQuantizer(2, 1.5),
    "asymmetric": rq.Quantizer(levels=[-1.1, -0.2, 0.35, 1.6]),
    "three-level": rq.Quantizer(levels=[-1.0, 0.0, 0.7]),
}


@pytest.mark.parametrize("name", sorted(LEVEL_SETS))
@pytest.mark.parametrize("alpha", [0.5, 2.0])  # n < d (residual kernel) and n > d (Gram kernel)
def test_exact_equals_itertools_brute_force(name, alpha):
    quant = LEVEL_SETS[name]
    d = 8 if quant.levels.size == 2 else 6
    model = rq.Model(quant, alpha=alpha, beta=np.inf, lam=0.05, noise_var=0.2)
    for seed in range(3):
        X, y, w0 = rq.make_data(model, d, seed)
        gs = exact_ground_state(X, y, model, w0=w0)
        w_b, e_b, e_sorted = _brute(X, y, quant.levels, model.lam)
        # the minimiser is unique unless the two lowest energies tie (continuous labels: a.s. not)
        assert e_sorted[1] - e_sorted[0] > 1e-9
        np.testing.assert_array_equal(gs.w, w_b)
        assert gs.energy == pytest.approx(e_b, rel=1e-12, abs=1e-12)
        assert gs.configurations == quant.levels.size ** d
        assert gs.method == ("gray-gram" if X.shape[0] >= d else "gray-residual")
        assert gs.gen_error == pytest.approx(np.mean((w_b - w0) ** 2), rel=1e-12)
        assert gs.train_error == pytest.approx(2 * (e_b - 0.5 * model.lam * w_b @ w_b) / X.shape[0],
                                               rel=1e-10)


def test_exact_refuses_oversized_instance():
    model = rq.Model.uniform(1, 1.0, alpha=2.0, beta=np.inf)
    X, y, _ = rq.make_data(model, 30, 0)
    with pytest.raises(ValueError, match=r"d = 30.*max_work"):
        exact_ground_state(X, y, model)
    assert exact_work(2, 30, 60) > 1e10
    with pytest.raises(ValueError, match="y must have shape"):
        exact_ground_state(X, y[:-1], model)


def test_anneal_finds_exact_minimum_at_small_d():
    """Where both run, the annealer reaches the certified minimum (d = 16, 2^16 configurations)."""
    model = rq.Model.uniform(1, 0.8, alpha=1.5, beta=np.inf, lam=1e-3, noise_var=0.1)
    for seed in range(3):
        X, y, w0 = rq.make_data(model, 16, seed)
        ex = exact_ground_state(X, y, model, w0=w0)
        an = anneal_ground_state(X, y, model, w0=w0, restarts=6, sweeps=200, seed=seed)
        assert an.energy >= ex.energy - 1e-10  # never below the certified minimum
        assert an.energy == pytest.approx(ex.energy, rel=1e-10)
        assert 0 < an.hit_fraction <= 1
        assert an.restart_energies.min() * 16 == pytest.approx(an.energy, rel=1e-12)


def test_extrapolation_recovers_exact_line():
    ds = np.array([8, 12, 16, 24])
    inf, err = extrapolate_inv_d(ds, 0.3 + 1.7 / ds, np.full(4, 1e-3))
    assert inf == pytest.approx(0.3, abs=1e-10)
    assert 0 < err < 1e-2


def test_scan_shapes_and_errorbars():
    model = rq.Model.uniform(1, 0.8, alpha=2.0, beta=np.inf, lam=1e-3, noise_var=0.1)
    sc = ground_state_scan(model, [8, 10], instances=4, seed=1)
    assert sc.energy_mean.shape == (2,) and np.all(sc.energy_sem > 0)
    assert np.isfinite(sc.energy_inf) and sc.energy_inf_err > 0
    assert sc.as_dict()["ds"] == [8, 10]
