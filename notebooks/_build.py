"""Generate the tutorial notebooks (without outputs) from the cell sources below.

Run ``python notebooks/_build.py`` after editing; the ``.ipynb`` files are written next to this
script (notebook 05 comes from ``_build_ste.py``).  Every notebook is a tutorial: it states its
question, explains the physics of each step and what each plot shows, and uses small settings
so that it runs top to bottom in well under a minute (``tests/test_notebooks.py`` executes
them; their asserts check the claims the text makes).
"""
from __future__ import annotations

import pathlib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = pathlib.Path(__file__).resolve().parent

SETUP = """\
import numpy as np
import matplotlib.pyplot as plt
%matplotlib inline"""

NOTEBOOKS: dict[str, list[tuple[str, str]]] = {}

NOTEBOOKS["01_quick_start"] = [
    ("md", r"""# Quick start: the error of a linear model with 2-bit weights, and when to trust it

**The question.** A linear model $y = w\cdot x/\sqrt d$ with $d$ weights is fitted to
$n = \alpha d$ noisy samples of a teacher $w_0$, but every weight must take one of $2^b$ values —
here $b = 2$ bits, four levels spread uniformly over $[-\omega, \omega]$. In the
high-dimensional limit ($n, d \to \infty$ at fixed $\alpha$), what test error does the quantized
model reach, how does it depend on the width $\omega$ of the level set, and when is the
replica-symmetric (RS) prediction self-consistent?

The student is not a single fitted vector but a Gibbs measure over level assignments,
$P(w) \propto e^{-\beta H(w)}$ with the ridge energy
$H(w) = \frac12\lVert y - Xw/\sqrt d\rVert^2 + \frac\lambda2\lVert w\rVert^2$: $\beta$ is an
inverse temperature ($\beta = \infty$ is quantized least squares). The replica method reduces
this $d$-dimensional problem to three scalar equations for the order parameters. All equations
and conventions are in [docs/theory.md](../docs/theory.md)."""),
    ("code", SETUP),
    ("md", r"""## 1. One RS saddle point

The reference setting used throughout the documentation: two samples per weight
($\alpha = 2$), inverse temperature $\beta = 5$, a tiny ridge $\lambda = 10^{-3}$, label noise
variance $\sigma^2 = 0.1$ and a Gaussian teacher with $\mathbb E[w_0^2] = \rho = 1$.
`solve_rs` iterates the saddle-point equations for the teacher overlap $m = w\cdot w_0/d$, the
overlap of two replicas $q = \langle w\rangle\cdot\langle w\rangle/d$ and the susceptibility
$\chi = \beta(Q - q)$ until the undamped residual is below $10^{-11}$."""),
    ("code", r"""import replicaquant as rq

model = rq.Model(quantizer=rq.UniformQuantizer(bits=2, width=1.5), alpha=2.0, beta=5.0,
                 lam=1e-3, noise_var=0.1, teacher=rq.GaussianTeacher(rho=1.0))
print("levels:", model.quantizer.levels)
sol = rq.solve_rs(model)
sol"""),
    ("md", r"""What the numbers mean:

- `gen_error` $= \rho - 2m + Q$ is the excess test error of **one sample** of the Gibbs measure
  (label noise excluded); `gen_error_mean` $= \rho - 2m + q$ is that of the **Gibbs mean**
  $\langle w\rangle$ (the estimate AMP computes, notebook 03). At finite $\beta$ the mean is
  better: averaging over the thermal fluctuations removes the variance $Q - q = \chi/\beta$.
- `train_error` is the mean squared residual on the training set — below the test error.
- `at` is the de Almeida–Thouless (replicon) value. `at < 1` means RS is **locally** stable:
  no replica-symmetry-broken solution branches off continuously. At `at > 1` the RS numbers are
  not the true ones (replica symmetry breaking, section 3)."""),
    ("code", r"""print(f"teacher overlap m = {sol.m:.4f}, self-overlap Q = {sol.Q:.4f}, replica overlap q = {sol.q:.4f}")
print(f"test error of a Gibbs sample {sol.gen_error:.4f}, of the Gibbs mean {sol.gen_error_mean:.4f}")
print(f"training error {sol.train_error:.4f}; AT value {sol.at:.3f} -> RS stable: {sol.rs_stable}")
assert sol.converged and sol.rs_stable
assert sol.gen_error_mean < sol.gen_error   # the mean removes the thermal variance chi/beta
assert abs((sol.Q - sol.q) - sol.chi / model.beta) < 1e-8"""),
    ("md", r"""## 2. Choosing the width: a trade-off with an optimum

A small $\omega$ clips every large teacher weight to $\pm\omega$; a large $\omega$ makes the spacing
$2\omega/(2^b - 1)$ between levels coarse. The error is therefore minimal at an interior width
$\omega^*$. `scan` follows the RS solution along the width with warm starts, `optimal_width`
refines the minimum, and `at_line` finds the width $\omega_c$ where `at` crosses 1."""),
    ("code", r"""widths = np.linspace(0.1, 3.5, 60)
sols = rq.scan(model, "width", widths)
opt = rq.optimal_width(model, bounds=(0.05, 4.0))
crit = rq.at_line(model, "width", bracket=(0.05, 20.0))
print(f"optimal width {opt.width:.3f}: gen_error {opt.error:.4f}, at {opt.at:.3f} (RS stable: {opt.rs_stable})")
print(f"AT line: at = 1 at width {crit.value:.3f}")"""),
    ("md", r"""The left panel shows the test error of a Gibbs sample against $\omega$: solid where RS is
locally stable, dashed where `at > 1` (there the RS curve is only an approximation). The star is
$\omega^*$ and the dotted line the AT width $\omega_c$. The right panel shows the AT value itself:
it grows with $\omega$ because wide, sparse levels make the Gibbs measure on each weight
bimodal (large thermal variance $\beta\,\mathrm{Var}_h(w)$)."""),
    ("code", r"""from replicaquant.plotting import stability_line

fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.6), constrained_layout=True)
stability_line(ax, widths, [s.gen_error for s in sols], [s.at for s in sols], label="RS, b = 2")
ax.plot(opt.width, opt.error, "k*", ms=12, label=rf"optimal width $\omega^*$ = {opt.width:.2f}")
ax.axvline(crit.value, color="gray", ls=":", label=rf"AT line $\omega_c$ = {crit.value:.2f}")
ax.set_xlabel(r"width $\omega$ (levels on $[-\omega, \omega]$)")
ax.set_ylabel(r"test error $\rho - 2m + Q$")
ax.set_title("Test error vs width (dashed: RS unstable)")
ax.legend(fontsize=8)
ax2.semilogy(widths, [s.at for s in sols], color="C0")
ax2.axhline(1.0, color="gray", ls=":")
ax2.set_xlabel(r"width $\omega$"); ax2.set_ylabel("AT value at")
ax2.set_title("Replicon: RS locally stable below 1")
plt.show()"""),
    ("md", r"""## 3. Past the AT line: one-step replica symmetry breaking

At $\omega = 3 > \omega_c$ RS is unstable. `solve_1rsb` splits the replica overlap into an
intra-state value $q_1$ and an inter-state value $q_0 < q_1$ and fixes the Parisi parameter $x$
by maximising the free energy over $x \in (0, 1]$; its free energy is at least the RS one, and
its errors are the ones to use there."""),
    ("code", r"""wide = model.replace(width=3.0)
rs_wide, rsb = rq.solve_rs(wide), rq.solve_1rsb(wide)
print(f"RS:   at = {rs_wide.at:.3f}, f = {rs_wide.free_energy:.6f}, train error {rs_wide.train_error:.4f}")
print(f"1RSB: x = {rsb.x:.3f}, q0 = {rsb.q0:.4f} < q1 = {rsb.q1:.4f}, f = {rsb.free_energy:.6f}, "
      f"train error {rsb.train_error:.4f}")
assert rsb.rsb and rsb.free_energy >= rs_wide.free_energy - 1e-12"""),
    ("md", r"""## 4. Zero temperature

At $\beta = \infty$ the Gibbs measure collapses on the quantized least-squares minimiser, and
the Gibbs sample and the Gibbs mean coincide. For any discrete level set `at` is infinite there:
the mean $\langle w\rangle_h$ is a staircase in the local field whose jumps make the replicon
diverge. So RS is never locally stable for the ground state, and the RS/RSB boundary is a
finite-$\beta$ object."""),
    ("code", r"""ground = rq.solve_rs(model.replace(beta=np.inf))
print(f"beta = inf: gen_error {ground.gen_error:.4f} = gen_error_mean {ground.gen_error_mean:.4f}, at = {ground.at}")
assert abs(ground.gen_error - ground.gen_error_mean) < 1e-12 and np.isinf(ground.at)"""),
    ("md", r"""## 5. Sanity check: a dense level grid is ridge regression

With 241 levels on $[-6, 6]$ at $\beta = 100$ the quantized model is practically continuous and
must reproduce the closed-form ridge result `ridge_rs` (see [docs/theory.md](../docs/theory.md)),
an independent check of the whole solver."""),
    ("code", r"""dense = rq.Model(quantizer=rq.Quantizer(np.linspace(-6, 6, 241)), alpha=2.0, beta=100.0,
                 lam=0.1, noise_var=0.1)
s = rq.solve_rs(dense)
r = rq.ridge_rs(alpha=2.0, lam=0.1, noise_var=0.1)
print(f"quantized grid: chi = {s.chi:.4f}, error of the mean = {s.gen_error_mean:.4f}")
print(f"ridge closed form: chi = {r.chi:.4f}, error = {r.gen_error_mean:.4f}")
assert abs(s.gen_error_mean - r.gen_error_mean) < 2e-3"""),
]

