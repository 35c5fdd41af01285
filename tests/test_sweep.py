"""Sweep engine: continuation results equal point-by-point solves, branches, axes, files, CLI.

Tolerances: every solve stops when the undamped scaled residual ``max|F(x) - x|/max(1, |F(x)|)``
is below ``tol = 1e-11``; the distance to the fixed point is at most ``residual/(1 - r)`` with
``r`` the contraction rate of the (accelerated) iteration, so two solves of the same point from
different starts agree to ~1e-11/(1 - r).  We allow 1e-8 (i.e. ``r`` up to 0.999) for the
order parameters and everything derived from them.
"""
from __future__ import annotations

import json
from importlib.metadata import version

import numpy as np
import pytest
import xarray as xr

from replicaquant.cli import main
from replicaquant.commands.phase_diagram import parse_token, parse_values
from replicaquant.model import Model
from replicaquant.quantizers import LloydMaxQuantizer, PowerQuantizer, Quantizer, UniformQuantizer
from replicaquant.ridge import ridge_rs
from replicaquant.rs import RSSolution, solve_rs
from replicaquant.sweep import MULTI_RETRY, MULTI_START, REUSED, WARM, load_sweep, sweep
from replicaquant.teachers import DiscreteTeacher

TOL = 1e-8  # see the module docstring


def _close_to_solution(ds, point: dict, sol: RSSolution, tol: float = TOL, suffix: str = ""):
    for f in RSSolution.FIELDS:
        got = float(ds[f + suffix].sel(point).values)
        want = getattr(sol, f)
        if np.isinf(want):
            assert got == want, (f, point)
        else:
            assert abs(got - want) <= tol * max(1.0, abs(want)), (f, point, got, want)


def test_sweep_equals_point_by_point_cold_solves(spec_model):
    """Warm-started continuation (forward and backward) == cold ``solve_rs(model)`` per point."""
    base = spec_model()
    widths = np.linspace(0.3, 3.0, 10)
    ds = sweep(base, bits=[1, 2], width=widths, workers=1, progress=False)
    assert ds["m"].dims == ("bits", "width")
    assert ds.attrs["continuation_axis"] == "width"
    assert np.all(ds["converged"] == 1)
    cold_iters = 0
    for b in (1, 2):
        for w in widths:
            sol = solve_rs(base.replace(bits=b, width=w))
            cold_iters += sol.iterations
            _close_to_solution(ds, {"bits": b, "width": w}, sol)
            _close_to_solution(ds, {"bits": b, "width": w}, sol, suffix="_fwd")
            _close_to_solution(ds, {"bits": b, "width": w}, sol, suffix="_bwd")
            assert int(ds["rs_stable"].sel(bits=b, width=w)) == int(sol.rs_stable)
    # single branch everywhere on these lines: both passes agree, forward is selected
    assert np.all(ds["n_branches"] == 1) and np.all(ds["selected"] == 0)
    # continuation really warm-started: first point of a pass is a multi start, the rest warm
    assert np.all(ds["method_fwd"][:, 0] == MULTI_START) and np.all(ds["method_fwd"][:, 1:] == WARM)
    assert np.all(ds["method_bwd"][:, -1] == MULTI_START)
    assert set(np.unique(ds["method_bwd"][:, :-1])) <= {WARM, REUSED}
    # and it pays: fewer iterations than cold starts (engine property, not physics)
    assert int(ds["iterations_fwd"][:, 1:].sum()) < cold_iters


def test_sweep_reproduces_ridge_closed_form_along_alpha():
    """Dense wide grid (241 levels on [-6, 6], beta = 100) == ridge regression (the continuous-weight limit, see docs/theory.md).

    Reference: the ``ridge_rs`` closed form.  The level measure is a Gaussian of standard
    deviation ``sigma = 1/sqrt(beta (lam + Ahat)) >= 0.09`` sampled on a grid of spacing 0.05:
    by Poisson summation the discretisation error is ~exp(-2 pi^2 sigma^2/0.05^2) < 1e-25;
    truncation at |w| = 6 (weights have variance <= ~1) costs ~P(|N(0,1)| > 6) ~ 2e-9.  We allow
    1e-7.
    """
    base = Model(Quantizer(np.linspace(-6, 6, 241)), alpha=2.0, beta=100.0, lam=0.1, noise_var=0.1)
    alphas = [0.5, 1.25, 2.0]
    ds = sweep(base, alpha=alphas, workers=1, progress=False, bidirectional=False)
    for a in alphas:
        ref = ridge_rs(a, 0.1, 0.1, 1.0)
        got = ds.sel(alpha=a)
        assert abs(float(got["chi"]) - ref.chi) <= 1e-7 * max(1.0, ref.chi)
        assert abs(float(got["m"]) - ref.m) <= 1e-7
        assert abs(float(got["gen_error_mean"]) - ref.gen_error_mean) <= 1e-7


