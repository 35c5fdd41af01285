"""``replicaquant ground-state``: exact ground states of synthetic instances next to the theory."""
import json

import numpy as np
import pytest

import replicaquant as rq
from replicaquant.cli import main


def test_ground_state_command_json_matches_library(tmp_path, capsys):
    out = tmp_path / "gs.json"
    rc = main(["ground-state", "--bits", "1", "--width", "0.7", "--alpha", "2", "--noise-var", "0.1",
               "--d", "8", "10", "--instances", "3", "--no-theory", "--no-progress", "--json",
               "--out", str(out)])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc == json.loads(out.read_text())
    m = rq.Model.uniform(1, 0.7, alpha=2.0, beta=np.inf, noise_var=0.1)
    sc = rq.ground_state_scan(m, [8, 10], 3, seed=0)
    assert doc["scan"]["energy_mean"] == pytest.approx(list(sc.energy_mean), rel=1e-12)
    assert doc["rs"] is None and doc["rsb1_zero"] is None


def test_ground_state_command_refuses_oversized_d(capsys):
    rc = main(["ground-state", "--bits", "2", "--alpha", "1", "--d", "30", "--instances", "2"])
    assert rc == 2
    assert "d = 30" in capsys.readouterr().err