NOTEBOOKS["02_phase_diagram"] = [
    ("md", r"""# Phase diagram: where replica symmetry breaks

**The question.** For which numbers of bits, widths and sample ratios is the replica-symmetric
(RS) prediction of notebook 01 self-consistent, and where does replica symmetry breaking (RSB)
set in?

**The tool.** The de Almeida–Thouless (replicon) value
$\mathrm{at} = \frac{\alpha}{(1+\chi)^2}\,\mathbb E\big[(\beta\,\mathrm{Var}_h w)^2\big]$
measures how strongly a perturbation that breaks replica symmetry is amplified by one pass
through the saddle-point equations; RS is locally stable iff $\mathrm{at} < 1$. Large thermal
variance of a single weight — sparse, widely spaced levels at low temperature — drives it up.
The line $\mathrm{at} = 1$ is the AT line. (It is a *local* test: a discontinuous transition to
1RSB can happen before it, see [docs/theory.md](../docs/theory.md).)"""),
    ("code", SETUP),
    ("md", r"""## 1. The replicon on a (width, alpha) grid

`rq.sweep` solves the RS saddle point on the Cartesian product of the axes, following each line
by continuation (warm starts), and returns an `xarray.Dataset` with every observable. The grid
here is coarse (14 × 30 points) so that the notebook runs in seconds; the paper figure uses
finer grids."""),
    ("code", r"""import replicaquant as rq

base = rq.Model(quantizer=rq.UniformQuantizer(2, 1.0), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
alphas = np.geomspace(0.5, 6.0, 14)
widths = np.geomspace(0.1, 20.0, 30)
ds = rq.sweep(base, alpha=alphas, width=widths, workers=1, progress=False, bidirectional=False)
at = ds["at"].values          # shape (alpha, width)
print(dict(ds.sizes), "| data variables:", ", ".join(sorted(ds.data_vars))[:120], "...")
assert np.all(np.isfinite(at))"""),
    ("md", r"""## 2. The AT line for 1, 2 and 3 bits

`at_line_curve` finds, for each $\alpha$, the critical width $\omega_c(\alpha)$ where `at` crosses 1
(a warm-started scan to bracket the crossing, then Brent's method)."""),
    ("code", r"""line_alphas = np.geomspace(1.05, 6.0, 8)
lines = {b: rq.at_line_curve(base.replace(bits=b), over="alpha", values=line_alphas,
                             bracket=(0.05, 100.0), n_scan=20) for b in (1, 2, 3)}
for b, res in lines.items():
    print(f"b = {b}: critical widths", [round(r.value, 3) for r in res if r.found])"""),
    ("md", r"""The colour map shows $\log_{10}\mathrm{at}$ for 2 bits: blue is RS-stable, red is RSB; the
green line (b = 2) runs along the white boundary of the map, as it must. The other lines show that
every extra bit pushes the AT line to larger widths. Both axes are logarithmic; the ticks are
placed explicitly so that their labels do not collide."""),
    ("code", r"""from matplotlib.colors import TwoSlopeNorm
from matplotlib.ticker import FixedLocator, NullFormatter, ScalarFormatter

fig, ax = plt.subplots(figsize=(6, 4.3), constrained_layout=True)
pc = ax.pcolormesh(alphas, widths, np.log10(at).T, cmap="RdBu_r", shading="nearest",
                   norm=TwoSlopeNorm(vmin=-3, vcenter=0, vmax=3))
colors = {1: "C1", 2: "C2", 3: "C4"}
for b, res in lines.items():
    ax.plot([a for a, r in zip(line_alphas, res) if r.found], [r.value for r in res if r.found],
            lw=2, color=colors[b], label=f"AT line, b = {b}")
ax.set_xscale("log"); ax.set_yscale("log")
ax.xaxis.set_major_locator(FixedLocator([0.5, 1, 2, 3, 6]))
ax.yaxis.set_major_locator(FixedLocator([0.1, 0.3, 1, 3, 10, 20]))
for axis in (ax.xaxis, ax.yaxis):
    axis.set_major_formatter(ScalarFormatter()); axis.set_minor_formatter(NullFormatter())
ax.set_xlabel(r"samples per weight $\alpha = n/d$")
ax.set_ylabel(r"width $\omega$")
ax.set_title(r"RS stability, $\beta = 5$ (colour: 2 bits)")
ax.legend(loc="lower left", fontsize=8)
fig.colorbar(pc, label=r"$\log_{10}$ at  (> 0: RS unstable)")
plt.show()"""),
    ("md", r"""## 3. More bits, more room

At $\alpha = 2$ the critical width grows quickly with the number of bits: RSB lives at few bits
and large width. Since the optimal width of notebook 01 grows much more slowly, the optimum is
RS-stable at this temperature for every $b$ (notebook 06 checks this for a given $b$)."""),
    ("code", r"""crit = rq.at_line_curve(base, over="bits", values=[1, 2, 3, 4], bracket=(0.05, 100.0))
wc = [r.value for r in crit]
print("critical widths at alpha = 2:", np.round(wc, 3))
assert all(a < b for a, b in zip(wc, wc[1:]))

fig, ax = plt.subplots(figsize=(4.5, 3.2), constrained_layout=True)
ax.semilogy([1, 2, 3, 4], wc, "o-")
ax.set_xticks([1, 2, 3, 4])
ax.set_xlabel("bits b"); ax.set_ylabel(r"critical width $\omega_c$")
ax.set_title(r"AT line at $\alpha = 2$, $\beta = 5$")
plt.show()"""),
    ("md", r"""## 4. Temperature matters

The replicon grows linearly in $\beta$ at low temperature, so every discrete level set becomes
RS-unstable below some temperature, and at $\beta = \infty$ `at` is infinite. Here is `at` at
the optimal 2-bit width as the temperature is lowered."""),
    ("code", r"""model2 = base.replace(width=1.5)
betas = np.geomspace(1, 200, 12)
ats = [rq.solve_rs(model2.replace(beta=b)).at for b in betas]
fig, ax = plt.subplots(figsize=(4.5, 3.2), constrained_layout=True)
ax.loglog(betas, ats, "o-", label="RS, b = 2, width 1.5")
ax.axhline(1, color="gray", ls=":")
ax.set_xlabel(r"inverse temperature $\beta$"); ax.set_ylabel("AT value at")
ax.set_title("The replicon grows linearly in beta"); ax.legend(fontsize=8)
plt.show()
slope = np.log(ats[-1] / ats[-2]) / np.log(betas[-1] / betas[-2])
print(f"log-log slope at large beta: {slope:.3f}")
assert abs(slope - 1) < 0.1"""),
]

