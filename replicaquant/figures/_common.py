"""Shared settings and the output protocol of the paper figures (private: not a figure module).

Figure protocol (every module ``replicaquant.figures.<name>``)
--------------------------------------------------------------
``NAME``
    the file stem (``<NAME>.png``, ``<NAME>.txt``, ``<NAME>.json``).
``compute(quick=False) -> dict``
    all the numbers the figure draws (plain dicts/lists/arrays; dict keys become strings).
``claims(data) -> list[tuple[str, bool]]``
    every statement the caption makes about the data, as ``(description, holds)``, evaluated
    on ``data`` **as read back from the JSON** (string keys, lists, ``inf`` restored).
``make(out_dir, quick=False) -> list[Path]``
    usually ``return write_figure(out_dir, NAME, compute(quick), draw=..., caption=...,
    claims=claims, quick=quick)``.
``EXPENSIVE`` (optional, default False)
    True when even the quick run takes more than ~15 s: the default test suite then checks the
    claims on the committed ``paper_figures/<NAME>.json`` and a ``slow`` test runs it quick.

:func:`write_figure` round-trips ``data`` through strict JSON first, so the PNG, the caption and
the claims are all computed from exactly what ``<NAME>.json`` holds; the caption ends with the
list of claims and whether each holds on these data; the JSON is
``{"figure", "quick", "data", "claims": [[description, holds], ...]}``.
``tests/test_figure_claims.py`` asserts every claim of every registered figure.
"""
from __future__ import annotations

import json
import pathlib

import numpy as np

from ..model import Model
from ..rs import RSSolution

#: the reference point of the physics assertions and of most figures
REF = dict(alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
REF_TEXT = "alpha = 2, beta = 5, lam = 1e-3, noise_var = 0.1, Gaussian teacher rho = 1"


def ref_model(bits: int = 2, width: float = 1.5, **changes) -> Model:
    """Uniform-level model at the reference point (``changes`` override it)."""
    return Model.uniform(bits, width, **{**REF, **changes})


def field(sols: list[RSSolution], name: str) -> np.ndarray:
    """``name`` of each solution as an array (non-converged points become NaN, for plotting only)."""
    return np.array([float(getattr(s, name)) if s.converged else np.nan for s in sols])


def fmt(x: float, digits: int = 3) -> str:
    """Compact number for captions."""
    return f"{x:.{digits}g}"


def roundtrip(data):
    """``data`` as the figure's JSON stores it (strict JSON and back: string keys, lists, inf kept)."""
    from ..commands._common import dump_json, from_jsonable

    return from_jsonable(json.loads(dump_json(data, indent=None)))


def arr(x) -> np.ndarray:
    """A JSON list as a float array (``None`` -> NaN)."""
    return np.array([np.nan if v is None else v for v in np.ravel(np.asarray(x, dtype=object))],
                    dtype=float).reshape(np.shape(np.asarray(x, dtype=object)))


def claims_text(claims) -> str:
    """The caption's closing block: every claim and whether it holds on the drawn data."""
    lines = [f"Checked on the data drawn ({sum(ok for _, ok in claims)}/{len(claims)} hold):"]
    lines += [f"  [{'ok' if ok else 'FAILS'}] {desc}" for desc, ok in claims]
    return "\n".join(lines)


def write_figure(out_dir, name: str, data: dict, *, draw, caption, claims, quick: bool,
                 extra_files=None) -> list[pathlib.Path]:
    """Round-trip ``data`` through JSON, draw it, write ``name``.png/.txt/.json atomically.

    ``draw(data) -> Figure``, ``caption(data) -> str``, ``claims(data) -> [(str, bool)]`` all
    receive the round-tripped data.  Returns the paths written.
    """
    from ..commands._common import dump_json
    from ..plotting import save_figure, write_text_atomic

    data = roundtrip(data)
    fig = draw(data)
    cl = [(str(d), bool(ok)) for d, ok in claims(data)]
    text = caption(data).rstrip() + "\n" + claims_text(cl)
    paths = save_figure(fig, out_dir, name, text)
    doc = {"figure": name, "quick": bool(quick), "data": data, "claims": [[d, ok] for d, ok in cl]}
    paths.append(write_text_atomic(pathlib.Path(out_dir) / f"{name}.json", dump_json(doc, indent=1)))
    return paths


def load_figure_json(path) -> dict:
    """Read ``<name>.json`` written by :func:`write_figure` (``inf`` restored)."""
    from ..commands._common import from_jsonable

    return from_jsonable(json.loads(pathlib.Path(path).read_text(encoding="utf-8")))
