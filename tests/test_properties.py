"""Property tests (hypothesis): invariants of every RS solution, the w0 -> -w0 symmetry, and
input validation (see docs/theory.md)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from replicaquant.model import Model
from replicaquant.quantizers import LloydMaxQuantizer, PowerQuantizer, Quantizer, UniformQuantizer
from replicaquant.rs import solve_rs
from replicaquant.teachers import DiscreteTeacher, GaussianTeacher

SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])

finite_betas = st.floats(0.1, 60.0)
quantizers = st.one_of(
    st.builds(UniformQuantizer, bits=st.integers(1, 4), width=st.floats(0.2, 3.0)),
    st.builds(PowerQuantizer, bits=st.integers(1, 4), width=st.floats(0.2, 3.0), gamma=st.floats(0.5, 3.0)),
)


@st.composite
def models(draw):
    quant = draw(quantizers)
    beta = draw(st.one_of(finite_betas, st.just(math.inf)))
    alpha = draw(st.floats(0.1, 4.0))
    if math.isinf(beta):
        # at beta = inf and alpha < 1 the RS ground state can interpolate (chi -> inf, no
        # finite saddle point); that case is reported as non-convergence and tested in
        # test_rs_physics.test_no_finite_saddle_point_reports_non_convergence
        alpha = 1.0 + alpha
    lam = draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0)))
    noise_var = draw(st.one_of(st.just(0.0), st.floats(0.0, 1.0)))
    rho = draw(st.floats(0.2, 3.0))
    return Model(quant, alpha=alpha, beta=beta, lam=lam, noise_var=noise_var, teacher=GaussianTeacher(rho))


@SETTINGS
@given(models())
def test_rs_invariants(model):
    """chi >= 0, Q >= q, m^2 <= rho Q (Cauchy-Schwarz for the Gibbs average), errors >= 0,
    converged.  Tolerances: 1e-12 absolute / 1e-9 relative cover the 1e-11 solver tolerance."""
    sol = solve_rs(model)  # a RuntimeWarning (non-convergence) is an error under pytest
    assert sol.converged
    assert sol.chi >= 0
    assert sol.Q >= sol.q - 1e-12
    assert sol.m ** 2 <= model.rho * sol.Q * (1 + 1e-9)
    assert sol.gen_error >= -1e-12 and sol.gen_error_mean >= -1e-12
    assert sol.train_error >= 0
    assert sol.gen_error >= sol.gen_error_mean - 1e-12  # Q >= q
    assert sol.q <= np.max(model.levels ** 2) + 1e-12
    assert all(math.isfinite(getattr(sol, k)) for k in
               ("m", "q", "Q", "chi", "mhat", "qhat", "Ahat", "free_energy", "gen_error", "train_error"))
    if math.isinf(model.beta):
        assert sol.Q == sol.q and math.isinf(sol.at) and not sol.rs_stable
    else:
        assert sol.at >= 0 and sol.rs_stable == (sol.at < 1)


@st.composite
def symmetric_problems(draw):
    kind = draw(st.sampled_from(["uniform", "power", "random"]))
    if kind == "uniform":
        quant = UniformQuantizer(draw(st.integers(1, 3)), draw(st.floats(0.3, 2.5)))
    elif kind == "power":
        quant = PowerQuantizer(draw(st.integers(1, 3)), draw(st.floats(0.3, 2.5)), draw(st.floats(0.5, 3.0)))
    else:
        pos = draw(st.lists(st.floats(0.05, 3.0), min_size=1, max_size=4, unique=True))
        pos = sorted(pos)
        assume(min(np.diff([0.0] + pos)) > 1e-3)
        with_zero = draw(st.booleans())
        quant = Quantizer([-p for p in pos[::-1]] + ([0.0] if with_zero else []) + pos)
    values = draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4))
    probs = draw(st.lists(st.floats(0.1, 1.0), min_size=len(values), max_size=len(values)))
    assume(sum(v * v for v in values) > 1e-2)
    beta = draw(st.one_of(st.floats(0.2, 40.0), st.just(math.inf)))
    alpha = draw(st.floats(0.2, 3.0)) + (1.0 if math.isinf(beta) else 0.0)
    lam = draw(st.floats(0.0, 0.5))
    noise_var = draw(st.floats(0.0, 0.5))
    return quant, values, probs, beta, alpha, lam, noise_var


@SETTINGS
@given(symmetric_problems())
def test_symmetric_levels_invariant_under_teacher_sign_flip(problem):
    """Symmetric levels: the map w -> -w of the student maps the problem with teacher w0 onto
    the one with -w0, so m, q, Q, chi and the free energy are unchanged (the quadrature is
    mirror-symmetric to rounding; both solves converge to 1e-11, tolerance 1e-9)."""
    quant, values, probs, beta, alpha, lam, noise_var = problem
    lv = quant.levels
    assert np.allclose(lv, -lv[::-1], atol=1e-14)
    base = Model(quant, alpha=alpha, beta=beta, lam=lam, noise_var=noise_var,
                 teacher=DiscreteTeacher(values, probs))
    flipped = base.replace(teacher=DiscreteTeacher([-v for v in values], probs))
    s1, s2 = solve_rs(base), solve_rs(flipped)
    assert s1.converged and s2.converged
    for k in ("m", "q", "Q", "chi", "free_energy", "gen_error", "train_error"):
        assert getattr(s2, k) == pytest.approx(getattr(s1, k), rel=1e-9, abs=1e-9), k


# --------------------------------------------------------------------------------------------
# bad input (see docs/theory.md): ValueError naming the parameter

nan = float("nan")
bad_reals = {
    "alpha": st.one_of(st.floats(max_value=0.0), st.just(nan), st.just(math.inf)),
    "beta": st.one_of(st.floats(max_value=0.0), st.just(nan), st.just(-math.inf)),
    "lam": st.one_of(st.floats(max_value=-1e-300, exclude_max=False), st.just(nan), st.just(math.inf)),
    "noise_var": st.one_of(st.floats(max_value=-1e-300), st.just(nan), st.just(math.inf)),
}


def _ok_model(**changes):
    kw = dict(quantizer=UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    kw.update(changes)
    return Model(**kw)


@pytest.mark.parametrize("name", list(bad_reals))
@settings(max_examples=25, deadline=None, derandomize=True)
@given(data=st.data())
def test_bad_model_parameter_raises_naming_it(name, data):
    value = data.draw(bad_reals[name])
    assume(not (isinstance(value, float) and value == 0.0 and name in ("lam", "noise_var")))
    with pytest.raises(ValueError, match=name):
        _ok_model(**{name: value})


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.integers(max_value=0), st.floats(0.1, 3.0))
def test_bad_bits_raises(bits, width):
    for cls in (UniformQuantizer, PowerQuantizer):
        with pytest.raises(ValueError, match="bits"):
            cls(bits, width)
    with pytest.raises(ValueError, match="bits"):
        LloydMaxQuantizer(bits)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(st.integers(1, 4), st.one_of(st.floats(max_value=0.0), st.just(nan), st.just(math.inf)))
def test_bad_width_raises(bits, width):
    for cls in (UniformQuantizer, PowerQuantizer):
        with pytest.raises(ValueError, match="width"):
            cls(bits, width)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.floats(-5, 5), min_size=2, max_size=8), st.integers(0, 100))
def test_non_increasing_levels_raise(levels, k):
    """Any level vector with a non-positive step is rejected (duplicates, descending pairs)."""
    levels = sorted(levels)
    i = k % (len(levels) - 1)
    if k % 2:
        levels[i + 1] = levels[i]  # a duplicate
    else:
        levels[i], levels[i + 1] = levels[i + 1] + 1.0, levels[i]  # a descending pair
    with pytest.raises(ValueError, match="levels"):
        Quantizer(levels)


@pytest.mark.parametrize("make, name", [
    (lambda: Quantizer([-1.0, nan, 1.0]), "levels"),
    (lambda: Quantizer([-1.0, math.inf]), "levels"),
    (lambda: Quantizer([1.0]), "levels"),
    (lambda: UniformQuantizer(nan, 1.0), "bits"),
    (lambda: UniformQuantizer(2.5, 1.0), "bits"),
    (lambda: PowerQuantizer(2, 1.0, nan), "gamma"),
    (lambda: PowerQuantizer(2, 1.0, -1.0), "gamma"),
    (lambda: LloydMaxQuantizer(2, nan), "scale"),
    (lambda: GaussianTeacher(nan), "rho"),
    (lambda: GaussianTeacher(0.0), "rho"),
    (lambda: DiscreteTeacher([0.0, nan]), "values"),
    (lambda: DiscreteTeacher([0.0, 1.0], [0.5, nan]), "probs"),
    (lambda: DiscreteTeacher([0.0, 1.0], [0.5, -0.1]), "probs"),
    (lambda: Model(UniformQuantizer(2, 1.0), alpha=1.0, beta=1.0, teacher="gauss"), "teacher"),
    (lambda: Model([-1.0, 1.0], alpha=1.0, beta=1.0), "quantizer"),
    (lambda: solve_rs("model"), "model"),
    (lambda: solve_rs(_ok_model(), mixing=0.0), "mixing"),
    (lambda: solve_rs(_ok_model(), mixing=nan), "mixing"),
    (lambda: solve_rs(_ok_model(), init="bogus"), "init"),
    (lambda: solve_rs(_ok_model(), init=(0.0, nan, 0.0)), "init"),
])
def test_other_bad_inputs_raise_naming_parameter(make, name):
    with pytest.raises(ValueError, match=name):
        make()
