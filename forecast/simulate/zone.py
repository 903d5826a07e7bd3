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
from ..periods import DAYS_PER_MONTH, next_quarters, quarter_end
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
