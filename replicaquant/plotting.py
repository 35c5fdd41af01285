"""Shared matplotlib helpers for the paper figures.

* Figures are built with :class:`matplotlib.figure.Figure` on an explicit Agg canvas: no
  pyplot, no global backend switch, safe in scripts, tests, worker processes and notebooks.
* :func:`stability_line` draws a curve solid where RS is stable (``at < 1``) and dashed where
  ``at >= 1`` (the RS prediction is not self-consistent there).
* :func:`save_figure` writes the PNG and its caption ``.txt`` atomically (temporary file in the
  same directory, then ``os.replace``), so an interrupted run never leaves a truncated image.
"""
from __future__ import annotations

import pathlib

import numpy as np
from matplotlib import rc_context
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ._io import atomic_path, atomic_write_text

__all__ = ["STYLE", "BIT_COLORS", "new_figure", "stability_line", "save_figure", "write_text_atomic",
           "bit_color"]

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
