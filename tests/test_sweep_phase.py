"""``sweep(..., phase=True)``: the phase fields of ``replicaquant.phase.phase_fields`` per point.

Independent checks: the RS phase is exactly where the replicon (AT value) of the RS solution is
below 1, and there the thermodynamic free energy is the RS one; beyond the AT line the 1RSB
free energy (Parisi x* maximising f, with x = 1 the RS value) is not below the RS one.
"""
from __future__ import annotations

import json

import numpy as np
import pytest

from replicaquant.model import Model
from replicaquant.sweep import load_sweep, sweep


def test_phase_fields_along_a_line_across_the_at_line(tmp_path):
    base = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    widths = [1.5, 3.0]  # AT line at omega_c = 2.32 (docs/science.md)
    ds = sweep(base, width=widths, workers=1, progress=False, bidirectional=False, phase=True,
               out=tmp_path / "ph.nc")
    codes = {int(k): v for k, v in json.loads(ds["phase"].attrs["codes"]).items()}
    labels = [codes[int(c)] for c in ds["phase"].values]
    at = ds["at"].values
    assert [lab == "RS" for lab in labels] == [a < 1 for a in at] == [True, False]
    assert np.all(ds["phase_converged"] == 1)
    rs = np.array([lab == "RS" for lab in labels])
    # RS phase: thermodynamic free energy = RS free energy (same saddle point, 1e-8 as the
    # sweep's own tolerance), x* = 1
    np.testing.assert_allclose(ds["phase_free_energy"].values[rs], ds["free_energy"].values[rs],
                               atol=1e-8)
    assert np.all(ds["phase_x"].values[rs] == 1.0)
    # beyond the AT line: 1RSB with 0 < x* < 1 and f_1RSB >= f_RS
    assert np.all((ds["phase_x"].values[~rs] > 0) & (ds["phase_x"].values[~rs] < 1))
    assert np.all(ds["phase_free_energy"].values[~rs] >= ds["free_energy"].values[~rs] - 1e-10)
    back = load_sweep(tmp_path / "ph.nc")
    np.testing.assert_array_equal(back["phase"].values, ds["phase"].values)


def test_phase_option_is_checked_and_off_by_default():
    base = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    ds = sweep(base, width=[1.0, 1.2], workers=1, progress=False, bidirectional=False)
    assert not any(v.startswith("phase") for v in ds.data_vars)
    with pytest.raises(ValueError, match="phase"):
        sweep(base, width=[1.0, 1.2], workers=1, progress=False, phase="yes")
