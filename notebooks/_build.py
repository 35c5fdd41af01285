"""Generate the tutorial notebooks (without outputs) from the cell sources below.

Run ``python notebooks/_build.py`` after editing; the ``.ipynb`` files are written next to this
script.  Every notebook uses small settings and runs top to bottom in well under a minute
(``tests/test_notebooks.py`` executes them).
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
    ("md", """\
# Quick start: one replica-symmetric saddle point

Teacher-student linear regression with student weights on a finite level set
(``b`` bits: ``2**b`` levels), Gibbs measure ``exp(-beta H)`` with the ridge energy
``H = 1/2 |y - Xw/sqrt(d)|^2 + lam/2 |w|^2``.  `solve_rs` returns the RS order parameters,
the errors and the de Almeida-Thouless (replicon) value `at` (RS is stable iff `at < 1`)."""),
    ("code", SETUP),
    ("code", """\
from replicaquant.model import Model
from replicaquant.quantizers import UniformQuantizer
from replicaquant.rs import solve_rs

model = Model(quantizer=UniformQuantizer(bits=2, width=1.5), alpha=2.0, beta=5.0,
              lam=1e-3, noise_var=0.1)
sol = solve_rs(model)
sol"""),
    ("md", "The `gen_error` is `rho - 2m + Q`; `at < 1` means the RS solution is self-consistent."),
    ("code", """\
print(f"gen_error = {sol.gen_error:.4f}, at = {sol.at:.3f}, RS stable: {sol.rs_stable}")
assert sol.converged and sol.rs_stable"""),
    ("md", """\
## Error and stability along the width

`scan` continues the solution along one parameter with warm starts; `optimal_width` and
`at_line` find the best width and the RS/RSB boundary."""),
    ("code", """\
from replicaquant.analysis import at_line, optimal_width, scan

widths = np.linspace(0.1, 3.5, 60)
sols = scan(model, "width", widths)
opt = optimal_width(model, bounds=(0.05, 4.0))
crit = at_line(model, "width", bracket=(0.05, 20.0))
print(f"optimal width {opt.width:.3f} (gen_error {opt.error:.4f}); AT line at width {crit.value:.3f}")"""),
    ("code", """\
from replicaquant.plotting import stability_line

fig, ax = plt.subplots(figsize=(5, 3.5))
stability_line(ax, widths, [s.gen_error for s in sols], [s.at for s in sols], label="b = 2")
ax.plot(opt.width, opt.error, "k*", ms=12, label="optimal width")
ax.axvline(crit.value, color="gray", ls=":", label="AT line")
ax.set_xlabel("width"); ax.set_ylabel("gen_error"); ax.legend()
plt.show()"""),
    ("md", """\
## Sanity check: a dense level grid is ridge regression

With 241 levels on [-6, 6] at beta = 100 the quantized model reproduces the closed-form ridge
result `ridge_rs` (see [docs/theory.md](../docs/theory.md))."""),
    ("code", """\
from replicaquant.quantizers import Quantizer
from replicaquant.ridge import ridge_rs

dense = Model(quantizer=Quantizer(np.linspace(-6, 6, 241)), alpha=2.0, beta=100.0,
              lam=0.1, noise_var=0.1)
s = solve_rs(dense)
r = ridge_rs(alpha=2.0, lam=0.1, noise_var=0.1)
print(f"quantized grid: chi = {s.chi:.4f}, error of the mean = {s.gen_error_mean:.4f}")
print(f"ridge closed form: chi = {r.chi:.4f}, error = {r.gen_error_mean:.4f}")
assert abs(s.gen_error_mean - r.gen_error_mean) < 2e-3"""),
]

NOTEBOOKS["02_phase_diagram"] = [
    ("md", """\
# Phase diagram: where replica symmetry breaks

The replicon `at` on a (width, alpha) grid at beta = 5 for 2-bit uniform levels, and the AT line
(`at = 1`) computed by root finding for b = 1, 2, 3.  The grid uses the sweep engine
(`replicaquant.sweep.sweep`, continuation along the last axis) when it is available."""),
    ("code", SETUP),
    ("code", """\
from replicaquant.model import Model
from replicaquant.quantizers import UniformQuantizer

