"""Exceptions and warnings of replicaquant, in one place.

* :class:`ConvergenceError` -- a solver called with ``strict=True`` did not converge
  (``.result`` holds its last, non-converged result).
* :class:`CheckpointError` / :class:`CheckpointWarning` -- a sweep checkpoint directory that
  cannot be used / a damaged chunk that is recomputed.
* :class:`ResourceError` -- a requested computation exceeds a memory or time budget and is
  refused before it starts (a ``ValueError``: the parameters asked for are the problem).

Solvers report non-convergence through :func:`replicaquant.convergence.finalize`.
"""
from __future__ import annotations

__all__ = ["CheckpointError", "CheckpointWarning", "ConvergenceError", "ResourceError"]


class ConvergenceError(RuntimeError):
    """Raised by solvers with ``strict=True`` when they do not converge; ``.result`` holds the last iterate."""

    def __init__(self, message: str, result=None):
        super().__init__(message)
        self.result = result


class CheckpointError(RuntimeError):
    """A checkpoint directory that cannot be used (another sweep's, or an unreadable manifest)."""


class CheckpointWarning(RuntimeWarning):
    """A checkpoint chunk was missing, truncated or corrupt; its lines are recomputed."""


class ResourceError(ValueError):
    """A computation refused before it starts because it would exceed a memory or time budget.

    The message names the parameter(s) responsible and the budget.
    """
