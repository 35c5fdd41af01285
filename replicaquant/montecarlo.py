"""Monte Carlo sampling of the quantized Gibbs measure ``P(w) ∝ exp(-beta H(w))`` on ``C**d``.

Energy (see docs/theory.md), with ``F = X/sqrt(d)`` and residual ``r = y - F w``::

    H(w) = 1/2 |y - F w|**2 + lam/2 |w|**2

**Heat bath.**  As a function of one coordinate ``w_i = c`` (all others fixed)
``H = a_i c**2/2 - b_i c + const`` with

    a_i = |F_i|**2 + lam,        b_i = F_i . r + |F_i|**2 w_i,

so the exact conditional law of ``w_i`` is the level measure
``p(c_k) ∝ exp(beta (b_i c_k - a_i c_k**2/2))`` of :mod:`replicaquant.kernels`; the draw is
:func:`replicaquant.kernels.sample_level` (log-sum-exp, inverse CDF) and ``r`` is updated by
``r -= (c_new - w_i) F_i``.  ``F`` is stored column-major so that a column is contiguous:
one sweep (``d`` updates, a dot product each plus an axpy when the weight changes) costs
about one pass over ``X``.  The residual is recomputed from scratch at the start of every
block of sweeps so that rounding cannot drift.

**Parallel tempering.**  Each replica runs ``temps`` chains on a geometric ladder
``beta_min = beta_1 < ... < beta_T = beta`` (the target at the top).  After every sweep the
configurations of neighbouring temperatures are exchanged with probability
``min(1, exp((beta_t - beta_{t+1}) (H_t - H_{t+1})))`` (Metropolis on the energies), which
leaves the product measure invariant.

**Observables** (measured after every measurement sweep at the target ``beta``, on each of
``replicas >= 2`` independent replicas of the same instance, then time- and replica-averaged):
``m = w.w0/d``, ``Q = |w|**2/d``, ``q = w^a.w^b/d`` (pairs of distinct replicas: an unbiased
estimator of ``<w>.<w>/d``), ``energy = H/d``, ``train_error = |y - F w|**2/n``,
``gen_error = rho_inst - 2m + Q`` and ``gen_error_mean = rho_inst - 2m + q`` with the
instance's own ``rho_inst = |w0|**2/d`` in place of ``rho``, and the overlap histogram
``P(q)``.  Averages over instances carry standard errors (``std/sqrt(instances)``); the
within-instance (thermal) errors come from blocking the time series.

Randomness: one ``np.random.default_rng`` per instance, spawned from ``SeedSequence(seed)``;
the uniforms of the heat bath and of the swaps are drawn in blocks from it and passed to the
compiled sweep, so a seed fixes the result exactly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numba import njit

from ._validation import check_int, check_memory, check_real, check_work
from .kernels import sample_level
from .model import Model

OBSERVABLES = ("m", "Q", "q", "energy", "train_error", "gen_error", "gen_error_mean")
_BLOCK_UNIFORMS = 1 << 20  # uniforms drawn per block of sweeps (8 MiB)
_N_BLOCKS = 20  # blocks of the time series for the thermal error bars
_Q_PAD = 0.02  # default P(q) range: the sampled range padded by 2 % on each side ...
_Q_PAD_MIN = 1e-3  # ... of at least this width (all samples equal: a narrow, not an empty, range)

#: slots of the per-sweep observables ``series[sweep, replica, :]`` of one replica at the target beta
OBS_M = 0       #: ``w.w0/d``
OBS_Q = 1       #: ``|w|^2/d``
OBS_ENERGY = 2  #: ``H/d``
OBS_TRAIN = 3   #: ``|y - F w|^2/n``
OBS_N = 4


class Chains(NamedTuple):
    """State of the ``replicas x temps`` chains (advanced in place by the compiled block).

    ``w[c]`` configuration and ``r[c] = y - F w[c]`` residual of chain ``c``; ``slot[rep, t]``
    the chain of replica ``rep`` at ladder position ``t``; ``energies[c] = H(w[c])``;
    ``direction``, ``trips``, ``trips_rec`` the ladder-walk labels of
    :func:`_track_round_trips`.
    """

    w: np.ndarray
    r: np.ndarray
    slot: np.ndarray
    energies: np.ndarray
    direction: np.ndarray
    trips: np.ndarray
    trips_rec: np.ndarray


class Records(NamedTuple):
    """Measurement buffers filled by the compiled block: ``obs[sweep, replica, OBS_*]``, the pair
    overlaps ``qs[sweep, pair]``, and the attempted / accepted exchanges per ladder position."""

    obs: np.ndarray
    qs: np.ndarray
    swap_acc: np.ndarray
    swap_try: np.ndarray


# ---------------------------------------------------------------------------------------------
# compiled kernels


@njit(cache=True)
def _residuals(Ft, y, w, r):
    """``r[c] = y - F w[c]`` for every chain ``c`` (``Ft`` = ``F.T``, C-contiguous)."""
    d = Ft.shape[0]
    for c in range(w.shape[0]):
        rc = r[c]
        rc[:] = y
        for i in range(d):
            wi = w[c, i]
            if wi != 0.0:
                fi = Ft[i]
                for mu in range(rc.size):
                    rc[mu] -= wi * fi[mu]


@njit(cache=True)
def _energy(r, w, lam):
    """``H = 1/2 |r|^2 + lam/2 |w|^2`` for one chain."""
    return 0.5 * np.dot(r, r) + 0.5 * lam * np.dot(w, w)


@njit(cache=True)
def heat_bath_sweep(Ft, colnorm2, levels, lam, beta, w, r, u):
    """One sequential heat-bath sweep over the ``d`` coordinates of one chain.

    ``Ft[i]`` is column ``F_i`` (contiguous), ``colnorm2[i] = |F_i|^2``, ``w`` the weights,
    ``r = y - F w`` the residual (both updated in place), ``u`` ``d`` uniforms.  Coordinate
    ``i`` is drawn from ``p(c) ∝ exp(beta (b_i c - a_i c^2/2))`` with ``a_i = |F_i|^2 + lam``,
    ``b_i = F_i.r + |F_i|^2 w_i``.  Returns the number of coordinates that changed.
    """
    d = Ft.shape[0]
    changed = 0
    for i in range(d):
        fi = Ft[i]
        wi = w[i]
        cn = colnorm2[i]
        b = np.dot(fi, r) + cn * wi
        k = sample_level(levels, cn + lam, b, beta, u[i])
        c = levels[k]
        if c != wi:
            delta = c - wi
            for mu in range(r.size):
                r[mu] -= delta * fi[mu]
            w[i] = c
            changed += 1
    return changed


@njit(cache=True)
def _track_round_trips(slot, direction, trips, trips_rec, recording):
    """Update the ladder-walk labels of every chain after a round of swaps.

    ``direction[c]`` is ``-1`` until chain ``c`` first visits the bottom (position 0), then
    ``0`` ("going up", last end visited: bottom) or ``1`` ("going down", last end: top).  A
    chain labelled 1 that reaches the bottom completes one round trip bottom -> top -> bottom
    (``trips[c] += 1``; also ``trips_rec[c]`` when ``recording``).
    """
    n_rep, n_t = slot.shape
    top = n_t - 1
    for rep in range(n_rep):
        cb = slot[rep, 0]
        if direction[cb] == 1:
            trips[cb] += 1
            if recording:
                trips_rec[cb] += 1
        direction[cb] = 0
        ct = slot[rep, top]
        if direction[ct] == 0:
            direction[ct] = 1


@njit(cache=True)
def _sweep_all(Ft, colnorm2, levels, lam, betas, ch, u):
    """One heat-bath sweep of every chain at its ladder temperature, then its energy."""
    n_rep, n_t = ch.slot.shape
    for rep in range(n_rep):
        for t in range(n_t):
            c = ch.slot[rep, t]
            heat_bath_sweep(Ft, colnorm2, levels, lam, betas[t], ch.w[c], ch.r[c], u[c])
            ch.energies[c] = _energy(ch.r[c], ch.w[c], lam)


@njit(cache=True)
def _exchange(betas, ch, u, rec):
    """Tempering swaps of neighbouring ladder positions, accepted with probability
    ``min(1, exp((beta_t - beta_{t+1}) (H_t - H_{t+1})))``; exchanges entries of ``slot``."""
    n_rep, n_t = ch.slot.shape
    for rep in range(n_rep):
        for t in range(n_t - 1):
            c1 = ch.slot[rep, t]
            c2 = ch.slot[rep, t + 1]
            delta = (betas[t] - betas[t + 1]) * (ch.energies[c1] - ch.energies[c2])
            rec.swap_try[t] += 1
            if delta >= 0.0 or u[rep, t] < math.exp(delta):
                ch.slot[rep, t] = c2
                ch.slot[rep, t + 1] = c1
                rec.swap_acc[t] += 1


@njit(cache=True)
def _measure(ch, w0, rec, row):
    """Write the observables of every replica at the top of the ladder into ``rec.obs[row]`` and
    the overlaps ``w^a.w^b/d`` of the pairs of distinct replicas into ``rec.qs[row]``."""
    n_rep, n_t = ch.slot.shape
    d = ch.w.shape[1]
    n = ch.r.shape[1]
    top = n_t - 1
    for rep in range(n_rep):
        c = ch.slot[rep, top]
        rec.obs[row, rep, OBS_M] = np.dot(ch.w[c], w0) / d
        rec.obs[row, rep, OBS_Q] = np.dot(ch.w[c], ch.w[c]) / d
        rec.obs[row, rep, OBS_ENERGY] = ch.energies[c] / d
        rec.obs[row, rep, OBS_TRAIN] = np.dot(ch.r[c], ch.r[c]) / n
    p = 0
    for ra in range(n_rep):
        for rb in range(ra + 1, n_rep):
            rec.qs[row, p] = np.dot(ch.w[ch.slot[ra, top]], ch.w[ch.slot[rb, top]]) / d
            p += 1


@njit(cache=True)
def _mc_block(Ft, colnorm2, levels, lam, betas, ch, u_site, u_swap, w0, n_rec, t0, rec):
    """Run ``u_site.shape[0]`` sweeps of every chain (:class:`Chains`), each followed by tempering swaps.

    Chains are indexed ``c = ch.slot[rep, t]`` (replica ``rep`` at ladder position ``t``);
    swaps exchange entries of ``slot`` rather than copying configurations.  The first
    ``u_site.shape[0] - n_rec`` sweeps are not recorded; the last ``n_rec`` write, for each
    replica at the top temperature, the ``OBS_*`` slots into ``rec.obs[t0 + s, rep]`` and the pair
    overlaps into ``rec.qs[t0 + s]`` (:class:`Records`).  Round trips of the chains through the
    ladder are counted by :func:`_track_round_trips` (``trips_rec`` only during the recorded sweeps).
    """
    n_sweeps = u_site.shape[0]
    n_t = ch.slot.shape[1]
    skip = n_sweeps - n_rec
    for s in range(n_sweeps):
        _sweep_all(Ft, colnorm2, levels, lam, betas, ch, u_site[s])
        _exchange(betas, ch, u_swap[s], rec)
        if n_t > 1:
            _track_round_trips(ch.slot, ch.direction, ch.trips, ch.trips_rec, s >= skip)
        if s >= skip:
            _measure(ch, w0, rec, t0 + s - skip)


# ---------------------------------------------------------------------------------------------
# equilibration diagnostics


def integrated_autocorr_time(x, c: float = 5.0) -> float:
    """Integrated autocorrelation time of a time series, with Sokal's automatic window.

    ``tau = 1 + 2 sum_{t=1}^{W} rho(t)``, ``rho`` the normalised autocorrelation (by FFT, of the
    mean-subtracted series) and ``W`` the smallest lag with ``W >= c tau(W)``; the effective
    sample size is ``N/tau`` (the variance of the mean is ``tau Var(x)/N``).  ``tau`` is
    clipped to ``[1, N]``; a constant series (a chain that never moved, or an observable that is
    exactly fixed) returns ``N``, i.e. it counts as one sample.
    """
    x = np.asarray(x, dtype=float)
    n = x.size
    if n < 2:
        return float(max(n, 1))
    y = x - x.mean()
    var = float(np.dot(y, y))
    if not var > 1e-300 * max(1.0, float(np.dot(x, x))):
        return float(n)
    f = np.fft.rfft(y, n=2 * n)
    acf = np.fft.irfft(f * np.conj(f))[:n] / var
    taus = 1.0 + 2.0 * np.cumsum(acf[1:])
    lags = np.arange(1, n)
    ok = lags >= c * taus
    tau = float(taus[np.argmax(ok)]) if ok.any() else float(taus[-1])
    return float(min(max(tau, 1.0), n))


def _halves_z(x) -> float:
    """``(mean of 2nd half - mean of 1st half)/error`` (blocking errors of each half)."""
    half = x.size // 2
    a, b = x[:half], x[half:]
    se = math.hypot(_block_se(a), _block_se(b))
    diff = float(b.mean() - a.mean())
    return diff / se if se > 0 else 0.0


@dataclass(frozen=True)
class PTDiagnostics:
    """Equilibration diagnostics of one Monte Carlo run (one instance).

    Attributes
    ----------
    swap_acceptance : ndarray, shape (temps - 1,)
        Acceptance rate of replica exchanges between ladder positions ``t`` and ``t + 1``.
    round_trips, round_trips_measured : ndarray of int, shape (replicas,)
        Completed round trips bottom -> top -> bottom of the ladder, summed over the ``temps``
        configurations of each replica, over the whole run and over the measurement window.
        Zero without tempering.  A configuration that never comes back from the hot end has
        not decorrelated through the ladder.
    tau_energy : ndarray, shape (replicas,)
        Integrated autocorrelation time (sweeps) of ``H/d`` at the target ``beta``, per replica
        (:func:`integrated_autocorr_time`).
    tau_q : ndarray, shape (pairs,)
        The same for each overlap series ``q_ab``.
    ess_energy, ess_q : float
        Effective sample sizes ``sum N/tau`` (independent replicas / pairs add up).
    halves_z : dict
        ``(2nd half - 1st half)/error`` of the replica-averaged series of ``energy``, ``q``,
        ``train_error`` (and ``m`` with a teacher) over the measurement window.
    replica_energy : ndarray, shape (replicas,)
        Mean ``H/d`` of each replica (independent runs of the sampler on the same instance).
    replica_z : float
        ``max_{a<b} |E_a - E_b|/sqrt(se_a^2 + se_b^2)`` (blocking errors): disagreement of the
        independent runs in units of their errors.
    sweeps : int
        Length of the measurement window.
    """

    swap_acceptance: np.ndarray
    round_trips: np.ndarray
    round_trips_measured: np.ndarray
    tau_energy: np.ndarray
    tau_q: np.ndarray
    ess_energy: float
    ess_q: float
    halves_z: dict
    replica_energy: np.ndarray
    replica_z: float
    sweeps: int

    def problems(self, *, min_acceptance: float = 0.1, min_round_trips: int = 1,
                 min_ess: float = 50.0, max_z: float = 4.0) -> list:
        """One-line reasons why the run may not be equilibrated (empty list: none detected).

        Checks: every exchange rate ``>= min_acceptance``; every replica ``>= min_round_trips``
        round trips during the measurement window (only with tempering); ``ess_energy`` and
        ``ess_q >= min_ess``; every ``|halves_z|`` and ``replica_z <= max_z``.  Passing them is
        necessary, not sufficient: a sampler trapped with all its copies in one region passes.
        """
        out = []
        if self.swap_acceptance.size and self.swap_acceptance.min() < min_acceptance:
            out.append(f"exchange acceptance {self.swap_acceptance.min():.3f} < {min_acceptance}")
        if self.swap_acceptance.size and self.round_trips_measured.min() < min_round_trips:
            out.append(f"only {int(self.round_trips_measured.min())} ladder round trips of a replica "
                       f"during the measurement window (< {min_round_trips})")
        for name, ess in (("energy", self.ess_energy), ("q", self.ess_q)):
            if ess < min_ess:
                out.append(f"effective sample size of {name} {ess:.0f} < {min_ess:.0f}")
        for k, z in self.halves_z.items():
            if abs(z) > max_z:
                out.append(f"{k} drifts between the halves of the measurement window (z = {z:.1f})")
        if self.replica_z > max_z:
            out.append(f"independent replicas disagree on the energy (z = {self.replica_z:.1f})")
        return out

    @property
    def equilibrated(self) -> bool:
        """``problems()`` (default thresholds) is empty."""
        return not self.problems()

    def as_dict(self) -> dict:
        """Plain dict (lists and floats) for JSON."""
        return {"swap_acceptance": self.swap_acceptance.tolist(),
                "round_trips": self.round_trips.tolist(),
                "round_trips_measured": self.round_trips_measured.tolist(),
                "tau_energy": self.tau_energy.tolist(), "tau_q": self.tau_q.tolist(),
                "ess_energy": float(self.ess_energy), "ess_q": float(self.ess_q),
                "halves_z": {k: float(v) for k, v in self.halves_z.items()},
                "replica_energy": self.replica_energy.tolist(), "replica_z": float(self.replica_z),
                "sweeps": int(self.sweeps), "problems": self.problems()}


def pt_diagnostics(series, q_series, swap_acceptance, round_trips, round_trips_measured,
                   has_teacher: bool = True) -> PTDiagnostics:
    """Build :class:`PTDiagnostics` from the time series of one run.

    ``series[sweep, replica, (m, Q, energy, train_error)]`` and ``q_series[sweep, pair]`` are
    the top-temperature measurements of :func:`monte_carlo_instance`.
    """
    series = np.asarray(series, dtype=float)
    q_series = np.asarray(q_series, dtype=float)
    n_s, n_rep = series.shape[:2]
    tau_e = np.array([integrated_autocorr_time(series[:, r, 2]) for r in range(n_rep)])
    tau_q = np.array([integrated_autocorr_time(q_series[:, p]) for p in range(q_series.shape[1])])
    ts = series.mean(axis=1)
    hz = {"energy": _halves_z(ts[:, 2]), "q": _halves_z(q_series.mean(axis=1)),
          "train_error": _halves_z(ts[:, 3])}
    if has_teacher:
        hz["m"] = _halves_z(ts[:, 0])
    e_rep = series[:, :, 2].mean(axis=0)
    se_rep = np.array([_block_se(series[:, r, 2]) for r in range(n_rep)])
    rz = 0.0
    for a in range(n_rep):
        for b in range(a + 1, n_rep):
            se = math.hypot(se_rep[a], se_rep[b])
            if se > 0:
                rz = max(rz, abs(e_rep[a] - e_rep[b]) / se)
    return PTDiagnostics(
        swap_acceptance=np.asarray(swap_acceptance, dtype=float),
        round_trips=np.asarray(round_trips, dtype=np.int64),
        round_trips_measured=np.asarray(round_trips_measured, dtype=np.int64),
        tau_energy=tau_e, tau_q=tau_q, ess_energy=float(np.sum(n_s / tau_e)),
        ess_q=float(np.sum(n_s / tau_q)), halves_z=hz, replica_energy=e_rep,
        replica_z=float(rz), sweeps=int(n_s))


# ---------------------------------------------------------------------------------------------
# results


@dataclass(frozen=True)
class MCInstance:
    """Gibbs averages on one instance ``(X, y, w0)``.

    Attributes
    ----------
    values : dict
        Time- and replica-averaged observables (names in ``OBSERVABLES``; ``m`` and the
        generalization errors are ``None`` without a teacher).
    thermal_err : dict
        Blocking estimate of the statistical error of each value (20 blocks).
    rho_instance : float or None
        ``|w0|^2/d`` used in place of ``rho``.
    q_var : float
        Gibbs variance of the overlap ``q_ab`` (width of ``P(q)``; ``O(1/d)`` in an RS phase).
    q_hist : ndarray
        Normalised histogram (density) of ``q_ab`` on ``q_edges``.
    swap_acceptance : ndarray
        Acceptance rate of exchanges between ladder positions ``t`` and ``t+1``.
    equilibration_z : float
        ``(E_2nd half - E_1st half)/error``: a drift of the energy between the two halves of
        the measurement window in units of its error; ``|z| >~ 3`` means burn-in was too short.
    q_series : ndarray
        The sampled overlaps ``[sweep, pair]`` (pairs of distinct replicas).
    series : ndarray or None
        Raw time series ``[sweep, replica, (m, Q, energy, train_error)]`` when requested with
        ``keep_series=True``.
    diagnostics : PTDiagnostics
        Exchange rates, ladder round trips, autocorrelation times / effective sample sizes,
        first-vs-second-half and replica-vs-replica agreement.
    final_w : ndarray or None
        The configurations at the target ``beta`` after the last sweep, ``[replica, d]``
        (``keep_series=True`` only), e.g. to start a plain heat bath from equilibrium.
    """

    values: dict
    thermal_err: dict
    rho_instance: float | None
    q_var: float
    q_edges: np.ndarray = field(repr=False)
    q_hist: np.ndarray = field(repr=False)
    swap_acceptance: np.ndarray
    equilibration_z: float
    betas: np.ndarray = field(repr=False)
    q_series: np.ndarray = field(default=None, repr=False)
    series: np.ndarray | None = field(default=None, repr=False)
    diagnostics: PTDiagnostics | None = field(default=None, repr=False)
    final_w: np.ndarray | None = field(default=None, repr=False)


@dataclass(frozen=True)
class MCResult:
    """Monte Carlo estimates averaged over instances (see module docstring for definitions).

    Attributes
    ----------
    m, Q, q, energy, train_error, gen_error, gen_error_mean : float
        Instance averages of the Gibbs averages at the target ``beta``.
    m_err, ... : float
        Standard errors over instances (``std(ddof=1)/sqrt(instances)``); with a single
        instance, its thermal (blocking) error.
    per_instance : dict of ndarray
        Each observable per instance.
    q_edges, q_hist : ndarray
        Bin edges and instance-averaged density of the replica overlap ``P(q)``.
    q_var : float
        Instance average of the Gibbs variance of ``q_ab``.
    betas : ndarray
        The tempering ladder (target last).
    swap_acceptance : ndarray
        Mean exchange acceptance between neighbouring ladder positions.
    equilibration_z : ndarray
        Per-instance energy drift between the two halves of the measurement window (in errors).
    instances : tuple of MCInstance
        Per-instance details.
    diagnostics : tuple of PTDiagnostics
        Per-instance equilibration diagnostics (see :meth:`diagnostics_summary`).
    """

    model: Model = field(repr=False)
    d: int
    n: int
    n_instances: int
    sweeps: int
    burn_in: int
    replicas: int
    seed: int
    m: float
    m_err: float
    Q: float
    Q_err: float
    q: float
    q_err: float
    energy: float
    energy_err: float
    train_error: float
    train_error_err: float
    gen_error: float
    gen_error_err: float
    gen_error_mean: float
    gen_error_mean_err: float
    q_var: float
    betas: np.ndarray = field(repr=False)
    swap_acceptance: np.ndarray = field(repr=False)
    equilibration_z: np.ndarray = field(repr=False)
    per_instance: dict = field(repr=False)
    q_edges: np.ndarray = field(repr=False)
    q_hist: np.ndarray = field(repr=False)
    instances: tuple = field(default=(), repr=False)
    diagnostics: tuple = field(default=(), repr=False)

    def equilibration_problems(self, **thresholds) -> list:
        """``"instance k: reason"`` for every :meth:`PTDiagnostics.problems` of every instance."""
        return [f"instance {k}: {p}" for k, dg in enumerate(self.diagnostics)
                for p in dg.problems(**thresholds)]

    def diagnostics_summary(self) -> str:
        """Lines summarising the equilibration diagnostics over the instances (worst case)."""
        if not self.diagnostics:
            return "equilibration diagnostics: none recorded"
        dg = self.diagnostics
        lines = ["equilibration diagnostics (worst instance):"]
        if self.betas.size > 1:
            acc = np.min([g.swap_acceptance for g in dg], axis=0)
            lines.append("  min exchange acceptance per pair = [" + ", ".join(f"{a:.2f}" for a in acc) + "]")
            lines.append(f"  ladder round trips per replica: min {min(int(g.round_trips_measured.min()) for g in dg)} "
                         f"in the measurement window, {min(int(g.round_trips.min()) for g in dg)} over the run")
        lines.append(f"  min effective sample size: energy {min(g.ess_energy for g in dg):.0f}, "
                     f"q {min(g.ess_q for g in dg):.0f} (of {dg[0].sweeps} sweeps x replicas/pairs); "
                     f"max autocorrelation time: energy {max(float(g.tau_energy.max()) for g in dg):.1f}, "
                     f"q {max(float(g.tau_q.max()) for g in dg):.1f} sweeps")
        hz = {k: max(abs(g.halves_z[k]) for g in dg) for k in dg[0].halves_z}
        lines.append("  max |2nd - 1st half| / err: " + ", ".join(f"{k} {v:.1f}" for k, v in hz.items()))
        lines.append(f"  max |replica a - replica b| / err (energy): {max(g.replica_z for g in dg):.1f}")
        probs = self.equilibration_problems()
        lines.append("  -> no equilibration problem detected" if not probs else
                     f"  -> {len(probs)} warning(s): " + "; ".join(probs[:4]) + (" ..." if len(probs) > 4 else ""))
        return "\n".join(lines)

    def as_dict(self) -> dict:
        """Plain dict of the estimates, errors, run parameters and diagnostics (for JSON)."""
        out = {"d": self.d, "n": self.n, "instances": self.n_instances, "sweeps": self.sweeps,
               "burn_in": self.burn_in, "replicas": self.replicas, "seed": self.seed,
               "betas": self.betas.tolist()}
        for k in OBSERVABLES:
            out[k] = float(getattr(self, k))
            out[k + "_err"] = float(getattr(self, k + "_err"))
        out["q_var"] = float(self.q_var)
        out["swap_acceptance"] = self.swap_acceptance.tolist()
        out["equilibration_z"] = self.equilibration_z.tolist()
        out["per_instance"] = {k: v.tolist() for k, v in self.per_instance.items()}
        out["q_edges"] = self.q_edges.tolist()
        out["q_hist"] = self.q_hist.tolist()
        out["diagnostics"] = [g.as_dict() for g in self.diagnostics]
        return out

    def compare(self, reference: dict | None = None) -> list[tuple]:
        """Rows ``(name, mc, err, ref, (mc - ref)/err)`` against a dict of reference values.

        ``reference`` is typically :func:`theory_observables` of an RS (or 1RSB) solution;
        names missing from it get ``None``.
        """
        rows = []
        for k in OBSERVABLES:
            v, e = float(getattr(self, k)), float(getattr(self, k + "_err"))
            ref = None if reference is None else reference.get(k)
            z = None if ref is None or e <= 0 else (v - ref) / e
            rows.append((k, v, e, ref, z))
        return rows

    def table(self, reference: dict | None = None, ref_name: str = "RS") -> str:
        """Human-readable table of ``MC ± err`` next to the reference values."""
        head = f"{'':>16s} {'MC':>12s} {'± err':>10s}"
        if reference is not None:
            head += f" {ref_name:>12s} {'(MC-ref)/err':>13s}"
        lines = [head]
        for k, v, e, ref, z in self.compare(reference):
            line = f"{k:>16s} {v:12.6f} {e:10.2e}"
            if reference is not None:
                line += f" {ref:12.6f}" if ref is not None else f" {'-':>12s}"
                line += f" {z:13.2f}" if z is not None else f" {'-':>13s}"
            lines.append(line)
        return "\n".join(lines)

    def __repr__(self) -> str:
        ladder = ", ".join(f"{b:.4g}" for b in self.betas)
        lines = [f"MCResult  ({self.model!r})",
                 f"  d={self.d}, n={self.n}, instances={self.n_instances}, replicas={self.replicas}, "
                 f"burn_in={self.burn_in}, sweeps={self.sweeps}, seed={self.seed}",
                 f"  betas=[{ladder}]"]
        if self.betas.size > 1:
            lines.append("  swap acceptance=[" + ", ".join(f"{a:.2f}" for a in self.swap_acceptance) + "]")
        lines.append(f"  Gibbs variance of q_ab = {self.q_var:.3e};  max |equilibration z| = "
                     f"{np.max(np.abs(self.equilibration_z)):.2f}")
        if self.diagnostics:
            lines.append(self.diagnostics_summary())
        lines.append(self.table())
        return "\n".join(lines)


def theory_observables(sol, model: Model | None = None) -> dict:
    """Map a theory solution to the Monte Carlo observables.

    Works for an :class:`~replicaquant.rs.RSSolution` (``q``) and for a 1RSB solution with
    ``q0, q1, x``, whose mean two-replica overlap is ``x q0 + (1 - x) q1`` (``P(q)`` has
    weight ``x`` at ``q0`` and ``1 - x`` at ``q1``).  ``energy = alpha/2 train_error +
    lam/2 Q`` is the identity ``H/d = (n/d) |r|^2/(2n) + lam |w|^2/(2d)``.
    """
    if not all(hasattr(sol, k) for k in ("m", "Q", "train_error")):
        raise ValueError(f"sol must be an RS or 1RSB solution (with m, Q, train_error), got "
                         f"{type(sol).__name__}")
    model = model if model is not None else getattr(sol, "model", None)
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    if hasattr(sol, "q0") and hasattr(sol, "q1") and hasattr(sol, "x"):
        q = sol.x * sol.q0 + (1.0 - sol.x) * sol.q1
    else:
        q = sol.q
    rho = model.rho
    return {"m": float(sol.m), "Q": float(sol.Q), "q": float(q),
            "energy": float(model.alpha / 2 * sol.train_error + model.lam / 2 * sol.Q),
            "train_error": float(sol.train_error),
            "gen_error": float(rho - 2 * sol.m + sol.Q),
            "gen_error_mean": float(rho - 2 * sol.m + q)}


# ---------------------------------------------------------------------------------------------
# drivers


def _ladder(beta: float, temps: int, beta_min: float | None) -> np.ndarray:
    if temps == 1:
        return np.array([beta])
    if beta_min is None:
        beta_min = beta / 4.0
    beta_min = check_real("beta_min", beta_min, low=0.0, low_inclusive=False)
    if beta_min >= beta:
        raise ValueError(f"beta_min must be < beta = {beta}, got {beta_min}")
    return np.geomspace(beta_min, beta, temps)


def _block_se(x: np.ndarray) -> float:
    """Standard error of the mean of a time series by blocking into ``_N_BLOCKS`` blocks."""
    nb = min(_N_BLOCKS, x.size)
    if nb < 2:
        return 0.0
    L = x.size // nb
    means = x[: nb * L].reshape(nb, L).mean(axis=1)
    return float(means.std(ddof=1) / math.sqrt(nb))


def _q_edges(samples: np.ndarray, q_bins: int, q_range) -> np.ndarray:
    """``q_bins + 1`` equal bins on ``q_range``, or on the range of the samples (padded)."""
    if q_range is None:
        lo, hi = float(np.min(samples)), float(np.max(samples))
        pad = _Q_PAD * max(hi - lo, _Q_PAD_MIN)
        lo, hi = lo - pad, hi + pad
    else:
        lo, hi = q_range
    return np.linspace(lo, hi, q_bins + 1)


def _check_q_range(q_range):
    if q_range is None:
        return None
    try:
        vals = [check_real("q_range", v) for v in q_range]
    except TypeError:
        raise ValueError(f"q_range must be a pair (low, high), got {q_range!r}") from None
    if len(vals) != 2:
        raise ValueError(f"q_range must be a pair (low, high), got {q_range!r}")
    lo, hi = vals
    if not lo < hi:
        raise ValueError(f"q_range must satisfy low < high, got {q_range!r}")
    return lo, hi


def _check_run_args(model, sweeps, burn_in, temps, replicas, beta_min, q_bins):
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    if math.isinf(model.beta):
        raise ValueError("beta must be finite for Monte Carlo (the ladder ends at the target beta); "
                         "use a large finite beta for the ground state")
    sweeps = check_int("sweeps", sweeps, low=2)
    burn_in = check_int("burn_in", burn_in, low=0)
    temps = check_int("temps", temps, low=1)
    replicas = check_int("replicas", replicas, low=2)
    q_bins = check_int("q_bins", q_bins, low=2)
    betas = _ladder(model.beta, temps, beta_min)
    return sweeps, burn_in, temps, replicas, q_bins, betas


def _check_resources(n: int, d: int, sweeps: int, burn_in: int, temps: int, replicas: int,
                     with_data: bool) -> None:
    """Refuse before allocating: memory of the chains, residuals, series (and the data), and the
    work ``(burn_in + sweeps) * chains * d * n`` of the heat-bath sweeps (docs/ranges.md)."""
    chains = replicas * temps
    n_pairs = replicas * (replicas - 1) // 2
    nbytes = 8.0 * (n * d * (2 if with_data else 1) + chains * (d + n) + sweeps * (4 * replicas + n_pairs))
    what = f"Monte Carlo with d={d}, n={n}, sweeps={sweeps}, {chains} chains"
    check_memory("d/sweeps", nbytes, what)
    check_work("d/sweeps", float(burn_in + sweeps) * chains * d * n, what)


def monte_carlo_instance(X, y, model: Model, *, w0=None, sweeps: int = 2000, burn_in: int = 500,
                         temps: int = 1, beta_min: float | None = None, replicas: int = 2,
                         seed=0, q_bins: int = 60, q_range=None,
                         keep_series: bool = False, init=None) -> MCInstance:
    """Sample ``exp(-beta H)`` on one data set; heat bath + optional parallel tempering.

    Parameters
    ----------
    X : array_like, shape (n, d)
        Inputs (the predictor is ``X w/sqrt(d)``).
    y : array_like, shape (n,)
        Labels.
    model : Model
        Levels, ``beta`` (finite, the target at the top of the ladder) and ``lam``; ``alpha``
        and the teacher are not used here.
    w0 : array_like, shape (d,), optional
        Teacher weights, for ``m`` and the generalization errors.
    sweeps, burn_in : int
        Measurement sweeps (>= 2) and discarded sweeps before them.
    temps : int
        Number of tempering temperatures (1 = plain heat bath at ``beta``).
    beta_min : float, optional
        Bottom of the geometric ladder (default ``beta/4``).
    replicas : int
        Independent replicas (>= 2) for the overlap ``q``.
    seed : int, SeedSequence or Generator
        Seeds the single generator of this run.
    q_bins : int
        Bins of the ``P(q)`` histogram.
    q_range : (float, float), optional
        Range of the histogram; default: the range of the sampled overlaps (slightly padded).
    keep_series : bool
        Keep the raw per-sweep time series of ``(m, Q, energy, train_error)`` and the final
        configurations (``final_w``).
    init : array_like, shape (d,) or (replicas, d), optional
        Starting configuration of every chain of each replica (entries must be levels);
        default: independent uniformly random levels (a hot start).

    Returns
    -------
    MCInstance
        With :class:`PTDiagnostics` in ``diagnostics``.
    """
    sweeps, burn_in, temps, replicas, q_bins, betas = _check_run_args(
        model, sweeps, burn_in, temps, replicas, beta_min, q_bins)
    q_range = _check_q_range(q_range)
    X, y, w0 = _check_data(X, y, w0, sweeps, burn_in, temps, replicas)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    n, d = X.shape
    # column-major F = X/sqrt(d): Ft = F.T is C-contiguous, Ft[i] is the column F_i
    Ft = np.ascontiguousarray(X.T) / math.sqrt(d)
    levels = np.ascontiguousarray(model.levels, dtype=np.float64)
    ch = _start_chains(init, levels, replicas, temps, n, d, rng)
    rec = Records(obs=np.empty((sweeps, replicas, OBS_N)), qs=np.empty((sweeps, replicas * (replicas - 1) // 2)),
                  swap_acc=np.zeros(max(temps - 1, 1), dtype=np.int64),
                  swap_try=np.zeros(max(temps - 1, 1), dtype=np.int64))
    _run(Ft, y, levels, float(model.lam), betas, ch, rec, w0 if w0 is not None else np.zeros(d),
         burn_in, sweeps, rng)
    return _summarise(ch, rec, w0, betas, q_bins, q_range, keep_series)


def _check_data(X, y, w0, sweeps, burn_in, temps, replicas):
    """``(X, y, w0)`` as float arrays of matching shapes, finite, within the resource budgets."""
    X = np.asarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"X must be two-dimensional, got shape {X.shape}")
    n, d = X.shape
    if d < 1 or n < 1:
        raise ValueError(f"X must have at least one row and one column, got shape {X.shape}")
    if y.shape != (n,):
        raise ValueError(f"y must have shape ({n},), got {y.shape}")
    _check_resources(n, d, sweeps, burn_in, temps, replicas, with_data=False)
    if not (np.isfinite(X).all() and np.isfinite(y).all()):
        raise ValueError("X and y must be finite")
    if w0 is not None:
        w0 = np.ascontiguousarray(w0, dtype=np.float64)
        if w0.shape != (d,) or not np.isfinite(w0).all():
            raise ValueError(f"w0 must be a finite vector of shape ({d},)")
    return X, y, w0


def _start_chains(init, levels, replicas, temps, n, d, rng) -> Chains:
    """:class:`Chains` at the start: ``init`` (see :func:`_initial_chains`) or uniformly random
    levels (a hot start); every chain ``c = rep * temps + t`` starts at ladder position ``t``."""
    n_chains = replicas * temps
    if init is None:
        w = levels[rng.integers(0, levels.size, size=(n_chains, d))]  # hot start
    else:
        w = _initial_chains(init, levels, replicas, temps, d)
    return Chains(w=w, r=np.empty((n_chains, n)),
                  slot=np.arange(n_chains, dtype=np.int64).reshape(replicas, temps),
                  energies=np.zeros(n_chains), direction=np.full(n_chains, -1, dtype=np.int64),
                  trips=np.zeros(n_chains, dtype=np.int64), trips_rec=np.zeros(n_chains, dtype=np.int64))


def _run(Ft, y, levels, lam, betas, ch, rec, w0, burn_in, sweeps, rng) -> None:
    """``burn_in + sweeps`` sweeps in blocks of about ``_BLOCK_UNIFORMS`` uniforms (drawn per
    block from ``rng``); the residuals are recomputed from scratch at every block start so that
    rounding cannot drift.  Only the last ``sweeps`` are recorded into ``rec``."""
    replicas, temps = ch.slot.shape
    n_chains, d = ch.w.shape
    colnorm2 = np.einsum("ij,ij->i", Ft, Ft)
    per_block = max(1, _BLOCK_UNIFORMS // (n_chains * d))
    total = burn_in + sweeps
    done = 0
    while done < total:
        S = min(per_block, total - done)
        n_rec = max(0, done + S - burn_in) - max(0, done - burn_in)
        t0 = max(0, done - burn_in)
        u_site = rng.random((S, n_chains, d))
        u_swap = rng.random((S, replicas, max(temps - 1, 1)))
        _residuals(Ft, y, ch.w, ch.r)
        _mc_block(Ft, colnorm2, levels, lam, betas, ch, u_site, u_swap, w0, n_rec, t0, rec)
        done += S


def _summarise(ch, rec, w0, betas, q_bins, q_range, keep_series) -> MCInstance:
    """Time and replica averages with blocking errors, ``P(q)``, the energy-drift test and the
    exchange / round-trip diagnostics of one run."""
    replicas, temps = ch.slot.shape
    obs, qs = rec.obs, rec.qs
    sweeps = obs.shape[0]
    # time series averaged over replicas (independent chains) -> blocking errors
    ts = obs.mean(axis=1)
    qt = qs.mean(axis=1)
    rho_inst = float(w0 @ w0 / w0.size) if w0 is not None else None
    vals = {"Q": ts[:, OBS_Q], "q": qt, "energy": ts[:, OBS_ENERGY], "train_error": ts[:, OBS_TRAIN]}
    if w0 is not None:
        vals["m"] = ts[:, OBS_M]
        vals["gen_error"] = rho_inst - 2 * ts[:, OBS_M] + ts[:, OBS_Q]
        vals["gen_error_mean"] = rho_inst - 2 * ts[:, OBS_M] + qt
    values = {k: (float(vals[k].mean()) if k in vals else None) for k in OBSERVABLES}
    terr = {k: (_block_se(vals[k]) if k in vals else None) for k in OBSERVABLES}
    edges = _q_edges(qs, q_bins, q_range)
    hist, _ = np.histogram(qs.ravel(), bins=edges, density=True)
    acc = (rec.swap_acc / np.maximum(rec.swap_try, 1)).astype(float) if temps > 1 else np.zeros(0)
    # round trips per replica: sum over the chains that replica's ladder holds
    rt = np.array([ch.trips[ch.slot[rep]].sum() for rep in range(replicas)], dtype=np.int64)
    rt_rec = np.array([ch.trips_rec[ch.slot[rep]].sum() for rep in range(replicas)], dtype=np.int64)
    diag = pt_diagnostics(obs, qs, acc, rt, rt_rec, has_teacher=w0 is not None)
    final_w = np.array([ch.w[ch.slot[rep, temps - 1]] for rep in range(replicas)]) if keep_series else None
    return MCInstance(values=values, thermal_err=terr, rho_instance=rho_inst,
                      q_var=float(qs.var()), q_edges=edges, q_hist=hist, swap_acceptance=acc,
                      equilibration_z=_drift_z(ts[:, OBS_ENERGY], sweeps), betas=betas,
                      series=obs if keep_series else None, q_series=qs, diagnostics=diag,
                      final_w=final_w)


def _drift_z(energy, sweeps) -> float:
    """``(mean of the 2nd half - mean of the 1st half)/error`` of the energy series (0 without error)."""
    half = sweeps // 2
    e1, e2 = energy[:half], energy[half:]
    se = math.hypot(_block_se(e1), _block_se(e2))
    diff = float(e2.mean() - e1.mean())
    return float(diff / se if se > 0 else 0.0)


def _initial_chains(init, levels, replicas, temps, d):
    """``(replicas * temps, d)`` starting chains from ``init`` of shape ``(d,)`` or ``(replicas, d)``."""
    w_init = np.asarray(init, dtype=np.float64)
    if w_init.ndim == 1:
        w_init = np.broadcast_to(w_init, (replicas, w_init.size))
    if w_init.shape != (replicas, d):
        raise ValueError(f"init must have shape ({d},) or ({replicas}, {d}), got {np.shape(init)}")
    if not np.all(np.isin(w_init, levels)):
        raise ValueError("init must contain only quantization levels")
    return np.ascontiguousarray(np.repeat(w_init, temps, axis=0))


def monte_carlo(model: Model, d: int, *, instances: int = 4, sweeps: int = 2000,
                burn_in: int = 500, temps: int = 1, beta_min: float | None = None,
                replicas: int = 2, seed: int = 0, q_bins: int = 60, q_range=None,
                keep_series: bool = False, progress=None) -> MCResult:
    """Monte Carlo of the quantized Gibbs measure on ``instances`` data sets of ``model``.

    Each instance is ``make_data(model, d, seed_k)`` (``n = round(alpha d)``, Gaussian
    inputs, the model's teacher and noise), sampled by :func:`monte_carlo_instance`; the
    estimates are averaged over instances with standard errors.

    Parameters
    ----------
    model : Model
        The problem (finite ``beta``).
    d : int
        Dimension (>= 2).
    instances : int
        Number of independent data sets.
    sweeps, burn_in, temps, beta_min, replicas, keep_series
        As in :func:`monte_carlo_instance`.
    q_bins, q_range
        The instance-averaged ``P(q)`` uses ``q_bins`` equal bins on ``q_range`` (default: the
        range of all sampled overlaps, common to the instances).
    seed : int
        Master seed; instance ``k`` uses the ``k``-th child of ``SeedSequence(seed)`` (one
        child for its data, one for its chains), so the same seed gives identical results.
    progress : callable, optional
        Called as ``progress(k, instances)`` after each instance.

    Returns
    -------
    MCResult
    """
    from .data import make_data

    _check_run_args(model, sweeps, burn_in, temps, replicas, beta_min, q_bins)
    q_range = _check_q_range(q_range)
    d = check_int("d", d, low=2)
    instances = check_int("instances", instances, low=1)
    seed = check_int("seed", seed, low=0)
    if int(round(model.alpha * d)) < 1:
        raise ValueError(f"d must give at least one sample (alpha d >= 1), got d={d}")
    sweeps_, burn_in_, temps_, replicas_ = (check_int(k, v, low=0) for k, v in (
        ("sweeps", sweeps), ("burn_in", burn_in), ("temps", temps), ("replicas", replicas)))
    _check_resources(int(round(model.alpha * d)), d, sweeps_, burn_in_, temps_, replicas_, with_data=True)
    runs = []
    n = 0
    for k, child in enumerate(np.random.SeedSequence(seed).spawn(instances)):
        data_ss, mc_ss = child.spawn(2)
        X, y, w0 = make_data(model, d, data_ss)
        n = X.shape[0]
        runs.append(monte_carlo_instance(
            X, y, model, w0=w0, sweeps=sweeps, burn_in=burn_in, temps=temps, beta_min=beta_min,
            replicas=replicas, seed=np.random.default_rng(mc_ss), q_bins=q_bins, q_range=q_range,
            keep_series=keep_series))
        del X
        if progress is not None:
            progress(k + 1, instances)

    per = {k: np.array([r.values[k] for r in runs]) for k in OBSERVABLES}
    est = {}
    for k in OBSERVABLES:
        v = per[k]
        if instances > 1:
            err = float(v.std(ddof=1) / math.sqrt(instances))
        else:
            err = float(runs[0].thermal_err[k])
        est[k] = float(v.mean())
        est[k + "_err"] = err
    edges = _q_edges(np.concatenate([r.q_series.ravel() for r in runs]), q_bins, q_range)
    q_hist = np.mean([np.histogram(r.q_series.ravel(), bins=edges, density=True)[0] for r in runs],
                     axis=0)
    return MCResult(
        model=model, d=d, n=n, n_instances=instances, sweeps=sweeps, burn_in=burn_in,
        replicas=replicas, seed=seed, **est,
        q_var=float(np.mean([r.q_var for r in runs])), betas=runs[0].betas,
        swap_acceptance=np.mean([r.swap_acceptance for r in runs], axis=0),
        equilibration_z=np.array([r.equilibration_z for r in runs]),
        per_instance=per, q_edges=edges, q_hist=q_hist, instances=tuple(runs),
        diagnostics=tuple(r.diagnostics for r in runs))
