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


def _run(monkeypatch, compiled, carry=None, order=None, **kw):
    """``sweep`` with the walker switches set (``None``: the module default)."""
    monkeypatch.setattr(sw, "COMPILED_LINES", compiled)
    if carry is not None:
        monkeypatch.setattr(sw, "CARRY_HISTORY", carry)
    if order is not None:
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
    assert linewalk._SMOOTH_RATIO == sig["smooth_ratio"].default == continuation.SMOOTH_RATIO
    assert linewalk._SMOOTH_FLOOR == continuation.SMOOTH_FLOOR
    assert continuation.HISTORY == 3  # the walker's three-point history (linewalk._push)
    assert sw._JUMP_RATIO == sig["jump_ratio"].default
    rs_sig = inspect.signature(solve_rs).parameters
    assert all(sw._SOLVE_DEFAULTS[k] == rs_sig[k].default for k in sw._SOLVE_DEFAULTS)


def test_start_extrapolation_is_exact_on_polynomials_and_cut_where_it_diverges():
    """Independent check of linewalk._poly_extrapolate: for states whose (m, q, 1/(1+chi)) are
    cubic in t the extrapolation is exact (the divided differences beyond order 3 vanish); on a
    history with a kink the higher terms grow and the cut keeps the low-order prediction."""
    t = np.array([0.0, 0.1, 0.25, 0.3, 0.45, 0.5, 0.62])
    cubic = lambda s: np.array([0.2 + s - s ** 3, 0.5 + 0.3 * s ** 2, 0.5 - 0.2 * s + 0.1 * s ** 3])
    hx = np.array([[c[0], c[1], 1.0 / c[2] - 1.0] for c in map(cubic, t)])
    out = np.empty(3)
    assert linewalk._poly_extrapolate(t, hx, t.size, 0.7, np.empty((t.size, 3)), out)
    c = cubic(0.7)
    np.testing.assert_allclose(out, [c[0], c[1], 1.0 / c[2] - 1.0], rtol=1e-12, atol=1e-13)
    # a kink at the last point (m jumps by 0.05): the full degree-6 interpolant amplifies it
    # (Lagrange weights of the newest point grow with the degree outside the nodes); the cut
    # series stays closer to the continuation of the last value with the old trend
    kink = hx.copy()
    kink[-1, 0] += 0.05
    assert linewalk._poly_extrapolate(t, kink, t.size, 0.7, np.empty((t.size, 3)), out)
    target = kink[-1, 0] + (c[0] - cubic(0.62)[0])
    full = np.polyval(np.polyfit(t, kink[:, 0], t.size - 1), 0.7)
    assert abs(out[0] - target) < abs(full - target)
    # not a physical start (1/(1+chi) outside (0, 1]): refused
    neg = hx.copy()
    neg[:, 2] = np.linspace(0.0, -0.6, t.size)   # chi -> -1 reached by the extrapolation
    assert not linewalk._poly_extrapolate(t, neg, t.size, 0.9, np.empty((t.size, 3)), out)
