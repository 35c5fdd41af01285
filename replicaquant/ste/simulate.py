"""Finite-``d`` online STE SGD (Numba), seeded, recording errors and conditional densities.

Step (see :mod:`replicaquant.ste.problem`)::

    x ~ N(0, I_d), xq = Q_x(x), e = (w0.x - Q(u).xq)/sqrt(d) + sqrt(noise_var) xi
    u_i <- u_i + eta e g(u_i) xq_i / sqrt(d)

``Q(u)`` is kept up to date incrementally (a coordinate moves by ``O(1/sqrt(d))`` per step, so
its cell index changes by at most one or two): the quantizer is applied exactly as
``quantizer.quantize`` (ties to the upper level), not re-implemented.
"""
from __future__ import annotations

import math
import time

import numpy as np
from numba import njit

from .._validation import check_int, check_memory, check_real, check_vector, check_work
from ..teachers import DiscreteTeacher
from .problem import STEProblem
from .results import SimulationResult


@njit(cache=True)
def _cell_index(thr, x):
    """``searchsorted(thr, x, side='right')``: index of the level ``quantize`` returns."""
    return np.searchsorted(thr, x, side="right")


@njit(cache=True)
def _sgd_kernel(rng, w0, u, levels, thr, quantized, xlev, xthr, xquant, eta, noise_sd,
                clipped, clip, k1, k2, n_steps, rec_steps, dens_steps, cond_idx, cond_ptr, edges,
                err_out, m_out, q_out, hist_out, outside_out, t_start=0, t_stop=-1, ri=0, di=0):
    # steps t_start .. t_stop (default: to n_steps) of one run; the caller runs chunks of steps
    # and returns to Python between them so that signals (Ctrl-C, SIGALRM) are honoured.  The
    # state is u (w and the cells are recomputed from it), rng, and the record cursors ri, di.
    if t_stop < 0 or t_stop > n_steps:
        t_stop = n_steps
    d = w0.size
    sq = 1.0 / math.sqrt(d)
    xt = np.empty(d)
    w = np.empty(d)
    kc = np.zeros(d, dtype=np.int64)
    nthr = thr.size
    for i in range(d):
        if quantized:
            kc[i] = _cell_index(thr, u[i])
            w[i] = levels[kc[i]]
        else:
            w[i] = u[i]
    n_rec = rec_steps.size
    n_den = dens_steps.size
    n_w = cond_ptr.size - 1
    n_bins = edges.size - 1
    for t in range(t_start, t_stop + 1):
        if ri < n_rec and rec_steps[ri] == t:
            s00 = 0.0
            s01 = 0.0
            s11 = 0.0
            for i in range(d):
                s00 += w0[i] * w0[i]
                s01 += w0[i] * w[i]
                s11 += w[i] * w[i]
            while ri < n_rec and rec_steps[ri] == t:
                err_out[ri] = (s00 - 2.0 * k1 * s01 + k2 * s11) / d
                m_out[ri] = s01 / d
                q_out[ri] = s11 / d
                ri += 1
        if di < n_den and dens_steps[di] == t:
            while di < n_den and dens_steps[di] == t:
                for a in range(n_w):
                    n_a = cond_ptr[a + 1] - cond_ptr[a]
                    out = 0
                    for jj in range(cond_ptr[a], cond_ptr[a + 1]):
                        x = u[cond_idx[jj]]
                        if x < edges[0] or x >= edges[n_bins]:
                            out += 1
                        else:
                            b = np.searchsorted(edges, x, side="right") - 1
                            hist_out[a, di, b] += 1.0
                    if n_a > 0:
                        outside_out[a, di] = out / n_a
                        for b in range(n_bins):
                            hist_out[a, di, b] /= n_a * (edges[b + 1] - edges[b])
                di += 1
        if t == t_stop:
            break
        st = 0.0
        ss = 0.0
        for i in range(d):
            x = rng.standard_normal()
            if xquant:
                xq = xlev[np.searchsorted(xthr, x, side="right")]
            else:
                xq = x
            xt[i] = xq
            st += w0[i] * x
            ss += w[i] * xq
        e = (st - ss) * sq
        if noise_sd > 0.0:
            e += noise_sd * rng.standard_normal()
        c = eta * e * sq
        for i in range(d):
            ui = u[i]
            if clipped and (ui > clip or ui < -clip):
                continue
            ui += c * xt[i]
            u[i] = ui
            if quantized:
                k = kc[i]
                while k < nthr and ui >= thr[k]:
                    k += 1
                while k > 0 and ui < thr[k - 1]:
                    k -= 1
                kc[i] = k
                w[i] = levels[k]
            else:
                w[i] = ui
    return ri, di


