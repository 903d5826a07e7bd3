"""Cell parsing (dates, numbers, periods, years) and file reading (encodings, rows)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from forecast.ledger import validate
from forecast.ledger.parse import parse_date, parse_date_months, parse_number, parse_period, parse_text, parse_year
from forecast.ledger.csvfile import read_csv_table


def _arrow(values: list[object]) -> pd.Series:
    """A column as the fast CSV path gives it."""
    return pd.Series(pd.array(values, dtype=pd.ArrowDtype(pa.string())))


@pytest.mark.parametrize(
    "written",
    ["2024-01-26", "2024/1/26", "2024.1.26", "2024年1月26日", " 2024-1-26 ", "20240126",
     "2024-01-26 00:00:00", "2024年01月26日", dt.datetime(2024, 1, 26), dt.date(2024, 1, 26),
     pd.Timestamp("2024-01-26"), 45317, 45317.0, "45317", 20240126.0],
)
def test_date_spellings(written: object) -> None:
    values, bad, month = parse_date_months(pd.Series([written], dtype=object))
    assert values[0] == pd.Timestamp("2024-01-26") and not bad[0] and not month[0]


@pytest.mark.parametrize("written", ["2024年3月", "2024-03", "2024-3", "2024.3", "2024/3", " 2024年03月 "])
def test_month_only_dates_read_as_the_months_last_day(written: str) -> None:
    values, bad, month = parse_date_months(pd.Series([written, "2024-03-05"], dtype=object))
    assert values.tolist() == [pd.Timestamp("2024-03-31"), pd.Timestamp("2024-03-05")]
    assert month.tolist() == [True, False] and not bad.any()


@pytest.mark.parametrize("written", ["2024-02-30", "26/01/2024", "yesterday", "2024-13", 2024.3, 2024.1, 123, 45317.5])
def test_unreadable_dates_are_flagged(written: object) -> None:
    values, bad, month = parse_date_months(pd.Series([written], dtype=object))
    assert bad[0] and pd.isna(values[0]) and not month[0]


def test_blank_date_is_not_a_problem() -> None:
    values, bad, month = parse_date_months(_arrow(["", None, "2024-01-01"]))
    assert values.isna().tolist() == [True, True, False] and not bad.any() and not month.any()
    assert parse_date(_arrow(["", None, "2024-01-01"]))[0].equals(values)


@pytest.mark.parametrize(
    ("written", "number"),
    [("1,234.5", 1234.5), ("1234", 1234.0), (" 12 ", 12.0), ("１２３", 123.0), ("-5", -5.0),
     ("12,345,678", 12345678.0), (7, 7.0), (2.5, 2.5)],
)
def test_numbers(written: object, number: float) -> None:
    for series in (pd.Series([written], dtype=object), _arrow([str(written)])):
        values, bad = parse_number(series)
        assert values[0] == number and not bad[0]


@pytest.mark.parametrize("written", ["1,23", "12a", "—", "1.2.3", "inf", "8千"])
def test_unreadable_numbers_are_flagged(written: str) -> None:
    for series in (pd.Series([written], dtype=object), _arrow([written])):
        values, bad = parse_number(series)
        assert bad[0] and np.isnan(values[0])


@pytest.mark.parametrize(
    ("written", "period", "freq", "end"),
    [("2024-03", "2024-03", "M", "2024-03-31"), ("2024年3月", "2024-03", "M", "2024-03-31"),
     ("2024/3", "2024-03", "M", "2024-03-31"), ("2024Q1", "2024Q1", "Q", "2024-03-31"),
     ("2024q4", "2024Q4", "Q", "2024-12-31"), ("2024年第2季度", "2024Q2", "Q", "2024-06-30"),
     ("2024年三季度", "2024Q3", "Q", "2024-09-30"), (dt.datetime(2024, 2, 1), "2024-02", "M", "2024-02-29")],
)
def test_periods(written: object, period: str, freq: str, end: str) -> None:
    frame, bad = parse_period(pd.Series([written], dtype=object))
    row = frame.iloc[0]
    assert (row["period"], row["freq"], row["period_end"], not bad[0]) == (period, freq, pd.Timestamp(end), True)
    assert row["quarter"] == pd.Period(end, freq="Q-DEC")


@pytest.mark.parametrize("written", ["2024-13", "2024Q5", "March", "2024", "24-03"])
def test_unreadable_periods_are_flagged(written: str) -> None:
    assert parse_period(_arrow([written]))[1][0]


@pytest.mark.parametrize(("written", "year"), [("2024", 2024), (2024.0, 2024), ("2024年", 2024)])
def test_years(written: object, year: int) -> None:
    values, bad = parse_year(pd.Series([written], dtype=object))
    assert values[0] == year and not bad[0]


@pytest.mark.parametrize("written", ["24", 2024.5, "next year"])
def test_unreadable_years(written: object) -> None:
    assert parse_year(pd.Series([written], dtype=object))[1][0]


def test_text_from_excel_numbers_and_blanks() -> None:
    assert parse_text(pd.Series([1001.0, " a ", "", None, 2.5], dtype=object)).tolist()[:2] == ["1001", "a"]
    text = parse_text(_arrow([" NA ", "", None]))
    assert text[0] == "NA" and text[1:].isna().all()


HEADER = "项目编号,园区编号,项目名称,计划总投资\n"
BODY = "P1,z1,显示模组产线,100\nP2,z1,創新藥基地,200\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_encodings_read_alike(tmp_path: Path, encoding: str) -> None:
    text = (HEADER + BODY).replace("創新藥", "创新药") if encoding == "gbk" else HEADER + BODY
    path = tmp_path / "projects.csv"
    path.write_bytes(text.encode(encoding))
    raw, outside = read_csv_table(path)
    assert raw is not None and raw.table == "projects" and raw.problems == [] and outside == []
    assert raw.headers == ["项目编号", "园区编号", "项目名称", "计划总投资"]
    assert parse_text(raw.frame[2]).tolist()[0] == "显示模组产线"


def test_undecodable_file_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "projects.csv"
    path.write_bytes(HEADER.encode() + b"P1,z1,\xff\x80,100\n")
    raw, _ = read_csv_table(path)
    assert raw is not None
    problems = raw.problems
    assert [(p.file, p.row, p.check) for p in problems] == [("projects.csv", 2, "undecodable file")]


def _rows_of(problems: list, check: str) -> list[int | None]:
    return [p.row for p in problems if p.check == check]


def test_blank_lines_keep_spreadsheet_rows(good_copy: Path) -> None:
    # Row 2 good, row 3 blank, row 4 bad: the bad cell must be reported on row 4.
    path = good_copy / "zones.csv"
    path.write_text("zone_id,name,level\nmy,绵阳经开区,national\n\ndy,德阳经开区,县级\n", encoding="utf-8")
    assert _rows_of(validate(good_copy), "unknown level") == [4]


def test_short_rows_are_padded_and_rows_kept(good_copy: Path) -> None:
    # A row with its trailing empty cells left out sends the file down the careful path.
    path = good_copy / "zones.csv"
    path.write_text("zone_id,name,province,level\nmy,绵阳经开区\ndy,德阳经开区,四川,县级\n", encoding="utf-8")
    assert _rows_of(validate(good_copy), "unknown level") == [3]


def test_quoted_newline_counts_as_one_row(good_copy: Path) -> None:
    path = good_copy / "zones.csv"
    path.write_text('zone_id,name,level\nmy,"绵阳\n经开区",national\ndy,德阳经开区,县级\n', encoding="utf-8")
    assert _rows_of(validate(good_copy), "unknown level") == [3]
