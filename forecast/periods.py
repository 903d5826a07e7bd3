"""Quarters and periods: parsing ``2024Q3`` / ``2024-03`` and their boundaries.

A quarter is a ``pandas.Period`` with frequency ``Q-DEC``; its string form is
``2024Q3``, the spelling of SCHEMA.md.
"""

from __future__ import annotations

import functools
import re

import pandas as pd

from .exceptions import ForecastError


#: Time units (DESIGN.md): a duration in months is days / 30.4375, the mean
#: Gregorian month, so twelve of them make a mean year of 365.25 days.
DAYS_PER_MONTH = 30.4375
DAYS_PER_QUARTER = 3 * DAYS_PER_MONTH

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[Qq]\s*([1-4])\s*$")
_MONTH_RE = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*$")


def months_between(start: pd.Series | pd.Timestamp, end: pd.Series | pd.Timestamp) -> pd.Series | float:
    """Months (days / 30.4375) from ``start`` to ``end``; NaN where either is NaT."""
    delta = end - start
    if isinstance(delta, pd.Series):
        return delta.dt.days.astype("float64") / DAYS_PER_MONTH
    return float("nan") if pd.isna(delta) else delta.days / DAYS_PER_MONTH


def quarter(value: str | pd.Period | pd.Timestamp) -> pd.Period:
    """Return the quarter ``value`` names or falls in.

    >>> str(quarter("2024Q3"))
    '2024Q3'
    >>> str(quarter(pd.Timestamp("2024-02-10")))
    '2024Q1'
    """
    if isinstance(value, pd.Period):
        return value.asfreq("Q-DEC") if value.freqstr != "Q-DEC" else value
    if isinstance(value, pd.Timestamp):
        return value.to_period("Q-DEC")
    if isinstance(value, str):
        m = _QUARTER_RE.match(value)
        if m:
            return pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq="Q-DEC")
    raise ForecastError(f"A quarter must be written like '2024Q3'. Got: {value!r}")


@functools.lru_cache(maxsize=256)  # the simulator asks once per zone; pandas dates cost 0.3 ms
def quarter_end(q: str | pd.Period) -> pd.Timestamp:
    """Last day of a quarter (midnight), the as-of cut-off date."""
    return quarter(q).end_time.normalize()


def quarter_start(q: str | pd.Period) -> pd.Timestamp:
    """First day of a quarter."""
    return quarter(q).start_time


def quarter_range(start: str | pd.Period, end: str | pd.Period) -> pd.PeriodIndex:
    """All quarters from ``start`` to ``end`` inclusive."""
    return pd.period_range(quarter(start), quarter(end), freq="Q-DEC")


@functools.lru_cache(maxsize=256)  # an immutable index, asked for once per zone
def next_quarters(as_of: str | pd.Period, horizon: int) -> pd.PeriodIndex:
    """The ``horizon`` quarters after ``as_of``."""
    q = quarter(as_of)
    return pd.period_range(q + 1, q + horizon, freq="Q-DEC")


def parse_period(value: str) -> pd.Period | None:
    """Parse a progress/indicator period: ``YYYY-MM`` (monthly) or ``YYYYQn``.

    Returns ``None`` when the text is neither, so callers can report the row.
    """
    if not isinstance(value, str):
        return None
    m = _QUARTER_RE.match(value)
    if m:
        return pd.Period(year=int(m.group(1)), quarter=int(m.group(2)), freq="Q-DEC")
    m = _MONTH_RE.match(value)
    if m and 1 <= int(m.group(2)) <= 12:
        return pd.Period(year=int(m.group(1)), month=int(m.group(2)), freq="M")
    return None


def parse_quarter_range(text: str) -> pd.PeriodIndex:
    """Parse ``2020Q4:2024Q4`` into the quarters it spans."""
    try:
        start, end = text.split(":")
    except ValueError as err:
        raise ForecastError(
            f"A quarter range must be written like '2020Q4:2024Q4'. Got: {text!r}"
        ) from err
    return quarter_range(start, end)
