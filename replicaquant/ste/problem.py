"""The online STE learning problem: quantizers, STE variant, learning rate, noise, teacher, init.

One SGD step (``t = 0, 1, ...``; time ``tau = t/d``) on a fresh sample::

    x ~ N(0, I_d),   xq = Q_x(x) (or x),   y = w0.x/sqrt(d) + sqrt(noise_var) xi
    e = y - Q(u).xq/sqrt(d)
    u <- u + eta e g(u) * xq / sqrt(d)          (g = 1, or 1{|u| <= clip} for the clipped STE)

i.e. plain SGD on ``e**2/2`` with step ``eta`` and the ``1/sqrt(d)`` inside the model, where the
backward pass replaces ``dQ/du`` by ``g(u)``.  In the limit ``d -> inf`` each coordinate obeys

    du = eta g(u) [ (k1 w0 - k2 Q(u)) dtau + sqrt(k2 (eps_g(tau) + noise_var)) dB ]

with ``k1 = E[x Q_x(x)]``, ``k2 = E[Q_x(x)**2]`` (``k1 = k2 = 1`` without input quantization) and
the generalisation error ``eps_g = rho - 2 k1 m + k2 q``, ``m = E[w0 Q(u)]``, ``q = E[Q(u)**2]``.
See ``docs/ste.md`` for the derivation.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._validation import check_real
from ..quadrature import cell_moments
from ..quantizers import BaseQuantizer, Quantizer
from ..teachers import DiscreteTeacher, GaussianTeacher

STE_KINDS = ("identity", "clipped")


def input_moments(quantizer: BaseQuantizer | None) -> tuple[float, float]:
    """``(k1, k2) = (E[x Q_x(x)], E[Q_x(x)**2])`` for ``x ~ N(0, 1)``; ``(1, 1)`` for ``None``.

    Closed form over the cells ``[t_{k-1}, t_k)`` of nearest-level rounding
    (:func:`replicaquant.quadrature.cell_moments`):
    ``k1 = sum_k c_k (pdf(t_{k-1}) - pdf(t_k))``, ``k2 = sum_k c_k**2 (Phi(t_k) - Phi(t_{k-1}))``.
    """
    if quantizer is None:
        return 1.0, 1.0
    c = quantizer.levels
    t = np.concatenate(([-np.inf], quantizer.thresholds, [np.inf]))
    mass, first, _ = cell_moments(t, 0.0, 1.0)
    k1 = float(np.sum(c * first))
    k2 = float(np.sum(c * c * mass))
    return k1, k2


@dataclass(frozen=True)
class STEProblem:
    """Online STE training of a quantized linear student (teacher-student, see docs/theory.md).

    Parameters
    ----------
    quantizer : BaseQuantizer or None
        Weight quantizer ``Q`` used in the forward pass; ``None`` means unquantized weights
        (``Q`` = identity, plain online SGD).
    eta : float
        Learning rate (> 0); the step is ``eta e g(u) xq/sqrt(d)``, time ``tau = t/d``.
        For unquantized weights ``eta k2 < 2`` is required (otherwise SGD diverges).
    ste : {"identity", "clipped"}
        Backward pass: ``g = 1``, or ``g = 1{|u| <= clip}`` (zero gradient outside the range).
    clip : float or None
        Clipping range of the clipped STE; default ``max |level|`` (``= width`` for the uniform
        quantizer).  Required for ``ste="clipped"`` with ``quantizer=None``.
    input_quantizer : BaseQuantizer or None
        Input quantizer ``Q_x`` applied coordinate-wise to the student's inputs (the teacher's
        label uses the real ``x``).  Must be symmetric (``levels == -levels[::-1]``) so that
        ``E[Q_x(x)] = 0``.
    noise_var : float
        Label noise variance (>= 0).
    teacher : GaussianTeacher or DiscreteTeacher
        Distribution of ``w0_i`` (default ``N(0, 1)``).
    init_std : float
        Initial latent weights ``u_i(0) ~ N(0, init_std**2)`` i.i.d., independent of ``w0`` (> 0).
    """

    quantizer: BaseQuantizer | None
    eta: float = 0.5
    ste: str = "identity"
    clip: float | None = None
    input_quantizer: BaseQuantizer | None = None
    noise_var: float = 0.0
    teacher: GaussianTeacher | DiscreteTeacher = field(default_factory=GaussianTeacher)
    init_std: float = 1.0

    def __post_init__(self):
        if self.quantizer is not None and not isinstance(self.quantizer, BaseQuantizer):
            raise ValueError(f"quantizer must be a replicaquant quantizer or None, got {type(self.quantizer).__name__}")
        if self.input_quantizer is not None:
            if not isinstance(self.input_quantizer, BaseQuantizer):
                raise ValueError("input_quantizer must be a replicaquant quantizer or None, "
                                 f"got {type(self.input_quantizer).__name__}")
            lv = self.input_quantizer.levels
            if not np.allclose(lv, -lv[::-1], rtol=0.0, atol=1e-12 * max(1.0, np.abs(lv).max())):
                raise ValueError("input_quantizer must be symmetric (levels == -levels[::-1]) so that "
                                 "E[Q_x(x)] = 0; an asymmetric one couples all weights through their mean")
        if not isinstance(self.teacher, (GaussianTeacher, DiscreteTeacher)):
            raise ValueError(f"teacher must be GaussianTeacher or DiscreteTeacher, got {type(self.teacher).__name__}")
        if self.ste not in STE_KINDS:
            raise ValueError(f"ste must be one of {STE_KINDS}, got {self.ste!r}")
        object.__setattr__(self, "eta", check_real("eta", self.eta, low=0.0, low_inclusive=False))
        object.__setattr__(self, "noise_var", check_real("noise_var", self.noise_var, low=0.0))
        object.__setattr__(self, "init_std", check_real("init_std", self.init_std, low=0.0, low_inclusive=False))
        if self.clip is not None:
            object.__setattr__(self, "clip", check_real("clip", self.clip, low=0.0, low_inclusive=False))
        elif self.ste == "clipped":
            if self.quantizer is None:
                raise ValueError("clip must be given for ste='clipped' with unquantized weights")
        k1, k2 = input_moments(self.input_quantizer)
        if k2 <= 0.0:
            raise ValueError("input_quantizer maps every input to zero (E[Q_x(x)^2] = 0)")
        if self.quantizer is None and self.eta * k2 >= 2.0:
            raise ValueError(f"eta must be < 2/k2 = {2.0 / k2:.6g} for unquantized weights "
                             f"(online SGD diverges), got {self.eta}")

    # ---------------------------------------------------------------- derived quantities
    @property
    def kappa(self) -> tuple[float, float]:
        """``(k1, k2) = (E[x Q_x(x)], E[Q_x(x)**2])``."""
        return input_moments(self.input_quantizer)

    @property
    def rho(self) -> float:
        """Teacher second moment ``E[w0**2]``."""
        return float(self.teacher.rho)

    @property
    def target_factor(self) -> float:
        """``k1/k2``: the drift vanishes at ``Q(u) = w* = (k1/k2) w0``."""
        k1, k2 = self.kappa
        return k1 / k2

    @property
    def eps_lin(self) -> float:
        """Irreducible error of the best linear student on quantized inputs, ``rho (1 - k1**2/k2)``."""
        k1, k2 = self.kappa
        return self.rho * (1.0 - k1 * k1 / k2)

    @property
    def clip_range(self) -> float:
        """Clipping range of the clipped STE (``inf`` for the identity STE)."""
        if self.ste == "identity":
            return math.inf
        if self.clip is not None:
            return float(self.clip)
        return float(np.abs(self.quantizer.levels).max())

    @property
    def levels(self) -> np.ndarray | None:
        """Weight levels (``None`` for unquantized weights)."""
        return None if self.quantizer is None else self.quantizer.levels

    def quantize(self, u) -> np.ndarray:
        """Forward-pass weights ``Q(u)`` (identity when ``quantizer is None``)."""
        u = np.asarray(u, dtype=float)
        return u.copy() if self.quantizer is None else self.quantizer.quantize(u)

    def replace(self, **changes) -> "STEProblem":
        """A copy with some fields changed (``bits``/``width`` rebuild a uniform-family quantizer)."""
        import dataclasses
        q_changes = {k: changes.pop(k) for k in ("bits", "width") if k in changes}
        if q_changes:
            quant = changes.get("quantizer", self.quantizer)
            if quant is None or isinstance(quant, Quantizer):
                raise ValueError("bits/width cannot be changed on an arbitrary level set or None")
            params = {f.name.rstrip("_"): getattr(quant, f.name) for f in dataclasses.fields(quant)}
            params.update(q_changes)
            changes["quantizer"] = type(quant)(**params)
        return dataclasses.replace(self, **changes)

    def describe(self) -> str:
        """One-line description."""
        qx = "none" if self.input_quantizer is None else repr(self.input_quantizer)
        clip = "" if self.ste == "identity" else f", clip={self.clip_range:g}"
        return (f"STEProblem(quantizer={self.quantizer!r}, eta={self.eta:g}, ste={self.ste}{clip}, "
                f"input_quantizer={qx}, noise_var={self.noise_var:g}, teacher={self.teacher!r}, "
                f"init_std={self.init_std:g})")
