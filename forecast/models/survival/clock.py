"""Calendar month clock and seasonal operational time of the stage-transition model.

Each calendar month-of-year ``m`` runs at speed ``s_m`` (mean 1 over the year);
the operational duration of ``[x0, x0 + t]`` is linear in ``s``
(``exposure(x0, x0 + t) @ s``), which keeps the likelihood's gradient exact.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def month_clock(dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Continuous month index: 2000-01-01 is 0, 2000-02-01 is 1, and the day
    runs linearly inside its month. NaT gives NaN.

    Working on this clock makes month-of-year boundaries exact; a duration on
    it differs from days / 30.4375 by at most a day or two.
    """
    values = pd.DatetimeIndex(dates).values
    days = values.astype("datetime64[D]").astype(np.int64)
    nat = np.isnat(values)
    out = None
    if values.size > 4096 and not nat.all():
        # Ledger dates repeat (period ends, ceremony days): when the span of
        # days is shorter than the list, each day is computed once.
        lo, hi = days[~nat].min(), days[~nat].max()
        if hi - lo < values.size:
            out = _clock_of_days(np.arange(lo, hi + 1))[np.clip(days - lo, 0, hi - lo)]
    if out is None:
        out = _clock_of_days(days)
    out[nat] = np.nan
    return out


def _clock_of_days(days: np.ndarray) -> np.ndarray:
    """:func:`month_clock` of days since 1970-01-01, by numpy's calendar units
    (NaT's garbage is masked by the caller)."""
    d = days.astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    day = (d - first).astype(np.int64)  # 0-based day of the month
    length = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    return (month.astype(np.int64) - 360).astype("float64") + day / length  # 2000-01 is month 360


def exposure(x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Time spent in each month-of-year between ``x0`` and ``x1``: ``(n, 12)``."""
    m = np.arange(12.0)

    def cum(x: np.ndarray) -> np.ndarray:
        return np.floor(x / 12.0)[:, None] + np.clip(np.mod(x, 12.0)[:, None] - m, 0.0, 1.0)

    return cum(x1) - cum(x0)


def op_clock(x: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Operational clock under monthly speeds ``s`` (mean 1): 12 per year.

    ``s`` may carry leading axes (one set of speeds per parameter draw) that
    broadcast against ``x``'s leading axes.
    """
    x = np.asarray(x, dtype="float64")
    s = np.asarray(s, dtype="float64")
    knots = np.concatenate([np.zeros(s.shape[:-1] + (1,)), np.cumsum(s, axis=-1)], axis=-1)
    y = np.mod(x, 12.0)
    j = np.minimum(np.floor(y).astype(np.int64), 11)
    if s.ndim == 1:
        inside = knots[j] + (y - j) * s[j]
    else:
        shape = np.broadcast_shapes(x.shape, s.shape[:-1] + (1,))
        jj = np.broadcast_to(j, shape).reshape(s.shape[:-1] + (-1,))
        kn = np.take_along_axis(knots, jj, axis=-1).reshape(shape)
        sp = np.take_along_axis(s, jj, axis=-1).reshape(shape)
        inside = kn + (np.broadcast_to(y, shape) - np.broadcast_to(j, shape)) * sp
    return 12.0 * np.floor(x / 12.0) + inside


def op_inverse(o: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Calendar month clock at operational clock ``o`` (inverse of :func:`op_clock`)."""
    knots = np.concatenate([[0.0], np.cumsum(s)])
    knots[-1] = 12.0
    # An infinite operational time ("never") stays infinite; without the mask
    # ``inf mod 12`` is NaN and warns (invalid value in remainder).
    o = np.asarray(o, dtype="float64")
    fin = np.isfinite(o)
    of = np.where(fin, o, 0.0)
    y = np.mod(of, 12.0)
    return np.where(fin, (of - y) + np.interp(y, knots, np.arange(13.0)), o)


def speeds(theta: np.ndarray) -> np.ndarray:
    """Monthly speeds from free parameters: ``12 * softmax(theta)`` (mean 1)."""
    e = np.exp(theta - theta.max(axis=-1, keepdims=True))
    return 12.0 * e / e.sum(axis=-1, keepdims=True)

