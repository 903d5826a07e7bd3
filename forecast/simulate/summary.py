"""A zone's draws summarised: mean and quantiles of each metric and quarter,
as the rows of the forecast table (quantiles of the totals, never summed quantiles)."""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..scoring import inverted_cdf_index
from ..vocab import COUNT_METRICS, FORECAST_COLUMNS, METRICS, NEW_PREFIX, QUANTILES

#: Every metric of a zone's table: the totals, then the new-project allowance.
ALL_METRICS = METRICS + tuple(NEW_PREFIX + m for m in METRICS)


def _quantiles(x: np.ndarray, discrete: np.ndarray | None = None) -> np.ndarray:
    """``scoring.draw_quantiles(x, QUANTILES, discrete)`` of every column from one sort:
    five times faster on a zone's draws, where ``np.quantile`` partitions once
    per quantile. Columns flagged ``discrete`` (counts) take the inverted CDF,
    the others numpy's default linear method with its rounding."""
    s = np.sort(np.ascontiguousarray(x.T), axis=1)
    n = s.shape[1]
    pos = np.asarray(QUANTILES) * (n - 1)
    lo = np.floor(pos).astype(np.intp)
    hi = np.minimum(lo + 1, s.shape[1] - 1)
    t = pos - lo
    a, b = s[:, lo], s[:, hi]
    diff = b - a
    # numpy's lerp: from the nearer end, so that t = 1 gives b exactly
    out = np.where(t >= 0.5, b - diff * (1 - t), a + diff * t)
    if discrete is not None and discrete.any():
        out[discrete] = s[discrete][:, inverted_cdf_index(n, QUANTILES)]  # rows already sorted
    return out.T


def _summary(samples: Mapping[str, np.ndarray]) -> tuple[list[str], np.ndarray]:
    """Metric names and ``(1 + len(QUANTILES), metrics * H)``: the mean, then
    the quantiles, of each metric and quarter of one zone's draws."""
    names = [m for m in ALL_METRICS if m in samples] + [m for m in samples if m not in ALL_METRICS]
    parts = [np.asarray(samples[m], dtype=float) for m in names]
    stack = np.concatenate(parts, axis=1)
    discrete = np.concatenate([np.full(p.shape[1], m.removeprefix(NEW_PREFIX) in COUNT_METRICS)
                               for m, p in zip(names, parts)])
    return names, np.vstack([stack.mean(axis=0)[None, :], _quantiles(stack, discrete)])


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

