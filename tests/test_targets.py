"""Target probabilities: years covered, year-to-date actuals, met and unreachable
targets, completion rates; end to end on the sample ledger with real models."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from _forecast_fixtures import SAMPLE_AS_OF, sample_ledger, sample_models
from forecast.periods import quarter
from forecast.simulate import forecast_zones
from forecast.targets import TARGET_COLUMNS, target_probabilities, years_covered


@pytest.mark.parametrize(
    ("as_of", "horizon", "years"),
    [
        ("2023Q4", 4, [2024]),
        ("2023Q4", 3, []),  # 2024Q4 not simulated: no probability for 2024
        ("2024Q2", 2, [2024]),
        ("2024Q2", 8, [2024, 2025]),
        ("2024Q4", 8, [2025, 2026]),
    ],
)
def test_years_covered(as_of: str, horizon: int, years: list[int]) -> None:
    assert years_covered(quarter(as_of), horizon) == years


def _inputs(target: float, metric: str = "investment"):  # noqa: ANN202
    targets = pd.DataFrame({"zone_id": ["z", "other"], "year": [2024, 2024],
                            "metric": [metric, metric], "value": [target, 1.0]})
    history = pd.DataFrame({
        "zone_id": "z",
        "quarter": pd.period_range("2023Q3", "2024Q2", freq="Q-DEC"),
        metric: [1000.0, 1000.0, 40.0, 60.0],  # 2024 so far: 100
    })
    rng = np.random.default_rng(4)
    samples = {metric: rng.gamma(4.0, 25.0, size=(4000, 3))}  # ~100 a quarter
    quarters = pd.period_range("2024Q3", periods=3, freq="Q-DEC")
    return targets, history, samples, quarters


def test_year_to_date_counts_only_this_year_up_to_as_of() -> None:
    t, h, s, q = _inputs(300.0)
    r = target_probabilities("z", t, h, s, q, quarter("2024Q2"))
    assert list(r.columns) == list(TARGET_COLUMNS)
    assert len(r) == 1 and r["zone_id"].iloc[0] == "z"
    assert r["actual_to_date"].iloc[0] == 100.0
    # the forecast quarters of 2024 are Q3 and Q4 only (2025Q1 belongs to next year)
    expected = 100.0 + s["investment"][:, :2].sum(axis=1).mean()
    assert r["expected"].iloc[0] == pytest.approx(expected)
    assert r["rate_expected"].iloc[0] == pytest.approx(expected / 300.0)
    assert r["p10"].iloc[0] < r["expected"].iloc[0] < r["p90"].iloc[0]
    assert r["rate_p10"].iloc[0] < r["rate_expected"].iloc[0] < r["rate_p90"].iloc[0]


@pytest.mark.parametrize(("target", "lo", "hi"), [(50.0, 1.0, 1.0), (100.0, 1.0, 1.0),
                                                  (5000.0, 0.0, 0.0), (300.0, 0.3, 0.7)])
def test_probability_of_meeting(target: float, lo: float, hi: float) -> None:
    t, h, s, q = _inputs(target)
    p = target_probabilities("z", t, h, s, q, quarter("2024Q2"))["p_meet"].iloc[0]
    assert lo <= p <= hi


def test_non_positive_target_has_no_rate() -> None:
    t, h, s, q = _inputs(0.0)
    r = target_probabilities("z", t, h, s, q, quarter("2024Q2"))
    assert r["p_meet"].iloc[0] == 1.0
    assert np.isnan(r["rate_expected"].iloc[0])


# --- end to end: a zone whose target is met at as_of, and one out of reach ------------
@pytest.fixture(scope="module")
def with_targets():
    led = sample_ledger()
    zones = led.zone_ids[:2]
    cut = led.as_of(SAMPLE_AS_OF)  # half of 2024 is known
    started = cut.projects["start_date"].dt.year.eq(2024)
    done_met = int(started[cut.projects["zone_id"] == zones[0]].sum())
    assert done_met >= 1  # the sample zone started something in the first half
    targets = pd.DataFrame({
        "zone_id": [zones[0], zones[1], zones[0]],
        "year": [2024, 2024, 2024],
        "metric": ["projects_started", "investment", "investment"],
        # met already: no more starts than happened by June; out of reach: 1000x a year
        "value": [float(done_met), 1e9, 1.0],
    })
    return replace(led, targets=targets), zones


def test_target_met_at_as_of_has_probability_one_and_far_target_near_zero(with_targets) -> None:
    led, zones = with_targets
    ms = sample_models()  # targets are plans, not data: the fit does not depend on them
    zf = forecast_zones(led, SAMPLE_AS_OF, horizon=2, draws=200, seed=2, models=ms, zones=zones)
    met = zf[zones[0]].targets.set_index("metric").loc["projects_started"]
    assert met["actual_to_date"] >= met["target"]
    assert met["p_meet"] == 1.0
    far = zf[zones[1]].targets.set_index("metric").loc["investment"]
    assert far["p_meet"] <= 0.01
    assert far["rate_p90"] < 0.01


def test_count_targets_give_whole_project_intervals() -> None:
    t = pd.DataFrame({"zone_id": ["z"], "year": [2024], "metric": ["projects_completed"], "value": [9.0]})
    h = pd.DataFrame({"zone_id": ["z", "z"], "quarter": pd.PeriodIndex(["2024Q1", "2024Q2"], freq="Q-DEC"),
                      "projects_completed": [2.0, 1.0]})
    rng = np.random.default_rng(3)
    s = {"projects_completed": rng.poisson(2.0, size=(300, 2)).astype(float)}
    r = target_probabilities("z", t, h, s, pd.period_range("2024Q3", periods=2, freq="Q-DEC"), quarter("2024Q2"))
    for col in ("p10", "p50", "p90"):
        assert float(r[col].iloc[0]) == round(float(r[col].iloc[0]))
    totals = 3.0 + s["projects_completed"].sum(axis=1)
    assert np.mean(totals <= r["p10"].iloc[0]) >= 0.10 > np.mean(totals < r["p10"].iloc[0])
    assert r["rate_p10"].iloc[0] * 9.0 == pytest.approx(r["p10"].iloc[0])
