"""The risk list and the 龙虎榜 board: reasons from the ledger, probabilities from
the paths, flags per responsible unit; end to end on the sample ledger."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from _forecast_fixtures import AS_OF, SAMPLE_AS_OF, sample_ledger, sample_models, tiny_ledger
from forecast.models._base import Paths
from forecast.periods import quarter, quarter_end
from forecast.report import tables
from forecast.risk import (BOARD_COLUMNS, BOUND_SHARE, RISK_COLUMNS, risk_table, s_curve, typical_waits,
                           unit_board)
from forecast.simulate import forecast_zones
from forecast.simulate.zone import _project_probs

T = pd.Timestamp
#: The last day of the risk window (four quarters after AS_OF; 2024 is a leap year).
WINDOW_END = T("2024-12-31")


def _one_project_probs(pid: str, completion: np.ndarray, horizon: int, beyond: np.ndarray | None = None,
                       cancelled: np.ndarray | None = None, due: pd.Timestamp = WINDOW_END) -> pd.DataFrame:
    """``_project_probs`` of one started project due ``due``, from its
    completion month in each draw (months after AS_OF; inf = not within the
    ``horizon`` quarters), optionally the months drawn past the horizon
    (``completion_any``) and cancellation months."""
    col = lambda v, fill: (np.full(len(completion), fill) if v is None else v)[:, None].astype(np.float32)  # noqa: E731
    months = {"start_date": col(None, np.nan), "completion_date": col(completion, 0),
              "production_date": col(None, np.inf), "cancelled_date": col(cancelled, np.inf)}
    extras = {} if beyond is None else {"completion_any": col(beyond, 0)}
    paths = Paths(np.array([pid]), pd.period_range(quarter(AS_OF) + 1, periods=horizon, freq="Q"),
                  months, quarter(AS_OF), extras)
    chunk = pd.DataFrame({"project_id": [pid], "planned_completion_date": [due]})
    return _project_probs(chunk, paths, np.zeros((len(completion), 1, horizon)), quarter_end(AS_OF), 12.0)


def _due_at_window_end(n: int = 1000, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Completion months of a project due on the window's last day (month 12
    after AS_OF) in ``n`` draws: 27% on time (months 6–12), 73% late by 0.5 to
    10 months; and each draw's delay (0 when on time)."""
    rng = np.random.default_rng(seed)
    late = rng.random(n) < 0.73
    delay = np.where(late, rng.uniform(0.5, 10.0, n), 0.0)
    return np.where(late, 12.0 + delay, rng.uniform(6.0, 12.0, n)), delay


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
        # overdue by 16 days, and by one calendar month (Nov 30 → Dec 31)
        _project("days_overdue", signed_date=T("2022-06-01"), start_date=T("2023-01-01"),
                 planned_completion_date=T("2023-12-15")),
        _project("month_overdue", signed_date=T("2022-06-01"), start_date=T("2023-01-01"),
                 planned_completion_date=T("2023-11-30")),
        # due on the risk window's last day, spending on schedule (half spent halfway)
        _project("due_at_end", signed_date=T("2022-06-01"), start_date=T("2023-01-01"),
                 planned_completion_date=WINDOW_END),
    ])
    projects = pd.concat([led.projects, extra], ignore_index=True)
    prog = [{"project_id": "overdue", "q": q, "investment": 1500.0} for q in pd.period_range("2022Q1", "2023Q4", freq="Q")]
    prog += [{"project_id": "slow", "q": q, "investment": 300.0} for q in pd.period_range("2023Q1", "2023Q4", freq="Q")]
    prog += [{"project_id": pid, "q": q, "investment": 1500.0} for q in pd.period_range("2023Q1", "2023Q4", freq="Q")
             for pid in ("due_at_end", "days_overdue", "month_overdue")]
    add = pd.DataFrame(prog)
    add = pd.DataFrame({"project_id": add["project_id"], "period": add["q"].astype(str), "freq": "Q",
                        "period_end": add["q"].map(lambda q: q.end_time.normalize()),
                        "quarter": pd.PeriodIndex(add["q"], freq="Q-DEC"),
                        "investment": add["investment"], "output_value": np.nan})
    led = replace(led, projects=projects, progress=pd.concat([led.progress, add], ignore_index=True))
    cut = led.as_of(AS_OF)
    probs = pd.DataFrame({"project_id": ["overdue", "slow", "waiting", "reserve", "days_overdue",
                                         "month_overdue"],
                          "p_cancel": [0.05, 0.02, 0.4, 0.3, 0.01, 0.01],
                          "p_no_start": [0.0, 0.0, 0.8, 1.0, 0.0, 0.0],
                          "p_late": [0.9, 0.6, np.nan, np.nan, 1.0, 1.0],
                          # a plain figure, a lower bound (20% of draws censored), and none
                          "months_late": [8.04, 2.34, np.nan, np.nan, 3.0, 4.0],
                          "months_late_censored": [0.0, 0.2, np.nan, np.nan, 0.0, 0.0]})
    # due at the window's end, with paths that stop there: late in 73% of the
    # draws, each delay unknown past the window
    completion, _ = _due_at_window_end()
    at_end = _one_project_probs("due_at_end", np.where(completion > 12.0, np.inf, completion), horizon=4)
    probs = pd.concat([probs, at_end[["project_id", "p_cancel", "p_no_start", "p_late", "months_late",
                                      "months_late_censored"]]], ignore_index=True)
    return cut, risk_table(cut, probs, quarter(AS_OF))