def test_nishimori_identities_hold_along_a_line():
    """Teacher uniform on C, beta = 1/noise_var, lam = 0: ``m = q`` and ``Q = rho`` (exact identities)."""
    quant = UniformQuantizer(2, 1.0)
    base = Model(quant, alpha=1.0, beta=10.0, lam=0.0, noise_var=0.1,
                 teacher=DiscreteTeacher.from_quantizer(quant))
    ds = sweep(base, alpha=np.linspace(0.5, 3.0, 8), workers=1, progress=False)
    assert np.all(ds["converged"] == 1)
    np.testing.assert_allclose(ds["m"], ds["q"], atol=TOL)
    np.testing.assert_allclose(ds["Q"], base.rho, atol=TOL)
    assert np.all(ds["at"] < 1)


def test_coexisting_branches_detected_and_lower_free_energy_selected():
    """Binary teacher/student on the Nishimori line at noise 0.05: a first-order transition in
    alpha with a coexistence window.  Reference: ``solve_rs(init="multi")`` at each point, which
    finds both branches independently of any continuation."""
    nv = 0.05
    base = Model(UniformQuantizer(1, 1.0), alpha=0.5, beta=1 / nv, lam=0.0, noise_var=nv,
                 teacher=DiscreteTeacher([-1.0, 1.0]))
    alphas = np.linspace(0.3, 0.7, 17)
    ds = sweep(base, alpha=alphas, workers=1, progress=False)
    n_coexist = 0
    for a in alphas:
        pt = ds.sel(alpha=a)
        ref = solve_rs(base.replace(alpha=a), init="multi")
        branches = [ref] + list(ref.branches)
        assert int(pt["n_branches"]) == len(branches), a
        if len(branches) == 2:
            n_coexist += 1
            # forward pass stays on the poorly-informed branch, backward on the informed one
            lo, hi = sorted(branches, key=lambda s: s.m)
            assert abs(float(pt["m_fwd"]) - lo.m) <= TOL and abs(float(pt["m_bwd"]) - hi.m) <= TOL
            assert abs(float(pt["free_energy_fwd"]) - lo.free_energy) <= TOL
            assert abs(float(pt["free_energy_bwd"]) - hi.free_energy) <= TOL
        # the main variables hold the branch of lowest free energy (the multi-start choice)
        _close_to_solution(ds, {"alpha": a}, ref)
        f_passes = (float(pt["free_energy_fwd"]), float(pt["free_energy_bwd"]))
        if len(branches) == 2:
            assert float(pt["free_energy"]) == min(f_passes)
        else:  # same fixed point in both passes: the forward one is kept
            assert int(pt["selected"]) == 0 and abs(f_passes[0] - f_passes[1]) <= TOL
    assert n_coexist >= 3  # the window [~0.45, ~0.55] holds several grid points


def test_certified_reuse_equals_full_backward_pass(spec_model):
    """The default backward pass skips solves that only retrace smooth forward steps (method
    REUSED); ``bidirectional="full"`` solves every backward point.  Reference: the full pass.
    Both must find the same branches, on a smooth grid and across the hysteresis window."""
    nv = 0.02
    nishimori = Model(UniformQuantizer(1, 1.0), alpha=0.5, beta=1 / nv, lam=0.0, noise_var=nv,
                      teacher=DiscreteTeacher([-1.0, 1.0]))
    cases = [(spec_model(), dict(bits=[1, 2], width=np.linspace(0.2, 4.0, 40))),
             (nishimori, dict(alpha=np.linspace(0.1, 1.0, 37)))]
    for base, axes in cases:
        fast = sweep(base, workers=1, progress=False, **axes)
        full = sweep(base, workers=1, progress=False, bidirectional="full", **axes)
        assert not np.any(full["method_bwd"] == REUSED)
        assert np.any(fast["method_bwd"] == REUSED)          # the shortcut is really taken
        np.testing.assert_array_equal(fast["n_branches"], full["n_branches"])
        np.testing.assert_array_equal(fast["selected"], full["selected"])
        for f in RSSolution.FIELDS:
            for v in (f, f + "_bwd"):
                np.testing.assert_allclose(fast[v], full[v], rtol=TOL, atol=TOL, err_msg=v)
    assert int((full["n_branches"] == 2).sum()) >= 5         # the Nishimori line has a window


