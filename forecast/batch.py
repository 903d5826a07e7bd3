"""Every zone's report for one quarter: fit once, render many, resume, isolate failures.

``run_batch`` fits the models once, saves them next to the reports and hands the
saved file to every report notebook (``modelset_path``). The notebooks run on a
pool of warm kernels (:mod:`forecast.kernelpool`): papermill-style
parameterisation and metadata, without paying the imports of pandas, matplotlib
and statsmodels for every zone.

Output folder (``reports/<quarter>/`` by default)::

    index.html            every zone, its headline numbers, failures marked
    summary.csv           one row per zone and language
    <zone>.html           a report (``<zone>.<lang>.html`` when several languages)
    <zone>.failed.ipynb   the executed notebook of a failed report, with the error
    _manifest.json        what was rendered from which inputs (for resuming)
    _models.pkl           the model set every report used
    backtest/             the reports' track record, run once (forecast.backtest)
    _data/<stem>.json     the report's headline (``forecast.headline``), charts as PNG
    _notebooks/<stem>.ipynb  the executed notebook of a good report

A report counts as done when its HTML and headline exist and its manifest entry
names the same inputs (quarter, language, ledger fingerprint, code version,
horizon, draws, seed); a rerun renders only what is missing, failed or stale.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Literal

from . import __version__
from ._io import atomic_write
from .exceptions import ForecastError
from .vocab import ZONE_ID_PATTERN

__all__ = ["BatchResult", "JobResult", "atomic_write", "default_notebook", "run_batch", "stem_for"]

PARAMETERS = ("ledger_path", "zone_id", "as_of", "horizon", "lang", "draws", "seed", "modelset_path")
MANIFEST = "_manifest.json"
MODELS = "_models.pkl"
BACKTEST_DIR = "backtest"
DATA_DIR = "_data"
NOTEBOOK_DIR = "_notebooks"
KEY_CHART_TAG = "key-chart"
MAX_CHARTS = 3
_ZONE_RE = re.compile(ZONE_ID_PATTERN)
_LANG_RE = re.compile(r"^[a-z]{2}$")
Status = Literal["ok", "failed", "skipped"]


# --- small helpers ----------------------------------------------------------------
def stem_for(zone_id: str, lang: str, langs: Iterable[str]) -> str:
    """File stem of a report: ``<zone_id>`` or ``<zone_id>.<lang>`` with several languages.

    Raises
    ------
    ForecastError
        When ``zone_id`` or ``lang`` could not be a safe file name: ids come
        from a ledger and are data, checked here again before any path is built.
    """
    if not isinstance(zone_id, str) or not _ZONE_RE.match(zone_id):
        raise ForecastError(f"A zone_id must match {ZONE_ID_PATTERN}. Got: {zone_id!r}")
    if not _LANG_RE.match(lang):
        raise ForecastError(f"A language must be two lower-case letters like 'zh'. Got: {lang!r}")
    return zone_id if len(tuple(langs)) == 1 else f"{zone_id}.{lang}"


def cpu_seconds() -> float:
    """CPU seconds (user + system) of this process and of its children that
    have ended, e.g. forked workers and the kernels of a finished pool."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def _sha256_files(path: Path) -> str:
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        h.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def default_notebook() -> Path:
    """The report notebook: ``forecast/report/zone_report.ipynb`` or ``notebooks/zone_report.ipynb``."""
    here = Path(__file__).resolve().parent
    for cand in (here / "report" / "zone_report.ipynb", here.parent / "notebooks" / "zone_report.ipynb"):
        if cand.is_file():
            return cand
    raise ForecastError("No report notebook found (notebooks/zone_report.ipynb); pass notebook=PATH.")


# --- results ----------------------------------------------------------------------
@dataclass
class JobResult:
    """One report (a zone in one language)."""

    zone_id: str
    zone_name: str
    lang: str
    stem: str
    status: Status
    error: str | None = None
    seconds: float = 0.0
    headline: dict[str, Any] | None = None
    #: Of ``seconds``, the time the notebook ran in its kernel (the rest: export and writes).
    kernel_seconds: float = 0.0
    #: ``time.perf_counter()`` when the report was done (for throughput figures).
    finished: float = 0.0
    #: CPU seconds of the kernel on this report (``None``: not measured).
    kernel_cpu_seconds: float | None = None
    #: The kernel that ran it and how many reports that kernel had run before.
    kernel: str = ""
    kernel_reports_before: int = 0

    @property
    def html(self) -> str:
        """File name of the report inside the output folder."""
        return f"{self.stem}.html"

    @property
    def failed_notebook(self) -> str:
        """File name of the executed notebook left by a failure."""
        return f"{self.stem}.failed.ipynb"


