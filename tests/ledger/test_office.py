"""Ledgers as zone offices keep them load equal to the canonical ledger (issue 11).

Each fixture is written from a canonical ledger by ``office_style`` with one
office habit (or several), then loaded: the result must equal the canonical
ledger, with the habit reported (info or warning) — or, for money in 亿元 under
a header without a unit, fail naming the column and 亿元.
"""

from __future__ import annotations

import re
import zipfile
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from ledger_helpers import GOOD, SHARED, assert_ledgers_equal
from office_style import Style, month_end_dates, write_csv_folder, write_ods, write_xls, write_xlsx

from forecast.exceptions import LedgerError
from forecast.ledger import load, validate
from forecast.ledger.messages import CHECK_ZH, check_zh, problem_text

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.fixture(scope="module")
def good():
    return load(GOOD)


@pytest.fixture(scope="module")
def mianyang():
    """One zone of the sample: 74 projects, 1,861 progress rows (the issue's example)."""
    return load(SAMPLE).zone("mianyang")


def _checks(problems) -> Counter:
    return Counter((p.severity, p.check) for p in problems)


def _loads_equal(path: Path, canonical, **expected: int) -> list:
    problems = validate(path)
    got = _checks(problems)
    assert not [p for p in problems if p.severity == "error"], [str(p) for p in problems][:5]
    for key, n in expected.items():
        severity, check = key.split("__")
        assert got[(severity, check.replace("_", " "))] == n, got
    assert sum(got.values()) == sum(expected.values()), got  # nothing else reported
    assert_ledgers_equal(load(path), canonical)
    return problems


@pytest.mark.parametrize("style, expected", [
    (Style(title=True), {"info__rows_above_the_header_skipped": 1}),
    (Style(two_row_header=True), {}),
    (Style(title=True, two_row_header=True), {"info__rows_above_the_header_skipped": 1}),
    (Style(totals=True), {"warning__total_row_skipped": 2}),
    (Style(free_names=True), {}),
    (Style(merged_zone=True), {"warning__merged_cells_filled_down": 2}),  # the good fixture has two zones
    (Style(spaces=True), {"warning__spaces_trimmed": 6}),  # project_id, zone_id, name, industry, unit, officer
    (Style(serial_dates=True), {}),
], ids=["title", "two-row-header", "title+two-rows", "totals", "free-sheet-names", "merged-zone", "spaces",
        "serial-dates"])
def test_xlsx_habits_load_equal(tmp_path: Path, good, style: Style, expected: dict) -> None:
    _loads_equal(write_xlsx(good, tmp_path / "台账.xlsx", style), good, **expected)


def test_the_issues_title_row_workbook_282_errors_before_none_now(tmp_path: Path, mianyang) -> None:
    """One zone of the sample saved with a title row above the projects header: 282 errors
    on main before this change (6 missing columns, 75 extra values, 201 unknown project),
    an info now, and the ledger loads equal."""
    path = write_xlsx(mianyang, tmp_path / "mianyang.xlsx", Style(title=True))
    problems = _loads_equal(path, mianyang, info__rows_above_the_header_skipped=1)
    assert problems[0].row == 1 and "row 3" in problems[0].expected


def test_two_row_header_merged_groups_and_merged_down_header(tmp_path: Path, good) -> None:
    from openpyxl import load_workbook

    path = write_xlsx(good, tmp_path / "l.xlsx", Style(two_row_header=True))
    ws = load_workbook(path)["项目"]
    merged = {str(r) for r in ws.merged_cells.ranges}
    assert {"A1:A2", "B1:E1"} <= merged and ws["A1"].value == "项目编号" and ws["A2"].value is None
    assert ws["F2"].value == "计划总投资(万元)"


def test_merged_down_cells_warn_naming_the_range(tmp_path: Path, good) -> None:
    problems = validate(write_xlsx(good, tmp_path / "l.xlsx", Style(merged_zone=True)))
    merged = [p for p in problems if p.check == "merged cells filled down"]
    assert [(p.file, p.row, p.column, p.value) for p in merged] == [
        ("l.xlsx[项目]", 2, "园区编号", "B2:B7"), ("l.xlsx[项目]", 8, "园区编号", "B8:B13")]


def test_total_rows_named_by_row(tmp_path: Path, good) -> None:
    problems = validate(write_xlsx(good, tmp_path / "l.xlsx", Style(totals=True)))
    totals = [(p.row, p.value) for p in problems if p.check == "total row skipped"]
    assert totals == [(8, "小 计"), (16, "合计")]  # 6 projects, 小计, a blank row, 6 projects, 合计


def test_a_total_word_in_a_named_projects_name_is_a_project(tmp_path: Path, good) -> None:
    p = good.projects.copy()
    p.loc[0, "name"] = "合计划建设的园区道路"  # a name that starts like 合计, with an id
    from forecast.ledger import Ledger

    led = Ledger(good.zones, p, good.progress, good.targets, good.indicators)
    _loads_equal(write_xlsx(led, tmp_path / "l.xlsx"), led)


@pytest.mark.parametrize("writer, suffix", [(write_xls, ".xls"), (write_ods, ".ods")])
def test_xls_and_ods(tmp_path: Path, good, writer, suffix: str) -> None:
    style = Style(title=True, totals=True)
    _loads_equal(writer(good, tmp_path / f"台账{suffix}", style), good,
                 info__rows_above_the_header_skipped=1, warning__total_row_skipped=2)


