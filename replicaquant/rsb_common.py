"""Pieces shared by the finite-``beta`` 1RSB solver (:mod:`replicaquant.rsb`,
:mod:`replicaquant.rsb_quadrature`) and its ``beta = inf`` limit (:mod:`replicaquant.rsb_zero`).

* :class:`RSB1Record` -- the fields both saddle points report (order parameters, conjugates,
  errors, complexity, status) with one ``as_dict`` / ``__repr__`` / ``state``;
* :func:`straddle_window` -- where the inner ``z1`` window of the 1RSB average straddles a
  threshold of the level set (the part of the outer ``H0`` axis that needs a fine grid);
* :func:`feasible_1rsb` -- the feasibility test of a 1RSB iteration state.

Both sides of the 1RSB iteration are otherwise different formulas (finite ``beta`` at fixed ``x``
against the frozen-state limit at fixed ``y = beta x``; see docs/theory.md and the module
docstrings), so nothing else is shared.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
from numba import njit

from ._results import format_result

__all__ = ["RSB1Record", "straddle_window", "feasible_1rsb", "CS_RTOL", "CS_ATOL"]

#: Cauchy-Schwarz slack of :func:`feasible_1rsb`, ``m^2 <= rho q0 (1 + CS_RTOL) + CS_ATOL`` (the
#: values of :func:`replicaquant.rs.feasible`): a teacher-aligned fixed point has ``m^2`` a few
#: ulps above ``rho q0``; ``CS_ATOL`` keeps ``m = q0 = 0`` feasible
CS_RTOL = 1e-9
CS_ATOL = 1e-300


@dataclass(frozen=True, kw_only=True, repr=False)
class RSB1Record:
    """Fields common to every 1RSB saddle point (subclassed by the finite-``beta`` and the
    ``beta = inf`` result; all fields are keyword-only).

    Attributes
    ----------
    model : Model
    m, q0, Q, chi1 : float
        Teacher overlap ``E[w0 <<w>>]``, inter-state overlap, self-overlap, ``beta (Q - q1)``.
    mhat, qhat0, qhat1, Ahat : float
        Conjugates (``qhat1 = qhat0`` iff the states coincide).
    gen_error, train_error : float
        ``rho - 2m + Q``; mean squared training residual.
    complexity : float
        Number of states (nats per weight) selected by the Parisi parameter; ``0`` at the
        thermodynamic one.
    rsb : bool
        The states are distinct (``q1 - q0`` above the collapse tolerance).
    converged, iterations, residual, message, status
        Convergence protocol of :mod:`replicaquant.convergence`.
    rs : RSSolution or None
        The RS solution of the same model (reference and start).
    """

    model: object = field(repr=False)
    m: float
    q0: float
    Q: float
    chi1: float
    mhat: float
    qhat0: float
    qhat1: float
    Ahat: float
    gen_error: float
    train_error: float
    complexity: float
    rsb: bool
    converged: bool
    iterations: int
    residual: float
    message: str = ""
    rs: object = field(default=None, repr=False)
    status: int = 0

    #: numeric fields of ``as_dict`` and ``repr`` (set by each subclass)
    FIELDS: ClassVar[tuple] = ()
    #: the iteration variables, in the order of the fixed-point map (warm starts)
    STATE: ClassVar[tuple] = ()

    @property
    def state(self) -> np.ndarray:
        """The iteration variables ``STATE`` as an array (for warm starts)."""
        return np.array([float(getattr(self, k)) for k in self.STATE])

    def _extra_dict(self) -> dict:
        """Further derived entries of :meth:`as_dict` (none here)."""
        return {}

    def as_dict(self) -> dict:
        """Plain dict of the numbers and the status (for JSON / tables)."""
        d = {k: float(getattr(self, k)) for k in self.FIELDS}
        d.update(self._extra_dict())
        d.update(rsb=bool(self.rsb), converged=bool(self.converged), iterations=int(self.iterations),
                 residual=float(self.residual), message=self.message, status=int(self.status))
        return d

    def __repr__(self) -> str:
        return format_result(f"{type(self).__name__}  ({self.model!r})", self, self.FIELDS, {"rsb": self.rsb})


@njit(cache=True)
def straddle_window(levels, a, xb, s1, i, half_width, lo, hi):
    """``(theta_i, lo_i, hi_i)``: the threshold ``theta_i = a (c_i + c_{i+1})/2`` and the part of
    ``[lo, hi]`` where the inner window straddles it.

    The inner field is ``h = H0 + s1 z1`` tilted by ``exp(xb phi)`` (``xb = x beta``, or ``y`` at
    ``beta = inf``), which shifts the cell ``k`` by ``xb s1^2 c_k``; ``|z1| <= half_width`` of
    it reaches ``theta_i`` for ``H0`` in ``[theta_i - xb s1^2 c_{i+1} - L s1, theta_i - xb s1^2 c_i + L s1]``
    (``L = half_width``), clipped to ``[lo, hi]``.  Empty when ``hi_i <= lo_i``.
    """
    theta = 0.5 * a * (levels[i] + levels[i + 1])
    shift = xb * s1 * s1
    flo = max(theta - shift * levels[i + 1] - half_width * s1, lo)
    fhi = min(theta - shift * levels[i] + half_width * s1, hi)
    return theta, flo, fhi


@njit(cache=True)
def feasible_1rsb(s, rho):
    """Is ``s = (m, q0, q1, chi1)`` a physical 1RSB state: finite, ``q0 >= 0``, ``q1 >= q0``,
    ``chi1 >= 0`` and ``m^2 <= rho q0`` (Cauchy-Schwarz, slack ``CS_RTOL``/``CS_ATOL``)?

    At ``beta = inf`` the third entry is ``Q`` (``= q1`` there).
    """
    m, q0, q1, chi1 = s[0], s[1], s[2], s[3]
    if not (math.isfinite(m) and math.isfinite(q0) and math.isfinite(q1) and math.isfinite(chi1)):
        return False
    return q0 >= 0.0 and q1 >= q0 and chi1 >= 0.0 and m * m <= rho * q0 * (1.0 + CS_RTOL) + CS_ATOL
