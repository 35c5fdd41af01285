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
    assert main(["phase", *MODEL[:-6], "--beta", "inf", "--lines", "alpha", "--bracket", "1", "2"]) == 2
    assert main(["phase", *MODEL, "--out", "/nonexistent-dir/x.json"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") >= 4


def test_phase_point_at_zero_temperature(capsys):
    """``--beta inf`` is accepted (rq.phase -> rsb_zero.phase_zero): the issue's example at
    T = 0 is a frozen 1RSB ground state (Sigma(y*) = 0 at the Parisi y*, energy above the RS
    ground state), reported as strict JSON (at = inf as ``at_is_inf``, replicons null)."""
    import math

    import replicaquant as rq
    from replicaquant.model import Model

    args = ["--bits", "2", "--width", "1.5", "--alpha", "0.65", "--lam", "1e-4", "--noise-var", "0.1"]
    assert main(["phase", *args, "--beta", "inf", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["label"] == "1RSB" and d["transition"] == "discontinuous" and d["converged"]
    assert d["at"] is None and d["at_is_inf"] is True and d["replicon"] is None
    assert d["branches"] == [] and d["x"] == 0.0
    # same numbers as the library call (the CLI adds nothing but I/O)
    rep = rq.phase(Model.uniform(2, 1.5, alpha=0.65, beta=math.inf, lam=1e-4, noise_var=0.1))
    assert d["free_energy"] == rep.free_energy and d["q1"] == rep.q1
    assert abs(d["complexity"]) < 1e-8 and d["free_energy"] > d["free_energy_rs"]
    assert main(["phase", *args, "--beta", "inf"]) == 0
    assert "label = 1RSB" in capsys.readouterr().out
