"""replicaquant: replica theory, AMP and Monte Carlo for regression with quantized weights.

Quick start::

    import replicaquant as rq
    model = rq.Model(rq.UniformQuantizer(bits=2, width=1.5), alpha=2.0, beta=5.0,
                     lam=1e-3, noise_var=0.1)
    sol = rq.solve_rs(model)
    sol.gen_error, sol.at, sol.rs_stable
"""
from .kernels import site_moments_array
from .model import Model
from .quantizers import (BaseQuantizer, LloydMaxQuantizer, PowerQuantizer, Quantizer,
                         UniformQuantizer, lloyd_max_gaussian)
from .ridge import ridge_rs
from .rs import ConvergenceError, RSSolution, solve_rs
from .teachers import DiscreteTeacher, GaussianTeacher

__version__ = "0.1.0"

__all__ = [
    "BaseQuantizer", "ConvergenceError", "DiscreteTeacher", "GaussianTeacher", "LloydMaxQuantizer",
    "Model", "PowerQuantizer", "Quantizer", "RSSolution", "UniformQuantizer", "lloyd_max_gaussian",
    "ridge_rs", "site_moments_array", "solve_rs", "__version__",
]
