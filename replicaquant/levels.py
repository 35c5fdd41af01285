"""The single-site data every solver needs: the level set and the teacher, as plain arrays.

:class:`LevelMeasure` is what the compiled prior sides (RS, 1RSB, beta = inf) take: the
student's levels ``c_1 < ... < c_K`` and the teacher either as a discrete distribution
``(t_values, t_probs)`` or as a Gaussian ``N(0, gauss_rho)`` (``gauss_rho > 0``; then
``t_values = [0]``, ``t_probs = [1]`` are placeholders that the kernels do not read).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .teachers import GaussianTeacher

__all__ = ["LevelMeasure", "teacher_arrays"]


def teacher_arrays(teacher) -> tuple:
    """``(t_values, t_probs, gauss_rho)`` of a teacher for the compiled kernels.

    Gaussian ``N(0, rho)``: ``([0], [1], rho)``; discrete: ``(values, probs, 0)``.
    """
    if isinstance(teacher, GaussianTeacher):
        return np.zeros(1), np.ones(1), float(teacher.rho)
    return (np.ascontiguousarray(teacher.values, dtype=float),
            np.ascontiguousarray(teacher.probs, dtype=float), 0.0)


@dataclass(frozen=True, eq=False)
class LevelMeasure:
    """Levels and teacher of a model as contiguous float arrays (frozen).

    Attributes
    ----------
    levels : ndarray
        Student levels, strictly increasing.
    t_values, t_probs : ndarray
        Discrete teacher ``P(w0 = t_values[j]) = t_probs[j]`` (placeholders for a Gaussian one).
    gauss_rho : float
        ``> 0``: Gaussian teacher ``N(0, gauss_rho)``; ``0``: the discrete teacher.
    """

    levels: np.ndarray = field(repr=False)
    t_values: np.ndarray = field(repr=False)
    t_probs: np.ndarray = field(repr=False)
    gauss_rho: float

    @classmethod
    def from_model(cls, model) -> "LevelMeasure":
        """The level measure of a :class:`~replicaquant.model.Model` (its ``levels`` and ``teacher``)."""
        tv, tp, grho = teacher_arrays(model.teacher)
        return cls(np.ascontiguousarray(model.levels, dtype=float), tv, tp, grho)

    @property
    def teacher(self) -> tuple:
        """``(t_values, t_probs, gauss_rho)``, the argument order of the compiled prior sides."""
        return self.t_values, self.t_probs, self.gauss_rho

    def as_tuple(self) -> tuple:
        """``(levels, t_values, t_probs, gauss_rho)`` (the former ``rsb._levels_and_teacher``)."""
        return self.levels, self.t_values, self.t_probs, self.gauss_rho

    def __eq__(self, other) -> bool:
        if not isinstance(other, LevelMeasure):
            return NotImplemented
        return (self.gauss_rho == other.gauss_rho and np.array_equal(self.levels, other.levels)
                and np.array_equal(self.t_values, other.t_values)
                and np.array_equal(self.t_probs, other.t_probs))

    __hash__ = None
