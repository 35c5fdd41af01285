"""Phase classification continued along a line (``near=``, ``phase_line``, ``sweep(phase=True)``).

Independent route: the full branch search at every point (``warm=False``: every ``x = 1`` branch
walked down from ``x = 1``) must give the same labels, Parisi ``x*`` and free energies as the
continued line, which follows each interior branch from the neighbour's maximum; the work is
counted in 1RSB map evaluations (``rsb.iterations``, ``rsb.evaluations``), not timed.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

import replicaquant as rq
from replicaquant.model import Model
from replicaquant.phase import phase_line
from replicaquant.sweep import sweep

BASE = dict(beta=100.0, lam=1e-4, noise_var=0.1)
# b = 2, width 1.5: d1RSB below the static line alpha_s = 0.623, static 1RSB up to the Gardner
# line 0.908, FRSB beyond (docs/phases.md): the line crosses two transitions
ALPHAS = (0.60, 0.66, 0.72, 0.78, 0.86, 0.94)


@pytest.fixture(scope="module")
def lines():
    models = [Model.uniform(2, 1.5, alpha=a, **BASE) for a in ALPHAS]
    return phase_line(models, warm=False), phase_line(models)


def test_continued_line_equals_the_full_search(lines):
    cold, warm = lines
    assert [r.label for r in cold] == ["d1RSB", "1RSB", "1RSB", "1RSB", "1RSB", "FRSB"]
    assert [r.label for r in warm] == [r.label for r in cold]
    assert [r.transition for r in warm] == [r.transition for r in cold]
    for c, w in zip(cold, warm):
        assert c.converged and w.converged, (c.message, w.message)
        # same maximum of f(x) on the same branch: x* to the Parisi tolerance x_tol = 1e-7 (both
        # located by regula falsi to that tolerance), f to 1e-10 (df/dx = 0 there: an x error of
        # 1e-7 moves f by O(1e-14)), replicons to 1e-6 (smooth in x, slope O(1))
        assert w.x == pytest.approx(c.x, abs=2e-7)
        assert w.free_energy == pytest.approx(c.free_energy, abs=1e-10)
        assert w.n_branches == c.n_branches
        if c.label in ("1RSB", "FRSB"):
            assert w.replicon == pytest.approx(c.replicon, abs=1e-6)
            assert w.q1 - w.q0 == pytest.approx(c.q1 - c.q0, abs=1e-6)
    # the first point and the first 1RSB point (after the static line: no interior branch to
    # continue) are full searches, and so is 0.78 (past the AT line 0.758 the Sigma(1) > 0
    # branch has merged away: one x = 1 branch instead of two); the others are continued
    assert [r.continued for r in warm] == [False, False, True, False, True, True]
    assert [r.n_branches for r in cold[2:4]] == [2, 1]
    # the work, counted in 1RSB map evaluations by phase: the fresh x = 1 scan is the same, the
    # continuation from the neighbour's x* replaces the quasi-Newton walk from x = 1.  Since that
    # walk landed (12-43 evaluations a point) the continuation saves nothing (measured 344 vs
    # 336 on this line; before it, 553 vs 608): assert only that it costs no more than a
    # quarter extra, and that every evaluation is counted
    for r in warm:
        assert r.rsb.iterations == sum(r.rsb.evaluations.values()) > 0
    n_cold = sum(r.rsb.iterations for r in cold)
    n_warm = sum(r.rsb.iterations for r in warm)
    assert n_warm <= 1.25 * n_cold, (n_warm, n_cold)


def test_near_is_checked_and_falls_back_when_branches_change(lines):
    cold, _ = lines
    with pytest.raises(TypeError, match="near"):
        rq.phase(Model.uniform(2, 1.5, alpha=0.7, **BASE), near="previous")
    # continuing the FRSB point's branches to the d1RSB point (no interior maximum there, the
    # Sigma(1) sign differs): the full search is run, not a silent jump
    rep = rq.phase(cold[0].rsb.model, near=cold[-1])
    assert not rep.continued and rep.label == "d1RSB" and rep.x == 1.0


def test_sweep_phase_is_continued_along_the_line(tmp_path):
    base = Model.uniform(2, 1.5, alpha=0.7, **BASE)
    alphas = [0.70, 0.74, 0.78]
    ds = sweep(base, alpha=alphas, workers=1, progress=False, bidirectional=False, phase=True)
    ref = sweep(base, alpha=alphas, workers=1, progress=False, bidirectional=False,
                phase={"warm": False})
    codes = {int(k): v for k, v in json.loads(ds["phase"].attrs["codes"]).items()}
    assert [codes[int(c)] for c in ds["phase"].values] == ["1RSB"] * 3
    np.testing.assert_array_equal(ds["phase"].values, ref["phase"].values)
    np.testing.assert_allclose(ds["phase_x"].values, ref["phase_x"].values, atol=2e-7)
    np.testing.assert_allclose(ds["phase_free_energy"].values, ref["phase_free_energy"].values,
                               atol=1e-10)
