"""Forecast scores: MASE against seasonal naive, interval coverage, pinball loss, CRPS.

Small, dependency-free (numpy) helpers shared by the indicator baselines, the
output model checks and the backtest. Every function takes plain arrays, works
along the last axis, and ignores nothing silently: a NaN actual gives a NaN score
for that row, and the averaging helpers say which rows they dropped by returning
the count they used.

Conventions
-----------
* ``history`` is the series the forecast was made from (oldest first); the MASE
  scale is the mean absolute seasonal difference of that history (Hyndman &
  Koehler 2006), so a score of 1 means "as good in sample as repeating last
  year's value".
* Quantile levels default to the forecast table's ``vocab.QUANTILES``.
* Coverage of a count. For an integer actual the plain closed-interval
  coverage (:func:`interval_coverage`) is biased upwards: small counts often
  sit exactly on a predicted quantile, and every such tie counts as covered
  even by a perfectly calibrated forecast. The honest figure is the expected
  coverage under the non-randomised PIT of Czado, Gneiting & Held (2009,
  "Predictive model assessment for count data", Biometrics 65): with
  predictive CDF F, the PIT of an integer y is uniform on [F(y−1), F(y)], and
  the central interval of probability ``level`` covers y with probability
  |[F(y−1), F(y)] ∩ [α, 1−α]| / (F(y) − F(y−1)), α = (1 − level) / 2
  (:func:`pit_coverage`). F comes from the draws
  (:func:`pit_bounds_from_samples`) or from a few quantiles
  (:func:`quantile_cdf`, :func:`pit_bounds_from_quantiles`). For a continuous
  forecast of a count, [F(y − ½), F(y + ½)] is the mass it puts on the values
  that round to y; for an integer-valued forecast it is exactly
  [F(y−1), F(y)], so one rule serves both. For a continuous actual the bounds
  are [F(y⁻), F(y)], which differ only where the forecast has an atom (e.g.
  at zero), and the coverage equals the plain one otherwise.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .exceptions import ForecastError
from .vocab import QUANTILES

__all__ = [
    "seasonal_naive",
    "mase_scale",
    "mase",
    "interval_coverage",
    "quantile_cdf",
    "pit_bounds_from_quantiles",
    "pit_bounds_from_samples",
    "pit_coverage",
    "pinball_loss",
    "crps_from_quantiles",
    "crps_from_samples",
]


def draw_quantiles(x: np.ndarray, levels: Sequence[float], discrete: bool = False, axis: int = 0) -> np.ndarray:
    """Quantiles of draws along ``axis`` (levels first in the result).

    Continuous draws use numpy's default (linear) quantiles. Draws of a count
    (``discrete``) use the inverted CDF: the smallest drawn value whose share
    of draws at or below it reaches the level, so an interval for a number of
    projects reads "3–6", never "2.9–6" (a value no draw took).

    >>> x = np.array([2.0, 3, 3, 4, 6, 6, 6, 7, 9, 10])
    >>> draw_quantiles(x, [0.1, 0.5, 0.9]).tolist(), draw_quantiles(x, [0.1, 0.5, 0.9], True).tolist()
    ([2.9, 6.0, 9.1], [2.0, 6.0, 9.0])
    """
    x = np.asarray(x, dtype=float)
    if not discrete:
        return np.quantile(x, levels, axis=axis)
    s = np.sort(np.moveaxis(x, axis, 0), axis=0)
    return s[inverted_cdf_index(s.shape[0], levels)]


def inverted_cdf_index(n: int, levels: Sequence[float]) -> np.ndarray:
    """Positions in ``n`` sorted draws of their inverted-CDF quantiles at ``levels``.

    >>> inverted_cdf_index(300, [0.1, 0.5]).tolist()
    [29, 149]
    """
    # 1e-9: n·level computed in floats (0.1 × 300 = 30.000000000000004) must not skip a draw
    return np.clip(np.ceil(np.asarray(levels, dtype=float) * n - 1e-9).astype(np.intp) - 1, 0, n - 1)


def seasonal_naive(history: np.ndarray, horizon: int, m: int = 4) -> np.ndarray:
    """Forecast each of the next ``horizon`` periods by the value one season earlier.

    Parameters
    ----------
    history : array, shape (..., T)
        Past values, oldest first; ``T >= m``.
    horizon : int
    m : int
        Season length (4 for quarters).

    Returns
    -------
    ndarray, shape (..., horizon)

    Examples
    --------
    >>> seasonal_naive(np.array([1.0, 2, 3, 4, 5, 6]), 3).tolist()
    [3.0, 4.0, 5.0]
    """
    y = np.asarray(history, dtype=float)
    if y.shape[-1] < m:
        raise ForecastError(f"seasonal_naive needs at least {m} past values. Got: {y.shape[-1]}")
    last = y[..., -m:]
    idx = np.arange(horizon) % m
    return last[..., idx]


def mase_scale(history: np.ndarray, m: int = 4) -> np.ndarray:
    """Mean absolute ``m``-step difference of ``history`` (NaNs skipped).

    Returns NaN for a series with fewer than ``m + 1`` values or a constant one
    (the scale is zero and MASE undefined).

    >>> float(mase_scale(np.array([1.0, 2, 3, 4, 2, 3, 4, 5])))
    1.0
    """
    y = np.asarray(history, dtype=float)
    if y.shape[-1] <= m:
        return np.full(y.shape[:-1], np.nan)
    d = np.abs(y[..., m:] - y[..., :-m])
    ok = ~np.isnan(d)
    n = ok.sum(axis=-1)
    # nanmean without its all-NaN warning: a series with no complete pair is NaN
    s = np.where(n > 0, np.where(ok, d, 0.0).sum(axis=-1) / np.maximum(n, 1), np.nan)
    return np.where(s > 0, s, np.nan)


def mase(actual: np.ndarray, forecast: np.ndarray, history: np.ndarray, m: int = 4) -> np.ndarray:
    """Mean absolute scaled error of ``forecast`` for ``actual`` (last axis = horizon).

    Parameters
    ----------
    actual, forecast : array, shape (..., H)
    history : array, shape (..., T)
        The data the forecast was made from; gives the scale.

    Returns
    -------
    ndarray, shape (...)
        Mean over the horizon of ``|actual - forecast| / mase_scale(history)``.

    Examples
    --------
    >>> h = np.array([1.0, 2, 3, 4, 2, 3, 4, 5])
    >>> float(mase(np.array([3.0, 4.0]), np.array([3.0, 6.0]), h))
    1.0
    """
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    if a.shape != f.shape:
        raise ForecastError(f"actual and forecast must have the same shape. Got: {a.shape}, {f.shape}")
    return np.mean(np.abs(a - f), axis=-1) / mase_scale(history, m)


def interval_coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[float, int]:
    """Share of the non-missing ``actual`` values inside ``[lower, upper]``.

    Returns
    -------
    (coverage, n) : the share and how many values it is over.

    >>> interval_coverage(np.array([1.0, 5.0, np.nan]), np.zeros(3), np.full(3, 2.0))
    (0.5, 2)
    """
    a = np.asarray(actual, dtype=float)
    lo = np.broadcast_to(np.asarray(lower, dtype=float), a.shape)
    hi = np.broadcast_to(np.asarray(upper, dtype=float), a.shape)
    ok = ~np.isnan(a)
    n = int(ok.sum())
    if n == 0:
        return float("nan"), 0
    inside = (a[ok] >= lo[ok]) & (a[ok] <= hi[ok])
    return float(inside.mean()), n


def quantile_cdf(
    x: np.ndarray, quantiles: np.ndarray, levels: Sequence[float] = QUANTILES, *, left: bool = False
) -> np.ndarray:
    """The predictive CDF ``F(x)`` implied by a few quantiles.

    The quantile function is taken as linear between the given levels and
    extended linearly to levels 0 and 1 with the slope of the outermost
    segments; ``F`` is its inverse. Equal quantiles make an atom: with
    ``p05 = p10 = 0`` the forecast puts at least 10% on zero. ``left=True``
    gives the left limit ``F(x⁻)`` (without the atom at ``x``).

    Parameters
    ----------
    x : array, shape (...)
    quantiles : array, shape (..., K), non-decreasing along the last axis
    levels : K increasing levels in (0, 1)

    Returns
    -------
    ndarray, shape (...), in [0, 1]

    >>> q = np.array([0.0, 0, 1, 1, 2, 3, 3])
    >>> np.round(quantile_cdf(np.array([-0.5, 0.0, 0.5, 1.0, 3.0]), q), 3).tolist()
    [0.0, 0.1, 0.175, 0.5, 1.0]
    >>> float(quantile_cdf(np.array(0.0), q, left=True))
    0.0
    """
    tau = np.asarray(levels, dtype=float)
    q = np.asarray(quantiles, dtype=float)
    if q.shape[-1] != tau.size or tau.size < 2:
        raise ForecastError(f"quantiles must have {tau.size} (at least 2) values on the last axis. Got: {q.shape}")
    if np.any(np.diff(tau) <= 0) or tau[0] <= 0 or tau[-1] >= 1:
        raise ForecastError(f"levels must increase strictly inside (0, 1). Got: {list(tau)}")
    first = q[..., :1] - (q[..., 1:2] - q[..., :1]) * tau[0] / (tau[1] - tau[0])
    last = q[..., -1:] + (q[..., -1:] - q[..., -2:-1]) * (1 - tau[-1]) / (tau[-1] - tau[-2])
    knots = np.concatenate([first, q, last], axis=-1)
    t = np.concatenate([[0.0], tau, [1.0]])
    lo, hi = knots[..., :-1], knots[..., 1:]  # segment k runs from level t[k] to t[k + 1]
    width = hi - lo
    xx = np.asarray(x, dtype=float)[..., None]
    frac = np.where(width > 0, np.clip((xx - lo) / np.where(width > 0, width, 1.0), 0.0, 1.0), 1.0)
    reached = xx > lo if left else xx >= lo
    return np.where(reached, t[:-1] + np.diff(t) * frac, 0.0).max(axis=-1)


def pit_bounds_from_quantiles(
    actual: np.ndarray, quantiles: np.ndarray, levels: Sequence[float] = QUANTILES,
    integer: bool | np.ndarray = True,
) -> tuple[np.ndarray, np.ndarray]:
    """The non-randomised PIT interval ``(lo, hi)`` of each actual under the
    CDF of :func:`quantile_cdf`: ``[F(y − ½), F(y + ½)]`` where ``integer``
    (the mass on the values that round to ``y``), ``[F(y⁻), F(y)]`` elsewhere.

    >>> lo, hi = pit_bounds_from_quantiles(np.array(1.0), np.array([0.0, 0, 1, 1, 2, 3, 3]))
    >>> round(float(lo), 3), round(float(hi), 3)
    (0.175, 0.625)
    """
    y = np.asarray(actual, dtype=float)
    half = np.where(integer, 0.5, 0.0)
    return (quantile_cdf(y - half, quantiles, levels, left=True),
            quantile_cdf(y + half, quantiles, levels))


def pit_bounds_from_samples(
    actual: np.ndarray, samples: np.ndarray, integer: bool | np.ndarray = True
) -> tuple[np.ndarray, np.ndarray]:
    """The non-randomised PIT interval ``(lo, hi)`` of each actual under the
    empirical distribution of ``samples`` (last axis = draws): the shares of
    draws below ``y − ½`` and at most ``y + ½`` where ``integer`` (for integer
    draws, ``[F(y−1), F(y)]``), below ``y`` and at most ``y`` elsewhere.

    >>> [float(b) for b in pit_bounds_from_samples(np.array(1.0), np.array([0.0, 1, 1, 2]))]
    [0.25, 0.75]
    """
    x = np.asarray(samples, dtype=float)
    y = np.asarray(actual, dtype=float)[..., None]
    half = np.asarray(np.where(integer, 0.5, 0.0))[..., None]
    return np.mean(x < y - half, axis=-1), np.mean(x <= y + half, axis=-1)


def pit_coverage(lo: np.ndarray, hi: np.ndarray, level: float) -> np.ndarray:
    """Probability that the central ``level`` interval covers the actual, given
    its PIT interval ``[lo, hi]``: the share of ``[lo, hi]`` inside
    ``[α, 1 − α]``, α = (1 − level) / 2 (Czado, Gneiting & Held 2009). A point
    PIT (``lo == hi``, a continuous forecast) gives 1 inside, 0 outside; NaN
    bounds give NaN.

    >>> np.round(pit_coverage(np.array([0.0, 0.3, 0.95]), np.array([0.2, 0.3, 1.0]), 0.8), 6).tolist()
    [0.5, 1.0, 0.0]
    """
    if not 0 < level < 1:
        raise ForecastError(f"level must be inside (0, 1). Got: {level}")
    a, b = round(0.5 - level / 2.0, 12), round(0.5 + level / 2.0, 12)  # 0.1, not 0.0999…
    lo = np.asarray(lo, dtype=float)
    hi = np.asarray(hi, dtype=float)
    width = hi - lo
    part = np.clip(np.minimum(hi, b) - np.maximum(lo, a), 0.0, None)
    point = ((lo >= a) & (lo <= b)).astype(float)
    out = np.where(width > 1e-12, part / np.where(width > 1e-12, width, 1.0), point)
    return np.where(np.isnan(lo) | np.isnan(hi), np.nan, out)


def pinball_loss(actual: np.ndarray, quantiles: np.ndarray, levels: Sequence[float] = QUANTILES) -> np.ndarray:
    """Quantile (pinball) loss of each predicted quantile.

    Parameters
    ----------
    actual : array, shape (...)
    quantiles : array, shape (..., K)
        Predicted quantiles at ``levels``.

    Returns
    -------
    ndarray, shape (..., K)

    >>> np.round(pinball_loss(np.array(2.0), np.array([1.0, 3.0]), [0.1, 0.9]), 6).tolist()
    [0.1, 0.1]
    """
    tau = np.asarray(levels, dtype=float)
    q = np.asarray(quantiles, dtype=float)
    if q.shape[-1] != tau.size:
        raise ForecastError(f"quantiles must have {tau.size} values on the last axis. Got: {q.shape}")
    diff = np.asarray(actual, dtype=float)[..., None] - q
    return np.maximum(tau * diff, (tau - 1.0) * diff)


def crps_from_quantiles(
    actual: np.ndarray, quantiles: np.ndarray, levels: Sequence[float] = QUANTILES
) -> np.ndarray:
    """CRPS approximated from a few predictive quantiles.

    CRPS equals twice the pinball loss integrated over all levels in (0, 1); the
    integral is approximated by giving each level the share of (0, 1) nearest to
    it (midpoints between neighbouring levels; the outer cells run to 0 and 1).
    With the seven levels of the forecast table the approximation is coarse in
    the tails, so compare models on the same levels only.

    Returns
    -------
    ndarray, shape (...) in the units of ``actual``.

    >>> float(crps_from_quantiles(np.array(0.0), np.zeros(7)))
    0.0
    """
    tau = np.asarray(levels, dtype=float)
    if np.any(np.diff(tau) <= 0) or tau[0] <= 0 or tau[-1] >= 1:
        raise ForecastError(f"levels must increase strictly inside (0, 1). Got: {list(tau)}")
    edges = np.concatenate([[0.0], (tau[1:] + tau[:-1]) / 2.0, [1.0]])
    w = np.diff(edges)
    return 2.0 * np.sum(pinball_loss(actual, quantiles, tau) * w, axis=-1)


def crps_from_samples(actual: np.ndarray, samples: np.ndarray) -> np.ndarray:
    """Exact CRPS of the empirical distribution of ``samples`` (last axis = draws).

    Uses ``E|X - y| - E|X - X'| / 2`` with the sorted-sample identity for the
    second term, so it costs a sort, not a square.

    Parameters
    ----------
    actual : array, shape (...)
    samples : array, shape (..., D)

    >>> round(float(crps_from_samples(np.array(0.0), np.array([-1.0, 1.0]))), 6)
    0.5
    """
    x = np.sort(np.asarray(samples, dtype=float), axis=-1)
    y = np.asarray(actual, dtype=float)[..., None]
    d = x.shape[-1]
    term1 = np.mean(np.abs(x - y), axis=-1)
    # E|X - X'| = 2 / D^2 * sum_i (2i - D - 1) x_(i) for sorted x (i = 1..D)
    i = np.arange(1, d + 1)
    term2 = 2.0 / d**2 * np.sum((2 * i - d - 1) * x, axis=-1)
    return term1 - 0.5 * term2