base = Model(quantizer=UniformQuantizer(2, 1.0), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
alphas = np.geomspace(0.5, 6.0, 14)
widths = np.geomspace(0.1, 20.0, 30)
try:
    from replicaquant.sweep import sweep
    ds = sweep(base, alpha=alphas, width=widths, workers=1, progress=False, bidirectional=False)
    at = ds["at"].values
    print("computed with replicaquant.sweep:", dict(ds.sizes))
except ImportError:  # the sweep engine is optional here
    from replicaquant.analysis import scan
    at = np.array([[s.at for s in scan(base.replace(alpha=a), "width", widths)] for a in alphas])
    print("computed with analysis.scan")"""),
    ("code", """\
from replicaquant.analysis import at_line_curve

line_alphas = np.geomspace(1.05, 6.0, 8)
lines = {b: at_line_curve(base.replace(bits=b), over="alpha", values=line_alphas,
                          bracket=(0.05, 100.0), n_scan=20) for b in (1, 2, 3)}
for b, res in lines.items():
    print(b, [round(r.value, 3) for r in res if r.found])"""),
    ("code", """\
from matplotlib.colors import TwoSlopeNorm

fig, ax = plt.subplots(figsize=(5.5, 4))
pc = ax.pcolormesh(alphas, widths, np.log10(at).T, cmap="RdBu_r", shading="nearest",
                   norm=TwoSlopeNorm(vmin=-3, vcenter=0, vmax=3))
for b, res in lines.items():
    ax.plot([a for a, r in zip(line_alphas, res) if r.found], [r.value for r in res if r.found],
            lw=2, label=f"AT line b = {b}")
ax.set_xscale("log"); ax.set_yscale("log")
ax.set_xlabel("alpha"); ax.set_ylabel("width"); ax.legend(loc="lower left")
fig.colorbar(pc, label="log10 at (colour: b = 2)")
plt.show()"""),
    ("md", "The critical width grows with the number of bits: RSB lives at few bits and large width."),
    ("code", """\
crit = at_line_curve(base, over="bits", values=[1, 2, 3, 4], bracket=(0.05, 100.0))
wc = [r.value for r in crit]
print("critical widths at alpha = 2:", np.round(wc, 3))
assert all(a < b for a, b in zip(wc, wc[1:]))"""),
]

NOTEBOOKS["03_amp_vs_theory"] = [
    ("md", """\
# AMP vs replica theory

Approximate message passing with the finite-beta quantized denoiser on one synthetic data set,
against state evolution (the iteration of the RS map) and the RS fixed point.  Small size here
(d = 1000); the paper figure uses several seeds and d >= 4000."""),
    ("code", SETUP),
    ("code", """\
from replicaquant.model import Model
from replicaquant.quantizers import UniformQuantizer
from replicaquant.rs import solve_rs

model = Model(quantizer=UniformQuantizer(2, 1.5), alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
sol = solve_rs(model)
print(f"RS: error of the Gibbs mean {sol.gen_error_mean:.4f}, chi {sol.chi:.4f}, at {sol.at:.3f}")"""),
    ("code", """\
from replicaquant.amp import amp
from replicaquant.data import make_data
from replicaquant.state_evolution import state_evolution

X, y, w0 = make_data(model, d=1000, seed=0)
run = amp(X, y, model, max_iter=60, tol=1e-9, w0=w0)
se = state_evolution(model, n_iter=len(run.history.mse) - 1)
print(f"AMP converged: {run.converged} after {run.iterations} iterations")
print(f"AMP mse {run.history.mse[-1]:.4f} | state evolution {se.mse[-1]:.4f} | RS {sol.gen_error_mean:.4f}")"""),
    ("code", """\
fig, ax = plt.subplots(figsize=(5, 3.5))
t = np.arange(len(run.history.mse))
ax.plot(t, run.history.mse, "o", ms=4, label="AMP (d = 1000)")
ax.plot(t, se.mse, "-", label="state evolution")
ax.axhline(sol.gen_error_mean, color="k", ls=":", label="RS fixed point")
ax.set_xlabel("iteration"); ax.set_ylabel("MSE of the estimate"); ax.legend()
plt.show()"""),
    ("md", "Finite-size fluctuations are O(1/sqrt(d)): about 0.01 in the MSE at d = 1000 (seed to seed)."),
    ("code", """\
assert abs(run.history.mse[-1] - sol.gen_error_mean) < 0.05"""),
]

NOTEBOOKS["04_double_descent"] = [
    ("md", """\
# Double descent with quantized weights

Ridgeless regression has its error peak at alpha = 1 (infinite).  For quantized least squares
(beta = inf, lam -> 0+) the susceptibility `chi` diverges, and the training error reaches 0, at
the interpolation threshold `alpha_c < 1` (`interpolation_threshold`, closed form); the peak
sits there and has a finite height."""),
    ("code", SETUP),
    ("code", """\
import math
from replicaquant.analysis import double_descent_peak, interpolation_threshold
from replicaquant.model import Model
from replicaquant.quantizers import UniformQuantizer
from replicaquant.ridge import ridge_rs

def model(bits, width, beta=math.inf):
    return Model(quantizer=UniformQuantizer(bits, width), alpha=1.0, beta=beta, lam=1e-6,
                 noise_var=0.1)

widths = {1: 0.72, 2: 1.52, 3: 1.79}
for b, w in widths.items():
    th = interpolation_threshold(model(b, w))
    print(f"b = {b}, width {w}: alpha_c = {th.alpha:.4f}, error at alpha_c+ = {th.gen_error:.4f}")"""),
    ("code", """\
alphas = np.linspace(0.15, 2.5, 30)
curves = {b: double_descent_peak(model(b, w), alphas) for b, w in widths.items()}
for b, p in curves.items():
    print(b, p.message)"""),
    ("code", """\
fig, ax = plt.subplots(figsize=(5.5, 3.8))
ra = alphas[np.abs(alphas - 1) > 0.02]
rv = np.array([ridge_rs(a, 0.0, 0.1).gen_error_mean for a in ra])
ax.plot(ra[ra < 1], rv[ra < 1], "k-", label="ridgeless")
ax.plot(ra[ra > 1], rv[ra > 1], "k-")
for b, p in curves.items():
    ax.plot(p.alphas, p.values, label=f"b = {b}")
    ax.axvline(interpolation_threshold(model(b, widths[b])).alpha, ls=":", color=f"C{b - 1}")
ax.set_ylim(0, 1.6); ax.set_xlabel("alpha = n/d"); ax.set_ylabel("test error"); ax.legend()
plt.show()"""),
    ("md", "The peak moves from alpha = 1 to alpha_c < 1 and stays finite:"),
    ("code", """\
th2 = interpolation_threshold(model(2, widths[2]))
assert th2.alpha < 0.9 and th2.gen_error < ridge_rs(0.99, 0.0, 0.1).gen_error_mean"""),
]


def build() -> list[pathlib.Path]:
    """Write every notebook (no outputs, no execution counts) and return the paths."""
    paths = []
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
        path = HERE / f"{name}.ipynb"
        nbformat.write(nb, str(path))
        paths.append(path)
    return paths


if __name__ == "__main__":
    for p in build():
        print(p)
