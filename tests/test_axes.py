"""The one axis registry: every axis round-trips on every quantizer family; sweep, analysis and
the CLI agree on what an axis means.

References: the defining formulas (outer level = max|c_k|, Lloyd-Max levels scale linearly with
``scale``, uniform/power constructors), not our own output.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from replicaquant import analysis, axes
from replicaquant.sweep import SWEEP_AXES
from replicaquant.axes import AXES, applies, param_value, with_param, with_params
from replicaquant.model import Model
from replicaquant.quantizers import LloydMaxQuantizer, PowerQuantizer, Quantizer, UniformQuantizer
from replicaquant.rs import solve_rs
from replicaquant.sweep import sweep
from replicaquant.teachers import DiscreteTeacher, GaussianTeacher

FAMILIES = [UniformQuantizer(2, 1.5), PowerQuantizer(3, 1.2, 2.0), LloydMaxQuantizer(2, 0.8),
            Quantizer([-1.0, 0.25, 2.0])]
NEW = {"bits": 3, "width": 2.5, "gamma": 1.5, "scale": 1.7, "alpha": 0.7, "beta": 12.0,
       "T": 0.25, "lam": 0.01, "noise_var": 0.2, "rho": 0.6,
       "quantizer": UniformQuantizer(1, 0.9), "teacher": DiscreteTeacher([-1.0, 1.0])}


@pytest.mark.parametrize("quant", FAMILIES, ids=lambda q: type(q).__name__)
@pytest.mark.parametrize("axis", list(AXES))
def test_every_axis_round_trips_on_every_family(quant, axis):
    model = Model(quant, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    if not applies(model, axis):
        for call in (lambda: param_value(model, axis), lambda: with_param(model, axis, NEW[axis])):
            with pytest.raises(ValueError, match=axis):
                call()
        return
    # setting the current value changes nothing (up to rounding of derived parameters)
    same = with_param(model, axis, param_value(model, axis))
    np.testing.assert_allclose(same.levels, model.levels, rtol=1e-14)
    assert same.alpha == model.alpha and same.beta == pytest.approx(model.beta, rel=1e-15)
    # a new value is read back
    changed = with_param(model, axis, NEW[axis])
    got = param_value(changed, axis)
    if AXES[axis].kind == "object":
        assert got is NEW[axis]
    else:
        assert got == pytest.approx(NEW[axis], rel=1e-14)
    # and nothing else moved (other applicable real axes keep their values)
    for other in ("alpha", "lam", "noise_var"):
        if other != axis:
            assert param_value(changed, other) == param_value(model, other)


def test_width_is_the_outer_level_for_every_family():
    for quant in FAMILIES:
        m = with_param(Model(quant, alpha=2.0, beta=5.0), "width", 2.5)
        assert float(np.max(np.abs(m.levels))) == pytest.approx(2.5, rel=1e-14)
        assert type(m.quantizer) is type(quant)
    # Lloyd-Max: the levels stay the MSE-optimal ones of N(0, scale^2), scale = width/c_max(1)
    m = with_param(Model(LloydMaxQuantizer(3), alpha=1.0, beta=1.0), "width", 2.5)
    unit = LloydMaxQuantizer(3, 1.0).levels
    np.testing.assert_allclose(m.levels, unit * (2.5 / unit[-1]), rtol=1e-14)
    # arbitrary level set: every level rescaled, the shape kept
    m = with_param(Model(Quantizer([-1.0, 0.25, 2.0]), alpha=1.0, beta=1.0), "width", 1.0)
    np.testing.assert_allclose(m.levels, [-0.5, 0.125, 1.0], rtol=1e-15)
    # bits on Lloyd-Max keeps the source scale (the outer level moves)
    m = with_param(Model(LloydMaxQuantizer(1, 2.0), alpha=1.0, beta=1.0), "bits", 2)
    assert m.quantizer.scale == 2.0 and m.quantizer.bits == 2


def test_combined_changes_order_and_conflicts():
    base = Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0)
    m = with_params(base, {"width": 2.0, "quantizer": LloydMaxQuantizer(3)})  # width of the new q
    assert isinstance(m.quantizer, LloydMaxQuantizer) and m.quantizer.levels[-1] == pytest.approx(2.0)
    m = with_params(base, {"rho": 0.5, "teacher": DiscreteTeacher([1.0])})  # rho wins
    assert isinstance(m.teacher, GaussianTeacher) and m.rho == 0.5
    assert with_param(base, "T", 0.0).beta == math.inf and param_value(base.replace(beta=math.inf), "T") == 0.0
    with pytest.raises(ValueError, match="beta and T"):
        with_params(base, {"beta": 1.0, "T": 1.0})
    with pytest.raises(ValueError, match="width and scale"):
        with_params(Model(LloydMaxQuantizer(2), alpha=1.0, beta=1.0), {"width": 1.0, "scale": 1.0})
    with pytest.raises(ValueError, match="axis"):
        with_param(base, "colour", 1.0)
    with pytest.raises(ValueError, match="T"):
        with_param(base, "T", -1.0)
    with pytest.raises(ValueError, match="width"):
        with_param(base, "width", -1.0)


def test_sweep_analysis_and_registry_agree():
    """One registry object behind all users, and the same model for the same (axis, value)."""
    assert tuple(SWEEP_AXES) == tuple(AXES)
    assert analysis.AXES is axes.AXES
    lloyd = Model(LloydMaxQuantizer(2), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    widths = [1.0, 2.0]
    ds = sweep(lloyd, width=widths, workers=1, progress=False, bidirectional=False)
    for w, s in zip(widths, analysis.scan(lloyd, "width", widths)):
        ref = solve_rs(with_param(lloyd, "width", w))
        # same model -> same fixed point: tolerance of two solves to tol = 1e-11 (1e-8 as in
        # tests/test_sweep.py)
        assert abs(float(ds["m"].sel(width=w)) - ref.m) < 1e-8 and abs(s.m - ref.m) < 1e-8
    # T is an axis of both
    ds = sweep(lloyd, T=[0.2, 0.0], workers=1, progress=False, bidirectional=False)
    assert abs(float(ds["m"].sel(T=0.2)) - solve_rs(lloyd).m) < 1e-8
    assert abs(float(ds["m"].sel(T=0.0)) - solve_rs(lloyd.replace(beta=math.inf)).m) < 1e-8


def test_bad_values_name_the_parameter_and_rq_sweep_stays_callable():
    import replicaquant as rq
    import replicaquant.sweep  # noqa: F401 - binds the package attribute to the module

    base = Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0)
    ds = rq.sweep(base, width=[1.0, 1.2], workers=1, progress=False, bidirectional=False)
    assert ds["m"].shape == (2,)
    for call, name in ((lambda: analysis.scan(base, "alpha", "abc"), "values"),
                       (lambda: analysis.scan(base, "alpha", [1.0, float("nan")]), "values"),
                       (lambda: analysis.double_descent_peak(base, "abc"), "alphas"),
                       (lambda: analysis.at_slope("x"), "model")):
        with pytest.raises(ValueError, match=name):
            call()
