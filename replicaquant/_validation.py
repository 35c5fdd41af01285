"""Argument checks shared by every public entry point: one place, strict.

Every check raises an exception whose message starts with the parameter name, so that the CLI can
print it as a one-line message:

* a value of the wrong *type* (a string, a bool -- ``numpy.bool_`` included -- where a number is
  expected, a float with a fractional part where an integer is expected, ...) raises
  :class:`ParameterTypeError`, which is both a ``TypeError`` and a ``ValueError`` (so code and
  the CLI that catch ``ValueError`` for bad input keep working);
* a number out of its range (NaN, an infinity where none is allowed, a negative tolerance, a
  count below one, a magnitude whose square overflows, ...) raises ``ValueError``.

Magnitudes.  The solvers form squares and products of the level values, teacher values and model
scales (``c^2``, ``lam c^2``, ``alpha (rho + c^2)``, ``mhat^2 rho`` ...).  Every such quantity is
kept below :data:`MAX_SQUARE` ``= 1e300`` (a factor ``1.8e8`` below the largest double, room for
the sums and the few further products of O(1) factors the solvers take), i.e. single
magnitudes below :data:`MAX_MAGNITUDE` ``= 1e150``.  See docs/ranges.md.
"""
from __future__ import annotations

import math
import numbers
import os

import numpy as np

__all__ = ["MAX_MAGNITUDE", "MAX_SQUARE", "ParameterTypeError", "check_count", "check_depth",
           "check_flag", "check_int", "check_memory", "check_mixing", "check_real", "check_tol",
           "check_vector", "check_work", "memory_budget", "work_budget"]

#: largest accepted square or product of model scales (see the module docstring)
MAX_SQUARE = 1e300
#: largest accepted magnitude of a level, teacher value or other length-like scale
MAX_MAGNITUDE = 1e150


class ParameterTypeError(TypeError, ValueError):
    """A parameter of the wrong type (a ``TypeError`` that is also a ``ValueError``)."""


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _type_name(value) -> str:
    return type(value).__name__


