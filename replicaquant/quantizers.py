"""Weight level sets ("quantizers").

A quantizer is a strictly increasing vector of levels ``c_1 < ... < c_K``; the student's
weights live on it.  ``b`` bits means ``K = 2**b`` levels.  Constructors:

* :class:`UniformQuantizer` -- ``c_k = -width + 2 width k/(K-1)``, ``k = 0..K-1``.
* :class:`PowerQuantizer` -- companding family ``c = width sign(u)|u|**gamma`` on the uniform
  grid ``u_k = -1 + 2k/(K-1)``; ``gamma > 1`` packs levels near zero, ``gamma = 1`` is uniform.
* :class:`LloydMaxQuantizer` -- the MSE-optimal (Lloyd-Max) levels for a Gaussian source
  ``N(0, scale**2)``.
* :class:`Quantizer` -- any strictly increasing level vector (asymmetric allowed).
* :func:`midtread_quantizer` -- ``2**bits - 1`` uniform levels on ``[-width, width]`` including 0
  (a dead zone; used for the STE plateau analysis).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from ._validation import MAX_MAGNITUDE, check_int, check_real, check_vector
from .quadrature import cell_moments, thresholds as _thresholds

_MAX_BITS = 12
#: smallest accepted spacing of neighbouring levels (``1/MAX_MAGNITUDE``; see docs/ranges.md)
_MIN_SPACING = 1.0 / MAX_MAGNITUDE


def _unit_grid(bits: int) -> np.ndarray:
    """``u_k = -1 + 2k/(2**bits - 1)``, ``k = 0..2**bits - 1``."""
    k = 2 ** bits
    return -1.0 + 2.0 * np.arange(k) / (k - 1)


class BaseQuantizer:
    """Common behaviour: ``levels``, ``bits``, ``thresholds`` and ``quantize``."""

    @property
    def levels(self) -> np.ndarray:  # pragma: no cover - overridden
        raise NotImplementedError

    @property
    def n_levels(self) -> int:
        """Number of levels ``K``."""
        return int(self.levels.size)

    @property
    def bits(self) -> int | None:
        """Number of bits: the constructor's ``bits``, else ``log2(K)`` for ``K`` a power of two, else ``None``."""
        if hasattr(self, "bits_"):
            return self.bits_
        k = self.n_levels
        return int(k).bit_length() - 1 if k & (k - 1) == 0 else None

    def _set_bits_width(self, bits, width) -> None:
        object.__setattr__(self, "bits_", check_int("bits", bits, low=1, high=_MAX_BITS))
        object.__setattr__(self, "width", check_real("width", width, low=0.0, low_inclusive=False,
                                                     max_abs=MAX_MAGNITUDE))

    def _check_levels(self) -> None:
        """Reject level sets that degenerate *after* construction (issue 13, defect 6).

        The constructor's formula may collapse neighbouring levels in floating point (e.g.
        ``PowerQuantizer(2, 1.5, 1e6)`` gives ``[-1.5, -0, 0, 1.5]``), overflow, or produce a
        spacing so small that ``1/spacing`` or ``spacing**2`` leaves double precision.
        """
        c = np.asarray(self.levels, dtype=float)
        if not np.all(np.isfinite(c)):
            raise ValueError(f"levels must be finite after construction, {self!r} gives {c.tolist()}")
        if np.any(np.diff(c) <= 0):
            raise ValueError(f"levels must be strictly increasing after construction, {self!r} "
                             f"gives {c.tolist()} (collapsed levels)")
        if float(np.max(np.abs(c))) > MAX_MAGNITUDE:
            raise ValueError(f"levels must have magnitude <= {MAX_MAGNITUDE:g} (their squares would "
                             f"overflow), {self!r} gives {float(np.max(np.abs(c))):g}")
        gap = float(np.min(np.diff(c)))
        if gap < _MIN_SPACING:
            raise ValueError(f"levels must be separated by at least {_MIN_SPACING:g} (1/spacing and "
                             f"spacing^2 must stay in double precision), {self!r} has spacing {gap:g}")

    @property
    def thresholds(self) -> np.ndarray:
        """Midpoints ``(c_k + c_{k+1})/2``: the decision boundaries of nearest-level rounding.

        (:func:`replicaquant.quadrature.thresholds` at ``a = 1``.)
        """
        return _thresholds(np.ascontiguousarray(self.levels, dtype=float), 1.0)

    def quantize(self, x) -> np.ndarray:
        """Round ``x`` (any shape) to the nearest level; ties go to the upper level.

        The tie rule is the package's one (as :func:`replicaquant.kernels.argmax_level`).
        """
        x = np.asarray(x, dtype=float)
        idx = np.searchsorted(self.thresholds, x, side="right")
        return self.levels[idx]

    def describe(self) -> str:
        """A one-line human-readable description."""
        return repr(self)


@dataclass(frozen=True)
class Quantizer(BaseQuantizer):
    """Arbitrary level set.

    Parameters
    ----------
    levels : sequence of float
        Strictly increasing, finite, at least two entries.
    """

    levels_: tuple = field(repr=False)

    def __init__(self, levels):
        arr = check_vector("levels", levels, min_len=2, increasing=True)
        object.__setattr__(self, "levels_", tuple(float(v) for v in arr))
        self._check_levels()

    @property
    def levels(self) -> np.ndarray:
        return np.array(self.levels_)

    def __repr__(self) -> str:
        return f"Quantizer(levels={[float(v) for v in np.round(self.levels, 6)]})"


