"""Figure registry, plotting helpers, the ``replicaquant figures`` command and figure data."""
from __future__ import annotations

import math
import os

import numpy as np
import pytest
from matplotlib.image import imread

from replicaquant.cli import main
from replicaquant.figures import (FigureError, available_figures, describe, load, make_figures)
from replicaquant.plotting import new_figure, save_figure, stability_line

MINE = ("at_vs_beta", "double_descent", "gen_error_vs_width", "nonuniform", "phase_diagrams")
# figures following the claims protocol are made (quick) and checked in test_figure_claims.py;
# the files/PNG checks here run on the others only, so nothing is computed twice
QUICK_HERE = tuple(n for n in MINE if not callable(getattr(load(n), "claims", None))) or ("at_vs_beta",)


# ------------------------------------------------------------------------------ registry


def test_registry_lists_every_public_module_and_each_meets_the_contract():
    names = available_figures()
    assert set(MINE) <= set(names)
    assert not any(n.startswith("_") for n in names)  # _common is private
    for n in names:
        mod = load(n)
        assert callable(mod.make) and describe(n)


def test_unknown_figure_name_is_a_value_error():
    with pytest.raises(ValueError, match="names"):
        make_figures("unused", names=["no_such_figure"])


@pytest.fixture(scope="module")
def quick_figures(tmp_path_factory):
    out = tmp_path_factory.mktemp("figs")
    lines = []
    paths = make_figures(out, quick=True, names=QUICK_HERE, log=lines.append)
    return out, paths, lines


def test_make_figures_quick_writes_nonempty_png_and_captions(quick_figures):
    out, paths, lines = quick_figures
    assert len(lines) == len(QUICK_HERE)
    for name in QUICK_HERE:
        png, txt = out / f"{name}.png", out / f"{name}.txt"
        assert png in paths and txt in paths
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        img = imread(png)
        assert img.shape[0] > 200 and img.shape[1] > 400
        assert img[..., :3].std() > 0.05  # not a blank canvas
        assert len(txt.read_text()) > 200
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temp files left


def test_make_figures_reports_a_failing_module(tmp_path, monkeypatch):
    import replicaquant.figures.at_vs_beta as mod

    def boom(out_dir, quick=False):
        raise RuntimeError("kaputt")

    monkeypatch.setattr(mod, "make", boom)
    with pytest.raises(FigureError, match="kaputt") as exc:
        make_figures(tmp_path, quick=True, names=["at_vs_beta"])
    assert "at_vs_beta" in exc.value.errors


# ------------------------------------------------------------------------------ data behind figures


def test_gen_error_vs_width_data():
    from replicaquant.figures import gen_error_vs_width as fig

    d = fig.compute(quick=True)
    ws = [d["opt"][b]["width"] for b in fig.BITS]
    assert all(d["opt"][b]["interior"] for b in fig.BITS)
    assert all(a < b for a, b in zip(ws, ws[1:]))  # omega* grows with bits
    for b in fig.BITS:
        c = {k: np.asarray(v) for k, v in d["curves"][b].items()}
        assert c["converged"].all()
        # the refined minimum is below every plotted grid point (Brent refinement)
        assert d["opt"][b]["error"] <= np.min(c["gen_error"]) + 1e-12
        # dashed part of the curve (at >= 1) lies exactly beyond omega_c
        wc = d["crit"][b]
        unstable = d["widths"][c["at"] >= 1]
        if wc is None or wc > d["widths"][-1]:
            assert unstable.size == 0
        else:
            assert unstable.min() >= wc and np.all(d["widths"][c["at"] < 1] < wc)
    # RSB inside the plotted range only at few bits: b = 1, 2 yes; b = 3, 4 no
    assert d["crit"][1] < d["crit"][2] < 4.0 < d["crit"][3]


def test_at_vs_beta_data_linear_growth():
    from replicaquant.figures import at_vs_beta as fig

    d = fig.compute(quick=True)
    for b in fig.BITS:
        at = d["at"][b]
        # asymptote: relative O(1/beta) corrections, measured < 1e-4 at beta = 1000
        assert at[-1] / d["betas"][-1] == pytest.approx(d["slope"][b], rel=1e-3)
        assert d["beta_c"][b] is not None and 1 < d["beta_c"][b] < 1000
    # cooling destabilises: beta_c ordered like the level spacing (largest gaps first)
    assert d["beta_c"][1] < d["beta_c"][2] < d["beta_c"][3]


# ------------------------------------------------------------------------------ plotting helpers


def test_stability_line_solid_where_stable_dashed_where_not():
    fig, ax = new_figure()
    x = np.linspace(0, 1, 11)
    at = np.where(x < 0.45, 0.5, 2.0)
    line = stability_line(ax, x, x ** 2, at, label="curve")
    styles = [ln.get_linestyle() for ln in ax.get_lines()]
    assert styles == ["-", "--"]
    assert line.get_label() == "curve"
    # segments join: the solid one ends where the dashed one starts
    l1, l2 = ax.get_lines()
    assert l1.get_xdata()[-1] == l2.get_xdata()[0]
    with pytest.raises(ValueError):
        stability_line(ax, x, x, at[:-1])


def test_save_figure_is_atomic_and_writes_caption(tmp_path):
    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    paths = save_figure(fig, tmp_path, "demo", "a caption")
    assert [p.name for p in paths] == ["demo.png", "demo.txt"]
    assert (tmp_path / "demo.txt").read_text() == "a caption\n"
    assert sorted(os.listdir(tmp_path)) == ["demo.png", "demo.txt"]


# ------------------------------------------------------------------------------ CLI


def test_cli_figures(tmp_path, capsys):
    assert main(["figures", "--list"]) == 0
    listed = capsys.readouterr().out
    assert all(n in listed for n in MINE)
    assert main(["figures", "--only", "nope", "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "nope" in err
    out = tmp_path / "figs"
    assert main(["figures", "--quick", "--only", "at_vs_beta", "--out", str(out)]) == 0
    assert (out / "at_vs_beta.png").stat().st_size > 10_000
    assert "beta_c" in (out / "at_vs_beta.txt").read_text()
    captured = capsys.readouterr()
    assert str(out / "at_vs_beta.png") in captured.out
    assert math.isfinite(float(captured.err.split("files in ")[1].split(" s")[0]))
