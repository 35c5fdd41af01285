"""Clean process trees: pool workers never outlive a killed sweep; Dask errors are quick.

The reference is the operating system's process table (``psutil`` when available, else
``/proc``): after ``SIGKILL`` of a process running a 2-worker sweep, none of its worker
processes may be alive after a short grace period (the workers detect the parent's death via
``PR_SET_PDEATHSIG`` and a ``getppid`` watchdog polling every 0.5 s).
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from replicaquant.model import Model
from replicaquant.sweep import SCHEDULER_TIMEOUT, sweep

GRACE = 5.0  # seconds: 0.5 s watchdog period (PDEATHSIG is immediate) plus slack on a loaded machine


def _children(pid: int) -> list[int]:
    """PIDs of the direct children of ``pid``."""
    try:
        import psutil

        return [c.pid for c in psutil.Process(pid).children(recursive=False)]
    except ImportError:  # pragma: no cover - psutil ships with dask[distributed] (test extra)
        out = []
        for d in os.listdir("/proc"):
            if d.isdigit():
                try:
                    with open(f"/proc/{d}/stat") as fh:
                        if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                            out.append(int(d))
                except (OSError, IndexError, ValueError):
                    pass
        return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and fork")
@pytest.mark.parametrize("how", ["api", pytest.param("cli", marks=pytest.mark.slow)])
def test_sigkill_of_a_parallel_sweep_leaves_no_worker(tmp_path, how):
    if how == "api":
        code = textwrap.dedent("""
            import numpy as np
            from replicaquant.model import Model
            from replicaquant.sweep import sweep
            base = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
            sweep(base, bits=[1, 2, 3], width=np.linspace(0.2, 4.0, 200),
                  alpha=np.linspace(0.2, 4.0, 400), workers=2, progress=False)
        """)
        argv = [sys.executable, "-c", code]
    else:
        argv = [sys.executable, "-m", "replicaquant.cli", "phase-diagram", "--bits", "1", "2", "3",
                "--width", "0.2:4:200", "--alpha", "0.2:4:400", "--beta", "5", "--workers", "2",
                "--no-progress", "--out", str(tmp_path / "pd.nc")]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 180  # first run may compile the kernels
        while time.monotonic() < deadline:
            workers = [c for c in _children(proc.pid) if _alive(c)]
            if len(workers) >= 2:
                break
            if proc.poll() is not None:
                pytest.fail(f"sweep ended early: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.05)
        else:
            pytest.fail("the pool workers did not start")
        time.sleep(1.0)  # let them get busy solving lines
        assert all(_alive(w) for w in workers)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        end = time.monotonic() + GRACE
        while time.monotonic() < end and any(_alive(w) for w in workers):
            time.sleep(0.05)
        survivors = [w for w in workers if _alive(w)]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for w in workers:  # never leave orphans behind, whatever the outcome
            if _alive(w):
                os.kill(w, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL
    assert survivors == [], f"pool workers outlived the killed sweep: {survivors}"


def test_keyboard_interrupt_terminates_the_pool(monkeypatch):
    """An exception in the parent while workers run (here: from the progress loop) stops them
    at once instead of waiting for their lines to finish."""
    import replicaquant.sweep as sw

    seen = []
    orig = sw._iter_results

    def spy(*args, **kw):
        gen = orig(*args, **kw)
        for item in gen:
            seen.append(item)
            raise KeyboardInterrupt
        yield from ()

    monkeypatch.setattr(sw, "_iter_results", spy)
    base = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    before = set(_children(os.getpid()))
    import numpy as np

    t0 = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        sweep(base, width=np.linspace(0.2, 4.0, 40), alpha=np.linspace(0.2, 4.0, 200),
              workers=2, progress=False)
    assert len(seen) == 1
    left = [c for c in set(_children(os.getpid())) - before if _alive(c)]
    assert left == []
    assert time.monotonic() - t0 < 60


def test_unreachable_scheduler_is_one_clear_error_quickly(monkeypatch):
    pytest.importorskip("distributed")
    import replicaquant.sweep as sw

    monkeypatch.setattr(sw, "SCHEDULER_TIMEOUT", 1.0)  # the default is 5 s; the path is the same
    base = Model.uniform(2, 1.5, alpha=2.0, beta=5.0, lam=1e-3, noise_var=0.1)
    t0 = time.monotonic()
    with pytest.raises(ValueError, match=r"scheduler: cannot connect .*tcp://127\.0\.0\.1:9"):
        sweep(base, scheduler="tcp://127.0.0.1:9", width=[1.0, 2.0], progress=False)
    assert time.monotonic() - t0 < 1.0 + 10.0  # the timeout plus slack, not Dask's 30 s default
    assert SCHEDULER_TIMEOUT == 5.0
