"""Runnable symbolic derivations (sympy) behind the solvers.

* :mod:`replicaquant.derivations.rsb1_sympy` -- the 1RSB free energy, its saddle-point equations,
  reductions to RS, training error and ``df/dx`` (``python -m replicaquant.derivations.rsb1_sympy``).

These modules import sympy lazily and are not imported by ``replicaquant`` itself.
"""
