"""Experiment drivers: finite-``d`` algorithms (AMP, Monte Carlo) next to the theory.

Every driver returns plain Python data (dicts of numbers and lists) ready for JSON, so that the
command line (``replicaquant amp``, ``replicaquant mc``) only parses options, calls a driver and
prints, and the figures reuse the same code.

**Realised teacher norm.**  A finite instance has ``|w0|^2/d = rho (1 + O(sqrt(2/d)))`` (Gaussian
teacher), and every order parameter moves with it: comparing a finite-``d`` run against the
theory at the nominal ``rho`` mixes this known fluctuation into the apparent disagreement.  The
drivers therefore also report the theory evaluated at each instance's realised norm
``rho_s = |w0_s|^2/d`` (:func:`theory_at_teacher_norms`), averaged over the instances --
the comparison whose residual difference is the genuine finite-size effect.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["amp_vs_state_evolution", "theory_at_teacher_norms", "mc_vs_theory", "FINITE_SIZE_D"]

#: below this dimension the CLI and the figures print a finite-size note
FINITE_SIZE_D = 1000


def _pad(a: np.ndarray, length: int) -> np.ndarray:
    """Extend a converged history by its final value (a converged run stays at its fixed point)."""
    if a.size >= length:
        return a[:length]
    return np.concatenate([a, np.full(length - a.size, a[-1])])


def theory_at_teacher_norms(model, rhos, *, rsb: bool = False) -> dict:
    """Theory observables averaged over instances, each at its own teacher norm ``rho_s``.

    For a Gaussian teacher the model of instance ``s`` is ``model`` with
    ``GaussianTeacher(rho_s)``; the RS (``rsb=False``) or 1RSB saddle point is solved there and
    :func:`replicaquant.montecarlo.theory_observables` (with ``gen_error = rho_s - 2m + Q``,
    ``gen_error_mean = rho_s - 2m + q``) is averaged over ``s``.  For a discrete teacher the
    norm is not a parameter of the law; the nominal model is used (``"realised": False``).

    Returns
    -------
    dict
        ``{"values": {observable: mean}, "per_instance": {observable: list}, "rhos": list,
        "converged": bool (all solves), "realised": bool}``
    """
    from .montecarlo import theory_observables
    from .rs import solve_rs
    from .teachers import GaussianTeacher

    rhos = [float(r) for r in rhos]
    gaussian = isinstance(model.teacher, GaussianTeacher)
    per: dict[str, list] = {}
    conv = True
    for r in (rhos if gaussian else [model.rho]):
        m = model.replace(teacher=GaussianTeacher(r)) if gaussian else model
        if rsb:
            from .rsb import solve_1rsb

            sol = solve_1rsb(m, warn=False)
        else:
            sol = solve_rs(m, init="multi", warn=False)
        conv = conv and bool(sol.converged)
        for k, v in theory_observables(sol, m).items():
            per.setdefault(k, []).append(v)
    return {"values": {k: float(np.mean(v)) for k, v in per.items()}, "per_instance": per,
            "rhos": rhos, "converged": conv, "realised": gaussian}


def amp_vs_state_evolution(model, *, d: int, seeds, max_iter: int = 200,
                           tol: float | None = None, damping: float = 0.0, dtype=np.float64,
                           progress=None) -> dict:
    """Run AMP on fresh data for each seed next to state evolution and the replica fixed point.

    For each seed ``s``: ``X, y, w0 = make_data(model, d, seed=s)`` and
    :func:`replicaquant.amp.amp` (MSE ``|w_t - w0|^2/d`` per iteration); state evolution
    :func:`replicaquant.state_evolution.state_evolution` for as many iterations as the longest
    run; the RS fixed point :func:`replicaquant.rs.solve_rs`, at the nominal teacher norm and at
    each seed's realised ``|w0|^2/d`` (``replica_realised``; see the module docstring).

    Per-iteration AMP statistics pad converged runs with their final value, so that the arrays
    have length ``T + 1`` with ``T`` the longest run.

    Parameters
    ----------
    model : Model
        Finite ``beta``.
    d : int
        Dimension (``n = round(alpha d)``).
    seeds : iterable of int
        One data set per seed.
    max_iter, tol, damping, dtype
        Passed to :func:`replicaquant.amp.amp` (``tol=None``: its default for ``dtype``).
    progress : callable, optional
        ``progress(k, n_seeds)`` after each seed.

    Returns
    -------
    dict
        ``model, levels, params, replica, replica_realised, state_evolution, amp, summary``
        (every number as plain Python types or arrays, for :func:`~replicaquant.commands._common.dump_json`).
    """
    from .amp import DEFAULT_TOL, amp
    from .data import make_data
    from .rs import solve_rs
    from .state_evolution import state_evolution

    if tol is None:  # amp's own default for dtype, recorded in params
        tol = float(DEFAULT_TOL[np.dtype(dtype).name])
    seeds = [int(s) for s in seeds]
    runs, rhos = [], []
    for k, s in enumerate(seeds):
        X, y, w0 = make_data(model, d, seed=s, dtype=dtype)
        r = amp(X, y, model, w0=w0, max_iter=max_iter, tol=tol, damping=damping, warn=False)
        del X
        runs.append((s, r))
        rhos.append(float(np.dot(w0, w0) / d))
        if progress is not None:
            progress(k + 1, len(seeds))
    T = max(r.iterations for _, r in runs)
    se = state_evolution(model, n_iter=max(T, 1), warn=False)
    sol = solve_rs(model, warn=False)
    real = theory_at_teacher_norms(model, rhos)
    S = len(runs)
    mse = np.array([_pad(r.history.mse, T + 1) for _, r in runs])
    V = np.array([_pad(r.history.V, T + 1) for _, r in runs])
    sem = mse.std(axis=0, ddof=1) / math.sqrt(S) if S > 1 else np.zeros(T + 1)
    final = np.array([r.mse for _, r in runs])
    fsem = float(final.std(ddof=1) / math.sqrt(S)) if S > 1 else 0.0
    real_gen = real["values"]["gen_error_mean"]
    summary = {
        "amp_final_mse_mean": float(final.mean()),
        "amp_final_mse_sem": fsem,
        "se_final_mse": float(se.mse[-1]),
        "replica_gen_error_mean": float(sol.gen_error_mean),
        "replica_realised_gen_error_mean": float(real_gen),
        "gap_amp_minus_se": float(final.mean() - se.mse[-1]),
        "gap_amp_minus_replica": float(final.mean() - sol.gen_error_mean),
        # paired per seed: AMP minus the RS value at that seed's own |w0|^2/d
        "gap_amp_minus_replica_realised": float(np.mean(final - np.array(
            real["per_instance"]["gen_error_mean"]))),
        "max_abs_gap_per_iteration": float(np.max(np.abs(mse.mean(axis=0) - se.mse[:T + 1]))),
        "converged_runs": int(sum(r.converged for _, r in runs)),
        "runs": S,
        "at": float(sol.at),
        "rs_stable": bool(sol.rs_stable),
    }
    return {
        "model": repr(model),
        "levels": model.levels,
        "params": {"d": d, "n": int(round(model.alpha * d)), "seeds": seeds,
                   "max_iter": max_iter, "tol": tol, "damping": damping,
                   "dtype": np.dtype(dtype).name},
        "replica": sol.as_dict(),
        "replica_realised": real,
        "state_evolution": {"t": list(range(T + 1)), "mse": se.mse[:T + 1], "m": se.m[:T + 1],
                            "q": se.q[:T + 1], "chi": se.chi[:T + 1], "converged": se.converged,
                            "residual": se.residual},
        "amp": {"t": list(range(T + 1)), "mse_mean": mse.mean(axis=0), "mse_sem": sem,
                "V_mean": V.mean(axis=0), "teacher_norms": rhos,
                "runs": [dict(seed=int(s), **r.as_dict()) for s, r in runs]},
        "summary": summary,
    }


def mc_vs_theory(model, result, *, rsb: bool | None = None) -> dict:
    """Compare a :class:`~replicaquant.montecarlo.MCResult` with RS, 1RSB and the thermodynamic phase.

    Reference values (:func:`replicaquant.montecarlo.theory_observables`): RS at the nominal
    teacher norm (``rs``), RS averaged over the instances' realised norms (``rs_realised``).
    The phase of the model is :func:`replicaquant.phase.phase` (finite ``beta``; label RS,
    d1RSB, 1RSB or FRSB).  Where replica symmetry is broken (label 1RSB/FRSB, or RS unstable
    ``at > 1``; ``rsb=True`` forces it, ``rsb=False`` skips it) the 1RSB saddle point is the
    reference the same two ways (``rsb1``, ``rsb1_realised``).  ``preferred`` names the
    reference the Monte Carlo should match: ``"rsb1_realised"`` when 1RSB breaks replica
    symmetry thermodynamically, else ``"rs_realised"`` (d1RSB: the free energy is RS, but the
    sampler can be trapped in metastable states -- see ``notes``).  For each reference, ``z``
    holds ``(MC - theory)/s.e.`` per observable.

    Returns
    -------
    dict
        ``{"rs", "rs_at", "rs_stable", "rs_converged", "rs_message", "rs_realised", "phase",
        "rsb1", "rsb1_realised", "rsb1_breaks_symmetry", "preferred", "z", "notes",
        "finite_size_note"}``
    """
    from .montecarlo import OBSERVABLES, theory_observables
    from .rs import solve_rs

    rhos = [inst.rho_instance for inst in result.instances if inst.rho_instance is not None]
    sol = solve_rs(model, init="multi", warn=False)
    out = {"rs": theory_observables(sol), "rs_at": float(sol.at), "rs_stable": bool(sol.rs_stable),
           "rs_converged": bool(sol.converged), "rs_message": sol.message,
           "rs_realised": theory_at_teacher_norms(model, rhos) if rhos else None,
           "phase": None, "rsb1": None, "rsb1_realised": None, "rsb1_breaks_symmetry": False}
    notes = []
    report = None
    if math.isfinite(model.beta) and rsb is not False:
        from .phase import phase as thermodynamic_phase

        try:
            report = thermodynamic_phase(model, warn=False)
        except (ValueError, RuntimeError, ArithmeticError) as exc:  # reported, not fatal
            notes.append(f"phase classification failed: {exc}")
        if report is not None:
            out["phase"] = report.as_dict()
    broken = report is not None and report.label in ("1RSB", "FRSB")
    want_rsb = (broken or not sol.rs_stable) if rsb is None else bool(rsb)
    if want_rsb and math.isfinite(model.beta):
        if report is not None and report.rsb is not None and broken:
            s1 = report.rsb
        else:
            from .rsb import solve_1rsb

            s1 = solve_1rsb(model, warn=False)
        out["rsb1"] = theory_observables(s1) | {"q0": float(s1.q0), "q1": float(s1.q1),
                                                "x": float(s1.x), "converged": bool(s1.converged)}
        out["rsb1_breaks_symmetry"] = bool(s1.converged and s1.rsb)
        if rhos and out["rsb1_breaks_symmetry"]:
            out["rsb1_realised"] = theory_at_teacher_norms(model, rhos, rsb=True)
    if report is not None:
        if report.label == "FRSB":
            notes.append("phase FRSB: the 1RSB values are the first step of full RSB (an "
                         "approximation); small residual differences are expected")
        elif report.label == "d1RSB":
            notes.append("phase d1RSB: the equilibrium is RS, but an exponential number of "
                         "metastable states traps local dynamics; Monte Carlo may not reach it")
        elif report.label == "RS" and not sol.rs_stable:
            notes.append("RS is locally unstable (at > 1) but the phase classification found no "
                         "1RSB branch")
    refs = {"rs": out["rs"],
            "rs_realised": out["rs_realised"]["values"] if out["rs_realised"] else None,
            "rsb1": out["rsb1"],
            "rsb1_realised": out["rsb1_realised"]["values"] if out["rsb1_realised"] else None}
    z = {}
    for name, ref in refs.items():
        if ref is None:
            continue
        z[name] = {k: (None if (e := getattr(result, k + "_err")) <= 0 else
                       (getattr(result, k) - ref[k]) / e) for k in OBSERVABLES if k in ref}
    out["z"] = z
    thermo_rsb = out["rsb1_breaks_symmetry"] and (report is None or broken)
    if thermo_rsb:
        out["preferred"] = "rsb1_realised" if out["rsb1_realised"] else "rsb1"
    else:
        out["preferred"] = "rs_realised" if out["rs_realised"] else "rs"
    note = None
    if result.d < FINITE_SIZE_D:
        zmax = max((abs(v) for v in z.get(out["preferred"], {}).values() if v is not None),
                   default=0.0)
        note = (f"d = {result.d} is small: finite-size corrections are O(1/d) in the averages and "
                f"the teacher norm |w0|^2/d fluctuates by sqrt(2/d) = {math.sqrt(2 / result.d):.3f}"
                f" (the '{out['preferred']}' column removes the latter); largest |z| there = "
                f"{zmax:.1f}. Check the trend with two or more --d (e.g. {result.d} and "
                f"{4 * result.d}) before reading a deviation as a disagreement with theory.")
    out["notes"] = notes
    out["finite_size_note"] = note
    return out
