"""Scores: each checked against a closed form or a case built to give a known value."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from forecast.exceptions import ForecastError
from forecast.scoring import (
    crps_from_quantiles,
    crps_from_samples,
    interval_coverage,
    mase,
    mase_scale,
    pinball_loss,
    seasonal_naive,
)
from forecast.vocab import QUANTILES


def normal_crps(y: float, mu: float, sigma: float) -> float:
    """Closed-form CRPS of N(mu, sigma^2) (Gneiting & Raftery 2007)."""
    z = (y - mu) / sigma
    return sigma * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def test_seasonal_naive_repeats_last_season() -> None:
    hist = np.array([[1.0, 2, 3, 4, 5, 6, 7, 8]])
    assert seasonal_naive(hist, 6).tolist() == [[5.0, 6.0, 7.0, 8.0, 5.0, 6.0]]


def test_mase_of_seasonal_naive_on_a_steady_seasonal_trend_is_one() -> None:
    # every seasonal difference is 2, in sample and out of sample, so the naive
    # forecast errs by exactly the scale at every step of the first year
    t = np.arange(16, dtype=float)
    y = 0.5 * t + np.tile([0.0, 3.0, 1.0, 5.0], 4)
    hist, actual = y[:12], y[12:]
    assert mase_scale(hist) == pytest.approx(2.0)
    assert mase(actual, seasonal_naive(hist, 4), hist) == pytest.approx(1.0)
    assert mase(actual, actual, hist) == 0.0


def test_mase_scale_is_nan_when_undefined() -> None:
    assert np.isnan(mase_scale(np.ones(10)))
    assert np.isnan(mase_scale(np.arange(3.0)))


def test_interval_coverage_matches_nominal_for_a_true_interval() -> None:
    rng = np.random.default_rng(11)
    y = rng.normal(size=20_000)
    cov, n = interval_coverage(y, stats.norm.ppf(0.1), stats.norm.ppf(0.9))
    assert n == 20_000
    # binomial sd of the share is 0.0028; allow 4 sd
    assert abs(cov - 0.8) < 0.012


def test_pinball_loss_is_minimised_at_the_true_quantile() -> None:
    rng = np.random.default_rng(3)
    y = rng.exponential(size=50_000)
    grid = np.linspace(0.5, 4.0, 351)
    loss = pinball_loss(y[:, None], np.broadcast_to(grid, (y.size, grid.size))[..., None], [0.9])
    best = grid[np.argmin(loss[..., 0].mean(axis=0))]
    assert best == pytest.approx(-np.log(0.1), abs=0.05)


@pytest.mark.parametrize("y", [-2.0, 0.0, 0.7, 3.0])
def test_crps_from_samples_matches_the_normal_closed_form(y: float) -> None:
    rng = np.random.default_rng(5)
    draws = rng.normal(1.0, 2.0, size=40_000)
    assert crps_from_samples(np.array(y), draws) == pytest.approx(normal_crps(y, 1.0, 2.0), rel=0.02)


@pytest.mark.parametrize("y", [-2.0, 0.0, 0.7, 3.0])
def test_crps_from_many_quantiles_matches_the_normal_closed_form(y: float) -> None:
    levels = np.linspace(0.005, 0.995, 199)
    q = stats.norm.ppf(levels, 1.0, 2.0)
    assert crps_from_quantiles(np.array(y), q, levels) == pytest.approx(normal_crps(y, 1.0, 2.0), rel=0.02)


def test_crps_from_table_quantiles_ranks_a_calibrated_forecast_first() -> None:
    rng = np.random.default_rng(8)
    y = rng.normal(size=5_000)
    true_q = stats.norm.ppf(QUANTILES)
    good = crps_from_quantiles(y, np.broadcast_to(true_q, (y.size, 7))).mean()
    wide = crps_from_quantiles(y, np.broadcast_to(3 * true_q, (y.size, 7))).mean()
    biased = crps_from_quantiles(y, np.broadcast_to(true_q + 1.0, (y.size, 7))).mean()
    assert good < wide and good < biased
    # the seven-level approximation stays within 5% of the exact expected CRPS
    # (E[CRPS] of N(0, 1) for y ~ N(0, 1) is 1/sqrt(pi): E|X-Y| - E|X-X'|/2)
    assert good == pytest.approx(1 / np.sqrt(np.pi), rel=0.05)


def test_bad_inputs_raise() -> None:
    with pytest.raises(ForecastError, match="same shape"):
        mase(np.zeros(3), np.zeros(4), np.arange(10.0))
    with pytest.raises(ForecastError, match="at least 4"):
        seasonal_naive(np.zeros(3), 2)
    with pytest.raises(ForecastError, match="levels must increase"):
        crps_from_quantiles(np.zeros(1), np.zeros((1, 2)), [0.5, 0.4])
