"""The teacher-student problem: quantizer, sample ratio, temperature, ridge, noise, teacher."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ._validation import check_real
from .quantizers import BaseQuantizer, UniformQuantizer
from .teachers import DiscreteTeacher, GaussianTeacher


@dataclass(frozen=True)
class Model:
    """Quantized teacher-student regression (SPEC §1).

    Energy ``H(w) = 1/2 sum_mu (y_mu - w.x_mu/sqrt(d))**2 + lam/2 |w|**2`` on ``C**d``, Gibbs
    measure ``exp(-beta H)``; labels ``y = w0.x/sqrt(d) + sqrt(noise_var) xi``.

    Parameters
    ----------
    quantizer : BaseQuantizer
        The student's level set ``C``.
    alpha : float
        Samples per dimension ``n/d`` (> 0).
    beta : float
        Inverse temperature (> 0); ``np.inf`` gives the quantized least-squares ground state.
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
        object.__setattr__(self, "beta", check_real("beta", self.beta, low=0.0, low_inclusive=False,
                                                    allow_inf=True))
        object.__setattr__(self, "lam", check_real("lam", self.lam, low=0.0))
        object.__setattr__(self, "noise_var", check_real("noise_var", self.noise_var, low=0.0))

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
