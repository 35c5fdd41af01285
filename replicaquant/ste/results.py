"""Result objects of the STE dynamics: simulation, deterministic limit, fixed point, plateau."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .problem import STEProblem


@dataclass(frozen=True)
class SimulationResult:
    """Finite-``d`` STE SGD runs (one row per seed).

    Attributes
    ----------
    problem, d, seed
        What was run (runs use ``SeedSequence(seed).spawn(n_seeds)``).
    tau : ndarray (n_t,)
        Record times ``t/d`` (exact step counts divided by ``d``).
    gen_error, m, q : ndarray (n_seeds, n_t)
        ``eps_g = (|w0|^2 - 2 k1 w0.Q(u) + k2 |Q(u)|^2)/d`` (exact test error of the current
        weights, noise excluded), ``m = w0.Q(u)/d``, ``q = |Q(u)|^2/d``.
    density_times : ndarray (n_dt,)
        Times at which the empirical density of ``u`` given ``w0`` was recorded.
    density_w0 : ndarray (n_w,)
        Conditioning values; coordinates with ``|w0_i - v| <= density_window`` are used.
    bin_edges : ndarray (n_bins + 1,)
    density : ndarray (n_seeds, n_w, n_dt, n_bins)
        Histogram of ``u_i`` normalised by the number of conditioned coordinates and the bin
        width (mass outside the bins is in ``outside``).
    n_conditioned : ndarray (n_seeds, n_w)
    outside : ndarray (n_seeds, n_w, n_dt)
        Fraction of conditioned coordinates outside ``bin_edges``.
    """

    problem: STEProblem
    d: int
    seed: int
    tau: np.ndarray
    gen_error: np.ndarray
    m: np.ndarray
    q: np.ndarray
    density_times: np.ndarray
    density_w0: np.ndarray
    density_window: float
    bin_edges: np.ndarray
    density: np.ndarray
    n_conditioned: np.ndarray
    outside: np.ndarray
    elapsed: float = 0.0

    @property
    def n_seeds(self) -> int:
        """Number of independent runs."""
        return int(self.gen_error.shape[0])

    @property
    def gen_error_mean(self) -> np.ndarray:
        """Seed average of ``gen_error``."""
        return self.gen_error.mean(axis=0)

    @property
    def gen_error_sem(self) -> np.ndarray:
        """Standard error of the seed average (zeros for a single seed)."""
        n = self.gen_error.shape[0]
        if n < 2:
            return np.zeros(self.gen_error.shape[1])
        return self.gen_error.std(axis=0, ddof=1) / np.sqrt(n)

    @property
    def density_pooled(self) -> np.ndarray:
        """Density pooled over seeds (weighted by conditioned counts), shape ``(n_w, n_dt, n_bins)``."""
        w = self.n_conditioned.astype(float)[:, :, None, None]
        tot = np.maximum(w.sum(axis=0), 1.0)
        return (self.density * w).sum(axis=0) / tot

    @property
    def bin_centers(self) -> np.ndarray:
        """Midpoints of the histogram bins."""
        return 0.5 * (self.bin_edges[1:] + self.bin_edges[:-1])

    def __repr__(self) -> str:
        return (f"SimulationResult(d={self.d}, seeds={self.n_seeds}, tau=[0..{self.tau[-1]:g}] "
                f"({self.tau.size} records), final gen_error={self.gen_error_mean[-1]:.5g})")


@dataclass(frozen=True)
class LimitResult:
    """Deterministic ``d -> inf`` limit on a time grid.

    Attributes
    ----------
    method : str
        ``"pde"`` (nonlinear Fokker-Planck, finite volume), ``"ode"`` (small-noise limit, exact
        characteristics) or ``"closed_form"`` (unquantized weights).
    tau, gen_error, m, q : ndarray (n_t,)
        Time grid and ``eps_g = rho - 2 k1 m + k2 q``, ``m = E[w0 Q(u)]``, ``q = E[Q(u)^2]``.
    mass : ndarray (n_t,)
        Total probability (density on the grid + boundary reservoirs) -- 1 up to rounding.
    outflow : ndarray (n_t,)
        Probability in the boundary reservoirs (absorbed at ``±clip`` for the clipped STE, left
        the domain for the identity STE), excluding mass frozen outside ``±clip`` from the start.
    density_times, density_w0, bin_edges, density
        Conditional density of ``u`` given ``w0`` (bin averages; atoms of the ODE limit are put
        in their bin), shape ``(n_w, n_dt, n_bins)``.
    info : dict
        Discretisation details (grid size, time step, teacher nodes).
    """

    problem: STEProblem
    method: str
    tau: np.ndarray
    gen_error: np.ndarray
    m: np.ndarray
    q: np.ndarray
    mass: np.ndarray
    outflow: np.ndarray
    density_times: np.ndarray
    density_w0: np.ndarray
    density_window: float
    bin_edges: np.ndarray
    density: np.ndarray
    info: dict = field(default_factory=dict)

    @property
    def bin_centers(self) -> np.ndarray:
        """Midpoints of the density bins."""
        return 0.5 * (self.bin_edges[1:] + self.bin_edges[:-1])

    def at(self, tau) -> np.ndarray:
        """``gen_error`` linearly interpolated at the given times."""
        return np.interp(np.asarray(tau, dtype=float), self.tau, self.gen_error)

    def __repr__(self) -> str:
        return (f"LimitResult(method={self.method!r}, tau=[0..{self.tau[-1]:g}] ({self.tau.size} points), "
                f"final gen_error={self.gen_error[-1]:.6g}, mass drift={np.max(np.abs(self.mass - 1)):.1e})")


@dataclass(frozen=True)
class STEFixedPoint:
    """Asymptotic state of STE training and its deviation from the unquantized model.

    Attributes
    ----------
    gen_error : float
        ``eps*`` of the quantized model (the stable branch with the lowest error when several).
    gen_error_unquantized : float
        Same learning rate, noise and input quantizer, unquantized weights:
        ``(2 eps_lin + eta k2 noise_var)/(2 - eta k2)`` (``inf`` if ``eta k2 >= 2``).
    deviation : float
        ``gen_error - gen_error_unquantized``.
    method : str
        ``"ode"`` (``eta -> 0``: sliding-mode mixture at the attracting threshold) or
        ``"stationary"`` (finite-``eta`` self-consistent stationary density, identity STE).
    branches : tuple of (eps, stable)
        All self-consistent solutions found (``stationary`` only).
    frozen_fraction : float
        Clipped STE: probability that ``|u(0)| > clip`` (weights that never move).
    """

    problem: STEProblem
    method: str
    gen_error: float
    gen_error_unquantized: float
    deviation: float
    m: float
    q: float
    branches: tuple = ()
    frozen_fraction: float = 0.0

    def __repr__(self) -> str:
        return (f"STEFixedPoint(method={self.method!r}, gen_error={self.gen_error:.6g}, "
                f"unquantized={self.gen_error_unquantized:.6g}, deviation={self.deviation:.6g})")
