"""The risk list and the 龙虎榜 board: reasons from the ledger, probabilities from
the paths, flags per responsible unit; end to end on the sample ledger."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from _forecast_fixtures import AS_OF, SAMPLE_AS_OF, sample_ledger, sample_models, tiny_ledger
from forecast.periods import quarter
from forecast.risk import BOARD_COLUMNS, RISK_COLUMNS, risk_table, s_curve, typical_waits, unit_board
from forecast.simulate import forecast_zones

T = pd.Timestamp


def _project(pid: str, **dates) -> dict:  # noqa: ANN003
    base = {c: pd.NaT for c in ("signed_date", "start_date", "planned_completion_date",
                                "completion_date", "production_date", "full_production_date",
                                "cancelled_date")}
    base.update(dates)
    return {"project_id": pid, "zone_id": "Z0", "name": pid, "category": "industrial",
            "industry": "", "planned_investment": 12000.0, "registered_date": T("2020-01-10"),
            "land_mu": 0.0, "designed_output": 0.0, "responsible_unit": "招商局",
            "officer": "甲", **base}


@pytest.fixture(scope="module")
def cases():
    led = tiny_ledger(n_zones=1, per_zone=15, seed=2)
    extra = pd.DataFrame([
        # 6 months past its planned completion, spent all along
        _project("overdue", signed_date=T("2021-06-01"), start_date=T("2022-01-01"),
                 planned_completion_date=T("2023-06-30")),
        # halfway through a two-year build with 10% spent (S-curve expects 50%)
        _project("slow", signed_date=T("2022-06-01"), start_date=T("2023-01-01"),
                 planned_completion_date=T("2024-12-31")),
        # signed three years ago, never started
        _project("waiting", signed_date=T("2021-01-01")),
        _project("reserve"),
    ])
    projects = pd.concat([led.projects, extra], ignore_index=True)
    prog = [{"project_id": "overdue", "q": q, "investment": 1500.0} for q in pd.period_range("2022Q1", "2023Q4", freq="Q")]
    prog += [{"project_id": "slow", "q": q, "investment": 300.0} for q in pd.period_range("2023Q1", "2023Q4", freq="Q")]
    add = pd.DataFrame(prog)
    add = pd.DataFrame({"project_id": add["project_id"], "period": add["q"].astype(str), "freq": "Q",
                        "period_end": add["q"].map(lambda q: q.end_time.normalize()),
                        "quarter": pd.PeriodIndex(add["q"], freq="Q-DEC"),
                        "investment": add["investment"], "output_value": np.nan})
    led = replace(led, projects=projects, progress=pd.concat([led.progress, add], ignore_index=True))
    cut = led.as_of(AS_OF)
    probs = pd.DataFrame({"project_id": ["overdue", "slow", "waiting", "reserve"],
                          "p_cancel": [0.05, 0.02, 0.4, 0.3], "p_no_start": [0.0, 0.0, 0.8, 1.0],
                          "p_late": [0.9, 0.6, np.nan, np.nan]})
    return cut, risk_table(cut, probs, quarter(AS_OF))


def test_columns_and_order(cases) -> None:
    _, r = cases
    assert list(r.columns) == list(RISK_COLUMNS)
    assert r["probability"].is_monotonic_decreasing


@pytest.mark.parametrize(
    ("pid", "risk", "code", "prob"),
    [
        ("overdue", "completion", "overdue", 0.9),
        ("slow", "completion", "slow_spending", 0.6),
        ("waiting", "start", "long_wait", 0.8),
        ("waiting", "cancel", "long_wait", 0.4),
        ("reserve", "cancel", "model", 0.3),
    ],
)
def test_reasons(cases, pid: str, risk: str, code: str, prob: float) -> None:
    _, r = cases
    row = r.loc[(r["project_id"] == pid) & (r["risk"] == risk)]
    assert len(row) == 1
    row = row.iloc[0]
    assert row["reason_code"] == code
    assert row["probability"] == prob
    assert row["reason_zh"] and row["reason_en"]


def test_overdue_months_and_texts(cases) -> None:
    _, r = cases
    row = r.loc[(r["project_id"] == "overdue") & (r["risk"] == "completion")].iloc[0]
    assert row["months_overdue"] == pytest.approx(184 / 30.4375, abs=0.01)  # 2023-06-30 → 2023-12-31
    assert "6.0" in row["reason_en"] and "2023-06-30" in row["reason_zh"]
    assert row["planned_date"] == T("2023-06-30")
    slow = r.loc[(r["project_id"] == "slow") & (r["risk"] == "completion")].iloc[0]
    assert "10%" in slow["reason_en"] and "50%" in slow["reason_en"]


def test_no_start_risk_for_reserve_and_no_completion_risk_for_signed(cases) -> None:
    _, r = cases
    assert set(r.loc[r["project_id"] == "reserve", "risk"]) == {"cancel"}
    assert set(r.loc[r["project_id"] == "waiting", "risk"]) == {"start", "cancel"}


def test_typical_wait_is_the_category_median(cases) -> None:
    cut, _ = cases
    p = cut.projects
    ind = p.loc[(p["category"] == "industrial") & p["start_date"].notna()]
    months = (ind["start_date"] - ind["signed_date"]).dt.days / 30.4375
    assert typical_waits(p, quarter(AS_OF))["industrial"] == pytest.approx(months.median())


def test_s_curve_is_monotone_from_zero_to_one() -> None:
    t = np.linspace(-0.5, 1.5, 41)
    s = s_curve(t)
    assert s[0] == 0.0 and s[-1] == 1.0
    assert (np.diff(s) >= 0).all()


def test_unit_board_flags_best_and_worst_units() -> None:
    units = ["招商局"] * 3 + ["建设局"] * 3 + ["经发局"] * 3 + ["商务局"] * 3 + ["文旅局", None]
    r = pd.DataFrame({
        "zone_id": "z",
        "project_id": [f"p{i}" for i in range(14)],
        "responsible_unit": units,
        "probability": [0.9, 0.1, 0.1, 0.7, 0.8, 0.2, 0.1, 0.1, 0.1, 0.1, 0.2, 0.3, 0.99, 0.99],
        "planned_investment": [10.0, 1, 1, 5, 5, 5, 3, 3, 3, 1, 1, 1, 7, 100],
    })
    r = pd.concat([r, r.assign(zone_id="y", responsible_unit="招商局")])  # one unit only in y
    b = unit_board(r).set_index(["zone_id", "responsible_unit"])
    assert list(b.reset_index().columns) == list(BOARD_COLUMNS)
    z = b.loc["z"]
    # ties share the red flag; a unit with one project is ranked but not flagged
    assert set(z.index[z["flag"] == "red"]) == {"经发局", "商务局"}
    assert z.loc["经发局", "flag_zh"] == "红旗"
    assert z.loc["建设局", "flag"] == "black" and z.loc["建设局", "flag_zh"] == "黑旗"
    assert z.loc["招商局", "flag"] == "" and z.loc["文旅局", "flag"] == ""
    assert z.loc["文旅局", "share_at_risk"] == 1.0 and z.loc["文旅局", "rank"] == 5
    assert z.loc["建设局", "share_at_risk"] == pytest.approx(2 / 3)
    assert z.loc["建设局", "planned_investment_at_risk"] == 10.0
    assert len(z) == 5  # the project without a unit is not on the board
    assert b.loc[("y", "招商局"), "flag"] == ""  # a single unit: nobody to compare with


def test_risk_list_end_to_end_on_sample() -> None:
    led = sample_ledger()
    zf = forecast_zones(led, SAMPLE_AS_OF, horizon=4, draws=200, seed=5, models=sample_models())
    z = next(iter(zf.values()))
    r = z.risk
    assert len(r) > 0 and set(r["risk"]) <= {"start", "completion", "cancel"}
    assert r["probability"].between(0, 1).all()
    # ranked against the plan: lateness rows by expected months late, then cancellations by chance
    late, cancel = r.loc[r["risk"] != "cancel"], r.loc[r["risk"] == "cancel"]
    assert list(r["risk"] == "cancel") == sorted(r["risk"] == "cancel")
    assert late["months_late"].dropna().is_monotonic_decreasing
    assert cancel["probability"].is_monotonic_decreasing
    assert (r["investment_at_stake"] >= 0).all() and (r["investment_at_stake"] <= r["planned_investment"]).all()
    cut = led.as_of(SAMPLE_AS_OF)
    stages = cut.stage_at(pd.Period(SAMPLE_AS_OF, "Q-DEC").end_time.normalize())
    active = set(cut.projects.loc[stages.isin(["reserve", "signed", "started"]) & (cut.projects["zone_id"] == z.zone_id), "project_id"])
    assert set(r["project_id"]) <= active
    # overdue projects are flagged as such and late with a high probability
    od = r.loc[(r["risk"] == "completion") & (r["months_overdue"] > 3)]
    assert (od["reason_code"] == "overdue").all()
    # an overdue project is late for certain, by at least the months it is overdue already
    assert (od["probability"] == 1.0).all() and (od["months_late"] >= od["months_overdue"] - 1e-6).all()
    # every unit the ledger names for an at-risk-listed project is on the board
    named = cut.projects.loc[cut.projects["project_id"].isin(r["project_id"]), "responsible_unit"]
    assert named.notna().any()
    assert set(z.board["responsible_unit"]) == set(named.dropna())
    assert set(z.board["flag"]) <= {"red", "black", ""}
