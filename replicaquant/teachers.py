"""Teacher priors: the distribution of the target weights ``w0_i`` (i.i.d.)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import MAX_SQUARE, check_real, check_vector


@dataclass(frozen=True)
class GaussianTeacher:
    """``w0_i ~ N(0, rho)``."""

    rho: float = 1.0

    def __init__(self, rho: float = 1.0):
        object.__setattr__(self, "rho", check_real("rho", rho, low=0.0, low_inclusive=False,
                                                   high=MAX_SQUARE))

    def sample(self, d: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``d`` i.i.d. teacher weights with the given generator."""
        return rng.normal(0.0, np.sqrt(self.rho), size=int(d))

    def __repr__(self) -> str:
        return f"GaussianTeacher(rho={self.rho:g})"


@dataclass(frozen=True)
class DiscreteTeacher:
    """``w0_i`` takes ``values[j]`` with probability ``probs[j]``.

    ``probs`` defaults to uniform; it is normalised if it sums to a positive number other
    than one.  ``rho = E[w0**2]`` (second moment, not variance, as in the order parameters).
    """

    values_: tuple = field(repr=False)
    probs_: tuple = field(repr=False)

    def __init__(self, values, probs=None):
        v = check_vector("values", values, min_len=1)
        if probs is None:
            p = np.full(v.size, 1.0 / v.size)
        else:
            p = check_vector("probs", probs, min_len=1)
            if p.size != v.size:
                raise ValueError(f"probs must have the same length as values ({v.size}), got {p.size}")
            if np.any(p < 0) or p.sum() <= 0:
                raise ValueError("probs must be non-negative with a positive sum")
            p = p / p.sum()
        # values are bounded by check_vector (|v| <= 1e150), so rho = E[w0^2] <= 1e300 is finite
        object.__setattr__(self, "values_", tuple(float(x) for x in v))
        object.__setattr__(self, "probs_", tuple(float(x) for x in p))

    @classmethod
    def from_quantizer(cls, quantizer) -> "DiscreteTeacher":
        """Teacher uniform on the quantizer's own levels (the Nishimori/Bayes-optimal setting)."""
        return cls(quantizer.levels)

    @property
    def values(self) -> np.ndarray:
        return np.array(self.values_)

    @property
    def probs(self) -> np.ndarray:
        return np.array(self.probs_)

    @property
    def rho(self) -> float:
        """Second moment ``E[w0**2]``."""
        return float(np.dot(self.probs, self.values ** 2))

    @property
    def mean(self) -> float:
        return float(np.dot(self.probs, self.values))

    def sample(self, d: int, rng: np.random.Generator) -> np.ndarray:
        """Draw ``d`` i.i.d. teacher weights with the given generator."""
        return rng.choice(self.values, size=int(d), p=self.probs)

    def __repr__(self) -> str:
        return (f"DiscreteTeacher(values={[float(v) for v in np.round(self.values, 6)]}, "
                f"probs={[float(v) for v in np.round(self.probs, 6)]})")