def test_other_axes_quantizer_objects_rho_gamma_beta_inf():
    quants = [UniformQuantizer(2, 1.5), PowerQuantizer(2, 1.5, 2.0), LloydMaxQuantizer(2, 1.0)]
    base = Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    ds = sweep(base, quantizer=quants, alpha=[1.0, 2.0], workers=1, progress=False)
    assert list(ds["quantizer"].values) == [repr(q) for q in quants]
    for q in quants:
        for a in (1.0, 2.0):
            _close_to_solution(ds, {"quantizer": repr(q), "alpha": a},
                               solve_rs(base.replace(quantizer=q, alpha=a)))

    pbase = Model(PowerQuantizer(2, 2.0, 1.0), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    ds = sweep(pbase, rho=[0.5, 1.0], gamma=[1.0, 1.5, 2.0], workers=1, progress=False)
    assert ds["m"].dims == ("rho", "gamma")
    for r in (0.5, 1.0):
        for g in (1.0, 1.5, 2.0):
            _close_to_solution(ds, {"rho": r, "gamma": g}, solve_rs(pbase.replace(rho=r, gamma=g)))

    ds = sweep(base, beta=[5.0, 50.0, np.inf], workers=1, progress=False)
    sol = solve_rs(base.replace(beta=np.inf))
    _close_to_solution(ds, {"beta": np.inf}, sol)
    assert float(ds["at"].sel(beta=np.inf)) == np.inf and int(ds["rs_stable"].sel(beta=np.inf)) == 0
    for f in RSSolution.FIELDS:
        assert not np.any(np.isnan(ds[f].values)), f


@pytest.mark.parametrize("axes, solver_kwargs, match", [
    ({"omega": [1.0]}, None, "omega"),
    ({"width": [1.0, -1.0]}, None, "width"),
    ({"width": []}, None, "width"),
    ({"width": 1.0}, None, "width"),
    ({"width": [1.0, float("nan")]}, None, "width"),
    ({"bits": [1, 1.5]}, None, "bits"),
    ({"gamma": [1.0, 2.0]}, None, "gamma"),
    ({"quantizer": [1.0]}, None, "quantizer"),
    ({"alpha": [0.0, 1.0]}, None, "alpha"),
    ({"alpha": [1.0]}, {"init": None}, "solver_kwargs"),
    ({}, None, "axis"),
    ({"alpha": [1.0]}, "tol", "solver_kwargs"),
])
def test_bad_input_raises_value_error_naming_parameter(spec_model, axes, solver_kwargs, match):
    with pytest.raises(ValueError, match=match):
        sweep(spec_model(), workers=1, progress=False, solver_kwargs=solver_kwargs, **axes)


def test_bad_run_options(spec_model, tmp_path):
    with pytest.raises(ValueError, match="bidirectional"):
        sweep(spec_model(), width=[1.0], workers=1, bidirectional="both", progress=False)
    with pytest.raises(ValueError, match="workers"):
        sweep(spec_model(), width=[1.0], workers=0, progress=False)
    with pytest.raises(ValueError, match="chunk_lines"):
        sweep(spec_model(), width=[1.0], workers=1, chunk_lines=0, progress=False)
    with pytest.raises(ValueError, match="out"):
        sweep(spec_model(), width=[1.0], workers=1, out=tmp_path / "nodir" / "x.nc", progress=False)


def test_dataset_metadata_and_atomic_netcdf_roundtrip(spec_model, tmp_path):
    out = tmp_path / "diagram.nc"
    base = spec_model()
    ds = sweep(base, bits=[1, 2], width=[0.5, 1.0, 2.0], out=out, workers=1, progress=False,
               solver_kwargs={"tol": 1e-12})
    assert ds.attrs["model"] == repr(base)
    assert json.loads(ds.attrs["model_definition"])["quantizer"]["width"] == repr(1.5)
    assert json.loads(ds.attrs["axes"]) == ["bits", "width"]
    assert json.loads(ds.attrs["solver_kwargs"]) == {"tol": 1e-12}
    assert ds.attrs["replicaquant_version"] == version("replicaquant")
    for v in ("rs_stable", "converged", "n_branches", "selected", "method_fwd", "converged_bwd"):
        assert ds[v].dtype == np.int8, v
    assert set(RSSolution.FIELDS) <= set(ds.data_vars)
    # written atomically: the file, no temporaries, checkpoint parts removed afterwards
    assert sorted(p.name for p in tmp_path.iterdir()) == ["diagram.nc"]
    back = load_sweep(out)
    xr.testing.assert_identical(back, ds)


def test_process_pool_matches_in_process(spec_model):
    base = spec_model()
    kw = dict(bits=[1, 2, 3], width=np.linspace(0.5, 2.5, 5), progress=False)
    xr.testing.assert_identical(sweep(base, workers=2, **kw), sweep(base, workers=1, **kw))


def test_nonconvergence_is_recorded_and_warned(spec_model):
    """max_iter = 2 cannot reach tol: every point must say so, with finite last iterates."""
    with pytest.warns(RuntimeWarning, match="did not converge"):
        ds = sweep(spec_model(), width=[1.0, 1.2, 1.4], workers=1, progress=False,
                   solver_kwargs={"max_iter": 2, "fallback": False})
    assert np.all(ds["converged"] == 0) and np.all(ds["converged_fwd"] == 0)
    assert int(ds["method_fwd"][0]) == MULTI_START
    for f in RSSolution.FIELDS + ("residual",):
        assert np.all(np.isfinite(ds[f].values)), f
    assert np.all(ds["residual"] > 1e-11)
    # after a failed point the pass restarts with a multi start (no warm start from garbage)
    assert set(np.unique(ds["method_fwd"])) <= {MULTI_START, MULTI_RETRY}


# ---------------------------------------------------------------------------------------------
# CLI


def test_range_syntax():
    np.testing.assert_array_equal(parse_token("0.2:4:100"), np.linspace(0.2, 4, 100))
    np.testing.assert_allclose(parse_token("0.01:1:3:log"), [0.01, 0.1, 1.0], rtol=1e-15)
    assert parse_token("inf") == [np.inf]
    assert parse_values(["0.5", "1:2:3", "7"]) == [0.5, 1.0, 1.5, 2.0, 7.0]
    assert parse_values(["1:6:6"], "--bits", integer=True) == [1, 2, 3, 4, 5, 6]
    assert parse_token("3:3:1") == [3.0]
    for bad in ("0.2:4", "a:1:3", "0:1:x", "0:1:0", "0:1:3:lin", "0:1:3:log", "1:inf:3", "nan", "x"):
        with pytest.raises(ValueError):
            parse_token(bad)
    with pytest.raises(ValueError, match="integers"):
        parse_values(["1:2:3"], "--bits", integer=True)


@pytest.mark.parametrize("argv", [
    ["--bits", "1", "--width", "0.2:4", "--alpha", "2", "--beta", "5"],
    ["--bits", "1.5", "--width", "0.2:4:3", "--alpha", "2", "--beta", "5"],
    ["--bits", "1", "--width", "0.5:1:2", "--alpha", "2", "--beta", "five"],
    ["--bits", "1", "--alpha", "2", "--beta", "5"],
    ["--width", "0:1:3", "--alpha", "2", "--beta", "5"],
    ["--width", "1:2:3", "--gamma", "2", "--alpha", "2", "--beta", "5"],
    ["--width", "1:2:2", "--alpha", "1:2:2", "--beta", "1:2:2", "--lam", "0:1:2", "--plot", "x.png"],
    ["--width", "1:2:3", "--alpha", "2", "--beta", "5", "--no-bidirectional", "--full-backward"],
])
def test_cli_bad_input_exit_2(argv, capsys):
    assert main(["phase-diagram", "--no-progress", "--workers", "1"] + argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("replicaquant: error:") and "\n" not in err


def test_cli_writes_netcdf_and_plot(tmp_path, capsys, spec_model):
    out, png = tmp_path / "pd.nc", tmp_path / "pd.png"
    argv = ["phase-diagram", "--alpha", "1:2:3", "--bits", "1", "2", "--width", "0.5:1.5:4",
            "--beta", "5", "--lam", "1e-3", "--noise-var", "0.1", "--workers", "1",
            "--no-progress", "--out", str(out), "--plot", str(png)]
    assert main(argv) == 0
    assert "converged 24/24" in capsys.readouterr().out
    ds = load_sweep(out)
    # axes in the documented order (bits, width, ..., alpha), continuation = last multi-valued
    assert ds["m"].dims == ("bits", "width", "alpha") and ds.attrs["continuation_axis"] == "alpha"
    ref = sweep(spec_model(bits=1, width=0.5, alpha=1.0), bits=[1, 2], width=np.linspace(0.5, 1.5, 4),
                alpha=np.linspace(1, 2, 3), workers=1, progress=False)
    for f in RSSolution.FIELDS:
        np.testing.assert_allclose(ds[f], ref[f], rtol=0, atol=1e-12)
    assert png.stat().st_size > 10_000
