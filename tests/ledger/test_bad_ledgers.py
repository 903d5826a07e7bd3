"""Every bad fixture ledger: the problem is found, named by file, row and column.

Each ``tests/data/ledgers/bad_<name>`` is the good ledger with one thing broken
(see ``make_bad.py``); ``BAD`` says where, worked out from the edit, not from
the output.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import main
from forecast.exceptions import LedgerError
from forecast.ledger import load, validate

from ledger_helpers import LEDGERS

# name: (file, row as a spreadsheet shows it, column as written, check)
BAD = {
    "missing_file": ("progress.csv", None, None, "missing table"),
    "missing_column": ("projects.csv", None, "planned_investment", "missing column"),
    "empty_file": ("projects.csv", None, None, "empty file"),
    "undecodable": ("projects.csv", 4, None, "undecodable file"),
    "unknown_zone": ("projects.csv", 4, "zone_id", "unknown zone"),
    "unknown_project": ("progress.csv", 41, "project_id", "unknown project"),
    "duplicate_id": ("projects.csv", 12, "project_id", "duplicate project_id"),
    "unreadable_date": ("projects.csv", 5, "registered_date", "unreadable date"),
    "unreadable_number": ("projects.csv", 4, "planned_investment", "unreadable number"),
    "negative_money": ("progress.csv", 33, "investment", "negative money"),
    "planned_not_positive": ("projects.csv", 7, "planned_investment", "planned_investment not positive"),
    "date_order": ("projects.csv", 3, "start_date", "date out of order"),
    "cancelled_before_registered": ("projects.csv", 7, "cancelled_date", "date out of order"),
    "cancelled_after_completion": ("projects.csv", 6, "cancelled_date", "cancelled after completion"),
    "status_mismatch": ("projects.csv", 3, "项目状态", "status disagrees with dates"),
    "cumulative_decrease": ("progress.csv", 20, "累计完成投资", "cumulative decrease"),
    "unknown_category": ("projects.csv", 10, "category", "unknown category"),
    "zone_id_pattern": ("zones.csv", 3, "zone_id", "bad zone_id"),
    "unreadable_period": ("progress.csv", 24, "period", "unreadable period"),
    "unknown_target_metric": ("targets.csv", 3, "metric", "unknown metric"),
    "unknown_indicator_metric": ("indicators.csv", 3, "metric", "unknown metric"),
    "unknown_unit": ("projects.csv", None, "计划总投资(美元)", "unknown unit"),
    "extra_values": ("zones.csv", 2, None, "extra values"),
}


@cache
def _validate(name: str) -> tuple:
    return tuple(validate(LEDGERS / f"bad_{name}"))


def test_every_fixture_is_listed() -> None:
    on_disk = {p.name.removeprefix("bad_") for p in LEDGERS.glob("bad_*")}
    assert on_disk == set(BAD)


@pytest.mark.parametrize("name", sorted(BAD))
def test_validate_finds_the_problem_and_only_there(name: str) -> None:
    file, row, column, check = BAD[name]
    problems = _validate(name)
    errors = [p for p in problems if p.severity == "error"]
    assert any((p.file, p.row, p.column, p.check) == (file, row, column, check) for p in errors), errors
    # One thing is broken, so nothing elsewhere may be blamed.
    assert {p.file for p in errors} == {file}


@pytest.mark.parametrize("name", sorted(BAD))
def test_load_raises_with_the_same_problems(name: str) -> None:
    path = LEDGERS / f"bad_{name}"
    with pytest.raises(LedgerError, match=BAD[name][3]) as info:
        load(path)
    assert tuple(info.value.problems) == _validate(name)


@pytest.mark.parametrize("name", sorted(BAD))
def test_cli_validate_exits_1_and_names_file_row_column(name: str) -> None:
    file, row, column, check = BAD[name]
    result = CliRunner().invoke(main, ["validate", str(LEDGERS / f"bad_{name}")])
    assert result.exit_code == 1
    where = f"ERROR {file}" + (f", row {row}" if row is not None else "")
    where += f", column '{column}'" if column is not None else ""
    assert any(line.startswith(f"{where}: {check}:") for line in result.output.splitlines()), result.output
    assert "error(s)" in result.output.splitlines()[-1]


def test_not_strict_returns_the_ledger_with_bad_cells_blank() -> None:
    ledger = load(LEDGERS / "bad_unreadable_date", strict=False)
    p04 = ledger.projects.set_index("project_id").loc["P04"]
    assert pd.isna(p04["registered_date"]) and len(ledger.projects) == 12
    assert [p.check for p in ledger.warnings] == ["unreadable date"]
