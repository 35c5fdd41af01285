"""The compiled line walker (replicaquant.linewalk) gives what the Python walk gives.

``sweep.COMPILED_LINES = False`` forces the Python walk (``continuation.follow`` /
``hysteresis`` with ``solve_rs`` per point), the reference here.  With the history carried
from point to point and the higher-order start off, the compiled walk does the same
arithmetic in the same order, so every variable must be *identical*.  With them on (the
default) the solves start elsewhere and iterate differently, so the fixed points agree to
the solver tolerance and the bookkeeping (methods, branches, selection, converged) exactly.
"""
import importlib
import inspect

import numpy as np
import pytest

from replicaquant import Model
from replicaquant import continuation, linewalk
from replicaquant.rs import solve_rs

sw = importlib.import_module("replicaquant.sweep")

BASE = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)


def _run(monkeypatch, compiled, carry=True, order=4, **kw):
    monkeypatch.setattr(sw, "COMPILED_LINES", compiled)
    monkeypatch.setattr(sw, "CARRY_HISTORY", carry)
    monkeypatch.setattr(sw, "START_ORDER", order)
    return sw.sweep(BASE, workers=1, progress=False, **kw)


CASES = [dict(width=[0.5, 2.5], alpha=np.linspace(0.3, 3.0, 25)),
         dict(alpha=[0.8, 2.0], width=np.linspace(0.4, 3.0, 20)),        # levels change along the line
         dict(width=[1.5], beta=np.linspace(1.0, 30.0, 15), bidirectional="full"),
         dict(width=[1.0], lam=np.linspace(1e-3, 0.5, 12), bidirectional=False)]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c)[:40])
def test_compiled_walk_is_bitwise_the_python_walk(monkeypatch, case):
    ref = _run(monkeypatch, False, **case)
    got = _run(monkeypatch, True, carry=False, order=2, **case)
    assert set(ref.data_vars) == set(got.data_vars)
    for v in ref.data_vars:
        assert np.array_equal(ref[v].values, got[v].values), v


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(c)[:40])
def test_carried_history_finds_the_same_fixed_points(monkeypatch, case):
    ref = _run(monkeypatch, False, **case)
    got = _run(monkeypatch, True, **case)
    for v in ("converged", "n_branches", "selected", "rs_stable"):
        assert np.array_equal(ref[v].values, got[v].values), v
    for v in [v for v in ref.data_vars if v.startswith("method_")]:
        assert np.array_equal(ref[v].values, got[v].values), v
    # both are fixed points to tol = 1e-11 in the undamped scaled residual; the map's
    # Jacobian has eigenvalues up to ~0.8 here, so the states may differ by a few 1e-10
    for v in ("m", "q", "Q", "chi", "free_energy", "gen_error", "train_error", "at"):
        np.testing.assert_allclose(got[v].values, ref[v].values, rtol=1e-8, atol=1e-9, err_msg=v)
    # the point of it: fewer map evaluations for the warm starts
    assert got["iterations_fwd"].sum() < ref["iterations_fwd"].sum()


def test_a_line_the_walker_cannot_finish_goes_to_python(monkeypatch):
    """A point whose warm start fails (max_iter too small for it) hands the line to Python,
    whose retries (cold, multi) are recorded as usual."""
    case = dict(width=[1.5], alpha=np.linspace(0.3, 3.0, 8), solver_kwargs={"max_iter": 4})
    ref = _run(monkeypatch, False, **case)
    got = _run(monkeypatch, True, **case)
    for v in ref.data_vars:
        assert np.array_equal(ref[v].values, got[v].values, equal_nan=True), v


def test_walker_constants_are_the_continuation_ones():
    sig = inspect.signature(continuation.follow).parameters
    assert linewalk._SMOOTH_RATIO == sig["smooth_ratio"].default == continuation._SMOOTH_RATIO
    assert linewalk._SMOOTH_FLOOR == continuation._SMOOTH_FLOOR
    assert continuation._HISTORY == 3
    assert sw._JUMP_RATIO == sig["jump_ratio"].default
    rs_sig = inspect.signature(solve_rs).parameters
    assert all(sw._SOLVE_DEFAULTS[k] == rs_sig[k].default for k in sw._SOLVE_DEFAULTS)