@dataclass
class BatchResult:
    """What a batch did; ``ok`` is False when any report failed."""

    out: Path
    as_of: str
    langs: tuple[str, ...]
    results: list[JobResult] = field(default_factory=list)
    seconds: float = 0.0
    #: Of ``seconds``, fitting the model set and running the backtest.
    fit_seconds: float = 0.0
    #: CPU seconds of that fit (this process and its forked helpers).
    fit_cpu_seconds: float = 0.0
    #: Of ``seconds``, rendering the reports (kernel pool start to the last page).
    render_seconds: float = 0.0
    #: CPU seconds of the rendering (the kernels and this process) and, of
    #: them, this process's own (exports and writes).
    render_cpu_seconds: float = 0.0
    driver_cpu_seconds: float = 0.0

    @property
    def index_path(self) -> Path:
        """``index.html`` of the output folder."""
        return self.out / "index.html"

    @property
    def summary_path(self) -> Path:
        """``summary.csv`` of the output folder."""
        return self.out / "summary.csv"

    def count(self, status: Status) -> int:
        """How many reports ended with ``status``."""
        return sum(r.status == status for r in self.results)

    @property
    def failed(self) -> list[JobResult]:
        """The reports that failed."""
        return [r for r in self.results if r.status == "failed"]

    @property
    def ok(self) -> bool:
        """True when no report failed."""
        return not self.failed


# --- the manifest -----------------------------------------------------------------
class _Manifest:
    """``_manifest.json``: per report, its inputs key and status. Flushed atomically,
    at most every ``every`` seconds (rewriting it after each of 5,000 reports
    would cost more than the reports), and at the end."""

    def __init__(self, path: Path, every: float = 2.0) -> None:
        self.path = path
        self.every = every
        self._last = 0.0
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.entries: dict[str, dict[str, Any]] = dict(data.get("entries", {}))
            self.models: dict[str, Any] = dict(data.get("models", {}))
        except (FileNotFoundError, ValueError, AttributeError):
            self.entries, self.models = {}, {}

    def set(self, stem: str, entry: dict[str, Any]) -> None:
        self.entries[stem] = entry
        if time.monotonic() - self._last > self.every:
            self.flush()

    def flush(self) -> None:
        payload = {"format": 1, "models": self.models, "entries": self.entries}
        atomic_write(self.path, json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True))
        self._last = time.monotonic()


def _key(inputs: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:20]


# --- upstream hooks: the ledger and the model set ---------------------------------
def _load_ledger(ledger_path: Path) -> Any:
    from .ledger import load

    return load(ledger_path)


def _fit_models(ledger: Any, as_of: str, path: Path, *, seed: int, backtest: bool,
                zones: list[str] | None, workers: int = 1) -> None:
    """Fit the model set once and save it to ``path``; with ``backtest``, also
    run the reports' track record once into ``path.parent / BACKTEST_DIR``.

    The two are independent: with more than one worker the model set is
    fitted in a forked process while this one runs the backtest (whose
    simulation also uses ``workers`` processes), so a 2-core machine has both
    cores busy (230 zones: about 17 s to fit, 200 s of backtest CPU).
    """
    from .models import ModelSet

    if not backtest:
        ModelSet().fit(ledger, as_of, workers=workers).save(path)
        return
    child = _fork_call(_fit_and_save, ledger, as_of, path) if workers > 1 else None
    if child is None:
        _fit_and_save(ledger, as_of, path)
    # The reports' track record, run once for all zones where the report
    # looks for it (forecast.report.data.saved_backtest) instead of once a report.
    from .backtest import run_backtest
    from .periods import quarter
    from .report.data import BACKTEST_DRAWS, BACKTEST_ORIGINS

    q = quarter(as_of)
    origins = [q - k for k in range(BACKTEST_ORIGINS, 0, -1)]
    try:
        run_backtest(ledger.as_of(q), origins, horizon=1, draws=BACKTEST_DRAWS, seed=seed,
                     zones=zones, workers=workers).save(path.parent / BACKTEST_DIR)
    finally:
        if child is not None:
            child.result()


def _fit_and_save(ledger: Any, as_of: str, path: Path) -> None:
    from .models import ModelSet

    ModelSet().fit(ledger, as_of).save(path)


