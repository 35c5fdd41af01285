"""Phase of a model beyond the AT test: RS, dynamical 1RSB, static 1RSB, full RSB.

``rq.phase(model)`` runs the RS solver and the 1RSB branch search of
:func:`replicaquant.rsb.solve_1rsb` (every nontrivial branch at ``x = 1``, each followed down in
``x``) and classifies the point (definitions in ``docs/phases.md``; complexity
``Sigma(x) = beta x^2 df/dx`` in nats per weight on a branch):

* ``"RS"``: no nontrivial 1RSB branch at ``x = 1`` with ``Sigma(1) > 0`` and no branch with an
  interior maximum of ``f(x)``, and ``at < 1``.  (A nontrivial ``x = 1`` branch with
  ``Sigma(1) < 0`` whose ``f(x)`` has its maximum at ``x = 1`` does not occur; see the docs.)
* ``"d1RSB"`` (dynamical): a nontrivial branch exists at ``x = 1`` with ``Sigma(1) > 0`` and no
  branch has an interior maximum: the thermodynamics is RS (``f = f_RS``) but the Gibbs measure
  splits into ``exp(d Sigma(1))`` states.
* ``"1RSB"`` (static): the Parisi ``x*`` is interior, ``Sigma(x*) = 0``, ``f(x*) > f_RS``, and the
  1RSB saddle point is stable (both replicons <= 1).
* ``"FRSB"``: as ``"1RSB"`` but a 1RSB replicon (within or between states) exceeds 1: the 1RSB
  saddle point is itself unstable and 1RSB is an approximation.

If a branch's ``f(x)`` rises above ``f_RS`` but the continuation loses the branch before the
maximum, the point is reported ``"1RSB"``/``"FRSB"`` with ``converged=False`` and the best point
reached (a lower bound of the 1RSB free energy), never as ``"RS"``.

``transition`` says how the broken phase is reached from RS: ``"continuous"`` when RS is
AT-unstable (``at >= 1``) and the thermodynamic branch is the one that splits off RS at the AT
line (at ``x = 1`` the root with the smallest ``q1 - q0``); ``"discontinuous"`` when RS is
locally stable (``at < 1``, the Kauzmann point ``Sigma(1) = 0`` comes first) or another (frozen)
branch wins; ``None`` in the RS phase.  ``at < 1`` is *local* stability of RS only.

Along a line of points (``rq.sweep(..., phase=True)``, :func:`phase_line`) each point may be
continued from its neighbour (``near=``): the ``x = 1`` branches are found afresh (one-variable
scan, cheap) and, when they match the neighbour's one to one, each interior branch is followed
from the neighbour's Parisi maximum instead of being walked down from ``x = 1``; any mismatch
(a branch appears or vanishes, changes kind, is lost or lands on another branch) falls back to
the full branch search, so no branch is jumped silently.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from .model import Model
from .rs import RSSolution, solve_rs
from .rsb import RSB1Branch, RSB1Solution, _same_point, _search_opts, solve_1rsb, x1_roots

__all__ = ["PhaseReport", "phase", "phase_fields", "phase_line", "report_fields", "LABELS"]

LABELS = ("RS", "d1RSB", "1RSB", "FRSB")


@dataclass(frozen=True)
class PhaseReport:
    """Phase of one model point (see the module docstring for the definitions).

    Attributes
    ----------
    label : str
        ``"RS"``, ``"d1RSB"``, ``"1RSB"`` or ``"FRSB"``.
    transition : str or None
        ``"continuous"``, ``"discontinuous"`` or ``None`` (RS).
    x : float
        Thermodynamic Parisi parameter (``1.0`` for RS and d1RSB).
    free_energy, free_energy_rs : float
        Thermodynamic ``f`` (``f(x*)`` for 1RSB/FRSB, ``f_RS`` otherwise) and the RS ``f``.
    complexity : float
        ``Sigma(1)`` of the dynamical branch for d1RSB, ``Sigma(x*)`` (``~0``) for 1RSB/FRSB,
        ``0`` for RS.
    complexity_x1 : float
        Largest ``Sigma(1)`` over the nontrivial ``x = 1`` branches (``nan`` if there is none).
    at : float
        RS replicon value ``alpha/(1+chi)^2 E[(beta Var)^2]`` (``< 1``: RS *locally* stable).
    replicon, replicon_between : float
        1RSB replicons (within / between states) of the thermodynamic 1RSB solution;
        ``nan`` for RS and d1RSB.
    q0, q1 : float
        Thermodynamic overlaps (``q0 = q1 = q_RS`` for RS and d1RSB).
    gen_error, gen_error_mean, train_error : float
        Thermodynamic observables.
    n_branches : int
        Number of nontrivial branches found at ``x = 1``.
    rs : RSSolution
        The RS solution.
    rsb : RSB1Solution
        The thermodynamic 1RSB solution of :func:`~replicaquant.rsb.solve_1rsb` (its
        ``branches`` hold every branch; ``rsb.iterations`` counts the map evaluations spent).
    continued : bool
        The branches were continued from a neighbouring point (``phase(..., near=...)``)
        rather than found by the full search.
    converged : bool
        Both solvers converged and the branch search was conclusive.
    message : str
        Why this label.
    """

    label: str
    transition: str | None
    x: float
    free_energy: float
    free_energy_rs: float
    complexity: float
    complexity_x1: float
    at: float
    replicon: float
    replicon_between: float
    q0: float
    q1: float
    gen_error: float
    gen_error_mean: float
    train_error: float
    n_branches: int
    converged: bool
    message: str
    rs: RSSolution = field(repr=False)
    rsb: RSB1Solution = field(repr=False)
    continued: bool = False

    FIELDS = ("x", "free_energy", "free_energy_rs", "complexity", "complexity_x1", "at", "replicon",
              "replicon_between", "q0", "q1", "gen_error", "gen_error_mean", "train_error")

    def as_dict(self) -> dict:
        """Plain dict (floats, str, bool, int) for JSON / tables."""
        d = {k: float(getattr(self, k)) for k in self.FIELDS}
        d.update(label=self.label, transition=self.transition, n_branches=int(self.n_branches),
                 converged=bool(self.converged), message=self.message)
        return d


def phase(model: Model, *, init: RSB1Solution | None = None, near: PhaseReport | None = None,
          replicon_tol: float = 0.0, **solve_kwargs) -> PhaseReport:
    """Classify ``model`` as RS, d1RSB, 1RSB or FRSB.

    The thermodynamic 1RSB solution maximises ``f(x)`` over ``x in (0, 1]`` across every
    nontrivial branch found at ``x = 1`` (:func:`replicaquant.rsb.solve_1rsb`); the label follows
    the module docstring (``Sigma(x) = beta x^2 df/dx``; FRSB when a 1RSB replicon exceeds
    ``1 + replicon_tol``).

    Parameters
    ----------
    model : Model
        The point; at ``beta = inf`` the report comes from
        :func:`replicaquant.rsb_zero.phase_zero` (zero-temperature 1RSB; FRSB not tested).
    init : RSB1Solution, optional
        Warm start for the 1RSB solver: only that solution's branch is followed (no branch
        search, so a branch appearing elsewhere is not seen).  Default: the full branch search.
    near : PhaseReport, optional
        Report of a neighbouring point (continuation along an axis, as in :func:`phase_line`):
        the ``x = 1`` branches are found afresh and, if they match ``near``'s one to one (same
        number, same kinds), each interior branch is followed from ``near``'s maximum on it; on
        any mismatch the full branch search is run (``continued=False`` in the report).
    replicon_tol : float
        A 1RSB solution is called unstable (FRSB) when a replicon exceeds ``1 + replicon_tol``.
    **solve_kwargs
        Passed to :func:`replicaquant.rsb.solve_1rsb` (e.g. ``tol``, ``x_tol``, ``warn``).

    Returns
    -------
    PhaseReport
    """
    if not isinstance(model, Model):
        raise TypeError(f"model must be a replicaquant Model, got {type(model).__name__}")
    replicon_tol = float(replicon_tol)
    if not (math.isfinite(replicon_tol) and replicon_tol >= 0.0):
        raise ValueError(f"replicon_tol must be finite and >= 0, got {replicon_tol!r}")
    if near is not None and not isinstance(near, PhaseReport):
        raise TypeError(f"near must be a PhaseReport (or None), got {type(near).__name__}")
    solve_kwargs.setdefault("warn", False)
    if math.isinf(model.beta):  # zero temperature: the frozen 1RSB ground state (rsb_zero)
        from .rsb_zero import phase_zero
        return phase_zero(model, **solve_kwargs)
    if near is not None and init is None:
        sol = _continued(model, near, solve_kwargs)
        if sol is not None:
            return replace(classify(sol, replicon_tol=replicon_tol), continued=True)
    sol = solve_1rsb(model, init=init, **solve_kwargs)
    return classify(sol, replicon_tol=replicon_tol)


def _continued(model: Model, near: PhaseReport, solve_kwargs: dict) -> RSB1Solution | None:
    """The branch search of ``model`` continued from ``near`` (see :func:`phase`), or ``None``
    when it does not apply (no interior branch to continue) or the branches do not match."""
    prev = near.rsb
    if not isinstance(prev, RSB1Solution) or not prev.branches:
        return None
    kinds = [b.kind for b in prev.branches]
    if "open" in kinds or "interior" not in kinds:
        return None  # nothing to save (x = 1 branches only) or nothing reliable to start from
    rs = solve_rs(model, init="multi", warn=False)
    if not rs.converged:
        return None
    counts = {}
    roots, _ = x1_roots(model, rs, counts=counts, **_search_opts(solve_kwargs))
    ev = {"x1_roots": counts["full"], "walk": 0, "polish": 0, "coarse": counts["coarse"]}
    if len(roots) != len(prev.branches):
        return None  # a branch appeared or vanished between the two points
    branches = []
    for i, (root, pb) in enumerate(zip(roots, prev.branches)):
        if (root.complexity >= 0.0) != (pb.kind == "x=1"):
            return None  # Sigma(1) changed sign (a static or dynamical line was crossed)
        if pb.kind == "x=1":
            branches.append(RSB1Branch(index=i, at_one=root, best=root, kind="x=1", path=(root,),
                                       message="Sigma(1) >= 0: f decreases below x = 1"))
            continue
        sol = solve_1rsb(model, init=pb.best, **solve_kwargs)
        for k, v in (getattr(sol, "evaluations", None) or {"walk": sol.iterations}).items():
            ev[k] = ev.get(k, 0) + int(v)
        walked = sol.branches[0] if sol.branches else None
        if not (sol.converged and walked is not None and walked.kind == "interior"):
            return None
        branches.append(RSB1Branch(index=i, at_one=root, best=walked.best, kind="interior",
                                   path=walked.path, message=walked.message))
    inner = [b for b in branches if b.kind == "interior"]
    # one branch per maximum, in the neighbour's order of q1 - q0 (else a walk landed elsewhere)
    for a, b in zip(inner, inner[1:]):
        if _same_point(a.best.state, b.best.state) or not (
                a.best.q1 - a.best.q0 < b.best.q1 - b.best.q0):
            return None
    win = max(inner, key=lambda b: b.free_energy)
    why = (f"branch {win.index} of {len(branches)} at x = 1, continued from the neighbouring point "
           f"(x* there {prev.x:.6g}): interior maximum of f at x* = {win.x:.6g}, "
           f"f - f_RS = {win.free_energy - rs.free_energy:.3e}")
    extra = {"evaluations": ev} if hasattr(win.best, "evaluations") else {}
    return replace(win.best, iterations=int(sum(ev.values())), message="converged; " + why,
                   branch=why, branches=tuple(branches), **extra)


def _broken(label, transition, point: RSB1Solution, sol: RSB1Solution, complexity_x1, converged,
            why) -> PhaseReport:
    """Report of a broken (1RSB/FRSB) phase whose thermodynamics is the 1RSB ``point``."""
    rs = sol.rs
    return PhaseReport(label=label, transition=transition, x=point.x, free_energy=point.free_energy,
                       free_energy_rs=rs.free_energy, complexity=point.complexity,
                       complexity_x1=complexity_x1, at=rs.at, replicon=point.replicon,
                       replicon_between=point.replicon_between, q0=point.q0, q1=point.q1,
                       gen_error=point.gen_error, gen_error_mean=point.gen_error_mean,
                       train_error=point.train_error, n_branches=len(sol.branches),
                       converged=converged, message=why, rs=rs, rsb=sol)


def classify(sol: RSB1Solution, *, replicon_tol: float = 0.0) -> PhaseReport:
    """:class:`PhaseReport` of a thermodynamic :func:`~replicaquant.rsb.solve_1rsb` result."""
    rs = sol.rs
    nan = math.nan
    branches = sol.branches
    sig1 = [b.at_one.complexity for b in branches]
    complexity_x1 = max(sig1) if sig1 else nan
    interior = sol.rsb and sol.x < 1.0 and any(b.kind == "interior" for b in branches)
    converged = bool(sol.converged and rs.converged)
    if interior:
        rep = max(sol.replicon, sol.replicon_between)
        label = "FRSB" if rep > 1.0 + replicon_tol else "1RSB"
        win = next((b for b in branches if b.best is not None and b.best.x == sol.x
                    and b.best.free_energy == sol.free_energy), None)
        idx = win.index if win is not None else -1
        transition = "continuous" if (rs.at >= 1.0 and idx == 0) else "discontinuous"
        why = (f"{label}: interior Parisi maximum x* = {sol.x:.6g} (Sigma(x*) = {sol.complexity:.2g}), "
               f"f - f_RS = {sol.free_energy - rs.free_energy:.3e}; replicons within/between = "
               f"{sol.replicon:.4g}/{sol.replicon_between:.4g}; at = {rs.at:.4g} "
               f"({'RS locally unstable' if rs.at >= 1 else 'RS locally stable'}); {transition}")
        return _broken(label, transition, sol, sol, complexity_x1, converged, why)
    opened = [b for b in branches if b.kind == "open" and b.best.free_energy > rs.free_energy + 1e-12]
    if opened:
        # a branch whose f(x) rises above f_RS but whose maximum was not located (the walk lost
        # it): RS is certainly not the thermodynamic phase; report the best point reached (a lower
        # bound of the 1RSB free energy), not converged
        b = max(opened, key=lambda z: z.best.free_energy)
        best = b.best
        rep = max(best.replicon, best.replicon_between)
        label = "FRSB" if rep > 1.0 + replicon_tol else "1RSB"
        transition = "continuous" if (rs.at >= 1.0 and b.index == 0) else "discontinuous"
        why = (f"{label} (x* not located): branch {b.index} has f - f_RS = "
               f"{best.free_energy - rs.free_energy:.3e} > 0 at x = {best.x:.4g} but {b.message}; "
               f"at = {rs.at:.4g}")
        return _broken(label, transition, best, sol, complexity_x1, False, why)
    dyn = [b for b in branches if b.kind == "x=1" and b.at_one.complexity > 0.0]
    if dyn:
        label, transition = "d1RSB", "discontinuous"
        cplx = max(b.at_one.complexity for b in dyn)
        why = (f"d1RSB: {len(dyn)} nontrivial x = 1 branch(es) with Sigma(1) = {cplx:.4g} > 0 and no "
               f"interior maximum of f: thermodynamics RS (f = f_RS), at = {rs.at:.4g}")
    else:
        label, transition, cplx = "RS", None, 0.0
        why = f"RS: no nontrivial 1RSB branch with Sigma(1) > 0 or an interior maximum; at = {rs.at:.4g}"
        if rs.at >= 1.0:
            converged = False
            why = f"inconclusive: RS is AT-unstable (at = {rs.at:.4g}) but {sol.message}"
    if not sol.converged:
        why = f"{why}; 1RSB search: {sol.message}"
    return PhaseReport(label=label, transition=transition, x=1.0, free_energy=rs.free_energy,
                       free_energy_rs=rs.free_energy, complexity=cplx, complexity_x1=complexity_x1,
                       at=rs.at, replicon=nan, replicon_between=nan, q0=rs.q, q1=rs.q,
                       gen_error=rs.gen_error, gen_error_mean=rs.gen_error_mean,
                       train_error=rs.train_error, n_branches=len(branches), converged=converged,
                       message=why, rs=rs, rsb=sol)


def report_fields(rep: PhaseReport) -> dict:
    """Flat ``{name: float | str}`` of a :class:`PhaseReport` (the fields of :func:`phase_fields`)."""
    d = {"phase": rep.label, "phase_transition": rep.transition or "none"}
    for k in PhaseReport.FIELDS:
        if k == "free_energy_rs":
            continue
        d[f"phase_{k}"] = float(getattr(rep, k))
    d["phase_n_branches"] = float(rep.n_branches)
    d["phase_converged"] = 1.0 if rep.converged else 0.0
    return d


def phase_fields(model: Model, **kwargs) -> dict:
    """Flat ``{name: float | str}`` of :func:`phase` for sweeps (``rq.sweep(..., phase=True)``).

    Keys: ``phase`` (label), ``phase_transition`` (``"continuous"``, ``"discontinuous"`` or
    ``"none"``), and floats ``phase_x``, ``phase_free_energy``, ``phase_complexity``,
    ``phase_complexity_x1``, ``phase_at``, ``phase_replicon``, ``phase_replicon_between``,
    ``phase_q0``, ``phase_q1``, ``phase_gen_error``, ``phase_gen_error_mean``,
    ``phase_train_error``, ``phase_n_branches``, ``phase_converged`` (1.0 / 0.0).
    ``nan`` marks a quantity that does not apply (replicons in the RS phase).  ``kwargs`` go to
    :func:`phase` (``near=`` continues from a neighbour's report); along a line use
    :func:`phase_line`, which returns the reports (for :func:`report_fields`).
    """
    return report_fields(phase(model, **kwargs))


def phase_line(models, *, warm: bool = True, **kwargs) -> tuple:
    """:func:`phase` at each model of a line (in order), each continued from its predecessor.

    ``warm=True``: point ``i`` is classified with ``near=`` the report of point ``i - 1`` (see
    :func:`phase`: fresh ``x = 1`` branches, interior branches followed from the neighbour's
    maxima, the full search whenever the branches do not match); ``warm=False``: every point by
    the full search.  The labels, ``x*`` and ``f`` are those of the full search (same branches,
    same Parisi rule); ``sum(r.rsb.iterations for r in reports)`` counts the map evaluations.

    Returns
    -------
    tuple of PhaseReport
    """
    reports = []
    for mdl in models:
        near = reports[-1] if (warm and reports) else None
        reports.append(phase(mdl, near=near, **kwargs))
    return tuple(reports)