def test_columns_and_order(cases) -> None:
    _, r = cases
    assert list(r.columns) == list(RISK_COLUMNS)
    # lateness rows first, most expected months late first; then cancellations by chance
    cancel = r["risk"] == "cancel"
    assert list(cancel) == sorted(cancel)
    late = r.loc[~cancel, "months_late"]
    assert late.notna().sum() == 5 and late.iloc[:5].is_monotonic_decreasing and late.iloc[5:].isna().all()
    assert r.loc[cancel, "probability"].is_monotonic_decreasing
    assert r["months_late_bound"].dtype == bool


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
    # a project likely to be late never shows 0.0 months late
    likely = late.loc[late["probability"] >= 0.5]
    assert len(likely) and all(tables.months_late(v, b, "en") != "0.0"
                               for v, b in zip(likely["months_late"], likely["months_late_bound"]))
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


@pytest.mark.parametrize(("pid", "zh", "en"), [
    ("overdue", "超过计划竣工时间（2023-06-30）6个月仍未竣工", "6 months past its planned completion (2023-06-30)"),
    ("month_overdue", "超过计划竣工时间（2023-11-30）1个月仍未竣工", "1 month past its planned completion"),
    ("days_overdue", "超过计划竣工时间（2023-12-15）不足1个月仍未竣工", "under a month past its planned completion"),
])
def test_overdue_reasons_print_whole_months(cases, pid: str, zh: str, en: str) -> None:
    """Months overdue counted from dates print as whole calendar months, never
    with a decimal (6.0, 1.0 and 0.5 months before)."""
    _, r = cases
    row = r.loc[(r["project_id"] == pid) & (r["risk"] == "completion")].iloc[0]
    assert row["reason_code"] == "overdue"
    assert zh in row["reason_zh"] and en in row["reason_en"]
    assert not any(ch == "." for ch in row["reason_zh"] + row["reason_en"])


def test_waiting_since_signing_prints_whole_months(cases) -> None:
    """Months since signing are whole calendar months to the as-of day, as
    months overdue: signed 2021-01-01, on 2023-12-31 that is 35 months (35.9
    counted from days printed "36", a month that had not passed)."""
    _, r = cases
    for risk in ("start", "cancel"):
        row = r.loc[(r["project_id"] == "waiting") & (r["risk"] == risk)].iloc[0]
        assert row["reason_code"] == "long_wait"
        assert "签约后35个月仍未开工" in row["reason_zh"] and "Signed 35 months ago" in row["reason_en"]