#: inner-loop updates per compiled chunk of :func:`_sgd_kernel` (~10 ms): between chunks control
#: returns to Python, where KeyboardInterrupt and signal handlers run
_CHUNK_UPDATES = 10_000_000


def _default_bins(problem: STEProblem, n_bins: int = 120) -> np.ndarray:
    scale = 4.0 * problem.init_std
    if problem.levels is not None:
        scale = max(scale, 1.5 * float(np.abs(problem.levels).max()))
    else:
        scale = max(scale, 4.0 * math.sqrt(problem.rho))
    return np.linspace(-scale, scale, n_bins + 1)


def default_window(problem: STEProblem) -> float:
    """Default conditioning half-width on ``w0``: 0 for a discrete teacher, ``0.05 sqrt(rho)`` else."""
    return 0.0 if isinstance(problem.teacher, DiscreteTeacher) else 0.05 * math.sqrt(problem.rho)


def density_args(problem: STEProblem, density_w0, density_window, bins):
    """Checked ``(w0 values, window, bin edges)`` for the densities of ``u | w0`` (simulation and limit)."""
    dens_w0 = check_vector("density_w0", np.atleast_1d(np.asarray(density_w0, dtype=float)), min_len=0)
    window = default_window(problem) if density_window is None else check_real(
        "density_window", density_window, low=0.0)
    edges = _default_bins(problem) if bins is None else check_vector("bins", bins, min_len=2,
                                                                     increasing=True)
    return dens_w0, window, edges


def _time_steps(times, d, tau_max, name):
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if times.size and (np.any(~np.isfinite(times)) or np.any(times < 0) or np.any(times > tau_max + 1e-12)):
        raise ValueError(f"{name} must lie in [0, tau]")
    steps = np.rint(times * d).astype(np.int64)
    return np.sort(steps)


