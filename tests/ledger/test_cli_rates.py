"""``forecast rates``: the csv contract, the table, --zone, --as-of and its refusal."""

from __future__ import annotations

import io

import pandas as pd
from click.testing import CliRunner
from ledger_helpers import GOOD, LEDGERS

from forecast.cli import main

RATES_LEDGER = LEDGERS / "rates"


def test_csv_rows_per_zone_and_rate() -> None:
    res = CliRunner().invoke(main, ["rates", str(RATES_LEDGER), "--year", "2025", "--as-of", "2025Q2",
                                    "--format", "csv"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(io.StringIO(res.output), dtype={"zone_id": str})
    assert list(df.columns) == ["zone_id", "year", "date", "rate", "numerator", "denominator", "value"]
    assert len(df) == 3 * 5 and set(df["rate"]) == {
        "start_rate", "new_start_rate", "investment_rate", "production_rate", "contract_rate"}
    a = df.loc[df["zone_id"] == "a"].set_index("rate")
    assert (a.loc["start_rate", "numerator"], a.loc["start_rate", "denominator"]) == (4, 6)
    assert a.loc["investment_rate", "value"] == 0.5 and (df["date"] == "2025-06-30").all()
    # an empty list: the value is left empty, never 0
    assert df.loc[df["zone_id"] == "c", "value"].isna().all()


def test_table_and_zone() -> None:
    res = CliRunner().invoke(main, ["rates", str(RATES_LEDGER), "--year", "2025", "--as-of", "2025Q2",
                                    "--zone", "c"])
    assert res.exit_code == 0, res.output
    assert "丙经开区 (c)" in res.output and "甲经开区" not in res.output
    assert "开复工率 0/0 = —" in res.output


def test_english_table() -> None:
    res = CliRunner().invoke(main, ["rates", str(GOOD), "--year", "2024", "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert "Investment completion rate CNY 356m / CNY 400m = 89.0%" in res.output


def test_unknown_zone_is_bad_usage() -> None:
    res = CliRunner().invoke(main, ["rates", str(GOOD), "--year", "2024", "--zone", "nope"])
    assert res.exit_code == 2 and "nope" in res.output


def test_as_of_after_the_data_is_refused() -> None:
    res = CliRunner().invoke(main, ["rates", str(GOOD), "--year", "2024", "--as-of", "2025Q2"])
    assert res.exit_code == 1
    assert "2025Q2 is after the ledger's last quarter 2024Q4" in res.output


def test_as_of_before_the_data_is_refused() -> None:
    res = CliRunner().invoke(main, ["rates", str(GOOD), "--year", "2024", "--as-of", "2019Q1"])
    assert res.exit_code == 1
    assert "before the ledger's first quarter 2023Q1" in res.output
