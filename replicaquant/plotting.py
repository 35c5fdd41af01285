"""Shared matplotlib helpers for the paper figures.

* Figures are built with :class:`matplotlib.figure.Figure` on an explicit Agg canvas: no
  pyplot, no global backend switch, safe in scripts, tests, worker processes and notebooks.
* :func:`stability_line` draws a curve solid where RS is stable (``at < 1``) and dashed where
  ``at >= 1`` (the RS prediction is not self-consistent there).
* :func:`save_figure` writes the PNG and its caption ``.txt`` atomically (temporary file in the
  same directory, then ``os.replace``), so an interrupted run never leaves a truncated image;
  :func:`save_png` writes one PNG to an explicit path the same way.
* :func:`plot_amp_run` (``replicaquant amp --plot``) and :func:`plot_phase_diagram`
  (``replicaquant phase-diagram --plot``) draw the command-line results.
"""
from __future__ import annotations

import pathlib
import textwrap

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._io import atomic_path, atomic_write_text

__all__ = ["STYLE", "BIT_COLORS", "new_figure", "stability_line", "save_figure", "save_png",
           "write_text_atomic", "bit_color", "panel_label", "plot_amp_run", "plot_phase_diagram"]

#: rc parameters of every paper figure
STYLE = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 7.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "lines.linewidth": 1.5,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "savefig.dpi": 150,
    "figure.dpi": 100,
}

#: one colour per number of bits (index = bits - 1)
BIT_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d", "#666666")


def bit_color(bits: int) -> str:
    """Colour used for ``bits`` in every figure."""
    return BIT_COLORS[(int(bits) - 1) % len(BIT_COLORS)]


def new_figure(ncols: int = 1, nrows: int = 1, *, width: float = 3.4, height: float = 2.8,
               **subplot_kw):
    """A styled ``Figure`` with an Agg canvas and its axes (``(fig, axes)``, axes squeezed)."""
    with rc_context(STYLE):
        fig = Figure(figsize=(width * ncols, height * nrows), layout="constrained")
        FigureCanvasAgg(fig)
        axes = fig.subplots(nrows, ncols, squeeze=True, **subplot_kw)
    return fig, axes


