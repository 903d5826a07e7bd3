"""Scenarios: each action on a small ledger, the same random streams as the
baseline, the comparison, reading and checking scenario files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from _forecast_fixtures import SAMPLE_AS_OF, sample_ledger, sample_models
from forecast.periods import next_quarters, quarter, quarter_end
from forecast.scenario import Scenario, ScenarioError, compare, run, select
from forecast.scenario._paths import delay, force, month_of
from forecast.models._base import Paths
from forecast.simulate import forecast_zones

HORIZON, DRAWS, SEED = 6, 200, 5


@pytest.fixture(scope="module")
def led():
    return sample_ledger().as_of(SAMPLE_AS_OF)


@pytest.fixture(scope="module")
def models():
    return sample_models()


def _run(led, models, scen):  # noqa: ANN001, ANN202
    return run(led, scen, SAMPLE_AS_OF, HORIZON, DRAWS, SEED, models=models)


def _pick(led, stage: str, k: int = 0) -> pd.Series:  # noqa: ANN001
    return select(led, SAMPLE_AS_OF, stages=stage).iloc[k]


def _quarter_of(date: str) -> int:
    """Index of ``date``'s quarter among the forecast quarters."""
    return list(next_quarters(quarter(SAMPLE_AS_OF), HORIZON)).index(quarter(pd.Timestamp(date)))


def _probs(zf, pid: str) -> pd.Series:  # noqa: ANN001
    return zf.paths_summary.set_index("project_id").loc[pid]


@pytest.fixture(scope="module")
def delayed(led, models):
    p = _pick(led, "signed")
    return p, _run(led, models, Scenario().delay([p["project_id"]], 2))


def test_untouched_zones_are_the_plain_forecast(led, models, delayed) -> None:
    p, res = delayed
    assert res.touched == [p["zone_id"]]
    others = [z for z in led.zone_ids if z != p["zone_id"]]
    plain = forecast_zones(led, SAMPLE_AS_OF, HORIZON, DRAWS, SEED, models=models, zones=others)
    for z in others:
        for m, draws in plain[z].samples.items():
            np.testing.assert_array_equal(res.scenario[z].samples[m], draws)
            np.testing.assert_array_equal(res.baseline[z].samples[m], draws)
    cmp = res.comparison.set_index("zone_id")
    assert cmp.loc[others, "identical"].all()
    assert (cmp.loc[others, ["change_mean", "change_p10", "change_p90"]] == 0).all().all()


def test_other_projects_of_a_touched_zone_draw_the_same_numbers(delayed) -> None:
    p, res = delayed
    z = p["zone_id"]
    b = res.baseline[z].paths_summary.set_index("project_id")
    a = res.scenario[z].paths_summary.set_index("project_id")
    rest = b.index.drop(p["project_id"])
    pd.testing.assert_frame_equal(a.loc[rest], b.loc[rest])
    assert not a.loc[p["project_id"]].equals(b.loc[p["project_id"]])


def test_delay_moves_starts_out_of_the_first_two_quarters(delayed) -> None:
    p, res = delayed
    z = p["zone_id"]
    base, alt = res.baseline[z].samples, res.scenario[z].samples
    # every other project draws the same: starts in the first half year can only drop
    assert (alt["projects_started"][:, :2] <= base["projects_started"][:, :2]).all()
    assert alt["projects_started"][:, :2].sum() < base["projects_started"][:, :2].sum()
    inv = res.comparison.set_index(["zone_id", "metric"]).loc[(z, "investment")]
    assert inv["change_mean"] < 0
    assert inv["p_meet_scenario"] <= inv["p_meet_baseline"]


def test_cancel_stops_spending_and_milestones(led, models) -> None:
    p = _pick(led, "started")
    res = _run(led, models, Scenario().cancel(p["project_id"]))
    z, pid = p["zone_id"], p["project_id"]
    pr = _probs(res.scenario[z], pid)
    assert pr["expected_investment"] == 0 and pr["p_complete_horizon"] == 0
    assert pr["p_cancel_horizon"] == 1
    assert _probs(res.baseline[z], pid)["expected_investment"] > 0
    # the other projects are the baseline's: the zone spends less in every draw
    assert (res.scenario[z].samples["investment"] <= res.baseline[z].samples["investment"] + 1e-6).all()


