"""Parameter sweeps of the RS saddle point: continuation, both directions, checkpoints, parallel.

:func:`sweep` solves the replica-symmetric saddle point (:func:`replicaquant.rs.solve_rs`) on the
Cartesian product of parameter axes and returns an :class:`xarray.Dataset`.

* **Continuation.**  The *last* axis given is the continuation axis.  Every combination of the
  other axes is a *line*, solved sequentially along the continuation axis with
  :func:`replicaquant.continuation.follow` (the package's one continuation primitive): point
  ``i`` is warm-started from the quadratic/secant predictor of ``x = (m, q, chi)`` in the axis
  coordinate (``predictor="quadratic"``; the previous solution on non-real axes).  The first
  point of a pass is solved with ``solve_rs(init="multi")`` (uninformed and informed starts,
  lowest free energy).  A warm start that does not converge is retried cold (``init=None``),
  then with ``init="multi"``; the method used is recorded per point (``method_fwd``/
  ``method_bwd``, codes in :data:`METHOD_CODES`).
* **Both directions.**  With ``bidirectional=True`` each line is also continued backwards (from
  a multi start at its last point; :func:`replicaquant.continuation.hysteresis`).  Where the
  passes end on different fixed points (coexisting branches, hysteresis around a first-order
  transition; "different" is :func:`replicaquant.continuation.same_branch`) the main variables
  hold the branch of *lower free energy* ``f`` (the thermodynamic one; the same rule as
  ``solve_rs(init="multi")``); both passes are kept as ``<field>_fwd`` / ``<field>_bwd``,
  ``selected`` says which one is in the main variables (0 forward, 1 backward) and
  ``n_branches`` counts the distinct converged fixed points met at the point (forward, backward
  and the extra branches of multi-start solves).  *Certified reuse:* while the backward pass
  sits on the forward solution at point ``i + 1`` and the forward step ``i -> i + 1`` was a
  smooth continuation step (prediction error at most 1/10 of the step), continuing backwards
  would retrace that step, so the forward solution at ``i`` is taken without a solve (method
  code ``REUSED``).  A change of branch in the forward pass is never smooth, so the backward
  pass solves every point from there on until it is back on the forward solution.
  ``bidirectional="full"`` solves every backward point (for checking; the tests compare both).
* **Checkpoints.**  With ``out=...`` finished lines are written in chunks to ``<out>.parts/``
  (atomic writes, a JSON manifest with the sweep's definition hash and a SHA-256 per chunk).  A
  rerun of the same sweep loads the finished chunks and solves only the missing lines.  A
  manifest of a *different* sweep, or an unreadable manifest, raises :class:`CheckpointError`
  (nothing is overwritten); a missing, truncated or corrupt chunk emits a
  :class:`CheckpointWarning`, is renamed ``*.corrupt`` and its lines are recomputed.  The final
  dataset is written atomically (temporary file in the same directory, ``fsync``,
  ``os.replace``) as netCDF (scipy engine: netCDF3 64-bit offset, always available), after which
  the parts directory is removed.
* **Parallel.**  Lines are the unit of work.  ``workers=None`` uses a local process pool with
  every core, ``workers=1`` runs in-process; ``scheduler="tcp://host:port"`` or a
  ``distributed.Client`` submits the same lines to a Dask cluster (optional dependency
  ``replicaquant[distributed]``).  Results do not depend on how the lines were distributed.
"""
from __future__ import annotations

import dataclasses
import hashlib
import inspect
import io
import json
import math
import os
import re
import shutil
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._io import atomic_path, atomic_write_bytes
from ._validation import check_int
from .axes import AXES, INT_AXES, OBJECT_AXES, REAL_AXES, with_params
from .continuation import (JUMP_RATIO, SAME_BRANCH_ATOL, SAME_BRANCH_RTOL, follow, hysteresis,
                           same_branch)
from .errors import CheckpointError, CheckpointWarning, ResourceError
from .model import Model
from .quantizers import BaseQuantizer
from ._validation import MAX_SQUARE
from .levels import LevelMeasure
from .linewalk import N_FIELDS, walk_pass
from .rs import _PATIENCE, RSSolution, _new_solution, feasible, solve_rs
from .teachers import DiscreteTeacher, GaussianTeacher

__all__ = ["sweep", "CheckpointError", "CheckpointWarning", "METHOD_CODES", "SWEEP_AXES",
           "SCHEDULER_TIMEOUT", "check_size", "estimate_memory", "memory_budget",
           "load_sweep"]

#: Parameters that may be swept (``sweep(model, <name>=values)``): the names of the one axis
#: registry :data:`replicaquant.axes.AXES` (meanings there and in docs/sweeps.md).
SWEEP_AXES = tuple(AXES)
FLOAT_AXES = REAL_AXES

#: How a point was obtained (``method_fwd`` / ``method_bwd``).
MULTI_START, WARM, COLD_RETRY, MULTI_RETRY, REUSED = 0, 1, 2, 3, 4
METHOD_CODES = {
    MULTI_START: "multi start (first point of a pass, or restart after a point where every attempt failed)",
    WARM: "warm start from the neighbouring point (continuation predictor)",
    COLD_RETRY: "cold retry (init=None) after the warm start did not converge",
    MULTI_RETRY: "multi-start retry (init='multi') after warm and cold starts did not converge",
    REUSED: "backward pass: forward solution reused (backward pass on the forward solution at the "
            "previous point and the forward step between the two points was a smooth continuation step)",
}

_SOLVER_KEYS = ("mixing", "tol", "max_iter", "anderson", "fallback")
_FORMAT = 1


# ---------------------------------------------------------------------------------------------
# axes


@dataclass(frozen=True)
class _Axis:
    name: str
    values: tuple          # what is passed to Model.replace
    coord: np.ndarray      # the dataset coordinate (float, int or repr strings)
    numeric: bool          # continuation predictor allowed (real-valued parameter)

    def __len__(self) -> int:
        return len(self.values)


def _point_model(model: Model, changes: dict) -> Model:
    """The model of one grid point: :func:`replicaquant.axes.with_params` (``ValueError`` naming
    the parameter for misfits)."""
    return with_params(model, changes)


