"""Synthetic teacher-student data (see docs/theory.md).

``make_data(model, d, seed)`` draws ``n = round(alpha d)`` Gaussian inputs and the labels of the
model's teacher::

    X[mu, i] ~ N(0, 1),   w0 ~ teacher,   y = X w0 / sqrt(d) + sqrt(noise_var) xi,   xi ~ N(0, 1).

The ``1/sqrt(d)`` scaling lives in the predictor (``F = X/sqrt(d)``), not in ``X``.
"""
from __future__ import annotations

import numpy as np

from ._validation import ParameterTypeError, check_int, check_memory
from .model import Model


def make_data(model: Model, d: int, seed=None, *, dtype=np.float64, memory_budget=None):
    """Draw one data set of ``model`` in dimension ``d``.

    Parameters
    ----------
    model : Model
        Supplies ``alpha`` (``n = round(alpha d)``), the teacher prior and ``noise_var``.
    d : int
        Dimension (>= 1).
    seed : int, numpy.random.SeedSequence or numpy.random.Generator, optional
        Everything is drawn from the single generator ``np.random.default_rng(seed)``, in the
        order ``X``, ``w0``, ``xi``, so a seed fixes the data set.
    dtype : numpy float dtype
        ``float64`` (default) or ``float32`` for ``X`` (halves memory; labels are computed from
        the stored ``X`` so that they are exactly consistent with it).  ``y`` and ``w0`` are
        always ``float64``.
    memory_budget : float or str, optional
        Refuse (``ResourceError``, a ``ValueError``) before allocating when the arrays would need
        more than this many bytes (default: ``REPLICAQUANT_MEMORY_BUDGET`` or a third of the
        physical memory; see docs/ranges.md).  The estimate is ``n d itemsize + 8 (3 n + 2 d)``.

    Returns
    -------
    X : ndarray, shape (n, d)
        Inputs with i.i.d. ``N(0, 1)`` entries (C-contiguous).
    y : ndarray, shape (n,)
        Labels ``X w0/sqrt(d) + sqrt(noise_var) xi``.
    w0 : ndarray, shape (d,)
        Teacher weights drawn from ``model.teacher``.
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    d = check_int("d", d, low=1)
    dtype = np.dtype(dtype)
    if dtype not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"dtype must be float64 or float32, got {dtype}")
    n = int(round(model.alpha * d))
    if n < 1:
        raise ValueError(f"alpha * d must round to at least one sample, got alpha={model.alpha}, d={d}")
    nbytes = float(n) * d * dtype.itemsize + 8.0 * (3 * n + 2 * d)
    check_memory("d", nbytes, f"make_data with d={d}, n=round(alpha d)={n} ({dtype} X of shape "
                 f"({n}, {d}))", memory_budget, keyword=True)
    if isinstance(seed, (bool, np.bool_, str, bytes, float)):
        raise ParameterTypeError(f"seed must be None, an integer, a SeedSequence or a Generator, got {seed!r}")
    try:
        rng = np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise ParameterTypeError(f"seed must be None, a non-negative integer, a SeedSequence or a "
                                 f"Generator, got {seed!r} ({exc})") from None
    X = rng.standard_normal((n, d), dtype=dtype)
    w0 = np.asarray(model.teacher.sample(d, rng), dtype=np.float64)
    xi = rng.standard_normal(n)
    y = (X @ w0.astype(dtype)).astype(np.float64) / np.sqrt(d)
    if model.noise_var > 0:
        y += np.sqrt(model.noise_var) * xi
    return X, y, w0
