"""Monte Carlo of every project of a zone at ``as_of``: draws → ``ZoneForecast``.

Each draw advances every project through the horizon with the fitted models —
stage transitions and cancellation (``CompletionModel.sample_paths``), then
investment spend given those paths (``SpendModel.sample_investment``), then
output given the production dates (``OutputModel.sample_output``); each model
draws its own parameter uncertainty. Projects registered after ``as_of`` come
from ``ArrivalsModel.sample`` and are kept apart as the ``new_`` allowance. The
draws of one zone are made by ``forecast.models.draws.zone_draws``; this module
schedules the zones and adds targets, risk and the tables.

Zone totals are summed over projects *within each draw* and only then turned
into a mean and quantiles (never a sum of quantiles).

Randomness: a zone's draws come from ``numpy.random.SeedSequence`` built from
``seed`` and a stable hash (BLAKE2b) of the zone id, so a zone's numbers do not
depend on which other zones run or in which order; a zone's projects are taken in
``project_id`` order in chunks of ``chunk_size`` (each chunk its own child
sequence), which bounds memory at ``draws × chunk_size × horizon`` per array.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from ._io import atomic_path
from .exceptions import ForecastError
from .models.draws import zone_draws, zone_seed  # noqa: F401  (zone_seed: part of this module's API)
from .periods import DAYS_PER_MONTH, next_quarters, quarter, quarter_end
from .risk import risk_table, unit_board
from .targets import TARGET_COLUMNS, target_probabilities
from .year_end import YearEnd, add_tallies
from .vocab import FORECAST_COLUMNS, METRICS, NEW_PREFIX, QUANTILES

#: Every metric of a zone's table: the totals, then the new-project allowance.
ALL_METRICS = METRICS + tuple(NEW_PREFIX + m for m in METRICS)
#: Longest horizon the simulator accepts (quarters).
MAX_HORIZON = 16


@dataclass
class ZoneForecast:
    """One zone's forecast: the table, target probabilities, risk list, history.

    Attributes
    ----------
    zone_id, zone_name : str
    as_of : Period
    horizon, draws, seed : int
    table : DataFrame
        ``vocab.FORECAST_COLUMNS``; metrics ``METRICS`` (zone totals, existing
        projects plus new ones) and ``new_`` + METRICS (the new-project allowance).
    targets : DataFrame
        ``targets.TARGET_COLUMNS`` for the years the horizon covers.
    risk : DataFrame
        ``risk.RISK_COLUMNS``, most likely first.
    board : DataFrame
        ``risk.BOARD_COLUMNS``: the 龙虎榜 per 责任单位.
    history : DataFrame
        ``aggregate.quarterly`` rows of this zone up to ``as_of``.
    samples : dict
        Metric (as in ``table``) → ``(draws, horizon)`` zone totals, for any
        further question (e.g. a year's total); empty when not kept.
    paths_summary : DataFrame or None
        Per project: probabilities of each event within the horizon and the
        expected investment over it.
    """

    zone_id: str
    zone_name: str
    as_of: pd.Period
    horizon: int
    draws: int
    seed: int
    table: pd.DataFrame
    targets: pd.DataFrame
    risk: pd.DataFrame
    history: pd.DataFrame
    board: pd.DataFrame = field(default_factory=pd.DataFrame)
    samples: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    paths_summary: pd.DataFrame | None = field(default=None, repr=False)
    #: ``year_end.YEAR_END_COLUMNS``: the rates at the end of the first forecast
    #: quarter's year, from the draws (None when the horizon stops earlier).
    year_end: pd.DataFrame | None = None
    #: ``year_end.BATCH_COLUMNS``: next quarter's 三个一批 from the draws.
    batches: pd.DataFrame | None = None
    #: The window (quarters) over which ``risk`` measures lateness and cancellation.
    risk_quarters: int = 4

    @property
    def quarters(self) -> pd.PeriodIndex:
        """The forecast quarters."""
        return next_quarters(self.as_of, self.horizon)

    def metric(self, name: str) -> pd.DataFrame:
        """The rows of one metric, indexed by period."""
        return self.table.loc[self.table["metric"] == name].set_index("period")


# --- one zone -----------------------------------------------------------------------
def _project_probs(chunk: pd.DataFrame, paths: Any, inv: np.ndarray, end: pd.Timestamp,
                   window: int) -> pd.DataFrame:
    """Per-project probabilities from one chunk's paths (see ``risk.risk_table``).

    Lateness is measured against the plan, within the risk ``window`` (months):
    ``p_late`` = P(completion after the planned date) and ``months_late`` the
    expected months between the planned date and completion, completion past
    the window counted at the window's end (so a lower bound); an overdue
    project is late for certain and its months late start at its months
    overdue. The same for the start (``p_late_start``, ``months_late_start``)
    against ``planned_start_date`` when the chunk has it. NaN where the plan
    falls after the window.
    """
    h_months = 3.0 * paths.horizon
    m = paths.months

    def late(event: np.ndarray, planned: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(invalid="ignore"):
            at = np.minimum(event, window)  # NaN stays NaN: the event already happened
            p = (event > planned[None, :]).mean(axis=0)
            months = np.clip(at - planned[None, :], 0.0, None).mean(axis=0)
        ok = np.isfinite(planned) & (planned <= window)
        return np.where(ok, p, np.nan), np.where(ok, months, np.nan)

    planned_c = ((chunk["planned_completion_date"] - end).dt.days / DAYS_PER_MONTH).to_numpy(float)
    p_late, months_late = late(m["completion_date"], planned_c)
    if "planned_start_date" in chunk:
        planned_s = ((chunk["planned_start_date"] - end).dt.days / DAYS_PER_MONTH).to_numpy(float)
        p_late_start, months_late_start = late(m["start_date"], planned_s)
    else:
        p_late_start = months_late_start = np.full(len(chunk), np.nan)
    # comparisons with NaN (already happened) and inf (not within horizon) are False
    with np.errstate(invalid="ignore"):
        p_cancel = (m["cancelled_date"] < window).mean(axis=0)
        p_start_w = (m["start_date"] < window).mean(axis=0)
        inside = {ev: (m[ev] < h_months).mean(axis=0) for ev in
                  ("start_date", "completion_date", "production_date", "cancelled_date")}
    return pd.DataFrame(
        {
            "project_id": chunk["project_id"].to_numpy(),
            "p_cancel": p_cancel,
            "p_no_start": 1.0 - p_start_w,
            "p_late": p_late,
            "months_late": months_late,
            "p_late_start": p_late_start,
            "months_late_start": months_late_start,
            "p_start_horizon": inside["start_date"],
            "p_complete_horizon": inside["completion_date"],
            "p_produce_horizon": inside["production_date"],
            "p_cancel_horizon": inside["cancelled_date"],
            "expected_investment": inv.sum(axis=2).mean(axis=0),
        }
    )


#: What ``simulate_zone`` returns for the probabilities when not asked for (one
#: shared empty frame: building one per zone cost a millisecond).
#: With every column, so a zone without projects flows through the risk list
#: like any other (it failed with KeyError 'p_late').
_NO_PROBS = pd.DataFrame({"project_id": pd.Series(dtype=object)} | {
    c: pd.Series(dtype=float) for c in ("p_cancel", "p_no_start", "p_late", "months_late", "p_late_start",
                                        "months_late_start", "p_start_horizon",
                                        "p_complete_horizon", "p_produce_horizon", "p_cancel_horizon",
                                        "expected_investment")})


def simulate_zone(
    models: Any,
    cut: Any,
    projects: pd.DataFrame,
    zone_id: str,
    horizon: int,
    draws: int,
    seed: int,
    chunk_size: int = 2000,
    risk_quarters: int = 4,
    with_probs: bool = True,
    scenario: Any = None,
    year_end: YearEnd | None = None,
) -> tuple[dict[str, np.ndarray], pd.DataFrame, dict[str, np.ndarray]]:
    """Draws of one zone's totals, existing and new projects apart.

    Parameters
    ----------
    models : fitted ModelSet
    cut : Ledger at ``as_of``
    projects : DataFrame
        The zone's rows of ``cut.projects`` to simulate (already sorted).
    scenario : optional
        A bound scenario (``forecast.scenario``): its ``split(zone_id,
        projects)`` returns the projects simulated as usual and those
        simulated apart, each on its own stream (``models.draws.Separate``).

    year_end : YearEnd, optional
        Tally the year-end rates and next quarter's 三个一批 from each chunk's paths.

    Returns
    -------
    (samples, probs, tallies)
        ``samples``: every name of ``ALL_METRICS`` → ``(draws, horizon)``; the
        plain metrics are existing + new. ``probs``: per-project probabilities
        (empty unless ``with_probs``). ``tallies``: ``YearEnd.tally`` summed
        over the zone's projects (empty without ``year_end``).
    """
    window = 3.0 * min(risk_quarters, horizon)
    probs: list[pd.DataFrame] = []
    end = quarter_end(cut.cut)

    tallies: dict[str, np.ndarray] = {}

    def keep_probs(chunk: pd.DataFrame, paths: Any, inv: np.ndarray) -> None:
        if with_probs:
            probs.append(_project_probs(chunk, paths, inv, end, window))
        if year_end is not None:
            add_tallies(tallies, year_end.tally(chunk, paths))

    separate: list[Any] = []
    if scenario is not None:
        projects, separate = scenario.split(zone_id, projects)
    samples = zone_draws(models, cut, projects, zone_id, horizon, draws, seed, chunk_size,
                         keep_probs if with_probs or year_end is not None else None, separate)
    prob = pd.concat(probs, ignore_index=True) if probs else _NO_PROBS
    return samples, prob, tallies


def _quantiles(x: np.ndarray) -> np.ndarray:
    """``np.quantile(x, QUANTILES, axis=0)`` (the default, linear method, with
    its rounding) from one sort: five times faster on a zone's draws, where
    ``np.quantile`` partitions once per quantile."""
    s = np.sort(np.ascontiguousarray(x.T), axis=1)
    pos = np.asarray(QUANTILES) * (s.shape[1] - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, s.shape[1] - 1)
    t = pos - lo
    a, b = s[:, lo], s[:, hi]
    diff = b - a
    # numpy's lerp: from the nearer end, so that t = 1 gives b exactly
    out = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    return out.T


def _summary(samples: Mapping[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """Metric names and ``(1 + len(QUANTILES), metrics * H)``: the mean, then
    the quantiles, of each metric and quarter of one zone's draws."""
    names = [m for m in ALL_METRICS if m in samples] + [m for m in samples if m not in ALL_METRICS]
    stack = np.concatenate([np.asarray(samples[m], dtype=float) for m in names], axis=1)
    return names, np.vstack([stack.mean(axis=0)[None, :], _quantiles(stack)])


def _tables(zone_ids: list[str], quarters: pd.PeriodIndex,
            summaries: list[tuple[list[str], np.ndarray]]) -> pd.DataFrame:
    """The forecast-table rows of many zones from their ``_summary`` at once
    (one frame: building one per zone cost more than summarising its draws)."""
    h = len(quarters)
    if not zone_ids:
        return pd.DataFrame(columns=list(FORECAST_COLUMNS))
    periods = quarters.astype(str).to_numpy()
    sizes = [len(names) * h for names, _ in summaries]
    # four decimals (1 元 of 万元, a ten-thousandth of a project): the draws are
    # summed in float32, whose last digits would print as noise (20429.08955078125)
    values = np.round(np.concatenate([v for _, v in summaries], axis=1), 4)
    data = {
        "zone_id": np.repeat(np.asarray(zone_ids, dtype=object), sizes),
        "period": np.tile(periods, sum(sizes) // h),
        "metric": np.concatenate([np.repeat(np.asarray(names, dtype=object), h) for names, _ in summaries]),
    }
    for col, row in zip(FORECAST_COLUMNS[3:], values):
        data[col] = row
    return pd.DataFrame(data, columns=list(FORECAST_COLUMNS))


def summarise(zone_id: str, quarters: pd.PeriodIndex, samples: Mapping[str, np.ndarray]) -> pd.DataFrame:
    """The forecast-table rows of one zone from its draws: mean and quantiles
    of each metric and quarter (quantiles of the totals, never summed quantiles).

    >>> s = {"investment": np.arange(20.0).reshape(10, 2)}
    >>> t = summarise("z", pd.period_range("2024Q1", periods=2, freq="Q"), s)
    >>> t[["period", "mean", "p50"]].values.tolist()
    [['2024Q1', 9.0, 9.0], ['2024Q2', 10.0, 10.0]]
    """
    return _tables([zone_id], quarters, [_summary(samples)])


# --- every zone -----------------------------------------------------------------------
@dataclass
class _Job:
    """Everything a worker needs to simulate zones (inherited through fork)."""

    models: Any
    cut: Any
    by_zone: dict[str, pd.DataFrame]
    empty: pd.DataFrame
    horizon: int
    draws: int
    seed: int
    chunk_size: int
    risk_quarters: int
    quarters: pd.PeriodIndex
    detail: bool
    keep_samples: bool
    #: Group accumulators (``rollup.GroupSums``) the zones' draws are added to, or None.
    sums: Any = None
    #: A bound scenario (``forecast.scenario``), or None.
    scenario: Any = None
    #: What the year-end rates are tallied against (with ``detail``), or None.
    year_end: YearEnd | None = None

    def run(self, zone_id: str, sums: Any = None
            ) -> tuple[str, tuple[Any, dict[str, np.ndarray], pd.DataFrame | None]]:
        samples, probs, tallies = simulate_zone(
            self.models, self.cut, self.by_zone.get(zone_id, self.empty), zone_id, self.horizon,
            self.draws, self.seed, self.chunk_size, self.risk_quarters, with_probs=self.detail,
            scenario=self.scenario,
            year_end=self.year_end if self.detail else None,
        )
        if sums is not None:  # summed where the zone ran; only the group totals travel
            sums.add(zone_id, samples)
        table = _summary(samples)  # the frame is built in the parent, all zones at once
        # targets need the draws; otherwise only the summary crosses the process boundary
        keep = {k: v.astype(np.float32) for k, v in samples.items()} if (
            self.keep_samples or self.detail) else {}
        return zone_id, (table, keep, probs if self.detail else None, tallies)


_JOB: _Job | None = None  # the job a forked worker inherits


def run_zones(job: _Job, zones: list[str]) -> tuple[list[tuple[str, Any]], Any]:
    """Simulate ``zones`` (in a worker): their results, and their draws summed
    into a fresh accumulator of the job's groups (None without roll-ups)."""
    sums = job.sums.empty() if job.sums is not None else None
    with threadpool_limits(1):
        return [job.run(z, sums) for z in zones], sums


def _run_batch(zones: list[str]) -> tuple[list[tuple[str, Any]], Any]:
    assert _JOB is not None  # set before the pool forks
    return run_zones(_JOB, zones)


#: A zone's fixed cost in the simulator, in projects (what a zone costs beyond its projects).
_ZONE_COST = 15


def cost_of(job: _Job, zones: list[str]) -> dict[str, float]:
    """Each zone's cost in the simulator (its live projects plus a fixed part)."""
    return {z: _ZONE_COST + len(job.by_zone.get(z, job.empty)) for z in zones}


def _batches(zones: list[str], cost: Mapping[str, float], workers: int) -> list[list[str]]:
    """Zones in batches for a pool, the costliest first: each batch about a
    sixteenth of a worker's share, so that the small zones at the end even out
    the workers' loads (zone sizes are heavy-tailed: a few zones have 20 times
    the median's projects)."""
    order = sorted(zones, key=lambda z: -cost[z])
    target = sum(cost.values()) / (16 * workers)
    out: list[list[str]] = []
    size = target
    for z in order:
        if size >= target or len(out[-1]) >= 50:
            out.append([])
            size = 0.0
        out[-1].append(z)
        size += cost[z]
    return out


def _map_zones(job: _Job, zones: list[str], workers: int,
               progress: Callable[[int], Any] | None, scheduler: str | None = None) -> Any:
    """Yield ``(zone_id, result)`` for every zone, serially in order, with a
    pool of forked workers in the order they finish (the job is inherited,
    not pickled), or on the Dask cluster at ``scheduler`` (``forecast.cluster``).
    The zones' draws are summed into ``job.sums`` as they come.

    BLAS runs on one thread while zones are simulated: the matrices are small,
    and on a busy two-core machine a second BLAS thread made a 60 × 60
    eigendecomposition 40 times slower (52 ms against 1.2 ms); one thread also
    keeps the numbers the same for any number of workers."""
    global _JOB
    if scheduler:
        from . import cluster  # dask is imported only when a cluster is asked for

        batches = _batches(zones, cost_of(job, zones), cluster.worker_count(scheduler))
        yield from cluster.map_zones(job, batches, scheduler, run_zones, progress)
        return
    if workers <= 1 or len(zones) < 2:
        # one limit for the run (setting it looks up every loaded library: 2 ms)
        with threadpool_limits(1):
            for z in zones:
                yield job.run(z, job.sums)
                if progress is not None:
                    progress(1)
        return
    import multiprocessing as mp

    # One zone runs here first: it builds the per-cut arrays the models keep
    # (models/_cutcache.py) and compiles the kernels, which the forked workers
    # then inherit rather than each building its own. A zone of middling size
    # does that as well as a big one, sooner.
    cost = cost_of(job, zones)
    first = sorted(zones, key=cost.__getitem__)[len(zones) // 2]
    with threadpool_limits(1):
        result = job.run(first, job.sums)
    yield result
    if progress is not None:
        progress(1)
    batches = _batches([z for z in zones if z != first], cost, workers)
    _JOB = job
    try:
        with mp.get_context("fork").Pool(workers) as pool:
            for batch, sums in pool.imap_unordered(_run_batch, batches):
                if sums is not None:
                    job.sums.merge(sums)
                yield from batch
                if progress is not None:
                    progress(len(batch))
    finally:
        _JOB = None


def _prepare(ledger: Any, as_of: str | pd.Period, horizon: int, draws: int,
             models: Any, zones: list[str] | None) -> tuple[pd.Period, Any, Any, list[str]]:
    q = quarter(as_of)
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
        from .models.modelset import ModelSet

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


def _simulate_all(ledger: Any, as_of: str | pd.Period, horizon: int, draws: int, seed: int, models: Any,
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
        from .risk import planned_starts

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
        ledger, as_of, horizon, draws, seed, models, zones, chunk_size, risk_quarters, detail,
        keep_samples, progress, workers, scheduler, sums, scenario)
    horizon, draws = int(horizon), int(draws)
    names = cut.zones.set_index("zone_id")["name"].astype(str).to_dict()
    table_all = _tables(zones, quarters, [results[z][0] for z in zones])
    ends = np.cumsum([len(results[z][0][0]) * horizon for z in zones])

    history = risk = board = None
    if detail:
        from .ledger.aggregate import quarterly

        history = quarterly(cut)
        probs = pd.concat([r[2] for r in results.values()], ignore_index=True)
        spend_curve = getattr(models.spend_, "expected_share", None)
        risk = risk_table(cut, probs, q, spend_curve if callable(spend_curve) else None)
        board = unit_board(risk)
        targets = cut.targets
        year_end = YearEnd.for_cut(cut, horizon)
        if year_end is not None:
            from .ledger.rates import rates

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
    from .ledger.rates import plan_rows

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
