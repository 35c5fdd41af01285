"""``replicaquant phase`` (issue 10 item 5): one point as a table / strict JSON, exit codes."""
from __future__ import annotations

import json

from replicaquant.cli import main

MODEL = ["--bits", "2", "--width", "1.5", "--alpha", "2", "--beta", "5", "--lam", "1e-3",
         "--noise-var", "0.1"]


def test_phase_point_json_and_table(capsys, tmp_path):
    assert main(["phase", *MODEL, "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["label"] == "RS" and d["transition"] is None and d["at"] < 1
    assert d["replicon"] is None  # nan -> null (strict JSON)
    out = tmp_path / "ph.json"
    assert main(["phase", *MODEL, "--out", str(out)]) == 0
    assert "label = RS" in capsys.readouterr().out
    assert json.loads(out.read_text())["label"] == "RS"


def test_phase_bad_input_exits_2(capsys):
    assert main(["phase", *MODEL, "--lines", "alpha"]) == 2
    assert main(["phase", *MODEL, "--bracket", "1", "2"]) == 2
    assert main(["phase", *MODEL[:-6], "--beta", "inf"]) == 2
    assert main(["phase", *MODEL, "--out", "/nonexistent-dir/x.json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") >= 4
