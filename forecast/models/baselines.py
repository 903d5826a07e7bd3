"""The simple baselines every forecast is measured against (and blended with).

* ``seasonal_naive`` — the same quarter one year earlier; its quantiles add
  the empirical quantiles of the zone's past year-on-year changes (last five
  years), widened by √k for k years ahead;
* ``ets`` / ``ets_many`` — additive-error exponential smoothing with damped
  additive trend and additive quarterly seasonality, normal quantiles from its
  forecast variance; a shorter history falls back to simpler forms.

Each returns the mean and the quantiles at ``levels`` (the forecast table's
seven by default), floored at 0. The backtest scores them; the calibration
(:mod:`forecast.models.calibration`) blends them with the structural forecast.
"""

from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from .. import scoring
from ..vocab import QUANTILES


def seasonal_naive(y: np.ndarray, horizon: int, years: int = 5,
                   levels: Sequence[float] = QUANTILES) -> np.ndarray:
    """Seasonal-naive mean and quantiles: ``(horizon, 1 + len(levels))``
    (``(..., horizon, 1 + len(levels))`` for series ``(..., T)``).

    The point is the value of the same quarter in the last observed year; the
    quantiles add the empirical quantiles of the last ``years`` years of
    year-on-year changes (widened by √k for k years ahead), floored at 0.

    >>> seasonal_naive(np.array([1.0, 2, 3, 4, 2, 3, 4, 5]), 2)[:, 0].tolist()
    [2.0, 3.0]
    """
    y = np.asarray(y, dtype=float)
    if y.shape[-1] < 4:
        return np.full((*y.shape[:-1], horizon, 1 + len(levels)), np.nan)
    diffs = (y[..., 4:] - y[..., :-4])[..., -4 * years:]
    return _with_spread(scoring.seasonal_naive(y, horizon), diffs, horizon, levels)


def _with_spread(point: np.ndarray, errors: np.ndarray, horizon: int, levels: Sequence[float]) -> np.ndarray:
    """Point ``(..., horizon)`` and quantiles: the point plus the empirical
    quantiles of ``errors (..., n)`` widened by √(years ahead), floored at 0."""
    q = np.asarray(levels, dtype=float)
    if errors.shape[-1]:
        spread = np.moveaxis(np.quantile(errors, q, axis=-1), 0, -1)  # (..., L)
    else:
        spread = np.zeros((*errors.shape[:-1], len(q)))
    years_ahead = np.sqrt(np.arange(horizon) // 4 + 1)
    out = np.empty((*point.shape, 1 + len(q)))
    out[..., 0] = point
    out[..., 1:] = np.maximum(point[..., None] + years_ahead[:, None] * spread[..., None, :], 0.0)
    return out


def ets(y: np.ndarray, horizon: int, levels: Sequence[float] = QUANTILES) -> np.ndarray:
    """ETS mean and normal quantiles: ``(horizon, 1 + len(levels))``, floored at 0.

    Damped additive trend and additive seasonality with at least three years of
    history, seasonality alone with two, level alone below that.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    q = np.asarray(levels, dtype=float)
    y = pd.Series(np.asarray(y, dtype=float))
    n = len(y)
    out = np.full((horizon, 1 + len(q)), np.nan)
    if n < 4:
        return out
    if np.ptp(y.to_numpy()) == 0:  # a constant series (often all zeros): ETS cannot fit it
        out[:] = y.iloc[-1]
        return out
    spec: dict[str, Any] = {"error": "add"}
    if n >= 12:
        spec.update(trend="add", damped_trend=True, seasonal="add", seasonal_periods=4)
    elif n >= 8:
        spec.update(seasonal="add", seasonal_periods=4)
    with warnings.catch_warnings():
        # convergence chatter on short, flat series says nothing we act on
        warnings.simplefilter("ignore")
        res = ETSModel(y, **spec).fit(disp=False)
        pred = res.get_prediction(start=n, end=n + horizon - 1)
        mean = np.asarray(pred.predicted_mean, dtype=float)
        sd = np.sqrt(np.maximum(np.asarray(pred.forecast_variance, dtype=float), 0.0))
    out[:, 0] = np.maximum(mean, 0.0)
    out[:, 1:] = np.maximum(mean[:, None] + sd[:, None] * stats.norm.ppf(q)[None, :], 0.0)
    return out


def ets_many(y: np.ndarray, horizon: int, levels: Sequence[float] = QUANTILES) -> np.ndarray:
    """ETS baseline of many series of equal length at once: ``(S, T)`` →
    ``(S, horizon, 1 + len(levels))`` mean and normal quantiles, floored at 0.

    ETS(A,Ad,A) of ``forecast.models._ets`` (vectorised, the same model as
    statsmodels' ETSModel with damped additive trend and additive seasons);
    constant series repeat their value; series too short for it go through
    :func:`ets` one by one.
    """
    from ._ets import fit_ets, forecast_ets

    q = np.asarray(levels, dtype=float)
    y = np.atleast_2d(np.asarray(y, dtype=float))
    s, t = y.shape
    out = np.full((s, horizon, 1 + len(q)), np.nan)
    const = np.ptp(y, axis=1) == 0 if t else np.ones(s, dtype=bool)
    if t:
        out[const] = y[const, -1][:, None, None]
    ok = ~const & (t > 4 + 5)  # fit_ets needs more than a season plus five values
    if ok.any():
        mean, var = forecast_ets(fit_ets(y[ok], np.full(int(ok.sum()), t)), horizon)
        sd = np.sqrt(np.maximum(var, 0.0))
        out[ok, :, 0] = np.maximum(mean, 0.0)
        out[ok, :, 1:] = np.maximum(mean[..., None] + sd[..., None] * stats.norm.ppf(q), 0.0)
    for i in np.nonzero(~const & ~ok)[0]:
        out[i] = ets(y[i], horizon, levels)
    return out


def recent_mean(y: np.ndarray, horizon: int, years: int = 5,
                levels: Sequence[float] = QUANTILES) -> np.ndarray:
    """Mean of the last four quarters, with quantiles: ``(horizon, 1 + len(levels))``
    (``(..., horizon, 1 + len(levels))`` for series ``(..., T)``).

    The point is the mean of the last four observed quarters (no season: a
    level that one noisy quarter does not move); the quantiles add the
    empirical quantiles of the last ``years`` years of each quarter's
    departure from the mean of the four before it, widened by √k for k years
    ahead, floored at 0.

    >>> recent_mean(np.array([1.0, 2, 3, 4, 2, 3, 4, 5]), 2)[:, 0].tolist()
    [3.5, 3.5]
    """
    y = np.asarray(y, dtype=float)
    if y.shape[-1] < 4:
        return np.full((*y.shape[:-1], horizon, 1 + len(levels)), np.nan)
    window = np.lib.stride_tricks.sliding_window_view(y, 4, axis=-1)[..., :-1, :].mean(axis=-1)  # 4 before y[4:]
    dev = (y[..., 4:] - window)[..., -4 * years:]
    point = np.repeat(y[..., -4:].mean(axis=-1, keepdims=True), horizon, axis=-1)
    return _with_spread(point, dev, horizon, levels)
