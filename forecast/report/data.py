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
        This zone's rows of ``Backtest.forecasts`` / ``Backtest.scores``.
    models_source : str
        ``""`` when the models were fitted for this report, else the name of
        the saved model set used.
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
    models_source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def year(self) -> int:
        """The year the headline is about: the year of the first forecast
        quarter, unless the targets only cover the ``as_of`` year."""
        nxt = (self.as_of + 1).year
        tg = getattr(self.forecast, "targets", None)
        if tg is not None and len(tg) and "year" in tg:
            years = set(int(y) for y in tg["year"])
            if nxt not in years and self.as_of.year in years:
                return self.as_of.year
        return nxt
