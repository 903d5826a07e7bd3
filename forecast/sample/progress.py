"""Monthly progress rows (完成投资, 产值) built with numpy, no loop over months.

Each project gets one row per month it spends or produces. Spending follows an
S-curve (a Beta CDF over the share of the would-be construction time elapsed)
times the monthly seasonal factors and lumpy noise, scaled so a project that
finishes spends exactly planned × overrun; a project cancelled under
construction stops spending on its cancellation day. Output follows the ramp
1 − exp(−t/τ) after 投产, times monthly seasonality and noise, until
``output_track_months`` after full production.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import betainc

from .clock import CAL_MONTH, DAYS_PER_MONTH, MONTH_START, month_of
from .truth import GroundTruth


@dataclass
class Rows:
    """Progress rows in project order, then month order."""

    project: np.ndarray  # position of the project in the arrays given
    month: np.ndarray  # month index since 1970-01
    investment: np.ndarray  # 万元, NaN = not under construction that month
    output: np.ndarray  # 万元, NaN = not producing that month


def _expand(first: np.ndarray, last: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One row per (project, month) for months first..last inclusive."""
    count = np.maximum(last - first + 1, 0)
    project = np.repeat(np.arange(len(first)), count)
    offset = np.cumsum(count) - count
    month = first[project] + np.arange(count.sum()) - offset[project]
    return project, month


def spend_rows(rng: np.random.Generator, truth: GroundTruth, start: np.ndarray, build_end: np.ndarray,
               stop: np.ndarray, total: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly spending of each project over its whole construction.

    Parameters
    ----------
    start, build_end : first and last day of the (would-be) construction; NaN = never started.
    stop : last day of spending (the cancellation day, else ``build_end``).
    total : what a finished project spends in all (planned × overrun).

    Returns
    -------
    (project, month, investment) arrays, months up to ``stop``.
    """
    began = np.isfinite(start)
    s = np.where(began, start, 0.0)
    e = np.where(began, build_end, 0.0)
    first = np.where(began, month_of(s), 0)
    last = np.where(began, month_of(e), -1)
    p, k = _expand(first, last)
    a, b = truth.spend_beta
    length = e[p] + 1.0 - s[p]
    lo = np.maximum(MONTH_START[k], s[p])
    u0 = (lo - s[p]) / length
    u1 = (np.minimum(MONTH_START[k + 1], e[p] + 1.0) - s[p]) / length
    season = np.asarray(truth.spend_season, float)[CAL_MONTH[k]]
    noise = np.exp(truth.spend_noise_sigma * rng.standard_normal(len(p)))
    # Rows are contiguous per project, so the curve at a month's start is the
    # curve at the previous row's end: one Beta CDF evaluation per row.
    f1 = betainc(a, b, u1)
    first_row = np.r_[True, p[1:] != p[:-1]]
    f0 = np.where(first_row, 0.0, np.roll(f1, 1))
    weight = (f1 - f0) * season * noise
    scale = np.bincount(p, weights=weight, minlength=len(start))
    # Cancellation truncates the curve but not the scale: the money not spent is lost.
    stop_p = np.where(began, stop, 0.0)[p]
    cut = stop_p + 1.0 < np.minimum(MONTH_START[k + 1], e[p] + 1.0)
    f1c = f1.copy()
    f1c[cut] = betainc(a, b, np.clip((stop_p[cut] + 1.0 - s[p][cut]) / length[cut], u0[cut], 1.0))
    inv = (f1c - f0) * season * noise / scale[p] * total[p]
    ok = k <= month_of(stop_p)
    return p[ok], k[ok], inv[ok]


def output_rows(rng: np.random.Generator, truth: GroundTruth, production: np.ndarray, track_end: np.ndarray,
                capacity: np.ndarray, tau: np.ndarray, first_month: int, last_month: int,
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Monthly output of each producing project from 投产 to the end of tracking.

    Only months ``first_month..last_month`` are built. Returns (project, month, output).
    """
    on = np.isfinite(production)
    prod = np.where(on, production, 0.0)
    stop = np.where(on, track_end, 0.0)
    first = np.where(on, np.maximum(month_of(prod), first_month), 0)
    last = np.where(on, np.minimum(month_of(stop), last_month), -1)
    p, k = _expand(first, last)
    t0 = (np.maximum(MONTH_START[k], prod[p]) - prod[p]) / DAYS_PER_MONTH
    t1 = (np.minimum(MONTH_START[k + 1], stop[p] + 1.0) - prod[p]) / DAYS_PER_MONTH
    tp = tau[p]
    # Months of production at capacity within the month: the integral of the ramp.
    ramp = (t1 - t0) - tp * (np.exp(-t0 / tp) - np.exp(-t1 / tp))
    season = np.asarray(truth.output_season, float)[CAL_MONTH[k]]
    sig = truth.output_noise_sigma
    noise = np.exp(sig * rng.standard_normal(len(p)) - 0.5 * sig * sig)  # mean one
    return p, k, capacity[p] / 12.0 * ramp * season * noise


def merge(spend: tuple[np.ndarray, ...], output: tuple[np.ndarray, ...],
          first_month: int, last_month: int) -> Rows:
    """Join spending and output rows on (project, month) inside the window."""
    months = last_month - first_month + 1
    keys, values = [], []
    for p, k, v in (spend, output):
        inside = (k >= first_month) & (k <= last_month)
        keys.append(p[inside].astype(np.int64) * months + (k[inside] - first_month))
        values.append(np.round(v[inside], 2))
    # Both inputs are sorted by (project, month): a stable sort merges the two runs.
    key = np.concatenate(keys)
    order = np.argsort(key, kind="stable")
    key = key[order]
    row = np.cumsum(np.r_[True, key[1:] != key[:-1]]) - 1
    uniq = key[np.r_[True, key[1:] != key[:-1]]]
    split = len(keys[0])
    investment = np.full(len(uniq), np.nan)
    output_value = np.full(len(uniq), np.nan)
    from_spend = order < split
    investment[row[from_spend]] = values[0][order[from_spend]]
    output_value[row[~from_spend]] = values[1][order[~from_spend] - split]
    return Rows(uniq // months, uniq % months + first_month, investment, output_value)