def test_xls_merged_cells(tmp_path: Path, good) -> None:
    _loads_equal(write_xls(good, tmp_path / "l.xls", Style(merged_zone=True, two_row_header=True)), good,
                 warning__merged_cells_filled_down=2)


def test_gbk_csv_with_title_line_blank_lines_and_free_names(tmp_path: Path, good) -> None:
    folder = write_csv_folder(good, tmp_path / "l", Style(title=True, free_names=True), encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        (folder / "Sheet1.csv").read_bytes().decode("utf-8")
    text = (folder / "Sheet1.csv").read_bytes().decode("gbk")
    assert text.startswith("2024年重点项目台账") and "\n\n" in text
    _loads_equal(folder, good, info__rows_above_the_header_skipped=1)


def test_month_only_dates_one_warning_per_column(tmp_path: Path, good) -> None:
    led = month_end_dates(good, every=2)
    problems = _loads_equal(write_xlsx(led, tmp_path / "l.xlsx", Style(month_only=True)), led,
                            **{"warning__month-only_dates": 1})
    n = int((led.projects["registered_date"] == led.projects["registered_date"] + pd.offsets.MonthEnd(0)).sum())
    assert n >= 2 and f"{n} cell(s)" in problems[0].expected and problems[0].column == "入库时间"


def test_formula_cells_give_their_cached_value(tmp_path: Path, good) -> None:
    """Excel stores a formula's last result; the loader reads it (openpyxl writes none: patched in)."""
    path = write_xlsx(good, tmp_path / "l.xlsx")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb["项目"]
    col = next(c.column_letter for c in ws[1] if c.value == "计划总投资(万元)")
    values = {}
    for r in range(2, ws.max_row + 1):
        values[r] = ws[f"{col}{r}"].value
        ws[f"{col}{r}"] = f"={values[r] / 2}*2"
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    sheet = next(n for n in files if n.startswith("xl/worksheets/") and "计划总投资".encode() in files[n] or
                 (n.startswith("xl/worksheets/sheet2")))
    xml = files[sheet].decode()
    xml, n = re.subn(r'<c r="(' + col + r')(\d+)"([^>]*)><f>([^<]*)</f><v\s*/>',
                     lambda m: f'<c r="{m[1]}{m[2]}"{m[3]}><f>{m[4]}</f><v>{values[int(m[2])]}</v>', xml)
    assert n == len(values)
    files[sheet] = xml.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    _loads_equal(path, good)


def test_yi_under_a_header_without_unit_fails_naming_column_and_yi(tmp_path: Path, mianyang) -> None:
    path = write_xlsx(mianyang, tmp_path / "l.xlsx", Style(yi_without_unit=True))
    with pytest.raises(LedgerError) as err:
        load(path)
    [p] = [p for p in err.value.problems if p.severity == "error"]
    assert (p.file, p.column, p.check) == ("l.xlsx[项目]", "计划总投资", "unit looks wrong")
    assert "亿元" in p.expected and "计划总投资(亿元)" in p.expected and "3.33" in p.value
    assert "计划总投资(亿元)" in problem_text(p, "zh") and "单位疑似有误" in problem_text(p, "zh")


def test_yuan_under_wan_fails_too_and_the_fixed_header_loads(tmp_path: Path, good) -> None:
    text = (GOOD / "projects.csv").read_text()
    lines = text.splitlines()
    head = lines[0].split(",")
    i = head.index("planned_investment")
    rows = [line.split(",") for line in lines[1:]]
    for r in rows:
        r[i] = str(float(r[i]) * 10_000)  # 元
    folder = tmp_path / "l"
    import shutil

    shutil.copytree(GOOD, folder)
    (folder / "projects.csv").write_text("\n".join([",".join(head)] + [",".join(r) for r in rows]) + "\n")
    problems = [p for p in validate(folder) if p.severity == "error"]
    assert [(p.column, p.check) for p in problems] == [("planned_investment", "unit looks wrong")]
    assert "look like 元" in problems[0].expected and "planned_investment(元)" in problems[0].expected
    head[i] = "planned_investment(元)"
    (folder / "projects.csv").write_text("\n".join([",".join(head)] + [",".join(r) for r in rows]) + "\n")
    assert_ledgers_equal(load(folder), good)


def test_honest_ledgers_do_not_trip_the_unit_check(good) -> None:
    """The sample and the fixture; the real World Bank ledger where ../shared is present."""
    assert not [p for p in load(SAMPLE).warnings if p.check == "unit looks wrong"]
    assert not [p for p in good.warnings if p.check == "unit looks wrong"]
    if SHARED is not None:
        real = SHARED / "data" / "real" / "worldbank-projects"
        assert not [p for p in validate(real) if p.check == "unit looks wrong"]


def test_every_check_has_chinese(tmp_path: Path) -> None:
    """Every check the loader can give (the bad-ledger fixtures and these) reads in Chinese."""
    from ledger_helpers import LEDGERS

    seen = set()
    for folder in LEDGERS.iterdir():
        if folder.is_dir():
            seen |= {p.check for p in validate(folder)}
    missing = {c for c in seen if check_zh(c) == c}
    assert not missing and seen <= set(CHECK_ZH) | {c for c in seen if c.startswith("duplicate ")}


def test_problem_text_in_chinese_keeps_the_fields() -> None:
    problems = validate(GOOD.parent / "bad_negative_money")
    p = next(p for p in problems if p.severity == "error")
    zh = problem_text(p, "zh")
    assert p.file in zh and f"第 {p.row} 行" in zh and p.column in zh and repr(p.value) in zh
    assert zh.startswith("错误") and p.expected_zh and p.expected_zh in zh