NOTEBOOKS["03_amp_vs_theory"] = [
    ("md", r"""# AMP vs replica theory: does an algorithm reach the predicted error?

**The question.** The replica computation of notebook 01 describes the Gibbs measure in the limit
$d \to \infty$. Can a polynomial-time algorithm on one finite data set actually compute the
Gibbs mean and reach the predicted error $\rho - 2m + q$ (`gen_error_mean`)? And how large are
the finite-size deviations?

**The algorithm.** Approximate message passing (GAMP) for the linear channel with the quantized
denoiser: each iteration forms a Gaussian "local field" $B_i \approx A\,w_{0,i} + \sqrt{\hat q}\,z_i$
for every weight and applies the single-site Gibbs average on the levels — the same compiled
function the replica solver uses. **State evolution** (SE) predicts the error of every AMP
iteration from the RS map alone; its fixed points are the RS saddle points. Equations in
[docs/theory.md](../docs/theory.md) and [docs/amp.md](../docs/amp.md)."""),
    ("code", SETUP),
    ("code", r"""import replicaquant as rq

model = rq.Model(quantizer=rq.UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
sol = rq.solve_rs(model)
print(f"RS: error of the Gibbs mean {sol.gen_error_mean:.4f}, chi {sol.chi:.4f}, at {sol.at:.3f} (RS stable)")"""),
    ("md", r"""## 1. One run, iteration by iteration

One data set with $d = 1000$ weights and $n = 2000$ samples. AMP starts from $w = 0$ (no
information), as does state evolution; the plot compares the MSE $\lVert w_t - w_0\rVert^2/d$
of the AMP estimate after $t$ iterations with the SE prediction, and the RS fixed point."""),
    ("code", r"""X, y, w0 = rq.make_data(model, d=1000, seed=0)
run = rq.amp(X, y, model, max_iter=60, tol=1e-9, w0=w0)
se = rq.state_evolution(model, n_iter=len(run.history.mse) - 1)
print(f"AMP converged: {run.converged} after {run.iterations} iterations")
print(f"final MSE: AMP {run.history.mse[-1]:.4f} | state evolution {se.mse[-1]:.4f} | RS {sol.gen_error_mean:.4f}")
assert run.converged and abs(se.mse[-1] - sol.gen_error_mean) < 1e-8

fig, ax = plt.subplots(figsize=(5.5, 3.6), constrained_layout=True)
t = np.arange(len(run.history.mse))
ax.plot(t, run.history.mse, "o", ms=4, label="AMP, one instance (d = 1000)")
ax.plot(t, se.mse, "-", label="state evolution (d = inf)")
ax.axhline(sol.gen_error_mean, color="k", ls=":", label="RS fixed point")
ax.set_xlabel("iteration t"); ax.set_ylabel(r"MSE $\Vert w_t - w_0\Vert^2/d$")
ax.set_title("AMP follows state evolution")
ax.legend(fontsize=8)
plt.show()"""),
    ("md", r"""AMP tracks the SE curve during the transient and its MSE settles within about ten
iterations (the remaining iterations only drive the change per step below the tolerance). Its final MSE is not exactly the RS value: a single finite instance fluctuates
around the $d = \infty$ prediction.

## 2. How large are the finite-size fluctuations?

Part of the instance-to-instance spread is the teacher itself: its realised squared norm
$\lVert w_0\rVert^2/d$ fluctuates around $\rho = 1$ by $\sqrt{2/d}$ (0.045 at $d = 1000$), and
the error of the estimate grows with it. So we compare each run with the theory twice: at the
nominal $\rho = 1$ and at the **realised** $\rho = \lVert w_0\rVert^2/d$ of its teacher. Five
seeds at each of three sizes (small, so that this runs in seconds)."""),
    ("code", r"""sizes, seeds = (250, 500, 1000), range(5)
rows = {}
for d in sizes:
    out = []
    for seed in seeds:
        X, y, w0 = rq.make_data(model, d=d, seed=seed)
        r = rq.amp(X, y, model, max_iter=100, tol=1e-9, w0=w0)
        rho_real = float(w0 @ w0) / d
        theory_real = rq.solve_rs(model.replace(rho=rho_real)).gen_error_mean
        out.append((r.history.mse[-1], rho_real, theory_real, r.converged))
    rows[d] = np.array(out)

print(" d    | AMP MSE mean ± sd  | AMP - RS(rho=1)   | AMP - RS(realised rho) | sd of |w0|^2/d")
for d, a in rows.items():
    dn, dr = a[:, 0] - sol.gen_error_mean, a[:, 0] - a[:, 2]
    print(f"{d:5d} | {a[:, 0].mean():.4f} ± {a[:, 0].std(ddof=1):.4f} | {dn.mean():+.4f} ± {dn.std(ddof=1):.4f} |"
          f" {dr.mean():+.4f} ± {dr.std(ddof=1):.4f}      | {a[:, 1].std(ddof=1):.4f}")
assert all(a[:, 3].all() for a in rows.values())   # AMP converged on every instance"""),
    ("md", r"""The "±" columns are the standard deviation over the five instances, i.e. the size of a
typical single-instance deviation; the standard error of the mean is that divided by
$\sqrt 5$. Read the table as follows:

- a single run at $d = 1000$ can sit one or two hundredths away from the nominal theory (the
  run of section 1 is one of them) — the expected $O(1/\sqrt d)$ fluctuation, not a
  disagreement;
- the spread of the realised teacher norm shrinks like $\sqrt{2/d}$; measuring against the theory
  at the realised norm removes the part of the deviation that comes from the teacher draw. At
  $d = 1000$ the mean deviation from the realised-norm theory is smaller than from the nominal
  one and within two standard errors of zero (asserted below);
- at the smaller sizes the deviations are larger and noisier: a finite-size effect, which is why
  the paper figure uses $d \ge 4000$ and several seeds.

The plot shows the deviation from the realised-norm theory, per instance and averaged (with its
standard error), against $d$."""),
    ("code", r"""fig, ax = plt.subplots(figsize=(5.5, 3.6), constrained_layout=True)
for d, a in rows.items():
    dr = a[:, 0] - a[:, 2]
    ax.plot(np.full(len(dr), d), dr, "o", color="C0", alpha=0.35, ms=4)
    ax.errorbar(d, dr.mean(), dr.std(ddof=1) / np.sqrt(len(dr)), fmt="s", color="C3", capsize=3)
ax.plot([], [], "o", color="C0", alpha=0.35, label="one instance")
ax.errorbar([], [], [], fmt="s", color="C3", label="mean ± s.e. (5 seeds)")
ax.axhline(0, color="k", lw=0.8)
ax.set_xscale("log"); ax.set_xticks(sizes, [str(d) for d in sizes]); ax.set_xticks([], minor=True)
ax.set_xlabel("dimension d"); ax.set_ylabel("AMP MSE − RS at realised norm")
ax.set_title("Finite-size deviations shrink with d")
ax.legend(fontsize=8)
plt.show()

big = rows[max(sizes)]
dev_nominal, dev_real = big[:, 0] - sol.gen_error_mean, big[:, 0] - big[:, 2]
assert np.all(np.abs(dev_real) < 0.05)                 # every d = 1000 instance within 0.05
assert abs(dev_real.mean()) < abs(dev_nominal.mean())  # the realised norm explains part of it
assert abs(dev_real.mean()) < 2 * dev_real.std(ddof=1) / np.sqrt(len(dev_real))"""),
    ("md", r"""**Where AMP fails.** In the RSB phase (`at > 1`, e.g. width 3 in notebook 01) plain AMP
does not converge: the iterate keeps moving by $O(1)$ per step. `amp` reports this with
`converged=False` and a `RuntimeWarning` instead of returning a misleading number; the paper
figure `amp_vs_theory` shows it across widths."""),
]

