"""``replicaquant solve``: table and JSON output equal ``solve_rs``; bad input exits 2."""
from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from replicaquant.cli import main
from replicaquant.model import Model
from replicaquant.quantizers import Quantizer, UniformQuantizer
from replicaquant.rs import RSSolution, solve_rs
from replicaquant.teachers import DiscreteTeacher

NUMERIC = RSSolution.FIELDS  # m q Q chi mhat qhat Ahat free_energy gen_error ... at
ARGS = ["solve", "--bits", "2", "--width", "1.5", "--alpha", "2", "--beta", "5", "--lam", "1e-3",
        "--noise-var", "0.1"]


def _reference(**changes):
    model = Model(UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    return solve_rs(model.replace(**changes) if changes else model)


def _run_main(argv, capsys):
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _parse_table(text: str) -> dict:
    """``name = value`` lines of the table -> dict of floats."""
    vals = {}
    for line in text.splitlines():
        mt = re.match(r"\s*(\w+)\s*=\s*(\S+)", line)
        if mt and mt.group(1) in NUMERIC:
            vals[mt.group(1)] = float(mt.group(2))
    return vals


def test_table_output_contains_solve_rs_numbers(capsys):
    code, out, err = _run_main(ARGS, capsys)
    assert code == 0 and err == ""
    ref = _reference()
    table = _parse_table(out)
    assert set(table) == set(NUMERIC)
    for k in NUMERIC:  # printed with 10 significant digits
        assert table[k] == pytest.approx(getattr(ref, k), rel=1e-9, abs=1e-300), k
    assert "converged" in out and "True" in out
    assert "RS locally stable" in out  # at = 0.46 < 1 at this reference point (local stability only)


def test_json_output_equals_solve_rs(capsys):
    code, out, err = _run_main(ARGS + ["--json"], capsys)
    assert code == 0
    d = json.loads(out)
    ref = _reference().as_dict()
    for k in NUMERIC:
        assert d[k] == pytest.approx(ref[k], rel=1e-15, abs=0), k  # JSON floats round-trip
    assert d["converged"] is True and d["rs_stable"] == ref["rs_stable"]
    assert d["iterations"] == ref["iterations"]
    np.testing.assert_array_equal(d["levels"], [-1.5, -0.5, 0.5, 1.5])


def test_json_beta_inf_levels_and_teacher(capsys):
    """beta = inf ('inf' on the command line), explicit levels, teacher uniform on the levels;
    at = inf is written as null with the flag "at_is_inf": true (strict JSON has no infinity)."""
    argv = ["solve", "--levels", "-1", "-0.2", "0.3", "1", "--alpha", "1.5", "--beta", "inf",
            "--teacher", "levels", "--noise-var", "0.05", "--json"]
    code, out, _ = _run_main(argv, capsys)
    assert code == 0
    d = json.loads(out)
    quant = Quantizer([-1, -0.2, 0.3, 1])
    ref = solve_rs(Model(quant, alpha=1.5, beta=math.inf, noise_var=0.05,
                         teacher=DiscreteTeacher.from_quantizer(quant)))
    assert d["at"] is None and d["at_is_inf"] is True and d["rs_stable"] is False
    for k in ("m", "q", "Q", "chi", "free_energy", "gen_error"):
        assert d[k] == pytest.approx(getattr(ref, k), rel=1e-15), k


BAD_INPUTS = [
    (["--bits", "0"], "bits"),
    (["--bits", "1.5"], "bits"),            # argparse: not an integer
    (["--width", "-1"], "width"),
    (["--width", "0"], "width"),
    (["--width", "nan"], "width"),
    (["--levels", "1", "0"], "levels"),
    (["--levels", "0", "0"], "levels"),
    (["--levels", "0", "nan"], "levels"),
    (["--alpha", "0"], "alpha"),
    (["--alpha", "nan"], "alpha"),
    (["--beta", "-1"], "beta"),
    (["--beta", "0"], "beta"),
    (["--beta", "nan"], "beta"),
    (["--lam", "-1"], "lam"),
    (["--lam", "nan"], "lam"),
    (["--noise-var", "-1"], "noise_var"),
    (["--noise-var", "nan"], "noise_var"),
    (["--rho", "nan"], "rho"),
    (["--gamma", "nan", "--quantizer", "power"], "gamma"),
    (["--alpha", "abc"], "alpha"),          # argparse: not a number
]


def _argv_with(extra):
    """The good command line with the options in ``extra`` overriding."""
    argv = list(ARGS)
    keys = [e for e in extra if e.startswith("--")]
    for key in keys:
        if key in argv:
            i = argv.index(key)
            del argv[i:i + 2]
    return argv + extra


@pytest.mark.parametrize("extra, name", BAD_INPUTS, ids=[" ".join(e) for e, _ in BAD_INPUTS])
def test_bad_input_exits_2_with_one_line(extra, name, capsys):
    code, out, err = _run_main(_argv_with(extra), capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("replicaquant: error:")
    assert name.replace("_", "") in lines[0].replace("_", "").replace("-", "")
    assert "Traceback" not in err and out == ""


def _subprocess(argv):
    return subprocess.run([sys.executable, "-m", "replicaquant.cli", *argv], capture_output=True,
                          text=True, timeout=120)


def test_subprocess_table_and_json():
    """Through a real process (the installed module entry point)."""
    ref = _reference()
    proc = _subprocess(ARGS)
    assert proc.returncode == 0, proc.stderr
    table = _parse_table(proc.stdout)
    for k in NUMERIC:
        assert table[k] == pytest.approx(getattr(ref, k), rel=1e-9), k
    proc = _subprocess(ARGS + ["--json"])
    assert proc.returncode == 0
    d = json.loads(proc.stdout)
    for k in NUMERIC:
        assert d[k] == pytest.approx(getattr(ref, k), rel=1e-15), k


@pytest.mark.parametrize("extra, name", [(["--alpha", "nan"], "alpha"), (["--levels", "1", "0"], "levels"),
                                          (["--bits", "0"], "bits")])
def test_subprocess_bad_input(extra, name):
    proc = _subprocess(_argv_with(extra))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
