"""Argument checks shared by every public constructor.

Every check raises ``ValueError`` whose message starts with the parameter name, so that
the CLI can print it as a one-line message.
"""
from __future__ import annotations

import math

import numpy as np


def check_real(name: str, value, *, low: float | None = None, low_inclusive: bool = True,
               high: float | None = None, allow_inf: bool = False) -> float:
    """Return ``float(value)`` after checking it is a real number in the allowed range."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a real number, got {value!r}") from None
    if math.isnan(v):
        raise ValueError(f"{name} must not be NaN")
    if math.isinf(v) and not (allow_inf and v > 0):
        raise ValueError(f"{name} must be finite, got {v}")
    if low is not None:
        if low_inclusive and v < low:
            raise ValueError(f"{name} must be >= {low}, got {v}")
        if not low_inclusive and v <= low:
            raise ValueError(f"{name} must be > {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def check_int(name: str, value, *, low: int | None = None, high: int | None = None) -> int:
    """Return ``int(value)`` after checking it is an integer in ``[low, high]``."""
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if isinstance(value, (float, np.floating)):
        if math.isnan(value) or not float(value).is_integer():
            raise ValueError(f"{name} must be an integer, got {value!r}")
    try:
        v = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer, got {value!r}") from None
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {v}")
    if high is not None and v > high:
        raise ValueError(f"{name} must be <= {high}, got {v}")
    return v


def check_vector(name: str, values, *, min_len: int = 1, increasing: bool = False) -> np.ndarray:
    """Return a finite 1-D float array (optionally strictly increasing)."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of real numbers") from None
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size < min_len:
        raise ValueError(f"{name} must have at least {min_len} entries, got {arr.size}")
    if np.isnan(arr).any():
        raise ValueError(f"{name} must not contain NaN")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} must be finite")
    if increasing and np.any(np.diff(arr) <= 0):
        raise ValueError(f"{name} must be strictly increasing")
    return arr
