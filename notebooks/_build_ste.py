"""Generate ``notebooks/05_ste_dynamics.ipynb`` (no outputs) with nbformat.

Run from the repository root: ``python notebooks/_build_ste.py``.  The notebook uses small
settings (d = 1000, short horizons) and runs in well under a minute on 2 cores.
"""
from __future__ import annotations

import pathlib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NAME = "05_ste_dynamics"

CELLS = [
    ("md", r"""# Online STE training of a quantized linear student

**The question.** Quantized networks are trained with the *straight-through estimator* (STE):
the forward pass uses quantized weights $Q(u)$ of latent real weights $u$, the backward pass
pretends the quantizer is the identity (or a clipped identity). How does such training behave
in high dimension — how fast does the error drop, where does it end up, and why do plateaus
appear? This notebook answers it for the simplest model, a linear teacher–student regression,
in which the $d \to \infty$ dynamics can be written down exactly.

**The setting** (Ichikawa, Kashiwamura & Sakata, arXiv:2510.10693, in this package's
conventions; derivation in [docs/ste.md](../docs/ste.md)): inputs $x \sim \mathcal N(0, I_d)$,
labels $y = w_0\cdot x/\sqrt d + \text{noise}$. The student predicts
$Q(u)\cdot Q_x(x)/\sqrt d$ and is trained by one-pass SGD with the STE,
$u \leftarrow u + \eta\, e\, g(u)\, Q_x(x)/\sqrt d$ with the residual $e$ and $g = 1$ (identity
STE) or $g = \mathbb 1\{|u| \le \text{clip}\}$ (clipped STE); time is $\tau = t/d$.

**The limit.** For $d \to \infty$ each coordinate is a diffusion with drift
$\eta\, g\, (k_1 w_0 - k_2 Q(u))$ and diffusion $\eta^2 k_2 (\varepsilon_g + \text{noise})/2$,
coupled to the others only through the generalisation error $\varepsilon_g$: a nonlinear
Fokker–Planck equation for the density $p(u \mid w_0)$ ($k_1 = \mathbb E[x Q_x(x)]$,
$k_2 = \mathbb E[Q_x(x)^2]$; both are 1 without input quantization). `limit` solves it
(finite volumes), `simulate` runs the actual SGD at finite $d$."""),
    ("code", r"""import numpy as np
import matplotlib.pyplot as plt
%matplotlib inline

from replicaquant.quantizers import UniformQuantizer
from replicaquant.teachers import DiscreteTeacher
from replicaquant.ste import (STEProblem, simulate, limit, fixed_point, plateau_length,
                              midtread_quantizer, sgd_learning_curve, dead_zone_plateau)"""),
    ("md", r"""## 1. Unquantized weights: the closed-form learning curve

Without quantization the error obeys a linear ODE with the closed-form solution
$\varepsilon(\tau) = \varepsilon_\infty + (\varepsilon_0 - \varepsilon_\infty)\,e^{-\eta k_2(2 - \eta k_2)\tau}$,
$\varepsilon_\infty = (2\varepsilon_{\rm lin} + \eta k_2\,\text{noise})/(2 - \eta k_2)$: an
exponential decay to a noise floor set by the step size. The plot checks the three routes
against each other: the closed form, the Fokker–Planck solver, and SGD at $d = 1000$ (mean and
standard error over two seeds). Agreement here validates the PDE solver before it is used where
no closed form exists."""),
    ("code", r"""prob = STEProblem(None, eta=0.5, noise_var=0.1)
cf = sgd_learning_curve(prob, np.linspace(0, 8, 81))
sim = simulate(prob, d=1000, tau=8.0, n_records=17, n_seeds=2, seed=0)
pde = limit(prob, 8.0, n_out=17, h=0.02)
plt.plot(cf["tau"], cf["gen_error"], label="closed form")
plt.plot(pde.tau, pde.gen_error, "--", label="Fokker-Planck PDE")
plt.errorbar(sim.tau, sim.gen_error_mean, sim.gen_error_sem, fmt="o", ms=3, label="SGD d = 1000")
plt.yscale("log"); plt.xlabel(r"time $\tau = t/d$"); plt.ylabel(r"generalisation error $\varepsilon_g$")
plt.title("Unquantized SGD: three routes agree"); plt.legend();"""),
    ("md", r"""## 2. Quantized weights: limit vs simulation, identity and clipped STE

Now the forward pass uses 2-bit weights on $[-1.5, 1.5]$. Lines: the $d \to \infty$ limit
(PDE); markers: SGD at $d = 1000$; dotted: the small-step fixed point ($\eta \to 0$), where
the latent weights stop moving. The clipped STE never updates a latent weight beyond the clip value:
the printed "frozen weights" fraction is the share of weights initialised there, which keep
their initial error — one reason why the clipped STE ends at a higher error."""),
    ("code", r"""fig, ax = plt.subplots()
for ste, col in (("identity", "C0"), ("clipped", "C1")):
    prob = STEProblem(UniformQuantizer(2, 1.5), eta=0.5, ste=ste, noise_var=0.05)
    th = limit(prob, 10.0, n_out=21, h=0.02)
    sim = simulate(prob, 1000, 10.0, record_times=th.tau, n_seeds=2, seed=1)
    fp = fixed_point(prob, method="ode")
    ax.plot(th.tau, th.gen_error, color=col, label=f"{ste}: PDE")
    ax.errorbar(sim.tau, sim.gen_error_mean, sim.gen_error_sem, fmt="o", ms=3, color=col)
    ax.axhline(fp.gen_error, color=col, ls=":", lw=0.8)
    print(ste, "fixed point (eta->0):", round(fp.gen_error, 4), "frozen weights:", round(fp.frozen_fraction, 3))
ax.set_xlabel(r"time $\tau = t/d$"); ax.set_ylabel(r"generalisation error $\varepsilon_g$")
ax.set_title("2-bit weights: PDE (lines) vs SGD d = 1000 (markers)"); ax.legend();"""),
    ("md", r"""## 3. Dead-zone plateau: its length grows with the range

With a mid-tread quantizer `{-w, 0, w}` (zero is a level) and a small initialisation, every
quantized weight is 0 — the output is zero and the error stays at its initial value — until the
latent weight leaves the dead zone `|u| < w/2`, at `tau = (w/2)/(eta k1 |w0|)`. In the small-noise
limit the plateau is therefore proportional to the width `w`: a wide range costs training time.
With noise (finite `eta`) coordinates diffuse out of the dead zone earlier, so the measured
plateaus grow with `w` but less than linearly. The legend gives the
plateau length (time to the half-way point of the drop) of the PDE and of SGD at d = 1000
(markers, mean of 3 seeds, same colour), and the predicted time scale `(w/2)/(eta k1)`."""),
    ("code", r"""fig, ax = plt.subplots()
plateaus = []
for w, col in ((0.5, "C0"), (1.0, "C1"), (1.5, "C2")):
    prob = STEProblem(midtread_quantizer(2, w), eta=0.1, init_std=0.05)
    th = limit(prob, 12.0, n_out=121, h=0.02)
    sim = simulate(prob, 1000, 12.0, record_times=th.tau[::4], n_seeds=3, seed=2)
    L, Ls = plateau_length(th.tau, th.gen_error), plateau_length(sim.tau, sim.gen_error_mean)
    plateaus.append((L, Ls))
    ax.plot(th.tau[1:], th.gen_error[1:], color=col,
            label=f"w = {w}: plateau {L:.2f} PDE, {Ls:.2f} SGD (scale {dead_zone_plateau(prob):.2f})")
    ax.plot(sim.tau[1:], sim.gen_error_mean[1:], "o", ms=3, color=col)
print("plateau lengths (PDE, SGD):", [(round(a, 2), round(b, 2)) for a, b in plateaus])
assert all(p1[0] < p2[0] and p1[1] < p2[1] for p1, p2 in zip(plateaus, plateaus[1:]))
ax.set_xscale("log"); ax.set_xlabel(r"time $\tau = t/d$"); ax.set_ylabel(r"generalisation error $\varepsilon_g$")
ax.set_title("Dead-zone plateaus grow with the width"); ax.legend(fontsize=8);"""),
    ("md", r"""## 4. Density of `u | w0 = 1`, weights and inputs quantized (b = 2, w = 2)

With quantized inputs `k1 = E[x Q(x)]` and `k2 = E[Q(x)^2]` differ from 1. The drift vanishes at
`Q(u) = (k1/k2) w0`, which for `w0 = 1` lies *between* two levels: no level is a stable rest
point, and the mass ends up sliding on the threshold 4/3 between them. Filled histograms: SGD at
d = 1000; lines: the PDE density at the same times."""),
    ("code", r"""q = UniformQuantizer(2, 2.0)
prob = STEProblem(q, eta=0.1, input_quantizer=q, teacher=DiscreteTeacher([-1.0, 1.0]))
bins = np.linspace(-3, 3, 61)
times = [5.0, 15.0, 40.0]
th = limit(prob, 40.0, n_out=41, density_times=times, density_w0=[1.0], bins=bins, h=0.02)
sim = simulate(prob, 1000, 40.0, n_records=41, density_times=times, density_w0=[1.0], bins=bins, seed=3)
print("k1, k2 =", prob.kappa)
for i, t in enumerate(times):
    plt.stairs(sim.density_pooled[0, i], bins, alpha=0.4, fill=True, color=f"C{i}")
    plt.plot(th.bin_centers, th.density[0, i], color=f"C{i}", label=f"tau = {t:g}")
plt.xlabel("latent weight u"); plt.ylabel(r"density $p(u \mid w_0 = 1)$")
plt.title("Latent weights pile up at the threshold 4/3"); plt.legend();"""),
]


def notebook() -> nbformat.NotebookNode:
    """The notebook as an ``nbformat`` object (cells without outputs)."""
    nb = new_notebook()
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    for i, cell in enumerate(nb.cells):  # deterministic ids: reproducible files
        cell["id"] = f"05-{i:02d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nbformat.validate(nb)
    return nb


def build(path: pathlib.Path | None = None) -> pathlib.Path:
    """Write the notebook and return its path."""
    path = path or pathlib.Path(__file__).with_name(NAME + ".ipynb")
    nbformat.write(notebook(), str(path))
    return path


if __name__ == "__main__":
    print(build())
