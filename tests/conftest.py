"""Shared pytest fixtures (fixtures only: no hooks, no global settings)."""
from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A fresh, seeded generator for each test (no global RNG state)."""
    return np.random.default_rng(20240131)


@pytest.fixture
def spec_model():
    """Factory for the reference point of docs/theory.md: uniform levels, rho = 1, noise_var = 0.1,
    lam = 1e-3, alpha = 2, beta = 5; keyword arguments override (``Model.replace``)."""
    from replicaquant.model import Model
    from replicaquant.quantizers import UniformQuantizer

    def make(bits: int = 2, width: float = 1.5, **changes):
        model = Model(UniformQuantizer(bits, width), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
        return model.replace(**changes) if changes else model

    return make
