"""Cumulative-within-year figures (累计值) to per-period figures.

Statistical offices publish monthly figures as year-to-date totals, with January
and February reported together (no January row). Per-period values are the
differences within each calendar year; the first period of a year keeps its
cumulative value (so a February row that follows no January row carries
January + February). A decrease is returned for the caller to report.
"""

from __future__ import annotations

import pandas as pd


def decumulate(
    df: pd.DataFrame,
    keys: list[str],
    cumulative: str = "cumulative_value",
    out: str = "value",
    period_end: str = "period_end",
    by_year: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Turn year-to-date totals into per-period values.

    Parameters
    ----------
    df : rows with ``keys``, a ``period_end`` timestamp and the cumulative column.
    keys : columns identifying one series (e.g. ``["zone_id", "metric"]``).
    by_year : totals restart every calendar year (statistics' 累计值); ``False``
        for totals over a series' whole life (a project's 累计完成投资).

    Returns
    -------
    (frame, decreases) : ``frame`` is ``df`` with ``out`` added (rows keep their
        order and index); ``decreases`` holds the rows whose cumulative value fell
        below the previous period's of the same year (their index is the row's).

    Examples
    --------
    >>> d = pd.DataFrame({"k": ["a"] * 3, "period_end": pd.to_datetime(
    ...     ["2024-02-29", "2024-03-31", "2025-02-28"]), "cumulative_value": [10.0, 25.0, 8.0]})
    >>> decumulate(d, ["k"])[0]["value"].tolist()
    [10.0, 15.0, 8.0]
    """
    # Without yearly restarts every row shares one "year", so the same code serves.
    year = df[period_end].dt.year if by_year else pd.Series(0, index=df.index)
    order = df.assign(_year=year).sort_values([*keys, "_year", period_end])
    prev = order.groupby([*keys, "_year"], sort=False, dropna=False)[cumulative].shift(1)
    # A missing cumulative value leaves the next period's difference relative to
    # the last reported total, so no money is lost or double counted.
    prev = prev.groupby([order[k] for k in keys] + [order["_year"]], dropna=False).ffill()
    value = order[cumulative] - prev.fillna(0.0)
    value = value.where(order[cumulative].notna())
    result = df.copy()
    result[out] = value.reindex(df.index)
    decreases = result.loc[result[out] < 0]
    return result, decreases
