"""Every zone's report for one quarter: fit once, render many, resume, isolate failures.

``run_batch`` fits the models once, saves them next to the reports and hands the
saved file to every report notebook (``modelset_path``). The notebooks run on a
pool of warm kernels (:mod:`forecast.publish.kernelpool`): papermill-style
parameterisation and metadata, without paying the imports of pandas, matplotlib
and statsmodels for every zone.

The output folder (``reports/<quarter>/`` by default) is laid out as
:class:`forecast.run.RunFolder` says. A report counts as done when its HTML and
headline exist and its manifest entry names the same inputs (quarter, language, ledger fingerprint, code version,
horizon, draws, seed); a rerun renders only what is missing, failed or stale.
"""

from __future__ import annotations

import functools
import os
import re
import time
import warnings
from pathlib import Path
from typing import Any, Iterable

import pandas as pd

from .. import __version__
from .._io import check_writable, remove_stale_temps
from .._lock import FolderLock
from ..exceptions import ForecastError
from ..run.spec import NOTEBOOK_PARAMETERS, RunFolder, RunSpec
from ..run.track import TRACK_YEARS
from ..vocab import ZONE_ID_PATTERN
from .guard import cut_hash, file_sha256, folder_result, models_stale, sigterm_as_interrupt
from .manifest import Manifest, inputs_key, sha256_files
from .notebook import default_notebook
from .rendering import Job, export_html, read_headline, render_all, run_async
from .results import BatchResult, JobResult

__all__ = ["BatchResult", "JobResult", "cpu_seconds", "default_notebook", "run_batch", "stem_for"]

_ZONE_RE = re.compile(ZONE_ID_PATTERN)
_LANG_RE = re.compile(r"^[a-z]{2}$")


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


def _done(manifest: Manifest, folder: RunFolder, stem: str, key: str, head: dict | None) -> bool:
    """A report rendered from the same inputs, its page and headline in place."""
    entry = manifest.entries.get(stem, {})
    return (entry.get("status") == "ok" and entry.get("key") == key and folder.html(stem).is_file()
            and head is not None and head.get("key") == key)


def _render(jobs: list[Job], template: Any, nb_path: Path, *, out: Path, manifest: Manifest, workers: int,
            timeout: float | None, progress: bool, scheduler: str | None) -> list[JobResult]:
    """Render ``jobs`` from one notebook, on warm local kernels or on a Dask cluster."""
    if not jobs:
        return []
    if scheduler:
        from .dask_render import render_on_cluster  # dask only when a cluster is asked for

        return render_on_cluster(jobs, template, nb_path, out, manifest, address=scheduler,
                                 timeout=timeout, progress=progress, export=export_html)
    return run_async(render_all(jobs, template, nb_path, out, manifest, workers=max(1, workers),
                                timeout=timeout, progress=progress, export=export_html))


def _province_jobs(ledger: Any, wanted: list[str], langs: tuple[str, ...], spec: RunSpec,
                   common: dict[str, Any], manifest: Manifest, folder: RunFolder, models: Any,
                   force: bool, enabled: bool, result: BatchResult) -> list[Job]:
    """One page per province whose zones are all in the batch (a total over
    part of a province would pass for the province's); done pages skipped."""
    from ..run.province import province_stem, provinces
    from .province import PROVINCE_NOTEBOOK, province_parameters

    if not enabled or not PROVINCE_NOTEBOOK.is_file():
        return []
    zones = ledger.zones.assign(zone_id=ledger.zones["zone_id"].astype(str))
    chosen = set(wanted)
    nb_hash = sha256_files(PROVINCE_NOTEBOOK)[:12]
    jobs = []
    for name in provinces(zones):
        members = zones.loc[zones["province"].astype(str).str.strip() == name, "zone_id"].tolist()
        if not set(members) <= chosen:
            continue
        for lang in langs:
            stem = stem_for(province_stem(name), lang, langs)
            key = inputs_key({**common, "lang": lang, "province": name, "zones": members, "nb": nb_hash})
            head = read_headline(folder.path, stem)
            if _done(manifest, folder, stem, key, head) and not force:
                result.provinces.append(JobResult(stem.split(".")[0], name, lang, stem, "skipped",
                                                  headline=head))
                continue
            params = province_parameters(spec, name, lang, models, report_id=province_stem(name))
            jobs.append(Job(province_stem(name), name, lang, stem, key, params))
    return jobs


