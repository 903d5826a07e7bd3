"""Every command refuses a quarter outside the ledger's data, naming the ledger's
last (or first) quarter, with exit 1 and before any model is fitted."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from forecast.cli import main
from forecast.exceptions import ForecastError
from forecast.ledger import load

GOOD = Path(__file__).resolve().parent / "data" / "ledgers" / "good"  # 2023Q1 .. 2024Q4


@pytest.mark.parametrize("args", [
    ["report", str(GOOD), "--zone", "my", "--as-of", "2025Q2", "--out", "{tmp}/r.html"],
    ["batch", str(GOOD), "--as-of", "2025Q2", "--out", "{tmp}/batch"],
    ["predict", str(GOOD), "--as-of", "2025Q2", "--out", "{tmp}/f.csv"],
    ["rates", str(GOOD), "--year", "2024", "--as-of", "2025Q2"],
    ["summary", str(GOOD), "--as-of", "2025Q2"],
    ["backtest", str(GOOD), "--origins", "2024Q2:2025Q2", "--out", "{tmp}/bt"],
], ids=lambda a: a[0])
def test_after_the_data_is_refused_naming_the_last_quarter(args, tmp_path) -> None:
    res = CliRunner().invoke(main, [a.replace("{tmp}", str(tmp_path)) for a in args])
    assert res.exit_code == 1, res.output
    # backtest names its first origin past the data, 2025Q1
    assert "is after the ledger's last quarter 2024Q4" in res.output
    assert not (tmp_path / "r.html").exists() and not (tmp_path / "f.csv").exists()


def test_before_the_data_is_refused_naming_the_first_quarter(tmp_path) -> None:
    res = CliRunner().invoke(main, ["predict", str(GOOD), "--as-of", "2020Q4", "--out",
                                    str(tmp_path / "f.csv")])
    assert res.exit_code == 1 and "before the ledger's first quarter 2023Q1" in res.output


def test_check_quarter_accepts_the_data_range() -> None:
    led = load(GOOD)
    assert (str(led.check_quarter("2023Q1")), str(led.check_quarter("2024Q4"))) == ("2023Q1", "2024Q4")
    with pytest.raises(ForecastError, match="last quarter 2024Q4"):
        led.check_quarter("2025Q1")


def test_report_data_refuses_too(tmp_path) -> None:
    """The notebook's own entry point checks as well (a report run from JupyterLab)."""
    from forecast.run import load_report_data

    with pytest.raises(ForecastError, match="last quarter 2024Q4"):
        load_report_data(str(GOOD), "my", "2025Q1")
