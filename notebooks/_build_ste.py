"""Generate ``notebooks/05_ste_dynamics.ipynb`` (no outputs) with nbformat.

Run from the repository root: ``python notebooks/_build_ste.py``.  The notebook uses small
settings (d = 1000, short horizons) and runs in well under a minute on 2 cores.
"""
from __future__ import annotations

import pathlib

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

CELLS = [
    ("md", """# Online STE training of a quantized linear student

Teacher-student regression (`x ~ N(0, I_d)`, `y = w0.x/sqrt(d) + noise`).  The student keeps
latent weights `u`, predicts with `Q(u).Q_x(x)/sqrt(d)` and is trained by one-pass SGD with the
straight-through estimator: `u <- u + eta e g(u) Q_x(x)/sqrt(d)`, `g = 1` (identity STE) or
`1{|u| <= clip}` (clipped STE), time `tau = t/d`.

For `d -> inf` each coordinate is a diffusion with drift `eta g (k1 w0 - k2 Q(u))` and
diffusion `eta^2 k2 (eps_g + noise)/2`, coupled to the others only through the generalisation
error `eps_g`: a nonlinear Fokker-Planck equation for `p(u | w0)` (see `docs/ste.md`)."""),
    ("code", """import numpy as np
import matplotlib.pyplot as plt

from replicaquant.quantizers import UniformQuantizer
from replicaquant.teachers import DiscreteTeacher
from replicaquant.ste import (STEProblem, simulate, limit, fixed_point, plateau_length,
                              midtread_quantizer, sgd_learning_curve, dead_zone_plateau)"""),
    ("md", """## 1. Unquantized weights: the closed-form learning curve

`eps(tau) = eps_inf + (eps_0 - eps_inf) exp(-eta k2 (2 - eta k2) tau)` with
`eps_inf = (2 eps_lin + eta k2 noise)/(2 - eta k2)`."""),
    ("code", """prob = STEProblem(None, eta=0.5, noise_var=0.1)
cf = sgd_learning_curve(prob, np.linspace(0, 8, 81))
sim = simulate(prob, d=1000, tau=8.0, n_records=17, n_seeds=2, seed=0)
pde = limit(prob, 8.0, n_out=17, h=0.02)
plt.plot(cf["tau"], cf["gen_error"], label="closed form")
plt.plot(pde.tau, pde.gen_error, "--", label="Fokker-Planck PDE")
plt.errorbar(sim.tau, sim.gen_error_mean, sim.gen_error_sem, fmt="o", ms=3, label="SGD d = 1000")
plt.yscale("log"); plt.xlabel("tau"); plt.ylabel("eps_g"); plt.legend();"""),
    ("md", """## 2. Quantized weights: limit vs simulation, identity and clipped STE"""),
    ("code", """fig, ax = plt.subplots()
for ste, col in (("identity", "C0"), ("clipped", "C1")):
    prob = STEProblem(UniformQuantizer(2, 1.5), eta=0.5, ste=ste, noise_var=0.05)
    th = limit(prob, 10.0, n_out=21, h=0.02)
    sim = simulate(prob, 1000, 10.0, record_times=th.tau, n_seeds=2, seed=1)
    fp = fixed_point(prob, method="ode")
    ax.plot(th.tau, th.gen_error, color=col, label=f"{ste}: PDE")
    ax.errorbar(sim.tau, sim.gen_error_mean, sim.gen_error_sem, fmt="o", ms=3, color=col)
    ax.axhline(fp.gen_error, color=col, ls=":", lw=0.8)
    print(ste, "fixed point (eta->0):", round(fp.gen_error, 4), "frozen weights:", round(fp.frozen_fraction, 3))
ax.set_xlabel("tau"); ax.set_ylabel("eps_g"); ax.legend();"""),
    ("md", """## 3. Dead-zone plateau: its length grows with the range

With a mid-tread quantizer `{-w, 0, w}` and a small initialisation the output is zero until
`u` leaves `|u| < w/2`, at `tau = (w/2)/(eta k1 |w0|)`."""),
    ("code", """fig, ax = plt.subplots()
for w in (0.5, 1.0, 1.5):
    prob = STEProblem(midtread_quantizer(2, w), eta=0.1, init_std=0.05)
    th = limit(prob, 12.0, n_out=121, h=0.02)
    sim = simulate(prob, 1000, 12.0, record_times=th.tau[::6], n_seeds=1, seed=2)
    L = plateau_length(th.tau, th.gen_error)
    ax.plot(th.tau[1:], th.gen_error[1:], label=f"w = {w}: plateau {L:.2f} (scale {dead_zone_plateau(prob):.2f})")
    ax.plot(sim.tau[1:], sim.gen_error_mean[1:], "o", ms=3)
ax.set_xscale("log"); ax.set_xlabel("tau"); ax.set_ylabel("eps_g"); ax.legend();"""),
    ("md", """## 4. Density of `u | w0 = 1`, weights and inputs quantized (b = 2, w = 2)

`k1 = E[x Q(x)]`, `k2 = E[Q(x)^2]`; the drift vanishes at `Q(u) = (k1/k2) w0`, which lies between
two levels, so the mass ends up sliding on the threshold 4/3."""),
    ("code", """q = UniformQuantizer(2, 2.0)
prob = STEProblem(q, eta=0.1, input_quantizer=q, teacher=DiscreteTeacher([-1.0, 1.0]))
bins = np.linspace(-3, 3, 61)
times = [5.0, 15.0, 40.0]
th = limit(prob, 40.0, n_out=41, density_times=times, density_w0=[1.0], bins=bins, h=0.02)
sim = simulate(prob, 1000, 40.0, n_records=41, density_times=times, density_w0=[1.0], bins=bins, seed=3)
print("k1, k2 =", prob.kappa)
for i, t in enumerate(times):
    plt.stairs(sim.density_pooled[0, i], bins, alpha=0.4, fill=True, color=f"C{i}")
    plt.plot(th.bin_centers, th.density[0, i], color=f"C{i}", label=f"tau = {t:g}")
plt.xlabel("u"); plt.ylabel("p(u | w0 = 1)"); plt.legend();"""),
]


def build(path: pathlib.Path | None = None) -> pathlib.Path:
    """Write the notebook (cells without outputs) and return its path."""
    nb = new_notebook()
    nb.cells = [new_markdown_cell(src) if kind == "md" else new_code_cell(src) for kind, src in CELLS]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = path or pathlib.Path(__file__).with_name("05_ste_dynamics.ipynb")
    nbformat.write(nb, str(path))
    return path


if __name__ == "__main__":
    print(build())
