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
    pit_bounds_from_quantiles,
    pit_bounds_from_samples,
    pit_coverage,
    quantile_cdf,
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


def poisson_case(seed: int, n: int = 4000, draws: int = 1000, overdispersed: bool = False):
    """Rows with Poisson means of 0.5–5 (the size of a zone's quarterly counts):
    the forecast draws from Poisson(mean); the actual from the same Poisson, or
    from a negative binomial with the same mean and three times the variance
    (so the forecast is too narrow)."""
    rng = np.random.default_rng(seed)
    lam = rng.uniform(0.5, 5.0, n)
    x = rng.poisson(lam[:, None], (n, draws)).astype(float)
    y = (rng.negative_binomial(lam / 2, 1 / 3) if overdispersed else rng.poisson(lam)).astype(float)
    return y, x, np.quantile(x, QUANTILES, axis=1).T


def test_pit_coverage_of_a_calibrated_count_forecast_is_nominal_where_closed_is_not() -> None:
    y, x, q = poisson_case(seed=21)
    # binomial sd of a share of 4000 is at most 0.008; allow about 3 sd
    for level, (i, j) in ((0.8, (1, 5)), (0.5, (2, 4))):
        cov = pit_coverage(*pit_bounds_from_samples(y, x), level).mean()
        assert abs(cov - level) < 0.025
        # the seven stored quantiles give nearly the same (interpolation costs ~0.01-0.02)
        assert abs(pit_coverage(*pit_bounds_from_quantiles(y, q), level).mean() - level) < 0.035
        # the closed interval [p10, p90] counts every tie as a hit: visibly above nominal
        closed, n = interval_coverage(y, q[:, i], q[:, j])
        assert n == y.size and closed > level + 0.06


def test_pit_coverage_of_a_too_narrow_count_forecast_is_well_below_nominal() -> None:
    y, x, q = poisson_case(seed=22, overdispersed=True)
    assert pit_coverage(*pit_bounds_from_samples(y, x), 0.8).mean() < 0.7
    assert pit_coverage(*pit_bounds_from_quantiles(y, q), 0.8).mean() < 0.7
    assert pit_coverage(*pit_bounds_from_quantiles(y, q), 0.5).mean() < 0.42


def test_pit_bounds_of_integer_draws_are_the_cdf_at_y_minus_one_and_y() -> None:
    rng = np.random.default_rng(4)
    x = rng.poisson(2.0, (50, 300)).astype(float)
    y = rng.poisson(2.0, 50).astype(float)
    lo, hi = pit_bounds_from_samples(y, x)
    np.testing.assert_allclose(lo, (x <= y[:, None] - 1).mean(axis=1))
    np.testing.assert_allclose(hi, (x <= y[:, None]).mean(axis=1))
    # a continuous actual (integer=False) has a point PIT, the share of draws <= y
    lo_c, hi_c = pit_bounds_from_samples(y + 0.3, x, integer=False)
    np.testing.assert_allclose(lo_c, hi_c)


def test_pit_coverage_of_a_continuous_forecast_equals_plain_coverage() -> None:
    rng = np.random.default_rng(12)
    mu = rng.normal(0, 3, 2000)
    y = mu + rng.normal(0, 1.5, 2000)
    q = mu[:, None] + 1.5 * stats.norm.ppf(QUANTILES)[None, :]
    lo, hi = pit_bounds_from_quantiles(y, q, integer=False)
    np.testing.assert_array_equal(lo, hi)
    assert pit_coverage(lo, hi, 0.8).mean() == interval_coverage(y, q[:, 1], q[:, 5])[0]
    assert pit_coverage(lo, hi, 0.5).mean() == interval_coverage(y, q[:, 2], q[:, 4])[0]


def test_quantile_cdf_inverts_the_quantiles_and_keeps_atoms() -> None:
    q = stats.norm.ppf(QUANTILES, 10.0, 2.0)
    np.testing.assert_allclose(quantile_cdf(q, np.broadcast_to(q, (7, 7))), QUANTILES)
    # between the levels the interpolation stays close to the true CDF
    x = np.linspace(q[0], q[-1], 50)
    np.testing.assert_allclose(quantile_cdf(x, np.broadcast_to(q, (50, 7))), stats.norm.cdf(x, 10, 2), atol=0.02)
    # p05 = p10 = 0 and p90 = p95 = 3: atoms at 0 and 3
    qa = np.array([0.0, 0, 1, 1, 2, 3, 3])
    assert quantile_cdf(np.array(0.0), qa, left=True) == 0.0
    assert quantile_cdf(np.array(0.0), qa) == pytest.approx(0.10)
    assert quantile_cdf(np.array(3.0), qa, left=True) == pytest.approx(0.90)
    assert quantile_cdf(np.array(3.0), qa) == 1.0
    assert quantile_cdf(np.array(-1.0), qa) == 0.0


def test_pit_coverage_shares_the_pit_interval() -> None:
    lo = np.array([0.0, 0.05, 0.3, 0.85, np.nan])
    hi = np.array([0.1, 0.15, 0.3, 1.0, 0.5])
    np.testing.assert_allclose(pit_coverage(lo, hi, 0.8)[:4], [0.0, 0.5, 1.0, 1 / 3])
    assert np.isnan(pit_coverage(lo, hi, 0.8)[4])
    np.testing.assert_allclose(pit_coverage(lo, hi, 0.5)[:4], [0.0, 0.0, 1.0, 0.0])


def test_bad_inputs_raise() -> None:
    with pytest.raises(ForecastError, match="same shape"):
        mase(np.zeros(3), np.zeros(4), np.arange(10.0))
    with pytest.raises(ForecastError, match="at least 4"):
        seasonal_naive(np.zeros(3), 2)
    with pytest.raises(ForecastError, match="levels must increase"):
        crps_from_quantiles(np.zeros(1), np.zeros((1, 2)), [0.5, 0.4])
    with pytest.raises(ForecastError, match="levels must increase"):
        quantile_cdf(np.zeros(1), np.zeros((1, 2)), [0.5, 0.4])
    with pytest.raises(ForecastError, match="level must be inside"):
        pit_coverage(np.zeros(1), np.ones(1), 1.0)


@pytest.mark.parametrize("n", [1, 2, 3, 10, 299, 300, 301, 1000])
def test_draw_quantiles_of_counts_are_drawn_values_at_the_inverted_cdf(n: int) -> None:
    from forecast.scoring import draw_quantiles

    rng = np.random.default_rng(n)
    x = rng.poisson(3.0, size=(n, 4)).astype(float)
    levels = [0.05, 0.10, 0.25, 0.50, 0.75, 0.90, 0.95]
    q = draw_quantiles(x, levels, discrete=True)
    assert q.shape == (len(levels), 4)
    for j in range(4):
        for lev, v in zip(levels, q[:, j]):
            assert v in x[:, j]  # a value some draw took
            # the smallest value whose share of draws at or below it reaches the level
            assert np.mean(x[:, j] <= v) >= lev - 1e-12
            assert np.mean(x[:, j] < v) < lev
    # continuous draws keep numpy's linear quantiles
    np.testing.assert_array_equal(draw_quantiles(x, levels), np.quantile(x, levels, axis=0))
