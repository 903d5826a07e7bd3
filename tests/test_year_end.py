"""Year-end rates from draws: a draw that follows what really happened gives the
rates of SCHEMA.md counted on the full ledger; next quarter's 三个一批 likewise.

The ledger is tests/data/ledgers/rates (see tests/ledger/test_rates.py): cut at
2025Q2, the "draw" puts every later event at its real date.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from forecast.ledger import load
from forecast.ledger.rates import rates
from forecast.periods import next_quarters, quarter, quarter_end
from forecast.year_end import BATCH_EVENTS, YearEnd, add_tallies, quarter_batches

LEDGER = "tests/data/ledgers/rates"
EVENTS = ("signed_date", "start_date", "completion_date", "production_date", "cancelled_date")


def _true_paths(full: pd.DataFrame, chunk: pd.DataFrame, as_of: str, draws: int = 1) -> SimpleNamespace:
    """Paths whose every draw is what the full ledger shows: NaN = happened by
    as_of, months after its end otherwise, inf = never."""
    end = quarter_end(as_of)
    real = full.set_index("project_id").loc[chunk["project_id"]]
    months = {}
    for col in EVENTS:
        d = real[col]
        m = ((d - end).dt.days / 30.4375).to_numpy(float)
        m = np.where(d.isna(), np.inf, np.where(d <= end, np.nan, m))
        months[col] = np.repeat(m[None, :], draws, axis=0)
    return SimpleNamespace(months=months)


@pytest.fixture(scope="module")
def run():
    full = load(LEDGER)
    cut = full.as_of("2025Q2")
    ye = YearEnd.for_cut(cut, horizon=4)
    live = cut.projects.loc[cut.projects["cancelled_date"].isna()]
    quarters = next_quarters("2025Q2", 4)
    out = {}
    for zone, chunk in live.groupby("zone_id"):
        tallies: dict = {}
        # two chunks, as the simulator would send a big zone
        for part in (chunk.iloc[:2], chunk.iloc[2:]):
            add_tallies(tallies, ye.tally(part, _true_paths(full.projects, part, "2025Q2")))
        samples = {"investment": np.zeros((1, 4)), "new_projects_started": np.zeros((1, 4))}
        out[zone] = ye.frames(zone, tallies, samples, quarters, 0.0, np.nan, "none")
    return full, ye, out


def test_the_year_is_that_of_the_first_forecast_quarter(run) -> None:
    _, ye, _ = run
    assert ye.year == 2025 and ye.months_to_end == 6.0
    cut = load(LEDGER).as_of("2025Q2")
    assert YearEnd.for_cut(cut, horizon=1) is None  # the horizon stops before December


@pytest.mark.parametrize("zone", ["a", "b"])
def test_a_true_draw_gives_the_rates_of_the_full_ledger(run, zone) -> None:
    full, _, out = run
    truth = rates(full, 2025).set_index(["zone_id", "rate"])["value"]
    year_end = out[zone][0].set_index("rate")
    for rate in ("start_rate", "new_start_rate", "production_rate", "contract_rate"):
        assert year_end.loc[rate, "p50"] == pytest.approx(truth[(zone, rate)]), rate
    assert year_end.loc["start_rate", "basis"] == ("plan" if zone == "b" else "fallback")


def test_reaching_the_plan(run) -> None:
    _, _, out = run
    b = out["b"][0].set_index("rate")
    # B4 produces: 竣工投产率 1/1 reached in every draw; 开复工率 2/3 (B3 never starts): never
    assert b.loc["production_rate", "p_reach"] == 1.0 and b.loc["start_rate", "p_reach"] == 0.0
    assert np.isnan(b.loc["investment_rate", "p50"])  # no denominator given: not defined


def test_next_quarter_batches_match_what_happened(run) -> None:
    full, _, out = run
    got = out["a"][1].set_index("event")
    real = quarter_batches(full.projects.loc[full.projects["zone_id"] == "a"], quarter("2025Q3")).set_index("event")
    for event in BATCH_EVENTS:  # A8 starts in 2025Q3 (signed in Q2, already counted then)
        assert got.loc[event, "projects_p50"] == real.loc[event, "projects"]
        assert got.loc[event, "investment_p50"] == real.loc[event, "investment"]
    assert real.loc["started", "projects"] == 1


def test_investment_rate_from_the_draws() -> None:
    cut = load(LEDGER).as_of("2025Q2")
    ye = YearEnd.for_cut(cut, horizon=4)
    inv = np.array([[100.0, 100.0, 0.0, 0.0], [300.0, 200.0, 0.0, 0.0]])  # Q3, Q4 of 2025, then 2026
    samples = {"investment": inv, "new_projects_started": np.zeros((2, 4))}
    frame, _ = ye.frames("a", {}, samples, next_quarters("2025Q2", 4), 500.0, 1000.0, "target")
    r = frame.set_index("rate").loc["investment_rate"]
    # draws: (500 + 200) / 1000 = 0.7 and (500 + 500) / 1000 = 1.0
    assert r["p50"] == pytest.approx(0.85) and r["p_reach"] == 0.5 and r["basis"] == "target"
