"""Deterministic ``d -> inf`` limit of online STE SGD.

Each coordinate is an independent diffusion (``docs/ste.md``), coupled to the others only
through the generalisation error::

    du = eta g(u) [ (k1 w0 - k2 Q(u)) dtau + sqrt(k2 (eps_g + noise_var)) dB ]
    eps_g(tau) = rho - 2 k1 E[w0 Q(u)] + k2 E[Q(u)^2]

so the conditional density ``p(u, tau | w0)`` solves the nonlinear (McKean-Vlasov)
Fokker-Planck equation

    d_tau p = -d_u [ eta g (k1 w0 - k2 Q(u)) p ] + D(tau) d_u^2 [ g^2 p ],
    D(tau) = eta^2 k2 (eps_g(tau) + noise_var) / 2.

Three solvers, all returning :class:`~replicaquant.ste.results.LimitResult`:

* ``method="pde"``: conservative finite volumes (thresholds of ``Q`` and ``±clip`` are cell
  faces; upwind flux splitting with the one-sided velocities at a threshold, central
  diffusion), variable-step BDF2 in time with ``eps_g`` extrapolated, absorbing boundaries at
  ``±clip`` (clipped STE: ``p = 0`` at the face, absorbed mass frozen just outside) or outflow
  boundaries far from the levels (identity STE).  Boundary fluxes go to reservoirs, so the
  total mass is conserved to rounding.
* ``method="ode"``: the small-noise limit ``eta -> 0`` at fixed ``s = eta tau``:
  ``du/ds = g(u)(k1 w0 - k2 Q(u))``.  The velocity is piecewise constant, so the flow is solved
  exactly by backward characteristics; at an attracting threshold the coordinate slides
  (Filippov) and ``Q`` is a two-level mixture with ``E[Q] = w* = k1 w0/k2``.
* ``method="closed_form"``: unquantized weights and identity STE -- the exact linear ODE
  ``d eps/dtau = -2 eta k2 (eps - eps_lin) + eta^2 k2^2 (eps + noise_var)``.
"""
from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit
from scipy.special import ndtr

from .._validation import check_int, check_memory, check_real, check_work
from ..quadrature import gauss_cell_moments
from ..teachers import DiscreteTeacher
from .problem import STEProblem
from .results import LimitResult
from .simulate import density_args

METHODS = ("pde", "ode", "closed_form")


# ---------------------------------------------------------------------------------------------
# teacher quadrature


