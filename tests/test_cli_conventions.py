"""CLI conventions shared by every command (see ``replicaquant.commands._common``).

``--version``; strict JSON parsed by ``json.loads`` for every command; broken pipes quiet;
conflicting / no-op options rejected with exit 2; output paths validated before anything is
computed (one line, exit 2); help texts with defaults; negative numbers as values.
Mostly in-process (``cli.main``) to stay fast; two subprocesses for what needs a real process.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

from replicaquant.cli import command_names, main
from replicaquant.commands._common import dump_json, from_jsonable

SOLVE = ["solve", "--alpha", "2", "--beta", "5", "--lam", "1e-3", "--noise-var", "0.1"]
AMP = ["amp", "--alpha", "2", "--beta", "5", "--lam", "1e-3", "--noise-var", "0.1", "--d", "60",
       "--seeds", "2", "--max-iter", "30", "--no-progress"]
MC = ["mc", "--alpha", "2", "--beta", "5", "--lam", "1e-3", "--noise-var", "0.1", "--d", "20",
      "--instances", "2", "--sweeps", "20", "--burn-in", "5", "--no-progress", "--rsb", "never"]
PD = ["phase-diagram", "--alpha", "1", "2", "--beta", "5", "--workers", "1", "--no-progress"]
STE = ["ste", "--method", "ode", "--tau", "1", "--n-out", "3", "--no-progress"]
PHASE = ["phase", "--alpha", "2", "--beta", "5", "--lam", "1e-3", "--noise-var", "0.1"]
GROUND = ["ground-state", "--alpha", "2", "--bits", "1", "--width", "1", "--d", "8",
          "--instances", "2", "--no-progress"]


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse-level errors and --version
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _one_line_error(code, err, *words):
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("replicaquant: error:"), err
    for w in words:
        assert w in lines[0], (w, err)
    assert "Traceback" not in err


# ------------------------------------------------------------------------------ basics


def test_version(capsys):
    code, out, _ = _run(["--version"], capsys)
    assert code == 0 and out.startswith("replicaquant ") and out.split()[1][0].isdigit()


def test_every_command_module_is_registered(capsys):
    # no silently skipped entries: every module in replicaquant/commands is a subcommand
    code, out, _ = _run(["--help"], capsys)
    assert code == 0
    for name in command_names():
        assert name.replace("_", "-") in out
    assert "sweep" not in command_names()


def test_strict_json_round_trip():
    obj = {"at": math.inf, "f": -math.inf, "n": math.nan, "v": [1.0, math.inf, 2.0],
           "m": [[math.inf, 1.0]], "ok": 1.5}
    text = dump_json(obj)
    d = json.loads(text)  # standard parser, no NaN/Infinity tokens
    assert "Infinity" not in text and "NaN" not in text and '"inf"' not in text
    assert d["at"] is None and d["at_is_inf"] is True and d["f_is_neg_inf"] is True
    assert d["n"] is None and "n_is_inf" not in d and d["v_is_inf"] == [1]
    back = from_jsonable(d)
    assert back["at"] == math.inf and back["f"] == -math.inf and back["v"][1] == math.inf
    assert back["m"][0][0] == math.inf and back["ok"] == 1.5 and set(back) == set(obj)


# ------------------------------------------------------------------------------ JSON per command


@pytest.mark.parametrize("argv", [SOLVE, AMP, MC, PD, STE, PHASE, ["figures", "--list"]],
                         ids=["solve", "amp", "mc", "phase-diagram", "ste", "phase", "figures"])
def test_json_output_is_parsed_by_json_loads(argv, capsys):
    code, out, err = _run(argv + ["--json"], capsys)
    assert code in (0, 1), err
    d = json.loads(out)
    assert isinstance(d, dict) and d


def test_solve_json_beta_inf_has_no_inf_string(capsys):
    code, out, _ = _run(["solve", "--alpha", "2", "--beta", "inf", "--json"], capsys)
    d = json.loads(out)
    assert d["at"] is None and d["at_is_inf"] is True


def test_out_file_equals_stdout_json(tmp_path, capsys):
    f = tmp_path / "r.json"
    code, out, err = _run(SOLVE + ["--json", "--out", str(f)], capsys)
    assert code == 0 and json.loads(f.read_text()) == json.loads(out)
    assert f"wrote {f}" in err
    f.write_text("old")  # an existing file is replaced (documented choice)
    code, out, _ = _run(SOLVE + ["--out", str(f)], capsys)
    assert code == 0 and "gen_error" in out and json.loads(f.read_text())["converged"] is True


def test_phase_diagram_without_out_prints_every_point(capsys):
    code, out, _ = _run(PD, capsys)
    assert code == 0
    rows = [line for line in out.splitlines() if line.strip()]
    assert len(rows) == 3 and "alpha" in rows[0] and "at" in rows[0]


# ------------------------------------------------------------------------------ broken pipe


def test_broken_pipe_is_quiet():
    env = dict(os.environ, PYTHONUNBUFFERED="0")
    proc = subprocess.Popen([sys.executable, "-m", "replicaquant.cli", "figures", "--list"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()  # the reader goes away before the command writes
    err = proc.stderr.read().decode()
    proc.wait(timeout=120)
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err
    assert proc.returncode == 141


def test_pipe_into_head():
    cmd = f"{sys.executable} -m replicaquant.cli solve --alpha 2 --beta 5 | head -3"
    proc = subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=120)
    assert proc.stdout.count("\n") == 3 and "Traceback" not in proc.stderr


# ------------------------------------------------------------------------------ conflicts


CONFLICTS = [
    (SOLVE + ["--teacher", "levels", "--rho", "3"], "--rho"),
    (SOLVE + ["--levels", "-1", "1", "--bits", "3"], "--bits"),
    (SOLVE + ["--gamma", "1.5"], "--gamma"),
    (SOLVE + ["--rsb", "1", "--init", "multi"], "--init"),
    (MC + ["--beta-min", "1"], "--beta-min"),
    (AMP + ["--teacher", "levels", "--rho", "2"], "--rho"),
    (STE + ["--clip", "1"], "--clip"),
    (STE + ["--input-width", "2"], "--input-width"),
    (STE + ["--teacher", "pm1", "--rho", "2"], "--rho"),
    (STE + ["--d", "100"], "--d"),
    (STE + ["--h", "0.1"], "--h"),
    (STE + ["--quantizer", "none", "--bits", "3"], "--bits"),
    (PD + ["--scheduler", "tcp://127.0.0.1:1"], "--workers"),
    (PD + ["--no-bidirectional", "--full-backward"], "--full-backward"),
    (PD + ["--gamma", "2"], "--gamma"),
    (["figures", "--list", "--quick"], "--quick"),
]


@pytest.mark.parametrize("argv, option", CONFLICTS, ids=[" ".join(a[:1] + a[-2:]) for a, _ in CONFLICTS])
def test_conflicting_or_noop_options_exit_2(argv, option, capsys, monkeypatch):
    _forbid_computing(monkeypatch)
    code, out, err = _run(argv, capsys)
    _one_line_error(code, err, option)


# ------------------------------------------------------------------------------ parsing, help


def test_negative_infinity_is_a_value_not_an_option(capsys):
    code, _, err = _run(SOLVE[:4] + ["-inf"], capsys)
    _one_line_error(code, err, "beta")
    assert "expected one argument" not in err
    code, _, err = _run(SOLVE + ["--lam", "-1e-3"], capsys)
    _one_line_error(code, err, "lam")


def test_input_bits_message_names_the_option(capsys):
    code, _, err = _run(STE + ["--input-bits", "0"], capsys)
    _one_line_error(code, err, "input_bits")


def _help_entry(flat: str, opt: str) -> str:
    """The help text of option ``opt`` (from its first mention up to the next option)."""
    import re

    start = flat.index(f"  {opt} ") if f"  {opt} " in flat else flat.index(f" {opt} ", flat.index("options:"))
    m = re.search(r" --[a-z]", flat[start + len(opt) + 2:])
    return flat[start: start + len(opt) + 2 + (m.start() if m else len(flat))]


def test_help_shows_defaults(capsys):
    _, out, _ = _run(["ste", "--help"], capsys)
    body = out[out.index("options:"):]
    flat = " ".join(body.split())
    for opt, default in (("--noise-var", "0.0"), ("--ste", "identity"), ("--method", "pde")):
        assert f"(default: {default})" in _help_entry(" " + flat, opt), (opt, _help_entry(" " + flat, opt))
    _, out, _ = _run(["mc", "--help"], capsys)
    assert "NUMBER of parallel-tempering temperatures" in " ".join(out.split())
    _, out, _ = _run(["figures", "--list"], capsys)
    assert "(issue" not in out


# ------------------------------------------------------------------------------ file errors


def _forbid_computing(monkeypatch):
    """Any solver, simulation or figure call fails the test: errors must come first."""
    import replicaquant.experiments as ex
    import replicaquant.figures as figs
    import replicaquant.montecarlo as mc
    import replicaquant.rs as rs
    import replicaquant.ste as ste
    import replicaquant.sweep as sw

    def boom(*a, **k):
        raise AssertionError("computed before validating the command line")

    for mod, name in ((ex, "amp_vs_state_evolution"), (mc, "monte_carlo"), (rs, "solve_rs"),
                      (ste, "limit"), (sw, "sweep"), (figs, "make_figures")):
        monkeypatch.setattr(mod, name, boom)


def _file_cases(tmp_path):
    d = tmp_path / "adir"
    d.mkdir()
    return [("/proc/x", "cannot create"), (str(d), "is a directory"),
            (str(tmp_path / "nodir" / "x"), "does not exist")]


@pytest.mark.parametrize("argv", [SOLVE, AMP, MC, PD, STE, PHASE, GROUND],
                         ids=["solve", "amp", "mc", "pd", "ste", "phase", "ground-state"])
def test_bad_out_file_exits_2_before_computing(argv, tmp_path, capsys, monkeypatch):
    _forbid_computing(monkeypatch)
    for path, words in _file_cases(tmp_path):
        code, out, err = _run(argv + ["--out", path], capsys)
        _one_line_error(code, err, "--out", words)
        assert out == ""


@pytest.mark.parametrize("argv", [AMP, PD], ids=["amp", "pd"])
def test_bad_plot_path_exits_2_before_computing(argv, tmp_path, capsys, monkeypatch):
    _forbid_computing(monkeypatch)
    for path, words in _file_cases(tmp_path):
        code, _, err = _run(argv + ["--plot", path + ".png"] if not path.endswith("adir")
                            else argv + ["--plot", path], capsys)
        _one_line_error(code, err, "--plot", words)


def test_figures_bad_out_dir_exits_2_before_computing(tmp_path, capsys, monkeypatch):
    _forbid_computing(monkeypatch)
    f = tmp_path / "file"
    f.write_text("x")
    for path, words in (("/proc/x", "cannot create"), (str(f), "not a directory")):
        code, _, err = _run(["figures", "--quick", "--out", path], capsys)
        _one_line_error(code, err, "--out", words)


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only directory")
def test_read_only_directory(tmp_path, capsys, monkeypatch):
    _forbid_computing(monkeypatch)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        code, _, err = _run(SOLVE + ["--out", str(ro / "x.json")], capsys)
        _one_line_error(code, err, "--out", "cannot create")
    finally:
        ro.chmod(0o755)


def test_unreachable_scheduler_is_one_line(capsys, monkeypatch):
    _forbid_computing(monkeypatch)
    code, _, err = _run(PD[:-3] + ["--no-progress", "--scheduler", "tcp://127.0.0.1:1"], capsys)
    _one_line_error(code, err, "--scheduler", "cannot reach")


def test_mc_out_is_atomic_json(tmp_path, capsys):
    f = tmp_path / "mc.json"
    code, _, _ = _run(MC + ["--out", str(f)], capsys)
    assert code == 0
    d = json.loads(f.read_text())
    assert d["mc"]["d"] == 20 and "theory" in d
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mc.json"]  # no temporary left


def test_mc_past_the_at_line_compares_with_1rsb_and_notes_finite_size(capsys):
    # b = 2, omega = 3: at = 1.67 > 1 (RS unstable); the reference must include 1RSB, the
    # thermodynamic phase must be reported, and d = 20 gets a finite-size note
    argv = [a for a in MC if a not in ("--rsb", "never")] + ["--width", "3", "--json"]
    code, out, _ = _run(argv, capsys)
    assert code == 0
    th = json.loads(out)["theory"]
    assert th["rs_at"] > 1 and not th["rs_stable"]
    assert th["rsb1"] is not None and th["rsb1"]["q1"] > th["rsb1"]["q0"]
    assert th["phase"]["label"] in ("1RSB", "FRSB") and th["preferred"].startswith("rsb1")
    assert "d = 20 is small" in th["finite_size_note"]
    # the realised-norm reference is the theory at each instance's |w0|^2/d
    assert len(th["rs_realised"]["rhos"]) == 2 and th["rs_realised"]["realised"] is True
    code, out, _ = _run(argv[:-1], capsys)
    assert "1RSB reference" in out and "thermodynamic phase" in out and "finite-size" in out


def test_phase_diagram_phase_column(capsys):
    # --phase classifies each point with rq.phase (b = 2: RS at omega = 1.5, RSB at omega = 3)
    code, out, _ = _run(["phase-diagram", "--alpha", "2", "--beta", "5", "--lam", "1e-3",
                         "--noise-var", "0.1", "--width", "1.5", "3", "--workers", "1",
                         "--no-progress", "--phase"], capsys)
    assert code == 0
    rows = [line.split() for line in out.splitlines()]
    assert rows[0][-2:] == ["phase", "phase_x"]
    assert rows[1][-2] == "RS" and rows[2][-2] in ("1RSB", "FRSB")