def check_real(name: str, value, *, low: float | None = None, low_inclusive: bool = True,
               high: float | None = None, high_inclusive: bool = True, allow_inf: bool = False,
               max_abs: float | None = None) -> float:
    """Return ``float(value)`` after checking it is a real number in the allowed range.

    Accepted: Python ints and floats, numpy integer and floating scalars, 0-d real arrays and
    other ``numbers.Real``.  Rejected with :class:`ParameterTypeError`: strings, bytes, bools
    (``numpy.bool_`` included), complex numbers, ``None`` and anything else.  ``allow_inf``
    admits ``+inf`` (never ``-inf``, never NaN); ``max_abs`` bounds ``|value|``.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if _is_bool(value) or not isinstance(value, (numbers.Real, np.integer, np.floating)):
        raise ParameterTypeError(f"{name} must be a real number, got {value!r} ({_type_name(value)})")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    if math.isinf(v) and not (allow_inf and v > 0):
        raise ValueError(f"{name} must be finite or +inf, got {v}" if allow_inf
                         else f"{name} must be finite, got {v}")
    if low is not None:
        if low_inclusive and v < low:
            raise ValueError(f"{name} must be >= {low:g}, got {v:g}")
        if not low_inclusive and v <= low:
            raise ValueError(f"{name} must be > {low:g}, got {v:g}")
    if high is not None:
        if high_inclusive and v > high:
            raise ValueError(f"{name} must be <= {high:g}, got {v:g}")
        if not high_inclusive and v >= high:
            raise ValueError(f"{name} must be < {high:g}, got {v:g}")
    if max_abs is not None and math.isfinite(v) and abs(v) > max_abs:
        raise ValueError(f"{name} must have magnitude <= {max_abs:g} (its square or its products "
                         f"with the other scales would overflow double precision), got {v:g}")
    return v


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``int(value)`` after checking it is an integer in ``[low, high]``.

    Accepted: Python and numpy integers, and floats with an integral value (``3.0``; ``2.5``
    is rejected).  Rejected with :class:`ParameterTypeError`: strings, bools, non-integral or
    non-finite floats, anything else.
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if _is_bool(value):
        raise ParameterTypeError(f"{name} must be an integer, got {value!r} ({_type_name(value)})")
    if isinstance(value, (numbers.Integral, np.integer)):
        v = int(value)
    elif isinstance(value, (numbers.Real, np.floating)):
        f = float(value)
        if not math.isfinite(f) or not f.is_integer():
            raise ParameterTypeError(f"{name} must be an integer, got {value!r}")
        v = int(f)
    else:
        raise ParameterTypeError(f"{name} must be an integer, got {value!r} ({_type_name(value)})")
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def check_count(name: str, value, *, high: int | None = None) -> int:
    """An iteration/sample count: an integer ``>= 1``."""
    return check_int(name, value, low=1, high=high)


def check_depth(name: str, value) -> int:
    """A history depth such as ``anderson``: an integer ``>= 0``."""
    return check_int(name, value, low=0)


def check_tol(name: str, value, *, allow_zero: bool = False) -> float:
    """A tolerance: a finite real number ``> 0`` (``inf`` would accept anything); with
    ``allow_zero``, ``0`` is accepted too (an iteration that never stops early)."""
    return check_real(name, value, low=0.0, low_inclusive=allow_zero)


def check_mixing(name: str, value) -> float:
    """A mixing weight in ``(0, 1]``."""
    return check_real(name, value, low=0.0, low_inclusive=False, high=1.0)


def check_flag(name: str, value) -> bool:
    """A boolean switch: ``True``/``False`` (``numpy.bool_`` accepted), nothing else."""
    if not _is_bool(value):
        raise ParameterTypeError(f"{name} must be True or False, got {value!r} ({_type_name(value)})")
    return bool(value)


def check_vector(name: str, values, *, min_len: int = 1, increasing: bool = False,
                 max_abs: float | None = MAX_MAGNITUDE) -> np.ndarray:
    """Return a finite 1-D float array (optionally strictly increasing).

    Strings, bools and objects that are not real numbers are rejected with
    :class:`ParameterTypeError`; NaN, infinities and entries above ``max_abs`` in magnitude
    (default :data:`MAX_MAGNITUDE`: their squares must not overflow) with ``ValueError``.
    """
    if isinstance(values, (str, bytes)):
        raise ParameterTypeError(f"{name} must be a sequence of real numbers, got a string {values!r}")
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError):
        raise ParameterTypeError(f"{name} must be a sequence of real numbers") from None
    if raw.dtype.kind == "O":
        items = raw.ravel().tolist()
        if any(_is_bool(v) or not isinstance(v, (numbers.Real, np.integer, np.floating))
               for v in items):
            raise ParameterTypeError(f"{name} must be a sequence of real numbers")
    elif raw.dtype.kind not in "iuf":
        raise ParameterTypeError(f"{name} must be a sequence of real numbers, got dtype {raw.dtype}")
    try:
        arr = raw.astype(float)
    except (TypeError, ValueError):
        raise ParameterTypeError(f"{name} must be a sequence of real numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries, got {arr.size}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite")
    if max_abs is not None and arr.size and float(np.max(np.abs(arr))) > max_abs:
        raise ValueError(f"{name} must have entries of magnitude <= {max_abs:g} (their squares "
                         f"would overflow double precision), got {float(np.max(np.abs(arr))):g}")
    if increasing and np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be strictly increasing")
    return arr


# ---------------------------------------------------------------------------------------------
# resources: estimated up front, refused before allocating (issue 13, "resources checked up front")

#: default memory budget when neither the keyword nor an environment variable is given: half of
#: the physical memory (12 GiB on the 24 GiB, 2-core reference machine -- the same default as
#: ``sweep.memory_budget``), 8 GiB if the physical memory cannot be read
_DEFAULT_MEMORY_FRACTION = 0.5
_FALLBACK_MEMORY = 8 * 2 ** 30
#: default work budget (elementary inner-loop updates, ``REPLICAQUANT_WORK_BUDGET``): 1e13, a few
#: hours of one core at ~1e9 updates per second
_DEFAULT_WORK = 1e13

_SUFFIX = {"": 1, "B": 1, "K": 2 ** 10, "KB": 2 ** 10, "KIB": 2 ** 10, "M": 2 ** 20, "MB": 2 ** 20,
           "MIB": 2 ** 20, "G": 2 ** 30, "GB": 2 ** 30, "GIB": 2 ** 30, "T": 2 ** 40, "TB": 2 ** 40,
           "TIB": 2 ** 40}


def _parse_amount(name: str, text: str) -> float:
    import re

    m = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*", str(text))
    if not m or m.group(2).upper() not in _SUFFIX:
        raise ValueError(f"{name} must be a number of bytes optionally with a K/M/G/T suffix, got {text!r}")
    value = float(m.group(1)) * _SUFFIX[m.group(2).upper()]
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f"{name} must be positive, got {text!r}")
    return value


def _physical_memory() -> float | None:
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (AttributeError, ValueError, OSError):  # pragma: no cover - non-POSIX
        return None


def memory_budget(budget=None) -> float:
    """The memory budget in bytes: ``budget`` (number or string like ``"4G"``), else the
    environment variable ``REPLICAQUANT_MEMORY_BUDGET`` (or the sweeps' ``REPLICAQUANT_MAX_MEMORY``),
    else half of the physical memory."""
    if budget is not None:
        if isinstance(budget, str):
            return _parse_amount("memory_budget", budget)
        return check_real("memory_budget", budget, low=0.0, low_inclusive=False, allow_inf=True)
    for var in ("REPLICAQUANT_MEMORY_BUDGET", "REPLICAQUANT_MAX_MEMORY"):
        env = os.environ.get(var)
        if env:
            return _parse_amount(var, env)
    phys = _physical_memory()
    return phys * _DEFAULT_MEMORY_FRACTION if phys else float(_FALLBACK_MEMORY)


def work_budget(budget=None) -> float:
    """The work budget (inner-loop updates): ``budget``, else ``REPLICAQUANT_WORK_BUDGET``, else 1e13."""
    if budget is not None:
        return check_real("work_budget", budget, low=0.0, low_inclusive=False, allow_inf=True)
    env = os.environ.get("REPLICAQUANT_WORK_BUDGET")
    if env:
        return _parse_amount("REPLICAQUANT_WORK_BUDGET", env)
    return _DEFAULT_WORK


def _bytes(n: float) -> str:
    for unit, size in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if n >= size:
            return f"{n / size:.3g} {unit}"
    return f"{n:.0f} B"


def check_memory(names: str, nbytes: float, what: str, budget=None, *, keyword: bool = False) -> None:
    """Refuse (:class:`replicaquant.errors.ResourceError`) when ``nbytes`` exceeds the memory budget.

    ``names`` are the parameters responsible (start of the message), ``what`` what is allocated.
    """
    from .errors import ResourceError

    limit = memory_budget(budget)
    if not nbytes <= limit:
        raise ResourceError(
            f"{names}: {what} needs about {_bytes(nbytes)} of memory, above the budget of "
            f"{_bytes(limit)} (raise it with REPLICAQUANT_MEMORY_BUDGET, e.g. '16G'"
            f"{', or memory_budget=...' if keyword else ''}; see docs/ranges.md)")


def check_work(names: str, n_ops: float, what: str, budget=None) -> None:
    """Refuse (``ResourceError``) when the estimated number of inner-loop updates exceeds the budget."""
    from .errors import ResourceError

    limit = work_budget(budget)
    if not n_ops <= limit:
        raise ResourceError(
            f"{names}: {what} needs about {n_ops:.3g} inner-loop updates, above the work budget of "
            f"{limit:.3g} (hours of computing; raise it with REPLICAQUANT_WORK_BUDGET; see "
            f"docs/ranges.md)")


def check_state(name: str, values, labels: tuple) -> np.ndarray:
    """A solver start (``init``): a finite real vector with one entry per label (magnitudes
    ``<= MAX_MAGNITUDE``); the message names ``name`` and the labels, e.g. ``init (m, q, chi)``."""
    what = f"{name} ({', '.join(labels)})"
    if isinstance(values, (str, bytes)):
        raise ParameterTypeError(f"{what} must be a sequence of {len(labels)} real numbers, got {values!r}")
    try:
        arr = check_vector(what, values, min_len=len(labels))
    except ParameterTypeError:
        raise ParameterTypeError(f"{what} must be a sequence of {len(labels)} real numbers, "
                                 f"got {values!r}") from None
    if arr.shape != (len(labels),):
        raise ValueError(f"{what} must have exactly {len(labels)} entries, got shape {arr.shape}")
    return arr


def check_instance(X, y, w0=None) -> tuple:
    """``(X, y, w0)`` of one data set as float arrays: ``X`` a non-empty ``(n, d)`` matrix, ``y``
    of shape ``(n,)``, both finite; ``w0`` (optional) a finite vector of length ``d``.

    The one input check of the finite-instance solvers (exact and annealed ground states, exact
    Gibbs averages); each message names the offending argument.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float)
    if X.ndim != 2 or X.shape[0] < 1 or X.shape[1] < 1:
        raise ValueError(f"X must be a non-empty 2-D array (n, d), got shape {X.shape}")
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
    if not (np.all(np.isfinite(X)) and np.all(np.isfinite(y))):
        raise ValueError("X and y must be finite")
    if w0 is not None:
        w0 = np.asarray(w0, dtype=float)
        if w0.shape != (X.shape[1],) or not np.all(np.isfinite(w0)):
            raise ValueError(f"w0 must be a finite vector of length d = {X.shape[1]}")
    return X, y, w0
