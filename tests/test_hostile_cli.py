"""Hostile command lines (issue 13): every registered subcommand, in-process through
``replicaquant.cli.main``.  Bad input ends in exit status 2 with exactly one line on stderr
that names the option (no traceback); extreme-but-valid input gives a result satisfying the
invariants.

Test names start with the subcommand they exercise (``test_solve_...``, ``test_amp_...``) so that
``pytest --collect-only -q tests/test_hostile_cli.py`` counts the cases per command.
"""
from __future__ import annotations

import json
import math

import pytest

from replicaquant.cli import build_parser, main

MODEL = ["--bits", "2", "--width", "1.5", "--alpha", "2", "--beta", "5", "--lam", "1e-3",
         "--noise-var", "0.1"]


def _run(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _assert_clean_error(code, err, *words):
    """Exit 2, exactly one non-empty stderr line, no traceback, naming ``words``."""
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1, err
    assert "Traceback" not in err
    for w in words:
        assert w in lines[0], (w, lines[0])


def _commands():
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)


COMMANDS = _commands()


# =============================================================================================
# issue 13 defect 1: wrong answers labelled converged, through the CLI


@pytest.mark.parametrize("extra, expected", [
    # beta = 1e14 gave m = 0, gen_error 2.2445: the beta = inf ground state is 0.27356
    # (closed form; see test_hostile_api for the independent checks)
    (["--beta", "1e14"], 0.27356),
    # alpha = 1e12 gave 0.941; the alpha -> inf rounding limit E[(w0 - round(w0))^2] = 0.11885
    (["--alpha", "1e12"], 0.11885),
])
def test_solve_extreme_but_valid_is_right(extra, expected, capsys):
    argv = ["solve", *MODEL, *extra, "--json"]
    code, out, err = _run(argv, capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["converged"] is True
    assert res["gen_error"] == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize("tokens", [["--beta", "-inf"], ["--beta", "-1"], ["--alpha", "-2"]])
def test_solve_negative_values_as_separate_tokens(tokens, capsys):
    """--beta -inf was parsed as a missing argument (issue 13 defect 9)."""
    argv = ["solve", "--alpha", "2", "--beta", "5", *tokens]
    code, out, err = _run(argv, capsys)
    _assert_clean_error(code, err, tokens[0].lstrip("-"))


def test_solve_huge_lam_has_no_negative_errors(capsys):
    """--lam 1e20 gave m = 1.111 with Q = 0.25 and negative errors."""
    code, out, err = _run(["solve", *MODEL, "--lam", "1e20", "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["m"] ** 2 <= res["Q"] * (1 + 1e-9)
    assert res["gen_error"] >= 0 and res["train_error"] >= 0


# =============================================================================================
# bad values of the model options, for every command that takes a model


def _takes(cmd, option):
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command").choices[cmd]
    return any(option in a.option_strings for a in sub._actions)


# (option, value, words the one-line message must contain)
BAD_MODEL = [
    ("--alpha", "-1", "alpha"), ("--alpha", "nan", "alpha"), ("--alpha", "abc", "alpha"),
    ("--alpha", "0", "alpha"), ("--beta", "0", "beta"), ("--beta", "-inf", "beta"),
    ("--beta", "1e300", "beta"), ("--lam", "-1", "lam"), ("--lam", "1e305", "lam"),
    ("--noise-var", "-0.1", "noise"), ("--width", "0", "width"), ("--width", "1e300", "width"),
    ("--bits", "0", "bits"), ("--bits", "2.5", "bits"), ("--bits", "40", "bits"),
    ("--rho", "0", "rho"),
]


def _model_cases():
    for cmd in COMMANDS:
        for opt, val, word in BAD_MODEL:
            if _takes(cmd, opt) and _takes(cmd, "--alpha"):
                yield pytest.param(cmd, opt, val, word, id=f"{cmd}{opt}={val}")


def _base_args(cmd):
    args = {"solve": [], "amp": ["--d", "20", "--max-iter", "3", "--no-progress"],
            "mc": ["--d", "8", "--sweeps", "4", "--burn-in", "0", "--instances", "1", "--no-progress"],
            "phase-diagram": ["--no-progress"]}
    return args.get(cmd, [])


@pytest.mark.parametrize("cmd, opt, val, word", list(_model_cases()))
def test_model_option_bad_value_every_command(cmd, opt, val, word, capsys):
    argv = [cmd, *MODEL, *_base_args(cmd)]
    if cmd == "phase-diagram":
        argv = [cmd, "--bits", "2", "--width", "1.5", "--alpha", "2", "--beta", "5", "--no-progress"]
    argv = argv + [f"{opt}={val}"]
    code, out, err = _run(argv, capsys)
    _assert_clean_error(code, err, word)


# =============================================================================================
# command-specific hostile options


@pytest.mark.parametrize("extra, word", [
    (["--tol", "inf"], "tol"), (["--tol", "0"], "tol"), (["--tol", "-1"], "tol"),
    (["--levels", "1", "0"], "levels"), (["--levels", "0", "nan"], "levels"),
    (["--levels", "-1e154", "1e154"], "levels"), (["--levels", "1"], "levels"),
    (["--quantizer", "power", "--gamma", "1e6"], "levels"),
    (["--rsb", "2"], "rsb"),
])
def test_solve_bad_options(extra, word, capsys):
    code, out, err = _run(["solve", *MODEL, *extra], capsys)
    _assert_clean_error(code, err, word)


@pytest.mark.parametrize("extra, word", [
    (["--d", "100000"], "d"),            # issue 13 defect 5: MemoryError traceback
    (["--d", "0"], "d"), (["--d", "2.5"], "d"), (["--max-iter", "0"], "max"),
    (["--tol", "inf"], "tol"), (["--damping", "1.5"], "damping"), (["--seeds", "0"], "seeds"),
    (["--beta", "inf"], "beta"),
])
def test_amp_bad_options(extra, word, capsys):
    code, out, err = _run(["amp", *MODEL, "--d", "20", "--max-iter", "3", "--no-progress", *extra], capsys)
    _assert_clean_error(code, err, word)


@pytest.mark.parametrize("extra, word", [
    (["--d", "100000000"], "d"),          # issue 13 defect 5: MemoryError traceback
    (["--sweeps", "1000000000000"], "sweeps"),
    (["--d", "1"], "d"), (["--sweeps", "1"], "sweeps"), (["--replicas", "1"], "replicas"),
    (["--instances", "0"], "instances"), (["--temps", "0"], "temps"), (["--beta", "inf"], "beta"),
])
def test_mc_bad_options(extra, word, capsys):
    code, out, err = _run(["mc", *MODEL, "--d", "8", "--sweeps", "4", "--burn-in", "0",
                           "--instances", "1", "--no-progress", *extra], capsys)
    _assert_clean_error(code, err, word)


@pytest.mark.parametrize("extra, word", [
    (["--tau", "1e9"], "tau"),            # issue 13 defect 5: ste.limit 4 GB then MemoryError
    (["--simulate", "--d", "100", "--tau", "1e12"], "tau"),
    (["--tau", "-1"], "tau"), (["--eta", "0"], "eta"), (["--input-bits", "0"], "input"),
    (["--bits", "0"], "bits"), (["--width", "-1"], "width"), (["--n-out", "1"], "n"),
])
def test_ste_bad_options(extra, word, capsys):
    code, out, err = _run(["ste", "--bits", "2", "--width", "1.5", "--eta", "0.5", "--tau", "1",
                           "--no-progress", *extra], capsys)
    _assert_clean_error(code, err, word)


@pytest.mark.parametrize("extra, word", [
    (["--alpha", "1:2:100000000"], "alpha"),   # issue 13 defect 5: 4.8 GB before solving
    (["--alpha", "abc"], "alpha"), (["--alpha", "1:2:3", "--workers", "0"], "workers"),
    (["--alpha", "1:2:3", "--tol", "inf"], "tol"),
])
def test_phase_diagram_bad_options(extra, word, capsys, tmp_path):
    code, out, err = _run(["phase-diagram", "--bits", "2", "--width", "1.5", "--alpha", "2",
                           "--beta", "5", "--no-progress", "--out", str(tmp_path / "pd.nc"), *extra],
                          capsys)
    _assert_clean_error(code, err, word)


@pytest.mark.parametrize("extra, word", [(["--only", "bogus"], "bogus")])
def test_figures_bad_options(extra, word, capsys, tmp_path):
    code, out, err = _run(["figures", "--out", str(tmp_path / "figs"), *extra], capsys)
    _assert_clean_error(code, err, word)


@pytest.mark.parametrize("cmd", COMMANDS)
def test_every_command_unknown_option_is_one_line(cmd, capsys):
    base = {"solve": MODEL, "amp": MODEL, "mc": MODEL,
            "phase-diagram": ["--alpha", "1:2:3", "--beta", "5"], "ste": ["--eta", "0.5", "--tau", "1"],
            "phase": MODEL, "ground-state": ["--alpha", "2"]}
    code, out, err = _run([cmd, *base.get(cmd, []), "--no-such-option", "1"], capsys)
    _assert_clean_error(code, err, "--no-such-option")


def test_unknown_command_is_one_line(capsys):
    code, out, err = _run(["no-such-command"], capsys)
    _assert_clean_error(code, err, "no-such-command")


def test_every_documented_command_is_covered():
    """The suite above has a command-specific block for each registered subcommand."""
    covered = {"solve", "amp", "mc", "ste", "phase-diagram", "figures"}
    missing = set(COMMANDS) - covered
    # commands added later (phase, ground-state, sweep) are still exercised by the generic
    # model-option and unknown-option tests; list them so the gap is visible
    assert missing <= {"phase", "ground-state", "sweep"}, missing