def test_delay_past_the_window_is_counted() -> None:
    """A project due on the window's last day, late in 73% of the draws: its
    months late are the mean delay the paths hold past the window (they run
    8 quarters), not the 0.0 a delay cut at the window's end gave."""
    completion, delay = _due_at_window_end()
    row = _one_project_probs("p", completion, horizon=8).iloc[0]
    assert row["p_late"] == pytest.approx((delay > 0).mean())
    assert row["months_late"] == pytest.approx(delay.mean(), rel=1e-5)
    assert row["months_late"] > 3.0 and row["months_late_censored"] == 0.0


def test_delay_past_the_horizon_comes_from_the_drawn_completion() -> None:
    """Paths that stop at the window still recover the delay from the
    completion months drawn past it, except in cancelled draws: those count
    to the horizon's end and are censored."""
    completion, delay = _due_at_window_end()
    inside = np.where(completion > 12.0, np.inf, completion)
    row = _one_project_probs("p", inside, horizon=4, beyond=completion).iloc[0]
    assert row["months_late"] == pytest.approx(delay.mean(), rel=1e-5)
    assert row["months_late_censored"] == 0.0
    # a scenario's cancellation keeps the drawn completion: it must not count
    cancelled = np.where(np.arange(len(delay)) % 5 == 0, 2.0, np.inf)
    inside = np.where(cancelled < np.inf, np.inf, inside)
    row = _one_project_probs("p", inside, horizon=4, beyond=completion, cancelled=cancelled).iloc[0]
    kept = cancelled == np.inf
    assert row["months_late_censored"] == pytest.approx(0.2)
    assert row["months_late"] == pytest.approx(delay[kept].sum() / len(delay), rel=1e-5)


def test_plan_on_the_window_end_is_inside_it_in_a_leap_year() -> None:
    completion, _ = _due_at_window_end()
    assert _one_project_probs("p", completion, horizon=8)["p_late"].notna().all()
    assert _one_project_probs("p", completion, horizon=8, due=WINDOW_END + pd.Timedelta(days=1)
                              )["p_late"].isna().all()


def _months_cell(html: str, pid: str, label: str) -> str:
    """The months-late cell of project ``pid``'s row in a risk table's HTML."""
    row = next(tr for tr in html.split("<tr>") if f">{pid}</td>" in tr)
    return row.split(f'data-label="{label}">')[1].split("</td>")[0]


@pytest.mark.parametrize(("lang", "label", "past"), [
    ("zh", "预计推迟（月）", "超出预测期"), ("en", "Expected months late", "past the forecast")])
def test_risk_table_never_prints_zero_months_for_a_likely_late_project(cases, lang: str, label: str,
                                                                       past: str) -> None:
    """The project due at the window's end, late in 73% of the draws whose
    delays the paths do not hold, is marked past the forecast (0.0 before); a
    censored figure prints as a lower bound; an uncensored one as it is."""
    _, r = cases
    end = r.loc[r["project_id"] == "due_at_end"].iloc[0]
    assert end["probability"] == pytest.approx(0.73, abs=0.03)
    assert end["months_late"] < 0.5 and end["months_late_bound"]
    html = str(tables.risk_table(r, lang, top=len(r)))
    assert _months_cell(html, "due_at_end", label) == past
    assert _months_cell(html, "slow", label) == "≥ 2.3"
    assert _months_cell(html, "overdue", label) == "8.0"
    assert r.set_index(["project_id", "risk"]).loc[("overdue", "completion"), "months_late_bound"] == False  # noqa: E712


def test_bound_flag_follows_the_censored_share(cases) -> None:
    _, r = cases
    late = r.loc[r["risk"] == "completion"].set_index("project_id")
    assert late.loc["slow", "months_late_bound"] and 0.2 >= BOUND_SHARE
    assert not late.loc[["overdue", "days_overdue", "month_overdue"], "months_late_bound"].any()
    # the model's reason says "at least" only where the figure is a lower bound
    assert "at least" not in late.loc["overdue", "reason_en"]


