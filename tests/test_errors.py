"""The exceptions live in ``replicaquant.errors`` and are re-exported under their old homes."""
from __future__ import annotations

import replicaquant as rq
from replicaquant import errors, rs


def test_old_import_paths_are_the_same_classes():
    import replicaquant.sweep as sweep_mod

    assert rs.ConvergenceError is errors.ConvergenceError is rq.ConvergenceError
    assert sweep_mod.CheckpointError is errors.CheckpointError is rq.CheckpointError
    assert sweep_mod.CheckpointWarning is errors.CheckpointWarning is rq.CheckpointWarning
    assert rq.ResourceError is errors.ResourceError


def test_hierarchy_and_result_attribute():
    assert issubclass(errors.ConvergenceError, RuntimeError)
    assert issubclass(errors.CheckpointError, RuntimeError)
    assert issubclass(errors.CheckpointWarning, RuntimeWarning)
    # a budget refusal is a bad-parameter error: callers catching ValueError see it
    assert issubclass(errors.ResourceError, ValueError)
    exc = errors.ConvergenceError("no luck", result=42)
    assert exc.result == 42 and str(exc) == "no luck"
    assert errors.ConvergenceError("x").result is None
