"""A batch's reports rendered as Dask tasks (``forecast batch --scheduler ADDRESS``).

One task per zone (its languages one after the other, as on one machine). Each
worker keeps warm kernels between reports: :class:`WarmKernels`, a worker
plugin, starts a :class:`~forecast.publish.kernelpool.KernelPool` (one kernel
per worker thread) on the worker's first report, on an event loop of its own,
and shuts it down when the worker closes.

The workers only execute notebooks; the driver writes every file (HTML, charts,
headline, executed notebook) atomically when a task's result arrives, so a
worker that dies mid-report leaves nothing half written, and the manifest stays
the driver's alone (the batch resumes as on one machine). A task whose kernel
cannot be brought back, or whose worker dies, is run again on another worker
(``retries=1``; the scheduler reschedules the tasks of a lost worker); a report
that fails again is recorded as failed, as any failed report, and the batch goes
on. A notebook that raises is a report failure, not a task failure: it is not
retried.

The workers read the ledger and the saved models from the paths the notebook
is given: on several machines they need the batch folder and the ledger on a
shared file system.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any, Callable

from distributed import WorkerPlugin, as_completed, get_worker

from .. import cluster
from .manifest import Manifest
from .rendering import Job, Recorder, prepared_notebook
from .results import JobResult

__all__ = ["PLUGIN", "WarmKernels", "render_on_cluster"]

#: The plugin's name on the workers (with a digest of its kernels' setup).
PLUGIN = "forecast-warm-kernels"


class WarmKernels(WorkerPlugin):
    """Warm kernels kept by a Dask worker between reports.

    Parameters
    ----------
    warmup_imports : list of str
        Run once in each kernel after start (``kernelpool.notebook_imports``).
    cwd : str
        The kernels' working directory (the notebook's folder).
    """

    #: Registered once per notebook setup: a second batch keeps the warm kernels.
    idempotent = True

    def __init__(self, warmup_imports: list[str], cwd: str) -> None:
        self.warmup_imports = list(warmup_imports)
        self.cwd = cwd
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pool: Any = None
        self._lock: threading.Lock | None = None  # made on the worker: the plugin is pickled to it
        self._size = 1

    def setup(self, worker: Any) -> None:  # noqa: D102 - WorkerPlugin
        self._lock = threading.Lock()
        self._size = max(1, int(getattr(worker.state, "nthreads", 1)))

    def teardown(self, worker: Any) -> None:  # noqa: D102 - WorkerPlugin
        if self._loop is None:
            return
        if self._pool is not None:
            fut = asyncio.run_coroutine_threadsafe(self._pool.shutdown(), self._loop)
            try:
                fut.result(timeout=30)
            except Exception:  # noqa: BLE001 - the worker is closing all the same
                pass
        self._loop.call_soon_threadsafe(self._loop.stop)

    def _started(self) -> tuple[asyncio.AbstractEventLoop, Any]:
        from .kernelpool import KernelPool

        assert self._lock is not None  # setup ran on the worker
        with self._lock:
            if self._pool is None:
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name="forecast-kernels", daemon=True).start()
                pool = KernelPool(self._size, warmup_imports=self.warmup_imports, cwd=self.cwd)
                asyncio.run_coroutine_threadsafe(pool.__aenter__(), loop).result()
                self._loop, self._pool = loop, pool
            return self._loop, self._pool

    def execute(self, nb: Any, timeout: float | None) -> Any:
        """Run a prepared notebook on one of this worker's warm kernels: an ``Execution``."""
        loop, pool = self._started()
        return asyncio.run_coroutine_threadsafe(pool.execute(nb, timeout=timeout), loop).result()


def plugin_name(warmup_imports: list[str], cwd: str) -> str:
    """The plugin's name for one set of kernels (imports and folder): batches of
    the same notebook share warm kernels, another notebook gets its own."""
    digest = hashlib.blake2b(json.dumps([warmup_imports, cwd]).encode(), digest_size=6).hexdigest()
    return f"{PLUGIN}-{digest}"


def render_zone(plugin: str, notebooks: list[Any], timeout: float | None) -> list[Any]:
    """The task: execute a zone's prepared notebooks on this worker's warm
    kernels; their ``Execution``s, each with ``kernel`` = ``worker/kernel``."""
    worker = get_worker()
    kernels = worker.plugins[plugin]
    out = []
    for nb in notebooks:
        ex = kernels.execute(nb, timeout)
        ex.kernel = f"{worker.name}/{ex.kernel}"
        out.append(ex)
    return out


def render_on_cluster(jobs: list[Job], template: Any, template_path: Path, out: Path, manifest: Manifest,
                      *, address: str, timeout: float | None, progress: bool,
                      export: Callable[[Any], str]) -> list[JobResult]:
    """Render ``jobs`` on the Dask cluster at ``address``; the files are written here.

    Returns
    -------
    list of JobResult
        One per job, ok or failed (with the error), as ``rendering.render_all``.
    """
    from tqdm.auto import tqdm

    from .kernelpool import notebook_imports

    c = cluster.client(address)
    imports, cwd = notebook_imports(template), str(template_path.parent)
    name = plugin_name(imports, cwd)
    c.register_plugin(WarmKernels(imports, cwd), name=name)
    rec = Recorder(out, manifest, export, tqdm(total=len(jobs), unit="report", desc="Rendering",
                                               disable=not progress))
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(job.zone_id, []).append(job)
    futures = {}
    for group in groups.values():
        nbs = [prepared_notebook(template, template_path, out, job) for job in group]
        futures[c.submit(render_zone, name, nbs, timeout, retries=1, pure=False,
                         key=f"render-{group[0].stem}-{time.time_ns()}")] = group
    try:
        for fut in as_completed(list(futures), loop=c.loop):
            group = futures[fut]
            try:
                executions = fut.result()
            except Exception as err:  # noqa: BLE001 - failed twice: isolated, the batch goes on
                for job in group:
                    rec.record(job, "failed", f"{type(err).__name__}: {err} (on the cluster, twice)", 0.0)
                continue
            finally:
                fut.release()
            for job, ex in zip(group, executions):
                error, headline = rec.write(job, ex)
                rec.record(job, "ok" if error is None else "failed", error, ex.seconds, headline, ex)
    finally:
        rec.bar.close()
    return rec.results