def run_batch(
    ledger_path: str | os.PathLike[str],
    as_of: str | pd.Period | None = None,
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
    track_years: int | None = TRACK_YEARS,
    progress: bool = False,
    code_version: str | None = None,
    scheduler: str | None = None,
    provinces: bool | None = None,
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
    track_years : int, optional
        Years of track record that backtest sweeps (about four model fits a
        year); ``None``: every year the ledger allows.
    progress : bool
        Show a progress bar on stderr.
    code_version : str, optional
        Part of the inputs key; default the package version and the notebook's hash.
    scheduler : str, optional
        A Dask scheduler's address: the backtest's zone simulations and the
        reports run on that cluster (:mod:`forecast.publish.dask_render`);
        ``workers`` then only sizes the local fit.
    provinces : bool, optional
        Also render one page per province (``forecast.publish.province``) whose
        zones are all in the batch; default: when the zones carry provinces and
        the report notebook is the default one.

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

    from ..ledger import load

    t0 = time.perf_counter()
    langs = tuple(dict.fromkeys(langs))
    if not langs:
        raise ForecastError("Give at least one language, e.g. langs=('zh',).")
    ledger_path = Path(ledger_path).resolve()
    ledger = load(ledger_path)
    # a quarter outside the ledger's data is refused here, naming its last (first) quarter
    spec = RunSpec.parse(ledger_path, ledger.check_quarter(as_of) if as_of else ledger.last_quarter,
                         horizon, draws, seed)
    q = str(spec.as_of)
    out = check_writable(Path(out) if out is not None else Path("reports") / q)
    nb_path = Path(notebook).resolve() if notebook else default_notebook()
    declared = set(papermill.inspect_notebook(str(nb_path)))
    missing = [p for p in NOTEBOOK_PARAMETERS if p not in declared]
    if missing:
        raise ForecastError(f"The report notebook {nb_path} must declare the parameters {', '.join(missing)}.")
    names = dict(zip(ledger.zones["zone_id"].astype(str), ledger.zones["name"].astype(str)))
    wanted = list(names) if zones is None else list(zones)
    unknown = [z for z in wanted if z not in names]
    if unknown:
        raise ForecastError(f"Zones not in the ledger: {', '.join(map(repr, unknown[:10]))}")
    # One batch at a time per folder (refused at once, naming the holder);
    # SIGTERM stops it like Ctrl-C, keeping every report done so far.
    with FolderLock(out, "batch"), sigterm_as_interrupt():
        remove_stale_temps(out)  # left by a process killed mid-write; the lock says none is writing
        result = _run_locked(ledger, ledger_path, spec, out, nb_path, load_notebook_node(str(nb_path)), names,
                             wanted, zones is not None, langs, workers=workers, force=force,
                             fit_models=fit_models, backtest=backtest, track_years=track_years,
                             timeout=timeout, progress=progress, code_version=code_version, scheduler=scheduler,
                             provinces=notebook is None if provinces is None else provinces)
    result.seconds = time.perf_counter() - t0
    return result


def _run_locked(ledger: Any, ledger_path: Path, spec: RunSpec, out: Path, nb_path: Path, template: Any,
                names: dict[str, str], wanted: list[str], subset: bool, langs: tuple[str, ...], *,
                workers: int, force: bool, fit_models: bool, backtest: bool, track_years: int | None,
                timeout: float | None,
                progress: bool, code_version: str | None, scheduler: str | None,
                provinces: bool) -> BatchResult:
    from ..run.fit import fit_models as fit_once
    from .index import write_index, write_summary

    q, folder = str(spec.as_of), RunFolder(out)
    for page in (folder.index, folder.summary):
        if page.is_dir():  # before any fitting, not after every report
            raise ForecastError(f"cannot write {page}: it is a folder; remove it or give another --out")
    code = code_version or f"{__version__}+nb.{sha256_files(nb_path)[:12]}"
    # another span of track record is another accuracy section: part of both keys
    # (absent at the default, so folders made before the option keep their keys)
    track = {"track_years": track_years} if backtest and track_years != TRACK_YEARS else {}
    common = {"as_of": q, "ledger": sha256_files(ledger_path), "code": code,
              "horizon": spec.horizon, "draws": spec.draws, "seed": spec.seed, **track}
    manifest = Manifest(folder.manifest)
    result = BatchResult(out=out, as_of=q, langs=langs)
    models_path = folder.models
    jobs: list[Job] = []
    for zone_id in wanted:
        for lang in langs:
            try:
                stem = stem_for(zone_id, lang, langs)
            except ForecastError as err:
                result.results.append(JobResult(zone_id, names[zone_id], lang, "", "failed", str(err)))
                continue
            key = inputs_key({**common, "lang": lang, "zone_id": zone_id})
            head = read_headline(out, stem)
            if _done(manifest, folder, stem, key, head) and not force:
                result.results.append(JobResult(zone_id, names[zone_id], lang, stem, "skipped", headline=head))
                continue
            params = spec.notebook_parameters(zone_id, lang, models_path if fit_models else "")
            jobs.append(Job(zone_id, names[zone_id], lang, stem, key, params))

    prov_jobs = _province_jobs(ledger, wanted, langs, spec, common, manifest, folder,
                               models_path if fit_models else "", force,
                               provinces, result)
    if jobs or prov_jobs:
        if fit_models:
            # The backtest covers this run's zones only: another zone set refits.
            bt_zones = sorted(wanted) if subset and backtest else None
            cut = ledger.as_of(spec.as_of)
            models_key = inputs_key({"as_of": q, "cut": cut_hash(cut), "code": code, "seed": spec.seed,
                                     "backtest": backtest, "zones": bt_zones,
                                     **track})
            stale, why = models_stale(folder, manifest, models_key)
            if force or stale:
                if why and not force:
                    warnings.warn(f"fitting the model set again: {why}", stacklevel=2)
                t_fit, cpu_fit = time.perf_counter(), cpu_seconds()
                fit_once(cut, spec.as_of, models_path, seed=spec.seed, backtest=backtest, zones=bt_zones,
                         workers=max(1, workers), scheduler=scheduler, track_years=track_years)
                manifest.models = {"key": models_key, "path": RunFolder.MODELS,
                                   "sha256": file_sha256(models_path)}
                manifest.flush()
                result.fit_seconds = time.perf_counter() - t_fit
                result.fit_cpu_seconds = cpu_seconds() - cpu_fit
        t_render, cpu_render, cpu_driver = time.perf_counter(), cpu_seconds(), time.process_time()
        try:
            render = functools.partial(_render, out=out, manifest=manifest, workers=workers,
                                       timeout=timeout, progress=progress, scheduler=scheduler)
            result.results += render(jobs, template, nb_path)
            if prov_jobs:
                from papermill.iorw import load_notebook_node

                from .province import PROVINCE_NOTEBOOK

                result.provinces += render(prov_jobs, load_notebook_node(str(PROVINCE_NOTEBOOK)),
                                           PROVINCE_NOTEBOOK)
        finally:
            manifest.flush()
            result.render_seconds = time.perf_counter() - t_render
            result.render_cpu_seconds = cpu_seconds() - cpu_render
            result.driver_cpu_seconds = time.process_time() - cpu_driver

    order = {(z, lang): i for i, (z, lang) in enumerate((z, lang) for z in wanted for lang in langs)}
    result.results.sort(key=lambda r: order.get((r.zone_id, r.lang), 0))
    # The index and summary list every report of the folder, not only this run's.
    everything = folder_result(result, manifest)
    write_index(everything)
    write_summary(everything)
    return result
