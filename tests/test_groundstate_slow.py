"""Slow: exact / annealed ground states vs the beta = inf theory (RS and zero-temperature 1RSB)."""
import numpy as np
import pytest

import replicaquant as rq

pytestmark = pytest.mark.slow

LAM, NOISE = 1e-6, 0.1
WIDTH = {1: 0.722, 2: 1.517}  # the RS-optimal widths of the reference point (double-descent figure)
DS = {1: [14, 18, 22], 2: [7, 9, 11]}


@pytest.mark.parametrize("bits,alpha", [(1, 1.0), (1, 2.0), (2, 1.0), (2, 2.0)])
def test_exact_ground_states_vs_zero_temperature_1rsb(bits, alpha):
    """Exhaustive ground states, 48 instances per d, control-variate means, extrapolated linearly
    in 1/d: the extrapolated energy, training and test errors agree with the zero-temperature
    1RSB within 3 standard errors of the extrapolation (the error bar includes the 1/d fit's
    covariance, inflated by chi2/dof when > 1), plus 1e-3 for the theory's own interpolation-free
    value (solved at this alpha, exact to 1e-8)."""
    m = rq.Model.uniform(bits, WIDTH[bits], alpha=alpha, beta=np.inf, lam=LAM, noise_var=NOISE)
    sc = rq.ground_state_scan(m, DS[bits], 48, seed=(bits, int(10 * alpha)))
    z = rq.solve_1rsb_zero(m, strict=True)
    for obs, th in (("energy", z.energy), ("train_error", z.train_error), ("gen_error", z.gen_error)):
        val, err = getattr(sc, f"{obs}_inf"), getattr(sc, f"{obs}_inf_err")
        assert abs(val - th) < 3 * err + 1e-3, (obs, val, err, th)


def test_annealed_ground_state_follows_1rsb_where_rs_fails():
    """b = 2, alpha = 0.5 (below the RS interpolation threshold 0.63): RS predicts a test error
    0.80, the zero-temperature 1RSB 1.27.  Annealed ground states at d = 128 (16 instances,
    6 restarts x 3000 sweeps) match 1RSB within 3 standard errors and exclude RS (> 5 sigma).
    Annealing gives an upper bound on the energy; the test error is the discriminating observable."""
    m = rq.Model.uniform(2, WIDTH[2], alpha=0.5, beta=np.inf, lam=LAM, noise_var=NOISE)
    sols = rq.rsb_zero.scan_alpha_zero(m, [1.0, 0.8, 0.65, 0.5])
    z = sols[-1]
    assert z.converged
    rs = rq.solve_rs(m, init="multi", warn=False)
    sa = rq.ground_state_scan(m, [128], 16, seed=7, method="anneal", restarts=6, sweeps=3000)
    g, err = sa.gen_error_inf, sa.gen_error_inf_err
    assert abs(g - z.gen_error) < 3 * err
    assert abs(g - rs.gen_error) > 5 * err
    assert sa.energy_inf > z.energy  # an upper bound (the 1RSB energy is the lower estimate)


def test_small_alpha_training_error_is_positive_and_falls_with_1_over_alpha():
    """Exact ground states (two bits, lam = 0, d = 11): the minimum training error is > 0 at every
    alpha, even below the RS threshold where RS predicts exactly 0, and decreases as alpha
    decreases (slope of ln train_error against (2/alpha) ln K negative by > 3 sigma)."""
    m = rq.Model.uniform(2, WIDTH[2], alpha=1.0, beta=np.inf, lam=0.0, noise_var=NOISE)
    th = rq.interpolation_threshold(m).alpha
    vs = rq.groundstate.training_volume_scaling(m, [0.27, 0.36, 0.45, 0.55], d=11, instances=24)
    assert np.all(vs.alphas < th)
    assert np.all(vs.train_error_mean > 0)
    assert vs.slope < -3 * vs.slope_err
