"""replicaquant: replica theory, AMP and Monte Carlo for regression with quantized weights.

Quick start::

    import replicaquant as rq
    model = rq.Model(rq.UniformQuantizer(bits=2, width=1.5), alpha=2.0, beta=5.0,
                     lam=1e-3, noise_var=0.1)
    sol = rq.solve_rs(model)
    sol.gen_error, sol.at, sol.rs_stable

Heavy optional parts are imported on first use: ``rq.sweep`` / ``rq.load_sweep`` (xarray),
``rq.figures`` (matplotlib), ``rq.ste`` (STE training dynamics), ``rq.symbolic`` (sympy).

Compiled kernels are cached on disk in ``rq.NUMBA_CACHE_DIR`` (``NUMBA_CACHE_DIR`` if set, else
``~/.cache/replicaquant/numba``, else a folder in the temporary directory), never inside the
installed package.
"""
from __future__ import annotations

import importlib

# Numba's on-disk cache goes to a per-user directory, never into the installed package (a
# leftover site-packages/replicaquant/__pycache__ shadows a later editable install); this must
# run before any submodule applies @njit(cache=True).  See replicaquant/_numba_cache.py.
from . import _numba_cache

NUMBA_CACHE_DIR = _numba_cache.configure()

from .amp import AMPHistory, AMPResult, amp
from .analysis import (ATLine, DoubleDescentPeak, InterpolationThreshold, OptimalWidth, at_line,
                       at_line_curve, at_slope, double_descent_peak, interpolation_threshold,
                       optimal_width, scan)
from .data import make_data
from .errors import CheckpointError, CheckpointWarning, ConvergenceError, ResourceError
from .groundstate import (AnnealedGroundState, GroundState, GroundStateScan, anneal_ground_state,
                          exact_ground_state, ground_state_scan)
from .kernels import denoise, sample_level, site_moments, site_moments_array
from .model import Model
from .montecarlo import MCResult, monte_carlo, monte_carlo_instance, theory_observables
from .quantizers import (BaseQuantizer, LloydMaxQuantizer, PowerQuantizer, Quantizer,
                         UniformQuantizer, lloyd_max_gaussian, midtread_quantizer)
from .phase import PhaseReport, phase, phase_fields
from .ridge import RidgeResult, ridge_rs
from .rs import RSMap, RSSolution, solve_rs
from .rsb import RSB1Solution, solve_1rsb
from .rsb_zero import RSB1ZeroSolution, solve_1rsb_zero
from .state_evolution import SEResult, state_evolution
from .teachers import DiscreteTeacher, GaussianTeacher
from .transitions import TransitionLines, TransitionPoint, transition_lines

__version__ = "0.1.0"

_LAZY = {
    "sweep": ("replicaquant.sweep", "sweep"),
    "load_sweep": ("replicaquant.sweep", "load_sweep"),
    "make_figures": ("replicaquant.figures", "make_figures"),
    "available_figures": ("replicaquant.figures", "available_figures"),
    "figures": ("replicaquant.figures", None),
    "ste": ("replicaquant.ste", None),
    "symbolic": ("replicaquant.symbolic", None),
}


def __getattr__(name):
    if name in _LAZY:
        mod_name, attr = _LAZY[name]
        mod = importlib.import_module(mod_name)
        value = mod if attr is None else getattr(mod, attr)
        # importing ``replicaquant.sweep`` binds the *module* to the package attribute ``sweep``;
        # rebind the public name so that later look-ups return the function
        globals()[name] = value
        return value
    raise AttributeError(f"module 'replicaquant' has no attribute {name!r}")


__all__ = [
    "AMPHistory", "AMPResult", "AnnealedGroundState", "GroundState", "GroundStateScan",
    "anneal_ground_state", "exact_ground_state", "ground_state_scan", "ATLine", "BaseQuantizer", "CheckpointError", "CheckpointWarning",
    "ConvergenceError", "DiscreteTeacher", "DoubleDescentPeak", "GaussianTeacher",
    "InterpolationThreshold", "LloydMaxQuantizer", "MCResult", "Model", "OptimalWidth", "PhaseReport",
    "PowerQuantizer", "Quantizer", "RSB1Solution", "RSB1ZeroSolution", "RSMap", "RSSolution", "ResourceError", "RidgeResult", "SEResult",
    "UniformQuantizer", "amp", "at_line", "at_line_curve", "at_slope", "available_figures", "denoise",
    "double_descent_peak", "interpolation_threshold", "load_sweep", "lloyd_max_gaussian",
    "make_data", "make_figures", "midtread_quantizer", "monte_carlo", "monte_carlo_instance", "optimal_width",
    "phase", "phase_fields", "TransitionLines", "TransitionPoint", "transition_lines",
    "ridge_rs", "sample_level", "scan", "site_moments", "site_moments_array", "solve_1rsb", "solve_1rsb_zero",
    "solve_rs", "state_evolution", "sweep", "theory_observables", "__version__",
]
