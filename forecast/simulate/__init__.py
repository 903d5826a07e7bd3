"""Monte Carlo of every project of a zone at ``as_of``: draws → ``ZoneForecast``.

Each draw advances every project through the horizon with the fitted models —
stage transitions and cancellation (``CompletionModel.sample_paths``), then
investment spend given those paths (``SpendModel.sample_investment``), then
output given the production dates (``OutputModel.sample_output``); each model
draws its own parameter uncertainty. Projects registered after ``as_of`` come
from ``ArrivalsModel.sample`` and are kept apart as the ``new_`` allowance. The
draws of one zone are made by ``forecast.models.draws.zone_draws``; this package
schedules the zones and adds targets, risk and the tables.

Zone totals are summed over projects *within each draw* and only then turned
into a mean and quantiles (never a sum of quantiles).

Randomness: a zone's draws come from ``numpy.random.SeedSequence`` built from
``seed`` and a stable hash (BLAKE2b) of the zone id, so a zone's numbers do not
depend on which other zones run or in which order; a zone's projects are taken in
``project_id`` order in chunks of ``chunk_size`` (each chunk its own child
sequence), which bounds memory at ``draws × chunk_size × horizon`` per array.

The package: ``zone`` simulates one zone, ``summary`` turns draws into table
rows, ``pool`` schedules the zones (serially, forked workers, Dask), and this
module checks the arguments and assembles every zone's ``ZoneForecast``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from .._io import atomic_path
from ..exceptions import ForecastError
from ..models.draws import zone_seed
from ..periods import next_quarters, quarter
from ..risk import risk_table, unit_board
from ..targets import TARGET_COLUMNS, target_probabilities
from ..vocab import FORECAST_COLUMNS
from ..year_end import YearEnd
from .pool import _Job, _map_zones, run_zones
from .summary import ALL_METRICS, _tables, summarise
from .zone import ZoneForecast, simulate_zone

__all__ = ["ALL_METRICS", "MAX_HORIZON", "ZoneForecast", "forecast_table", "forecast_zones", "run_zones",
           "simulate_zone", "summarise", "write_table", "zone_seed"]

#: Longest horizon the simulator accepts (quarters).
MAX_HORIZON = 16


def _prepare(ledger: Any, as_of: pd.Period, horizon: int, draws: int,
             models: Any, zones: list[str] | None) -> tuple[pd.Period, Any, Any, list[str]]:
    q = as_of
    if not 1 <= int(horizon) <= MAX_HORIZON:
        raise ForecastError(f"horizon must be between 1 and {MAX_HORIZON} quarters. Got: {horizon}")
    if int(draws) < 1:
        raise ForecastError(f"draws must be at least 1. Got: {draws}")
    if ledger.cut is not None and ledger.cut < q:
        raise ForecastError(
            f"The ledger was cut at {ledger.cut}; it cannot forecast from the later quarter {q}."
        )
    cut = ledger.as_of(q)
    if models is None:
        from ..models.modelset import ModelSet

        models = ModelSet().fit(cut, q)
    elif getattr(models, "as_of_", None) != q:
        raise ForecastError(
            f"The model set was fitted at {getattr(models, 'as_of_', 'no quarter (not fitted)')}, "
            f"not at {q}: fit it at the same as_of."
        )
    known = cut.zone_ids
    if zones is None:
        zones = known
    else:
        zones = list(zones)
        known_set = set(known)
        missing = [z for z in zones if z not in known_set]
        if missing:
            raise ForecastError(f"Zones not in the ledger: {', '.join(map(str, missing))}")
    return q, cut, models, zones


def _simulate_all(ledger: Any, as_of: pd.Period, horizon: int, draws: int, seed: int, models: Any,
                  zones: list[str] | None, chunk_size: int, risk_quarters: int, detail: bool,
                  keep_samples: bool, progress: Callable[[int], Any] | None, workers: int,
                  scheduler: str | None = None, sums: Any = None, scenario: Any = None
                  ) -> tuple[pd.Period, Any, Any, list[str], pd.PeriodIndex, dict[str, Any]]:
    """Simulate every zone asked for: ``(q, cut, models, zones, quarters,
    results)``, ``results[zone] = (summary, samples, probs, tallies)``."""
    q, cut, models, zones = _prepare(ledger, as_of, horizon, draws, models, zones)
    horizon, draws = int(horizon), int(draws)
    quarters = next_quarters(q, horizon)
    p = cut.projects
    # cancelled projects have no future; every other one may still spend or produce
    live = p.loc[p["zone_id"].isin(zones) & p["cancelled_date"].isna()]
    live = live.sort_values(["zone_id", "project_id"], kind="stable")
    if detail:  # the risk list measures a signed project's start against its category's usual wait
        from ..risk import planned_starts

        live = live.assign(planned_start_date=planned_starts(cut.projects, live, q))
    by_zone = {z: live.iloc[ix] for z, ix in live.groupby("zone_id", sort=False).indices.items()}
    job = _Job(models, cut, by_zone, live.iloc[:0], horizon, draws, seed, chunk_size, risk_quarters,
               quarters, detail, keep_samples, sums, scenario,
               YearEnd.for_cut(cut, horizon) if detail else None)
    return q, cut, models, zones, quarters, dict(_map_zones(job, zones, workers, progress, scheduler))


def forecast_zones(
    ledger: Any,
    as_of: str | pd.Period,
    horizon: int = 8,
    draws: int = 1000,
    seed: int = 0,
    models: Any = None,
    zones: list[str] | None = None,
    *,
    chunk_size: int = 2000,
    risk_quarters: int = 4,
    detail: bool = True,
    keep_samples: bool = True,
    progress: Callable[[int], Any] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    sums: Any = None,
    scenario: Any = None,
) -> dict[str, ZoneForecast]:
    """Forecast every zone (or ``zones``) of a ledger from ``as_of``.

    Parameters
    ----------
    ledger : Ledger
        The whole ledger; it is cut at ``as_of`` here (strictly, SCHEMA.md).
    as_of : quarter, e.g. ``"2023Q4"``
    horizon : int
        Quarters to forecast (1–16).
    draws : int
        Monte Carlo draws.
    seed : int
        With the zone id, fixes every draw of a zone.
    models : ModelSet, optional
        Fitted at ``as_of``; fitted here when omitted.
    zones : list of str, optional
        A subset of zones; a zone's numbers are the same whichever others run.
    chunk_size : int
        Projects per model call (bounds memory).
    risk_quarters : int
        Window (quarters) of the start and cancellation risks.
    detail : bool
        Compute targets, risk list and board (``forecast_table`` skips them).
    keep_samples : bool
        Keep each zone's draws in ``ZoneForecast.samples``.
    progress : callable, optional
        Called with the number of zones done after each batch (e.g. ``tqdm.update``).
    workers : int
        Processes simulating zones at once (Linux ``fork``); the numbers are the
        same for any number of workers, since each zone has its own seed.
    scheduler : str, optional
        Address of a Dask scheduler (``tcp://host:8786``): the zones are
        simulated there instead (``forecast.cluster``); same numbers.
    sums : rollup.GroupSums, optional
        Accumulators each zone's draws are added to (city, province totals).
    scenario : optional
        A scenario bound to the cut (``forecast.scenario.Scenario.bind``); see
        :func:`forecast.scenario.run` for a scenario against its baseline.

    Returns
    -------
    dict
        zone_id → :class:`ZoneForecast`, in ledger order.

    Examples
    --------
    >>> from forecast.sample import generate                      # doctest: +SKIP
    >>> fc = forecast_zones(generate(zones=2, seed=1), "2023Q4", horizon=4, draws=200)  # doctest: +SKIP
    >>> fc["Z01"].metric("investment")[["mean", "p10", "p90"]]    # doctest: +SKIP
    """
    q, cut, models, zones, quarters, results = _simulate_all(
        ledger, quarter(as_of), horizon, draws, seed, models, zones, chunk_size, risk_quarters, detail,
        keep_samples, progress, workers, scheduler, sums, scenario)
    horizon, draws = int(horizon), int(draws)
    names = cut.zones.set_index("zone_id")["name"].astype(str).to_dict()
    table_all = _tables(zones, quarters, [results[z][0] for z in zones])
    ends = np.cumsum([len(results[z][0][0]) * horizon for z in zones])

    history = risk = board = None
    if detail:
        from ..ledger.aggregate import quarterly

        history = quarterly(cut)
        probs = pd.concat([r[2] for r in results.values()], ignore_index=True)
        spend_curve = getattr(models.spend_, "expected_share", None)
        risk = risk_table(cut, probs, q, spend_curve if callable(spend_curve) else None)
        board = unit_board(risk)
        targets = cut.targets
        year_end = YearEnd.for_cut(cut, horizon)
        if year_end is not None:
            from ..ledger.rates import rates

            invest = rates(cut, year_end.year, q) if q.year == year_end.year else None

    out: dict[str, ZoneForecast] = {}
    for z, stop in zip(zones, ends):
        _, samples, probs, tallies = results[z]
        table = table_all.iloc[stop - len(results[z][0][0]) * horizon : stop].reset_index(drop=True)
        if detail:
            hist = history.loc[history["zone_id"] == z].reset_index(drop=True)
            tgt = target_probabilities(z, targets, hist, samples, quarters, q)
            zr = risk.loc[risk["zone_id"] == z].reset_index(drop=True)
            zb = board.loc[board["zone_id"] == z].reset_index(drop=True)
            ye = bt = None
            if year_end is not None:
                so_far, plan, basis = _investment_plan(cut, invest, z, year_end.year)
                ye, bt = year_end.frames(z, tallies, samples, quarters, so_far, plan, basis)
        else:
            hist = zr = zb = pd.DataFrame()
            ye = bt = None
            tgt = pd.DataFrame(columns=list(TARGET_COLUMNS))
        out[z] = ZoneForecast(
            zone_id=z,
            zone_name=names.get(z, z),
            as_of=q,
            horizon=horizon,
            draws=draws,
            seed=seed,
            table=table,
            targets=tgt,
            risk=zr,
            history=hist,
            board=zb,
            samples=samples,
            paths_summary=probs if detail else None,
            year_end=ye,
            batches=bt,
            risk_quarters=min(int(risk_quarters), horizon),
        )
    return out


def _investment_plan(cut: Any, invest: pd.DataFrame | None, zone_id: str, year: int
                     ) -> tuple[float, float, str]:
    """The year's investment so far, the 投资完成率's denominator and its basis
    (``rates`` at ``as_of``; a year that starts after ``as_of`` has spent nothing)."""
    if invest is not None:
        row = invest.loc[(invest["zone_id"] == zone_id) & (invest["rate"] == "investment_rate")].iloc[0]
        return float(row["numerator"]), float(row["denominator"]), str(row["basis"])
    from ..ledger.rates import plan_rows

    plan = plan_rows(cut, year)
    den = plan.loc[plan["zone_id"] == zone_id, "year_investment"].sum(min_count=1)
    if pd.notna(den):
        return 0.0, float(den), "plan"
    t = cut.targets
    hit = t.loc[(t["zone_id"] == zone_id) & (t["year"].astype(int) == year) & (t["metric"] == "investment")]
    return (0.0, float(hit["value"].sum()), "target") if len(hit) else (0.0, np.nan, "none")


def forecast_table(
    ledger: Any,
    as_of: str | pd.Period,
    horizon: int = 8,
    draws: int = 1000,
    seed: int = 0,
    models: Any = None,
    zones: list[str] | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """The forecast table of SCHEMA.md for every zone (or ``zones``).

    Same arguments as :func:`forecast_zones`; only the tables are computed.

    Examples
    --------
    >>> from forecast.sample import generate                       # doctest: +SKIP
    >>> t = forecast_table(generate(zones=2, seed=1), "2023Q4", horizon=4, draws=200)  # doctest: +SKIP
    >>> list(t.columns)                                            # doctest: +SKIP
    ['zone_id', 'period', 'metric', 'mean', 'p05', 'p10', 'p25', 'p50', 'p75', 'p90', 'p95']
    """
    as_of = quarter(as_of)  # the API edge: parsed once here
    kw = {"chunk_size": 2000, "risk_quarters": 4, "detail": False, "keep_samples": False,
          "progress": None, "workers": 1, "scheduler": None, "sums": None, "scenario": None}
    unknown = set(kwargs) - set(kw)
    if unknown:
        raise TypeError(f"forecast_table() got unexpected arguments: {', '.join(sorted(unknown))}")
    kw.update(kwargs)
    if kw["detail"] or kw["keep_samples"]:  # the full forecasts were asked for: their tables
        zf = forecast_zones(ledger, as_of, horizon, draws, seed, models, zones, **kw)
        tables = [f.table for f in zf.values()]
        return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame(columns=list(FORECAST_COLUMNS))
    _, _, _, zones, quarters, results = _simulate_all(ledger, as_of, horizon, draws, seed, models, zones,
                                                      **kw)
    return _tables(zones, quarters, [results[z][0] for z in zones])


def write_table(table: pd.DataFrame, path: Any) -> None:
    """Write a forecast table atomically as CSV or Parquet (by the extension)."""
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in (".csv", ".parquet", ".pq"):
        raise ForecastError(f"The output file must end in .csv or .parquet. Got: {path.name!r}")
    with atomic_path(path) as tmp:
        if ext == ".csv":
            table.to_csv(tmp, index=False, encoding="utf-8")
        else:
            table.to_parquet(tmp, index=False)
