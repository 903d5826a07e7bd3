"""Rendering a batch's reports on a pool of warm kernels, and writing each one's files.

Every report is the notebook parameterised the way papermill does it, executed
in a warm kernel (:mod:`forecast.publish.kernelpool`), exported to one HTML page;
its headline (:mod:`forecast.publish.headline`) and key charts go to the
folder's ``_data/``. A failed report leaves its executed notebook with the error.
"""

from __future__ import annotations

import asyncio
import copy
import json
import signal
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

from .._io import atomic_write
from ..run.spec import RunFolder
from .manifest import Manifest
from .results import JobResult, Status

__all__ = ["Job", "Recorder", "export_html", "prepared_notebook", "read_headline", "render_all", "run_async"]

KEY_CHART_TAG = "key-chart"
MAX_CHARTS = 3


def _headline_and_charts(nb: Any) -> tuple[dict[str, Any] | None, list[bytes]]:
    """Take the published headline out of ``nb`` (in place) and collect key charts."""
    import base64

    from .headline import MIME_TYPE

    headline = None
    tagged: list[bytes] = []
    anyimg: list[bytes] = []
    for cell in nb.cells:
        outputs = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if MIME_TYPE in data:
                headline = dict(data[MIME_TYPE])
                continue
            if "image/png" in data:
                png = base64.b64decode(data["image/png"])
                (tagged if KEY_CHART_TAG in cell.get("metadata", {}).get("tags", []) else anyimg).append(png)
            outputs.append(out)
        if "outputs" in cell:
            cell["outputs"] = outputs
    # Charts the notebook tagged come first; other images fill up to MAX_CHARTS.
    return headline, (tagged + anyimg)[:MAX_CHARTS]


def export_html(nb: Any) -> str:
    """The report page of an executed notebook."""
    from ..report.export import notebook_to_html

    return notebook_to_html(nb)


@dataclass
class Job:
    zone_id: str
    zone_name: str
    lang: str
    stem: str
    key: str
    params: dict[str, Any]


def _finish_ok(out: Path, job: Job, nb: Any, export: Callable[[Any], str]) -> dict[str, Any]:
    """Write a good report: HTML, charts, headline sidecar, executed notebook."""
    import nbformat

    folder = RunFolder(out)
    headline, charts = _headline_and_charts(nb)
    html = export(nb)
    headline = headline or {}
    headline.setdefault("zone_id", job.zone_id)
    headline.setdefault("zone_name", job.zone_name)
    headline.setdefault("as_of", job.params["as_of"])
    headline.setdefault("lang", job.lang)
    names = []
    for i, png in enumerate(charts, 1):
        path = atomic_write(folder.chart(job.stem, i), png)
        names.append(path.name)
    headline["charts"] = names
    headline["key"] = job.key
    atomic_write(folder.executed(job.stem), nbformat.writes(nb))
    atomic_write(folder.html(job.stem), html)
    # The sidecar last: its presence (with the key) marks the report complete.
    atomic_write(folder.headline(job.stem), json.dumps(headline, ensure_ascii=False, indent=1))
    folder.failed(job.stem).unlink(missing_ok=True)
    return headline


def _finish_failed(out: Path, job: Job, nb: Any) -> None:
    import nbformat

    folder = RunFolder(out)
    atomic_write(folder.failed(job.stem), nbformat.writes(nb))
    # A stale report from older inputs must not pass for this quarter's.
    for stale in (folder.html(job.stem), folder.headline(job.stem)):
        stale.unlink(missing_ok=True)


