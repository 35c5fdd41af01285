"""The teacher-student problem: quantizer, sample ratio, temperature, ridge, noise, teacher."""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from ._validation import MAX_SQUARE, check_real
from .quantizers import BaseQuantizer, UniformQuantizer
from .teachers import DiscreteTeacher, GaussianTeacher

#: smallest accepted inverse temperature: ``1/beta`` (in ``phi = ln Z/beta``) stays below 1e300
_MIN_BETA = 1.0 / MAX_SQUARE


@dataclass(frozen=True)
class Model:
    """Quantized teacher-student regression (see docs/theory.md).

    Energy ``H(w) = 1/2 sum_mu (y_mu - w.x_mu/sqrt(d))**2 + lam/2 |w|**2`` on ``C**d``, Gibbs
    measure ``exp(-beta H)``; labels ``y = w0.x/sqrt(d) + sqrt(noise_var) xi``.

    Parameters
    ----------
    quantizer : BaseQuantizer
        The student's level set ``C``.
    alpha : float
        Samples per dimension ``n/d`` (> 0).
    beta : float
        Inverse temperature (>= 1e-300); ``np.inf`` gives the quantized least-squares ground state.
        Past ``beta dc sig ~ 1e5`` the solvers use the large-beta expansion (docs/ranges.md).
    lam : float
        Ridge penalty (>= 0). Default 0.
    noise_var : float
        Label noise variance (>= 0). Default 0.
    teacher : GaussianTeacher or DiscreteTeacher
        Teacher prior, default ``GaussianTeacher(rho=1)``.
    """

    quantizer: BaseQuantizer
    alpha: float
    beta: float
    lam: float = 0.0
    noise_var: float = 0.0
    teacher: GaussianTeacher | DiscreteTeacher = dataclasses.field(default_factory=GaussianTeacher)

    def __post_init__(self):
        if not isinstance(self.quantizer, BaseQuantizer):
            raise ValueError(f"quantizer must be a replicaquant quantizer, got {type(self.quantizer).__name__}")
        if not isinstance(self.teacher, (GaussianTeacher, DiscreteTeacher)):
            raise ValueError(f"teacher must be GaussianTeacher or DiscreteTeacher, got {type(self.teacher).__name__}")
        object.__setattr__(self, "alpha", check_real("alpha", self.alpha, low=0.0, low_inclusive=False))
        object.__setattr__(self, "beta", check_real("beta", self.beta, low=_MIN_BETA, allow_inf=True))
        object.__setattr__(self, "lam", check_real("lam", self.lam, low=0.0))
        object.__setattr__(self, "noise_var", check_real("noise_var", self.noise_var, low=0.0))
        self._check_scales()

    def _check_scales(self) -> None:
        """Products of the scales that the solvers form must stay below ``MAX_SQUARE``.

        ``lam c^2`` (prior side), ``alpha (rho + c^2 + noise_var)`` (``qhat``), ``alpha^2 rho``
        (``mhat^2 rho``, the variance of the field) and, at finite ``beta``,
        ``alpha (beta c^2)^2`` (``beta Var <= beta c^2``: the AT value
        ``alpha E[(beta Var)^2]/(1 + chi)^2``).  Beyond the last one use ``beta = inf``: the
        finite-beta corrections are then of relative size ``1/(beta c^2) < 1e-150`` wherever
        ``chi`` stays O(1).  See docs/ranges.md.
        """
        c2 = float(np.max(self.quantizer.levels ** 2))
        rho = float(self.teacher.rho)
        checks = [
            ("lam", self.lam * c2, "lam * max(levels^2)", ""),
            ("alpha", self.alpha * (rho + c2 + self.noise_var),
             "alpha * (rho + max(levels^2) + noise_var)", ""),
            ("alpha", self.alpha * self.alpha * rho, "alpha^2 * rho", ""),
        ]
        if math.isfinite(self.beta):
            bc2 = self.beta * c2
            checks.append(("beta", self.alpha * bc2 * bc2, "alpha * (beta * max(levels^2))^2",
                           "; the finite-beta corrections are below double precision there: use "
                           "beta=inf"))
        for name, value, what, hint in checks:
            if not value <= MAX_SQUARE:
                raise ValueError(f"{name} too large for the other scales: {what} = {value:.3g} exceeds "
                                 f"{MAX_SQUARE:g} (double precision overflow){hint}; see docs/ranges.md")

    @property
    def levels(self) -> np.ndarray:
        return self.quantizer.levels

    @property
    def rho(self) -> float:
        """Teacher second moment ``E[w0**2]``."""
        return self.teacher.rho

    def replace(self, **changes) -> "Model":
        """A copy with some fields changed.

        Besides the fields, ``bits`` and ``width`` rebuild a uniform/power/Lloyd quantizer with
        that parameter changed, and ``rho`` rebuilds a Gaussian teacher.
        """
        q_changes = {k: changes.pop(k) for k in ("bits", "width", "gamma", "scale") if k in changes}
        if q_changes:
            quant = changes.get("quantizer", self.quantizer)
            params = {f.name.rstrip("_"): getattr(quant, f.name) for f in dataclasses.fields(quant)}
            if "levels" in params:
                raise ValueError("bits/width cannot be changed on an arbitrary level set Quantizer")
            params.update(q_changes)
            changes["quantizer"] = type(quant)(**params)
        if "rho" in changes:
            changes["teacher"] = GaussianTeacher(changes.pop("rho"))
        return dataclasses.replace(self, **changes)

    @classmethod
    def uniform(cls, bits: int, width: float, **kwargs) -> "Model":
        """Shortcut: ``Model(UniformQuantizer(bits, width), **kwargs)``."""
        return cls(quantizer=UniformQuantizer(bits, width), **kwargs)