def simulate(problem: STEProblem, d: int, tau: float, *, n_records: int = 101, record_times=None,
             density_times=(), density_w0=(), density_window: float | None = None, bins=None,
             seed: int = 0, n_seeds: int = 1) -> SimulationResult:
    """Run online STE SGD at finite ``d`` for ``tau d`` steps, ``n_seeds`` independent runs.

    Parameters
    ----------
    problem : STEProblem
    d : int
        Dimension (>= 2).
    tau : float
        Horizon in units of ``t/d``.
    n_records, record_times
        Record the error at ``linspace(0, tau, n_records)`` or at the given times (rounded to
        whole steps).
    density_times, density_w0, density_window, bins
        Record histograms (over ``bins`` edges) of ``u_i`` for the coordinates with
        ``|w0_i - v| <= density_window`` for each ``v`` in ``density_w0``, at ``density_times``.
    seed, n_seeds
        Runs use ``numpy.random.SeedSequence(seed).spawn(n_seeds)``: reproducible, independent.

    Returns
    -------
    SimulationResult
    """
    if not isinstance(problem, STEProblem):
        raise ValueError(f"problem must be an STEProblem, got {type(problem).__name__}")
    d = check_int("d", d, low=2)
    tau = check_real("tau", tau, low=0.0)
    n_seeds = check_int("n_seeds", n_seeds, low=1)
    seed = check_int("seed", seed, low=0)
    check_work("d/tau/n_seeds", 2.0 * tau * d * d * n_seeds,
               f"ste.simulate with d={d}, tau={tau:g} x {n_seeds} seeds")  # before any allocation
    if record_times is None:
        n_records = check_int("n_records", n_records, low=1)
        record_times = np.linspace(0.0, tau, n_records)
    rec_steps = _time_steps(record_times, d, tau, "record_times")
    dens_steps = _time_steps(density_times, d, tau, "density_times")
    dens_w0, window, edges = density_args(problem, density_w0, density_window, bins)
    n_steps = int(max(rec_steps.max(initial=0), dens_steps.max(initial=0), np.rint(tau * d)))

    quantized = problem.quantizer is not None
    levels = problem.quantizer.levels if quantized else np.zeros(1)
    thr = problem.quantizer.thresholds if quantized else np.zeros(0)
    xquant = problem.input_quantizer is not None
    xlev = problem.input_quantizer.levels if xquant else np.zeros(1)
    xthr = problem.input_quantizer.thresholds if xquant else np.zeros(0)
    k1, k2 = problem.kappa
    clipped = problem.ste == "clipped"
    clip = problem.clip_range if clipped else math.inf
    tol = 1e-12 * max(1.0, float(np.abs(dens_w0).max(initial=0.0)))

    n_t, n_dt, n_w, n_b = rec_steps.size, dens_steps.size, dens_w0.size, edges.size - 1
    # resources up front (docs/ranges.md): records and histograms; 2 d updates per SGD step
    what = f"ste.simulate with d={d}, tau={tau:g} ({n_steps} steps) x {n_seeds} seeds"
    check_memory("d/tau/n_seeds", 8.0 * (n_seeds * (3 * n_t + n_w * n_dt * (n_b + 1)) + 4 * d), what)
    check_work("d/tau/n_seeds", 2.0 * n_steps * d * n_seeds, what)
    err = np.zeros((n_seeds, n_t))
    mm = np.zeros((n_seeds, n_t))
    qq = np.zeros((n_seeds, n_t))
    dens = np.zeros((n_seeds, n_w, n_dt, n_b))
    outside = np.zeros((n_seeds, n_w, n_dt))
    n_cond = np.zeros((n_seeds, n_w), dtype=np.int64)
    t0 = time.perf_counter()
    children = np.random.SeedSequence(seed).spawn(n_seeds)
    for s, child in enumerate(children):
        rng = np.random.default_rng(child)
        w0 = np.ascontiguousarray(problem.teacher.sample(d, rng), dtype=float)
        u = problem.init_std * rng.standard_normal(d)
        idx_lists = [np.flatnonzero(np.abs(w0 - v) <= window + tol) for v in dens_w0]
        ptr = np.zeros(n_w + 1, dtype=np.int64)
        for a, ix in enumerate(idx_lists):
            ptr[a + 1] = ptr[a] + ix.size
            n_cond[s, a] = ix.size
        cond_idx = np.concatenate(idx_lists).astype(np.int64) if n_w else np.zeros(0, dtype=np.int64)
        ri = di = 0
        chunk = max(1, _CHUNK_UPDATES // d)
        for t_start in range(0, n_steps + 1, chunk):
            ri, di = _sgd_kernel(rng, w0, u, levels, thr, quantized, xlev, xthr, xquant, problem.eta,
                                 math.sqrt(problem.noise_var), clipped, clip, k1, k2, n_steps,
                                 rec_steps, dens_steps, cond_idx, ptr, edges, err[s], mm[s], qq[s],
                                 dens[s], outside[s], t_start, min(t_start + chunk, n_steps), ri, di)
    return SimulationResult(problem=problem, d=d, seed=seed, tau=rec_steps / d, gen_error=err, m=mm, q=qq,
                            density_times=dens_steps / d, density_w0=dens_w0, density_window=window,
                            bin_edges=edges, density=dens, n_conditioned=n_cond, outside=outside,
                            elapsed=time.perf_counter() - t0)
