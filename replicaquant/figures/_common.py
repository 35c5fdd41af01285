"""Shared settings of the paper figures (private: not a figure module)."""
from __future__ import annotations

import numpy as np

from ..model import Model
from ..rs import RSSolution

#: the reference point of the physics assertions (issue 5) and of most figures
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
