"""Paper figures: one module per figure, discovered automatically.

Every public module ``replicaquant.figures.<name>`` (name not starting with ``_``) has a module
docstring (its first line is the one-line description) and exposes::

    NAME = "<name>"
    compute(quick=False) -> dict                  # every number the figure draws
    claims(data) -> list[tuple[str, bool]]        # what the caption says, checked on the data
    make(out_dir, quick=False) -> list[pathlib.Path]

``make`` writes ``<name>.png``, the caption ``<name>.txt`` and the data ``<name>.json`` into
``out_dir`` (see :func:`replicaquant.figures._common.write_figure`: the figure, the caption and
the claims are computed from exactly what the JSON holds, and the caption lists each claim with
whether it holds).  ``quick=True`` uses coarse grids (the README's main command); a quick caption
says what the quick size cannot show.  :func:`check_claims` re-evaluates the claims from a JSON
file; ``tests/test_figure_claims.py`` asserts them for every figure.

>>> from replicaquant.figures import available_figures, make_figures
>>> available_figures()                                   # doctest: +SKIP
>>> make_figures("paper_figures", quick=True)             # doctest: +SKIP
"""
from __future__ import annotations

import contextlib
import importlib
import pathlib
import pkgutil
import time
from typing import Callable, Iterable

__all__ = ["FigureError", "available_figures", "describe", "load", "make_figures", "write_index",
           "check_claims", "load_data"]


class FigureError(RuntimeError):
    """One or more figure modules failed; ``.errors`` maps name -> exception, ``.paths`` the files made."""

    def __init__(self, message: str, errors: dict, paths: list):
        super().__init__(message)
        self.errors = errors
        self.paths = paths


def available_figures() -> list[str]:
    """Names of the figure modules in this package (sorted; private ``_*`` modules excluded)."""
    return sorted(m.name for m in pkgutil.iter_modules(__path__)
                  if not m.name.startswith("_") and not m.ispkg)


def load(name: str):
    """Import figure module ``name`` and check its contract (docstring, ``make``)."""
    if name not in available_figures():
        raise ValueError(f"names: unknown figure {name!r}; available: {', '.join(available_figures())}")
    mod = importlib.import_module(f"{__name__}.{name}")
    if not callable(getattr(mod, "make", None)):
        raise TypeError(f"figure module {name!r} has no make(out_dir, quick=False)")
    if not (mod.__doc__ or "").strip():
        raise TypeError(f"figure module {name!r} has no docstring")
    return mod


def describe(name: str) -> str:
    """First line of the module docstring of figure ``name`` (imports the module)."""
    return load(name).__doc__.strip().splitlines()[0]


def load_data(path) -> dict:
    """The JSON document ``<name>.json`` written next to a figure (``inf`` values restored)."""
    from ._common import load_figure_json

    return load_figure_json(path)


def check_claims(name: str, path) -> list[tuple[str, bool]]:
    """Re-evaluate the claims of figure ``name`` on the data stored in ``path`` (its JSON)."""
    mod = load(name)
    if not callable(getattr(mod, "claims", None)):
        raise TypeError(f"figure module {name!r} has no claims(data)")
    return [(str(d), bool(ok)) for d, ok in mod.claims(load_data(path)["data"])]


def make_figures(out_dir="paper_figures", quick: bool = False, names: Iterable[str] | None = None,
                 *, log: Callable[[str], None] | None = None,
                 keep_going: bool = True) -> list[pathlib.Path]:
    """Run ``make(out_dir, quick)`` of the selected figure modules (all by default).

    Parameters
    ----------
    out_dir : path
        Output directory (created).
    quick : bool
        Coarse grids.
    names : iterable of str, optional
        Subset of :func:`available_figures` (unknown names raise ``ValueError``).
    log : callable, optional
        Called with one progress line per figure (name, time, files).
    keep_going : bool
        If a figure fails, continue with the others and raise :class:`FigureError` at the end
        (``False``: re-raise immediately).

    Returns
    -------
    list of pathlib.Path
        Every file written.
    """
    avail = available_figures()
    if names is None:
        selected = avail
    else:
        selected = list(dict.fromkeys(names))
        unknown = [n for n in selected if n not in avail]
        if unknown:
            raise ValueError(f"names: unknown figure(s) {', '.join(map(repr, unknown))}; "
                             f"available: {', '.join(avail)}")
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: list[pathlib.Path] = []
    errors: dict[str, BaseException] = {}
    for name in selected:
        t0 = time.perf_counter()
        try:
            made = [pathlib.Path(p) for p in load(name).make(out, quick=quick)]
        except Exception as exc:  # noqa: BLE001 - reported below
            if not keep_going:
                raise
            errors[name] = exc
            if log:
                log(f"{name}: FAILED after {time.perf_counter() - t0:.1f} s: "
                    f"{type(exc).__name__}: {exc}")
            continue
        paths.extend(made)
        if log:
            note = ""
            js = out / f"{name}.json"
            if js in made:
                with contextlib.suppress(Exception):
                    cl = load_data(js).get("claims") or []
                    bad = [d for d, ok in cl if not ok]
                    note = f"; claims {len(cl) - len(bad)}/{len(cl)} hold" + (
                        f" (FAILS: {'; '.join(bad)})" if bad else "")
            log(f"{name}: {time.perf_counter() - t0:.1f} s -> {', '.join(p.name for p in made)}{note}")
    paths.append(write_index(out))
    if errors:
        raise FigureError(f"{len(errors)} figure(s) failed: " + "; ".join(
            f"{n} ({type(e).__name__}: {e})" for n, e in errors.items()), errors, paths)
    return paths


def write_index(out_dir="paper_figures") -> pathlib.Path:
    """Write ``out_dir/README.md``: every ``<name>.png`` present with its caption ``<name>.txt``.

    Called by :func:`make_figures`; lists what is in the directory (also figures made earlier).
    """
    from ..plotting import write_text_atomic

    out = pathlib.Path(out_dir)
    lines = ["# Paper figures", "",
             "Generated by `replicaquant figures` (full settings) or `replicaquant figures --quick` "
             "(coarse grids).  Each figure `<name>.png` has its caption in `<name>.txt` and every "
             "number it draws in `<name>.json`; the caption ends with the claims it makes, each "
             "checked on that data (`tests/test_figure_claims.py` asserts them).  The code is "
             "`replicaquant/figures/<name>.py` (`compute`, `claims`, `make`).  Regenerate one with "
             "`replicaquant figures --only <name>`.", ""]
    for png in sorted(out.glob("*.png")):
        name = png.stem
        txt = out / f"{name}.txt"
        caption = txt.read_text(encoding="utf-8").strip() if txt.exists() else "(no caption)"
        lines += [f"## {name}", "", f"![{name}]({png.name})", "", caption, ""]
    return write_text_atomic(out / "README.md", "\n".join(lines))
