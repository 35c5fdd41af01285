"""Sweep files are untrusted input; paths, options and grid sizes are checked before any work.

* Checkpoint manifests: only plain ``chunk_NNNNNN.npz`` children of ``<out>.parts/`` are ever
  opened or renamed; path traversal, absolute paths, symlinks, nulls, missing fields and wrong
  types are a ``CheckpointError`` (CLI: exit 2) and nothing outside ``.parts/`` is touched.
* ``load_sweep`` of a missing / foreign / garbage / truncated file: one clear ``ValueError``.
* ``out`` validated before computing; solver options type-checked; too-large grids refused.
"""
from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
import xarray as xr

import replicaquant.sweep as sw
from replicaquant.cli import main
from replicaquant.errors import ResourceError
from replicaquant.model import Model
from replicaquant.sweep import CheckpointError, estimate_memory, load_sweep, sweep

AXES = dict(width=np.linspace(0.5, 2.0, 4), alpha=np.linspace(1.0, 2.0, 3))


def _base():
    return Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)


def _partial(tmp_path, monkeypatch, n_done=2):
    """A checkpoint directory with ``n_done`` committed lines (one chunk each)."""
    out = tmp_path / "run" / "part.nc"
    out.parent.mkdir()
    orig, solved = sw._solve_line, []

    def crashing(*args):
        if len(solved) >= n_done:
            raise RuntimeError("simulated crash")
        solved.append(1)
        return orig(*args)

    monkeypatch.setattr(sw, "_solve_line", crashing)
    with pytest.raises(RuntimeError, match="simulated crash"):
        sweep(_base(), out=out, workers=1, progress=False, chunk_lines=1, **AXES)
    monkeypatch.undo()
    parts = out.with_name(out.name + ".parts")
    return out, parts, json.loads((parts / "manifest.json").read_text())


def _snapshot(root):
    """``{path: (bytes, mtime_ns)}`` of every file under ``root`` (symlinks not followed)."""
    snap = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            st = os.lstat(p)
            snap[p] = (open(p, "rb").read() if not os.path.islink(p) else os.readlink(p), st.st_mtime_ns)
    return snap


def _tamper(parts, doc, mutate):
    doc = json.loads(json.dumps(doc))
    mutate(doc)
    (parts / "manifest.json").write_text(json.dumps(doc))


TAMPERINGS = {
    "traversal": lambda d, v: d["chunks"][0].update(file="../../victim.nc"),
    "traversal_chunk_like": lambda d, v: d["chunks"][0].update(file="../chunk_000000.npz"),
    "absolute": lambda d, v: d["chunks"][0].update(file=str(v)),
    "null_chunk": lambda d, v: d["chunks"].__setitem__(0, None),
    "missing_file": lambda d, v: d["chunks"][0].pop("file"),
    "file_not_str": lambda d, v: d["chunks"][0].update(file=7),
    "lines_not_list": lambda d, v: d["chunks"][0].update(lines="0"),
    "line_out_of_range": lambda d, v: d["chunks"][0].update(lines=[10 ** 6]),
    "bytes_is_str": lambda d, v: d["chunks"][0].update(bytes="12"),
    "id_is_bool": lambda d, v: d["chunks"][0].update(id=True),
    "chunks_not_list": lambda d, v: d.update(chunks={"a": 1}),
    "manifest_not_object": lambda d, v: (d.clear(), d.update(x=[1])),
    "duplicate_lines": lambda d, v: d["chunks"].append(dict(d["chunks"][0], id=99,
                                                            file="chunk_000099.npz")),
}


@pytest.mark.parametrize("case", list(TAMPERINGS))
def test_tampered_manifest_is_a_checkpoint_error_and_touches_nothing_outside(tmp_path, monkeypatch, case):
    out, parts, doc = _partial(tmp_path, monkeypatch)
    victim = tmp_path / "victim.nc"
    victim.write_bytes(b"precious data")
    (tmp_path / "chunk_000000.npz").write_bytes(b"also precious")
    _tamper(parts, doc, lambda d: TAMPERINGS[case](d, victim))
    outside = {p: v for p, v in _snapshot(tmp_path).items() if ".parts" not in p}
    with pytest.raises(CheckpointError):
        sweep(_base(), out=out, workers=1, progress=False, chunk_lines=1, **AXES)
    assert {p: v for p, v in _snapshot(tmp_path).items() if ".parts" not in p} == outside
    assert not out.exists()


def test_symlinks_out_of_the_parts_directory_are_refused(tmp_path, monkeypatch):
    out, parts, doc = _partial(tmp_path, monkeypatch)
    victim = tmp_path / "victim.nc"
    victim.write_bytes(b"precious data")
    # a chunk that is a symlink to a file outside (manifest pointing at it, size and hash of it)
    first = parts / doc["chunks"][0]["file"]
    first.unlink()
    first.symlink_to(victim)
    outside = {p: v for p, v in _snapshot(tmp_path).items() if ".parts" not in p}
    with pytest.raises(CheckpointError, match="symbolic link"):
        sweep(_base(), out=out, workers=1, progress=False, chunk_lines=1, **AXES)
    assert {p: v for p, v in _snapshot(tmp_path).items() if ".parts" not in p} == outside
    assert first.is_symlink()  # not renamed to .corrupt either
    # the parts directory itself a symlink to a directory elsewhere: refused, nothing written there
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out2 = tmp_path / "run" / "second.nc"
    out2.with_name("second.nc.parts").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(CheckpointError, match="symbolic link"):
        sweep(_base(), out=out2, workers=1, progress=False, **AXES)
    assert list(elsewhere.iterdir()) == []


