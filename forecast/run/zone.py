"""Everything one zone report shows, gathered once: a :class:`~forecast.report.data.ReportData`.

:func:`load_report_data` is the report notebook's single call into the
forecasting side: it loads the ledger, fits the models (or loads a saved
model set), simulates the zone, cuts the pipeline at ``as_of``, reads this
zone's data problems and its backtest. The report's sections then only draw.

Upstream modules are imported inside the functions so that importing
``forecast.run`` stays cheap in a report kernel.
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from ..exceptions import ForecastError, Problem
from ..periods import quarter, quarter_end
from ..report.data import ReportData
from .spec import RunFolder, check_parameters, default_ledger_path
from .track import REPORT_DRAWS, REPORT_YEARS, read_probabilities, run_track_record, track_origins

def _table_of(file: str) -> str:
    """``projects.csv`` → ``projects``; ``ledger.xlsx[projects]`` → ``projects``."""
    m = re.search(r"\[([^\]]+)\]$", file)
    return (m.group(1) if m else Path(file).stem).strip().lower()


def zone_problems(problems: tuple[Problem, ...] | list[Problem], ledger: Any,
                  zone_id: str, zone_of_project: Mapping[str, str] | None = None
                  ) -> tuple[Problem, ...]:
    """The problems that concern one zone.

    The loader gives each problem of a row the zone that row names
    (``Problem.zone_id``). A problem without one is traced to its row of the
    loaded tables (best effort: row ``r`` is position ``r - 2``), or, without a
    row, belongs to the zone when its value is the zone id or one of the zone's
    project ids. ``zone_of_project`` (project_id → zone_id of ``ledger``) saves
    building that map again for every zone.
    """
    if not problems:
        return ()
    if zone_of_project is None:
        projects = ledger.projects
        zone_of_project = dict(zip(projects["project_id"].astype(str),
                                   projects["zone_id"].astype(str)))
    keep = []
    for p in problems:
        if p.zone_id is not None:
            if p.zone_id == zone_id:
                keep.append(p)
            continue
        table = _table_of(p.file)
        frame = getattr(ledger, table, None) if table in ("zones", "projects", "progress",
                                                          "targets", "indicators") else None
        if p.row is not None and frame is not None and 0 <= p.row - 2 < len(frame):
            rec = frame.iloc[p.row - 2]
            zone = rec["zone_id"] if "zone_id" in rec else zone_of_project.get(str(rec["project_id"]))
            if str(zone) == zone_id:
                keep.append(p)
        elif p.value is not None and (p.value == zone_id or zone_of_project.get(p.value) == zone_id):
            keep.append(p)
    return tuple(keep)


def _stamp(path: Path) -> tuple:
    """What identifies a file or folder's content cheaply: names, sizes, mtimes."""
    files = sorted(path.iterdir()) if path.is_dir() else [path]
    return tuple((f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files if f.is_file())


class _LedgerState:
    """A loaded ledger and what reports of it derive once: its cuts by quarter,
    each cut's progress rows by zone, and the zone of every project."""

    def __init__(self, ledger: Any) -> None:
        self.ledger = ledger
        self._cuts: dict[pd.Period, tuple[Any, dict[str, np.ndarray]]] = {}
        self._zone_of: dict[str, str] | None = None

    def cut(self, q: pd.Period) -> tuple[Any, dict[str, np.ndarray]]:
        """``ledger.as_of(q)`` and, per zone, the positions of its progress rows."""
        if q not in self._cuts:
            cut = self.ledger.as_of(q)
            zone = cut.progress["project_id"].map(
                dict(zip(cut.projects["project_id"], cut.projects["zone_id"])))
            rows = pd.Series(np.arange(len(zone))).groupby(zone.to_numpy()).indices
            # Reports usually ask for one quarter; keep the last two at most.
            while len(self._cuts) >= 2:
                self._cuts.pop(next(iter(self._cuts)))
            self._cuts[q] = (cut, {str(z): r for z, r in rows.items()})
        return self._cuts[q]

    @property
    def zone_of_project(self) -> dict[str, str]:
        """project_id → zone_id of the uncut ledger."""
        if self._zone_of is None:
            p = self.ledger.projects
            self._zone_of = dict(zip(p["project_id"].astype(str), p["zone_id"].astype(str)))
        return self._zone_of


@functools.lru_cache(maxsize=2)
def _load_cached(path: str, stamp: tuple) -> _LedgerState:
    from ..ledger import load

    return _LedgerState(load(path))


@functools.lru_cache(maxsize=2)
def _models_cached(path: str, stamp: tuple) -> Any:
    from ..models.modelset import ModelSet

    return ModelSet.load(path)


def _ledger_state(path: str | Path) -> tuple[_LedgerState, tuple]:
    path = Path(path).resolve()
    stamp = _stamp(path)
    return _load_cached(str(path), stamp), (str(path), stamp)


def load_ledger(path: str | Path) -> Any:
    """``forecast.ledger.load``, remembered while the files stay the same.

    A batch's warm kernel renders report after report from one ledger and one
    model set; its namespace is cleared between reports but modules stay, so
    this cache (keyed by path, sizes and modification times) saves reading
    them again. Nothing here mutates a ledger or a model set.
    """
    return _ledger_state(path)[0].ledger


def load_models(path: str | Path) -> Any:
    """``ModelSet.load``, remembered like :func:`load_ledger`."""
    path = Path(path).resolve()
    if not path.is_file():
        from ..models.modelset import ModelSet

        return ModelSet.load(path)  # raises its own clear error
    return _models_cached(str(path), _stamp(path))


def zone_view(cut: Any, progress_rows: np.ndarray) -> Any:
    """The cut ledger with only one zone's progress rows (every project kept).

    ``forecast_zones(view, ..., zones=[zone])`` gives the same ZoneForecast as
    on the whole cut: the simulation reads the progress of the zone's own
    projects only, while the risk list's typical waits and the history's
    quarter range come from all projects, which the view keeps. What the view
    saves is the per-report pass over every zone's progress (the spend
    sampler groups all of it by project: about 1 s a report at 230 zones).
    """
    from dataclasses import replace

    return replace(cut, progress=cut.progress.iloc[progress_rows].reset_index(drop=True))


@dataclass
class _ZoneData:
    """What both languages of one zone's report share."""

    zone_id: str
    forecast: Any
    pipeline: pd.DataFrame
    problems: tuple[Problem, ...]
    backtest_forecasts: pd.DataFrame | None
    backtest_scores: pd.DataFrame | None
    #: Every zone's past target probabilities and outcomes (``forecast.run.track``).
    track_probabilities: pd.DataFrame | None
    #: ``Calibration.summary()`` of the model set used (None: not calibrated).
    calibration: pd.DataFrame | None
    #: ``ReportData`` fields on the zone's year: rates, last year's result, 三个一批.
    facts: dict[str, Any] = field(default_factory=dict)


#: The last zones gathered in this process, newest last: a batch runs a zone's
#: languages back to back in one kernel, so the second one finds its forecast here.
_ZONES: OrderedDict[tuple, _ZoneData] = OrderedDict()
_ZONES_KEPT = 2
#: Model sets fitted here (no ``modelset_path``), by ledger and quarter.
_FITTED: OrderedDict[tuple, Any] = OrderedDict()


def clear_cache() -> None:
    """Forget every ledger, model set, cut and forecast this process remembers."""
    _load_cached.cache_clear()
    _models_cached.cache_clear()
    _saved_backtest_cached.cache_clear()
    _ZONES.clear()
    _FITTED.clear()


def _remember(cache: OrderedDict, key: tuple, value: Any, kept: int) -> Any:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > kept:
        cache.popitem(last=False)
    return value


def load_report_data(ledger_path: str, zone_id: str, as_of: str | pd.Period, *, horizon: int = 8,
                     lang: str = "zh", draws: int = 1000, seed: int = 0,
                     modelset_path: str = "") -> ReportData:
    """Load, fit (or load the models), simulate and gather one zone's report data.

    Everything but the language is remembered for the next call (see
    :func:`clear_cache`): the same zone in another language, with the same
    ledger files, model set file, quarter, horizon, draws and seed, reuses
    the forecast instead of simulating again.

    Parameters
    ----------
    ledger_path : str
        A ledger folder or .xlsx file; ``""`` = the sample ledger.
    zone_id : str
        The zone; ``""`` = the ledger's first zone.
    as_of : str
        Last quarter of data, e.g. ``"2025Q3"``.
    horizon, draws, seed : int
        Forecast quarters, Monte Carlo draws, random seed.
    lang : {"zh", "en"}
    modelset_path : str
        A saved ``ModelSet`` (one file); ``""`` = fit the models here.

    Returns
    -------
    ReportData

    Raises
    ------
    ForecastError
        On a bad parameter, an unknown zone, or a model set fitted at another
        quarter.
    """
    q = check_parameters(zone_id, as_of, horizon, lang, draws, seed)
    state, ledger_key = _ledger_state(ledger_path or default_ledger_path())
    ledger = state.ledger
    ledger.check_quarter(q)
    zone_id = zone_id or ledger.zone_ids[0]
    if zone_id not in ledger.zone_ids:
        ledger.zone(zone_id)  # raises its clear error for an unknown zone
    models_key: tuple = ("fit",)
    if modelset_path:
        path = Path(modelset_path).resolve()
        models_key = (str(path), _stamp(path) if path.is_file() else ())
    key = (ledger_key, zone_id, str(q), horizon, draws, seed, models_key)
    zd = _ZONES.get(key)
    if zd is None:
        zd = _remember(_ZONES, key, _gather(state, ledger_key, zone_id, q, horizon, draws, seed,
                                            modelset_path), _ZONES_KEPT)
    zf = zd.forecast
    return ReportData(
        zone_id=zone_id,
        zone_name=str(getattr(zf, "zone_name", "") or zone_id),
        as_of=q,
        lang=lang,
        horizon=horizon,
        draws=draws,
        seed=seed,
        forecast=zf,
        pipeline=zd.pipeline,
        problems=zd.problems,
        backtest_forecasts=zd.backtest_forecasts,
        backtest_scores=zd.backtest_scores,
        track_probabilities=zd.track_probabilities,
        calibration=zd.calibration,
        models_source=Path(modelset_path).name if modelset_path else "",
        **zd.facts,
    )


def models_at(state: _LedgerState, ledger_key: tuple, q: pd.Period, modelset_path: str) -> Any:
    """The saved model set (checked to be fitted at ``q``), or one fitted here
    on the ledger at ``q`` and remembered."""
    from ..models.modelset import ModelSet

    if modelset_path:
        models = load_models(modelset_path)
        fitted_at = getattr(models, "as_of_", q)
        if quarter(fitted_at) != q:
            raise ForecastError(
                f"The model set {Path(modelset_path).name} was fitted at {fitted_at}, "
                f"not at {q}; fit it at {q} or leave modelset_path empty."
            )
        return models
    fit_key = (ledger_key, str(q))
    models = _FITTED.get(fit_key)
    if models is None:
        models = _remember(_FITTED, fit_key, ModelSet().fit(state.ledger, q), 1)
    return models


def _gather(state: _LedgerState, ledger_key: tuple, zone_id: str, q: pd.Period, horizon: int,
            draws: int, seed: int, modelset_path: str) -> _ZoneData:
    """Fit or load the models, simulate the zone, and read its pipeline,
    problems and track record."""
    from dataclasses import replace

    from ..ledger.aggregate import pipeline as pipeline_at
    from ..simulate import forecast_zones

    ledger = state.ledger
    models = models_at(state, ledger_key, q, modelset_path)
    cut, rows = state.cut(q)
    view = zone_view(cut, rows.get(zone_id, np.arange(0)))
    zf = forecast_zones(view, q, horizon=horizon, draws=draws, seed=seed, models=models,
                        zones=[zone_id])[zone_id]
    mine = view.projects["zone_id"] == zone_id
    # The pipeline counts the zone's own projects only.
    pipe = pipeline_at(replace(view, zones=view.zones.loc[view.zones["zone_id"] == zone_id],
                               projects=view.projects.loc[mine]), quarter_end(q))
    pipe = pipe.loc[pipe["zone_id"] == zone_id].reset_index(drop=True)
    bt_forecasts, bt_scores, probs = _track_record(ledger, zone_id, q, modelset_path, seed)
    problems = (zone_problems(ledger.warnings, ledger, zone_id, state.zone_of_project)
                if ledger.warnings else ())
    cal = getattr(models, "calibration_", None)
    return _ZoneData(zone_id, zf, pipe, problems, bt_forecasts, bt_scores, probs,
                     cal.summary() if cal is not None else None,
                     zone_facts(view, zf.history, zone_id, q))


def zone_facts(cut: Any, history: pd.DataFrame, zone_id: str, q: pd.Period) -> dict[str, Any]:
    """What the report's first screen states from the ledger at ``q`` (the
    ``ReportData`` fields ``rates_now``, ``last_rates``, ``last_result``,
    ``batches_done``): this year's rates so far, how the year just ended (at a
    Q4 or the next Q1) and the quarter's 三个一批."""
    from ..ledger.rates import rates
    from ..year_end import last_year, quarter_batches, year_result

    def mine(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.loc[frame["zone_id"] == zone_id].reset_index(drop=True)

    facts: dict[str, Any] = {"rates_now": mine(rates(cut, q.year, q))}
    ended = last_year(q)
    if ended is not None:
        facts["last_rates"] = mine(rates(cut, ended, q))
        facts["last_result"] = year_result(history, cut.targets, zone_id, ended)
    projects = cut.projects.loc[cut.projects["zone_id"] == zone_id]
    facts["batches_done"] = quarter_batches(projects, q)
    return facts


def saved_backtest(modelset_path: str) -> Path | None:
    """The backtest a batch saved beside its model set (``Backtest.save``), if any."""
    if not modelset_path:
        return None
    return RunFolder.of_models(modelset_path).saved_backtest()


@functools.lru_cache(maxsize=1)
def _saved_backtest_cached(folder: str, stamp: tuple
                           ) -> tuple[dict[str, tuple[pd.DataFrame, pd.DataFrame]], pd.DataFrame | None]:
    """A saved track record's backtest forecasts and scores split by zone, and
    its target probabilities, read once per batch instead of once per report."""
    f = pd.read_csv(Path(folder) / "forecasts.csv", dtype={"zone_id": str, "origin": str,
                                                          "period": str})
    s = pd.read_csv(Path(folder) / "scores.csv", dtype={"zone_id": str})
    scores = {str(z): g.reset_index(drop=True) for z, g in s.groupby("zone_id", sort=False)}
    empty = s.iloc[:0]
    by_zone = {str(z): (g.reset_index(drop=True), scores.get(str(z), empty))
               for z, g in f.groupby("zone_id", sort=False)}
    return by_zone, read_probabilities(folder)


def _within(f: pd.DataFrame, probs: pd.DataFrame | None, q: pd.Period) -> bool:
    """Whether a saved record sees nothing after ``q``: every origin before it,
    every actual of a quarter up to it, every target year ended by it."""
    from .track import last_ended_year

    if probs is None or not len(f):
        return False
    origins_ok = (f["origin"].map(quarter) < q).all()
    actual = f.loc[f["actual"].notna(), "period"].map(quarter)
    return bool(origins_ok and (actual <= q).all()
                and (probs["year"].astype(int) <= last_ended_year(q)).all())


def _track_record(ledger: Any, zone_id: str, q: pd.Period, modelset_path: str, seed: int
                  ) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    """This zone's backtest rows and every zone's past target probabilities:
    the batch's saved track record when there is one and it stays within
    ``q``, else a small one run here (``REPORT_YEARS`` years of origins,
    ``REPORT_DRAWS`` draws, every zone so the probabilities pool) on the
    ledger cut at ``q``, so nothing after ``as_of`` is used.
    ``(None, None, None)`` when the ledger has too little history."""
    folder = saved_backtest(modelset_path)
    if folder is not None:
        by_zone, probs = _saved_backtest_cached(str(folder), _stamp(folder))
        f, s = by_zone.get(zone_id, (None, None))
        # A record that reaches past this report's quarter used data the
        # report may not see (and its scores too): run the report's own then.
        if f is not None and _within(f, probs, q):
            return f.copy(), s.copy(), probs.copy()
    cut = ledger.as_of(q)
    origins = track_origins(cut, q, years=REPORT_YEARS)
    if not origins:
        return None, None, None
    tr = run_track_record(cut, q, draws=REPORT_DRAWS, seed=seed, origins=origins)
    f = tr.backtest.forecasts.loc[tr.backtest.forecasts["zone_id"] == zone_id]
    s = tr.backtest.scores.loc[tr.backtest.scores["zone_id"] == zone_id]
    return f.reset_index(drop=True), s.reset_index(drop=True), tr.probabilities