@dataclass(frozen=True)
class UniformQuantizer(BaseQuantizer):
    """Uniform ``bits``-bit levels on ``[-width, width]``: ``c_k = -width + 2 width k/(2**bits - 1)``.

    ``bits = 1`` gives ``{-width, +width}``; zero is never a level.
    """

    bits_: int
    width: float

    def __init__(self, bits: int, width: float):
        self._set_bits_width(bits, width)
        self._check_levels()

    @property
    def levels(self) -> np.ndarray:
        k = 2 ** self.bits_
        return -self.width + 2.0 * self.width * np.arange(k) / (k - 1)  # the documented formula, verbatim

    def __repr__(self) -> str:
        return f"UniformQuantizer(bits={self.bits_}, width={self.width:g})"


@dataclass(frozen=True)
class PowerQuantizer(BaseQuantizer):
    """Companding levels ``c_k = width sign(u_k)|u_k|**gamma``, ``u_k = -1 + 2k/(2**bits - 1)``.

    ``gamma > 1`` puts more levels near zero (where Gaussian weights are dense), ``gamma = 1``
    is :class:`UniformQuantizer`.  Outer levels stay at ``±width``.
    """

    bits_: int
    width: float
    gamma: float = 2.0

    def __init__(self, bits: int, width: float, gamma: float = 2.0):
        self._set_bits_width(bits, width)
        object.__setattr__(self, "gamma", check_real("gamma", gamma, low=0.0, low_inclusive=False))
        self._check_levels()

    @property
    def levels(self) -> np.ndarray:
        u = _unit_grid(self.bits_)
        return self.width * np.sign(u) * np.abs(u) ** self.gamma

    def __repr__(self) -> str:
        return f"PowerQuantizer(bits={self.bits_}, width={self.width:g}, gamma={self.gamma:g})"


def lloyd_max_gaussian(n_levels: int, scale: float = 1.0, tol: float = 1e-13,
                       max_iter: int = 100_000) -> np.ndarray:
    """Lloyd-Max levels for ``N(0, scale**2)``: centroid/midpoint iteration to ``tol``.

    Each level is the conditional mean of its cell, ``c_k = scale (phi(a)-phi(b))/(Phi(b)-Phi(a))``,
    cells bounded by midpoints of neighbouring levels (cell moments by
    :func:`replicaquant.quadrature.cell_moments`).
    """
    k = check_int("n_levels", n_levels, low=2)
    scale = check_real("scale", scale, low=0.0, low_inclusive=False)
    tol = check_real("tol", tol, low=0.0, low_inclusive=False)
    max_iter = check_int("max_iter", max_iter, low=1)
    c = np.linspace(-2.0, 2.0, k) * (1.0 + np.log(k) / 2)
    for _ in range(max_iter):
        t = np.concatenate(([-np.inf], _thresholds(c, 1.0), [np.inf]))
        mass, first, _ = cell_moments(t, 0.0, 1.0)
        new = first / mass
        if np.max(np.abs(new - c)) < tol:
            c = new
            break
        c = new
    c = 0.5 * (c - c[::-1])  # enforce exact symmetry
    return scale * c


@dataclass(frozen=True)
class LloydMaxQuantizer(BaseQuantizer):
    """MSE-optimal (Lloyd-Max) ``bits``-bit levels for a Gaussian source ``N(0, scale**2)``.

    For ``scale = 1``: 1 bit gives ``±0.7979``, 2 bits ``±0.4528, ±1.5104``.
    """

    bits_: int
    scale: float = 1.0

    def __init__(self, bits: int, scale: float = 1.0):
        object.__setattr__(self, "bits_", check_int("bits", bits, low=1, high=8))
        object.__setattr__(self, "scale", check_real("scale", scale, low=0.0, low_inclusive=False,
                                                     max_abs=MAX_MAGNITUDE / 4))
        self._check_levels()

    @property
    def width(self) -> float:
        """Largest level (half-range)."""
        return float(self.levels[-1])

    @property
    def levels(self) -> np.ndarray:
        return self.scale * _lloyd_max_unit(2 ** self.bits_)

    def __repr__(self) -> str:
        return f"LloydMaxQuantizer(bits={self.bits_}, scale={self.scale:g})"


@lru_cache(maxsize=None)
def _lloyd_max_unit_cached(n_levels: int) -> tuple:
    return tuple(lloyd_max_gaussian(n_levels, 1.0))


def _lloyd_max_unit(n_levels: int) -> np.ndarray:
    return np.array(_lloyd_max_unit_cached(n_levels))


def midtread_quantizer(bits: int, width: float) -> Quantizer:
    """Symmetric mid-tread ``bits``-bit levels ``width * {-1, ..., 0, ..., 1}`` (``2**bits - 1`` levels).

    This is the signed-integer grid with zero (e.g. ``{-w, 0, w}`` for 2 bits); unlike
    :class:`UniformQuantizer` it has a dead zone ``|u| < width/(2**(bits-1) - 1)/2``
    where the weight is exactly zero, which is what produces a long initial plateau from a
    small initialisation.
    """
    bits = check_int("bits", bits, low=2, high=_MAX_BITS)
    width = check_real("width", width, low=0.0, low_inclusive=False, max_abs=MAX_MAGNITUDE)
    k = 2 ** bits - 1
    return Quantizer(width * np.linspace(-1.0, 1.0, k))
