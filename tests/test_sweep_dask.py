"""The same sweep on a Dask ``LocalCluster`` (2 worker processes) equals the local result.

Each line is solved by the same deterministic sequence of operations wherever it runs, so the
comparison is exact (``assert_identical``: values, coordinates and attributes).
"""
from __future__ import annotations

import sys

import numpy as np
import pytest
import xarray as xr

from replicaquant.sweep import sweep

distributed = pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as lc:
        yield lc


def test_dask_cluster_matches_local(cluster, spec_model):
    base = spec_model()
    axes = dict(bits=[1, 2, 3], width=np.linspace(0.4, 3.0, 8))
    local = sweep(base, workers=1, progress=False, **axes)
    with distributed.Client(cluster) as client:
        on_client = sweep(base, scheduler=client, progress=False, **axes)
        assert not client.status == "closed"  # a client we were given is left open
    xr.testing.assert_identical(on_client, local)
    # by address: the sweep opens (and closes) its own client
    by_address = sweep(base, scheduler=cluster.scheduler_address, progress=False, **axes)
    xr.testing.assert_identical(by_address, local)


def test_bad_scheduler_and_missing_dask(spec_model, monkeypatch):
    with pytest.raises(ValueError, match="scheduler"):
        sweep(spec_model(), scheduler=42, width=[1.0, 2.0], progress=False)
    monkeypatch.setitem(sys.modules, "distributed", None)  # simulate "not installed"
    with pytest.raises(ImportError, match=r"replicaquant\[distributed\]"):
        sweep(spec_model(), scheduler="tcp://127.0.0.1:1", width=[1.0, 2.0], progress=False)
