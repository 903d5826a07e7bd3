"""The validate and summary commands: what they pass to the library, what they print."""

from __future__ import annotations

import subprocess
import sys
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from ledger_helpers import GOOD, LEDGERS

from forecast.cli import ledger_cmds, main
from forecast.exceptions import Problem

FORECAST = Path(sys.executable).with_name("forecast")


def test_validate_good_exits_0() -> None:
    result = CliRunner().invoke(main, ["validate", str(GOOD)])
    assert result.exit_code == 0 and "0 error(s), 0 warning(s)" in result.output


def test_validate_passes_the_path_and_exits_0_on_warnings_only(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = []
    warning = Problem("indicators.csv", 5, "累计值", "cumulative revision", "10", "more", "warning")
    monkeypatch.setattr(ledger_cmds, "validate_in_language", lambda path: seen.append(path) or ([warning], "en"))
    result = CliRunner().invoke(main, ["validate", str(GOOD)])
    assert seen == [str(GOOD)]
    assert result.exit_code == 0 and "WARNING indicators.csv, row 5" in result.output
    assert "0 error(s), 1 warning(s)" in result.output


def test_validate_csv_format_is_a_table() -> None:
    result = CliRunner().invoke(main, ["validate", "--format", "csv", str(LEDGERS / "bad_unknown_zone")])
    assert result.exit_code == 1
    table = pd.read_csv(StringIO(result.stdout))
    assert table[["file", "row", "column", "check"]].values.tolist() == [
        ["projects.csv", 4, "zone_id", "unknown zone"]
    ]


def test_validate_in_chinese_with_the_same_fields() -> None:
    bad = LEDGERS / "bad_unknown_zone"
    en = CliRunner().invoke(main, ["validate", str(bad)])
    zh = CliRunner().invoke(main, ["validate", "--lang", "zh", str(bad)])
    assert en.exit_code == zh.exit_code == 1
    assert "ERROR projects.csv, row 4, column 'zone_id': unknown zone" in en.output
    assert "错误 projects.csv，第 4 行，列“zone_id”：未知园区：应为 zones.csv 中列出的园区" in zh.output
    assert "1 个错误，0 个警告" in zh.output
    table = pd.read_csv(StringIO(CliRunner().invoke(main, ["validate", "--lang", "zh", "--format", "csv",
                                                           str(bad)]).stdout))
    assert table[["文件", "行", "列", "检查", "级别"]].values.tolist() == [["projects.csv", 4, "zone_id", "未知园区", "错误"]]


def test_validate_speaks_the_language_of_the_headers(tmp_path: Path) -> None:
    """A ledger with Chinese headers gets Chinese messages without --lang, also when a command fails."""
    from forecast.ledger import load
    from office_style import Style, write_xlsx

    path = write_xlsx(load(GOOD), tmp_path / "台账.xlsx", Style(yi_without_unit=True))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 1 and "错误 台账.xlsx[项目]，列“计划总投资”：单位疑似有误" in result.output
    assert "计划总投资(亿元)" in result.output
    english = CliRunner().invoke(main, ["validate", "--lang", "en", str(path)])
    assert "unit looks wrong" in english.output and "look like 亿元" in english.output
    summary = CliRunner().invoke(main, ["summary", str(path)])
    assert summary.exit_code == 1 and "单位疑似有误" in summary.output


def test_summary_prints_each_zone() -> None:
    result = CliRunner().invoke(main, ["summary", str(GOOD)])
    assert result.exit_code == 0, result.output
    assert "绵阳经开区 (my) — as of 2024Q4" in result.output and "德阳经开区 (dy)" in result.output
    # my on 2024-12-31: under construction at Y0 P01, P02, due to start P03 (signed
    # 2023); P01 and P02 started; 35600 of 40000 万元.
    assert "开复工率 2/3 = 66.7%" in result.output
    assert "投资完成率 3.56 亿元 / 4.00 亿元 = 89.0%" in result.output


def test_summary_as_of_and_zone() -> None:
    result = CliRunner().invoke(main, ["summary", str(GOOD), "--as-of", "2023Q4", "--zone", "dy"])
    assert result.exit_code == 0, result.output
    assert "as of 2023Q4" in result.output and "my)" not in result.output


def test_summary_of_a_bad_ledger_lists_problems_and_exits_1() -> None:
    result = CliRunner().invoke(main, ["summary", str(LEDGERS / "bad_date_order")])
    assert result.exit_code == 1 and "projects.csv, row 3, column 'start_date'" in result.output


def test_console_script_validate_bad_ledger() -> None:
    run = subprocess.run([str(FORECAST), "validate", str(LEDGERS / "bad_unreadable_date")],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert "projects.csv, row 5, column 'registered_date'" in run.stdout


def test_console_script_summary_good_ledger() -> None:
    run = subprocess.run([str(FORECAST), "summary", str(GOOD)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "德阳经开区 (dy)" in run.stdout
