"""A real Dask cluster on 127.0.0.1 for the tests: `dask scheduler` and
`dask worker` processes (no nanny, so that killing a worker really loses it)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator



def _dask(*args: str) -> list[str]:
    return [str(Path(sys.executable).parent / "dask"), *args]


@dataclass
class Cluster:
    address: str
    folder: Path
    workers: list[subprocess.Popen] = field(default_factory=list)
    path: str = ""

    def add_worker(self, name: str) -> subprocess.Popen:
        """A single-thread worker process (in its own process group, with its kernels)."""
        log = open(self.folder / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        p = subprocess.Popen(_dask("worker", self.address, "--nthreads", "1", "--no-nanny",
                                   "--no-dashboard", "--name", name, "--local-directory",
                                   str(self.folder / name)),
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                             env=_env(self.path))
        self.workers.append(p)
        return p

    def wait(self, n: int, timeout: float = 120.0) -> None:
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as c:
            c.wait_for_workers(n, timeout=timeout)


def _env(path: str = "") -> dict[str, str]:
    env = dict(os.environ)
    if path:  # modules the tasks import (a test's stand-ins)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (path, env.get("PYTHONPATH", "")) if p)
    env.pop("FORECAST_SCHEDULER", None)
    env["OMP_NUM_THREADS"] = "1"
    return env


def _stop(p: subprocess.Popen) -> None:
    if p.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)  # the process and the kernels it started
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)
            p.wait(10)
    else:  # dead already (killed by a test): its kernels may remain in its group
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(p.pid, signal.SIGKILL)


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2, path: str = "") -> Iterator[Cluster]:
    """Start a scheduler and ``workers`` single-thread workers (``path`` added to
    their PYTHONPATH); stop them all after."""
    folder.mkdir(parents=True, exist_ok=True)
    sched_file = folder / "scheduler.json"
    log = open(folder / "scheduler.log", "wb")  # noqa: SIM115
    sched = subprocess.Popen(_dask("scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                                   "--scheduler-file", str(sched_file)),
                             stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=_env(path))
    cluster = None
    try:
        deadline = time.monotonic() + 60
        while not sched_file.is_file() or not sched_file.read_text().strip():
            if time.monotonic() > deadline or sched.poll() is not None:
                raise RuntimeError(f"dask scheduler did not start: {(folder / 'scheduler.log').read_text()}")
            time.sleep(0.2)
        time.sleep(0.2)
        cluster = Cluster(json.loads(sched_file.read_text())["address"], folder, path=path)
        for i in range(workers):
            cluster.add_worker(f"w{i}")
        cluster.wait(workers)
        yield cluster
    finally:
        from forecast.cluster import close_clients

        close_clients()  # the clients cached by forecast.cluster would try to reconnect
        for p in (cluster.workers if cluster else []):
            _stop(p)
        _stop(sched)
        log.close()
