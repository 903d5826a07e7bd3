"""Tables across zones: which zones will miss their targets, which projects slip.

Built from the zones' forecasts (``forecast.simulate.forecast_zones``), one
row per zone and target metric, or one per project at risk, so that the
zones can be sorted against each other (the batch's old ``summary.csv`` packed
them into one string per zone).
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from .exceptions import ForecastError
from .periods import quarter
from .risk import ranked
from .scoring import draw_quantiles
from .vocab import COUNT_METRICS, METRICS

#: Columns of :func:`targets_table`.
TARGETS_COLUMNS = ("zone_id", "zone_name", "year", "metric", "target", "done", "expected", "p10", "p50",
                   "p90", "p_meet", "gap")


def year_totals(zf: Any, metric: str, year: int) -> np.ndarray:
    """Each draw's total of ``metric`` in ``year``: what the ledger shows up to
    ``as_of`` plus the simulated quarters of the year (万元 or projects)."""
    hist = zf.history
    done = 0.0
    if len(hist) and metric in hist:
        hq = pd.PeriodIndex(hist["quarter"], freq="Q-DEC")
        done = float(hist.loc[(hq.year == year) & (hq <= zf.as_of), metric].sum())
    inside = np.asarray(zf.quarters.year) == year
    return np.asarray(zf.samples[metric], dtype=float)[:, inside].sum(axis=1) + done


def default_year(as_of: pd.Period) -> int:
    """The year a table looks at: the current one, or the next after a Q4 cut.

    >>> default_year(quarter("2025Q3")), default_year(quarter("2025Q4"))
    (2025, 2026)
    """
    return as_of.year if as_of.quarter < 4 else as_of.year + 1


def horizon_for(as_of: pd.Period, year: int) -> int:
    """Quarters from ``as_of`` to the end of ``year``.

    >>> horizon_for(quarter("2025Q4"), 2026), horizon_for(quarter("2025Q2"), 2025)
    (4, 2)
    """
    n = (pd.Period(f"{int(year)}Q4", "Q-DEC") - as_of).n
    if n < 1:
        raise ForecastError(f"The year {year} has ended by {as_of}: choose a later year.")
    return int(n)


def targets_table(forecasts: Mapping[str, Any], year: int) -> pd.DataFrame:
    """One row per zone and target metric of ``year``: the target, what is done
    by ``as_of``, the year's total (mean, p10, p50, p90), the probability of
    meeting the target and the expected gap (expected − target).

    Rows are in metric order, the least likely to meet its target first.

    Parameters
    ----------
    forecasts : mapping
        zone_id → ``ZoneForecast`` with draws kept (``keep_samples``) and
        targets computed (``detail``), horizon reaching the end of ``year``.
    year : int
    """
    rows = []
    for z, zf in forecasts.items():
        t = zf.targets
        if t is None or not len(t):
            continue
        for r in t.loc[t["year"] == year].itertuples(index=False):
            totals = year_totals(zf, r.metric, year)
            p10, p50, p90 = draw_quantiles(totals, [0.10, 0.50, 0.90], r.metric in COUNT_METRICS)
            rows.append({"zone_id": z, "zone_name": zf.zone_name, "year": int(year), "metric": r.metric,
                         "target": float(r.target), "done": float(r.actual_to_date),
                         "expected": float(totals.mean()), "p10": p10, "p50": p50, "p90": p90,
                         "p_meet": float(r.p_meet), "gap": float(totals.mean()) - float(r.target)})
    out = pd.DataFrame(rows, columns=list(TARGETS_COLUMNS))
    if out.empty:
        return out
    order = {m: i for i, m in enumerate(METRICS)}
    out = out.assign(_m=out["metric"].map(order).fillna(len(order)))
    out = out.sort_values(["_m", "p_meet", "gap", "zone_id"], kind="stable").drop(columns="_m")
    return out.reset_index(drop=True)


def zones_at_risk(forecasts: Mapping[str, Any], year: int, metric: str = "investment") -> pd.DataFrame:
    """The zones by their chance of meeting ``metric``'s target in ``year``,
    the least likely first (ties: the largest shortfall first), ranked from 1."""
    t = targets_table(forecasts, year)
    t = t.loc[t["metric"] == metric].reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    return t


def risk_list(forecasts: Mapping[str, Any], zone: str | None = None) -> pd.DataFrame:
    """The projects at risk across zones (``ZoneForecast.risk`` of each), with
    the zone's name, in the reports' order (:func:`forecast.risk.ranked`: the
    longest expected delays first, cancellations last), so that one zone's
    rows read as in its report."""
    frames = []
    for z, zf in forecasts.items():
        if zone is not None and z != zone:
            continue
        r = zf.risk
        if r is None or not len(r):
            continue
        r = r.copy()
        if "zone_id" not in r:
            r.insert(0, "zone_id", z)
        r.insert(1, "zone_name", zf.zone_name)
        frames.append(r)
    if not frames:
        return pd.DataFrame()
    return ranked(pd.concat(frames, ignore_index=True))


__all__ = ["TARGETS_COLUMNS", "default_year", "horizon_for", "risk_list", "targets_table", "year_totals",
           "zones_at_risk"]