class _Forked:
    """A function running in a forked process; :meth:`result` waits for it
    and raises its error here."""

    def __init__(self, process: Any, conn: Any) -> None:
        self.process, self.conn = process, conn

    def result(self) -> None:
        try:
            error = self.conn.recv() if self.conn.poll(None) else None
        except EOFError:
            error = None
        self.process.join()
        if error is not None:
            raise ForecastError(error)
        if self.process.exitcode != 0:
            raise ForecastError(f"fitting the model set stopped with exit code {self.process.exitcode}")


def _fork_call(func: Callable[..., None], *args: Any) -> _Forked | None:
    """Start ``func(*args)`` in a forked process (it inherits the ledger, nothing
    is pickled); ``None`` where fork is not available."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        return None
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)

    def run() -> None:
        try:
            func(*args)
            child.send(None)
        except BaseException as err:  # noqa: BLE001 - reported to the parent, which raises
            child.send(f"{type(err).__name__}: {err}")

    process = ctx.Process(target=run, daemon=True)
    process.start()
    child.close()
    return _Forked(process, parent)


# --- rendering one report ---------------------------------------------------------
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


def _export_html(nb: Any) -> str:
    try:
        from .report.export import notebook_to_html
    except ImportError:
        # Until forecast.report lands: nbconvert's script-free basic template.
        from nbconvert import HTMLExporter

        exporter = HTMLExporter(template_name="basic", exclude_input=True,
                                exclude_input_prompt=True, exclude_output_prompt=True)
        return exporter.from_notebook_node(nb)[0]
    return notebook_to_html(nb)


@dataclass
class _Job:
    zone_id: str
    zone_name: str
    lang: str
    stem: str
    key: str
    params: dict[str, Any]


def _finish_ok(out: Path, job: _Job, nb: Any, export: Callable[[Any], str]) -> dict[str, Any]:
    """Write a good report: HTML, charts, headline sidecar, executed notebook."""
    import nbformat

    headline, charts = _headline_and_charts(nb)
    html = export(nb)
    headline = headline or {}
    headline.setdefault("zone_id", job.zone_id)
    headline.setdefault("zone_name", job.zone_name)
    headline.setdefault("as_of", job.params["as_of"])
    headline.setdefault("lang", job.lang)
    names = []
    for i, png in enumerate(charts, 1):
        name = f"{job.stem}.chart-{i}.png"
        atomic_write(out / DATA_DIR / name, png)
        names.append(name)
    headline["charts"] = names
    headline["key"] = job.key
    atomic_write(out / NOTEBOOK_DIR / f"{job.stem}.ipynb", nbformat.writes(nb))
    atomic_write(out / f"{job.stem}.html", html)
    # The sidecar last: its presence (with the key) marks the report complete.
    atomic_write(out / DATA_DIR / f"{job.stem}.json", json.dumps(headline, ensure_ascii=False, indent=1))
    (out / f"{job.stem}.failed.ipynb").unlink(missing_ok=True)
    return headline


def _finish_failed(out: Path, job: _Job, nb: Any) -> None:
    import nbformat

    atomic_write(out / f"{job.stem}.failed.ipynb", nbformat.writes(nb))
    # A stale report from older inputs must not pass for this quarter's.
    for stale in (out / f"{job.stem}.html", out / DATA_DIR / f"{job.stem}.json"):
        stale.unlink(missing_ok=True)


def read_headline(out: Path, stem: str) -> dict[str, Any] | None:
    """The headline sidecar of a report, or ``None``."""
    try:
        return json.loads((out / DATA_DIR / f"{stem}.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None


async def _render_all(
    jobs: list[_Job],
    template: Any,
    template_path: Path,
    out: Path,
    manifest: _Manifest,
    *,
    workers: int,
    timeout: float | None,
    progress: bool,
    export: Callable[[Any], str],
) -> list[JobResult]:
    from papermill.execute import prepare_notebook_metadata
    from papermill.parameterize import parameterize_notebook
    from tqdm.auto import tqdm

    from .kernelpool import KernelPool, KernelPoolError, WarmKernel, notebook_imports

    # A zone's languages run one after the other in the same kernel: they share
    # the forecast, so a report-side cache keyed on the inputs can serve both.
    groups: dict[str, list[_Job]] = {}
    for job in jobs:
        groups.setdefault(job.zone_id, []).append(job)
    queue: asyncio.Queue[list[_Job]] = asyncio.Queue()
    for group in groups.values():
        queue.put_nowait(group)
    results: list[JobResult] = []
    bar = tqdm(total=len(jobs), unit="report", desc="Rendering", disable=not progress)

    def record(job: _Job, status: Status, error: str | None, seconds: float,
               headline: dict[str, Any] | None = None, ex: Any = None, before: int = 0) -> None:
        manifest.set(job.stem, {"zone_id": job.zone_id, "lang": job.lang, "key": job.key,
                                "status": status, "error": error, "seconds": round(seconds, 3)})
        results.append(JobResult(
            job.zone_id, job.zone_name, job.lang, job.stem, status, error, seconds, headline,
            ex.seconds if ex is not None else 0.0, time.perf_counter(),
            ex.cpu_seconds if ex is not None else None, ex.kernel if ex is not None else "", before))
        bar.update(1)
        if error:
            bar.write(f"failed: {job.stem}: {error}")

    async def finish(job: _Job, ex: Any, t0: float, before: int) -> None:
        error = ex.failure.message if ex.failure else None
        headline = None
        if error is None:
            try:
                # Export and writes in a thread: the event loop keeps serving the kernels.
                headline = await asyncio.to_thread(_finish_ok, out, job, ex.nb, export)
            except Exception as err:  # noqa: BLE001 - one bad report must not stop the batch
                error = f"{type(err).__name__}: {err} (while writing the report)"
        if error is not None:
            try:
                await asyncio.to_thread(_finish_failed, out, job, ex.nb)
            except Exception as err:  # noqa: BLE001 - the failure is recorded all the same
                error += f"; the failed notebook could not be written: {type(err).__name__}: {err}"
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
                    try:
                        nb = parameterize_notebook(copy.deepcopy(template), job.params,
                                                   kernel_name="python3", language="python")
                        nb = prepare_notebook_metadata(nb, str(template_path), str(out / f"{job.stem}.html"))
                        ex = await kernel.execute(nb, timeout=timeout)
                    except KernelPoolError as err:
                        # This worker's kernel cannot be brought back; the others go on.
                        for lost in group[i:]:
                            record(lost, "failed", str(err), 0.0)
                        return
                    except Exception as err:  # noqa: BLE001 - one bad report must not stop the batch
                        record(job, "failed", f"{type(err).__name__}: {err}", 0.0)
                        continue
                    pending.append(asyncio.create_task(finish(job, ex, t0, before)))
        finally:
            await asyncio.gather(*pending)

    try:
        async with KernelPool(min(workers, len(groups)), warmup_imports=notebook_imports(template),
                              cwd=str(template_path.parent)) as pool:
            await asyncio.gather(*(worker(k) for k in pool.kernels))
        while not queue.empty():
            for job in queue.get_nowait():
                record(job, "failed", "no working kernel was left to run this report", 0.0)
    finally:
        bar.close()
    return results


def _run_async(coro: Any) -> Any:
    """``asyncio.run``, also from inside a running loop (a Jupyter notebook)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


