"""One zone's Monte Carlo: its draws, per-project probabilities and ``ZoneForecast``.

``simulate_zone`` draws one zone's totals (existing and new projects apart)
through ``forecast.models.draws.zone_draws`` and, from each chunk's paths, the
per-project probabilities the risk list ranks (``_project_probs``) and the
year-end tallies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..models.draws import zone_draws
from ..models.survival.clock import month_clock
from ..periods import next_quarters, quarter_end
from ..year_end import YearEnd, add_tallies

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



def _lateness(event: np.ndarray, planned: np.ndarray, window: float, end: float,
              beyond: np.ndarray | None = None, cancelled: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p_late, months_late, censored)`` of an event against its plan (months
    after the cut; see :func:`_project_probs`), NaN where the plan falls after
    ``window``. Each draw's delay runs to its event, or to ``end`` (the paths'
    last month) when the draw has none by then; ``beyond`` holds event months
    drawn past ``end`` (NaN where none), used unless the draw is ``cancelled``
    (a month) within the paths. ``censored`` is the share of draws whose delay
    is only known to exceed its figure (no event by ``end`` and none beyond)."""
    out = np.full((3, planned.size), np.nan)
    ok = np.flatnonzero(np.isfinite(planned) & (planned <= window))
    if ok.size == 0:
        return out[0], out[1], out[2]
    # only the projects with a plan in the window: most of a chunk has none
    ev, due = event[:, ok], planned[ok][None, :]
    with np.errstate(invalid="ignore"):
        at = ev  # NaN: the event already happened
        if beyond is not None:
            past = np.isinf(ev) & np.isfinite(beyond[:, ok])
            if cancelled is not None:  # a cancelled draw never completes
                past &= ~(cancelled[:, ok] < np.inf)
            at = np.where(past, beyond[:, ok], ev)
        open_ = np.isinf(at)
        out[0, ok] = np.count_nonzero(ev > due, axis=0) / len(ev)
        late = np.where(open_, np.float32(end), at) - due.astype(np.float32)
        out[1, ok] = np.maximum(late, 0.0, out=late).mean(axis=0)
        out[2, ok] = np.count_nonzero(open_, axis=0) / len(ev)
    return out[0], out[1], out[2]


def _project_probs(chunk: pd.DataFrame, paths: Any, inv: np.ndarray, end: pd.Timestamp,
                   window: int) -> pd.DataFrame:
    """Per-project probabilities from one chunk's paths (see ``risk.risk_table``).

    Lateness is measured against the plan, for plans up to the end of the risk
    ``window`` (months; NaN for later plans): ``p_late`` = P(completion after
    the planned date) and ``months_late`` the expected months between the
    planned date and completion. A delay is not cut at the window's end (a
    project due then would show 0 months late however likely it is late): it
    runs to the completion the paths draw, past their horizon too
    (``extras["completion_any"]``) unless the draw is cancelled first; a
    draw with no completion is counted to the paths' end, and
    ``months_late_censored`` is the share of such draws (the figure is a
    lower bound by their unknown rest). An overdue project is late for
    certain and its months late start at its months overdue. The same for
    the start (``p_late_start``, ``months_late_start``,
    ``months_late_start_censored``; no start is drawn past the horizon)
    against ``planned_start_date`` when the chunk has it.
    """
    h_months = 3.0 * paths.horizon
    m = paths.months

    day = pd.Timedelta(days=1)
    x0 = month_clock(pd.DatetimeIndex([end + day]))[0]

    def due(col: str) -> np.ndarray:
        # The end of the planned day on the paths' month clock: the models put
        # on-time completions at the plan itself (an event there is not late),
        # and a plan on the window's last day is inside it, in a leap year too
        # (days / 30.4375 put 2024-12-31 at 12.02 months after 2023Q4).
        return month_clock(chunk[col] + day) - x0

    p_late, months_late, cens = _lateness(m["completion_date"], due("planned_completion_date"), window,
                                          h_months, paths.extras.get("completion_any"), m["cancelled_date"])
    if "planned_start_date" in chunk:
        planned_s = due("planned_start_date")
        p_late_start, months_late_start, cens_start = _lateness(m["start_date"], planned_s, window,
                                                                 h_months)
    else:
        p_late_start = months_late_start = cens_start = np.full(len(chunk), np.nan)
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
            "months_late_censored": cens,
            "p_late_start": p_late_start,
            "months_late_start": months_late_start,
            "months_late_start_censored": cens_start,
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
    c: pd.Series(dtype=float) for c in ("p_cancel", "p_no_start", "p_late", "months_late",
                                        "months_late_censored", "p_late_start", "months_late_start",
                                        "months_late_start_censored", "p_start_horizon",
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
