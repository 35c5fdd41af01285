"""Where Numba's on-disk cache of replicaquant's compiled kernels lives.

Every ``@njit(cache=True)`` function writes its compiled code to disk so that the next process
starts in well under a second instead of recompiling for a minute.  Numba's default location is
the ``__pycache__`` folder next to the source file.  For an installed package that is
``site-packages/replicaquant/__pycache__``: files there are not listed in the wheel's RECORD,
so ``pip uninstall`` (and the uninstall step of a later ``pip install -e .``) leaves the folder
behind, where it then shadows an editable install as an empty namespace package.

So replicaquant never caches inside the package.  :func:`configure` runs in
``replicaquant/__init__.py`` before any submodule (hence before any decoration) and chooses:

1. ``NUMBA_CACHE_DIR`` if the user set it (Numba reads it itself; nothing is changed), or a
   ``numba.config.CACHE_DIR`` set programmatically before importing replicaquant;
2. otherwise the per-user cache directory ``$XDG_CACHE_HOME/replicaquant/numba`` (default
   ``~/.cache/replicaquant/numba``; ``~/Library/Caches/replicaquant/numba`` on macOS,
   ``%LOCALAPPDATA%\\replicaquant\\numba`` on Windows);
3. if that cannot be created or written (read-only or missing home), a per-user folder in the
   system temporary directory, ``<tmp>/replicaquant-<user>/numba``;
4. if nothing is writable, Numba's own default (nothing is set).

Below the chosen base directory the cache lives in a subfolder named after a hash of the
package's compiled sources (every module that uses Numba).  Numba checks each cached function
against its own source file only; a kernel inlined from another module (``kernels.py`` into
``rs.py``, say) would otherwise survive an edit or an upgrade of that module and silently give
the old numbers.  Subfolders not used for 30 days are removed.  (A user-set ``NUMBA_CACHE_DIR``
is used as it is.)

The choice is made by setting ``numba.config.CACHE_DIR`` in this process; Numba keeps one cache
directory per process, so other ``cache=True`` functions compiled in the same process after
importing replicaquant are cached there as well (set ``NUMBA_CACHE_DIR`` to choose the place
yourself).  Inside the directory Numba separates source trees by a hash of their path, so an
editable checkout and a regular install never read each other's entries.
"""
from __future__ import annotations

import getpass
import hashlib
import os
import pathlib
import shutil
import sys
import tempfile
import time

__all__ = ["configure", "default_cache_dirs", "source_salt", "writable_dir"]

_PKG = pathlib.Path(__file__).resolve().parent
_MAX_AGE_DAYS = 30


def default_cache_dirs(environ=None) -> list[str]:
    """Candidate cache directories in order of preference (see the module docstring)."""
    env = os.environ if environ is None else environ
    candidates = []
    if sys.platform == "win32":
        base = env.get("LOCALAPPDATA")
        if base:
            candidates.append(os.path.join(base, "replicaquant", "numba"))
    else:
        base = env.get("XDG_CACHE_HOME")
        if base and os.path.isabs(base):
            candidates.append(os.path.join(base, "replicaquant", "numba"))
        home = env.get("HOME") or os.path.expanduser("~")
        if home and home != "~":
            sub = ("Library", "Caches") if sys.platform == "darwin" else (".cache",)
            candidates.append(os.path.join(home, *sub, "replicaquant", "numba"))
    try:
        user = getpass.getuser()
    except Exception:  # no user name (containers without a passwd entry)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    candidates.append(os.path.join(tempfile.gettempdir(), f"replicaquant-{user}", "numba"))
    return candidates


def writable_dir(path: str) -> bool:
    """Create ``path`` if needed and check that a file can be written in it."""
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return False
    return True


def source_salt(package_dir=_PKG) -> str:
    """Hash (12 hex digits) of every module of the package that uses Numba, by relative path."""
    h = hashlib.sha1()
    for path in sorted(pathlib.Path(package_dir).rglob("*.py")):
        try:
            data = path.read_bytes()
        except OSError:
            continue
        if b"numba" in data or b"njit" in data:
            h.update(path.relative_to(package_dir).as_posix().encode() + b"\0" + data + b"\0")
    return h.hexdigest()[:12]


def _prune(base: str, keep: str) -> None:
    """Best effort: remove subfolders of ``base`` other than ``keep`` unused for 30 days."""
    cutoff = time.time() - _MAX_AGE_DAYS * 86400
    try:
        entries = list(os.scandir(base))
    except OSError:
        return
    for entry in entries:
        try:
            if (entry.name != keep and entry.name.startswith("src-") and entry.is_dir()
                    and entry.stat().st_mtime < cutoff):
                shutil.rmtree(entry.path, ignore_errors=True)
        except OSError:
            pass


def configure() -> str | None:
    """Point ``numba.config.CACHE_DIR`` outside the package; return the directory in use.

    Returns the user's own choice unchanged when ``NUMBA_CACHE_DIR`` (or
    ``numba.config.CACHE_DIR``) is already set, ``<first writable candidate of
    default_cache_dirs()>/src-<source_salt()>`` otherwise, and ``None`` if none is writable
    (Numba's default then applies).
    """
    from numba.core import config

    if os.environ.get("NUMBA_CACHE_DIR") or config.CACHE_DIR:
        return config.CACHE_DIR or os.environ["NUMBA_CACHE_DIR"]
    salt = "src-" + source_salt()
    for base in default_cache_dirs():
        path = os.path.join(base, salt)
        if writable_dir(path):
            config.CACHE_DIR = path
            _prune(base, keep=salt)
            return path
    return None
