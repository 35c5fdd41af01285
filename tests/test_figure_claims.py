"""Every figure's caption claims hold on the data it drew (read back from the JSON next to it).

Protocol (``replicaquant/figures/_common.py``): each figure module has ``claims(data)`` returning
``(description, holds)`` pairs for what its caption states, and ``make`` writes the data as
``<name>.json``.  Cheap figures are made here at quick settings; for figures marked
``EXPENSIVE`` the default suite checks the committed full-settings ``paper_figures/<name>.json``
and a ``slow`` test makes them at quick settings.  The claims are re-evaluated from the JSON
(not taken from the stored verdicts), and the stored verdicts and the caption must agree.
"""
from __future__ import annotations

import pathlib

import pytest
from matplotlib.image import imread

from replicaquant.figures import available_figures, check_claims, load, load_data, make_figures

ROOT = pathlib.Path(__file__).resolve().parents[1]
COMMITTED = ROOT / "paper_figures"


def _with_claims():
    return [n for n in available_figures() if callable(getattr(load(n), "claims", None))]


def _cheap():
    return [n for n in _with_claims() if not getattr(load(n), "EXPENSIVE", False)]


def _expensive():
    return [n for n in _with_claims() if getattr(load(n), "EXPENSIVE", False)]


def _assert_claims(name: str, out_dir: pathlib.Path) -> None:
    js = out_dir / f"{name}.json"
    doc = load_data(js)
    assert doc["figure"] == name and "data" in doc
    fresh = check_claims(name, js)
    assert fresh, f"{name}: claims() returned nothing"
    assert [list(c) for c in fresh] == [list(c) for c in doc["claims"]], name  # reproducible
    failed = [d for d, ok in fresh if not ok]
    assert not failed, f"{name}: caption claims that do not hold on its data: {failed}"
    caption = (out_dir / f"{name}.txt").read_text()
    assert f"({len(fresh)}/{len(fresh)} hold)" in caption and "FAILS" not in caption
    png = out_dir / f"{name}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = imread(png)
    assert img.shape[0] > 200 and img.shape[1] > 400 and img[..., :3].std() > 0.05


def test_protocol_is_followed_by_every_figure():
    # modules still missing claims() are named here (they are skipped below, not hidden)
    missing = sorted(set(available_figures()) - set(_with_claims()))
    allowed = {"double_descent"}  # ground's module, converting
    assert set(missing) <= allowed | {n for n in missing if n.startswith("phase_lowT")}, missing
    for n in _with_claims():
        mod = load(n)
        assert mod.NAME == n and callable(mod.compute) and callable(mod.make)


@pytest.fixture(scope="module")
def quick_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("claims_quick")
    make_figures(out, quick=True, names=_cheap())
    return out


@pytest.mark.parametrize("name", _cheap())
def test_quick_figure_claims_hold(name, quick_dir):
    _assert_claims(name, quick_dir)
    assert load_data(quick_dir / f"{name}.json")["quick"] is True


@pytest.mark.parametrize("name", _with_claims())
def test_committed_full_figure_claims_hold(name):
    if not (COMMITTED / f"{name}.json").exists():
        pytest.fail(f"paper_figures/{name}.json is not committed (run replicaquant figures --only {name})")
    _assert_claims(name, COMMITTED)  # full settings normally; a quick file says so in its caption


@pytest.mark.slow
@pytest.mark.parametrize("name", _expensive())
def test_quick_expensive_figure_claims_hold(name, tmp_path):
    make_figures(tmp_path, quick=True, names=[name])
    _assert_claims(name, tmp_path)