def _make_axis(name: str, values) -> _Axis:
    if name not in AXES:
        raise ValueError(f"unknown sweep axis {name!r}; allowed: {', '.join(SWEEP_AXES)}")
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise ValueError(f"{name}: sweep axis must be a 1-D sequence of values, got {values!r}")
    vals = list(values.tolist() if isinstance(values, np.ndarray) else values)
    if len(vals) == 0:
        raise ValueError(f"{name}: sweep axis must not be empty")
    if name in OBJECT_AXES:
        kind = BaseQuantizer if name == "quantizer" else (GaussianTeacher, DiscreteTeacher)
        for v in vals:
            if not isinstance(v, kind):
                raise ValueError(f"{name}: expected {name} objects, got {type(v).__name__}")
        reprs = [repr(v) for v in vals]
        if len(set(reprs)) != len(reprs):
            raise ValueError(f"{name}: the values must have distinct reprs (they label the coordinate)")
        return _Axis(name, tuple(vals), np.array(reprs), False)
    if name in INT_AXES:
        ints = tuple(check_int(name, v) for v in vals)
        return _Axis(name, ints, np.array(ints, dtype=np.int32), False)
    try:
        arr = np.asarray(vals, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: sweep axis must contain real numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: sweep axis must be one-dimensional, got shape {arr.shape}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not be NaN")
    return _Axis(name, tuple(float(v) for v in arr), arr, True)


def _describe(obj):
    """Exact, JSON-able description of a model/quantizer/teacher/value (for hashing and attrs)."""
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return repr(float(obj))  # round-trip exact, 'inf' allowed
    if isinstance(obj, str):
        return obj
    if isinstance(obj, (tuple, list, np.ndarray)):
        return [_describe(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _describe(v) for k, v in obj.items()}
    if dataclasses.is_dataclass(obj):
        d = {"type": type(obj).__name__}
        d.update({f.name: _describe(getattr(obj, f.name)) for f in dataclasses.fields(obj)})
        return d
    return repr(obj)


def _package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("replicaquant")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        from . import __version__

        return __version__


# ---------------------------------------------------------------------------------------------
# one line (the unit of work; runs in worker processes)

#: ``Step.attempt`` of :func:`replicaquant.continuation.follow` -> method code
_ATTEMPT_CODES = {"init": MULTI_START, "predicted": WARM, "reused": REUSED}
_FALLBACK_CODES = (COLD_RETRY, MULTI_RETRY)
_FALLBACKS = (None, "multi")   # cold start, then multi-start (as solve_rs_retrying)


def _method(step) -> int:
    if step.attempt == "fallback":
        return _FALLBACK_CODES[step.fallback]
    return _ATTEMPT_CODES[step.attempt]


def _x(sol: RSSolution) -> tuple:
    """The continuation state ``(m, q, chi)`` (a tuple of floats: cheapest for the walk)."""
    return (sol.m, sol.q, sol.chi)


def _line_walk(models, coords, bidirectional, kw):
    """Forward (and backward) continuation of one line with :mod:`replicaquant.continuation`.

    Returns ``{"fwd": [Step], "bwd": [Step]}`` aligned with ``models``.
    """
    kw = dict(kw, warn=False, strict=False)

    def solve(mdl, init):
        return solve_rs(mdl, init=init, **kw)

    # a multi start already includes the cold start: no retries after it (init_fallbacks=())
    opts = dict(init="multi", state=_x, predictor="quadratic", fallbacks=_FALLBACKS,
                init_fallbacks=(), coords=coords, feasible=lambda x, mdl: feasible(x, mdl.rho))
    if not bidirectional:
        return {"fwd": list(follow(models, solve, **opts).steps)}
    h = hysteresis(models, solve, reuse=bidirectional != "full", **opts)
    fwd, bwd = h.aligned()
    return {"fwd": fwd, "bwd": bwd}


def _same_point(a: RSSolution, b: RSSolution) -> bool:
    """Same fixed point (:func:`replicaquant.continuation.same_branch` on ``(m, q, chi)``)."""
    return same_branch(_x(a), _x(b))


def _count_branches(sols) -> int:
    distinct: list = []
    for s in sols:
        for c in (s,) + tuple(s.branches):
            if c.converged and not any(_same_point(c, d) for d in distinct):
                distinct.append(c)
    return len(distinct)


_PASS_VARS = RSSolution.FIELDS + ("rs_stable", "converged", "iterations", "residual", "method")
_STATUS_FIELDS = RSSolution.FIELDS + ("rs_stable", "converged", "iterations", "residual")
_MAIN_VARS = RSSolution.FIELDS + ("rs_stable", "converged", "iterations", "residual")
_DTYPES = {"rs_stable": np.int8, "converged": np.int8, "iterations": np.int32, "method": np.int8,
           "n_branches": np.int8, "selected": np.int8}


def _var_names(bidirectional, phase_vars=()) -> list[str]:
    names = list(_MAIN_VARS) + ["n_branches", "selected"]
    for p in ("fwd", "bwd") if bidirectional else ("fwd",):
        names += [f"{v}_{p}" for v in _PASS_VARS]
    return names + list(phase_vars)


def _dtype(name: str):
    if name.startswith("phase"):
        return np.int8 if name in _PHASE_INT else np.float64
    base = name.rsplit("_", 1)[0] if name.endswith(("_fwd", "_bwd")) else name
    return _DTYPES.get(base, np.float64)


# optional phase fields (sweep(..., phase=True)): replicaquant.phase.phase_fields per point;
# its string fields are stored as int8 codes (attribute "codes" of the variable)
_PHASE_INT = ("phase", "phase_transition", "phase_converged", "phase_n_branches")


def _phase_codes() -> dict:
    from .phase import LABELS

    return {"phase": tuple(LABELS), "phase_transition": ("none", "continuous", "discontinuous")}


def _phase_point(model: Model, phase_kw: dict) -> dict:
    """``phase_fields(model, **phase_kw)`` with the string fields encoded as codes."""
    return _phase_encoded(_phase_dicts([model], phase_kw)[0])


def _phase_dicts(models, phase_kw: dict) -> list:
    """Phase fields along a line: ``replicaquant.phase.phase_line`` (each point continued from
    its predecessor unless ``phase_kw["warm"]`` is false), flattened by ``report_fields``."""
    from .phase import phase_line, report_fields

    return [report_fields(rep) for rep in phase_line(models, **phase_kw)]


def _phase_encoded(d: dict) -> dict:
    d = dict(d)
    for key, codes in _phase_codes().items():
        if key in d:
            d[key] = codes.index(d[key]) if d[key] in codes else -1
    return d


def _phase_line(models, phase_kw: dict, names) -> dict:
    out = {name: np.zeros(len(models), dtype=_dtype(name)) for name in names}
    for i, raw in enumerate(_phase_dicts(models, phase_kw)):
        d = _phase_encoded(raw)
        if set(d) != set(names):
            raise RuntimeError(f"phase_fields returned keys {sorted(d)}, expected {sorted(names)}")
        for k in names:
            out[k][i] = d[k]
    return out


_MODEL_ONLY_AXES = ("alpha", "beta", "lam", "noise_var", "T")


def _select(cands) -> tuple:
    """``(selected pass, n_branches)`` at one point from the passes' solutions ``cands``: the
    converged one of lower free energy where two converged passes differ, else the first
    converged one, else the smallest residual."""
    conv = [k for k, c in enumerate(cands) if c.converged]
    if len(conv) == 2 and not _same_point(cands[0], cands[1]):
        sel = min(conv, key=lambda k: (cands[k].free_energy, k))
    elif conv:
        sel = conv[0]
    else:
        sel = min(range(len(cands)), key=lambda k: (cands[k].residual, k))
    return sel, _count_branches(cands)


def _main_variables(out: dict, names, sel, n_br) -> None:
    """The main variables (the selected pass per point), ``selected`` and ``n_branches``."""
    idx = np.arange(len(sel))
    for v in _MAIN_VARS:
        out[v] = np.stack([out[f"{v}_{p}"] for p in names])[sel, idx]
    out["selected"] = sel
    out["n_branches"] = n_br


def _solve_line(model: Model, fixed: tuple, cont_name: str, cont_values: tuple, numeric: bool,
                bidirectional, solver_kwargs: dict, phase=None) -> dict:
    """Solve one line of the sweep (both passes); returns ``{variable: 1-D array}``.

    ``phase``: ``None`` or ``(phase_kwargs, phase_var_names)`` to add the phase fields."""
    fixed = dict(fixed)
    if phase is None and numeric and len(cont_values) >= 2 and COMPILED_LINES:
        out = _compiled_line(model, fixed, cont_name, cont_values, bidirectional, solver_kwargs)
        if out is not None:
            return out
    if cont_name not in _MODEL_ONLY_AXES or not fixed:
        models = [_point_model(model, {**fixed, cont_name: v}) for v in cont_values]
    else:  # the fixed axes once, then a model field that interacts with no other axis
        line_model = _point_model(model, fixed)
        models = [_point_model(line_model, {cont_name: v}) for v in cont_values]
    coords = [float(v) for v in cont_values] if numeric else [None] * len(cont_values)
    n = len(models)
    walks = _line_walk(models, coords, bidirectional, solver_kwargs)
    passes = {p: [st.solution for st in steps] for p, steps in walks.items()}
    out = {}
    for p, sols in passes.items():
        for v in _STATUS_FIELDS:
            out[f"{v}_{p}"] = np.array([getattr(sol, v) for sol in sols], dtype=_dtype(v))
        methods = np.array([_method(st) for st in walks[p]], dtype=np.int8)
        out[f"method_{p}"] = methods
        out[f"iterations_{p}"][methods == REUSED] = 0  # no solve was done for these in this pass
    names = tuple(passes)
    sel = np.zeros(n, dtype=np.int8)
    n_br = np.zeros(n, dtype=np.int8)
    for i in range(n):
        cands = [passes[p][i] for p in names]
        sel[i], n_br[i] = _select(cands)
    _main_variables(out, names, sel, n_br)
    if phase is not None:
        out.update(_phase_line(models, phase[0], phase[1]))
    return out


#: walk lines with the compiled walker (:mod:`replicaquant.linewalk`) where it applies; the
#: Python walk (``continuation.follow``) takes over a line wherever anything unusual happens.
#: ``False`` forces the Python walk everywhere (same results; for tests and timing).
COMPILED_LINES = True
#: the compiled walker carries the Anderson history from point to point (fewer iterations per
#: warm start; the fixed points are the same, the iterates differ at the tolerance level)
CARRY_HISTORY = True
#: highest order of the polynomial extrapolation that starts the compiled walker's solves
#: (through the last ``START_ORDER + 1`` points of the pass, the order cut adaptively where
#: the Newton series stops converging: :func:`replicaquant.linewalk._poly_extrapolate`;
#: ``follow``'s quadratic prediction still judges the steps); 2 = start from that prediction
START_ORDER = 6

#: continuation axes that are plain model fields: the models of a line differ only in that
#: number, so the compiled walker needs no per-point model objects
_SCALAR_FIELDS = ("alpha", "beta", "lam", "noise_var")
#: the options of solve_rs the compiled walker needs, at solve_rs's defaults unless given
_SOLVE_DEFAULTS = {k: inspect.signature(solve_rs).parameters[k].default for k in _SOLVER_KEYS}
#: follow's branch-jump threshold (the sweep uses follow's default)
_JUMP_RATIO = JUMP_RATIO


#: Anderson depth of the compiled walker's solves when the history is carried (at most the
#: ``anderson`` option): a carried history of 3 pairs spans the 3-dimensional state, and fresher
#: pairs (the shallower history is renewed faster) describe the new point's Jacobian better
CARRY_DEPTH = 3


def _walk_depth(anderson: int) -> int:
    return min(anderson, CARRY_DEPTH) if CARRY_HISTORY else anderson


def _line_arrays(model: Model, fixed: dict, cont_name: str, cont_values: tuple):
    """Per-point arrays of a line for :func:`replicaquant.linewalk.walk_pass`, and a function
    ``model_at(k)`` giving the model of point ``k`` (built only when needed); ``None`` when the
    points' level sets or teachers differ in size (the Python walk handles those lines)."""
    n = len(cont_values)
    if cont_name in _SCALAR_FIELDS:
        line_model = _point_model(model, fixed) if fixed else model
        lm = LevelMeasure.from_model(line_model)
        vals = np.array([float(v) for v in cont_values])
        cols = {k: np.full(n, float(getattr(line_model, k))) for k in _SCALAR_FIELDS}
        cols[cont_name] = vals
        rho = float(line_model.rho)
        # Model's own scale checks (Model._check_scales: the same products): on any excess the
        # Python walk builds the models one by one, which raises the model's error
        c2 = float(np.max(line_model.levels ** 2))
        a, be, la, nv = cols["alpha"], cols["beta"], cols["lam"], cols["noise_var"]
        with np.errstate(all="ignore"):
            bc2 = be * c2
            ok = ((la * c2 <= MAX_SQUARE) & (a * (rho + c2 + nv) <= MAX_SQUARE)
                  & (a * a * rho <= MAX_SQUARE)
                  & (~np.isfinite(be) | (a * bc2 * bc2 <= MAX_SQUARE)))
        if not ok.all():
            return None
        measures = [lm] * n

        cache = {}

        def model_at(k):
            if k not in cache:
                cache[k] = _point_model(line_model, {cont_name: cont_values[k]})
            return cache[k]
    else:
        models = [_point_model(model, {**fixed, cont_name: v}) for v in cont_values]
        measures = [LevelMeasure.from_model(m) for m in models]
        cols = {k: np.array([float(getattr(m, k)) for m in models]) for k in _SCALAR_FIELDS}
        rho = None
        cols_rho = np.array([float(m.rho) for m in models])

        def model_at(k):
            return models[k]
    if len({m.levels.size for m in measures}) != 1 or len({m.t_values.size for m in measures}) != 1:
        return None
    arrays = dict(levels=np.ascontiguousarray(np.stack([m.levels for m in measures])),
                  tv=np.ascontiguousarray(np.stack([m.t_values for m in measures])),
                  tp=np.ascontiguousarray(np.stack([m.t_probs for m in measures])),
                  grho=np.array([float(m.gauss_rho) for m in measures]),
                  rho=np.full(n, rho) if rho is not None else cols_rho, **cols)
    return arrays, model_at


def _pass_arrays(n: int) -> dict:
    return dict(fields=np.full((n, N_FIELDS), np.nan), iterations=np.zeros(n, dtype=np.int64),
                residual=np.zeros(n), smooth=np.zeros(n, dtype=np.bool_),
                state=np.zeros((n, 3)), reused=np.zeros(n, dtype=np.bool_))


def _put_solution(pa: dict, k: int, sol: RSSolution) -> None:
    pa["fields"][k] = [getattr(sol, f) for f in RSSolution.FIELDS]
    pa["iterations"][k] = sol.iterations
    pa["residual"][k] = sol.residual
    pa["state"][k] = _x(sol)


def _compiled_line(model: Model, fixed: dict, cont_name: str, cont_values: tuple, bidirectional,
                   solver_kwargs: dict):
    """:func:`_solve_line` with the compiled walker (:mod:`replicaquant.linewalk`), or ``None``
    when the line needs the Python walk (then nothing of this attempt is kept).

    The first point of each pass is the multi start of the Python walk (``solve_rs(init=
    "multi")``, here too); the rest of the pass is one compiled call.  Returns the same
    variables, with the same values, as the Python walk.
    """
    la = _line_arrays(model, fixed, cont_name, cont_values)
    if la is None:
        return None
    arr, model_at = la
    n = len(cont_values)
    kw = {**_SOLVE_DEFAULTS, **solver_kwargs}
    patience = _PATIENCE if kw["fallback"] else -1
    coords = np.array([float(v) for v in cont_values])
    passes = ("fwd", "bwd") if bidirectional else ("fwd",)
    ends = {"fwd": 0, "bwd": n - 1}
    orders = {"fwd": np.arange(n), "bwd": np.arange(n)[::-1].copy()}
    res, first = {}, {}
    for p in passes:
        k0 = ends[p]
        sol0 = solve_rs(model_at(k0), init="multi", warn=False, strict=False, **kw)
        if not sol0.converged:
            return None
        pa = _pass_arrays(n)
        _put_solution(pa, k0, sol0)
        reuse = p == "bwd" and bidirectional != "full"
        f = res.get("fwd", pa)
        done = walk_pass(orders[p], coords, arr["levels"], arr["tv"], arr["tp"], arr["grho"],
                         arr["alpha"], arr["rho"], arr["noise_var"], arr["lam"], arr["beta"],
                         float(kw["mixing"]), float(kw["tol"]), int(kw["max_iter"]),
                         _walk_depth(int(kw["anderson"])), int(kw["anderson"]), patience,
                         _JUMP_RATIO, CARRY_HISTORY,
                         START_ORDER, reuse, f["smooth"], f["state"], f["fields"], pa["fields"],
                         pa["iterations"], pa["residual"], pa["smooth"], pa["state"], pa["reused"])
        if done < n:
            return None
        if reuse:
            pa["residual"][pa["reused"]] = res["fwd"]["residual"][pa["reused"]]
        res[p], first[p] = pa, sol0
    out = {}
    for p in passes:
        pa = res[p]
        f = pa["fields"]
        for j, name in enumerate(RSSolution.FIELDS):  # (all float64, as _dtype says)
            out[f"{name}_{p}"] = f[:, j].copy()
        out[f"rs_stable_{p}"] = (f[:, 11] < 1.0).astype(_DTYPES["rs_stable"])
        out[f"converged_{p}"] = np.ones(n, dtype=_DTYPES["converged"])
        out[f"iterations_{p}"] = pa["iterations"].astype(_DTYPES["iterations"])
        out[f"residual_{p}"] = pa["residual"].astype(np.float64)
        methods = np.full(n, WARM, dtype=np.int8)
        methods[pa["reused"]] = REUSED
        methods[ends[p]] = MULTI_START
        out[f"method_{p}"] = methods
    sel = np.zeros(n, dtype=np.int8)
    n_br = np.ones(n, dtype=np.int8)
    names = passes
    if len(names) == 2:  # interior points: two plain solutions, one or two branches
        differ = ~_same_branch_rows(res["fwd"]["state"], res["bwd"]["state"])
        n_br[differ] = 2
        fe_f, fe_b = res["fwd"]["fields"][:, 7], res["bwd"]["fields"][:, 7]
        sel[differ & (fe_b < fe_f)] = 1   # lower free energy; a tie keeps the forward pass
    for i in sorted({ends[p] for p in names}):
        # a multi-start point (its solution may carry further branches): as in _solve_line
        cands = [first[p] if ends[p] == i else _solution_at(model_at(i), res[p], i)
                 for p in names]
        sel[i], n_br[i] = _select(cands)
    _main_variables(out, names, sel, n_br)
    return out


def _same_branch_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`replicaquant.continuation.same_branch` row by row on two ``(n, 3)`` state arrays
    (the same sums in the same order, elementwise)."""
    d = (np.abs(a[:, 0] - b[:, 0]) + np.abs(a[:, 1] - b[:, 1])) + np.abs(a[:, 2] - b[:, 2])
    sa = (np.abs(a[:, 0]) + np.abs(a[:, 1])) + np.abs(a[:, 2])
    sb = (np.abs(b[:, 0]) + np.abs(b[:, 1])) + np.abs(b[:, 2])
    with np.errstate(invalid="ignore"):
        close = d <= SAME_BRANCH_ATOL + SAME_BRANCH_RTOL * np.maximum(np.maximum(1.0, sa), sb)
    finite = np.isfinite(sa) & np.isfinite(sb)
    return np.where(finite, close, (a == b).all(axis=1))


def _solution_at(model: Model, pa: dict, i: int) -> RSSolution:
    """The :class:`RSSolution` of point ``i`` of a compiled pass (converged, no branches)."""
    return _new_solution(model, pa["fields"][i], True, int(pa["iterations"][i]),
                         float(pa["residual"][i]), "converged")


# ---------------------------------------------------------------------------------------------
# files: atomic writes, checkpoints


def _write_netcdf_atomic(ds, path: Path) -> None:
    """``ds.to_netcdf`` (scipy engine) into a temp file in the same dir, fsync, ``os.replace``."""
    with atomic_path(path) as tmp:
        ds.to_netcdf(tmp, engine="scipy")


_CHUNK_NAME = re.compile(r"chunk_[0-9]{6,}\.npz")
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _plain_child(name: str) -> bool:
    """A plain file name: no separators, not ``.``/``..``, not absolute, no NUL."""
    return (isinstance(name, str) and name not in ("", ".", "..") and "\x00" not in name
            and "/" not in name and "\\" not in name and os.sep not in name
            and (os.altsep is None or os.altsep not in name) and not os.path.isabs(name))


class _Checkpoint:
    """Chunked checkpoint store ``<out>.parts/``: ``manifest.json`` + ``chunk_NNNNNN.npz``."""

    def __init__(self, out: Path, definition: dict, def_hash: str, n_lines: int, line_len: int,
                 var_names: list[str]):
        self.dir = out.with_name(out.name + ".parts")
        self.manifest_path = self.dir / "manifest.json"
        self.definition = definition
        self.hash = def_hash
        self.n_lines = n_lines
        self.line_len = line_len
        self.var_names = var_names
        self.chunks: list[dict] = []
        self.next_id = 0

    def _write_manifest(self) -> None:
        doc = {"format": _FORMAT, "definition_hash": self.hash, "n_lines": self.n_lines,
               "line_length": self.line_len, "definition": self.definition, "chunks": self.chunks}
        atomic_write_bytes(self.manifest_path, json.dumps(doc, indent=1).encode())

    def load(self) -> dict:
        """Validate the directory and return ``{line: {var: array}}`` of the finished lines.

        The manifest is untrusted input: :meth:`_entries` checks every field and only plain
        child file names of the parts directory are ever opened or renamed.
        """
        if self.dir.is_symlink():
            raise CheckpointError(f"{self.dir} is a symbolic link; checkpoints are only kept in a "
                                  "real directory -- delete it or choose another out")
        if not self.dir.exists():
            self.dir.mkdir()
            self._write_manifest()
            return {}
        if not self.dir.is_dir():
            raise CheckpointError(f"{self.dir} exists and is not a directory -- delete it or choose "
                                  "another out")
        for tmp in self.dir.glob(".*.tmp"):  # left by a killed run mid-write (unlink: the link only)
            if _plain_child(tmp.name) and (tmp.is_symlink() or tmp.is_file()):
                tmp.unlink()
        if self.manifest_path.is_symlink():
            raise CheckpointError(f"{self.manifest_path} is a symbolic link; delete {self.dir} to "
                                  "start the sweep afresh")
        if not self.manifest_path.exists():
            if any(self.dir.iterdir()):
                raise CheckpointError(f"{self.dir} exists but has no manifest.json; it is not a "
                                      "checkpoint of this sweep -- delete it or choose another out")
            self._write_manifest()
            return {}
        try:
            doc = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise CheckpointError(f"{self.manifest_path} is unreadable ({exc}); delete {self.dir} "
                                  "to start the sweep afresh") from None
        stored_hash, chunks = self._header(doc)
        if stored_hash != self.hash:
            raise CheckpointError(
                f"{self.dir} holds checkpoints of a different sweep (definition hash "
                f"{stored_hash[:12]}..., this sweep {self.hash[:12]}...: model, axes, solver "
                "options or package version differ); delete it or choose another out")
        done: dict = {}
        good = []
        ids = [int(p.stem.split("_")[1]) for p in self.dir.glob("chunk_*.npz")
               if _CHUNK_NAME.fullmatch(p.name)]
        self.next_id = max(ids + [-1] + [c["id"] for c in chunks]) + 1
        for entry in chunks:
            path = self.dir / entry["file"]
            if path.is_symlink():
                raise CheckpointError(f"checkpoint chunk {path} is a symbolic link (manifest "
                                      f"tampered?); delete {self.dir} to start the sweep afresh")
            try:
                data = path.read_bytes()
            except OSError:
                warnings.warn(f"checkpoint chunk {path} is missing; recomputing its "
                              f"{len(entry['lines'])} lines", CheckpointWarning, stacklevel=3)
                continue
            reason = None
            if len(data) != entry["bytes"]:
                reason = f"size {len(data)} bytes, manifest says {entry['bytes']} (truncated?)"
            elif hashlib.sha256(data).hexdigest() != entry["sha256"]:
                reason = "SHA-256 checksum mismatch"
            else:
                try:
                    arrays = self._parse(data, entry["lines"])
                except Exception as exc:  # noqa: BLE001 - any garbage in a chunk is "unreadable"
                    reason = f"unreadable ({type(exc).__name__}: {exc})"
            if reason is not None:
                bad = path.with_name(path.name + ".corrupt")
                os.replace(path, bad)
                warnings.warn(f"checkpoint chunk {path} is corrupt: {reason}; moved to {bad.name} "
                              f"and recomputing its {len(entry['lines'])} lines",
                              CheckpointWarning, stacklevel=3)
                continue
            good.append(entry)
            done.update(arrays)
        if len(good) != len(chunks):
            self.chunks = good
            self._write_manifest()
        else:
            self.chunks = chunks
        return done

    def _header(self, doc) -> tuple[str, list]:
        """``(definition_hash, chunks)`` of a manifest after checking every field's type and
        range; anything malformed is a :class:`CheckpointError` naming the field."""
        def bad(what):
            return CheckpointError(f"{self.manifest_path} is malformed: {what}; delete {self.dir} "
                                   "to start the sweep afresh")

        if not isinstance(doc, dict):
            raise bad(f"expected a JSON object, got {type(doc).__name__}")
        stored_hash = doc.get("definition_hash")
        if not isinstance(stored_hash, str):
            raise bad("'definition_hash' missing or not a string")
        if stored_hash != self.hash:
            return stored_hash, []
        chunks = doc.get("chunks")
        if not isinstance(chunks, list):
            raise bad("'chunks' missing or not a list")
        seen_files, seen_lines, seen_ids = set(), set(), set()
        for k, entry in enumerate(chunks):
            where = f"chunks[{k}]"
            if not isinstance(entry, dict):
                raise bad(f"{where} is {'null' if entry is None else type(entry).__name__}, "
                          "not an object")
            for key, kind in (("id", int), ("file", str), ("lines", list), ("bytes", int),
                              ("sha256", str)):
                if key not in entry:
                    raise bad(f"{where} has no '{key}'")
                v = entry[key]
                if not isinstance(v, kind) or isinstance(v, bool):
                    raise bad(f"{where}['{key}'] must be a {kind.__name__}, got {type(v).__name__}")
            name = entry["file"]
            if not _plain_child(name) or not _CHUNK_NAME.fullmatch(name):
                raise bad(f"{where}['file'] = {name!r} is not a plain chunk file name "
                          "(chunk_NNNNNN.npz inside the parts directory)")
            if entry["id"] < 0 or entry["id"] in seen_ids:
                raise bad(f"{where}['id'] = {entry['id']} is negative or repeated")
            if entry["bytes"] < 0 or not _SHA256.fullmatch(entry["sha256"]):
                raise bad(f"{where} has a negative size or a malformed sha256")
            lines = entry["lines"]
            if not lines or not all(isinstance(v, int) and not isinstance(v, bool)
                                    and 0 <= v < self.n_lines for v in lines):
                raise bad(f"{where}['lines'] must be line indices in [0, {self.n_lines})")
            if name in seen_files or seen_lines.intersection(lines) or len(set(lines)) != len(lines):
                raise bad(f"{where} repeats a file or lines of another chunk")
            seen_files.add(name)
            seen_lines.update(lines)
            seen_ids.add(entry["id"])
        return stored_hash, chunks

    def _parse(self, data: bytes, lines) -> dict:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            idx = npz["lines"]
            if list(idx) != list(lines):
                raise ValueError("line indices differ from the manifest")
            arrays = {v: npz[v] for v in self.var_names}
        for v, a in arrays.items():
            if a.shape != (len(lines), self.line_len):
                raise ValueError(f"variable {v} has shape {a.shape}")
        return {int(l): {v: arrays[v][k] for v in self.var_names} for k, l in enumerate(idx)}

    def write_chunk(self, results: dict) -> None:
        """Write finished lines ``{line: {var: array}}`` as one chunk, then the manifest."""
        lines = sorted(results)
        buf = io.BytesIO()
        np.savez(buf, lines=np.array(lines, dtype=np.int64),
                 **{v: np.stack([results[l][v] for l in lines]) for v in self.var_names})
        data = buf.getvalue()
        name = f"chunk_{self.next_id:06d}.npz"
        atomic_write_bytes(self.dir / name, data)
        self.chunks.append({"id": self.next_id, "file": name, "lines": lines, "bytes": len(data),
                            "sha256": hashlib.sha256(data).hexdigest()})
        self.next_id += 1
        self._write_manifest()

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# execution back-ends


#: seconds to wait for a Dask scheduler given by address before giving up with one clear error
SCHEDULER_TIMEOUT = 5.0


def _dask_client(scheduler):
    try:
        import distributed
    except ImportError:
        raise ImportError("scheduler= needs Dask distributed, which is not installed; install it "
                          "with `pip install 'replicaquant[distributed]'`") from None
    if isinstance(scheduler, distributed.Client):
        return scheduler, False
    if isinstance(scheduler, str):
        try:
            return distributed.Client(scheduler, timeout=SCHEDULER_TIMEOUT), True
        except (OSError, TimeoutError, ValueError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ValueError(f"scheduler: cannot connect to Dask scheduler {scheduler!r} within "
                             f"{SCHEDULER_TIMEOUT:g} s ({reason[:200]})") from None
    raise ValueError(f"scheduler must be an address string ('tcp://host:port') or a "
                     f"distributed.Client, got {type(scheduler).__name__}")


_PR_SET_PDEATHSIG = 1       # linux/prctl.h
_WATCHDOG_INTERVAL = 0.5    # seconds between parent checks in pool workers


def _worker_init(parent_pid: int) -> None:
    """Pool-worker initializer: never outlive the parent process.

    On Linux the kernel is asked to SIGKILL the worker when its parent dies
    (``prctl(PR_SET_PDEATHSIG)`` via ctypes); everywhere a daemon thread polls ``os.getppid()``
    every 0.5 s and exits the worker when the parent has gone (re-parented).
    """
    import signal
    import threading

    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):  # pragma: no cover - no prctl: the watchdog remains
            pass
    if os.getppid() != parent_pid:  # the parent died before we got here
        os._exit(1)

    def watch():
        import time

        while True:
            time.sleep(_WATCHDOG_INTERVAL)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, name="replicaquant-parent-watchdog", daemon=True).start()


#: seconds a terminated worker gets to exit before it is killed with SIGKILL
_STOP_GRACE = 2.0


def _stop_pool(pool) -> None:
    """Stop the workers of a ``ProcessPoolExecutor`` now (an exit path other than success).

    Terminating a worker can cut it off in the middle of writing a result to the pool's result
    pipe; the executor's manager thread then waits forever for the rest of that message, and
    ``shutdown(wait=True)`` (or the interpreter's exit handler, which joins that thread) hangs.
    So: terminate, kill what is still alive after a grace period, reap every worker, then close
    the parent's copy of the result pipe's write end -- with no writer left, the manager's read
    ends with ``EOFError``, the executor is marked broken and its thread exits.
    """
    procs = list((getattr(pool, "_processes", None) or {}).values())
    for proc in procs:
        try:
            proc.terminate()
        except (OSError, AttributeError):  # pragma: no cover - already gone
            pass
    for proc in procs:
        try:
            proc.join(_STOP_GRACE)
            if proc.is_alive():
                proc.kill()
                proc.join(_STOP_GRACE)
        except (OSError, AttributeError, ValueError):  # pragma: no cover - already reaped
            pass
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)
    if writer is not None:
        try:
            writer.close()
        except OSError:  # pragma: no cover - already closed
            pass


def _iter_results(tasks, client, workers, first_model, kw):
    """Yield ``(line, result)`` for ``tasks = [(line, args)]`` on the chosen back-end."""
    if client is not None:
        import distributed

        futures = {}
        try:
            for line, args in tasks:
                futures[client.submit(_solve_line, *args, pure=False)] = line
            for fut in distributed.as_completed(list(futures)):
                yield futures[fut], fut.result()
        finally:
            for fut in futures:
                if not fut.done():
                    fut.cancel()
        return
    if workers == 1 or len(tasks) <= 1:
        for line, args in tasks:
            yield line, _solve_line(*args)
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    # Compile / load the Numba kernels once in the parent so that forked workers inherit them.
    solve_rs(first_model, warn=False, **kw)
    if COMPILED_LINES:  # the compiled line walker too (a two-point line along alpha)
        _compiled_line(first_model, {}, "alpha", (first_model.alpha, 1.01 * first_model.alpha),
                       True, kw)
    n = min(workers, len(tasks))
    pool = ProcessPoolExecutor(max_workers=n, initializer=_worker_init, initargs=(os.getpid(),))
    done = False
    try:
        futs = {pool.submit(_solve_line, *args): line for line, args in tasks}
        for fut in as_completed(futs):
            yield futs[fut], fut.result()
        done = True
    finally:
        if not done:  # error, KeyboardInterrupt or the consumer stopped: stop the workers now
            _stop_pool(pool)
        pool.shutdown(wait=True, cancel_futures=True)


# ---------------------------------------------------------------------------------------------
# resources and paths, checked before any work

#: rough bytes per grid point (result arrays in the line results, the stacked dataset and the
#: netCDF write) per stored variable, and per point of a line being solved (solution objects)
_BYTES_PER_VALUE = 8 * 4
_BYTES_PER_LINE_POINT = 4096


def memory_budget(max_memory=None) -> float:
    """The memory budget of a sweep in bytes (the package's one definition,
    :func:`replicaquant._validation.memory_budget`).

    ``max_memory`` (bytes, or a string such as ``"8G"``) if given, else the environment variable
    ``REPLICAQUANT_MEMORY_BUDGET`` or ``REPLICAQUANT_MAX_MEMORY`` (same syntax), else half of the
    physical memory (12 GiB on a 24 GiB machine).
    """
    from ._validation import memory_budget as _budget

    try:
        return float(_budget(max_memory))
    except ValueError as exc:  # name the sweep's keyword
        raise ValueError(str(exc).replace("memory_budget", "max_memory", 1)) from None


def _fmt_bytes(n: float) -> str:
    for unit, size in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{int(n)} B"


def estimate_memory(lengths: dict, *, bidirectional=True, workers: int = 1) -> int:
    """Rough peak memory (bytes) of a sweep with axes of the given lengths.

    ``n_points * n_variables * 32`` (result arrays, dataset, file write) plus
    ``line_length * 4096 * min(workers, n_lines)`` (solutions of the lines being solved), with
    ``n_variables`` = 54 (bidirectional) or 35 (forward only).
    """
    sizes = [int(v) for v in lengths.values()]
    n_points = math.prod(sizes) if sizes else 0
    line_len = sizes[-1] if sizes else 0
    n_lines = n_points // line_len if line_len else 0
    n_vars = len(_var_names(bidirectional))
    return int(n_points * n_vars * _BYTES_PER_VALUE
               + line_len * _BYTES_PER_LINE_POINT * max(1, min(workers, n_lines)))


def check_size(lengths: dict, *, bidirectional=True, workers: int = 1, max_memory=None) -> int:
    """Refuse a sweep grid that would not fit in memory, before anything is allocated.

    Parameters
    ----------
    lengths : dict
        ``{axis name: number of values}`` in axis order (the last is the continuation axis).
    bidirectional, workers :
        As for :func:`sweep`.
    max_memory : int or str, optional
        Budget (see :func:`memory_budget`).

    Returns
    -------
    int
        The estimate (:func:`estimate_memory`), when within the budget.

    Raises
    ------
    replicaquant.errors.ResourceError
        (a ``ValueError``) naming the largest axis, the grid size, the estimate and the budget.
    """
    est = estimate_memory(lengths, bidirectional=bidirectional, workers=workers)
    budget = memory_budget(max_memory)
    if est > budget:
        name, size = max(lengths.items(), key=lambda kv: kv[1])
        n_points = math.prod(int(v) for v in lengths.values())
        raise ResourceError(
            f"{name}: {size} values make a sweep grid of {n_points} points, estimated to need "
            f"{_fmt_bytes(est)}, over the memory budget of {_fmt_bytes(budget)} (raise it with "
            "max_memory= or REPLICAQUANT_MEMORY_BUDGET, or use fewer points)")
    return est


def _axis_lengths(axes: dict) -> dict:
    """``{name: len(values)}`` of the axes that have a length (the others fail validation later)."""
    out = {}
    for name, values in axes.items():
        try:
            if not isinstance(values, (str, bytes)):
                out[name] = len(values)
        except TypeError:
            pass
    return out


def _check_out(out) -> Path:
    """Validate an output path before computing: a non-empty path whose parent directory exists
    and is writable (probed with a temporary file) and which is not a directory."""
    if not isinstance(out, (str, os.PathLike)):
        raise ValueError(f"out must be a file path, got {type(out).__name__}")
    text = os.fspath(out)
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"out must be a non-empty file path, got {out!r}")
    if "\x00" in text:
        raise ValueError("out must not contain NUL characters")
    path = Path(text)
    if path.is_dir():
        raise ValueError(f"out: {path} is a directory (give a file name, e.g. {path / 'sweep.nc'})")
    if path.exists() and not path.is_file():
        raise ValueError(f"out: {path} exists and is not a regular file")
    parent = path.parent
    if not parent.is_dir():
        raise ValueError(f"out: directory {parent} does not exist")
    import tempfile

    try:
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".probe")
    except OSError as exc:
        raise ValueError(f"out: cannot write in directory {parent} ({exc.strerror or exc})") from None
    os.close(fd)
    os.unlink(probe)
    return path


def _check_solver_kwargs(kw: dict) -> dict:
    """Type/range checks of the solver options (messages name ``solver_kwargs[...]``)."""
    from ._validation import check_real

    out = {}
    for k, v in kw.items():
        name = f"solver_kwargs[{k!r}]"
        if k != "fallback" and not isinstance(v, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a number, got {v!r}")
        if k == "mixing":
            out[k] = check_real(name, v, low=0.0, low_inclusive=False, high=1.0)
        elif k == "tol":
            out[k] = check_real(name, v, low=0.0, low_inclusive=False)
        elif k == "max_iter":
            out[k] = check_int(name, v, low=1)
        elif k == "anderson":
            out[k] = check_int(name, v, low=0)
        elif k == "fallback":
            if not isinstance(v, (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False, got {v!r}")
            out[k] = bool(v)
    return out


# ---------------------------------------------------------------------------------------------
# public entry point


def sweep(model: Model, *, out=None, scheduler=None, workers: int | None = None,
          progress: bool = True, bidirectional: bool = True, chunk_lines: int | None = None,
          solver_kwargs: dict | None = None, max_memory=None, phase=False, **axes):
    """Solve the RS saddle point on a grid of parameters, with continuation along the last axis.

    Parameters
    ----------
    model : Model
        Base model; every point is ``model.replace(**{axis: value, ...})``.
    out : str or path-like, optional
        netCDF file to write (atomically) at the end; enables checkpoints in ``<out>.parts/``
        and resuming an interrupted run of the same sweep.
    scheduler : str or distributed.Client, optional
        Dask scheduler address (``"tcp://host:port"``) or client; lines are submitted to it.
        ``workers`` is then ignored.
    workers : int, optional
        Local processes (``None``: every core; ``1``: in-process, no pool).
    progress : bool
        Show a tqdm progress bar (points) on stderr.
    bidirectional : bool or "full"
        Also run the backward pass and keep the branch of lower free energy; ``True`` skips the
        backward solves that only retrace smooth forward steps (certified reuse), ``"full"``
        solves every backward point.
    chunk_lines : int, optional
        Finished lines per checkpoint chunk (default ``ceil(n_lines/64)``, at most 64).
    solver_kwargs : dict, optional
        Passed to :func:`~replicaquant.rs.solve_rs` (``mixing``, ``tol``, ``max_iter``,
        ``anderson``, ``fallback``; types and ranges are checked up front).
    max_memory : int or str, optional
        Memory budget (bytes or e.g. ``"8G"``; default ``REPLICAQUANT_MAX_MEMORY`` or half the
        physical memory, see :func:`memory_budget`).  A grid whose estimate
        (:func:`estimate_memory`) exceeds it is refused before anything is allocated.
    phase : bool or dict
        Also classify every point with :func:`replicaquant.phase.phase_fields` (a dict: its
        keyword options; along each line the points are continued from their predecessor by
        :func:`replicaquant.phase.phase_line`, ``{"warm": False}`` for independent points) and
        store its fields: ``phase`` (label code, ``codes`` attribute), ``phase_transition`` (code), ``phase_x`` (Parisi ``x*``), ``phase_free_energy``
        (thermodynamic free energy), ``phase_gen_error``, ``phase_gen_error_mean``,
        ``phase_train_error``, ``phase_q0``, ``phase_q1``, replicons, complexities,
        ``phase_converged``, ``phase_n_branches`` (``nan``: does not apply).  One RS + 1RSB
        analysis per point: 0.1-2 s each, for small grids.
    **axes : 1-D sequences
        ``name=values`` for ``alpha, beta, lam, noise_var, bits, width, gamma, scale, rho``
        (``rho`` sets a Gaussian teacher) or ``quantizer`` / ``teacher`` (lists of objects; the
        coordinate holds their reprs).  The last axis is the continuation axis.

    Returns
    -------
    xarray.Dataset
        Dimensions = the axes in the order given.  Main variables (the selected branch): every
        ``RSSolution.FIELDS`` entry, ``rs_stable``, ``converged``, ``iterations``, ``residual``;
        ``n_branches``, ``selected``; per pass ``<name>_fwd`` / ``<name>_bwd`` (also
        ``method_*``, codes in :data:`METHOD_CODES`).  Booleans are ``int8``.  Attributes: the
        base model (``model`` repr and exact ``model_definition`` JSON), ``axes``,
        ``continuation_axis``, ``solver_kwargs``, ``bidirectional``, ``replicaquant_version``,
        ``definition_hash``.

    Warns
    -----
    RuntimeWarning
        If some points did not converge after every retry (see ``converged``).
    CheckpointWarning
        If a checkpoint chunk is missing or corrupt (it is recomputed).

    Raises
    ------
    ValueError
        Bad axis names/values, solver options, ``workers``, ``chunk_lines``, ``out`` (empty, a
        directory, in a missing or unwritable directory: checked before computing) or an
        unreachable ``scheduler`` (after :data:`SCHEDULER_TIMEOUT` seconds).
    replicaquant.errors.ResourceError
        (a ``ValueError``) the grid exceeds the memory budget.
    CheckpointError
        ``<out>.parts/`` belongs to a different sweep, or its manifest is unreadable or
        malformed (only plain ``chunk_NNNNNN.npz`` names inside it are accepted).
    """
    if workers is None:
        workers = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    workers = check_int("workers", workers, low=1)
    # resources and paths before any allocation or work
    check_size(_axis_lengths(axes), bidirectional=bool(bidirectional), workers=workers,
               max_memory=max_memory)
    if out is not None:
        out = _check_out(out)
    plan = _Plan.build(model, axes, solver_kwargs, bidirectional, phase)
    if chunk_lines is None:
        chunk_lines = max(1, min(64, -(-plan.n_lines // 64)))
    chunk_lines = check_int("chunk_lines", chunk_lines, low=1)
    ckpt = None
    if out is not None:
        ckpt = _Checkpoint(out, plan.definition, plan.hash, plan.n_lines, plan.line_len, plan.names)

    client, own_client = _dask_client(scheduler) if scheduler is not None else (None, False)
    try:
        results = _execute(plan, ckpt, client, workers, progress, chunk_lines)
    finally:
        if own_client:
            client.close()
    ds = plan.dataset(results)
    n_bad = int(np.sum(ds["converged"].values == 0))
    if n_bad:
        warnings.warn(f"sweep: {n_bad} of {ds['converged'].size} points did not converge after warm, "
                      "cold and multi-start attempts; their values are the last iterates "
                      "(see the 'converged' and 'residual' variables)", RuntimeWarning, stacklevel=2)
    if out is not None:
        _write_netcdf_atomic(ds, out)
        ckpt.remove()
    return ds


@dataclass(frozen=True)
class _Plan:
    """A validated sweep definition: axes, lines, solver options, definition hash."""

    model: Model
    axes: tuple
    solver_kwargs: dict
    bidirectional: bool | str
    definition: dict
    hash: str
    version: str
    phase: tuple | None = None   # (phase_fields kwargs, variable names) or None

    @classmethod
    def build(cls, model, axes: dict, solver_kwargs, bidirectional, phase=False) -> "_Plan":
        if not isinstance(model, Model):
            raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
        if not axes:
            raise ValueError("sweep needs at least one axis, e.g. sweep(model, width=[0.5, 1.0])")
        ax = tuple(_make_axis(name, values) for name, values in axes.items())
        if solver_kwargs is not None and not isinstance(solver_kwargs, dict):
            raise ValueError("solver_kwargs must be a dict")
        kw = dict(solver_kwargs or {})
        for k in kw:
            if k not in _SOLVER_KEYS:
                raise ValueError(f"solver_kwargs: unsupported option {k!r} (allowed: "
                                 f"{', '.join(_SOLVER_KEYS)}; the sweep chooses init, strict and warn)")
        kw = _check_solver_kwargs(kw)
        if isinstance(bidirectional, str):
            if bidirectional != "full":
                raise ValueError(f"bidirectional must be True, False or 'full', got {bidirectional!r}")
        elif isinstance(bidirectional, (bool, np.bool_)):
            bidirectional = bool(bidirectional)
        else:
            raise ValueError(f"bidirectional must be True, False or 'full', got {bidirectional!r}")
        if isinstance(phase, (bool, np.bool_)):
            phase_kw = {} if phase else None
        elif isinstance(phase, dict):
            phase_kw = dict(phase)
        else:
            raise ValueError(f"phase must be True, False or a dict of phase_fields options, got {phase!r}")
        version = _package_version()
        definition = {"format": _FORMAT, "model": _describe(model),
                      "axes": [[a.name, _describe(list(a.values))] for a in ax],
                      "bidirectional": bidirectional, "solver_kwargs": _describe(kw),
                      "replicaquant_version": version}
        if phase_kw is not None:  # only then: hashes of sweeps without phase fields are unchanged
            definition["phase"] = _describe(phase_kw)
        digest = hashlib.sha256(json.dumps(definition, sort_keys=True).encode()).hexdigest()
        plan = cls(model, ax, kw, bidirectional, definition, digest, version)
        plan.validate()
        if phase_kw is not None:
            # one phase solve in the parent: checks the options, gives the variable names (and
            # compiles the 1RSB kernels before any pool forks)
            names = tuple(_phase_point(plan.point_model(0, 0), phase_kw))
            plan = dataclasses.replace(plan, phase=(phase_kw, names))
        return plan

    @property
    def cont(self) -> _Axis:
        return self.axes[-1]

    @property
    def line_shape(self) -> tuple:
        return tuple(len(a) for a in self.axes[:-1])

    @property
    def n_lines(self) -> int:
        return int(np.prod(self.line_shape)) if self.line_shape else 1

    @property
    def line_len(self) -> int:
        return len(self.cont)

    @property
    def names(self) -> list[str]:
        return _var_names(self.bidirectional, self.phase[1] if self.phase else ())

    def fixed(self, line: int) -> tuple:
        """``((name, value), ...)`` of the non-continuation axes on ``line``."""
        idx = np.unravel_index(line, self.line_shape) if self.line_shape else ()
        return tuple((a.name, a.values[i]) for a, i in zip(self.axes[:-1], idx))

    def point_model(self, line: int, k: int) -> Model:
        return _point_model(self.model, {**dict(self.fixed(line)), self.cont.name: self.cont.values[k]})

    def validate(self) -> None:
        """Build the first point of every line and every point of the first line, so that bad
        values raise a ``ValueError`` naming the parameter before any work starts."""
        for line in range(self.n_lines):
            self.point_model(line, 0)
        for k in range(1, self.line_len):
            self.point_model(0, k)

    def task(self, line: int) -> tuple:
        """Arguments of :func:`_solve_line` for ``line``."""
        c = self.cont
        return (self.model, self.fixed(line), c.name, c.values, c.numeric, self.bidirectional,
                self.solver_kwargs, self.phase)

    def dataset(self, results: dict):
        """Assemble ``{line: {var: array}}`` into the dataset (dims = axes in the order given)."""
        import xarray as xr

        dims = tuple(a.name for a in self.axes)
        shape = tuple(len(a) for a in self.axes)
        data_vars = {}
        for name in self.names:
            arr = np.stack([results[line][name] for line in range(self.n_lines)]).astype(_dtype(name))
            vattrs = {"description": _describe_var(name)}
            if name in ("phase", "phase_transition"):
                vattrs["codes"] = json.dumps(dict(enumerate(_phase_codes()[name])))
            data_vars[name] = (dims, arr.reshape(shape), vattrs)
        coords = {a.name: (a.name, a.coord) for a in self.axes}
        attrs = {
            "title": "replicaquant RS sweep",
            "replicaquant_format": FORMAT_MARKER,
            "format_version": _FORMAT,
            "model": repr(self.model),
            "model_definition": json.dumps(self.definition["model"]),
            "axes": json.dumps(list(dims)),
            "continuation_axis": self.cont.name,
            "solver_kwargs": json.dumps(self.solver_kwargs),
            "bidirectional": str(self.bidirectional).lower(),
            "replicaquant_version": self.version,
            "definition_hash": self.hash,
            "method_codes": json.dumps(METHOD_CODES),
            "selected_codes": json.dumps({0: "forward pass", 1: "backward pass"}),
        }
        return xr.Dataset(data_vars, coords=coords, attrs=attrs)


def _execute(plan: _Plan, ckpt, client, workers: int, progress: bool, chunk_lines: int) -> dict:
    """Load finished lines from the checkpoint, solve the others, checkpoint them in chunks."""
    from tqdm import tqdm

    results = ckpt.load() if ckpt is not None else {}
    todo = [line for line in range(plan.n_lines) if line not in results]
    tasks = [(line, plan.task(line)) for line in todo]
    bar = tqdm(total=plan.n_lines * plan.line_len, initial=len(results) * plan.line_len,
               disable=not progress, unit="pt", desc="sweep", file=sys.stderr, dynamic_ncols=True)
    pending: dict = {}
    gen = _iter_results(tasks, client, workers, plan.point_model(todo[0] if todo else 0, 0),
                        plan.solver_kwargs)
    try:
        for line, res in gen:
            results[line] = res
            bar.update(plan.line_len)
            if ckpt is not None:
                pending[line] = res
                if len(pending) >= chunk_lines:
                    ckpt.write_chunk(pending)
                    pending = {}
    except BaseException:
        if ckpt is not None and pending:  # keep what finished (e.g. on KeyboardInterrupt)
            try:
                ckpt.write_chunk(pending)
            except Exception:  # pragma: no cover - never mask the original error
                pass
        raise
    finally:
        gen.close()
        bar.close()
    if ckpt is not None and pending:
        ckpt.write_chunk(pending)
    return results


def _describe_var(name: str) -> str:
    if name.startswith("phase"):
        if name in _PHASE_DOCS:
            return _PHASE_DOCS[name]
        return (f"replicaquant.phase.phase_fields: {name[6:]} of the thermodynamic phase "
                "(nan where it does not apply)")
    for suffix, label in (("_fwd", "forward pass"), ("_bwd", "backward pass")):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            if base == "method":
                return f"{label}: how the point was solved (codes in the method_codes attribute)"
            return f"{label}: " + _VAR_DOCS[base].replace(" (selected branch)", "").replace("selected solve", "solve")
    return _VAR_DOCS[name]


#: format marker written into every sweep file (``attrs``) and checked by :func:`load_sweep`
FORMAT_MARKER = "replicaquant.sweep"


def load_sweep(path):
    """Load a dataset written by :func:`sweep` (fully into memory, file closed).

    The file is untrusted: it must exist, be a readable netCDF3 file and carry the format
    marker ``attrs["replicaquant_format"] == "replicaquant.sweep"`` with a ``format_version``
    this version reads (files of the first format, without the marker, are recognised by their
    title and definition hash).

    Raises
    ------
    ValueError
        Missing file, a directory, garbage or truncated data, a foreign netCDF file, a newer
        format version, or a sweep file without its main variables -- one line saying which.
    """
    import xarray as xr

    try:
        text = os.fspath(path)
    except TypeError:
        raise ValueError(f"load_sweep: path must be a file path, got {type(path).__name__}") from None
    p = Path(text)
    if not p.exists():
        raise ValueError(f"load_sweep: {p}: no such file")
    if p.is_dir():
        raise ValueError(f"load_sweep: {p} is a directory, not a sweep file")
    try:
        ds = xr.load_dataset(text, engine="scipy")
    except Exception as exc:  # noqa: BLE001 - garbage in any form is "not a sweep file"
        msg = str(exc).splitlines()[0][:200] if str(exc) else ""
        raise ValueError(f"load_sweep: {p} is not a readable netCDF3 sweep file (truncated or "
                         f"not netCDF: {type(exc).__name__}{': ' + msg if msg else ''})") from None
    attrs = ds.attrs
    legacy = attrs.get("title") == "replicaquant RS sweep" and "definition_hash" in attrs
    if attrs.get("replicaquant_format") != FORMAT_MARKER and not legacy:
        raise ValueError(f"load_sweep: {p} is a netCDF file but not a replicaquant sweep (no "
                         f"replicaquant_format = {FORMAT_MARKER!r} attribute)")
    try:
        version = int(attrs.get("format_version", _FORMAT))
    except (TypeError, ValueError):
        raise ValueError(f"load_sweep: {p}: malformed format_version "
                         f"{attrs.get('format_version')!r}") from None
    if version > _FORMAT:
        raise ValueError(f"load_sweep: {p} has sweep format version {version}; this replicaquant "
                         f"({_package_version()}) reads up to {_FORMAT} -- upgrade replicaquant")
    missing = [v for v in _MAIN_VARS if v not in ds.data_vars]
    if missing:
        raise ValueError(f"load_sweep: {p} is damaged: variables {', '.join(missing)} are missing")
    return ds


_PHASE_DOCS = {
    "phase": "thermodynamic phase label code (codes attribute: RS, d1RSB, 1RSB, FRSB)",
    "phase_transition": "kind of RS -> RSB transition code (codes attribute: none, continuous, discontinuous)",
    "phase_converged": "1 if the phase classification (RS and 1RSB solves) converged",
    "phase_n_branches": "number of 1RSB branches compared by the phase classification",
    "phase_x": "Parisi parameter x* of the thermodynamic 1RSB state (1 in the RS phase)",
    "phase_free_energy": "thermodynamic free energy (RS or 1RSB, whichever is the phase)",
}

_VAR_DOCS = {
    "m": "teacher overlap m = w.w0/d (selected branch)",
    "q": "two-replica overlap q",
    "Q": "self-overlap Q = |w|^2/d",
    "chi": "beta (Q - q)",
    "mhat": "conjugate mhat = alpha/(1+chi)",
    "qhat": "conjugate qhat",
    "Ahat": "conjugate Ahat = mhat",
    "free_energy": "RS free energy density f",
    "gen_error": "rho - 2m + Q (Gibbs sample)",
    "gen_error_mean": "rho - 2m + q (Gibbs mean)",
    "train_error": "mean squared training residual",
    "at": "de Almeida-Thouless (replicon) value; RS locally stable iff at < 1 (local only: see phase)",
    "rs_stable": "1 if at < 1",
    "converged": "1 if the selected solve converged",
    "iterations": "iterations of the selected solve",
    "residual": "undamped scaled residual of the selected solve",
    "n_branches": "distinct converged fixed points found at this point (forward, backward, multi-start)",
    "selected": "which pass the main variables come from: 0 forward, 1 backward",
}


class _SweepModule(type(sys)):
    """This module, callable as :func:`sweep`: importing ``replicaquant.sweep`` binds the
    *module* to the package attribute ``replicaquant.sweep``, so ``rq.sweep(...)`` must work on
    it too."""

    def __call__(self, *args, **kwargs):
        return sweep(*args, **kwargs)


sys.modules[__name__].__class__ = _SweepModule