def test_cli_tampered_manifest_exits_2(tmp_path, monkeypatch, capsys):
    out = tmp_path / "pd.nc"
    argv = ["phase-diagram", "--width", "0.5:1.5:3", "--alpha", "1:2:3", "--beta", "5",
            "--workers", "1", "--no-progress", "--chunk-lines", "1", "--out", str(out)]
    orig, solved = sw._solve_line, []

    def crashing(*args):
        if solved:
            raise RuntimeError("simulated crash")
        solved.append(1)
        return orig(*args)

    monkeypatch.setattr(sw, "_solve_line", crashing)
    with pytest.raises(RuntimeError):
        main(argv)
    monkeypatch.undo()
    parts = tmp_path / "pd.nc.parts"
    doc = json.loads((parts / "manifest.json").read_text())
    doc["chunks"][0]["file"] = "../pd.nc"
    (parts / "manifest.json").write_text(json.dumps(doc))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("replicaquant: error:") and "\n" not in err and "manifest" in err


def test_load_sweep_refuses_foreign_garbage_truncated_and_missing_files(tmp_path):
    good = tmp_path / "good.nc"
    ds = sweep(_base(), out=good, workers=1, progress=False, width=[1.0, 2.0])
    assert ds.attrs["replicaquant_format"] == "replicaquant.sweep" and ds.attrs["format_version"] == 1
    xr.testing.assert_identical(load_sweep(good), ds)
    foreign = tmp_path / "foreign.nc"
    xr.Dataset({"m": ("x", [1.0, 2.0])}).to_netcdf(foreign, engine="scipy")
    garbage = tmp_path / "garbage.nc"
    garbage.write_bytes(os.urandom(4096))
    newer = tmp_path / "newer.nc"
    ds.assign_attrs(format_version=99).to_netcdf(newer, engine="scipy")
    cases = {foreign: "not a replicaquant sweep", garbage: "not a readable netCDF3",
             tmp_path / "missing.nc": "no such file", tmp_path: "directory", newer: "version 99"}
    data = good.read_bytes()
    for k, frac in enumerate((0.9, 0.5, 0.1)):
        trunc = tmp_path / f"trunc{k}.nc"
        trunc.write_bytes(data[: int(len(data) * frac)])
        cases[trunc] = "truncated"
    for path, match in cases.items():
        with pytest.raises(ValueError, match=match):
            load_sweep(path)
    with pytest.raises(ValueError, match="path"):
        load_sweep(3.5)


@pytest.mark.parametrize("out, match", [
    ("", "non-empty"), ("   ", "non-empty"), (3, "file path"), ("/proc/x.nc", "cannot write"),
    ("DIR", "is a directory"), ("nodir/x.nc", "does not exist"),
])
def test_output_path_is_validated_before_computing(tmp_path, monkeypatch, out, match):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "DIR").mkdir()
    calls = []
    monkeypatch.setattr(sw, "_solve_line", lambda *a: calls.append(a))
    with pytest.raises(ValueError, match=match):
        sweep(_base(), out=out, workers=1, progress=False, width=[1.0, 2.0])
    assert calls == []  # nothing was computed


def test_read_only_directory_is_refused_before_computing(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as a user that can write into read-only directories (root)")
        with pytest.raises(ValueError, match="cannot write"):
            sweep(_base(), out=ro / "x.nc", workers=1, progress=False, width=[1.0, 2.0])
    finally:
        ro.chmod(0o700)


@pytest.mark.parametrize("kw, match", [
    ({"max_iter": -1}, "max_iter"), ({"max_iter": 2.5}, "max_iter"), ({"max_iter": True}, "max_iter"),
    ({"tol": float("inf")}, "tol"), ({"tol": 0.0}, "tol"), ({"tol": "1e-9"}, "tol"),
    ({"mixing": 1.5}, "mixing"), ({"anderson": -1}, "anderson"), ({"anderson": 1.5}, "anderson"),
    ({"fallback": "yes"}, "fallback"),
])
def test_solver_kwargs_are_checked_naming_the_option(kw, match):
    with pytest.raises(ValueError, match=match):
        sweep(_base(), workers=1, progress=False, solver_kwargs=kw, width=[1.0, 2.0])


def test_too_large_grids_are_refused_instantly_naming_the_axis():
    t0 = time.perf_counter()
    with pytest.raises(ResourceError, match=r"alpha: 100000000 values .* GiB.*budget"):
        sweep(_base(), workers=1, progress=False, width=[1.0, 2.0], alpha=range(1, 10 ** 8 + 1))
    assert time.perf_counter() - t0 < 5.0  # no allocation, no model built (generous bound)
    # the budget is overridable and the estimate is the documented formula
    est = estimate_memory({"width": 2, "alpha": 3}, bidirectional=True, workers=1)
    assert est == 6 * len(sw._var_names(True)) * 32 + 3 * 4096
    with pytest.raises(ResourceError, match="width"):
        sweep(_base(), workers=1, progress=False, max_memory=1000, width=[1.0, 2.0])
    with pytest.raises(ValueError, match="max_memory"):
        sweep(_base(), workers=1, progress=False, max_memory="lots", width=[1.0, 2.0])


def test_cli_refuses_a_huge_range_before_allocating(capsys):
    t0 = time.perf_counter()
    assert main(["phase-diagram", "--alpha", "1:2:100000000", "--beta", "5", "--width", "1", "2",
                 "--workers", "1", "--no-progress"]) == 2
    assert time.perf_counter() - t0 < 5.0
    err = capsys.readouterr().err
    assert "--alpha" in err and "GiB" in err and "\n" == err[-1] and err.count("\n") == 1
