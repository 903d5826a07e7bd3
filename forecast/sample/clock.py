"""Time on the generator's grid: days since 1970-01-01, months of 30.4375 days.

Events happen on a *seasonal clock*: a duration drawn in months is spent at a
pace that changes with the calendar month (slow around Spring Festival, fast
in March for starts, in June and December for completions). Over a whole year
the pace averages one, so long durations keep their length while the events
they end bunch in the fast months.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ..periods import DAYS_PER_MONTH

#: The grid spans 1970-01 .. 2399-12; month k starts on day MONTH_START[k].
MONTH_START = (
    np.arange("1970-01", "2400-01", dtype="datetime64[M]").astype("datetime64[D]").astype(np.int64)
)
MONTH_LENGTH = np.diff(np.append(MONTH_START, MONTH_START[-1] + 31))
CAL_MONTH = np.arange(len(MONTH_START)) % 12  # 0 = January


def month_of(day: np.ndarray) -> np.ndarray:
    """Month index (months since 1970-01) of integer or float days."""
    return np.searchsorted(MONTH_START, np.floor(day), side="right") - 1


def month_index(year: int, month: int = 1) -> int:
    """Month index of a calendar month."""
    return (year - 1970) * 12 + month - 1


def day_index(year: int, month: int = 1, day: int = 1) -> int:
    """Days since 1970-01-01 of a calendar date."""
    return int(MONTH_START[month_index(year, month)]) + day - 1


def quarter_of(day: np.ndarray) -> np.ndarray:
    """Calendar quarter 0..3 of days."""
    return CAL_MONTH[month_of(day)] // 3


@lru_cache(maxsize=32)
def _cumulative(pace: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    rate = np.asarray(pace, float)[CAL_MONTH] / DAYS_PER_MONTH  # clock months per day
    cum = np.concatenate([[0.0], np.cumsum(rate * MONTH_LENGTH)])
    return cum, rate


def advance(day: np.ndarray, months: np.ndarray, pace: tuple[float, ...]) -> np.ndarray:
    """The day when ``months`` of clock time have passed after ``day``.

    ``pace`` gives the clock's rate per calendar month (mean 1). NaN in, NaN out.
    """
    cum, rate = _cumulative(tuple(pace))
    day = np.asarray(day, float)
    ok = np.isfinite(day) & np.isfinite(months)
    out = np.full(day.shape, np.nan)
    d = day[ok]
    k = month_of(d)
    target = cum[k] + rate[k] * (d - MONTH_START[k]) + months[ok]
    j = np.minimum(np.searchsorted(cum, target, side="right") - 1, len(rate) - 1)
    out[ok] = MONTH_START[j] + (target - cum[j]) / rate[j]
    return out


def to_datetime(day: np.ndarray) -> np.ndarray:
    """Integer-valued float days (NaN = none) as ``datetime64[ns]`` (NaT = none)."""
    day = np.asarray(day, float)
    out = np.full(day.shape, np.datetime64("NaT"), dtype="datetime64[ns]")
    ok = np.isfinite(day)
    out[ok] = day[ok].astype(np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    return out