# --- the batch ----------------------------------------------------------------------
def run_batch(
    ledger_path: str | os.PathLike[str],
    as_of: str | None = None,
    out: str | os.PathLike[str] | None = None,
    workers: int = 2,
    force: bool = False,
    langs: Iterable[str] = ("zh", "en"),
    *,
    horizon: int = 8,
    draws: int = 1000,
    seed: int = 0,
    zones: Iterable[str] | None = None,
    notebook: str | os.PathLike[str] | None = None,
    timeout: float | None = 900.0,
    fit_models: bool = True,
    backtest: bool = True,
    progress: bool = False,
    code_version: str | None = None,
) -> BatchResult:
    """Render every zone's report for quarter ``as_of`` into ``out``.

    Parameters
    ----------
    ledger_path : path
        The ledger (folder of CSVs or a workbook).
    as_of : str, optional
        The quarter, ``2025Q3``; default the ledger's latest quarter.
    out : path, optional
        Output folder; default ``reports/<as_of>``.
    workers : int
        Kernels running side by side (one per core; a third on 2 cores adds nothing).
    force : bool
        Render every report again, done or not.
    langs : iterable of str
        Languages; with more than one, files get a language suffix.
    horizon, draws, seed : int
        Passed to every notebook.
    zones : iterable of str, optional
        Only these zones (default all).
    notebook : path, optional
        The report notebook; default :func:`default_notebook`.
    timeout : float, optional
        Seconds per report; past it the report fails and its kernel restarts.
    fit_models : bool
        Fit the model set once and pass it to every notebook (else each fits its own).
    backtest : bool
        With ``fit_models``, also run the reports' backtest once, saved in
        ``out/backtest`` (else each report runs its own small one).
    progress : bool
        Show a progress bar on stderr.
    code_version : str, optional
        Part of the inputs key; default the package version and the notebook's hash.

    Returns
    -------
    BatchResult
        Per report: ok, failed (with the error) or skipped (already done).
        Failures never raise; bad inputs (ledger, quarter, notebook) do.

    Examples
    --------
    >>> res = run_batch("data/sample", "2025Q2", "reports/2025Q2")   # doctest: +SKIP
    >>> res.ok, res.index_path                                       # doctest: +SKIP
    """
    import papermill
    from papermill.iorw import load_notebook_node

    from .periods import quarter

    t0 = time.perf_counter()
    langs = tuple(dict.fromkeys(langs))
    if not langs:
        raise ForecastError("Give at least one language, e.g. langs=('zh',).")
    ledger_path = Path(ledger_path).resolve()
    ledger = _load_ledger(ledger_path)
    q = str(quarter(as_of) if as_of else ledger.last_quarter)
    out = Path(out) if out is not None else Path("reports") / q
    out.mkdir(parents=True, exist_ok=True)
    nb_path = Path(notebook).resolve() if notebook else default_notebook()
    declared = set(papermill.inspect_notebook(str(nb_path)))
    missing = [p for p in PARAMETERS if p not in declared]
    if missing:
        raise ForecastError(f"The report notebook {nb_path} must declare the parameters {', '.join(missing)}.")
    template = load_notebook_node(str(nb_path))
    code = code_version or f"{__version__}+nb.{_sha256_files(nb_path)[:12]}"
    common = {"as_of": q, "ledger": _sha256_files(ledger_path), "code": code,
              "horizon": horizon, "draws": draws, "seed": seed}

    names = dict(zip(ledger.zones["zone_id"].astype(str), ledger.zones["name"].astype(str)))
    wanted = list(names) if zones is None else list(zones)
    unknown = [z for z in wanted if z not in names]
    if unknown:
        raise ForecastError(f"Zones not in the ledger: {', '.join(map(repr, unknown[:10]))}")

    manifest = _Manifest(out / MANIFEST)
    result = BatchResult(out=out, as_of=q, langs=langs)
    models_path = out / MODELS
    jobs: list[_Job] = []
    for zone_id in wanted:
        for lang in langs:
            try:
                stem = stem_for(zone_id, lang, langs)
            except ForecastError as err:
                result.results.append(JobResult(zone_id, names[zone_id], lang, "", "failed", str(err)))
                continue
            key = _key({**common, "lang": lang, "zone_id": zone_id})
            entry = manifest.entries.get(stem, {})
            head = read_headline(out, stem)
            done = (entry.get("status") == "ok" and entry.get("key") == key
                    and (out / f"{stem}.html").is_file() and head is not None and head.get("key") == key)
            if done and not force:
                result.results.append(JobResult(zone_id, names[zone_id], lang, stem, "skipped", headline=head))
                continue
            params = {"ledger_path": str(ledger_path), "zone_id": zone_id, "as_of": q, "horizon": horizon,
                      "lang": lang, "draws": draws, "seed": seed,
                      "modelset_path": str(models_path.resolve()) if fit_models else ""}
            jobs.append(_Job(zone_id, names[zone_id], lang, stem, key, params))

    if jobs:
        if fit_models:
            # The backtest covers this run's zones only: another zone set refits.
            bt_zones = None if zones is None else sorted(wanted)
            models_key = _key({**common, "backtest": backtest, "zones": bt_zones})
            if force or manifest.models.get("key") != models_key or not models_path.is_file():
                t_fit, cpu_fit = time.perf_counter(), cpu_seconds()
                _fit_models(ledger, q, models_path, seed=seed, backtest=backtest, zones=bt_zones,
                            workers=max(1, workers))
                manifest.models = {"key": models_key, "path": MODELS}
                manifest.flush()
                result.fit_seconds = time.perf_counter() - t_fit
                result.fit_cpu_seconds = cpu_seconds() - cpu_fit
        t_render, cpu_render, cpu_driver = time.perf_counter(), cpu_seconds(), time.process_time()
        try:
            result.results += _run_async(_render_all(
                jobs, template, nb_path, out, manifest, workers=max(1, workers),
                timeout=timeout, progress=progress, export=_export_html))
        finally:
            manifest.flush()
            result.render_seconds = time.perf_counter() - t_render
            result.render_cpu_seconds = cpu_seconds() - cpu_render
            result.driver_cpu_seconds = time.process_time() - cpu_driver
    from .batch_index import write_index, write_summary

    order = {(z, lang): i for i, (z, lang) in enumerate((z, lang) for z in wanted for lang in langs)}
    result.results.sort(key=lambda r: order.get((r.zone_id, r.lang), 0))
    write_index(result)
    write_summary(result)
    result.seconds = time.perf_counter() - t0
    return result
