"""The backtest: strict as-of fits, baselines, scores, and a small real run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _forecast_fixtures import StubCompletion, StubOutput, StubSpend, quick_modelset, sample_ledger, tiny_ledger
from forecast.backtest import MODELS, SCORE_COLUMNS, ets, run_backtest, score, seasonal_naive
from forecast.exceptions import ForecastError
from forecast.models import ModelSet
from forecast.vocab import METRICS, QUANTILE_COLUMNS


class SpyCompletion(StubCompletion):
    """Records what each fit could see."""

    seen: list[tuple[pd.Period, pd.Timestamp]] = []

    def fit(self, ledger, as_of):  # noqa: ANN001, ANN201
        dates = ledger.projects[["registered_date", "start_date", "completion_date"]].max().max()
        SpyCompletion.seen.append((ledger.cut, max(dates, ledger.progress["period_end"].max())))
        return super().fit(ledger, as_of)


def test_every_origin_fits_on_its_own_cut_only() -> None:
    SpyCompletion.seen = []
    led = tiny_ledger(n_zones=2, per_zone=20, seed=1)
    bt = run_backtest(led, "2022Q4:2023Q2", horizon=2, draws=30,
                      model_factory=lambda: ModelSet(SpyCompletion(), StubSpend(), StubOutput()))
    origins = pd.period_range("2022Q4", "2023Q2", freq="Q-DEC")
    cuts = [s[0] for s in SpyCompletion.seen]
    # each origin's fit, and the calibration's backtest fits at quarters before it
    assert set(origins) <= set(cuts) and max(cuts) == origins[-1]
    for origin, latest in SpyCompletion.seen:
        assert latest <= origin.end_time  # nothing after the origin reached the fit
    assert set(bt.forecasts["origin"]) == {str(o) for o in origins}
    assert set(bt.forecasts["model"]) == set(MODELS)


def test_seasonal_naive_repeats_last_year_and_orders_quantiles() -> None:
    y = np.array([10.0, 20, 30, 40, 12, 19, 33, 41, 11, 22, 31, 45])
    out = seasonal_naive(y, 6)
    assert out[:, 0].tolist() == [11.0, 22.0, 31.0, 45.0, 11.0, 22.0]
    assert (np.diff(out[:, 1:], axis=1) >= 0).all()
    # two years ahead is wider than one year ahead
    assert out[4, 7] - out[4, 1] > out[0, 7] - out[0, 1]


def test_ets_follows_a_clean_seasonal_pattern() -> None:
    rng = np.random.default_rng(3)
    pattern = np.tile([10.0, 20, 30, 40], 6)
    y = pattern + rng.normal(0, 0.5, pattern.size)
    out = ets(y, 4)
    np.testing.assert_allclose(out[:, 0], [10, 20, 30, 40], atol=2.0)
    assert (out[:, 2] < out[:, 0]).all() and (out[:, 0] < out[:, 6]).all()


def test_ets_on_a_constant_series_repeats_it() -> None:
    out = ets(np.zeros(10), 3)
    assert (out == 0).all()


def test_score_counts_coverage_and_scales_errors() -> None:
    f = pd.DataFrame({
        "zone_id": "z", "metric": "investment", "horizon": 1, "model": "forecast",
        "mean": [10.0, 10.0, 10.0, 10.0], "actual": [10.0, 12.0, 30.0, np.nan],
        "scale": 2.0,
        **{c: [5.0, 5.0, 5.0, 5.0] for c in ("p05", "p10")},
        **{c: [9.0, 9.0, 9.0, 9.0] for c in ("p25",)},
        **{c: [10.0, 10.0, 10.0, 10.0] for c in ("p50",)},
        **{c: [11.0, 11.0, 11.0, 11.0] for c in ("p75",)},
        **{c: [15.0, 15.0, 15.0, 15.0] for c in ("p90", "p95")},
    })
    s = score(f).iloc[0]
    assert list(score(f).columns) == list(SCORE_COLUMNS)
    assert s["n"] == 3  # the row without an actual is not scored
    assert s["mae"] == pytest.approx((0 + 2 + 20) / 3)
    assert s["mase"] == pytest.approx((0 + 1 + 10) / 3)
    assert s["mase_mean"] == s["mase"]  # mean == median here
    assert s["cov50"] == pytest.approx(1 / 3)
    assert s["cov80"] == pytest.approx(2 / 3)
    # a money actual has no ties here, so the closed interval gives the same
    assert s["cov50_closed"] == pytest.approx(1 / 3)
    assert s["cov80_closed"] == pytest.approx(2 / 3)
    assert s["crps"] > 0


def test_errors_score_the_median_the_report_prints_and_keep_the_mean() -> None:
    # a small count: mean 0.4, median 0 (what the report prints)
    q = dict(zip(QUANTILE_COLUMNS, [0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0]))
    f = pd.DataFrame({"zone_id": "z", "metric": "projects_completed", "horizon": 1, "model": "forecast",
                      "mean": 0.4, "actual": [0.0, 0.0, 1.0], "scale": 0.5, **q})
    s = score(f).iloc[0]
    assert s["mae"] == pytest.approx(1 / 3) and s["mase"] == pytest.approx(2 / 3)
    assert s["mae_mean"] == pytest.approx(1.4 / 3) and s["mase_mean"] == pytest.approx(2.8 / 3)


def test_score_gives_a_count_on_a_quantile_partial_coverage() -> None:
    # quantiles of a small count: p05 = p10 = 0, p25 = p50 = 1, p75 = 2, p90 = p95 = 3,
    # so F jumps 0.10 at 0, rises linearly 0.10 -> 0.25 on [0, 1], and so on
    q = dict(zip(QUANTILE_COLUMNS, [0.0, 0.0, 1.0, 1.0, 2.0, 3.0, 3.0]))
    f = pd.DataFrame({"zone_id": "z", "horizon": 1, "model": "forecast", "mean": 1.5, "scale": 1.0,
                      "metric": ["projects_started"] * 3 + ["investment"] * 3,
                      "actual": [0.0, 1.0, 3.0] * 2, **q})
    s = score(f).set_index("metric")
    # y = 0: PIT on [F(-1/2), F(1/2)] = [0, 0.175], of which 0.075 lies in [0.1, 0.9]
    # y = 1: [0.175, 0.625], all inside; y = 3: [0.825, 1], 0.075 of 0.175 inside
    assert s.loc["projects_started", "cov80"] == pytest.approx((0.075 / 0.175 + 1 + 0.075 / 0.175) / 3)
    # [0.25, 0.75]: y = 1 has (0.625 - 0.25) / 0.45 of its PIT interval inside
    assert s.loc["projects_started", "cov50"] == pytest.approx((0.375 / 0.45) / 3)
    # the closed intervals count every tie as a hit
    assert s.loc["projects_started", "cov80_closed"] == 1.0
    assert s.loc["projects_started", "cov50_closed"] == pytest.approx(1 / 3)
    # a money actual on an atom (0 at p05 = p10) is uniform on [F(0-), F(0)] = [0, 0.1]:
    # never inside [0.1, 0.9]; at 1 (inside p25..p50 = 1) it is [0.25, 0.5], all inside
    assert s.loc["investment", "cov80"] == pytest.approx((0.0 + 1.0 + 0.0) / 3)


def test_origin_without_actuals_is_refused() -> None:
    led = tiny_ledger(n_zones=1, per_zone=5)
    last = led.last_quarter
    with pytest.raises(ForecastError, match="nothing to compare"):
        run_backtest(led, [last], horizon=1, draws=5)


@pytest.fixture(scope="module")
def small_run():
    # two origins on the sample ledger with the real models; few draws and a quick
    # calibration keep it quick
    return run_backtest(sample_ledger(), "2022Q4:2023Q1", horizon=4, draws=100, seed=1,
                        model_factory=lambda: quick_modelset(fit_indicators=False))


def test_small_backtest_on_sample(small_run) -> None:
    from forecast.ledger.aggregate import quarterly

    bt = small_run
    led = sample_ledger()
    fc = bt.forecasts
    assert set(fc["metric"]) == set(METRICS)
    assert set(fc["horizon"]) == {1, 2, 3, 4}
    # actuals are the full ledger's quarterly aggregate
    agg = quarterly(led).assign(period=lambda d: d["quarter"].astype(str)).set_index(["zone_id", "period"])
    row = fc.iloc[len(fc) // 2]
    assert row["actual"] == pytest.approx(agg.loc[(row["zone_id"], row["period"]), row["metric"]])
    s = bt.scores
    assert set(s["model"]) == set(MODELS)
    assert len(s) == len(led.zone_ids) * len(METRICS) * 4 * len(MODELS)
    assert s["cov80"].between(0, 1).all() and (s["crps"] >= 0).all()
    summ = bt.summary()
    snaive = summ.loc[summ["model"] == "seasonal_naive", "ratio"]
    np.testing.assert_allclose(snaive, 1.0)
    fc_q = fc.loc[fc["model"] == "forecast", list(QUANTILE_COLUMNS)].to_numpy()
    assert (np.diff(fc_q, axis=1) >= -1e-9).all()


def test_backtest_save_writes_tables_and_plot(tmp_path: Path) -> None:
    led = tiny_ledger(n_zones=2, per_zone=20, seed=1)
    bt = run_backtest(led, "2023Q1:2023Q2", horizon=2, draws=30,
                      model_factory=lambda: ModelSet(StubCompletion(), StubSpend(), StubOutput()))
    out = bt.save(tmp_path / "bt")
    names = sorted(p.name for p in out.iterdir())
    assert names == ["backtest.png", "forecasts.csv", "scores.csv", "summary.csv"]
    assert (out / "backtest.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = pd.read_csv(out / "scores.csv")
    assert len(back) == len(bt.scores)
    assert set(pd.read_csv(out / "summary.csv")["model"]) == set(MODELS)


def test_vectorised_ets_agrees_with_statsmodels_on_a_seasonal_series() -> None:
    from forecast.backtest import ets_many

    rng = np.random.default_rng(8)
    t = np.arange(32)
    rows = np.stack([100 + 2 * t + np.tile([0.0, 15, 5, -20], 8) + rng.normal(0, 2, 32),
                     np.full(32, 7.0)])
    many = ets_many(rows, 4)
    one = ets(rows[0], 4)
    np.testing.assert_allclose(many[0, :, 0], one[:, 0], rtol=0.05)
    assert (many[1] == 7.0).all()  # a constant series repeats itself
