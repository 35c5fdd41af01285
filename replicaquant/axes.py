"""The one registry of parameter axes: what ``alpha``, ``width``, ``bits``, ... mean on a model.

Sweeps (:func:`replicaquant.sweep.sweep`), scans and root finding (:mod:`replicaquant.analysis`)
and the command line (``replicaquant phase-diagram``) set parameters of a
:class:`~replicaquant.model.Model` through :func:`with_param` / :func:`with_params` and read them
back with :func:`param_value`.  Every axis has one meaning for every quantizer family; where an
axis does not apply the error says so and names it.

========= ======= ================================================================================
axis      kind    meaning (set with ``with_param``, read with ``param_value``)
========= ======= ================================================================================
alpha     real    samples per dimension ``n/d`` (``Model.alpha``)
beta      real    inverse temperature (``inf`` allowed: the ground state)
T         real    temperature ``1/beta`` (``T = 0`` is ``beta = inf``); exclusive with ``beta``
lam       real    ridge penalty
noise_var real    label-noise variance
rho       real    teacher second moment: the teacher becomes ``GaussianTeacher(rho)`` (any
                  teacher, also a discrete one, is replaced)
width     real    the **outer level** ``max_k |c_k|`` (half-range) for every family:
                  ``UniformQuantizer`` / ``PowerQuantizer``: their ``width``;
                  ``LloydMaxQuantizer``: sets ``scale = width / c_max(bits, scale=1)``
                  (the levels stay MSE-optimal for ``N(0, scale^2)``);
                  ``Quantizer`` (any level set): all levels rescaled by ``width / max|c_k|``
bits      int     bits ``b`` (``2^b`` levels), other parameters kept: uniform/power keep
                  ``width`` (and ``gamma``), Lloyd-Max keeps ``scale`` (the source std, so its
                  outer level changes with ``b``); not defined for an arbitrary ``Quantizer``
gamma     real    shape of ``PowerQuantizer`` only (``UniformQuantizer`` is ``gamma = 1``:
                  construct a ``PowerQuantizer`` to vary it)
scale     real    Gaussian source std of ``LloydMaxQuantizer`` only
quantizer object  the level set itself (a quantizer object)
teacher   object  the teacher prior (``GaussianTeacher`` / ``DiscreteTeacher``)
========= ======= ================================================================================

Several changes at once (:func:`with_params`) are applied in registry order -- the quantizer and
teacher objects first, then the quantizer parameters in one construction, then ``rho``, then
the model fields -- so ``{"quantizer": q, "width": 2.0}`` sets the width *of q*.  ``beta`` with
``T``, and ``width`` with ``scale`` on a Lloyd-Max quantizer, are contradictory and refused.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from ._validation import check_int, check_real
from .model import Model
from .quantizers import (BaseQuantizer, LloydMaxQuantizer, PowerQuantizer, Quantizer,
                         UniformQuantizer)
from .teachers import DiscreteTeacher, GaussianTeacher

__all__ = ["Axis", "AXES", "REAL_AXES", "INT_AXES", "OBJECT_AXES", "with_param", "with_params",
           "param_value", "applies", "check_axis"]


@dataclass(frozen=True)
class Axis:
    """One parameter axis.

    Attributes
    ----------
    name : str
        The keyword (``sweep(model, width=...)``, ``with_param(model, "width", v)``).
    kind : {"real", "int", "object"}
        Real-valued axes can be continued with a predictor and root-found on; ``int`` (bits)
        and ``object`` axes are discrete.
    doc : str
        The meaning, for every quantizer family (the module table).
    """

    name: str
    kind: str
    doc: str

    @property
    def continuous(self) -> bool:
        """A real-valued parameter (predictor extrapolation and root finding make sense)."""
        return self.kind == "real"


_DOCS = {
    "bits": "bits b (2^b levels); uniform/power keep width (and gamma), Lloyd-Max keeps scale",
    "width": "outer level max|c_k| (half-range) for every family; Lloyd-Max: sets scale = "
             "width/c_max(bits, 1); Quantizer: rescales every level",
    "gamma": "shape of the PowerQuantizer levels width sign(u)|u|^gamma (power family only)",
    "scale": "Gaussian source std of the Lloyd-Max levels (LloydMaxQuantizer only)",
    "alpha": "samples per dimension n/d",
    "beta": "inverse temperature (inf: ground state)",
    "T": "temperature 1/beta (0: ground state)",
    "lam": "ridge penalty",
    "noise_var": "label noise variance",
    "rho": "teacher second moment; the teacher becomes GaussianTeacher(rho)",
    "quantizer": "the level set (quantizer object)",
    "teacher": "the teacher prior (GaussianTeacher or DiscreteTeacher object)",
}
_KINDS = {"bits": "int", "quantizer": "object", "teacher": "object"}

#: the registry, in application order of :func:`with_params` (and the CLI's axis order)
AXES = MappingProxyType({name: Axis(name, _KINDS.get(name, "real"), _DOCS[name])
                         for name in ("quantizer", "teacher", "bits", "width", "gamma", "scale",
                                      "alpha", "beta", "T", "lam", "noise_var", "rho")})
REAL_AXES = tuple(n for n, a in AXES.items() if a.kind == "real")
INT_AXES = tuple(n for n, a in AXES.items() if a.kind == "int")
OBJECT_AXES = tuple(n for n, a in AXES.items() if a.kind == "object")
_QUANT_AXES = ("bits", "width", "gamma", "scale")
_MODEL_FIELDS = ("alpha", "beta", "lam", "noise_var")
_MODEL_FIELD_SET = frozenset(_MODEL_FIELDS)


def check_axis(name, *, kinds=("real", "int", "object")) -> Axis:
    """The :class:`Axis` called ``name``; ``ValueError`` listing the allowed names otherwise."""
    axis = AXES.get(name) if isinstance(name, str) else None
    if axis is None or axis.kind not in kinds:
        allowed = [n for n, a in AXES.items() if a.kind in kinds]
        raise ValueError(f"axis must be one of {allowed}, got {name!r}")
    return axis


def _family(quant) -> str:
    return type(quant).__name__


def _not_applicable(axis: str, quant, hint: str = "") -> ValueError:
    return ValueError(f"{axis}: not a parameter of {_family(quant)}{hint}")


def applies(model: Model, axis: str) -> bool:
    """Whether ``axis`` is defined for ``model`` (its quantizer family)."""
    check_axis(axis)
    q = model.quantizer
    if axis == "bits":
        return not isinstance(q, Quantizer)
    if axis == "gamma":
        return isinstance(q, PowerQuantizer)
    if axis == "scale":
        return isinstance(q, LloydMaxQuantizer)
    return True


def _lloyd_unit_width(bits: int) -> float:
    return LloydMaxQuantizer(bits, 1.0).width


def _quantizer_with(quant: BaseQuantizer, changes: dict) -> BaseQuantizer:
    """``quant`` with the quantizer axes in ``changes`` applied in one construction."""
    if not changes:
        return quant
    for k in changes:
        if k == "gamma" and not isinstance(quant, PowerQuantizer):
            hint = " (UniformQuantizer is gamma = 1; use PowerQuantizer(bits, width, gamma))" \
                if isinstance(quant, UniformQuantizer) else ""
            raise _not_applicable("gamma", quant, hint)
        if k == "scale" and not isinstance(quant, LloydMaxQuantizer):
            raise _not_applicable("scale", quant, " (scale is the source std of LloydMaxQuantizer; "
                                                  "width sets the outer level of any family)")
    if "bits" in changes:
        bits = check_int("bits", changes["bits"], low=1)
    width = None
    if "width" in changes:
        width = check_real("width", changes["width"], low=0.0, low_inclusive=False)
    if isinstance(quant, Quantizer):
        if "bits" in changes:
            raise ValueError("bits: not defined for an arbitrary level set Quantizer (give a "
                             "quantizer axis of objects instead)")
        if width is None:
            return quant
        levels = quant.levels
        return Quantizer(levels * (width / float(np.max(np.abs(levels)))))
    if isinstance(quant, LloydMaxQuantizer):
        b = bits if "bits" in changes else quant.bits
        if width is not None and "scale" in changes:
            raise ValueError("width and scale both set the scale of a LloydMaxQuantizer; give one")
        if width is not None:
            scale = width / _lloyd_unit_width(b)
        else:
            scale = changes.get("scale", quant.scale)
        return LloydMaxQuantizer(b, scale)
    if isinstance(quant, (UniformQuantizer, PowerQuantizer)):
        params = {f.name.rstrip("_"): getattr(quant, f.name) for f in dataclasses.fields(quant)}
        params.update({k: v for k, v in changes.items() if k != "width"})
        if "bits" in changes:
            params["bits"] = bits
        if width is not None:
            params["width"] = width
        return type(quant)(**params)
    if changes:  # a user-defined family: its constructor decides (keyword names = axes)
        try:
            params = {f.name.rstrip("_"): getattr(quant, f.name) for f in dataclasses.fields(quant)}
            params.update(changes)
            return type(quant)(**params)
        except TypeError:
            raise _not_applicable(", ".join(changes), quant) from None
    return quant


def with_params(model: Model, changes: dict) -> Model:
    """``model`` with several axes set at once (module docstring: order and meanings).

    Parameters
    ----------
    model : Model
    changes : dict
        ``{axis name: value}``.

    Returns
    -------
    Model

    Raises
    ------
    ValueError
        Unknown axis, an axis not defined for the quantizer family, contradictory axes, or a
        value the model or quantizer rejects (the message names the parameter).
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    changes = dict(changes)
    if changes.keys() <= _MODEL_FIELD_SET:  # fast path (sweeps along alpha, beta, lam, noise_var)
        return dataclasses.replace(model, **changes) if changes else model
    for name in changes:
        check_axis(name)
    if "beta" in changes and "T" in changes:
        raise ValueError("beta and T (= 1/beta) cannot both be set")
    fields = {}
    quant = changes.get("quantizer", model.quantizer)
    if not isinstance(quant, BaseQuantizer):
        raise ValueError(f"quantizer: expected a quantizer object, got {type(quant).__name__}")
    q_changes = {k: changes[k] for k in _QUANT_AXES if k in changes}
    quant = _quantizer_with(quant, q_changes)
    if quant is not model.quantizer:
        fields["quantizer"] = quant
    if "teacher" in changes:
        teacher = changes["teacher"]
        if not isinstance(teacher, (GaussianTeacher, DiscreteTeacher)):
            raise ValueError(f"teacher: expected GaussianTeacher or DiscreteTeacher, got "
                             f"{type(teacher).__name__}")
        fields["teacher"] = teacher
    if "rho" in changes:
        fields["teacher"] = GaussianTeacher(changes["rho"])
    for k in _MODEL_FIELDS:
        if k in changes:
            fields[k] = changes[k]
    if "T" in changes:
        T = check_real("T", changes["T"], low=0.0)
        fields["beta"] = math.inf if T == 0.0 else 1.0 / T
    return dataclasses.replace(model, **fields) if fields else model