def stability_line(ax, x, y, at, *, label=None, color=None, lw=None, marker=None, **kw):
    """Plot ``y(x)`` solid where ``at < 1`` and dashed where ``at >= 1``.

    Consecutive points with the same stability form one segment; segments share their
    boundary point so the curve is continuous.  Non-finite ``y`` breaks the line.  Returns
    the first line artist (carrying ``label``).
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    at = np.asarray(at, dtype=float)
    if not (x.shape == y.shape == at.shape):
        raise ValueError("x, y and at must have the same shape")
    stable = at < 1.0
    first = None
    i, n = 0, x.size
    while i < n:
        j = i
        while j + 1 < n and stable[j + 1] == stable[i]:
            j += 1
        seg = slice(i, min(j + 2, n))  # include the next point to join the segments
        line, = ax.plot(x[seg], y[seg], color=color, lw=lw, marker=marker,
                        linestyle="-" if stable[i] else "--",
                        label=label if first is None else None, **kw)
        if first is None:
            first = line
            color = line.get_color()
        i = j + 1
    return first


def write_text_atomic(path, text: str) -> pathlib.Path:
    """Write ``text`` (newline-terminated) to ``path`` atomically (see ``replicaquant._io``)."""
    return atomic_write_text(path, text if text.endswith("\n") else text + "\n")


def save_figure(fig, out_dir, name: str, caption: str | None = None) -> list[pathlib.Path]:
    """Save ``fig`` as ``out_dir/name.png`` (and ``name.txt`` with ``caption``) atomically.

    Returns the paths written.
    """
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    png = out / f"{name}.png"
    with atomic_path(png, suffix=".png") as tmp, rc_context(STYLE):
        fig.savefig(tmp, format="png")
    paths = [png]
    if caption is not None:
        paths.append(write_text_atomic(out / f"{name}.txt", caption.strip()))
    return paths


def save_png(fig, path, *, dpi: int | None = None) -> pathlib.Path:
    """Save ``fig`` as a PNG at ``path`` atomically (the directory must exist)."""
    path = pathlib.Path(path)
    with atomic_path(path, suffix=".png") as tmp, rc_context(STYLE):
        fig.savefig(tmp, format="png", dpi=dpi)
    return path


def panel_label(ax, letter: str) -> None:
    """Bold panel letter ``(a)``, ``(b)``, ... in the top-left corner outside the axes."""
    ax.text(-0.02, 1.02, f"({letter})", transform=ax.transAxes, ha="right", va="bottom",
            fontsize=10, fontweight="bold")


def _short_title(model_repr: str) -> str:
    text = model_repr.removeprefix("Model(").removesuffix(")")
    return text.replace("quantizer=", "").replace("teacher=", "")


def plot_amp_run(data: dict, path) -> pathlib.Path:
    """PNG of :func:`replicaquant.experiments.amp_vs_state_evolution` output.

    Left: AMP MSE ``|w_t - w0|^2/d`` per iteration (mean +- standard error over seeds), state
    evolution as a line, the replica ``rho - 2m + q`` (nominal and at the realised teacher norms)
    as horizontal lines; right: the AMP variance ``V_t`` against the SE ``chi_t``.
    """
    t = np.asarray(data["amp"]["t"])
    se = data["state_evolution"]
    S = len(data["amp"]["runs"])
    fig, (ax1, ax2) = new_figure(2, width=5.0, height=4.0)
    with rc_context(STYLE):
        ax1.errorbar(t, data["amp"]["mse_mean"], yerr=data["amp"]["mse_sem"], fmt="o", ms=3,
                     capsize=2, label=f"AMP, mean $\\pm$ s.e. over {S} seeds (d={data['params']['d']})")
        ax1.plot(t, se["mse"], "-", color="k", lw=1.2, label="state evolution")
        ax1.axhline(data["replica"]["gen_error_mean"], color="C3", ls="--", lw=1,
                    label="replica fixed point")
        real = data.get("replica_realised")
        if real and real.get("realised"):
            ax1.axhline(real["values"]["gen_error_mean"], color="C1", ls=":", lw=1.2,
                        label=r"replica at realised $|w_0|^2/d$")
        ax1.set_xlabel("iteration t")
        ax1.set_ylabel(r"MSE $|w_t - w_0|^2/d$")
        ax1.set_yscale("log")
        ax1.legend(fontsize=7)
        ax2.plot(t, data["amp"]["V_mean"], "o", ms=3, label=r"AMP  $V_t$ = mean($\beta$ Var)")
        ax2.plot(t, se["chi"], "-", color="k", lw=1.2, label=r"state evolution $\chi_t$")
        ax2.axhline(data["replica"]["chi"], color="C3", ls="--", lw=1, label=r"replica $\chi$")
        ax2.set_xlabel("iteration t")
        ax2.set_ylabel(r"$V_t$, $\chi_t$")
        ax2.legend(fontsize=7)
        summ = data["summary"]
        ax2.set_title(f"at = {summ['at']:.3g} ({'RS locally stable' if summ['rs_stable'] else 'RS unstable'}), "
                      f"AMP converged {summ['converged_runs']}/{summ['runs']}")
        fig.suptitle(_short_title(data["model"]), fontsize=8)
    return save_png(fig, path, dpi=120)


def plot_phase_diagram(ds, path, title: str | None = None) -> pathlib.Path:
    """Draw ``log10(at)`` of a sweep dataset over one, two or three axes with the line ``at = 1``.

    Two axes: a map (x = continuation axis, y = the other) with the ``at = 1`` contour; one axis:
    ``at`` against it; three axes: one map per value of the first axis.  Points that did not
    converge are marked with ``x``, points with coexisting branches with dots.  Object API on an
    Agg canvas (no pyplot state), saved atomically.
    """
    dims = list(ds["at"].dims)
    if title is None:
        title = "base " + ds.attrs.get("model", "")
    title = "\n".join(textwrap.wrap(title, 80))
    if len(dims) == 1:
        fig, ax = new_figure(1, width=6.0, height=4.0)
        with rc_context(STYLE):
            x = ds[dims[0]].values
            ax.plot(x, ds["at"].values, "-", color="C0")
            ax.axhline(1.0, color="k", lw=0.8, ls="--", label="at = 1 (RS/RSB boundary)")
            bad = ds["converged"].values == 0
            ax.plot(x[bad], ds["at"].values[bad], "x", color="C3", label="not converged")
            ax.set_yscale("log")
            ax.set_xlabel(dims[0])
            ax.set_ylabel("AT value")
            ax.legend(fontsize=8)
            ax.set_title(title, fontsize=7)
        return save_png(fig, path, dpi=120)
    panels = [None] if len(dims) == 2 else list(range(ds.sizes[dims[0]]))
    with rc_context(STYLE):
        fig = Figure(figsize=(5.5 * len(panels), 4.5), layout="constrained")
        FigureCanvasAgg(fig)
        axs = fig.subplots(1, len(panels), squeeze=False)
        for ax, k in zip(axs[0], panels):
            sub = ds if k is None else ds.isel({dims[0]: k})
            ydim, xdim = sub["at"].dims
            x, y = sub[xdim].values, sub[ydim].values
            with np.errstate(divide="ignore", invalid="ignore"):
                z = np.log10(np.clip(sub["at"].values, 1e-12, None))
            z = np.clip(np.nan_to_num(z, posinf=2.0), -2.0, 2.0)
            mesh = ax.pcolormesh(x, y, z, cmap="RdBu_r", vmin=-2, vmax=2, shading="nearest")
            if len(y) >= 6 and sub[ydim].dtype.kind == "f" and len(x) > 1 and z.min() < 0 < z.max():
                ax.contour(x, y, z, levels=[0.0], colors="k", linewidths=1.2)
            else:  # few or discrete rows (e.g. bits): mark the at = 1 crossings row by row
                half = 0.5 * (np.min(np.diff(y)) if len(y) > 1 else 1.0)
                for row, yv in zip(z, y):
                    for j in np.nonzero(np.diff(np.sign(row)) != 0)[0]:
                        xc = x[j] + (x[j + 1] - x[j]) * row[j] / (row[j] - row[j + 1])
                        ax.plot([xc, xc], [yv - half, yv + half], color="k", lw=2)
            bad = sub["converged"].values == 0
            yy, xx = np.meshgrid(y, x, indexing="ij")
            ax.plot(xx[bad], yy[bad], "x", color="k", ms=4)
            coex = sub["n_branches"].values > 1
            ax.plot(xx[coex], yy[coex], ".", color="C2", ms=3)
            ax.set_xlabel(xdim)
            ax.set_ylabel(ydim)
            if sub[ydim].dtype.kind in "iu":
                ax.set_yticks(y)
            if k is not None:
                ax.set_title(f"{dims[0]} = {ds[dims[0]].values[k]}", fontsize=9)
            fig.colorbar(mesh, ax=ax, label="log10(at)  (RSB where > 0; black line: at = 1)")
        fig.suptitle(title, fontsize=7)
    return save_png(fig, path, dpi=120)
