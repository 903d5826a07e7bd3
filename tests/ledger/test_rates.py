"""The rates of SCHEMA.md ("The rates") counted by hand on a ledger built for them.

tests/data/ledgers/rates: zone ``a`` has no plan (fallback lists, a target),
zone ``b`` has a 2025 plan (plan.csv), zone ``c`` has only a reserve project
(every list empty). Each project is there for one branch of a definition; the
project names say which. The hand counts are in the comments.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest
from ledger_helpers import LEDGERS

from forecast.exceptions import ForecastError
from forecast.ledger import load
from forecast.ledger.rates import RATE_COLUMNS, rates, wide
from forecast.vocab import RATE_NAMES

RATES_LEDGER = LEDGERS / "rates"


def _load(tmp_path, plan: bool = True, plan_csv: str | None = None):
    """The fixture ledger, with its plan.csv, another plan, or none."""
    folder = tmp_path / "ledger"
    shutil.copytree(RATES_LEDGER, folder)
    if plan_csv is not None:
        (folder / "plan.csv").write_text(plan_csv, encoding="utf-8")
    if not plan:
        (folder / "plan.csv").unlink()
    return load(folder)


def _get(r: pd.DataFrame, zone: str, rate: str) -> tuple:
    row = r.loc[(r["zone_id"] == zone) & (r["rate"] == rate)].iloc[0]
    return row["numerator"], row["denominator"], row["value"], row["basis"]


@pytest.fixture(scope="module")
def with_plan(tmp_path_factory):
    return _load(tmp_path_factory.mktemp("plan"))


@pytest.fixture(scope="module")
def no_plan(tmp_path_factory):
    return _load(tmp_path_factory.mktemp("noplan"), plan=False)


def test_shape(with_plan) -> None:
    r = rates(with_plan, 2025, as_of="2025Q2")
    assert tuple(r.columns) == RATE_COLUMNS
    assert len(r) == 3 * len(RATE_NAMES)
    assert (r["date"] == pd.Timestamp("2025-06-30")).all() and (r["year"] == 2025).all()


# --- zone a: fallback lists ---------------------------------------------------------
def test_fallback_start_rate(no_plan) -> None:
    r = rates(no_plan, 2025, as_of="2025Q2")
    # list: under construction at Y0 = A1, A11 (A2, A10 completed before 2025; A7
    # cancelled 2024); due to start = A3 (signed 2024), A4, A8 (signed 2025-05),
    # A9 (started 2025; signed 2023). Not A5 (reserve), not A6 (cancelled 2024).
    # started by 2025-06-30: A1, A11, A4, A9 (A8 starts in August).
    assert _get(r, "a", "start_rate") == (4, 6, pytest.approx(4 / 6), "fallback")


def test_fallback_new_start_rate(no_plan) -> None:
    r = rates(no_plan, 2025, as_of="2025Q2")
    # due to start: A3, A4, A8, A9; started in [2025-01-01, 2025-06-30]: A4, A9.
    assert _get(r, "a", "new_start_rate") == (2, 4, pytest.approx(0.5), "fallback")


def test_fallback_production_rate(no_plan) -> None:
    r = rates(no_plan, 2025, as_of="2025Q2")
    # A2 completed 2024-10 and not producing at Y0 (producing 2025-03); A4 started with
    # planned completion 2025-11-30. Not A10 (producing before Y0), not A11 (no
    # designed output), not A1 (planned completion 2026), not A12 (started 2022 with
    # planned completion 2025-06-30, but cancelled 2024-10: off the year's lists).
    # Producing by D: A2.
    assert _get(r, "a", "production_rate") == (1, 2, pytest.approx(0.5), "fallback")


def test_cancelled_before_the_year_is_off_the_production_list(no_plan) -> None:
    """A12 alone: were it kept, the list would be A2, A4, A12 (1/3)."""
    from forecast.ledger.rates import rate_date, rate_lists
    r = rates(no_plan, 2025)
    assert _get(r, "a", "production_rate")[:2] == (1, 2)
    cut = no_plan.as_of("2025Q3")
    lists = rate_lists(cut.projects, no_plan.plan.iloc[:0], 2025, rate_date(no_plan, 2025)).set_index(
        cut.projects["project_id"])
    assert not lists.loc["A12", ["start_rate_den", "new_start_rate_den", "production_rate_den",
                                 "contract_rate_den"]].any()
    assert lists.loc[["A2", "A4"], "production_rate_den"].all()


def test_contract_rate(no_plan) -> None:
    r = rates(no_plan, 2025, as_of="2025Q2")
    # signed in [2024-01-01, 2025-06-30]: A3, A4, A6, A8 (A1, A9, A11 signed in 2023);
    # started by D: A4.
    assert _get(r, "a", "contract_rate") == (1, 4, pytest.approx(0.25), "signed")


def test_investment_rate_against_the_target(no_plan) -> None:
    r = rates(no_plan, 2025, as_of="2025Q2")
    # periods ending in [2025-01-01, 2025-06-30]: A1 2025-01 200, A4 2025Q2 300 (not A1
    # 2024-12, not A4 2025-07); target 1000.
    assert _get(r, "a", "investment_rate") == (500.0, 1000.0, pytest.approx(0.5), "target")


def test_later_date_counts_what_happened_since(no_plan) -> None:
    r = rates(no_plan, 2025)  # the ledger's last quarter: 2025Q3
    assert (r["date"] == pd.Timestamp("2025-09-30")).all()
    assert _get(r, "a", "start_rate")[:2] == (5, 6)      # + A8 (2025-08-01)
    assert _get(r, "a", "new_start_rate")[:2] == (3, 4)
    assert _get(r, "a", "contract_rate")[:2] == (2, 4)
    assert _get(r, "a", "investment_rate")[:2] == (900.0, 1000.0)


def test_as_of_ignores_later_events(no_plan) -> None:
    """A8 is signed 2025-05-01: at 2025Q1 it is not known to be signed (not due)."""
    r = rates(no_plan, 2025, as_of="2025Q1")
    # due to start at 2025-03-31: A3 (signed 2024), A4 (signed 2025-02), A9 (started 2025-03)
    assert _get(r, "a", "new_start_rate")[:2] == (1, 3)
    # A4 started 2025-04: not by 2025-03-31; its planned completion is not known then
    assert _get(r, "a", "production_rate")[:2] == (1, 1)


# --- zone b: the plan's lists ---------------------------------------------------------
def test_plan_start_rate(with_plan) -> None:
    r = rates(with_plan, 2025, as_of="2025Q2")
    # continuing + new_start of 2025: B1, B2, B3 (B6 started but is not on the plan;
    # B1's 2024 row is another year); started by D: B1, B2.
    assert _get(r, "b", "start_rate") == (2, 3, pytest.approx(2 / 3), "plan")


def test_plan_new_start_rate(with_plan) -> None:
    r = rates(with_plan, 2025, as_of="2025Q2")
    assert _get(r, "b", "new_start_rate") == (1, 2, pytest.approx(0.5), "plan")  # B2 of B2, B3


def test_plan_production_rate(with_plan) -> None:
    r = rates(with_plan, 2025, as_of="2025Q2")
    assert _get(r, "b", "production_rate") == (1, 1, pytest.approx(1.0), "plan")  # B4


def test_plan_contract_rate_is_the_signed_list(with_plan) -> None:
    r = rates(with_plan, 2025, as_of="2025Q2")
    # signed in the window: B2 (2024-12), B3 (2025-01), B6 (2025-02); started: B2, B6.
    assert _get(r, "b", "contract_rate") == (2, 3, pytest.approx(2 / 3), "signed")


def test_plan_investment_rate(with_plan) -> None:
    r = rates(with_plan, 2025, as_of="2025Q2")
    # Σ year_investment 300 + 200 + 100 + 50 (B5 blank) = 650, not the target 9999;
    # numerator: the zone's investment, B1 100 + B6 50 (B6 is off the plan but in the zone).
    assert _get(r, "b", "investment_rate") == (150.0, 650.0, pytest.approx(150 / 650), "plan")


def test_without_plan_b_uses_the_fallback(no_plan) -> None:
    r = rates(no_plan, 2025, as_of="2025Q2")
    # under construction at Y0: B1, B4 (completed 2025-02); due: B2, B3, B6; started: B1, B4, B2, B6
    assert _get(r, "b", "start_rate") == (4, 5, pytest.approx(0.8), "fallback")
    assert _get(r, "b", "investment_rate") == (150.0, 9999.0, pytest.approx(150 / 9999), "target")


def test_plan_without_year_investment_falls_back_to_the_target(tmp_path) -> None:
    led = _load(tmp_path, plan_csv="project_id,year,plan\nB1,2025,continuing\nB4,2025,production\n")
    r = rates(led, 2025, as_of="2025Q2")
    assert _get(r, "b", "investment_rate")[1:] == (9999.0, pytest.approx(150 / 9999), "target")


def test_an_empty_plan_list_is_not_defined(tmp_path) -> None:
    """A plan with no 竣工投产 row: 竣工投产率 is not defined, though the fallback
    list (B4) would have a project."""
    led = _load(tmp_path, plan_csv="project_id,year,plan,year_investment\nB1,2025,continuing,300\n")
    num, den, value, basis = _get(rates(led, 2025, as_of="2025Q2"), "b", "production_rate")
    assert (num, den, basis) == (0, 0, "plan") and np.isnan(value)


def test_empty_lists_are_not_defined(with_plan) -> None:
    r = rates(with_plan, 2025, as_of="2025Q2")
    c = r.loc[r["zone_id"] == "c"].set_index("rate")
    assert c["value"].isna().all()  # only a reserve project, no target: nothing defined
    assert c.loc["investment_rate", "basis"] == "none"
    assert (c.loc[["start_rate", "new_start_rate", "production_rate", "contract_rate"],
                  "denominator"] == 0).all()


def test_wide_has_one_row_per_zone(with_plan) -> None:
    w = wide(rates(with_plan, 2025, as_of="2025Q2")).set_index("zone_id")
    assert list(w.index) == ["a", "b", "c"]
    assert w.loc["b", "start_rate_num"] == 2 and w.loc["b", "start_rate_den"] == 3


def test_a_date_before_the_year_is_refused(with_plan) -> None:
    with pytest.raises(ForecastError, match="2025"):
        rates(with_plan, 2025, as_of="2024Q4")