def with_param(model: Model, axis: str, value) -> Model:
    """``model`` with one axis set to ``value`` (see the module table for what it means).

    Equivalent to ``with_params(model, {axis: value})``; e.g. ``with_param(m, "width", 2.0)``
    puts the outer level at 2 for every quantizer family.
    """
    return with_params(model, {axis: value})


def param_value(model: Model, axis: str):
    """The value of ``axis`` on ``model``: the inverse of :func:`with_param`.

    ``with_param(m, axis, v)`` followed by ``param_value(..., axis)`` gives ``v`` back (to
    rounding for ``width`` on Lloyd-Max and ``Quantizer`` families, and ``T``).  Reals are
    ``float``, ``bits`` an ``int``, object axes the object.

    Raises
    ------
    ValueError
        The axis is not defined for the model's quantizer family.
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    check_axis(axis)
    q = model.quantizer
    if axis in _MODEL_FIELDS:
        return float(getattr(model, axis))
    if axis == "T":
        return 0.0 if math.isinf(model.beta) else 1.0 / float(model.beta)
    if axis == "rho":
        return float(model.rho)
    if axis == "quantizer":
        return q
    if axis == "teacher":
        return model.teacher
    if axis == "width":
        return float(np.max(np.abs(q.levels)))
    if not applies(model, axis):
        raise _not_applicable(axis, q)
    if axis == "bits":
        return int(q.bits)
    return float(getattr(q, axis))
