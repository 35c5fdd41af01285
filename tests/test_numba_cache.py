"""Numba's on-disk cache never lands inside the installed package.

A cache file in ``site-packages/replicaquant/__pycache__`` is not in the wheel's RECORD, so it
survives ``pip uninstall`` and the leftover folder shadows a later editable install (the README's
two commands in the printed order used to break the install that way).  Each check runs in a fresh
interpreter, because the cache directory is chosen once, when ``replicaquant`` is imported.
The README path itself (both orders, fresh virtual environments) is `.ci/readme_path`.
"""
from __future__ import annotations

import json
import os
import pathlib
import shutil
import stat
import subprocess
import sys

import replicaquant
from replicaquant import _numba_cache

PKG = pathlib.Path(replicaquant.__file__).resolve().parent

# prints where the cache goes and where every cached dispatcher of the package will write
PROBE = r"""
import importlib, json, pkgutil, sys
import numba.core.config as config
import replicaquant as rq
for name in ("rs", "rsb", "amp", "montecarlo", "quadrature", "kernels", "ste.simulate", "ste.limit"):
    importlib.import_module("replicaquant." + name)
paths = {}
for modname, mod in list(sys.modules.items()):
    if modname.startswith("replicaquant"):
        for attr, obj in vars(mod).items():
            cache = getattr(obj, "_cache", None)
            if cache is not None and hasattr(cache, "_cache_path"):
                paths[modname + "." + attr] = cache._cache_path
print(json.dumps({"rq": rq.NUMBA_CACHE_DIR, "numba": config.CACHE_DIR, "paths": paths,
                  "pkg": rq.__file__}))
"""


def _env(**overrides):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "XDG_CACHE_HOME", "PYTHONPATH")}
    env.update({k: str(v) for k, v in overrides.items() if v is not None})
    return env


def _run(code, env, cwd):
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=240)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_default_cache_dir_is_per_user_and_every_dispatcher_uses_it(tmp_path):
    xdg = tmp_path / "xdg"
    info = json.loads(_run(PROBE, _env(XDG_CACHE_HOME=xdg), cwd=tmp_path).splitlines()[-1])
    expected = str(xdg / "replicaquant" / "numba" / ("src-" + _numba_cache.source_salt()))
    assert info["rq"] == info["numba"] == expected
    # the package has dozens of cache=True kernels; all must write under the chosen directory
    assert len(info["paths"]) >= 20, sorted(info["paths"])
    for name, path in info["paths"].items():
        assert path.startswith(expected + os.sep), (name, path)
        assert not path.startswith(str(PKG)), (name, path)


def test_user_numba_cache_dir_is_honoured(tmp_path):
    mine = tmp_path / "my-numba-cache"
    info = json.loads(_run(PROBE, _env(NUMBA_CACHE_DIR=mine, XDG_CACHE_HOME=tmp_path / "x"),
                           cwd=tmp_path).splitlines()[-1])
    assert info["rq"] == info["numba"] == str(mine)
    assert all(p.startswith(str(mine)) for p in info["paths"].values())


def test_read_only_package_and_unwritable_home_fall_back_to_tmp(tmp_path):
    # a copy of the package in a read-only tree, HOME a regular file (so no ~/.cache can be made,
    # even for root, whom permission bits do not stop), no XDG_CACHE_HOME: the cache must go to
    # <TMPDIR>/replicaquant-<user>/numba, a compiled kernel must work, and nothing may be written
    # into the package tree
    site = tmp_path / "site"
    shutil.copytree(PKG, site / "replicaquant",
                    ignore=shutil.ignore_patterns("__pycache__", "*.nbi", "*.nbc", "*.pyc"))
    for p in [site, *site.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = (
        "import json, numpy as np, replicaquant as rq\n"
        "from replicaquant.kernels import argmax_level\n"
        "k = int(argmax_level(np.array([-1.5, -0.5, 0.5, 1.5]), 1.0, 0.6))\n"
        "print(json.dumps({'dir': rq.NUMBA_CACHE_DIR, 'k': k, 'file': rq.__file__}))\n")
    env = _env(HOME=home, TMPDIR=tmpdir, PYTHONPATH=site, PYTHONDONTWRITEBYTECODE=1)
    try:
        info = json.loads(_run(code, env, cwd=elsewhere).splitlines()[-1])
    finally:
        for p in [site, *site.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)
    assert pathlib.Path(info["file"]).resolve().parent == site / "replicaquant"
    # b c - a c^2/2 is maximised by the level nearest b/a = 0.6, i.e. 0.5 (index 2)
    assert info["k"] == 2
    cache = pathlib.Path(info["dir"])
    assert cache.name == "src-" + _numba_cache.source_salt(site / "replicaquant")
    assert cache.parent.parent.parent == tmpdir
    assert cache.parent.parent.name.startswith("replicaquant-")
    assert list(cache.rglob("kernels.argmax_level-*.nbi")), sorted(cache.rglob("*"))
    written = [p for p in site.rglob("*") if p.suffix in (".nbi", ".nbc", ".pyc")]
    assert not written, written


def test_salt_changes_with_any_compiled_module_and_old_caches_are_pruned(tmp_path):
    # Numba validates a cached function against its own file only; a kernel inlined from another
    # module would survive an edit of that module.  The cache folder is therefore named after a
    # hash of every Numba-using module: editing one gives a fresh folder.
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "kern.py").write_text("from numba import njit\n@njit(cache=True)\ndef f(x):\n    return x\n")
    (pkg / "sub" / "user.py").write_text("from ..kern import f\nfrom numba import njit\n")
    (pkg / "plain.py").write_text("X = 1\n")
    s0 = _numba_cache.source_salt(pkg)
    (pkg / "plain.py").write_text("X = 2\n")           # no Numba: same compiled code
    assert _numba_cache.source_salt(pkg) == s0
    (pkg / "kern.py").write_text("from numba import njit\n@njit(cache=True)\ndef f(x):\n    return 2 * x\n")
    s1 = _numba_cache.source_salt(pkg)
    assert s1 != s0 and len(s1) == 12
    base = tmp_path / "cache"
    old, recent, other = base / f"src-{s0}", base / "src-recent", base / "not-ours"
    for p in (old, recent, other):
        p.mkdir(parents=True)
    os.utime(old, (1.0, 1.0))                          # unused since 1970
    os.utime(other, (1.0, 1.0))
    _numba_cache._prune(str(base), keep=f"src-{s1}")
    assert not old.exists() and recent.exists() and other.exists()