def test_start_on_a_date(led, models) -> None:
    p = _pick(led, "reserve")
    date = str((quarter(SAMPLE_AS_OF) + 2).start_time.date() + pd.Timedelta(days=20))
    res = _run(led, models, Scenario().start(p["project_id"], date))
    zf = res.scenario[p["zone_id"]]
    assert _probs(zf, p["project_id"])["p_start_horizon"] == 1
    k = _quarter_of(date)
    assert (zf.samples["projects_started"][:, k] >= 1).all()
    assert _probs(zf, p["project_id"])["expected_investment"] > 0


def test_complete_on_a_date(led, models) -> None:
    p = _pick(led, "started")
    date = str((quarter(SAMPLE_AS_OF) + 1).end_time.date())
    res = _run(led, models, Scenario().complete(p["project_id"], date))
    zf = res.scenario[p["zone_id"]]
    pr = _probs(zf, p["project_id"])
    assert pr["p_complete_horizon"] == 1 and pr["p_cancel_horizon"] == 0
    assert (zf.samples["projects_completed"][:, _quarter_of(date)] >= 1).all()


def test_add_a_planned_project(led, models) -> None:
    z = led.zone_ids[0]
    end = quarter_end(SAMPLE_AS_OF)
    start = end + pd.Timedelta(days=100)
    new = pd.DataFrame({"project_id": ["NEW-1"], "zone_id": [z], "name": ["新建项目"],
                        "category": ["industrial"], "planned_investment": [200_000.0],
                        "registered_date": [end - pd.Timedelta(days=30)],
                        "signed_date": [end - pd.Timedelta(days=10)], "start_date": [start]})
    res = _run(led, models, Scenario().add(new))
    assert res.touched == [z]
    zf, base = res.scenario[z], res.baseline[z]
    assert (zf.samples["projects_started"][:, _quarter_of(str(start.date()))]
            >= base.samples["projects_started"][:, _quarter_of(str(start.date()))] + 1).all()
    inv = res.comparison.set_index(["zone_id", "metric"]).loc[(z, "investment")]
    assert inv["change_mean"] > 0
    assert _probs(zf, "NEW-1")["expected_investment"] > 0


def _paths(months: dict[str, list[float]], horizon: int = 4) -> Paths:
    q = quarter("2024Q4")
    arr = {k: np.asarray(v, np.float32)[:, None] for k, v in months.items()}
    n = len(next(iter(arr.values())))
    extras = {"completion_any": np.full((n, 1), np.nan, np.float32),
              "planned_duration": np.full((n, 1), np.nan, np.float32)}
    return Paths(np.array(["p"]), next_quarters(q, horizon), arr, q, extras)


def test_delay_shifts_every_pending_event_and_drops_those_past_the_horizon() -> None:
    inf, nan = np.inf, np.nan
    p = _paths({"signed_date": [nan, nan], "start_date": [1.0, 8.0], "completion_date": [7.0, inf],
                "production_date": [inf, inf], "cancelled_date": [inf, inf]}, horizon=6)
    d = delay(p, 2)
    assert d.months["start_date"][:, 0].tolist() == [7.0, 14.0]
    assert d.months["completion_date"][:, 0].tolist() == [13.0, inf]
    assert np.isnan(d.months["signed_date"]).all()
    assert d.months["start_date"][:, 0].tolist() != p.months["start_date"][:, 0].tolist()
    assert delay(p, 4).months["start_date"][:, 0].tolist() == [13.0, inf]  # 20 > 18 months


def test_force_keeps_each_draws_durations_and_borrows_where_missing() -> None:
    inf = np.inf
    p = _paths({"signed_date": [0.5, 0.5, inf], "start_date": [2.0, inf, inf],
                "completion_date": [6.0, inf, inf], "production_date": [inf, inf, inf],
                "cancelled_date": [inf, 3.0, 1.0]})
    f = force(p, "start_date", 4.0)
    assert f.months["start_date"][:, 0].tolist() == [4.0, 4.0, 4.0]
    # draw 0 keeps its 4 months to completion; draws 1 and 2 borrow them
    assert f.months["completion_date"][:, 0].tolist() == [8.0, 8.0, 8.0]
    # no cancellation before the forced start; the pending signing comes by then
    assert np.isinf(f.months["cancelled_date"]).all()
    assert f.months["signed_date"][:, 0].tolist() == [0.5, 0.5, 4.0]


def test_month_of_is_the_paths_clock() -> None:
    assert month_of(pd.Timestamp("2025-01-01"), quarter("2024Q4")) == 0.0
    assert month_of(pd.Timestamp("2025-04-16"), quarter("2024Q4")) == pytest.approx(3.5)


