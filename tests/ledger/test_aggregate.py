"""quarterly and pipeline on the good fixture, checked against hand counts.

Hand counts come from reading tests/data/ledgers/good/projects.csv row by row.
"""

from __future__ import annotations

import pandas as pd
import pytest
from ledger_helpers import GOOD

from forecast.ledger import load
from forecast.ledger.aggregate import pipeline, quarterly
from forecast.vocab import METRICS, STAGES


@pytest.fixture(scope="module")
def good():
    return load(GOOD)


def test_quarterly_shape_and_metric_names(good) -> None:
    q = quarterly(good)
    assert set(METRICS) <= set(q.columns)
    # Two zones x 2023Q1..2024Q4, every quarter present.
    assert len(q) == 2 * 8 and q.groupby("zone_id")["quarter"].nunique().tolist() == [8, 8]
    assert q["quarter"].dtype == pd.PeriodDtype("Q-DEC")


def test_quarterly_counts_and_money(good) -> None:
    q = quarterly(good).set_index(["zone_id", "quarter"])
    # my: P05 starts 2023-03-01; P01 2023-04-01 and P02 2023-06-15.
    assert q.loc[("my", pd.Period("2023Q1", "Q-DEC")), "projects_started"] == 1
    assert q.loc[("my", pd.Period("2023Q2", "Q-DEC")), "projects_started"] == 2
    # dy registrations: P07 2023-01-05 in 2023Q1; P10, P11, P12 in 2024Q1.
    assert q.xs("dy")["projects_registered"].tolist() == [1, 1, 1, 0, 3, 0, 0, 0]
    assert q["projects_cancelled"].sum() == 2 and q["projects_full_production"].sum() == 1
    raw = pd.read_csv(GOOD / "progress.csv")
    assert q["investment"].sum() == pytest.approx(raw["investment"].sum())
    # my 2024Q1: P01 Jan-Mar monthly 3000 + 2500 + 4000, P02 quarterly 3500.
    assert q.loc[("my", pd.Period("2024Q1", "Q-DEC")), "investment"] == 13000


def test_quarterly_of_a_cut_ledger_stops_at_the_cut(good) -> None:
    q = quarterly(good.as_of("2023Q4"))
    assert q["quarter"].max() == pd.Period("2023Q4", "Q-DEC")
    assert q["projects_registered"].sum() == 9  # P01-P09; P10-P12 register in 2024
    assert q["projects_completed"].sum() == 1  # only P05 (2023-12-20)


def test_pipeline_by_hand(good) -> None:
    p = pipeline(good, "2024Q2").set_index(["zone_id", "stage"])
    assert p.index.get_level_values("stage").unique().tolist() == list(STAGES)
    # my at 2024-06-30: P04 reserve, P03 signed, P02 started, P01 completed (2024-05-20),
    # P05 producing (2024-02-01), P06 cancelled.
    assert p.xs("my")["projects"].tolist() == [1, 1, 1, 1, 1, 0, 1]
    assert p.loc[("my", "completed"), "planned_investment"] == 50000
    # dy at 2024-06-30: P11 reserve, P12 signed, P08 + P10 started, P07 producing, P09 cancelled.
    assert p.xs("dy")["projects"].tolist() == [1, 1, 2, 0, 1, 0, 1]


def test_pipeline_leaves_out_projects_not_yet_registered(good) -> None:
    assert pipeline(good, "2023-01-31")["projects"].sum() == 3  # P01, P05, P07
