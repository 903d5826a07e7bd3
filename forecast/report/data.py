"""The inputs of every report section: :class:`ReportData`.

The report draws; it does not load, fit or simulate. ``forecast.run.load_report_data``
gathers a ``ReportData`` (the report notebook's single call into the forecasting
side) and the sections of :mod:`forecast.report.sections` only read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..exceptions import Problem

__all__ = ["ReportData"]


@dataclass
class ReportData:
    """The inputs of every report section (docs/DESIGN.md, "Reports").

    Attributes
    ----------
    zone_id, zone_name : str
    as_of : Period
        The last quarter of data.
    lang : {"zh", "en"}
    horizon, draws, seed : int
    forecast : ZoneForecast
        ``table``, ``targets``, ``risk``, ``history`` as in docs/DESIGN.md.
    pipeline : DataFrame
        This zone's ``aggregate.pipeline`` rows at the end of ``as_of``:
        ``stage``, ``projects``, ``planned_investment`` (万元).
    problems : tuple of Problem
        Warnings the loader found in this zone's rows.
    backtest_forecasts, backtest_scores : DataFrame or None
        This zone's rows of ``Backtest.forecasts`` / ``Backtest.scores`` (the
        track record's quarterly backtest, several origins, horizons 1..4).
    track_probabilities : DataFrame or None
        ``forecast.run.track.PROBABILITY_COLUMNS`` of every zone: past target
        probabilities and whether each target was met.
    calibration : DataFrame or None
        ``Calibration.summary()`` of the model set used: what the self-calibration
        blended in (None: not calibrated).
    models_source : str
        ``""`` when the models were fitted for this report, else the name of
        the saved model set used.
    rates_now : DataFrame or None
        ``ledger.rates.rates`` rows of this zone for the year of ``as_of``, at its end.
    last_rates, last_result : DataFrame or None
        When ``as_of`` is a Q4 or the next Q1: the rates of the year just ended
        at 31 December, and ``year_end.year_result`` (each target, actual, share).
    batches_done : DataFrame or None
        ``year_end.quarter_batches`` of ``as_of``: 三个一批 of the quarter.
    """

    zone_id: str
    zone_name: str
    as_of: pd.Period
    lang: str
    horizon: int
    draws: int
    seed: int
    forecast: Any
    pipeline: pd.DataFrame
    problems: tuple[Problem, ...] = ()
    backtest_forecasts: pd.DataFrame | None = None
    backtest_scores: pd.DataFrame | None = None
    track_probabilities: pd.DataFrame | None = None
    calibration: pd.DataFrame | None = None
    models_source: str = ""
    rates_now: pd.DataFrame | None = None
    last_rates: pd.DataFrame | None = None
    last_result: pd.DataFrame | None = None
    batches_done: pd.DataFrame | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def year(self) -> int:
        """The year the report is about: the year of the first forecast quarter
        (a Q4 report looks at the next year and states how its own year ended)."""
        return (self.as_of + 1).year