# --- files and checks ---------------------------------------------------------------------
def test_read_csv_with_chinese_headers_and_actions(tmp_path) -> None:
    f = tmp_path / "s.csv"
    f.write_text("项目编号,动作,值\np1,推迟,2\np2,终止,\np3,开工,2026年6月15日\n", encoding="gbk")
    s = Scenario.read(f)
    assert s.changes[["project_id", "action"]].values.tolist() == [["p1", "delay"], ["p2", "cancel"],
                                                                   ["p3", "start"]]
    assert s.changes["value"].tolist()[0] == 2
    assert s.changes["value"].tolist()[2] == pd.Timestamp("2026-06-15")


def test_read_excel(tmp_path) -> None:
    f = tmp_path / "s.xlsx"
    pd.DataFrame({"project_id": ["p1"], "action": ["complete"], "value": [pd.Timestamp("2026-03-31")]}
                 ).to_excel(f, index=False)
    s = Scenario.read(f)
    assert s.changes["value"].iloc[0] == pd.Timestamp("2026-03-31")


def test_bad_rows_are_all_reported_with_file_row_column_value(tmp_path) -> None:
    f = tmp_path / "bad.csv"
    f.write_text("project_id,action,value\np1,postpone,2\np2,delay,two\np3,start,2026-02-30\n"
                 "p4,cancel,3\n,delay,1\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        Scenario.read(f)
    got = {(p.row, p.column, p.check, p.value) for p in err.value.problems}
    assert got == {(2, "action", "unknown action", "postpone"), (3, "value", "bad delay", "two"),
                   (4, "value", "bad date", "2026-02-30"), (5, "value", "unexpected value", "3"),
                   (6, "project_id", "missing value", None)}
    assert all(p.file == "bad.csv" for p in err.value.problems)
    assert "bad.csv, row 3, column 'value'" in str(err.value)


def test_bind_checks_ids_stages_and_dates(led, tmp_path) -> None:
    started = _pick(led, "started")["project_id"]
    signed = _pick(led, "signed")["project_id"]
    f = tmp_path / "s.csv"
    f.write_text(f"project_id,action,value\nNOPE,delay,1\n{started},start,2030-01-01\n"
                 f"{signed},start,2020-01-01\n{signed},cancel,\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        Scenario.read(f).bind(led, SAMPLE_AS_OF)
    checks = {(p.row, p.check) for p in err.value.problems}
    assert (2, "unknown project id") in checks
    assert (3, "start does not fit the stage") in checks
    assert any(c == "conflicting actions" for _, c in checks)


def test_bind_rejects_a_date_not_after_as_of(led) -> None:
    signed = _pick(led, "signed")["project_id"]
    with pytest.raises(ScenarioError, match="date not after as_of"):
        Scenario().start(signed, "2020-01-01").bind(led, SAMPLE_AS_OF)


def test_added_rows_are_checked_like_a_ledger(tmp_path, led) -> None:
    z = led.zone_ids[0]
    f = tmp_path / "add.csv"
    f.write_text("project_id,action,value,zone_id,name,category,planned_investment,registered_date\n"
                 f"N1,add,,{z},新项目,工业,5000,2023-01-05\n"
                 f"N2,add,,{z},坏项目,spaceport,-3,2023-01-05\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        Scenario.read(f)
    cols = {(p.row, p.column) for p in err.value.problems}
    assert (3, "category") in cols and (3, "planned_investment") in cols
    assert not any(r == 2 for r, _ in cols)


def test_select_ranks_by_size(led) -> None:
    top = select(led, SAMPLE_AS_OF, stages="signed", top=3)
    assert len(top) == 3 and (top["stage"] == "signed").all()
    assert top["planned_investment"].is_monotonic_decreasing
    everything = select(led, SAMPLE_AS_OF, stages="signed")
    assert top["planned_investment"].iloc[-1] >= everything["planned_investment"].iloc[3:].max()


def test_compare_reports_change_quantiles(delayed) -> None:
    p, res = delayed
    again = compare(res.baseline, res.scenario, res.year)
    pd.testing.assert_frame_equal(again, res.comparison)
    row = again.set_index(["zone_id", "metric"]).loc[(p["zone_id"], "investment")]
    assert row["change_p10"] <= row["change_p50"] <= row["change_p90"]
    assert row["scenario"] - row["baseline"] == pytest.approx(row["change_mean"])
