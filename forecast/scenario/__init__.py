"""Scenarios as data: what if these projects start late, are cancelled, or are added?

A scenario is a table of changes, one row each::

    project_id, action,   value
    wuhu-2024-003, delay,    2            # quarters: every pending milestone later
    wuhu-2023-011, cancel,                # cancelled now: no further spending or output
    hefei-2025-002, start,  2026-06-15   # construction starts that day
    hefei-2025-002, complete, 2027-09-30 # construction completes that day
    new-001,       add,                   # plus the project columns of SCHEMA.md

read from CSV or Excel (:meth:`Scenario.read`; Chinese headers 项目编号 / 动作 / 值
and actions 推迟 / 终止 / 开工 / 竣工 / 新增 are read too) or built in Python
(:func:`select`, :meth:`Scenario.delay`, ...). Every problem is reported at once
with the file, row, column, value and what was expected (:class:`ScenarioError`).

Same random streams. Zones are seeded by (seed, zone id) in
:mod:`forecast.simulate`, so a zone the scenario does not touch is simulated
exactly as in the baseline. In a touched zone, the projects the scenario names
are simulated apart from the others, each on its own stream keyed by its
project id, both in the baseline and in the scenario (:func:`run`): the zone's
other projects draw exactly the same numbers in both, and a touched project
draws the same stage paths in both, which the scenario then moves (a delay
shifts them; a forced start or completion keeps each draw's own durations
after the event). Its spending and output noise is drawn after the paths and
coincides between the two only as far as the moved paths leave the same
(draw, project) pairs active. So the baseline of a touched zone here is itself
a Monte Carlo draw of the same forecast, not the one ``forecast predict``
prints without the scenario (its touched projects drew from the zone's shared
stream there).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from ..exceptions import ForecastError
from ..periods import quarter, quarter_end
from ..crosszone import year_totals
from ..scoring import draw_quantiles
from ..vocab import COUNT_METRICS, METRICS, STAGES
from ._rules import ACTION_ALIASES, ACTIONS, HEADERS, MAX_DELAY, BoundScenario, ScenarioError  # noqa: F401


def _ids(projects: Any) -> list[str]:
    """Project ids from a list, a Series or a frame with ``project_id``."""
    if isinstance(projects, pd.DataFrame):
        projects = projects["project_id"]
    if isinstance(projects, str):
        projects = [projects]
    return [str(p) for p in projects]


@dataclass(frozen=True)
class Scenario:
    """A table of changes to a ledger's projects (see the module docstring).

    Attributes
    ----------
    changes : DataFrame
        ``project_id, action, value, row``: ``value`` is quarters (int) for
        ``delay``, a Timestamp for ``start`` / ``complete``, None otherwise;
        ``row`` the spreadsheet row it came from (None when built in Python).
    added : DataFrame
        Projects the scenario adds, in the canonical project columns, with ``row``.
    source : str
        The file read, or ``"<python>"``.

    Examples
    --------
    >>> s = Scenario().delay(["p1", "p2"], quarters=2).cancel("p3")
    >>> s.changes[["project_id", "action", "value"]].values.tolist()
    [['p1', 'delay', 2], ['p2', 'delay', 2], ['p3', 'cancel', None]]
    """

    changes: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        {"project_id": pd.Series(dtype=object), "action": pd.Series(dtype=object),
         "value": pd.Series(dtype=object), "row": pd.Series(dtype=object)}))
    added: pd.DataFrame = field(default_factory=pd.DataFrame)
    source: str = "<python>"

    # --- building in Python -------------------------------------------------------------
    def _with(self, ids: list[str], action: str, value: Any) -> "Scenario":
        rows = pd.DataFrame({"project_id": ids, "action": action, "value": [value] * len(ids),
                             "row": [None] * len(ids)}, dtype=object)
        changes = rows if self.changes.empty else pd.concat([self.changes, rows], ignore_index=True)
        return replace(self, changes=changes)

    def delay(self, projects: Any, quarters: int) -> "Scenario":
        """Every pending milestone of ``projects`` (ids, or a frame from
        :func:`select`) ``quarters`` quarters later."""
        if isinstance(quarters, bool) or not isinstance(quarters, (int, np.integer)) or not (
                1 <= quarters <= MAX_DELAY):
            raise ForecastError(f"A delay is a whole number of quarters from 1 to {MAX_DELAY}. Got: {quarters!r}")
        return self._with(_ids(projects), "delay", int(quarters))

    def cancel(self, projects: Any) -> "Scenario":
        """``projects`` cancelled at ``as_of``: no further spending, output or milestones."""
        return self._with(_ids(projects), "cancel", None)

    def start(self, projects: Any, date: Any) -> "Scenario":
        """Construction of ``projects`` starts on ``date`` (after ``as_of``)."""
        return self._with(_ids(projects), "start", _date(date))

    def complete(self, projects: Any, date: Any) -> "Scenario":
        """Construction of ``projects`` completes on ``date`` (after ``as_of``)."""
        return self._with(_ids(projects), "complete", _date(date))

    def add(self, projects: pd.DataFrame) -> "Scenario":
        """Projects added to the ledger (columns of ``ledger.projects``; a
        ``start_date`` or ``completion_date`` after ``as_of`` becomes a forced
        start or completion)."""
        from ..ledger.ledger import PROJECT_COLUMNS

        rows = projects.copy()
        missing = [c for c in ("project_id", "zone_id", "name", "category", "planned_investment",
                               "registered_date") if c not in rows or rows[c].isna().any()]
        if missing:
            raise ForecastError(f"Projects to add need every required column filled: {', '.join(missing)}")
        for c in PROJECT_COLUMNS:
            if c not in rows:
                rows[c] = pd.NaT if c.endswith("_date") else np.nan
        for c in PROJECT_COLUMNS:
            if c.endswith("_date"):
                rows[c] = pd.to_datetime(rows[c])
        rows["project_id"] = rows["project_id"].astype(str)
        rows["row"] = None
        added = rows if self.added.empty else pd.concat([self.added, rows], ignore_index=True)
        scen = replace(self, added=added)
        return scen._with(list(rows["project_id"]), "add", None)

    # --- files --------------------------------------------------------------------------
    @classmethod
    def read(cls, path: str | Path) -> "Scenario":
        """A scenario from a CSV (UTF-8 or GBK) or an Excel workbook (first sheet).

        Raises
        ------
        ScenarioError
            Every unreadable row at once: file, row, column, value, expected.
        """
        from ._read import read_scenario

        changes, added, problems = read_scenario(Path(path))
        if problems:
            raise ScenarioError(problems, str(path))
        return cls(changes=changes, added=added, source=str(path))

    def to_frame(self) -> pd.DataFrame:
        """The changes as a table ``project_id, action, value`` (added projects' columns after)."""
        out = self.changes[["project_id", "action", "value"]].copy()
        out["value"] = [v.date().isoformat() if isinstance(v, pd.Timestamp) else v for v in out["value"]]
        if not self.added.empty:
            extra = self.added.drop(columns=["row"], errors="ignore").set_index("project_id")
            out = out.join(extra, on="project_id")
        return out

    # --- against a ledger ---------------------------------------------------------------
    def bind(self, ledger: Any, as_of: str | pd.Period) -> "BoundScenario":
        """Check the scenario against ``ledger`` at ``as_of`` and prepare it for
        the simulator (``forecast_zones(..., scenario=bound)``).

        Raises
        ------
        ScenarioError
            Unknown project ids, projects not in the ledger at ``as_of``,
            actions that do not fit a project's stage, dates not after ``as_of``.
        """
        from ._read import bind

        return bind(self, ledger, quarter(as_of))


def _date(value: Any) -> pd.Timestamp:
    try:
        out = pd.Timestamp(value)
    except (TypeError, ValueError) as err:
        raise ForecastError(f"Expected a date such as 2026-06-30. Got: {value!r}") from err
    if pd.isna(out):
        raise ForecastError(f"Expected a date such as 2026-06-30. Got: {value!r}")
    return out.normalize()


def select(ledger: Any, as_of: str | pd.Period, *, zones: Iterable[str] | str | None = None,
           categories: Iterable[str] | str | None = None, stages: Iterable[str] | str | None = None,
           top: int | None = None, by: str = "planned_investment") -> pd.DataFrame:
    """Projects of ``ledger`` at ``as_of`` chosen by zone, category, stage and size rank.

    Parameters
    ----------
    zones, categories, stages : str or list, optional
        Keep only these (stages of ``vocab.STAGES`` at the end of ``as_of``).
    top : int, optional
        The ``top`` largest by ``by`` (ties broken by project id), across the zones kept.
    by : str
        The column to rank by.

    Returns
    -------
    DataFrame
        The chosen rows of the cut's projects with a ``stage`` column, largest first.

    Examples
    --------
    >>> big = select(ledger, "2025Q4", stages="signed", top=10)   # doctest: +SKIP
    >>> Scenario().delay(big, quarters=2)                          # doctest: +SKIP
    """
    q = quarter(as_of)
    cut = ledger.as_of(q)  # itself when already cut at q
    p = cut.projects.assign(stage=cut.stage_at(quarter_end(q)))

    def keep(col: str, values: Any, known: Iterable[str]) -> None:
        nonlocal p
        if values is None:
            return
        values = [values] if isinstance(values, str) else list(values)
        bad = sorted(set(values) - set(known))
        if bad:
            raise ForecastError(f"Unknown {col}: {', '.join(map(str, bad))}. Expected one of: "
                                f"{', '.join(map(str, known))}")
        p = p.loc[p[col].isin(values)]

    from ..vocab import CATEGORIES

    keep("zone_id", zones, cut.zone_ids)
    keep("category", categories, CATEGORIES)
    keep("stage", stages, STAGES)
    p = p.sort_values([by, "project_id"], ascending=[False, True], kind="stable")
    if top is not None:
        p = p.head(int(top))
    return p.reset_index(drop=True)


# --- the bound scenario: what the simulator calls -----------------------------------------
# --- running and comparing ----------------------------------------------------------------
@dataclass
class ScenarioRun:
    """A scenario and its baseline from the same streams.

    Attributes
    ----------
    baseline, scenario : dict
        zone_id → ``ZoneForecast`` for every zone (untouched zones: the same object).
    comparison : DataFrame
        :func:`compare` of the two for ``year``.
    touched : list of str
        The zones the scenario changes.
    """

    baseline: dict[str, Any]
    scenario: dict[str, Any]
    comparison: pd.DataFrame
    touched: list[str]
    year: int


def run(ledger: Any, scenario: Scenario, as_of: str | pd.Period, horizon: int = 8, draws: int = 1000,
        seed: int = 0, models: Any = None, year: int | None = None, workers: int = 1,
        progress: Any = None, baseline: Mapping[str, Any] | None = None) -> ScenarioRun:
    """Forecast a scenario and its baseline with the same random streams.

    Every zone is simulated once for the baseline; only the touched zones again
    for the scenario (an untouched zone's draws depend only on the seed and its
    id, so they would come out the same). A touched zone's baseline and scenario
    both come from the structural models without the set's calibration (a
    rank remapping that would unpair the draws), so its figures can differ a
    little from the zone's plain forecast.

    Parameters
    ----------
    ledger : Ledger
    scenario : Scenario
    as_of, horizon, draws, seed, models, workers, progress
        As for :func:`forecast.simulate.forecast_zones`.
    year : int, optional
        The year :func:`compare` sums; default the first whole year in the horizon.
    baseline : mapping, optional
        Plain forecasts of every zone made with the same models, as_of,
        horizon, draws and seed (``forecast_zones``): reused for the untouched
        zones, so only the touched zones are simulated (twice).

    Examples
    --------
    >>> s = Scenario().delay(select(ledger, "2025Q4", stages="signed", top=10), 2)  # doctest: +SKIP
    >>> r = run(ledger, s, "2025Q4", horizon=4)                                      # doctest: +SKIP
    >>> r.comparison.query("metric == 'investment'")                                 # doctest: +SKIP
    """
    from ..simulate import forecast_zones

    q = quarter(as_of)
    cut = ledger.as_of(q)  # itself when already cut at q
    bound = scenario.bind(cut, q)
    if models is None:
        from ..models.modelset import ModelSet

        models = ModelSet().fit(cut, q, workers=workers)
    kw = dict(horizon=horizon, draws=draws, seed=seed, workers=workers)
    if baseline is None:
        base = forecast_zones(cut, q, models=models, progress=progress, **kw)
    else:
        _check_baseline(baseline, cut, q, horizon, draws, seed)
        base = dict(baseline)
    # A touched zone is compared on the structural draws of both runs: the
    # calibration remaps a zone's draws by rank, which would pair draw i of the
    # baseline with another draw of the scenario and turn the effect into noise.
    structural = _structural(models)
    if bound.zones:
        base.update(forecast_zones(cut, q, zones=bound.zones, scenario=bound.baseline(),
                                   models=structural, **kw))
    alt = dict(base)
    if bound.zones:
        alt.update(forecast_zones(cut, q, zones=bound.zones, scenario=bound, models=structural, **kw))
    year = _default_year(q, horizon) if year is None else int(year)
    return ScenarioRun(base, alt, compare(base, alt, year), bound.zones, year)


def _structural(models: Any) -> Any:
    """The model set without its calibration (the same object when it has none)."""
    if getattr(models, "calibration_", None) is None:
        return models
    import copy

    plain = copy.copy(models)
    plain.calibration_ = None
    return plain


def _check_baseline(baseline: Mapping[str, Any], cut: Any, q: pd.Period, horizon: int, draws: int,
                    seed: int) -> None:
    missing = [z for z in cut.zone_ids if z not in baseline]
    odd = [z for z, f in baseline.items() if (f.as_of, f.horizon, f.draws, f.seed) != (q, horizon, draws, seed)
           or not f.samples]
    if missing or odd:
        raise ForecastError(
            f"The baseline given must hold every zone forecast from {q} with horizon {horizon}, "
            f"{draws} draws, seed {seed} and its draws kept; missing: {missing[:5]}, different: {odd[:5]}")


def _default_year(q: pd.Period, horizon: int) -> int:
    from ..targets import years_covered

    years = years_covered(q, horizon)
    if not years:
        raise ForecastError(f"No whole year lies inside {horizon} quarter(s) after {q}: "
                            "forecast further or name the year.")
    return years[0]


#: Columns of :func:`compare`.
COMPARE_COLUMNS = ("zone_id", "metric", "year", "baseline", "scenario", "change_mean", "change_p10",
                   "change_p25", "change_p50", "change_p75", "change_p90", "target", "p_meet_baseline",
                   "p_meet_scenario", "identical")


def compare(baseline: Mapping[str, Any], scenario: Mapping[str, Any], year: int,
            metrics: Iterable[str] = METRICS) -> pd.DataFrame:
    """The change a scenario makes to each zone's year, draw by draw.

    Parameters
    ----------
    baseline, scenario : mapping
        zone_id → ``ZoneForecast`` from the same seed (as :func:`run` makes them).
    year : int
    metrics : metrics to compare.

    Returns
    -------
    DataFrame
        :data:`COMPARE_COLUMNS`: the mean year total in each, quantiles of the
        change (scenario − baseline, per draw), the target and the probability
        of meeting it in each (NaN without a target), and ``identical`` (every
        draw equal).
    """
    rows = []
    qs = [0.10, 0.25, 0.50, 0.75, 0.90]
    for z, b in baseline.items():
        a = scenario[z]
        for m in metrics:
            tb, ta = year_totals(b, m, year), year_totals(a, m, year)
            d = ta - tb
            tgt = _target_row(b, m, year)
            rows.append({
                "zone_id": z, "metric": m, "year": year, "baseline": tb.mean(), "scenario": ta.mean(),
                "change_mean": d.mean(),
                **dict(zip(COMPARE_COLUMNS[6:11], draw_quantiles(d, qs, m in COUNT_METRICS))),
                "target": tgt, "p_meet_baseline": _p_meet(tb, tgt), "p_meet_scenario": _p_meet(ta, tgt),
                "identical": bool(np.array_equal(tb, ta)),
            })
    return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))


def _target_row(zf: Any, metric: str, year: int) -> float:
    t = zf.targets
    if t is None or not len(t):
        return float("nan")
    hit = t.loc[(t["metric"] == metric) & (t["year"] == year), "target"]
    return float(hit.iloc[0]) if len(hit) else float("nan")


def _p_meet(totals: np.ndarray, target: float) -> float:
    # the same rule as forecast.targets: a draw meets the target when it reaches it
    return float("nan") if not np.isfinite(target) else float((totals >= target).mean())


__all__ = ["ACTIONS", "BoundScenario", "COMPARE_COLUMNS", "Scenario", "ScenarioError", "ScenarioRun",
           "compare", "run", "select"]