def teacher_nodes(problem: STEProblem, *, panel_width: float = 0.5, n_per_panel: int = 6,
                  half_width: float = 6.5) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights for ``E_{w0}[.]``.

    Discrete teacher: its values and probabilities.  Gaussian ``N(0, rho)``: Gauss-Legendre
    panels on ``[-half_width sqrt(rho), half_width sqrt(rho)]`` (tail mass ``8e-11`` at 6.5),
    broken at the teacher values where ``w* = (k1/k2) w0`` crosses a level or a threshold (the
    ``eta -> 0`` error has kinks there) and at most ``panel_width sqrt(rho)`` wide; weights
    ``GL weight x pdf``, renormalised to sum to one.
    """
    t = problem.teacher
    if isinstance(t, DiscreteTeacher):
        return t.values.astype(float), t.probs.astype(float)
    sd = math.sqrt(t.rho)
    lim = half_width * sd
    bps = [-lim, lim]
    if problem.levels is not None:
        f = problem.target_factor
        for c in np.concatenate((problem.levels, problem.quantizer.thresholds)):
            w = c / f
            if -lim < w < lim:
                bps.append(w)
    bps = np.unique(np.asarray(bps))
    xs, ws = np.polynomial.legendre.leggauss(n_per_panel)
    nodes, weights = [], []
    for a, b in zip(bps[:-1], bps[1:]):
        n_sub = max(1, int(math.ceil((b - a) / (panel_width * sd) - 1e-9)))
        edges = np.linspace(a, b, n_sub + 1)
        for lo, hi in zip(edges[:-1], edges[1:]):
            x = 0.5 * (hi - lo) * xs + 0.5 * (hi + lo)
            nodes.append(x)
            weights.append(0.5 * (hi - lo) * ws * np.exp(-0.5 * x * x / t.rho) / (sd * math.sqrt(2 * math.pi)))
    nodes = np.concatenate(nodes)
    weights = np.concatenate(weights)
    return nodes, weights / weights.sum()


def _density_nodes(problem: STEProblem, values: np.ndarray, window: float, n_window: int = 5):
    """Zero-weight nodes averaging the conditional density over ``|w0 - v| <= window``."""
    groups = []
    if window <= 0.0 or isinstance(problem.teacher, DiscreteTeacher):
        for v in values:
            groups.append((np.array([v]), np.array([1.0])))
        return groups
    xs, ws = np.polynomial.legendre.leggauss(n_window)
    for v in values:
        x = v + window * xs
        w = ws * np.exp(-0.5 * x * x / problem.teacher.rho)
        groups.append((x, w / w.sum()))
    return groups


# ---------------------------------------------------------------------------------------------
# PDE: grid and compiled time stepper


def _segment_grid(breaks: np.ndarray, h: float) -> np.ndarray:
    """Cell edges: every segment between breakpoints split into equal cells of width <= h."""
    edges = [breaks[:1]]
    for a, b in zip(breaks[:-1], breaks[1:]):
        n = max(1, int(math.ceil((b - a) / h - 1e-9)))
        edges.append(np.linspace(a, b, n + 1)[1:])
    return np.concatenate(edges)


def _graded(length: float, h: float, grade: float = 1.06, hmax: float = 8.0) -> np.ndarray:
    """Cell widths starting at ``h`` and growing by ``grade`` up to ``hmax h``, summing to ``length``."""
    sizes = []
    tot = 0.0
    w = h
    while tot < length:
        sizes.append(w)
        tot += w
        w = min(w * grade, hmax * h)
    sizes = np.asarray(sizes)
    return sizes * (length / sizes.sum())


def _build_grid(lo: float, hi: float, core_lo: float, core_hi: float, inner: np.ndarray, h: float) -> np.ndarray:
    """Uniform cells of width <= h on the core (split at ``inner`` breakpoints), graded outside."""
    core_lo = max(lo, core_lo)
    core_hi = min(hi, core_hi)
    breaks = np.unique(np.concatenate(([core_lo, core_hi], inner[(inner > core_lo) & (inner < core_hi)])))
    core = _segment_grid(breaks, h)
    parts = []
    if core_lo > lo:
        w = _graded(core_lo - lo, h)[::-1]
        parts.append(lo + np.concatenate(([0.0], np.cumsum(w)))[:-1])
    parts.append(core)
    if core_hi < hi:
        w = _graded(hi - core_hi, h)
        parts.append(core_hi + np.cumsum(w))
    edges = np.concatenate(parts)
    edges[0], edges[-1] = lo, hi
    return edges


#: default ``u`` domain of the PDE: the thresholds +- ``_DOMAIN_MARGIN`` and at least
#: +- ``_DOMAIN_SDS`` initial standard deviations (initial mass outside ~2e-9), the finely resolved
#: core the thresholds +- ``_CORE_MARGIN``; unquantized: ``_DOMAIN_SDS`` spreads beyond the largest
#: target and a core of ``_CORE_SDS`` spreads (a Gaussian density there is 1 % of its peak)
_DOMAIN_MARGIN = 2.5
_DOMAIN_SDS = 6.0
_CORE_MARGIN = 1.0
_CORE_SDS = 3.0


def _default_domain(problem: STEProblem, nodes: np.ndarray) -> tuple[float, float, float, float]:
    """``(lo, hi, core_lo, core_hi)``: the u interval and its finely resolved core."""
    if problem.ste == "clipped":
        c = problem.clip_range
        return -c, c, -c, c
    s0 = problem.init_std
    if problem.levels is not None:
        thr = problem.quantizer.thresholds
        lo = min(float(thr.min()) - _DOMAIN_MARGIN, -_DOMAIN_SDS * s0)
        hi = max(float(thr.max()) + _DOMAIN_MARGIN, _DOMAIN_SDS * s0)
        return lo, hi, float(thr.min()) - _CORE_MARGIN, float(thr.max()) + _CORE_MARGIN
    f = abs(problem.target_factor)
    k2 = problem.kappa[1]
    eps0 = problem.rho + k2 * s0 * s0
    # the stationary spread of unquantized SGD, Var(u|w0) = eta (eps + noise)/2 <= eta (eps0 + noise)/2
    spread = math.sqrt(problem.eta * (eps0 + problem.noise_var) / 2.0)
    wmax = float(np.abs(nodes).max()) * f
    lim = max(_DOMAIN_SDS * s0, wmax + _DOMAIN_SDS * spread)
    core = max(_CORE_SDS * s0, _CORE_SDS * f * math.sqrt(problem.rho) + _CORE_SDS * spread)
    return -lim, lim, -core, core


def gauss_moments_outside(problem: STEProblem, clip: float):
    """``(P, E[Q(u0); |u0| > clip], E[Q(u0)^2; |u0| > clip])`` of the initial ``u0 ~ N(0, init_std^2)``.

    ``Q`` is the quantizer (identity without one); the cells of ``Q`` cut at ``±clip``, each by
    :func:`replicaquant.quadrature.gauss_cell_moments` (closed form).
    """
    s0 = problem.init_std
    if problem.levels is None:
        # symmetric: twice the upper tail; E[u; |u| > clip] = 0
        mass, _, second = gauss_cell_moments(clip, math.inf, 0.0, s0)
        return 2 * mass, 0.0, 2 * second
    c = problem.levels
    t = np.concatenate(([-np.inf], problem.quantizer.thresholds, [np.inf]))
    mass = eq = eq2 = 0.0
    for k in range(c.size):
        for lo, hi in ((max(t[k], clip), t[k + 1]), (t[k], min(t[k + 1], -clip))):
            if hi > lo:
                pk = gauss_cell_moments(lo, hi, 0.0, s0)[0]
                mass += pk
                eq += pk * c[k]
                eq2 += pk * c[k] * c[k]
    return mass, eq, eq2


_gauss_moments_outside = gauss_moments_outside  # old private name


@njit(cache=True)
def _thomas(lo, di, up, rhs, out):
    n = di.size
    cp = np.empty(n)
    dp = np.empty(n)
    cp[0] = up[0] / di[0]
    dp[0] = rhs[0] / di[0]
    for i in range(1, n):
        den = di[i] - lo[i] * cp[i - 1]
        cp[i] = up[i] / den if i < n - 1 else 0.0
        dp[i] = (rhs[i] - lo[i] * dp[i - 1]) / den
    out[n - 1] = dp[n - 1]
    for i in range(n - 2, -1, -1):
        out[i] = dp[i] - cp[i] * out[i + 1]


@njit(cache=True)
def _moments_node(p, h, Qc, Q2c, R, Qres):
    m = R[0] * Qres[0] + R[1] * Qres[1]
    q = R[0] * Qres[0] ** 2 + R[1] * Qres[1] ** 2
    mass = R[0] + R[1]
    for i in range(p.size):
        mi = p[i] * h[i]
        mass += mi
        m += mi * Qc[i]
        q += mi * Q2c[i]
    return mass, m, q


@njit(cache=True)
def _eps_total(P, R, h, Qc, Q2c, Qres, nodes, weights, k1, k2, fz_m, fz_q, out3):
    """``(eps, m, q)`` of the current state; frozen initial mass enters through ``fz_m, fz_q``."""
    eps = 0.0
    mt = 0.0
    qt = 0.0
    for j in range(nodes.size):
        if weights[j] == 0.0:
            continue
        _, m, q = _moments_node(P[j], h, Qc, Q2c, R[j], Qres)
        m += fz_m
        q += fz_q
        w0 = nodes[j]
        eps += weights[j] * (w0 * w0 - 2.0 * k1 * w0 * m + k2 * q)
        mt += weights[j] * w0 * m
        qt += weights[j] * q
    out3[0] = eps
    out3[1] = mt
    out3[2] = qt


@njit(cache=True)
def _bern(x):
    """Bernoulli function ``B(x) = x/(e^x - 1)`` (``B(0) = 1``), overflow-safe."""
    if abs(x) < 1e-10:
        return 1.0 - 0.5 * x
    if x > 700.0:
        return 0.0
    if x < -700.0:
        return -x
    return x / math.expm1(x)


@njit(cache=True)
def _log_phi1(x):
    """``log((e^x - 1)/x)``."""
    if abs(x) < 1e-10:
        return 0.5 * x
    if x > 0.0:
        return x + math.log(-math.expm1(-x)) - math.log(x)
    return math.log(-math.expm1(x)) - math.log(-x)


@njit(cache=True)
def _face_coeffs(vl, vr, dl, dr, D, out):
    """Flux ``F = out[0] p_left + out[1] p_right`` through a face between two cell centres.

    The velocity is ``vl`` on ``[x_left, x_face]`` and ``vr`` on ``[x_face, x_right]`` (half-cell
    distances ``dl, dr``).  Equal velocities: Scharfetter-Gummel (exact for the constant-flux
    profile; central differences at small Peclet, upwind at large).  A jump at a threshold that
    is not attracting: the same exponential fitting on the two segments.  An attracting
    threshold (``vl >= 0 >= vr``): rate ``vl + D/dist`` towards the zero-flux ratio of the cell
    averages of the exact two-sided exponential profile, ``B(-z_l)/B(-z_r)``,
    ``z = |v| h_cell/D``; it tends to 1 (continuous density) when the boundary layer of width
    ``D/|v|`` is resolved and to the sliding-mode partition ``vl/|vr|`` when it is not, and it
    reduces to upwind flux splitting in that limit.
    """
    if vl >= 0.0 and vr <= 0.0 and vl != vr:
        # attracting threshold: the zero-flux ratio of the two cell *averages* is that of the
        # exact two-sided exponential profile, p_r/p_l = B(-z_l)/B(-z_r), z = |v| h_cell/D
        # (-> 1 when resolved, -> vl/|vr| in the sliding-mode limit); rate vl + D/dist
        zl = 2.0 * vl * dl / D
        zr = -2.0 * vr * dr / D
        ratio = (_bern(zl) + zl) / (_bern(zr) + zr)
        g = vl + D / (dl + dr)
        out[0] = g
        out[1] = -g / ratio
        return
    if vl == vr:
        d = dl + dr
        x = vl * d / D
        bx = _bern(x)
        out[0] = D / d * (bx + x)
        out[1] = -D / d * bx
        return
    xl = vl * dl / D
    xr = vr * dr / D
    lpl = math.log(dl / D) + _log_phi1(xl)
    lpr = math.log(dr / D) + _log_phi1(xr)
    u1 = lpr
    u2 = xr + lpl
    mx = u1 if u1 > u2 else u2
    logden = mx + math.log(math.exp(u1 - mx) + math.exp(u2 - mx))
    out[0] = math.exp(xl + xr - logden)
    out[1] = -math.exp(-logden)


class PDEGrid(NamedTuple):
    """Finite-volume grid of the Fokker-Planck solve (one record instead of eight arguments).

    ``h`` cell widths, ``fdist`` face-to-centre distances (``N + 1``), ``QL``/``QR`` the
    quantized value left/right of each face, ``Qc``/``Q2c`` cell averages of ``Q`` and ``Q^2``,
    ``Qres`` the ``Q`` of the two reservoirs, ``dirichlet`` absorbing boundaries (clipped STE).
    """

    h: np.ndarray
    fdist: np.ndarray
    QL: np.ndarray
    QR: np.ndarray
    Qc: np.ndarray
    Q2c: np.ndarray
    Qres: np.ndarray
    dirichlet: bool


class PDECoefficients(NamedTuple):
    """Scalars of the drift/diffusion: input moments ``k1, k2``, ``eta``, label noise ``sig2`` and
    the first two moments ``fz_m, fz_q`` of the frozen mass (clipped STE)."""

    k1: float
    k2: float
    eta: float
    sig2: float
    fz_m: float
    fz_q: float


class PDESchedule(NamedTuple):
    """Time steps ``dts`` and the step indices at which outputs / densities are recorded
    (``dens_nodes``: the teacher nodes whose densities are kept)."""

    dts: np.ndarray
    out_steps: np.ndarray
    dens_steps: np.ndarray
    dens_nodes: np.ndarray


class PDEOutputs(NamedTuple):
    """Output arrays filled by :func:`_fp_run` (error, m, q, mass, outflow per output time;
    densities and reservoir masses of the recorded nodes)."""

    err: np.ndarray
    m: np.ndarray
    q: np.ndarray
    mass: np.ndarray
    outflow: np.ndarray
    dens: np.ndarray
    res: np.ndarray


@njit(cache=True)
def _record_outputs(io, tmp3, P, R, grid, weights, outs):
    """Write the error, moments, mass and outflow of the current state into slot ``io``."""
    outs.err[io] = tmp3[0]
    outs.m[io] = tmp3[1]
    outs.q[io] = tmp3[2]
    tot = 0.0
    res = 0.0
    for j in range(weights.size):
        if weights[j] == 0.0:
            continue
        mj, _, _ = _moments_node(P[j], grid.h, grid.Qc, grid.Q2c, R[j], grid.Qres)
        tot += weights[j] * mj
        res += weights[j] * (R[j, 0] + R[j, 1])
    outs.mass[io] = tot
    outs.outflow[io] = res


@njit(cache=True)
def _record_densities(idn, P, R, dens_nodes, outs):
    """Copy the densities and reservoir masses of the recorded teacher nodes into slot ``idn``."""
    for a_ in range(dens_nodes.size):
        jn = dens_nodes[a_]
        for i in range(P.shape[1]):
            outs.dens[a_, idn, i] = P[jn, i]
        outs.res[a_, idn, 0] = R[jn, 0]
        outs.res[a_, idn, 1] = R[jn, 1]


#: floor of the diffusion coefficient ``D``: keeps the exponential fitting of the face fluxes
#: finite when ``eps_g + noise_var`` vanishes (pure drift; far below any resolved ``D``)
_D_MIN = 1e-14


@njit(cache=True)
def _bdf2_coefficients(step, dt, dt_prev):
    """``(om, c0, c1, c2)`` of variable-step BDF2, ``c0 p_new - dt L p_new = c1 p_n - c2 p_{n-1}``
    with ``om = dt/dt_prev``; backward Euler (``om = 0``) at the start and after the step grows
    more than twofold (BDF2 is zero-stable only for ratios below ``1 + sqrt 2``)."""
    if step == 0 or dt > 2.0 * dt_prev:
        return 0.0, 1.0, 1.0, 0.0
    om = dt / dt_prev
    return om, (1.0 + 2.0 * om) / (1.0 + om), 1.0 + om, om * om / (1.0 + om)


@njit(cache=True)
def _face_fluxes(grid, cf, w0, D, a, b, co):
    """Face flux coefficients ``F_f = a_f p_left + b_f p_right`` of the node ``w0`` (upwinded,
    exponentially fitted inside, outflow or absorbing at the two boundary faces)."""
    h, fdist, QL, QR = grid.h, grid.fdist, grid.QL, grid.QR
    k1, k2, eta = cf.k1, cf.k2, cf.eta
    N = h.size
    for f in range(1, N):
        vl = eta * (k1 * w0 - k2 * QL[f])
        vr = eta * (k1 * w0 - k2 * QR[f])
        _face_coeffs(vl, vr, 0.5 * h[f - 1], 0.5 * h[f], D, co)
        a[f] = co[0]
        b[f] = co[1]
    v0 = eta * (k1 * w0 - k2 * QR[0])
    vN = eta * (k1 * w0 - k2 * QL[N])
    a[0] = 0.0
    b[N] = 0.0
    if grid.dirichlet:
        # p = 0 on the boundary face, constant-flux profile over the half cell
        b[0] = -D / fdist[0] * _bern(v0 * fdist[0] / D)
        a[N] = D / fdist[N] * (_bern(vN * fdist[N] / D) + vN * fdist[N] / D)
    else:
        b[0] = min(v0, 0.0)
        a[N] = max(vN, 0.0)


@njit(cache=True)
def _advance_node(j, h, a, b, dt, c0, c1, c2, P, Pold, R, Rold, work):
    """One BDF2 step of node ``j``: the tridiagonal solve for the cells, the boundary outflows
    into the two reservoirs; ``(P, R)`` become the new level, ``(Pold, Rold)`` the old one."""
    lo, di, up, rhs, Pnew = work
    N = h.size
    for i in range(N):
        # (c0 I - dt L) p_new = c1 p_n - c2 p_{n-1};  (L p)_i = (a_i p_{i-1} + (b_i - a_{i+1}) p_i - b_{i+1} p_{i+1})/h_i
        lo[i] = -dt * a[i] / h[i]
        di[i] = c0 - dt * (b[i] - a[i + 1]) / h[i]
        up[i] = dt * b[i + 1] / h[i]
        rhs[i] = c1 * P[j, i] - c2 * Pold[j, i]
    _thomas(lo, di, up, rhs, Pnew)
    fl = -b[0] * Pnew[0]        # outflow to the left reservoir
    fr = a[N] * Pnew[N - 1]     # outflow to the right reservoir
    r0 = (c1 * R[j, 0] - c2 * Rold[j, 0] + dt * fl) / c0
    r1 = (c1 * R[j, 1] - c2 * Rold[j, 1] + dt * fr) / c0
    Rold[j, 0] = R[j, 0]
    Rold[j, 1] = R[j, 1]
    R[j, 0] = r0
    R[j, 1] = r1
    for i in range(N):
        Pold[j, i] = P[j, i]
        P[j, i] = Pnew[i]


@njit(cache=True)
def _fp_run(grid, cf, nodes, weights, P, R, sched, outs):
    """Variable-step BDF2 for every teacher node, eps extrapolated to the new time level.

    ``grid`` (:class:`PDEGrid`), ``cf`` (:class:`PDECoefficients`), ``sched``
    (:class:`PDESchedule`), ``outs`` (:class:`PDEOutputs`, filled); ``P`` (nodes x cells) and
    ``R`` (nodes x 2 reservoirs) are advanced in place.  Each step: record what is due
    (:func:`_record_outputs`, :func:`_record_densities`), BDF2 coefficients
    (:func:`_bdf2_coefficients`), ``D(tau) = eta^2 k2 (eps* + noise_var)/2`` at the
    extrapolated ``eps* = eps_n + om (eps_n - eps_{n-1})``, then for every node the face fluxes
    (:func:`_face_fluxes`) and the implicit step (:func:`_advance_node`).  Returns the number of
    outputs written.
    """
    h, Qc, Q2c, Qres = grid.h, grid.Qc, grid.Q2c, grid.Qres
    k1, k2, eta, sig2, fz_m, fz_q = cf
    dts, out_steps, dens_steps, dens_nodes = sched
    N = h.size
    Pold = P.copy()
    Rold = R.copy()
    work = (np.empty(N), np.empty(N), np.empty(N), np.empty(N), np.empty(N))  # lo, di, up, rhs, Pnew
    a = np.empty(N + 1)
    b = np.empty(N + 1)
    co = np.empty(2)
    tmp3 = np.empty(3)
    _eps_total(P, R, h, Qc, Q2c, Qres, nodes, weights, k1, k2, fz_m, fz_q, tmp3)
    eps_n = tmp3[0]
    eps_prev = eps_n
    n_steps = dts.size
    io = 0
    idn = 0
    dt_prev = 0.0
    for step in range(n_steps + 1):
        # ---- record (state at the end of `step` steps)
        while io < out_steps.size and out_steps[io] == step:
            _record_outputs(io, tmp3, P, R, grid, weights, outs)
            io += 1
        while idn < dens_steps.size and dens_steps[idn] == step:
            _record_densities(idn, P, R, dens_nodes, outs)
            idn += 1
        if step == n_steps:
            break
        dt = dts[step]
        om, c0, c1, c2 = _bdf2_coefficients(step, dt, dt_prev)
        eps_star = eps_n + om * (eps_n - eps_prev)
        if eps_star < 0.0:
            eps_star = 0.0
        D = 0.5 * eta * eta * k2 * (eps_star + sig2)
        if D < _D_MIN:
            D = _D_MIN
        for j in range(nodes.size):
            _face_fluxes(grid, cf, nodes[j], D, a, b, co)
            _advance_node(j, h, a, b, dt, c0, c1, c2, P, Pold, R, Rold, work)
        _eps_total(P, R, h, Qc, Q2c, Qres, nodes, weights, k1, k2, fz_m, fz_q, tmp3)
        eps_prev = eps_n
        eps_n = tmp3[0]
        dt_prev = dt
    return io


def _time_grid(tau: float, n_out: int, density_times: np.ndarray, dt_max: float):
    out_t = np.unique(np.concatenate((np.linspace(0.0, tau, n_out), density_times)))
    dts = []
    steps_at = [0]
    for a, b in zip(out_t[:-1], out_t[1:]):
        n = max(1, int(math.ceil((b - a) / dt_max - 1e-9)))
        dts.extend([(b - a) / n] * n)
        steps_at.append(len(dts))
    return out_t, np.asarray(dts, dtype=float), np.asarray(steps_at, dtype=np.int64)


def _cell_to_bins(cell_edges: np.ndarray, bins: np.ndarray) -> np.ndarray:
    """Overlap matrix ``O[b, i]``: length of cell ``i`` inside bin ``b``."""
    lo = np.maximum(bins[:-1, None], cell_edges[None, :-1])
    hi = np.minimum(bins[1:, None], cell_edges[None, 1:])
    return np.clip(hi - lo, 0.0, None)


def _place_atoms(bins: np.ndarray, x: float, mass: np.ndarray, out: np.ndarray) -> None:
    """Add an atom of ``mass`` (array over times) at ``x`` to the bin containing it."""
    if bins[0] <= x < bins[-1]:
        b = int(np.searchsorted(bins, x, side="right") - 1)
        out[..., b] += mass / (bins[b + 1] - bins[b])


class _PDENodes(NamedTuple):
    """Teacher nodes of the PDE solve: the quadrature nodes (weights ``wts``) followed by the
    zero-weight density nodes; ``dens_index[g] = (node indices, averaging weights)`` of density
    group ``g`` (the groups of :func:`_density_nodes`)."""

    nodes: np.ndarray
    wts: np.ndarray
    dens_index: list
    n_teacher: int


def _pde_nodes(problem, dens_w0, window, teacher_opts) -> _PDENodes:
    """Quadrature nodes for ``E_{w0}`` plus, with weight 0, the nodes whose densities are kept."""
    nodes, weights = teacher_nodes(problem, **teacher_opts)
    groups = _density_nodes(problem, dens_w0, window)
    dens_index = []
    all_nodes = [nodes]
    all_w = [weights]
    start = nodes.size
    for x, w in groups:
        dens_index.append((np.arange(start, start + x.size), w))
        all_nodes.append(x)
        all_w.append(np.zeros(x.size))
        start += x.size
    return _PDENodes(np.concatenate(all_nodes), np.concatenate(all_w), dens_index, int(weights.size))


def _pde_domain(problem, nodes, domain):
    """``(lo, hi, core_lo, core_hi)``: the ``u`` interval (default or the user's ``domain``,
    identity STE only) and its finely resolved core; every quantizer threshold must be inside."""
    clipped = problem.ste == "clipped"
    lo_d, hi_d, core_lo, core_hi = _default_domain(problem, nodes)
    if domain is not None:
        if clipped:
            raise ValueError("domain is fixed to [-clip, clip] for the clipped STE")
        lo_d, hi_d = domain
        core_lo, core_hi = max(core_lo, lo_d), min(core_hi, hi_d)
        if not hi_d > lo_d:
            raise ValueError("domain must be an interval (lo, hi) with lo < hi")
    inner = problem.quantizer.thresholds if problem.levels is not None else np.zeros(0)
    if not clipped and problem.levels is not None and (lo_d >= inner.min() or hi_d <= inner.max()):
        raise ValueError("domain must contain every threshold of the quantizer (identity STE)")
    return lo_d, hi_d, core_lo, core_hi


def _pde_grid(problem, edges, lo_d, hi_d) -> PDEGrid:
    """:class:`PDEGrid` on the cell ``edges``: widths, face distances and the quantized values.

    Quantized weights: ``Q`` is constant on every cell (thresholds are faces), the reservoirs
    hold the level reached beyond each boundary.  Unquantized: ``Q(u) = u``, cell averages
    ``Q = centre``, ``Q^2 = centre^2 + h^2/12``, face values the face positions.
    """
    clipped = problem.ste == "clipped"
    hc = np.diff(edges)
    xc = 0.5 * (edges[1:] + edges[:-1])
    N = hc.size
    fdist = np.empty(N + 1)
    fdist[1:N] = 0.5 * (hc[1:] + hc[:-1])
    fdist[0] = 0.5 * hc[0]
    fdist[N] = 0.5 * hc[-1]
    if problem.levels is not None:
        Qc = problem.quantizer.quantize(xc)
        Q2c = Qc * Qc
        QL = np.concatenate(([Qc[0]], Qc))
        QR = np.concatenate((Qc, [Qc[-1]]))
        lv, th = problem.levels, problem.quantizer.thresholds
        if clipped:
            Qres = np.array([lv[np.searchsorted(th, lo_d, side="left")], lv[np.searchsorted(th, hi_d, side="right")]])
        else:
            Qres = np.array([lv[0], lv[-1]])
    else:
        Qc = xc.copy()
        Q2c = xc * xc + hc * hc / 12.0
        QL = edges.copy()
        QR = edges.copy()
        Qres = np.array([lo_d, hi_d])
    return PDEGrid(hc, fdist, QL, QR, Qc, Q2c, Qres, clipped)


def _pde_initial(problem, edges, n_nodes, lo_d, hi_d):
    """``(P, R, frozen)``: the initial density ``N(0, init_std^2)`` as cell averages for every
    node, the reservoirs (identity STE: the Gaussian mass beyond the domain), and the
    ``(mass, m, q)`` frozen outside ``[-clip, clip]`` from the start (clipped STE; else zeros)."""
    s0 = problem.init_std
    cell_mass = ndtr(edges[1:] / s0) - ndtr(edges[:-1] / s0)
    P = np.tile(cell_mass / np.diff(edges), (n_nodes, 1))
    R = np.zeros((n_nodes, 2))
    frozen = (0.0, 0.0, 0.0)
    if problem.ste == "clipped":
        frozen = gauss_moments_outside(problem, problem.clip_range)
    else:
        R[:, 0] = ndtr(lo_d / s0)
        R[:, 1] = ndtr(-hi_d / s0)
    return P, R, frozen


def _pde_schedule(tau, n_out, dens_t, dt, dens_index):
    """``(output times, PDESchedule, dens_order)``: the time steps, the steps at which outputs
    and densities are recorded (densities in step order; ``dens_order`` undoes the sorting)."""
    out_t, dts, steps_at = _time_grid(tau, n_out, dens_t, dt)
    dens_steps = steps_at[np.searchsorted(out_t, dens_t)] if dens_t.size else np.zeros(0, dtype=np.int64)
    dens_order = np.argsort(dens_steps, kind="stable")
    dens_nodes = np.concatenate([ix for ix, _ in dens_index]).astype(np.int64) if dens_index else np.zeros(0, np.int64)
    return out_t, PDESchedule(dts, steps_at, dens_steps[dens_order], dens_nodes), dens_order


def _pde_outputs(n_times, n_dens_nodes, n_dens_times, n_cells) -> PDEOutputs:
    return PDEOutputs(np.zeros(n_times), np.zeros(n_times), np.zeros(n_times), np.zeros(n_times),
                      np.zeros(n_times), np.zeros((n_dens_nodes, n_dens_times, n_cells)),
                      np.zeros((n_dens_nodes, n_dens_times, 2)))


def _pde_densities(problem, edges, bins, dens_index, dens_raw, res_raw, n_times, lo_d, hi_d, fz_mass):
    """Conditional densities on ``bins`` (``[group, time, bin]``): cell densities averaged over
    the bins, reservoir masses as atoms just outside the domain, weighted over each group's
    nodes; for the clipped STE plus the frozen initial tails beyond ``±clip``."""
    clipped = problem.ste == "clipped"
    O = _cell_to_bins(edges, bins)
    bw = np.diff(bins)
    density = np.zeros((len(dens_index), n_times, bw.size))
    pos = 0
    res_x = (np.nextafter(lo_d, -np.inf), hi_d) if clipped else (lo_d, np.nextafter(hi_d, -np.inf))
    for g, (ix, w) in enumerate(dens_index):
        for k in range(ix.size):
            raw = dens_raw[pos + k]                     # (n_dt, N)
            dens_g = raw @ O.T / bw                      # bin averages of the cell densities
            _place_atoms(bins, res_x[0], res_raw[pos + k, :, 0], dens_g)
            _place_atoms(bins, res_x[1], res_raw[pos + k, :, 1], dens_g)
            density[g] += w[k] * dens_g
        pos += ix.size
    if clipped and fz_mass > 0:
        s0 = problem.init_std
        tail = np.clip(ndtr(np.minimum(bins[1:], lo_d) / s0) - ndtr(np.minimum(bins[:-1], lo_d) / s0), 0, None)
        tail += np.clip(ndtr(np.maximum(bins[1:], hi_d) / s0) - ndtr(np.maximum(bins[:-1], hi_d) / s0), 0, None)
        density += (tail / bw)[None, None, :]
    return density


def _limit_pde(problem, tau, n_out, dens_t, dens_w0, window, bins, h, dt, teacher_opts, domain):
    """``method="pde"``: nodes, domain, grid, initial state, schedule; the compiled BDF2 run
    (:func:`_fp_run`); then the densities on ``bins``."""
    k1, k2 = problem.kappa
    tn = _pde_nodes(problem, dens_w0, window, teacher_opts)
    lo_d, hi_d, core_lo, core_hi = _pde_domain(problem, tn.nodes, domain)
    inner = problem.quantizer.thresholds if problem.levels is not None else np.zeros(0)
    edges = _build_grid(lo_d, hi_d, core_lo, core_hi, inner, h)
    grid = _pde_grid(problem, edges, lo_d, hi_d)
    P, R, (fz_mass, fz_m, fz_q) = _pde_initial(problem, edges, tn.nodes.size, lo_d, hi_d)
    out_t, sched, dens_order = _pde_schedule(tau, n_out, dens_t, dt, tn.dens_index)
    outs = _pde_outputs(out_t.size, sched.dens_nodes.size, dens_t.size, grid.h.size)
    _fp_run(grid, PDECoefficients(float(k1), float(k2), float(problem.eta), float(problem.noise_var),
                                  float(fz_m), float(fz_q)),
            tn.nodes, tn.wts, P, R, sched, outs)
    inv = np.empty_like(dens_order)
    inv[dens_order] = np.arange(dens_order.size)
    dens_raw = outs.dens[:, inv]
    density = _pde_densities(problem, edges, bins, tn.dens_index, dens_raw, outs.res[:, inv], dens_t.size,
                             lo_d, hi_d, fz_mass)
    mass = outs.mass + fz_mass if (problem.ste == "clipped" and fz_mass > 0) else outs.mass
    info = {"n_cells": int(grid.h.size), "h": float(h), "dt_max": float(dt), "n_steps": int(sched.dts.size),
            "n_teacher_nodes": tn.n_teacher, "domain": (float(lo_d), float(hi_d)),
            "cell_edges": edges, "frozen_mass": float(fz_mass),
            "min_density": float(dens_raw.min()) if dens_raw.size else None}
    return LimitResult(problem=problem, method="pde", tau=out_t, gen_error=outs.err, m=outs.m, q=outs.q,
                       mass=mass, outflow=outs.outflow, density_times=dens_t, density_w0=dens_w0,
                       density_window=window, bin_edges=bins, density=density, info=info)


# ---------------------------------------------------------------------------------------------
# ODE (eta -> 0 at fixed s = eta tau): exact backward characteristics


@njit(cache=True)
def _back(x, r, s, ext, v):
    """Initial position of the particle that is at ``x`` (in region ``r``) after time ``s``.

    Clamped to the edge of a source (repelling) boundary: positions in the vacuum next to it
    map to that edge, which is what the monotone flow's generalised inverse needs.
    """
    R = v.size
    if not math.isfinite(x):
        return x
    while True:
        vr = v[r]
        if vr > 0.0:
            lo = ext[r]
            dist = x - lo
            if vr * s <= dist:
                return x - vr * s
            s -= dist / vr
            x = lo
            if r == 0 or v[r - 1] <= 0.0:
                return lo
            r -= 1
        elif vr < 0.0:
            hi = ext[r + 1]
            dist = hi - x
            if -vr * s <= dist:
                return x - vr * s
            s -= dist / (-vr)
            x = hi
            if r == R - 1 or v[r + 1] >= 0.0:
                return hi
            r += 1
        else:
            return x


@njit(cache=True)
def _phi(x, s0):
    if x == np.inf:
        return 1.0
    if x == -np.inf:
        return 0.0
    return 0.5 * math.erfc(-x / (s0 * math.sqrt(2.0)))


@njit(cache=True)
def _ode_moments(ext, Qr, act, w0, k1, k2, s, s0, out2):
    """``E[Q], E[Q^2]`` at time ``s`` for one teacher value (init ``N(0, s0^2)``)."""
    R = Qr.size
    v = np.empty(R)
    for r in range(R):
        v[r] = act[r] * (k1 * w0 - k2 * Qr[r])
    eq = 0.0
    eq2 = 0.0
    for r in range(R):
        if v[r] == 0.0:
            a = ext[r]
            b = ext[r + 1]
        else:
            a = _back(ext[r], r, s, ext, v)
            b = _back(ext[r + 1], r, s, ext, v)
        pm = _phi(b, s0) - _phi(a, s0)
        if pm > 0.0:
            eq += pm * Qr[r]
            eq2 += pm * Qr[r] * Qr[r]
    for k in range(1, R):
        vl = v[k - 1]
        vr = v[k]
        if (vl > 0.0 and vr <= 0.0) or (vl >= 0.0 and vr < 0.0):
            a = _back(ext[k], k - 1, s, ext, v) if vl > 0.0 else ext[k]
            b = _back(ext[k], k, s, ext, v) if vr < 0.0 else ext[k]
            pm = _phi(b, s0) - _phi(a, s0)
            if pm > 0.0:
                f = vl / (vl - vr)       # Filippov: fraction of time on the right level
                eq += pm * ((1.0 - f) * Qr[k - 1] + f * Qr[k])
                eq2 += pm * ((1.0 - f) * Qr[k - 1] ** 2 + f * Qr[k] ** 2)
    out2[0] = eq
    out2[1] = eq2


@njit(cache=True)
def _ode_cdf(ext, Qr, act, w0, k1, k2, s, s0, xs, out):
    """``P(u(s) <= x)`` for each ``x`` in ``xs`` (monotone flow: generalised inverse)."""
    R = Qr.size
    v = np.empty(R)
    for r in range(R):
        v[r] = act[r] * (k1 * w0 - k2 * Qr[r])
    fin = ext[1:R]
    for i in range(xs.size):
        x = xs[i]
        r = np.searchsorted(fin, x, side="right")
        out[i] = _phi(_back(x, r, s, ext, v), s0)


@njit(cache=True)
def _ode_run(ext, Qr, act, nodes, weights, k1, k2, svals, s0, fz_m, fz_q, err, mm, qq):
    tmp = np.empty(2)
    for it in range(svals.size):
        e = 0.0
        mt = 0.0
        qt = 0.0
        for j in range(nodes.size):
            _ode_moments(ext, Qr, act, nodes[j], k1, k2, svals[it], s0, tmp)
            m = tmp[0] + fz_m
            q = tmp[1] + fz_q
            w0 = nodes[j]
            e += weights[j] * (w0 * w0 - 2.0 * k1 * w0 * m + k2 * q)
            mt += weights[j] * w0 * m
            qt += weights[j] * q
        err[it] = e
        mm[it] = mt
        qq[it] = qt


def _ode_regions(problem: STEProblem):
    """Regions between thresholds and ``±clip``: edges (with ±inf), levels, active flags."""
    lv, th = problem.levels, problem.quantizer.thresholds
    finite = list(th)
    clipped = problem.ste == "clipped"
    if clipped:
        c = problem.clip_range
        finite += [-c, c]
    finite = np.unique(np.asarray(finite, dtype=float))
    ext = np.concatenate(([-np.inf], finite, [np.inf]))
    R = ext.size - 1
    Qr = np.empty(R)
    act = np.ones(R)
    for r in range(R):
        a, b = ext[r], ext[r + 1]
        probe = (a + b) / 2 if np.isfinite(a) and np.isfinite(b) else (b - 1.0 if np.isfinite(b) else a + 1.0)
        Qr[r] = lv[np.searchsorted(th, probe, side="right")]
        if clipped and (b <= -problem.clip_range or a >= problem.clip_range):
            act[r] = 0.0
    return ext, Qr, act


def _limit_ode(problem, tau, n_out, dens_t, dens_w0, window, bins, teacher_opts):
    if problem.levels is None:
        raise ValueError("method='ode' needs a weight quantizer; use method='closed_form' for "
                         "unquantized weights")
    k1, k2 = problem.kappa
    nodes, weights = teacher_nodes(problem, **teacher_opts)
    out_t = np.unique(np.concatenate((np.linspace(0.0, tau, n_out), dens_t)))
    svals = problem.eta * out_t
    ext, Qr, act = _ode_regions(problem)
    n = out_t.size
    err, mm, qq = np.zeros(n), np.zeros(n), np.zeros(n)
    # frozen initial mass (clipped STE) is inside the inactive regions: handled by the flow itself
    _ode_run(ext, Qr, act, nodes, weights, k1, k2, svals, problem.init_std, 0.0, 0.0, err, mm, qq)
    groups = _density_nodes(problem, dens_w0, window)
    bw = np.diff(bins)
    density = np.zeros((len(groups), dens_t.size, bw.size))
    cdf = np.empty(bins.size)
    for g, (x, w) in enumerate(groups):
        for it, t in enumerate(dens_t):
            for k in range(x.size):
                _ode_cdf(ext, Qr, act, x[k], k1, k2, problem.eta * t, problem.init_std, bins, cdf)
                density[g, it] += w[k] * np.diff(cdf) / bw
    info = {"n_teacher_nodes": int(nodes.size), "regions": ext, "time_variable": "s = eta tau"}
    return LimitResult(problem=problem, method="ode", tau=out_t, gen_error=err, m=mm, q=qq,
                       mass=np.ones(n), outflow=np.zeros(n), density_times=dens_t, density_w0=dens_w0,
                       density_window=window, bin_edges=bins, density=density, info=info)


# ---------------------------------------------------------------------------------------------
# closed form (unquantized weights, identity STE)


def sgd_learning_curve(problem: STEProblem, tau) -> dict:
    """Exact ``d -> inf`` learning curve of online SGD with unquantized weights (identity STE).

    With ``m = E[w0 u]``, ``q = E[u^2]`` the limit SDE gives the closed linear system
    ``dm/dtau = eta (k1 rho - k2 m)``, ``dq/dtau = 2 eta (k1 m - k2 q) + eta^2 k2 (eps + noise_var)``,
    hence for ``eps = rho - 2 k1 m + k2 q``

        d eps/dtau = -2 eta k2 (eps - eps_lin) + eta^2 k2^2 (eps + noise_var),
        eps(tau) = eps_inf + (eps_0 - eps_inf) exp(-eta k2 (2 - eta k2) tau),
        eps_inf = (2 eps_lin + eta k2 noise_var)/(2 - eta k2),   eps_0 = rho + k2 init_std^2,

    with ``eps_lin = rho (1 - k1^2/k2)`` (zero without input quantization).  Returns a dict of
    arrays ``tau, gen_error, m, q``.
    """
    tau = np.atleast_1d(np.asarray(tau, dtype=float))
    k1, k2 = problem.kappa
    eta, rho, s2 = problem.eta, problem.rho, problem.noise_var
    if eta * k2 >= 2.0:
        raise ValueError(f"eta must be < 2/k2 = {2 / k2:.6g} for the unquantized learning curve")
    lam = eta * k2 * (2.0 - eta * k2)
    e_inf = (2.0 * problem.eps_lin + eta * k2 * s2) / (2.0 - eta * k2)
    e0 = rho + k2 * problem.init_std ** 2
    eps = e_inf + (e0 - e_inf) * np.exp(-lam * tau)
    m = (k1 * rho / k2) * (1.0 - np.exp(-eta * k2 * tau))
    q = (eps - rho + 2.0 * k1 * m) / k2
    return {"tau": tau, "gen_error": eps, "m": m, "q": q, "gen_error_inf": e_inf, "rate": lam}


def _limit_closed(problem, tau, n_out, dens_t, dens_w0, window, bins):
    if problem.levels is not None or problem.ste != "identity":
        raise ValueError("method='closed_form' is for unquantized weights with the identity STE")
    out_t = np.unique(np.concatenate((np.linspace(0.0, tau, n_out), dens_t)))
    cf = sgd_learning_curve(problem, out_t)
    k1, k2 = problem.kappa
    f = k1 / k2
    eta, s0 = problem.eta, problem.init_std
    groups = _density_nodes(problem, dens_w0, window)
    density = np.zeros((len(groups), dens_t.size, bins.size - 1))
    # u | w0 is Gaussian with mean w* (1 - e^{-g tau}), g = eta k2, and a w0-independent variance
    # dV/dtau = -2 g V + eta^2 k2 (eps(tau) + noise), eps = eps_inf + A e^{-lam tau}, lam = 2g - g^2:
    # V = s0^2 e^{-2g tau} + eta^2 k2 [(eps_inf + noise)(1 - e^{-2g tau})/(2g) + A (e^{-lam tau} - e^{-2g tau})/g^2]
    g = eta * k2
    lam = cf["rate"]
    e_inf = cf["gen_error_inf"]
    amp = problem.rho + k2 * s0 * s0 - e_inf
    for it, t in enumerate(dens_t):
        var = (s0 * s0 * math.exp(-2 * g * t) + eta * eta * k2 * (
            (e_inf + problem.noise_var) * (1 - math.exp(-2 * g * t)) / (2 * g)
            + amp * (math.exp(-lam * t) - math.exp(-2 * g * t)) / (g * g)))
        for gi, (x, w) in enumerate(groups):
            for k in range(x.size):
                mu = f * x[k] * (1.0 - math.exp(-g * t))
                cdf = ndtr((bins - mu) / math.sqrt(var))
                density[gi, it] += w[k] * np.diff(cdf) / np.diff(bins)
    n = out_t.size
    return LimitResult(problem=problem, method="closed_form", tau=out_t, gen_error=cf["gen_error"],
                       m=cf["m"], q=cf["q"], mass=np.ones(n), outflow=np.zeros(n), density_times=dens_t,
                       density_w0=dens_w0, density_window=window, bin_edges=bins, density=density,
                       info={"rate": cf["rate"], "gen_error_inf": cf["gen_error_inf"]})


# ---------------------------------------------------------------------------------------------
# public entry point


def limit(problem: STEProblem, tau: float, *, method: str = "pde", n_out: int = 201, density_times=(),
          density_w0=(), density_window: float | None = None, bins=None, h: float = 0.01,
          dt: float | None = None, domain=None, panel_width: float | None = None,
          n_per_panel: int | None = None) -> LimitResult:
    """Deterministic ``d -> inf`` error curve and conditional densities on ``linspace(0, tau, n_out)``.

    Parameters
    ----------
    problem : STEProblem
    tau : float
        Horizon (units of ``t/d``).
    method : {"pde", "ode", "closed_form"}
        Nonlinear Fokker-Planck (finite ``eta``), small-noise ODE limit, or the exact unquantized
        curve (see the module docstring).
    n_out : int
        Output times ``linspace(0, tau, n_out)`` (``density_times`` are added to the grid).
    density_times, density_w0, density_window, bins
        Conditional density of ``u`` given ``w0`` (averaged over ``|w0 - v| <= density_window``
        with the teacher density, as :func:`~replicaquant.ste.simulate` conditions), as bin
        averages over ``bins``.
    h, dt, domain
        PDE cell width on the core (thresholds and ``±clip`` are faces; cells grow geometrically
        up to ``8 h`` outside ``[min threshold - 1, max threshold + 1]``), maximal time step
        (default ``min(0.01, h)/eta`` in units of ``tau``), and the ``u`` interval for the identity
        STE (default: thresholds +- 2.5 and +- 6 ``init_std``).
    panel_width, n_per_panel
        Gaussian-teacher quadrature (:func:`teacher_nodes`); defaults ``(1.0, 6)`` for the PDE
        (smooth in ``w0`` at finite noise) and ``(0.25, 8)`` for the ODE (kinks in ``w0``).

    Returns
    -------
    LimitResult
    """
    if not isinstance(problem, STEProblem):
        raise ValueError(f"problem must be an STEProblem, got {type(problem).__name__}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    tau = check_real("tau", tau, low=0.0, low_inclusive=False)
    n_out = check_int("n_out", n_out, low=2)
    h = check_real("h", h, low=0.0, low_inclusive=False)
    dens_t = np.unique(np.atleast_1d(np.asarray(density_times, dtype=float)))
    if dens_t.size and (np.any(~np.isfinite(dens_t)) or dens_t.min() < 0 or dens_t.max() > tau):
        raise ValueError("density_times must lie in [0, tau]")
    dens_w0, window, bins = density_args(problem, density_w0, density_window, bins)
    if panel_width is None:
        panel_width = 1.0 if method == "pde" else 0.25
    if n_per_panel is None:
        n_per_panel = 6 if method == "pde" else 8
    topts = {"panel_width": check_real("panel_width", panel_width, low=0.0, low_inclusive=False),
             "n_per_panel": check_int("n_per_panel", n_per_panel, low=1)}
    if method == "closed_form":
        return _limit_closed(problem, tau, n_out, dens_t, dens_w0, window, bins)
    if method == "ode":
        return _limit_ode(problem, tau, n_out, dens_t, dens_w0, window, bins, topts)
    if dt is None:
        dt = min(0.01, h) / problem.eta
    dt = check_real("dt", dt, low=0.0, low_inclusive=False)
    # resources up front (docs/ranges.md): the time grid holds ~tau/dt steps (16 bytes each while
    # it is built), and every step updates at least the ~2/h core cells
    n_steps = tau / dt + n_out + dens_t.size
    what = f"ste.limit(method='pde') with tau={tau:g}, dt={dt:g} ({n_steps:.3g} time steps)"
    check_memory("tau/dt", 16.0 * n_steps, what)
    check_work("tau/dt", n_steps * 2.0 / h, what)
    if domain is not None:
        domain = (check_real("domain[0]", domain[0]), check_real("domain[1]", domain[1]))
    return _limit_pde(problem, tau, n_out, dens_t, dens_w0, window, bins, h, dt, topts, domain)
