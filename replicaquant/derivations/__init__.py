"""Runnable symbolic derivations (sympy) behind the solvers.

* :mod:`replicaquant.derivations.rsb1_sympy` -- the 1RSB free energy, its saddle-point equations,
  reductions to RS, training error and ``df/dx`` (``python -m replicaquant.derivations.rsb1_sympy``).
* :mod:`replicaquant.derivations.rsb1_zero_sympy` -- the ``beta -> inf`` limit at fixed
  ``y = beta x`` (zero-temperature 1RSB).
* :mod:`replicaquant.derivations.rsb1_replicon` -- the two 1RSB replicons from a 2RSB embedding.

These modules import sympy lazily and are not imported by ``replicaquant`` itself.  The helpers
below are the shared command-line reporting of the three ``main()`` functions.
"""
from __future__ import annotations

from typing import Mapping

__all__ = ["print_equations", "report_checks"]


def print_equations(title: str, equations: Mapping, template: str = "  {k} = {v}") -> None:
    """Print ``title`` on a new paragraph, then one line ``template.format(k=name, v=expr)`` per equation."""
    print(f"\n{title}")
    for k, v in equations.items():
        print(template.format(k=k, v=v))


def report_checks(checks: Mapping[str, bool]) -> int:
    """Print every check as ``[ok]``/``[FAIL]`` and return the exit status (0 iff all hold)."""
    print("\nChecks:")
    for k, v in checks.items():
        print(f"  [{'ok' if v else 'FAIL'}] {k}")
    return 0 if all(checks.values()) else 1