def read_headline(out: Path, stem: str) -> dict[str, Any] | None:
    """The headline sidecar of a report, or ``None``."""
    try:
        return json.loads(RunFolder(out).headline(stem).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


def prepared_notebook(template: Any, template_path: Path, out: Path, job: Job) -> Any:
    """A copy of the report notebook with the job's parameters, as papermill prepares it."""
    from papermill.execute import prepare_notebook_metadata
    from papermill.parameterize import parameterize_notebook

    nb = parameterize_notebook(copy.deepcopy(template), job.params, kernel_name="python3", language="python")
    return prepare_notebook_metadata(nb, str(template_path), str(RunFolder(out).html(job.stem)))


class Recorder:
    """A batch's outcomes as they come: each report's files written (or its
    failed notebook), its manifest entry, its :class:`JobResult`, the bar."""

    def __init__(self, out: Path, manifest: Manifest, export: Callable[[Any], str], bar: Any) -> None:
        self.out, self.manifest, self.export, self.bar = out, manifest, export, bar
        self.results: list[JobResult] = []

    def write(self, job: Job, ex: Any) -> tuple[str | None, dict[str, Any] | None]:
        """Write an executed report's files: ``(error, headline)``."""
        error = ex.failure.message if ex.failure else None
        headline = None
        if error is None:
            try:
                headline = _finish_ok(self.out, job, ex.nb, self.export)
            except Exception as err:  # noqa: BLE001 - one bad report must not stop the batch
                error = f"{type(err).__name__}: {err} (while writing the report)"
        if error is not None:
            try:
                _finish_failed(self.out, job, ex.nb)
            except Exception as err:  # noqa: BLE001 - the failure is recorded all the same
                error += f"; the failed notebook could not be written: {type(err).__name__}: {err}"
        return error, headline

    def record(self, job: Job, status: Status, error: str | None, seconds: float,
               headline: dict[str, Any] | None = None, ex: Any = None, before: int = 0) -> None:
        """Note a report's outcome in the manifest, the results and the bar."""
        self.manifest.set(job.stem, {"zone_id": job.zone_id, "lang": job.lang, "key": job.key,
                                     "status": status, "error": error, "seconds": round(seconds, 3)})
        self.results.append(JobResult(
            job.zone_id, job.zone_name, job.lang, job.stem, status, error, seconds, headline,
            ex.seconds if ex is not None else 0.0, time.perf_counter(),
            ex.cpu_seconds if ex is not None else None, ex.kernel if ex is not None else "", before))
        self.bar.update(1)
        if error:
            self.bar.write(f"failed: {job.stem}: {error}")


async def render_all(
    jobs: list[Job],
    template: Any,
    template_path: Path,
    out: Path,
    manifest: Manifest,
    *,
    workers: int,
    timeout: float | None,
    progress: bool,
    export: Callable[[Any], str],
) -> list[JobResult]:
    from tqdm.auto import tqdm

    from .kernelpool import KernelPool, KernelPoolError, WarmKernel, notebook_imports

    # A zone's languages run one after the other in the same kernel: they share
    # the forecast, so a report-side cache keyed on the inputs can serve both.
    groups: dict[str, list[Job]] = {}
    for job in jobs:
        groups.setdefault(job.zone_id, []).append(job)
    queue: asyncio.Queue[list[Job]] = asyncio.Queue()
    for group in groups.values():
        queue.put_nowait(group)
    rec = Recorder(out, manifest, export, tqdm(total=len(jobs), unit="report", desc="Rendering",
                                               disable=not progress))
    record = rec.record
    stop = asyncio.Event()

    async def finish(job: Job, ex: Any, t0: float, before: int) -> None:
        # Export and writes in a thread: the event loop keeps serving the kernels.
        error, headline = await asyncio.to_thread(rec.write, job, ex)
        record(job, "ok" if error is None else "failed", error, time.perf_counter() - t0, headline, ex,
               before)

    async def worker(kernel: WarmKernel) -> None:
        # A report's export runs while its kernel already computes the next
        # one: the kernel never waits for the driver.
        pending: list[asyncio.Task[None]] = []
        try:
            while not queue.empty():
                group = queue.get_nowait()
                for i, job in enumerate(group):
                    t0, before = time.perf_counter(), kernel.reports_run
                    if stop.is_set():
                        return
                    try:
                        nb = prepared_notebook(template, template_path, out, job)
                        ex = await kernel.execute(nb, timeout=timeout)
                    except (Exception, asyncio.CancelledError) as err:
                        if stop.is_set():
                            return  # interrupted, not failed: left unrecorded, so a rerun renders it
                        if isinstance(err, asyncio.CancelledError):
                            raise
                        if not isinstance(err, KernelPoolError):
                            record(job, "failed", f"{type(err).__name__}: {err}", 0.0)
                            continue
                        # This worker's kernel cannot be brought back; the others go on.
                        for lost in group[i:]:
                            record(lost, "failed", str(err), 0.0)
                        return
                    if stop.is_set():
                        return
                    pending.append(asyncio.create_task(finish(job, ex, t0, before)))
        finally:
            await asyncio.gather(*pending)

    try:
        async with KernelPool(min(workers, len(groups)), warmup_imports=notebook_imports(template),
                              cwd=str(template_path.parent)) as pool:
            tasks = [asyncio.create_task(worker(k)) for k in pool.kernels]
            with _stop_on_signals(stop, tasks):
                outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        if stop.is_set():
            raise KeyboardInterrupt("stopped by a signal")
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
        while not queue.empty():
            for job in queue.get_nowait():
                record(job, "failed", "no working kernel was left to run this report", 0.0)
    finally:
        rec.bar.close()
    return rec.results


@contextmanager
def _stop_on_signals(stop: asyncio.Event, tasks: list[asyncio.Task[None]]) -> Iterator[None]:
    """Ctrl-C or SIGTERM: set ``stop`` and cancel the workers. A report being
    written is finished and recorded; one still running in a kernel is dropped
    unrecorded (a rerun renders it); the pool then shuts its kernels down."""
    loop = asyncio.get_running_loop()
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def on_signal() -> None:
        stop.set()
        for task in tasks:
            task.cancel()

    for sig in before:
        loop.add_signal_handler(sig, on_signal)
    try:
        yield
    finally:
        for sig, handler in before.items():
            loop.remove_signal_handler(sig)
            signal.signal(sig, handler)  # remove_signal_handler leaves the default, not the one before


def run_async(coro: Any) -> Any:
    """``asyncio.run``, also from inside a running loop (a Jupyter notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
