"""Checkpoint / resume: a killed sweep resumes without losing or repeating a line; bad
checkpoints are reported, never silently reused.

The reference for every comparison is the same sweep run uninterrupted in-process; the engine
is deterministic (each line is solved by the same sequence of operations wherever it runs),
so the resumed dataset must be *identical* to it.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest
import xarray as xr

import replicaquant.sweep as sw
from replicaquant.model import Model
from replicaquant.sweep import CheckpointError, CheckpointWarning, load_sweep, sweep

BASE = "Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)"
AXES = "dict(width=np.linspace(0.4, 2.4, 12), alpha=np.linspace(1.0, 3.0, 6))"
N_LINES = 12


def _definition():
    base = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    axes = dict(width=np.linspace(0.4, 2.4, 12), alpha=np.linspace(1.0, 3.0, 6))
    return base, axes


def _line_of(fixed) -> int:
    """Line index of a ``_solve_line`` call from its fixed parameters (width here)."""
    widths = np.linspace(0.4, 2.4, 12)
    return int(np.argmin(np.abs(widths - dict(fixed)["width"])))


@pytest.fixture
def reference():
    base, axes = _definition()
    return sweep(base, workers=1, progress=False, **axes)


def _counting(monkeypatch, fail_after=None):
    """Wrap ``_solve_line`` to record solved lines (and optionally crash after some lines)."""
    solved = []
    orig = sw._solve_line

    def wrapper(model, fixed, *args):
        if fail_after is not None and len(solved) >= fail_after:
            raise RuntimeError("simulated crash")
        res = orig(model, fixed, *args)
        solved.append(_line_of(fixed))
        return res

    monkeypatch.setattr(sw, "_solve_line", wrapper)
    return solved


def _committed_lines(parts) -> list[int]:
    doc = json.loads((parts / "manifest.json").read_text())
    return [line for c in doc["chunks"] for line in c["lines"]]


def test_killed_sweep_resumes_identically(tmp_path, reference, monkeypatch):
    out = tmp_path / "run.nc"
    parts = tmp_path / "run.nc.parts"
    log = tmp_path / "solved.log"
    code = textwrap.dedent(f"""
        import time
        import numpy as np
        import replicaquant.sweep as sw
        from replicaquant.model import Model
        orig = sw._solve_line
        def logged(model, fixed, *args):
            res = orig(model, fixed, *args)
            with open({str(log)!r}, "a") as fh:
                fh.write(repr(dict(fixed)["width"]) + "\\n")
            time.sleep(0.3)  # make the run long enough to be killed mid-way
            return res
        sw._solve_line = logged
        sw.sweep({BASE}, out={str(out)!r}, workers=1, progress=False, chunk_lines=1, **{AXES})
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline:
            if (parts / "manifest.json").exists() and len(_committed_lines(parts)) >= 4:
                break
            if proc.poll() is not None:
                pytest.fail(f"sweep subprocess ended early: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.01)
        else:
            pytest.fail("no checkpoint chunks appeared")
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert not out.exists()
    committed = _committed_lines(parts)
    run1 = [_line_of({"width": float(w)}) for w in log.read_text().split()]
    assert 4 <= len(committed) < N_LINES
    assert len(set(committed)) == len(committed)                     # no line committed twice
    assert set(committed) <= set(run1) and len(set(run1) - set(committed)) <= 1  # <= 1 in flight

    solved = _counting(monkeypatch)
    base, axes = _definition()
    ds = sweep(base, out=out, workers=1, progress=False, chunk_lines=1, **axes)
    # rerun solved exactly the lines that were not committed: none lost, none repeated
    assert sorted(solved) == sorted(set(range(N_LINES)) - set(committed))
    xr.testing.assert_identical(ds, reference)
    xr.testing.assert_identical(load_sweep(out), reference)
    assert not parts.exists()


def _partial_run(tmp_path, monkeypatch, n_lines_done=5):
    """Leave a checkpoint directory with ``n_lines_done`` committed lines (one per chunk)."""
    out = tmp_path / "part.nc"
    base, axes = _definition()
    solved = _counting(monkeypatch, fail_after=n_lines_done)
    with pytest.raises(RuntimeError, match="simulated crash"):
        sweep(base, out=out, workers=1, progress=False, chunk_lines=1, **axes)
    monkeypatch.undo()
    assert len(solved) == n_lines_done
    parts = out.with_name(out.name + ".parts")
    assert sorted(_committed_lines(parts)) == sorted(solved)
    return out, parts


def test_truncated_chunk_is_reported_and_recomputed(tmp_path, monkeypatch, reference):
    out, parts = _partial_run(tmp_path, monkeypatch)
    doc = json.loads((parts / "manifest.json").read_text())
    victim = doc["chunks"][2]
    path = parts / victim["file"]
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])   # truncate
    base, axes = _definition()
    solved = _counting(monkeypatch)
    with pytest.warns(CheckpointWarning, match=f"{victim['file']}.*truncated"):
        ds = sweep(base, out=out, workers=1, progress=False, chunk_lines=1, **axes)
    committed_ok = set(_line for c in doc["chunks"] if c is not victim for _line in c["lines"])
    assert sorted(solved) == sorted(set(range(N_LINES)) - committed_ok)   # victim recomputed
    xr.testing.assert_identical(ds, reference)


def test_corrupted_and_missing_chunks_are_reported(tmp_path, monkeypatch, reference):
    out, parts = _partial_run(tmp_path, monkeypatch)
    doc = json.loads((parts / "manifest.json").read_text())
    flip = parts / doc["chunks"][0]["file"]
    data = bytearray(flip.read_bytes())
    data[len(data) // 2] ^= 0xFF                                         # same size, bad checksum
    flip.write_bytes(bytes(data))
    (parts / doc["chunks"][1]["file"]).unlink()
    base, axes = _definition()
    with pytest.warns(CheckpointWarning) as rec:
        ds = sweep(base, out=out, workers=1, progress=False, chunk_lines=1, **axes)
    msgs = " ".join(str(w.message) for w in rec)
    assert "checksum" in msgs and "missing" in msgs
    xr.testing.assert_identical(ds, reference)


def test_checkpoint_of_another_sweep_is_refused(tmp_path, monkeypatch):
    out, parts = _partial_run(tmp_path, monkeypatch, n_lines_done=2)
    base, axes = _definition()
    before = sorted(p.name for p in parts.iterdir())
    with pytest.raises(CheckpointError, match="different sweep"):
        sweep(base.replace(lam=2e-3), out=out, workers=1, progress=False, **axes)
    with pytest.raises(CheckpointError, match="different sweep"):
        sweep(base, out=out, workers=1, progress=False, bidirectional=False, **axes)
    assert sorted(p.name for p in parts.iterdir()) == before            # nothing touched
    (parts / "manifest.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable"):
        sweep(base, out=out, workers=1, progress=False, **axes)
