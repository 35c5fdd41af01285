"""Algorithms in the glassy phases: Monte Carlo (parallel tempering) and AMP against RS and 1RSB.

At a point of the d1RSB or static 1RSB phase (see docs/theory.md and docs/phases.md) two replica
theories are on the table:

* **RS**: the replica-symmetric saddle point (``rs.solve_rs``), the fixed point of AMP's state
  evolution; thermodynamically right in the RS and d1RSB phases, metastable in the static
  1RSB phase;
* **thermodynamic 1RSB**: :func:`replicaquant.phase.phase` -- the 1RSB branches (from the RS
  split and from *frozen* starts, ``q1`` just below ``Q``, small ``chi1``) followed in ``x``,
  at the Parisi ``x*`` that maximises ``f(x)`` on ``(0, 1]``.  In the d1RSB phase ``x* = 1``
  and every observable equals RS; in the static phase ``x* < 1``.

Observables compared (``theory_observables`` of :mod:`replicaquant.montecarlo`, plus the
overlap weight): ``m``, ``q`` (mean two-replica overlap, ``x q0 + (1 - x) q1`` in 1RSB),
``energy = H/d``, ``train_error``, ``gen_error_mean = rho - 2 m + q`` and
``p_q1 = P(q_ab > (q0 + q1)/2)``: the weight of the ``q1`` peak of
``P(q) = x delta(q - q0) + (1 - x) delta(q - q1)``, i.e. ``1 - x`` in 1RSB and ``0`` in RS
(two replicas fall into the same state with probability ``1 - x``).

**Teacher-norm correction.**  ``m`` and ``q`` fluctuate from instance to instance with
``rho_i = |w0|^2/d`` (std ``sqrt(2/d)`` for a Gaussian teacher).  The theories are evaluated
at ``rho_eff`` (the mean ``rho_i`` of the largest-``d`` Monte Carlo run, or of the AMP seeds)
and each per-instance value is shifted by ``-(d theory/d rho)(rho_i - rho_eff)`` (slope by a
central difference of the RS theory at ``rho (1 +- 0.05)``) before averaging, which removes
that fluctuation to first order.

**Finite size.**  Monte Carlo runs at several ``d``; the value at the largest ``d`` is used
with a finite-size allowance ``|v(d_max) - v(d_prev)| d_prev/(d_max - d_prev)`` (the
remaining correction if ``v = a + b/d``), added in quadrature to the standard error.
:func:`calibrated` instead subtracts the excess measured at a point whose answer is known
(the d1RSB point, where RS is exact) at the same ``d`` on the same instances.

**Verdict.**  ``z_T = (v - T)/sqrt(se^2 + fs^2)`` for each theory ``T`` and each observable on
which the theories differ; ``"<alg> follows 1RSB"`` if ``max |z_1RSB| <= z_max < max |z_RS|``,
``"follows RS"`` symmetrically, ``"consistent with both"`` or ``"follows neither"`` otherwise
(with the closer one by ``sum z^2``).  When RS and 1RSB coincide (d1RSB: ``x* = 1``) the
verdict says so.  A Monte Carlo verdict carries a warning when the parallel-tempering
diagnostics (:class:`replicaquant.montecarlo.PTDiagnostics`) report a problem.
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np

from ._validation import check_int, check_real
from .model import Model
from .montecarlo import monte_carlo, theory_observables
from .teachers import GaussianTeacher

__all__ = ["GlassyTheory", "glassy_theory", "MCPoint", "mc_point", "glassy_mc", "PlateauPoint", "glassy_plateau",
           "AMPPoint", "glassy_amp",
           "Verdict", "verdict", "calibrated", "finite_size_allowance", "GlassyComparison",
           "compare_glassy", "OBS", "AMP_OBS"]

OBS = ("m", "q", "energy", "train_error", "gen_error_mean", "p_q1")
AMP_OBS = ("m", "q", "gen_error_mean")
_RHO_STEP = 0.05


# ---------------------------------------------------------------------------------------------
# theory


@dataclass(frozen=True)
class GlassyTheory:
    """RS and thermodynamic 1RSB predictions at one model.

    Attributes
    ----------
    model : Model
    label : str
        ``"RS"`` (no frozen branch at ``x = 1``), ``"d1RSB"`` (branch with ``Sigma(1) > 0``) or
        ``"1RSB"`` (interior Parisi ``x*``).
    rs : RSSolution
    branch : RSB1Solution or None
        The frozen 1RSB branch at ``x = 1`` (``None`` if there is none).
    rsb : RSB1Solution or None
        The thermodynamic 1RSB solution (``x*``); for d1RSB the ``x = 1`` branch.
    x : float
        Parisi ``x*`` (1 for RS and d1RSB).
    complexity_1 : float
        ``Sigma(1)`` of the frozen branch (``nan`` without one).
    q_threshold : float
        ``(q0 + q1)/2`` of the frozen branch: the split of ``P(q)`` used for ``p_q1``.
    """

    model: Model = field(repr=False)
    label: str
    rs: object = field(repr=False)
    branch: object = field(repr=False)
    rsb: object = field(repr=False)
    x: float
    complexity_1: float
    q_threshold: float

    def observables(self, which: str) -> dict:
        """``theory_observables`` of ``"rs"`` or ``"1rsb"`` (thermodynamic) plus ``p_q1``."""
        if which == "rs":
            out = theory_observables(self.rs, self.model)
            out["p_q1"] = 0.0
            return out
        if which != "1rsb":
            raise ValueError(f"which must be 'rs' or '1rsb', got {which!r}")
        if self.label == "RS" or self.rsb is None:
            return self.observables("rs")
        if self.label == "d1RSB" or self.x >= 1.0:  # thermodynamics is RS (P(q) = delta(q - q_RS))
            return self.observables("rs")
        out = theory_observables(self.rsb, self.model)
        out["p_q1"] = 1.0 - self.rsb.x
        return out


def glassy_theory(model: Model) -> GlassyTheory:
    """RS and thermodynamic 1RSB of ``model`` (finite beta), from :func:`replicaquant.phase.phase`.

    ``rq.phase`` follows every 1RSB branch (RS split and frozen starts) by continuation in
    ``x`` and maximises ``f(x)``; its label is kept (``"FRSB"`` points are compared with the
    1RSB approximation).  ``q_threshold`` is the midpoint ``(q0 + q1)/2`` of the nontrivial
    branch it returns (the ``x = 1`` branch in the d1RSB phase).

    Returns
    -------
    GlassyTheory
    """
    from .phase import phase

    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ph = phase(model)
    rsb = ph.rsb if ph.rsb is not None and ph.rsb.rsb else None
    if ph.label == "RS" or rsb is None:
        return GlassyTheory(model, "RS", ph.rs, None, None, 1.0, float(ph.complexity_x1), math.nan)
    return GlassyTheory(model, ph.label, ph.rs, rsb, rsb, float(ph.x), float(ph.complexity_x1),
                        0.5 * (rsb.q0 + rsb.q1))


def _with_rho(model, rho):
    if not isinstance(model.teacher, GaussianTeacher):
        raise ValueError("the teacher-norm correction needs a GaussianTeacher")
    return model.replace(teacher=GaussianTeacher(rho=float(rho)))


def _theory_and_slopes(model, rho_eff):
    """Theory at ``rho_eff`` and the RS slopes ``d obs/d rho`` (central difference)."""
    th = glassy_theory(_with_rho(model, rho_eff))
    h = _RHO_STEP * rho_eff
    from .rs import solve_rs

    lo = theory_observables(solve_rs(_with_rho(model, rho_eff - h), init="multi", warn=False))
    hi = theory_observables(solve_rs(_with_rho(model, rho_eff + h), init="multi", warn=False))
    slopes = {k: (hi[k] - lo[k]) / (2 * h) for k in lo}
    slopes["p_q1"] = 0.0
    return th, slopes


def _corrected(per, rho, slopes, rho_ref=None):
    """Mean and standard error of ``per - slope (rho_i - rho_ref)`` over instances
    (``rho_ref`` defaults to ``mean rho_i``)."""
    rho = np.asarray(rho, dtype=float)
    ref = float(rho.mean()) if rho_ref is None else float(rho_ref)
    out = {}
    for k, v in per.items():
        v = np.asarray(v, dtype=float) - slopes.get(k, 0.0) * (rho - ref)
        se = float(v.std(ddof=1) / math.sqrt(v.size)) if v.size > 1 else math.nan
        out[k] = (float(v.mean()), se)
    return out


# ---------------------------------------------------------------------------------------------
# Monte Carlo


@dataclass(frozen=True)
class MCPoint:
    """Monte Carlo at one ``d``, teacher-norm corrected (see module docstring).

    Attributes
    ----------
    d : int
    values : dict
        ``name -> (mean, standard error over instances)`` for the names in ``OBS``.
    rho_eff : float
        Mean ``|w0|^2/d`` of the instances (the theory is evaluated there).
    problems : list of str
        Equilibration warnings of :meth:`replicaquant.montecarlo.MCResult.equilibration_problems`.
    mc : MCResult
    """

    d: int
    values: dict
    rho_eff: float
    problems: list
    mc: object = field(repr=False)


def mc_point(res, *, q_threshold: float, slopes: dict | None = None,
             rho_ref: float | None = None) -> MCPoint:
    """:class:`MCPoint` of a finished :class:`~replicaquant.montecarlo.MCResult` (needs >= 2
    instances): per-instance ``m, q, energy, train_error, gen_error_mean`` and ``p_q1`` (fraction
    of the sampled ``q_ab`` above ``q_threshold``), teacher-norm corrected with ``slopes`` to
    ``rho_ref`` (default: the instances' mean ``|w0|^2/d``, reported as ``rho_eff``)."""
    per = {k: res.per_instance[k] for k in ("m", "q", "energy", "train_error", "gen_error_mean")}
    per["p_q1"] = np.array([float(np.mean(r.q_series > q_threshold)) for r in res.instances])
    rho = np.array([r.rho_instance for r in res.instances])
    vals = _corrected(per, rho, slopes or {}, rho_ref)
    return MCPoint(d=res.d, values=vals, rho_eff=float(rho.mean() if rho_ref is None else rho_ref),
                   problems=res.equilibration_problems(), mc=res)


def glassy_mc(model: Model, ds, *, q_threshold: float, instances: int = 8, sweeps: int = 20000,
              burn_in: int = 20000, temps=10, beta_min: float = 2.0, seed: int = 0,
              slopes: dict | None = None, progress=None) -> tuple:
    """Parallel-tempering Monte Carlo of ``model`` at each dimension in ``ds``.

    Each ``d`` runs :func:`replicaquant.montecarlo.monte_carlo` (``instances`` data sets,
    2 replicas, ``temps`` temperatures geometric in ``[beta_min, beta]``; ``temps`` may be a
    dict ``d -> temps``).  ``p_q1`` per instance is the fraction of sampled ``q_ab`` above
    ``q_threshold``.  With ``slopes`` (``d obs/d rho``) the per-instance values are corrected
    for the teacher norm before averaging.

    Returns
    -------
    tuple of MCPoint
    """
    q_threshold = check_real("q_threshold", q_threshold)
    out = []
    for j, d in enumerate(ds):
        d = check_int("d", d, low=2)
        t = temps[d] if isinstance(temps, dict) else temps
        res = monte_carlo(model, d, instances=instances, sweeps=sweeps, burn_in=burn_in, temps=t,
                          beta_min=beta_min, seed=seed + j)
        out.append(mc_point(res, q_threshold=q_threshold, slopes=slopes))
        if progress is not None:
            progress(d)
    return tuple(out)


@dataclass(frozen=True)
class PlateauPoint:
    """Local dynamics started from equilibrium (see :func:`glassy_plateau`).

    Attributes
    ----------
    d, instances, sweeps : int
    self_overlap : tuple
        ``(mean, s.e.)`` over instances of ``w(t).w(0)/d`` averaged over the second half of
        the plain heat-bath run (``w(0)``: a parallel-tempering configuration at ``beta``).
    pair_overlap : tuple
        The same for the overlap of two heat-bath trajectories started from the same ``w(0)``.
    curve : ndarray
        Instance-averaged ``w(t).w(0)/d`` at every sweep.
    start_problems : list of str
        Equilibration warnings of the parallel-tempering runs that produced ``w(0)``.
    """

    d: int
    instances: int
    sweeps: int
    self_overlap: tuple
    pair_overlap: tuple
    curve: np.ndarray = field(repr=False)
    start_problems: list = field(repr=False)


def glassy_plateau(model: Model, d: int, *, instances: int = 8, sweeps: int = 2000,
                   pt_sweeps: int = 4000, pt_burn_in: int = 4000, temps: int = 10,
                   beta_min: float = 2.0, seed: int = 0) -> PlateauPoint:
    """Does a local dynamics started in equilibrium stay in its state?

    For each instance a parallel-tempering run gives a configuration ``w(0)`` at ``beta``
    (``final_w``); two plain heat-bath chains (no tempering) are then started from it and
    run for ``sweeps`` sweeps.  In a liquid (RS) phase ``w(t).w(0)/d`` decays to the
    equilibrium overlap with the Gibbs mean, ``q_RS``; in the d1RSB and 1RSB phases the
    equilibrium configuration sits in one of exponentially many states and the overlap
    stays on the plateau ``q1`` of the frozen branch (for times exponential in ``d``).

    Returns
    -------
    PlateauPoint
    """
    from .data import make_data
    from .montecarlo import monte_carlo_instance

    d = check_int("d", d, low=2)
    instances = check_int("instances", instances, low=2)
    sweeps = check_int("sweeps", sweeps, low=4)
    selfs, pairs, curves, probs = [], [], [], []
    for k, child in enumerate(np.random.SeedSequence(seed).spawn(instances)):
        data_ss, pt_ss, hb_ss = child.spawn(3)
        X, y, w0 = make_data(model, d, data_ss)
        pt = monte_carlo_instance(X, y, model, w0=w0, sweeps=pt_sweeps, burn_in=pt_burn_in,
                                  temps=temps, beta_min=beta_min, seed=np.random.default_rng(pt_ss),
                                  keep_series=True)
        probs += [f"instance {k}: {p}" for p in pt.diagnostics.problems()]
        start = pt.final_w[0]
        hb = monte_carlo_instance(X, y, model, w0=start, sweeps=sweeps, burn_in=0, temps=1,
                                  init=np.array([start, start]), seed=np.random.default_rng(hb_ss),
                                  keep_series=True)
        c = hb.series[:, :, 0].mean(axis=1)
        curves.append(c)
        selfs.append(float(c[sweeps // 2:].mean()))
        pairs.append(float(hb.q_series[sweeps // 2:, 0].mean()))

    def ms(v):
        v = np.asarray(v)
        return float(v.mean()), float(v.std(ddof=1) / math.sqrt(v.size))

    return PlateauPoint(d=d, instances=instances, sweeps=sweeps, self_overlap=ms(selfs),
                        pair_overlap=ms(pairs), curve=np.mean(curves, axis=0), start_problems=probs)


# ---------------------------------------------------------------------------------------------
# AMP


@dataclass(frozen=True)
class AMPPoint:
    """AMP from the uninformed start ``w = 0`` on ``seeds`` data sets at one ``d``.

    Attributes
    ----------
    d, seeds : int
    values : dict
        ``m = w.w0/d``, ``q = |w|^2/d``, ``gen_error_mean = |w - w0|^2/d`` (mean, s.e.),
        teacher-norm corrected.
    converged : int
        Number of runs that converged.
    rho_eff : float
    iterations : ndarray
    """

    d: int
    seeds: int
    values: dict
    converged: int
    rho_eff: float
    iterations: np.ndarray = field(repr=False)


def glassy_amp(model: Model, d: int, *, seeds: int = 8, seed: int = 0, max_iter: int = 500,
               damping: float = 0.0, slopes: dict | None = None) -> AMPPoint:
    """Run :func:`replicaquant.amp.amp` (finite ``beta``, init ``w = 0``) on ``seeds`` instances.

    Instance ``k`` is ``make_data(model, d, seed + k)``.  Reported per run: ``m = w.w0/d``,
    ``q = |w|^2/d`` (the Gibbs-mean overlap AMP estimates; RS ``q``, 1RSB ``x q0 + (1-x) q1``)
    and ``gen_error_mean = |w - w0|^2/d``.

    Returns
    -------
    AMPPoint
    """
    from .amp import amp
    from .data import make_data

    d = check_int("d", d, low=2)
    seeds = check_int("seeds", seeds, low=2)
    per = {k: [] for k in AMP_OBS}
    rho, conv, its = [], 0, []
    for k in range(seeds):
        X, y, w0 = make_data(model, d, seed + k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            run = amp(X, y, model, w0=w0, max_iter=max_iter, damping=damping, warn=False)
        per["m"].append(run.m)
        per["q"].append(run.q)
        per["gen_error_mean"].append(run.mse)
        rho.append(float(w0 @ w0) / d)
        conv += bool(run.converged)
        its.append(run.iterations)
    vals = _corrected({k: np.array(v) for k, v in per.items()}, np.array(rho), slopes or {})
    return AMPPoint(d=d, seeds=seeds, values=vals, converged=conv, rho_eff=float(np.mean(rho)),
                    iterations=np.array(its))


# ---------------------------------------------------------------------------------------------
# verdict


@dataclass(frozen=True)
class Verdict:
    """Which theory a measurement follows.

    Attributes
    ----------
    text : str
        E.g. ``"MC follows 1RSB"``, ``"AMP follows RS (metastable)"``.
    follows : str
        ``"RS"``, ``"1RSB"``, ``"both"`` (consistent with both), ``"neither"`` or
        ``"RS=1RSB"`` (the theories coincide -- d1RSB -- and the measurement agrees with them).
    z_rs, z_1rsb : dict
        ``name -> z`` against each theory (discriminating observables only, unless the
        theories coincide).
    sigma : dict
        ``name -> sqrt(se^2 + fs^2)`` used in the z-scores.
    """

    text: str
    follows: str
    z_rs: dict
    z_1rsb: dict
    sigma: dict


def verdict(name: str, values: dict, rs: dict, rsb1: dict, *, finite_size: dict | None = None,
            z_max: float = 3.0, label: str = "1RSB", names=None) -> Verdict:
    """Classify ``values`` (``name -> (mean, se)``) against RS and 1RSB predictions.

    ``z = (v - T)/sqrt(se^2 + fs^2)``.  Observables on which ``|RS - 1RSB| <= z_max sigma`` do
    not discriminate and are left out; if none discriminates the verdict is "consistent with
    both".  If the theories coincide (to 1e-6 relative, as in the d1RSB phase) the verdict is
    whether the measurement agrees with them.  In the static
    1RSB phase (``label == "1RSB"``) "follows RS" is reported as RS (metastable).
    """
    finite_size = finite_size or {}
    names = [k for k in (names or values) if k in rs and k in rsb1]
    sig = {k: math.hypot(values[k][1], finite_size.get(k, 0.0)) for k in names}
    same = all(abs(rs[k] - rsb1[k]) <= 1e-6 * (1.0 + abs(rs[k])) for k in names)
    disc = [k for k in names if abs(rs[k] - rsb1[k]) > z_max * sig[k]]
    use = disc if disc else names
    zr = {k: (values[k][0] - rs[k]) / sig[k] if sig[k] > 0 else math.inf for k in use}
    z1 = {k: (values[k][0] - rsb1[k]) / sig[k] if sig[k] > 0 else math.inf for k in use}
    mr = max((abs(v) for v in zr.values()), default=0.0)
    m1 = max((abs(v) for v in z1.values()), default=0.0)
    if same:
        follows = "RS=1RSB" if mr <= z_max else "neither"
        text = (f"{name} follows RS (= thermodynamic 1RSB here)" if mr <= z_max else
                f"{name} follows neither RS nor 1RSB (they coincide here; max |z| = {mr:.1f})")
    elif not disc:
        follows = "both"
        text = f"{name} is consistent with both RS and 1RSB (errors too large to tell them apart)"
    elif m1 <= z_max < mr:
        follows, text = "1RSB", f"{name} follows 1RSB"
    elif mr <= z_max < m1:
        follows = "RS"
        text = f"{name} follows RS" + (" (metastable)" if label == "1RSB" else "")
    elif mr <= z_max and m1 <= z_max:
        follows, text = "both", f"{name} is consistent with both RS and 1RSB (not resolved)"
    else:
        c2r = sum(v * v for v in zr.values())
        c21 = sum(v * v for v in z1.values())
        follows = "neither"
        text = (f"{name} follows neither (max |z_RS| = {mr:.1f}, max |z_1RSB| = {m1:.1f}; closer to "
                f"{'1RSB' if c21 < c2r else 'RS'})")
    return Verdict(text=text, follows=follows, z_rs=zr, z_1rsb=z1, sigma=sig)


def calibrated(values: dict, reference: dict, reference_theory: dict,
               names=("energy", "train_error", "p_q1")) -> dict:
    """Subtract the finite-size excess measured where the answer is known.

    ``reference`` are Monte Carlo values (``name -> (mean, se)``) at a point whose exact
    thermodynamics is ``reference_theory`` (e.g. a d1RSB point, where RS is exact), measured at the
    same ``d`` on the same instances; returns ``v - (v_ref - T_ref)`` with the errors added in
    quadrature, for the ``names`` present in all three.
    """
    out = {}
    for k in names:
        if k in values and k in reference and k in reference_theory:
            bias = reference[k][0] - reference_theory[k]
            out[k] = (values[k][0] - bias, math.hypot(values[k][1], reference[k][1]))
    return out


def finite_size_allowance(points) -> dict:
    """``|v(d_max) - v(d_prev)| d_prev/(d_max - d_prev)`` per observable (0 with one ``d``)."""
    pts = sorted(points, key=lambda p: p.d)
    if len(pts) < 2:
        return {}
    a, b = pts[-2], pts[-1]
    f = a.d / (b.d - a.d)
    return {k: abs(b.values[k][0] - a.values[k][0]) * f for k in b.values if k in a.values}


# ---------------------------------------------------------------------------------------------
# one glassy point


@dataclass(frozen=True)
class GlassyComparison:
    """Theory vs Monte Carlo vs AMP at one glassy point.

    Attributes
    ----------
    model : Model
    theory : GlassyTheory
        Evaluated at the Monte Carlo ``rho_eff`` (largest ``d``); the values at every ``d`` are
        corrected to that teacher norm.
    rs, rsb1 : dict
        The RS and thermodynamic-1RSB observables at that ``rho_eff``.
    mc : tuple of MCPoint
    amp : AMPPoint or None
    amp_rs, amp_rsb1 : dict
        The theories at the AMP ``rho_eff``.
    finite_size : dict
        Finite-size allowance of each Monte Carlo observable.
    mc_verdict, amp_verdict : Verdict
    mc_equilibrated : bool
        No equilibration warning at the largest ``d``.
    verdict : str
        ``"; "``-joined texts of both verdicts (plus an equilibration warning).
    """

    model: Model = field(repr=False)
    theory: GlassyTheory
    rs: dict
    rsb1: dict
    mc: tuple = field(repr=False)
    amp: AMPPoint | None = field(repr=False)
    amp_rs: dict = field(repr=False)
    amp_rsb1: dict = field(repr=False)
    finite_size: dict
    mc_verdict: Verdict | None
    amp_verdict: Verdict | None
    mc_equilibrated: bool
    verdict: str

    def table(self) -> str:
        """Rows ``name | RS | 1RSB | MC(d) ± se ... | AMP ± se``."""
        ds = [p.d for p in self.mc]
        head = f"{'':>15s} {'RS':>9s} {'1RSB':>9s}" + "".join(f" {'MC d=' + str(d):>17s}" for d in ds)
        head += f" {'AMP d=' + str(self.amp.d):>17s}" if self.amp else ""
        lines = [f"{self.theory.label} point, x* = {self.theory.x:.3f}, Sigma(1) = "
                 f"{self.theory.complexity_1:.4f}  ({self.model!r})", head]
        for k in OBS:
            line = f"{k:>15s} {self.rs[k]:9.4f} {self.rsb1[k]:9.4f}"
            for p in self.mc:
                v, e = p.values[k]
                line += f" {v:9.4f}±{e:7.4f}"
            if self.amp:
                line += (f" {self.amp.values[k][0]:9.4f}±{self.amp.values[k][1]:7.4f}"
                         if k in self.amp.values else f" {'':>17s}")
            lines.append(line)
        lines.append(self.verdict)
        return "\n".join(lines)


def compare_glassy(model: Model, *, ds=(50, 100), instances: int = 8, sweeps: int = 20000,
                   burn_in: int = 20000, temps=10, beta_min: float = 2.0, amp_d: int | None = None,
                   amp_seeds: int = 8, amp_max_iter: int = 500, seed: int = 0,
                   z_max: float = 3.0, theory: GlassyTheory | None = None,
                   progress=None) -> GlassyComparison:
    """Run Monte Carlo (at each ``d`` in ``ds``) and AMP (at ``amp_d``, default ``max(ds)``) at
    ``model`` and say which theory each reaches.

    The theory is :func:`glassy_theory` at the realised teacher norm; the Monte Carlo verdict
    uses the largest ``d`` with the finite-size allowance of :func:`finite_size_allowance`,
    AMP its standard errors over seeds (its finite-size effects, O(1/d) at ``amp_d``, are far
    below the differences at the ``amp_d`` used).  ``z_max`` is the z-score threshold.

    Returns
    -------
    GlassyComparison
    """
    if not isinstance(model, Model):
        raise ValueError(f"model must be a replicaquant Model, got {type(model).__name__}")
    ds = tuple(sorted(check_int("ds", d, low=2) for d in ds))
    if not ds:
        raise ValueError("ds must contain at least one dimension")
    th0 = theory if theory is not None else glassy_theory(model)
    _, slopes = _theory_and_slopes(model, model.rho)
    mc = ()
    if instances:
        mc = glassy_mc(model, ds, q_threshold=th0.q_threshold if th0.label != "RS" else math.inf,
                       instances=instances, sweeps=sweeps, burn_in=burn_in, temps=temps,
                       beta_min=beta_min, seed=seed, slopes=slopes, progress=progress)
    rho_mc = mc[-1].rho_eff if mc else model.rho
    # every d corrected to the same teacher norm (that of the largest d), where the theory is
    mc = tuple(mc_point(p.mc, q_threshold=th0.q_threshold if th0.label != "RS" else math.inf,
                        slopes=slopes, rho_ref=rho_mc) for p in mc)
    th = glassy_theory(_with_rho(model, rho_mc))
    rs, r1 = th.observables("rs"), th.observables("1rsb")
    fs = finite_size_allowance(mc)
    mcv = None
    equilibrated = True
    texts = []
    if mc:
        mcv = verdict("MC", mc[-1].values, rs, r1, finite_size=fs, z_max=z_max, label=th.label)
        equilibrated = not mc[-1].problems
        texts.append(mcv.text + ("" if equilibrated else
                                 f" [PT equilibration warnings at d = {mc[-1].d}: {len(mc[-1].problems)}]"))
    ampp, ampv, ars, ar1 = None, None, {}, {}
    if amp_seeds:
        ampp = glassy_amp(model, amp_d or ds[-1], seeds=amp_seeds, seed=seed + 1000,
                          max_iter=amp_max_iter, slopes=slopes)
        tha = glassy_theory(_with_rho(model, ampp.rho_eff))
        ars, ar1 = tha.observables("rs"), tha.observables("1rsb")
        ampv = verdict("AMP", ampp.values, ars, ar1, z_max=z_max, label=th.label, names=AMP_OBS)
        texts.append(ampv.text + f" ({ampp.converged}/{ampp.seeds} runs converged)")
    return GlassyComparison(model=model, theory=th, rs=rs, rsb1=r1, mc=mc, amp=ampp, amp_rs=ars,
                            amp_rsb1=ar1, finite_size=fs, mc_verdict=mcv, amp_verdict=ampv,
                            mc_equilibrated=equilibrated, verdict="; ".join(texts))
