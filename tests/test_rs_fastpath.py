"""The fast paths of the RS solver give what the general paths give.

* ``invariants.rs_invariants_hold`` (compiled) agrees with ``check_rs(free_energy=False)`` on
  solutions and on perturbed copies of them (each field pushed across its invariant).
* ``solve_rs``'s single-start fast path (observables from the compiled call, result built in
  one step) returns the same numbers as ``_build_solution`` on the same iterate.
"""
import dataclasses
import math

import numpy as np
import pytest

from replicaquant import Model, UniformQuantizer
from replicaquant.fixed_point import FixedPointResult
from replicaquant.invariants import check_rs, rs_invariants_hold
from replicaquant.rs import RSMap, RSSolution, _build_solution, solve_rs
from replicaquant.teachers import DiscreteTeacher

MODELS = [Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1),
          Model(UniformQuantizer(1, 1.0), alpha=0.7, beta=math.inf, lam=1e-2, noise_var=0.2),
          Model(UniformQuantizer(3, 2.0), alpha=3.0, beta=20.0, lam=1e-3, noise_var=0.05,
                teacher=DiscreteTeacher.from_quantizer(UniformQuantizer(3, 2.0)))]


def _verdict(sol):
    m = sol.model
    vals = np.array([float(getattr(sol, k)) for k in RSSolution.FIELDS])
    return bool(rs_invariants_hold(vals, float(m.alpha), float(m.beta), float(m.rho),
                                   float(m.noise_var)))


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_compiled_invariants_agree_with_check_rs(model):
    sol = solve_rs(model)
    assert sol.converged and check_rs(sol, free_energy=False) is None and _verdict(sol)
    rng = np.random.default_rng(0)
    n_violations = 0
    for k in RSSolution.FIELDS:
        v = float(getattr(sol, k))
        # relative pushes from far inside the slack (1e-12) to far outside it (1e-3), both signs,
        # plus values that break finiteness or sign: the two checks must agree on every one
        for new in [v * (1 + s * d) + s * d for d in (1e-12, 1e-8, 1e-6, 1e-3) for s in (1, -1)] \
                + [-abs(v) - 1e-3, math.nan, math.inf, -math.inf, 0.0, float(rng.normal())]:
            bad = dataclasses.replace(sol, **{k: new})
            slow = check_rs(bad, free_energy=False) is None
            assert _verdict(bad) == slow, (k, new)
            n_violations += not slow
    assert n_violations > 20  # the perturbations did reach the violated side


@pytest.mark.parametrize("model", MODELS, ids=repr)
def test_fast_path_equals_general_path(model):
    sol = solve_rs(model)
    rsmap = RSMap(model)
    fp = rsmap.iterate(np.zeros(3), mixing=0.5, tol=1e-11, max_iter=3000, anderson=5, patience=200)
    ref = _build_solution(model, rsmap, fp.x, FixedPointResult(fp.x, fp.fx, True, fp.iterations,
                                                               fp.residual, "converged"))
    assert sol.iterations == ref.iterations
    for k in RSSolution.FIELDS:  # the same compiled formulas on the same map evaluation
        assert getattr(sol, k) == getattr(ref, k), k
    assert sol.as_dict() == ref.as_dict() and repr(sol) == repr(ref)
    assert isinstance(sol.m, float) and isinstance(sol.rs_stable, bool) and sol.branches == ()