NOTEBOOKS["04_double_descent"] = [
    ("md", r"""# Double descent with quantized weights

**The question.** For unregularised least squares with continuous weights the test error
diverges at the interpolation threshold $\alpha = n/d = 1$, where the number of samples equals
the number of parameters ("double descent"). What happens when the weights are quantized?

**The physics.** At $\beta = \infty$ and $\lambda \to 0^+$ the student is the quantized least-squares
fit. Below some $\alpha_c$ a quantized student can still fit every training label exactly
(interpolate); there the susceptibility $\chi$ diverges and the training error reaches 0. For
continuous weights $\alpha_c = 1$; a finite level set can interpolate fewer samples, so
$\alpha_c < 1$ and, because the weights are bounded, the peak stays finite.
`interpolation_threshold` computes $\alpha_c$ from a closed-form equation for $\chi$, and
`double_descent_peak` locates the peak of the RS error curve
(see [docs/science.md](../docs/science.md))."""),
    ("code", SETUP),
    ("md", r"""## 1. The interpolation threshold

The widths are the optimal widths $\omega^*$ of the reference point (notebook 01) for 1, 2 and
3 bits; $\lambda = 10^{-6}$ stands for $0^+$."""),
    ("code", r"""import math
import replicaquant as rq

def model(bits, width, beta=math.inf):
    return rq.Model(quantizer=rq.UniformQuantizer(bits, width), alpha=1.0, beta=beta, lam=1e-6,
                    noise_var=0.1)

widths = {1: 0.72, 2: 1.52, 3: 1.79}
for b, w in widths.items():
    th = rq.interpolation_threshold(model(b, w))
    print(f"b = {b}, width {w}: alpha_c = {th.alpha:.4f}, error just above alpha_c = {th.gen_error:.4f}")"""),
    ("md", r"""## 2. Error curves

The RS test error of quantized least squares against $\alpha$, computed from large $\alpha$
downwards with warm starts, against the closed-form ridgeless curve
$\sigma^2/(\alpha - 1)$ ($\alpha > 1$) and $\rho(1-\alpha) + \alpha\sigma^2/(1-\alpha)$
($\alpha < 1$)."""),
    ("code", r"""alphas = np.linspace(0.15, 2.5, 141)   # dense: the peaks are cusps
curves = {b: rq.double_descent_peak(model(b, w), alphas) for b, w in widths.items()}
for b, p in curves.items():
    print(f"b = {b}:", p.message)"""),
    ("md", r"""In the plot the black curve (continuous weights) diverges at $\alpha = 1$; each coloured curve
peaks at its own threshold $\alpha_c$ (dotted line of the same colour), below 1 and at a finite
height. Fewer bits interpolate fewer samples: $\alpha_c$ moves left as $b$ decreases. For one
bit $\lVert w\rVert^2$ is fixed, the ridge cannot select among interpolators and the RS solution
has no finite-$\chi$ branch below $\alpha_c$ (the curve stops).

*Caveat — this is the RS picture.* At $\beta = \infty$ every discrete level set is RS-unstable
(`at` is infinite, notebook 01), so these curves are predictions of an unstable saddle point. The
zero-temperature 1RSB theory (`rq.solve_1rsb_zero`, [docs/ground_state.md](../docs/ground_state.md))
finds no exact interpolation — the training error stays positive, about $K^{-2/\alpha}$ below
$\alpha_c$ — and, for 1 and 2 bits, no peak at all: $\alpha_c$ is a crossover of the RS
solution, not a true interpolation threshold. The last cell compares the two at one point."""),
    ("code", r"""fig, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
ra = np.concatenate([np.linspace(0.15, 0.995, 200), np.linspace(1.005, 2.5, 200)])
rv = np.array([rq.ridge_rs(a, 0.0, 0.1).gen_error_mean for a in ra])
ax.plot(ra[ra < 1], rv[ra < 1], "k-", label="continuous weights (ridgeless)")
ax.plot(ra[ra > 1], rv[ra > 1], "k-")
for b, p in curves.items():
    ax.plot(p.alphas, p.values, color=f"C{b - 1}", label=f"b = {b}, width {widths[b]}")
    ax.axvline(rq.interpolation_threshold(model(b, widths[b])).alpha, ls=":", color=f"C{b - 1}")
ax.set_ylim(0, 1.6)
ax.set_xlabel(r"samples per weight $\alpha = n/d$")
ax.set_ylabel(r"test error $\rho - 2m + q$")
ax.set_title(r"Double descent, $\beta = \infty$ (dotted: $\alpha_c$)")
ax.legend(fontsize=8)
plt.show()"""),
    ("md", "In the RS theory the peak moves from $\\alpha = 1$ to $\\alpha_c < 1$ and stays finite:"),
    ("code", r"""th2 = rq.interpolation_threshold(model(2, widths[2]))
assert th2.alpha < 0.9 and th2.gen_error < rq.ridge_rs(0.99, 0.0, 0.1).gen_error_mean
ths = [rq.interpolation_threshold(model(b, w)).alpha for b, w in widths.items()]
assert ths == sorted(ths)   # fewer bits: smaller alpha_c
print(f"2 bits: alpha_c = {th2.alpha:.3f}, peak error {th2.gen_error:.3f} "
      f"(continuous weights at alpha = 0.99: {rq.ridge_rs(0.99, 0.0, 0.1).gen_error_mean:.1f})")"""),
    ("md", r"""## 3. Beyond RS: the zero-temperature 1RSB picture (2 bits)

The 1RSB ground state (`y = beta x` fixed as $\beta \to \infty$) is followed in $\alpha$ from
large $\alpha$ downwards (below the RS $\alpha_c$ it can only be reached by continuation). Left:
test error; right: training error (log scale). RS interpolates (training error 0) below
$\alpha_c$; 1RSB never does, and its test error keeps rising as $\alpha$ decreases — no peak."""),
    ("code", r"""from replicaquant.rsb_zero import scan_alpha_zero

a1 = np.array([1.5, 1.2, 1.0, 0.8, 0.7, 0.6, 0.5])
m2 = model(2, widths[2])
rsb0 = scan_alpha_zero(m2, a1)
rs0 = [rq.solve_rs(m2.replace(alpha=a)) for a in a1]
print(" alpha | test RS  test 1RSB | train RS   train 1RSB")
for a, r, z in zip(a1, rs0, rsb0):
    print(f" {a:5.2f} | {r.gen_error:.4f}   {z.gen_error:.4f} | {r.train_error:.2e}   {z.train_error:.2e}")
assert all(z.converged for z in rsb0)
below = a1 < th2.alpha
assert all(z.train_error > 1e-4 for z in rsb0)                               # no interpolation
assert all(r.train_error < 1e-8 for r, b in zip(rs0, below) if b)            # RS interpolates
e1 = [z.gen_error for z in rsb0]
assert all(x < y for x, y in zip(e1, e1[1:]))                                # no peak: monotone

fig, (ax, ax2) = plt.subplots(1, 2, figsize=(9, 3.5), constrained_layout=True)
ax.plot(a1, [r.gen_error for r in rs0], "o-", label="RS")
ax.plot(a1, e1, "s-", label="1RSB (zero temperature)")
ax.axvline(th2.alpha, ls=":", color="gray", label=r"RS $\alpha_c$")
ax.set_xlabel(r"$\alpha = n/d$"); ax.set_ylabel("test error"); ax.set_title(r"2 bits, $\beta = \infty$: test error")
ax.legend(fontsize=8)
ax2.semilogy(a1, [max(r.train_error, 1e-12) for r in rs0], "o-", label="RS (0 below $\\alpha_c$)")
ax2.semilogy(a1, [z.train_error for z in rsb0], "s-", label="1RSB")
ax2.axvline(th2.alpha, ls=":", color="gray")
ax2.set_xlabel(r"$\alpha = n/d$"); ax2.set_ylabel("training error"); ax2.set_title("training error")
ax2.legend(fontsize=8)
plt.show()"""),
]

