"""Equilibration diagnostics of the Monte Carlo sampler (parallel tempering).

Independent references: the closed-form autocorrelation time of an AR(1) process, a scripted
walk through the ladder for the round-trip counter, and exact enumeration of all ``K**d``
states of a tiny instance (thermal averages) against which the diagnostics' error estimates
are calibrated.
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from replicaquant.data import make_data
from replicaquant.model import Model
from replicaquant.montecarlo import (PTDiagnostics, _track_round_trips, integrated_autocorr_time,
                                     monte_carlo, monte_carlo_instance)
from replicaquant.quantizers import Quantizer


@pytest.mark.parametrize("phi", [0.0, 0.5, 0.8])
def test_autocorrelation_time_of_ar1_matches_closed_form(phi):
    # x_t = phi x_{t-1} + e_t has rho(t) = phi^t, so tau = 1 + 2 sum phi^t = (1 + phi)/(1 - phi).
    # With N = 40000 and Sokal's window (c = 5) the relative standard error of the estimate is
    # about sqrt(2 (2 W + 1)/N) <= 0.07 for tau <= 9 (W ~ 45); we allow 20 % (3 sigma).
    rng = np.random.default_rng(0)
    n = 40000
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0] / math.sqrt(1 - phi ** 2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    tau = integrated_autocorr_time(x)
    assert tau == pytest.approx((1 + phi) / (1 - phi), rel=0.2)
    # a constant series carries one sample's worth of information
    assert integrated_autocorr_time(np.full(100, 3.0)) == 100.0


def test_round_trip_counter_on_a_scripted_walk():
    # One replica, 3 temperatures, chains 0, 1, 2; rows are slot = [bottom, middle, top].
    # Chain 0: bottom (step 0), top (2), bottom (4: trip 1), top (6), bottom (8: trip 2).
    # Chain 1: bottom (1), top (4), bottom (7: trip 1).  Chain 2 starts at the top, reaches
    # the bottom at step 3 and the top again only at step 8: no completed trip.  Recording
    # starts at step 5, so trip 2 of chain 0 and the trip of chain 1 are in the window.
    walk = [[0, 1, 2], [1, 0, 2], [1, 2, 0], [2, 1, 0], [0, 2, 1], [2, 0, 1], [2, 1, 0],
            [1, 2, 0], [0, 1, 2]]
    direction = np.full(3, -1, dtype=np.int64)
    trips = np.zeros(3, dtype=np.int64)
    rec = np.zeros(3, dtype=np.int64)
    for k, s in enumerate(walk):
        _track_round_trips(np.array([s], dtype=np.int64), direction, trips, rec, k >= 5)
    assert trips.tolist() == [2, 1, 0]
    assert rec.tolist() == [1, 1, 0]


def _exact_energy(X, y, levels, beta, lam):
    n, d = X.shape
    F = X / math.sqrt(d)
    W = np.array(list(itertools.product(levels, repeat=d)))
    R = y[None, :] - W @ F.T
    H = 0.5 * (R ** 2).sum(1) + 0.5 * lam * (W ** 2).sum(1)
    p = np.exp(-beta * (H - H.min()))
    p /= p.sum()
    return float(p @ H / d)


def test_diagnostics_are_calibrated_on_an_enumerable_instance():
    # K = 2 levels, d = 8 (256 states), beta = 20: cold enough that a single heat-bath chain is
    # trapped (see test_montecarlo), so tempering (6 temperatures in [5, 20]) must do the work.
    # The exact Gibbs energy comes from enumeration.  Over 12 independent runs:
    #  * every replica makes ladder round trips during the measurement window, exchange rates
    #    are probabilities well away from 0;
    #  * the autocorrelation-based error sqrt(tau Var/N) predicts the run-to-run spread of the
    #    energy: the ratio of the observed spread to the mean predicted error is within
    #    [0.6, 1.6] (12 runs: the sample std has a relative error of ~0.21, so this is ~2.5 sigma
    #    on either side);
    #  * the Monte Carlo mean agrees with the exact value within 4.5 standard errors;
    #  * the halves and replica z-scores are O(1) for an equilibrated sampler (|z| < 4.5).
    levels = (-1.0, 1.0)
    model = Model(Quantizer(levels), alpha=2.0, beta=20.0, lam=0.0, noise_var=0.1)
    X, y, w0 = make_data(model, 8, 3)
    exact = _exact_energy(X, y, np.array(levels), 20.0, 0.0)
    runs, means, pred = 12, [], []
    for s in range(runs):
        r = monte_carlo_instance(X, y, model, w0=w0, sweeps=3000, burn_in=300, temps=6,
                                 beta_min=5.0, seed=200 + s, keep_series=True)
        dg = r.diagnostics
        assert isinstance(dg, PTDiagnostics)
        assert dg.swap_acceptance.shape == (5,) and np.all(dg.swap_acceptance > 0.05)
        assert np.all(dg.swap_acceptance <= 1.0)
        assert np.all(dg.round_trips_measured >= 1) and np.all(dg.round_trips >= dg.round_trips_measured)
        assert max(abs(z) for z in dg.halves_z.values()) < 4.5 and dg.replica_z < 4.5
        e = r.series[:, :, 2]
        means.append(e.mean())
        # error of the replica-averaged mean: replicas independent, each with its own tau
        var_each = np.array([e[:, k].var() * dg.tau_energy[k] / e.shape[0] for k in range(e.shape[1])])
        pred.append(math.sqrt(var_each.sum()) / e.shape[1])
        assert dg.ess_energy <= e.size + 1e-9
    means = np.array(means)
    spread = means.std(ddof=1)
    assert 0.6 < spread / np.mean(pred) < 1.6, (spread, np.mean(pred))
    assert abs(means.mean() - exact) < 4.5 * spread / math.sqrt(runs), (means.mean(), exact)


def test_trapped_heat_bath_is_flagged():
    # The same cold instance sampled by a plain heat bath from independent hot starts:
    # replicas fall into different valleys and stay there.  The diagnostics must report it
    # (no tempering -> no round trips to count; the replica disagreement or the tiny effective
    # sample size of q gives it away), while the tempered run of the test above reports nothing.
    model = Model(Quantizer((-1.0, 1.0)), alpha=2.0, beta=20.0, lam=0.0, noise_var=0.1)
    X, y, w0 = make_data(model, 8, 3)
    flagged = 0
    for s in range(6):
        r = monte_carlo_instance(X, y, model, w0=w0, sweeps=2000, burn_in=100, temps=1,
                                 replicas=4, seed=300 + s)
        flagged += bool(r.diagnostics.problems())
    assert flagged >= 4


def test_result_carries_diagnostics_and_summary():
    model = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    res = monte_carlo(model, 30, instances=2, sweeps=200, burn_in=50, temps=3, seed=0)
    assert len(res.diagnostics) == 2
    text = res.diagnostics_summary()
    assert "round trips" in text and "effective sample size" in text
    assert "equilibration diagnostics" in repr(res)
    d = res.as_dict()["diagnostics"][0]
    assert set(d) >= {"swap_acceptance", "round_trips", "ess_energy", "halves_z", "replica_z", "problems"}
    with pytest.raises(ValueError, match="init"):
        monte_carlo_instance(*make_data(model, 10, 0)[:2], model, sweeps=10, init=np.zeros(3))
    with pytest.raises(ValueError, match="init"):
        monte_carlo_instance(*make_data(model, 10, 0)[:2], model, sweeps=10, init=np.full(10, 0.3))
