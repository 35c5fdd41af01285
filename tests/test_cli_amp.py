"""``replicaquant amp``: files, numbers consistent with the API, bad input -> exit status 2."""
from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pytest

from replicaquant.amp import amp
from replicaquant.cli import main
from replicaquant.data import make_data
from replicaquant.model import Model
from replicaquant.quantizers import UniformQuantizer
from replicaquant.rs import solve_rs
from replicaquant.state_evolution import state_evolution

ARGS = ["amp", "--d", "400", "--bits", "2", "--width", "1.5", "--alpha", "2", "--beta", "5",
        "--lam", "1e-3", "--noise-var", "0.1", "--seeds", "3"]
MODEL = Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    # one CLI convention for every command: --out FILE (JSON), --plot FILE.png
    out = tmp_path_factory.mktemp("amp_cli")
    code = main(ARGS + ["--out", str(out / "amp.json"), "--plot", str(out / "amp.png")])
    return code, out


def test_writes_json_and_png(cli_run, capsys):
    code, out = cli_run
    assert code == 0  # every run converged (RS-stable point)
    assert (out / "amp.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads((out / "amp.json").read_text())
    assert set(data) >= {"model", "levels", "params", "replica", "state_evolution", "amp", "summary"}
    assert data["params"]["d"] == 400 and data["params"]["n"] == 800
    assert data["params"]["seeds"] == [0, 1, 2]
    assert not list(out.glob(".*tmp"))  # atomic writes leave no temporary files


def test_numbers_match_the_api(cli_run):
    # the CLI is a thin layer: seed s of the CLI is make_data(model, d, seed=s) + amp(...),
    # the SE line is state_evolution(model) and the horizontal line solve_rs(model)
    _, out = cli_run
    data = json.loads((out / "amp.json").read_text())
    runs = data["amp"]["runs"]
    assert len(runs) == 3
    X, y, w0 = make_data(MODEL, 400, seed=1)
    res = amp(X, y, MODEL, w0=w0)
    assert runs[1]["mse"] == pytest.approx(res.mse, rel=1e-12)
    assert runs[1]["iterations"] == res.iterations
    T = len(data["amp"]["t"]) - 1
    assert T == max(r["iterations"] for r in runs)
    se = state_evolution(MODEL, n_iter=T, warn=False)
    np.testing.assert_allclose(data["state_evolution"]["mse"], se.mse, rtol=1e-12)
    sol = solve_rs(MODEL)
    assert data["replica"]["gen_error_mean"] == pytest.approx(sol.gen_error_mean, rel=1e-12)
    finals = [r["mse"] for r in runs]
    s = data["summary"]
    assert s["amp_final_mse_mean"] == pytest.approx(np.mean(finals), rel=1e-12)
    assert s["amp_final_mse_sem"] == pytest.approx(np.std(finals, ddof=1) / math.sqrt(3), rel=1e-12)
    assert s["gap_amp_minus_se"] == pytest.approx(np.mean(finals) - se.mse[-1], rel=1e-9, abs=1e-15)
    # per-iteration mean over seeds, converged runs padded with their final value
    assert data["amp"]["mse_mean"][-1] == pytest.approx(np.mean(finals), rel=1e-12)
    assert s["converged_runs"] == 3 and s["rs_stable"]


def test_summary_is_printed(tmp_path, capsys):
    code = main(["amp", "--d", "200", "--alpha", "2", "--beta", "5", "--lam", "1e-3",
                 "--noise-var", "0.1", "--seeds", "2", "--float32", "--out", str(tmp_path / "amp.json")])
    text = capsys.readouterr().out
    assert code == 0
    assert "final gap" in text and "AMP - SE" in text and "replica" in text
    data = json.loads((tmp_path / "amp.json").read_text())
    assert data["params"]["dtype"] == "float32" and data["params"]["tol"] == 1e-5


def test_rs_unstable_point_reports_non_convergence(tmp_path, capsys):
    # at = 1.52 > 1: AMP does not converge; the command says so and exits with status 1
    code = main(["amp", "--d", "300", "--bits", "1", "--width", "1.0", "--alpha", "2", "--beta", "5",
                 "--lam", "1e-3", "--noise-var", "0.1", "--seeds", "2", "--max-iter", "40",
                 "--plot", str(tmp_path / "amp.png")])
    text = capsys.readouterr().out
    assert code == 1
    assert "converged 0/2" in text and "RS unstable" in text
    assert (tmp_path / "amp.png").exists()


@pytest.mark.parametrize("extra", [
    ["--d", "0"], ["--seeds", "0"], ["--beta", "inf"], ["--width", "-1"], ["--damping", "1.0"],
    ["--damping", "-0.5"], ["--max-iter", "0"], ["--tol", "-1"], ["--beta", "nan"], ["--bits", "0"],
    ["--alpha", "0"], ["--noise-var", "-0.1"], ["--d", "abc"], ["--seed0", "-1"],
])
def test_bad_input_exits_2(tmp_path, capsys, extra):
    code_or_exit = None
    try:
        code_or_exit = main(ARGS + ["--out", str(tmp_path / "o.json")] + extra)
    except SystemExit as exc:  # argparse-level errors (e.g. a non-integer --d)
        code_or_exit = exc.code
    assert code_or_exit == 2
    err = capsys.readouterr().err
    assert err.startswith("replicaquant: error:") and err.count("\n") == 1
    assert not (tmp_path / "o.json").exists()


def test_out_is_optional_and_must_not_be_a_directory(tmp_path, capsys):
    # without --out the result is printed (JSON with --json), nothing is written
    assert main(ARGS[:2] + ["200"] + ARGS[3:] + ["--json", "--no-progress"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["params"]["d"] == 200 and len(data["amp"]["runs"]) == 3
    assert main(ARGS + ["--out", str(tmp_path)]) == 2  # a directory
    assert "--out" in capsys.readouterr().err


def test_console_script_exit_status():
    # the installed entry point (a fresh interpreter): one-line error, status 2
    proc = subprocess.run([sys.executable, "-m", "replicaquant.cli", "amp", "--alpha", "2",
                           "--beta", "inf", "--out", "unused"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2
    assert "finite beta" in proc.stderr and proc.stderr.count("\n") == 1