NOTEBOOKS["06_which_width"] = [
    ("md", r"""# I have b bits — which width should I use, and how far can I trust the answer?

**The practitioner's question.** You will store the $d$ weights of a linear regression model
with $b$ bits each, on uniform levels over $[-\omega, \omega]$. Which half-range $\omega$ gives
the smallest test error, how much does the choice matter, and how reliable is the number the
theory gives you — for the infinite system, and for your finite $d$?

The recipe, step by step:

1. describe the problem (samples per weight, noise, regularisation, temperature);
2. find the optimal width $\omega^*$ with the replica-symmetric (RS) theory;
3. check that RS is the right theory at $\omega^*$ (its phase);
4. check the prediction with an algorithm on synthetic data of your size (AMP);
5. read off the finite-size uncertainty.

Theory and conventions: [docs/theory.md](../docs/theory.md)."""),
    ("code", SETUP),
    ("md", r"""## 1. The problem

Change these to your setting. $\alpha = n/d$ is the number of training samples per weight,
`noise_var` the label noise variance, `lam` the ridge penalty, and $\beta$ the inverse
temperature of the Gibbs measure over quantized weights ($\beta = \infty$ is quantized least
squares; a finite $\beta$ models a stochastic training procedure that samples good level
assignments). The teacher is Gaussian with $\mathbb E[w_0^2] = 1$: rescale your widths by the
typical size of your weights."""),
    ("code", r"""import replicaquant as rq

BITS = 2
problem = rq.Model(quantizer=rq.UniformQuantizer(BITS, 1.0), alpha=2.0, beta=5.0, lam=1e-3,
                   noise_var=0.1, teacher=rq.GaussianTeacher(rho=1.0))
problem"""),
    ("md", r"""## 2. The optimal width

Which error to minimise? A deployed quantized model has its weights **on the levels**: it is a
sample of the Gibbs measure, with test error `gen_error` $= \rho - 2m + Q$. (The Gibbs mean,
`gen_error_mean`, is smaller but is not a quantized vector.) `optimal_width` scans the width
with warm starts and refines the minimum with a bounded scalar search."""),
    ("code", r"""opt = rq.optimal_width(problem, bounds=(0.05, 6.0), observable="gen_error")
best = problem.replace(width=opt.width)
print(f"b = {BITS}: optimal width omega* = {opt.width:.4f}, test error {opt.error:.4f}, "
      f"interior minimum: {opt.interior}, converged: {opt.converged}")
assert opt.converged and opt.interior"""),
    ("md", r"""**How much does the choice matter?** The minimum is flat: the band below marks every width
whose error is within 1 % of the optimum. Any width in that band is as good in practice, which
also means that the exact position of $\omega^*$ is not worth over-engineering. The dashed part of
the curve is where `at > 1` (RS unstable)."""),
    ("code", r"""from replicaquant.plotting import stability_line

widths = np.linspace(0.2, 4.0, 80)
sols = rq.scan(problem, "width", widths)
err = np.array([s.gen_error for s in sols])
within = widths[err <= 1.01 * opt.error]
print(f"widths within 1% of the optimal error: {within.min():.2f} .. {within.max():.2f}")

fig, ax = plt.subplots(figsize=(6, 3.8), constrained_layout=True)
ax.axvspan(within.min(), within.max(), color="C2", alpha=0.15, label="within 1 % of the optimum")
stability_line(ax, widths, err, [s.at for s in sols], color="C0", label=f"RS test error, b = {BITS}")
ax.plot(opt.width, opt.error, "k*", ms=12, label=rf"$\omega^*$ = {opt.width:.3f}")
ax.set_xlabel(r"width $\omega$"); ax.set_ylabel(r"test error $\rho - 2m + Q$")
ax.set_title(f"Choosing the width for {BITS} bits (dashed: RS unstable)")
ax.legend(fontsize=8)
plt.show()"""),
    ("md", r"""## 3. Is RS the right theory at $\omega^*$? Its phase

The RS solution is **locally** stable when the replicon (AT) value is below 1. That is necessary
but not sufficient: a discontinuous transition to a glassy one-step-RSB phase can occur while
`at < 1` (the 1RSB state is separated from RS by a finite gap, so the local test cannot see it).
`rq.phase` decides the phase by following the 1RSB branches in the Parisi parameter $x$ from
$x = 1$ (from the RS split and from a frozen start) and reading their complexity $\Sigma$
([docs/theory.md](../docs/theory.md), section 5):

- **RS** — one state; the RS numbers are the equilibrium values;
- **d1RSB** — thermodynamically RS, but the measure has split into exponentially many states:
  the RS numbers hold, local algorithms may not reach them;
- **1RSB** — replica symmetry is broken: use the 1RSB errors the report carries;
- **FRSB** — even 1RSB is unstable; its numbers are an approximation."""),
    ("code", r"""ph = rq.phase(best)
print(f"phase at omega*: {ph.label} ({ph.message})")
print(f"AT value {ph.at:.3f}; thermodynamic free energy {ph.free_energy:.6f} (RS {ph.free_energy_rs:.6f})")
crit = rq.at_line(problem, "width", bracket=(0.05, 50.0))
print(f"distance to the AT line: omega_c = {crit.value:.3f} = {crit.value / opt.width:.2f} x omega*")
assert ph.converged and ph.label == "RS" and opt.rs_stable"""),
    ("md", r"""Here the optimum is in the RS phase, well below the AT line: the RS numbers above are the
equilibrium values. Had `ph.label` been `"1RSB"`, the errors to quote would be `ph.gen_error`
and `ph.gen_error_mean` (1RSB), and local algorithms would be expected to slow down.

## 4. An algorithm on data of your size

The theory is for $d \to \infty$. On a synthetic instance of your size, AMP computes the Gibbs
mean; its error should match `gen_error_mean` at $\omega^*$ up to finite-size fluctuations.
Each instance is compared with the theory at the realised teacher norm $\lVert w_0\rVert^2/d$ (its
spread $\sqrt{2/d}$ is part of the instance-to-instance fluctuation)."""),
    ("code", r"""D, SEEDS = 1000, range(4)
dev = []
for seed in SEEDS:
    X, y, w0 = rq.make_data(best, d=D, seed=seed)
    run = rq.amp(X, y, best, max_iter=100, tol=1e-9, w0=w0)
    theory = rq.solve_rs(best.replace(rho=float(w0 @ w0) / D)).gen_error_mean
    dev.append(run.history.mse[-1] - theory)
    print(f"seed {seed}: AMP converged {run.converged} in {run.iterations} iterations, "
          f"MSE {run.history.mse[-1]:.4f} vs theory {theory:.4f}")
dev = np.array(dev)
sd = dev.std(ddof=1)
print(f"AMP - theory: mean {dev.mean():+.4f}, instance-to-instance sd {sd:.4f}, "
      f"standard error of the mean {sd / np.sqrt(len(dev)):.4f}  (theory {opt.solution.gen_error_mean:.4f} at rho = 1)")
assert np.all(np.abs(dev) < 0.05)"""),
    ("md", r"""## 5. How far can you trust the answer?

- **The optimal width** is a $d = \infty$ statement, but the error curve is so flat near
  $\omega^*$ (section 2) that finite-size corrections to its position do not matter in practice:
  pick any width in the 1 % band.
- **The error value** of one model trained on one data set of size $d$ fluctuates around the
  theory by the instance-to-instance standard deviation printed above, $O(1/\sqrt d)$: quadrupling
  $d$ halves it. Differences between widths smaller than that cannot be resolved on one
  instance, and a small systematic finite-size shift (notebook 03) adds to it at small $d$.
- **The phase**: the RS numbers are the equilibrium ones in the RS (and d1RSB) phase; `rq.phase`
  tells which (section 3). Close to the AT line expect slow algorithms.

## 6. What each extra bit buys

The same recipe for 1 to 4 bits: optimal width, error, AT value and phase at the optimum, and
the critical width. Each extra bit lowers the error, with diminishing returns, and moves the AT line further
away from the optimum."""),
    ("code", r"""print(" b | omega*  | test error | at(omega*) | phase | omega_c")
table = []
for b in (1, 2, 3, 4):
    m = problem.replace(bits=b)
    o = rq.optimal_width(m, bounds=(0.05, 6.0))
    c = rq.at_line(m, "width", bracket=(0.05, 100.0))
    label = rq.phase(m.replace(width=o.width)).label
    table.append((b, o.width, o.error, o.at, c.value, label))
    print(f" {b} | {o.width:.4f} | {o.error:.4f}     | {o.at:.3f}      | {label:5s} | {c.value:.3f}")
errors = [row[2] for row in table]
assert all(e1 > e2 for e1, e2 in zip(errors, errors[1:]))       # each bit helps
assert all(row[3] < 1 and row[4] > row[1] and row[5] == "RS" for row in table)  # RS optimum
ratios = [row[4] / row[1] for row in table]
assert all(r1 < r2 for r1, r2 in zip(ratios, ratios[1:]))      # AT line moves away from omega*

fig, ax = plt.subplots(figsize=(4.8, 3.4), constrained_layout=True)
ax.plot([r[0] for r in table], errors, "o-")
ax.set_xticks([1, 2, 3, 4])
ax.set_xlabel("bits b"); ax.set_ylabel(r"test error at $\omega^*$")
ax.set_title("Diminishing returns of extra bits")
plt.show()"""),
]

def notebooks() -> dict[str, nbformat.NotebookNode]:
    """The notebooks as ``nbformat`` objects (no outputs, no execution counts), by name."""
    out = {}
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook()
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                     "language": "python"}
        nb.metadata["language_info"] = {"name": "python"}
        for kind, src in cells:
            nb.cells.append(new_markdown_cell(src) if kind == "md" else new_code_cell(src))
        for i, cell in enumerate(nb.cells):  # deterministic ids: reproducible files
            cell["id"] = f"{name[:2]}-{i:02d}"
        nbformat.validate(nb)
        out[name] = nb
    return out


def build() -> list[pathlib.Path]:
    """Write every notebook next to this script and return the paths."""
    paths = []
    for name, nb in notebooks().items():
        path = HERE / f"{name}.ipynb"
        nbformat.write(nb, str(path))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in build():
        print(p)
