"""Rules the bad fixtures do not cover one by one: each edit breaks one rule."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from ledger_helpers import GOOD

from forecast.ledger import load, validate


def _edit(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _found(folder: Path) -> set[tuple]:
    return {(p.severity, p.file, p.row, p.column, p.check) for p in validate(folder)}


@pytest.mark.parametrize(
    ("file", "old", "new", "expected"),
    [
        # A second row for P02 in 2024Q4 (rows 23 and 51: 49 data rows, then this one).
        ("progress.csv", "P12,2024Q4,8000,", "P12,2024Q4,8000,\nP02,2024Q4,1,",
         ("error", "progress.csv", 51, "period", "duplicate row")),
        # A quarterly row for P01 in 2024Q2, whose months are there already.
        ("progress.csv", "P12,2024Q4,8000,", "P12,2024Q4,8000,\nP01,2024Q2,1,",
         ("error", "progress.csv", 51, "period", "overlapping periods")),
        ("targets.csv", "dy,2024,projects_producing,1", "dy,2024,investment,1",
         ("error", "targets.csv", 7, "metric", "duplicate row")),
        ("zones.csv", "zone_id,name", "zone_id,园区编号", ("error", "zones.csv", None, "园区编号", "duplicate column")),
        # P07: production without completion is a gap, kept as a warning.
        ("projects.csv", "2024-03-31,2024-04-10,2024-06-01", "2024-03-31,,2024-06-01",
         ("warning", "projects.csv", 8, "production_date", "earlier milestone missing")),
        ("projects.csv", "2023-06-15,2024-12-31", "2023-06-15,2023-01-01",
         ("warning", "projects.csv", 3, "planned_completion_date", "planned before start")),
        ("targets.csv", "dy,2024,investment,45000", "dy,2024,investment,-5",
         ("error", "targets.csv", 5, "value", "negative number")),
        ("projects.csv", "P04,my,文旅小镇,social", "P04,my,,social",
         ("error", "projects.csv", 5, "name", "missing value")),
        ("projects.csv", "P04,my,文旅小镇,social,文旅,12000,2023-04-20,200", "P04,my,文旅小镇,social,文旅,12000,2023-04-20,-2",
         ("error", "projects.csv", 5, "land_mu", "negative number")),
        ("zones.csv", "dy,德阳经开区,四川,德阳,provincial", "my,德阳经开区,四川,德阳,provincial",
         ("error", "zones.csv", 3, "zone_id", "duplicate zone_id")),
    ],
)
def test_rule(good_copy: Path, file: str, old: str, new: str, expected: tuple) -> None:
    _edit(good_copy, file, old, new)
    assert expected in _found(good_copy)


def test_accepted_spellings_raise_nothing(good_copy: Path) -> None:
    _edit(good_copy, "zones.csv", "national", "国家级")
    _edit(good_copy, "projects.csv", "商贸综合体,services", "商贸综合体,商貿服務業")
    _edit(good_copy, "projects.csv", "2023-01-10", "2023年1月10日")
    assert validate(good_copy) == []


def test_header_only_projects_is_an_error(good_copy: Path) -> None:
    (good_copy / "projects.csv").write_text((GOOD / "projects.csv").read_text().splitlines()[0] + "\n")
    assert ("error", "projects.csv", None, None, "no rows") in _found(good_copy)


def test_optional_tables_may_be_absent(good_copy: Path) -> None:
    (good_copy / "targets.csv").unlink()
    (good_copy / "indicators.csv").unlink()
    ledger = load(good_copy)
    assert ledger.targets.empty and ledger.indicators.empty
    assert list(ledger.indicators.columns) == ["zone_id", "period", "freq", "period_end", "quarter", "metric", "value"]


def test_chinese_file_names(good_copy: Path) -> None:
    for table, zh in {"zones": "园区", "projects": "项目", "progress": "进度"}.items():
        (good_copy / f"{table}.csv").rename(good_copy / f"{zh}.csv")
    assert len(load(good_copy).projects) == 12


def test_missing_folder_is_a_problem(tmp_path: Path) -> None:
    assert [p.check for p in validate(tmp_path / "nowhere")] == ["no ledger"]


def test_many_bad_rows_are_capped_with_a_count(good_copy: Path) -> None:
    rows = ["project_id,period,investment"] + [f"P01,2030-{m:02d},x" for m in range(1, 13)] * 30
    (good_copy / "progress.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    unreadable = [p for p in validate(good_copy) if p.check == "unreadable number"]
    listed = [p for p in unreadable if p.row is not None]
    counted = [p.value for p in unreadable if p.row is None]
    assert len(listed) == 200 and counted == [f"{360 - 200} more rows"]


def test_zone_ids_in_projects_refer_to_zones(good_copy: Path) -> None:
    _edit(good_copy, "zones.csv", "dy,德阳经开区,四川,德阳,provincial\n", "")
    found = _found(good_copy)
    dy_rows = pd.read_csv(GOOD / "projects.csv").index[pd.read_csv(GOOD / "projects.csv")["zone_id"] == "dy"] + 2
    assert {r for (_, f, r, c, chk) in found if f == "projects.csv" and chk == "unknown zone"} == set(dy_rows)


def test_two_columns_with_one_unknown_header_are_both_kept(good_copy: Path) -> None:
    projects = pd.read_csv(GOOD / "projects.csv", dtype=str)
    projects.insert(len(projects.columns), "备注", "a")
    projects.insert(len(projects.columns), "备注 ", "b")  # pandas would rename; write the header twice by hand
    text = projects.to_csv(index=False).replace("备注 ", "备注", 1)
    (good_copy / "projects.csv").write_text(text, encoding="utf-8")
    ledger = load(good_copy, strict=False)
    assert ledger.projects["备注"].iloc[0] == "a" and ledger.projects["备注.20"].iloc[0] == "b"
    assert [(w.check, w.severity) for w in ledger.warnings] == [("duplicate header", "warning")]


def test_cumulative_without_project_column_reports_not_crashes(good_copy: Path) -> None:
    (good_copy / "progress.csv").write_text("period,累计完成投资\n2024-01,5\n", encoding="utf-8")
    assert ("error", "progress.csv", None, "project_id", "missing column") in _found(good_copy)
