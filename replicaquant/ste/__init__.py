"""Online STE training dynamics of quantized linear regression in the high-dimensional limit.

Setting of Ichikawa, Kashiwamura, Sakata (arXiv:2510.10693), derived and documented in
``docs/ste.md``: latent weights ``u``, forward pass with ``Q(u)`` (and optionally quantized
inputs ``Q_x(x)``), straight-through backward pass (identity or clipped), one-pass SGD with
step ``eta`` and the ``1/sqrt(d)`` in the model, time ``tau = t/d``.

* :func:`simulate` -- finite-``d`` SGD (Numba, seeded): errors and conditional densities.
* :func:`limit` -- the ``d -> inf`` limit: nonlinear Fokker-Planck PDE (finite volume), the
  small-noise ODE (exact characteristics) or the closed form for unquantized weights.
* :func:`fixed_point`, :func:`plateau_length`, :func:`dead_zone_plateau` -- asymptotic
  error and its deviation from unquantized SGD; plateau lengths.

Example::

    from replicaquant.quantizers import UniformQuantizer
    from replicaquant.ste import STEProblem, simulate, limit
    prob = STEProblem(UniformQuantizer(bits=2, width=1.5), eta=0.5)
    th = limit(prob, tau=10.0)
    sim = simulate(prob, d=2000, tau=10.0, n_seeds=2)
"""
from .analysis import (dead_zone_plateau, fixed_point, plateau_length, sliding_moments,
                       stationary_moments)
from .limit import limit, sgd_learning_curve, teacher_nodes
from ..quantizers import midtread_quantizer
from .problem import STEProblem, input_moments
from .results import LimitResult, SimulationResult, STEFixedPoint
from .simulate import simulate

__all__ = [
    "LimitResult", "STEFixedPoint", "STEProblem", "SimulationResult", "dead_zone_plateau",
    "fixed_point", "input_moments", "limit", "midtread_quantizer", "plateau_length",
    "sgd_learning_curve", "simulate", "sliding_moments", "stationary_moments", "teacher_nodes",
]
