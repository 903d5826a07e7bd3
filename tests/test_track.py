"""The track record (forecast.run.track): hand-counted outcomes, known chances in known
bands, leak-free probabilities, and the sweep's shared fits equal to plain fits."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _forecast_fixtures import StubCompletion, StubOutput, StubSpend, sample_ledger, tiny_ledger

from forecast.exceptions import ForecastError
from forecast.ledger import load
from forecast.report.accuracy import reliability
from forecast.run.track import (PROBABILITY_COLUMNS, RollingFits, TrackRecord, _probabilities_at,
                                last_ended_year, outcomes, read_probabilities, run_track_record,
                                track_origins)

RATES = Path(__file__).parent / "data" / "ledgers" / "rates"


@pytest.fixture(scope="module")
def rates_ledger():  # noqa: ANN201
    return load(RATES)


def _row(zone: str, year: int, metric: str, target: float, p: float) -> dict:
    return {"zone_id": zone, "year": year, "metric": metric, "origin": f"{year - 1}Q4",
            "target": target, "p_meet": p}


def test_outcomes_by_hand(rates_ledger) -> None:  # noqa: ANN001
    """2024 in the rates ledger: zone a spent 100 (A1, 2024-12) and started A11 (Jan) and A1
    (Mar); zone b started B1 (Feb); zone c nothing. 2025 is not over at 2025Q3."""
    p = pd.DataFrame([_row("a", 2024, "investment", 100.0, 0.9),   # 100 >= 100: met
                      _row("a", 2024, "investment", 101.0, 0.5),   # not met
                      _row("a", 2024, "projects_started", 2.0, 0.35),  # 2 >= 2: met
                      _row("b", 2024, "projects_started", 2.0, 0.15),  # 1 < 2
                      _row("c", 2024, "investment", 10.0, 0.05),   # nothing happened: 0
                      _row("a", 2025, "investment", 1.0, 0.99)])   # outcome unknown: dropped
    out = outcomes(p, rates_ledger, pd.Period("2025Q3", "Q-DEC"))
    assert tuple(out.columns) == PROBABILITY_COLUMNS
    assert out["actual"].tolist() == [100.0, 100.0, 2.0, 1.0, 0.0]
    assert out["met"].tolist() == [True, False, True, False, False]
    r = reliability(out).set_index("band")
    assert r.loc[[0, 1, 3, 5, 9], "n"].tolist() == [1, 1, 1, 1, 1]
    assert r.loc[[0, 1, 3, 5, 9], "met"].tolist() == [0, 0, 1, 0, 1]
    # a later as_of does not change a closed year's outcome
    assert outcomes(p, rates_ledger.as_of("2025Q1"), pd.Period("2025Q1", "Q-DEC"))["met"].tolist() == out["met"].tolist()


def test_last_ended_year() -> None:
    assert [last_ended_year(pd.Period(q, "Q-DEC")) for q in ("2025Q4", "2025Q3", "2025Q1")] == [2025, 2024, 2024]


@dataclass
class _Forecast:
    samples: dict
    quarters: pd.PeriodIndex


def test_known_chances_land_in_known_bands(rates_ledger) -> None:  # noqa: ANN001
    """At 2024Q2, zone a has started 2 projects in 2024 (A11, A1) and spent nothing.
    Draws of the rest of 2024: investment 0..99 in Q3 (target 70: 30 of 100 reach it),
    starts 1 in 95 draws of 100 (target 3: 2 + 1 reaches it with p = 0.95)."""
    targets = pd.DataFrame({"zone_id": ["a", "a", "a"], "year": [2024, 2024, 2025],
                            "metric": ["investment", "projects_started", "investment"],
                            "value": [70.0, 3.0, 5.0]})
    led = replace(rates_ledger, targets=targets)
    o = pd.Period("2024Q2", "Q-DEC")
    cut = led.as_of(o)
    quarters = pd.period_range("2024Q3", periods=4, freq="Q-DEC")
    inv = np.zeros((100, 4))
    inv[:, 0] = np.arange(100)
    inv[:, 2] = 1000.0  # 2025: not this year's target
    starts = np.zeros((100, 4))
    starts[:95, 1] = 1
    fc = {"a": _Forecast({"investment": inv, "projects_started": starts}, quarters)}
    p = _probabilities_at(o, cut, fc).set_index("metric")
    assert set(p["year"]) == {2024} and set(p["origin"]) == {"2024Q2"}
    assert p.loc["investment", "p_meet"] == pytest.approx(0.30)
    assert p.loc["projects_started", "p_meet"] == pytest.approx(0.95)
    out = outcomes(p.reset_index(), led, pd.Period("2025Q3", "Q-DEC"))  # 2024: spent 100 >= 70, started 2 < 3
    bands = reliability(out).set_index("band")
    assert bands.loc[3, "n"] == 1 and bands.loc[3, "met"] == 1
    assert bands.loc[9, "n"] == 1 and bands.loc[9, "met"] == 0


def test_origins() -> None:
    led = sample_ledger()
    q = pd.Period("2024Q4", "Q-DEC")
    every = track_origins(led, q)
    assert every[-1] == q - 1 and all(b == a + 1 for a, b in zip(every, every[1:]))
    first_progress = led.progress["period_end"].min().to_period("Q-DEC")
    assert every[0] == first_progress + 11  # 12 quarters of ledger behind it
    assert track_origins(led, q, years=2) == list(pd.period_range("2022Q4", "2024Q3", freq="Q-DEC"))
    assert track_origins(led, first_progress + 5) == []


def _stubs():  # noqa: ANN202
    from forecast.models import ModelSet

    return ModelSet(StubCompletion(), StubSpend(), StubOutput(), new_projects=False, calibrate=False)


def test_probabilities_use_only_the_ledger_at_their_origin(tmp_path: Path) -> None:
    """Multiplying every investment after the origin by 10 changes the outcomes, never a
    probability; the save round-trips."""
    led = tiny_ledger()
    targets = pd.DataFrame({"zone_id": ["Z0", "Z1"], "year": 2022, "metric": "investment",
                            "value": [60_000.0, 60_000.0]})
    led = replace(led, targets=targets)
    later = led.progress["period_end"] > pd.Timestamp("2022-06-30")
    prog = led.progress.copy()
    prog.loc[later, "investment"] *= 10
    changed = replace(led, progress=prog)
    kw = dict(draws=40, seed=3, origins=[pd.Period("2021Q4", "Q-DEC"), pd.Period("2022Q2", "Q-DEC")],
              model_factory=_stubs)
    a = run_track_record(led, "2023Q4", **kw)
    b = run_track_record(changed, "2023Q4", **kw)
    assert len(a.probabilities) == 4  # 2 zones x 2 origins, one target each
    pd.testing.assert_series_equal(a.probabilities["p_meet"], b.probabilities["p_meet"])
    assert (b.probabilities["actual"] > a.probabilities["actual"]).all()
    assert set(a.backtest.forecasts["origin"]) == {"2021Q4", "2022Q2"}
    assert set(a.backtest.forecasts["horizon"]) == {1, 2, 3, 4}
    folder = a.save(tmp_path / "bt")
    back = read_probabilities(folder)
    pd.testing.assert_frame_equal(back[list(PROBABILITY_COLUMNS)], a.probabilities, check_dtype=False)
    assert isinstance(a, TrackRecord) and a.reliability("Z0")["n"].sum() == 2


def test_two_halves_combine_into_the_whole_sweep() -> None:
    """The batch sweeps the halves in two processes: combined, the same record."""
    led = replace(tiny_ledger(), targets=pd.DataFrame({"zone_id": ["Z0"], "year": [2022],
                                                        "metric": ["investment"], "value": [1e5]}))
    o = [pd.Period("2021Q4", "Q-DEC"), pd.Period("2022Q1", "Q-DEC"), pd.Period("2022Q2", "Q-DEC")]
    kw = dict(draws=20, seed=1, model_factory=_stubs)
    whole = run_track_record(led, "2023Q4", origins=o, **kw)
    parts = TrackRecord.combine([run_track_record(led, "2023Q4", origins=o[:1], **kw),
                                 run_track_record(led, "2023Q4", origins=o[1:], **kw)])
    pd.testing.assert_frame_equal(parts.probabilities, whole.probabilities)
    pd.testing.assert_frame_equal(parts.backtest.forecasts, whole.backtest.forecasts)
    pd.testing.assert_frame_equal(parts.backtest.scores, whole.backtest.scores)


def test_too_little_history_is_refused() -> None:
    led = tiny_ledger()
    with pytest.raises(ForecastError, match="12 quarters"):
        run_track_record(led, "2020Q2", draws=5, model_factory=_stubs)


def test_rolling_fits_equal_plain_fits() -> None:
    """Sweeping two origins, the second origin's calibrated set (its calibration
    fed the kept structural sets) draws exactly what a plain fit draws."""
    from forecast.models import ModelSet, calibration
    from forecast.simulate import forecast_zones

    led = sample_ledger()
    o = pd.Period("2023Q2", "Q-DEC")
    calibration._MEMO.clear()
    rolling = RollingFits()
    rolling.fit(led.as_of(o - 1), o - 1)
    mine = rolling.fit(led.as_of(o), o)
    calibration._MEMO.clear()  # the plain fit computes its calibration afresh
    plain = ModelSet(fit_indicators=False).fit(led.as_of(o), o)
    assert mine.calibration_.active_ == plain.calibration_.active_
    kw = dict(horizon=4, draws=50, seed=2, detail=False, keep_samples=True)
    x = forecast_zones(led.as_of(o), o, models=mine, **kw)
    y = forecast_zones(led.as_of(o), o, models=plain, **kw)
    for z in x:
        for m in ("investment", "projects_started"):
            np.testing.assert_array_equal(x[z].samples[m], y[z].samples[m])