def test_model_reason_says_at_least_for_a_lower_bound() -> None:
    from forecast.risk import _reasons

    df = pd.DataFrame({"risk": ["completion"] * 2, "months_overdue": [0.0] * 2, "spend_gap": [0.0] * 2,
                       "spend_share": [0.5] * 2, "wait": [np.nan] * 2, "typical_wait": [np.nan] * 2,
                       "planned_completion_date": [WINDOW_END] * 2, "months_late": [2.34] * 2,
                       "months_late_bound": [True, False], "probability": [0.7] * 2})
    _, zh, en = _reasons(df, quarter_end(AS_OF))
    assert "预计平均推迟至少2.3个月" in zh[0] and "by at least 2.3 months" in en[0]
    assert "至少" not in zh[1] and "by 2.3 months" in en[1]


def test_a_project_due_on_the_as_of_day_is_late_because_its_day_has_come() -> None:
    """Due on the quarter's last day and not complete: late for certain, and the
    reason says so (it said "projects like it finish late 100% of the time")."""
    from forecast.risk import _reasons

    end = quarter_end(AS_OF)
    df = pd.DataFrame({"risk": ["completion"], "months_overdue": [0.0], "spend_gap": [0.0],
                       "spend_share": [0.5], "wait": [np.nan], "typical_wait": [np.nan],
                       "planned_completion_date": [end.normalize()], "months_late": [8.04],
                       "months_late_bound": [False], "probability": [1.0]})
    codes, zh, en = _reasons(df, end)
    d = end.date().isoformat()
    assert codes == ["due"]
    assert zh == [f"计划{d}竣工，截至{d}尚未竣工；预计平均推迟8.0个月"]
    assert en == [f"Due to complete on {d} and not completed by {d}; expected 8.0 months late on average"]
    assert "同类" not in zh[0] and "projects like it" not in en[0]


def test_cross_zone_risk_list_keeps_each_zones_report_order() -> None:
    """The cross-zone list (``forecast risk``, the workbench) ranks as the
    reports do: lateness by expected months late (a long delay of a likely
    project before a short one of a certain project), cancellations last;
    each zone's rows keep the order of its own report."""
    from types import SimpleNamespace

    from forecast.crosszone import risk_list
    from forecast.risk import ranked

    def zone(rows: list[tuple]) -> SimpleNamespace:
        risk = pd.DataFrame(rows, columns=["project_id", "risk", "months_late", "probability", "investment_at_stake"])
        return SimpleNamespace(risk=ranked(risk), zone_name=f"zone of {rows[0][0]}")

    fc = {"a": zone([("a1", "completion", 2.0, 1.0, 5.0), ("a2", "cancel", np.nan, 0.4, 9.0),
                     ("a3", "start", 9.5, 0.6, 1.0), ("a4", "completion", 2.0, 0.9, 7.0)]),
          "b": zone([("b1", "completion", 4.0, 0.55, 3.0), ("b2", "cancel", np.nan, 0.7, 1.0),
                     ("b3", "start", np.nan, 0.8, 2.0)])}
    r = risk_list(fc)
    assert r["project_id"].tolist() == ["a3", "b1", "a1", "a4", "b3", "b2", "a2"]
    assert r["zone_name"].tolist()[:2] == ["zone of a1", "zone of b1"]
    for z, zf in fc.items():
        assert r.loc[r["zone_id"] == z, "project_id"].tolist() == zf.risk["project_id"].tolist()
    assert risk_list(fc, "b")["project_id"].tolist() == ["b1", "b3", "b2"]
    # a risk table saved before months late existed still ranks: cancellations last, by probability
    old = fc["a"].risk.drop(columns=["months_late", "investment_at_stake"])
    assert ranked(old)["project_id"].tolist() == ["a1", "a4", "a3", "a2"]
