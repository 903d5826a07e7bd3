"""The sample's plan.csv: each year's plan made in January from the ledger as it stood then."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from forecast.ledger import load
from forecast.ledger.rates import rates
from forecast.ledger.write import write_csv
from forecast.sample import generate
from forecast.sample.plan import FIRST_YEAR_SHARE, plan_of_year, yearly_plans
from forecast.vocab import RATE_NAMES

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    return load(SAMPLE)


def test_committed_plan_is_the_plan_of_the_committed_ledger(sample, tmp_path: Path) -> None:
    """plan.csv follows from the other tables (nothing drawn): made again from them, byte for byte."""
    plan = yearly_plans(sample.projects, sample.progress, sample.targets, 2015, 2026)
    write_csv(plan, tmp_path / "plan.csv")
    assert (tmp_path / "plan.csv").read_bytes() == (SAMPLE / "plan.csv").read_bytes()
    assert sorted(sample.plan["year"].unique()) == list(range(2015, 2027))  # like the targets: to end_year + 1


def test_plan_types_follow_the_ledger_on_1_january(sample) -> None:
    p = sample.projects.set_index("project_id")
    for year in (2016, 2020, 2025):
        y0, y1 = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
        rows = sample.plan.loc[sample.plan["year"] == year]
        assert rows["project_id"].is_unique
        q = p.loc[rows["project_id"]]
        kind = rows["plan"].to_numpy()

        def before(col: str) -> np.ndarray:
            return (q[col] < y0).fillna(False).to_numpy(bool)

        assert before("registered_date").all() and not before("cancelled_date").any()
        building = before("start_date") & ~before("completion_date")
        assert (building[kind == "continuing"]).all()
        assert (before("signed_date") & ~before("start_date"))[kind == "new_start"].all()
        assert (~before("signed_date") & ~before("start_date"))[kind == "preparatory"].all()
        prod = kind == "production"
        assert (q["designed_output"].to_numpy()[prod] > 0).all()
        due = (q["planned_completion_date"] <= y1).to_numpy() | before("completion_date")
        assert due[prod].all()
        # every project under construction on 1 January is on the plan, and every signed one not yet started
        active = p.loc[(p["registered_date"] < y0) & ~(p["cancelled_date"] < y0)]
        on_site = active.index[(active["start_date"] < y0) & ~(active["completion_date"] < y0)]
        signed = active.index[(active["signed_date"] < y0) & ~(active["start_date"] < y0)]
        assert set(on_site) | set(signed) <= set(rows["project_id"])


def test_year_investment_breaks_the_target_down(sample) -> None:
    plan, t = sample.plan, sample.targets
    target = t.loc[t["metric"] == "investment"].set_index(["zone_id", "year"])["value"]
    total = plan.groupby(["zone_id", "year"])["year_investment"].sum()
    n = plan.groupby(["zone_id", "year"]).size()
    assert (total - target.reindex(total.index)).abs().le(5 * n).all()  # rounding to 10 万元 only
    assert (plan.loc[plan["plan"] == "preparatory", "year_investment"] == 0).all()
    assert (plan["year_investment"] >= 0).all()


def test_without_a_target_the_shares_are_planned_as_they_are() -> None:
    projects = pd.DataFrame({
        "project_id": ["new", "left", "prep"], "zone_id": "z",
        "planned_investment": [1000.0, 4000.0, 500.0], "designed_output": [1.0, 1.0, 0.0],
        "registered_date": pd.to_datetime(["2023-01-01"] * 3),
        "signed_date": pd.to_datetime(["2023-06-01", "2023-02-01", None]),
        "start_date": pd.to_datetime([None, "2023-03-01", None]),
        "planned_completion_date": pd.to_datetime([None, "2026-01-01", None]),
        "completion_date": pd.NaT, "production_date": pd.NaT, "cancelled_date": pd.NaT,
    })
    progress = pd.DataFrame({"project_id": ["left"], "period_end": pd.to_datetime(["2023-12-31"]),
                             "investment": [1000.0]})
    plan = plan_of_year(projects, progress, 2024)
    assert plan["plan"].tolist() == ["new_start", "continuing", "preparatory"]
    # 3,000 left over the 24 months to 2026-01-01: twelve of them planned
    assert plan["year_investment"].tolist() == [1000 * FIRST_YEAR_SHARE, 1500.0, 0.0]
    scaled = plan_of_year(projects, progress, 2024, pd.Series({"z": 3500.0}))
    assert scaled["year_investment"].sum() == 3500.0


def test_generate_plans_every_zone_and_draws_nothing() -> None:
    """The plan is made last from the other tables: a ledger without it has the same tables."""
    led = generate(zones=2, seed=3)
    again = yearly_plans(led.projects, led.progress, led.targets, 2015, 2026)
    pd.testing.assert_frame_equal(led.plan.drop(columns="zone_id"), again)
    assert set(led.plan["zone_id"]) == set(led.zones["zone_id"])


def test_rates_of_the_sample_use_the_plan(sample) -> None:
    r = rates(sample, 2025)
    counts = r.loc[r["rate"].isin([n for n in RATE_NAMES if n not in ("contract_rate", "investment_rate")])]
    assert (counts["basis"] == "plan").all()
    inv = r.loc[r["rate"] == "investment_rate"]
    assert (inv["basis"] == "plan").all() and inv["value"].between(0.5, 2.0).all()
    start = r.loc[r["rate"] == "start_rate", "value"]
    assert start.between(0.5, 1.0).all()
