"""Workbook sheets typed a column at a time (forecast.ledger.cells) read as cell by cell did.

The loader types each column of a sheet once (text → Arrow, numbers → float64,
anything mixed → objects) and parses the next sheets on threads. These tests pin
what that must not change: the values, the problems and the values they show.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from ledger_helpers import GOOD, assert_ledgers_equal
from openpyxl import Workbook

import forecast.ledger.workbook as workbook
from forecast.ledger import load, validate
from forecast.ledger.cells import columns_of, typed_column
from forecast.ledger.parse import parse_number
from forecast.ledger.rawtable import RawTable, concat
from forecast.ledger.rows import drop_blank_rows


def test_each_column_typed_only_when_nothing_is_lost() -> None:
    text = typed_column(["a", "", " b "])
    assert isinstance(text.dtype, pd.ArrowDtype) and list(text) == ["a", "", " b "]  # blanks and spaces kept
    numbers = typed_column([1.5, "", 3.0])
    assert numbers.dtype == np.float64 and np.isnan(numbers[1]) and numbers[2] == 3.0
    for mixed in ([1.5, "x"], [1.5, " "], [1, 2], [dt.date(2024, 1, 2), ""], [True, 1.0], [1.0, None]):
        out = typed_column(mixed)
        assert out.dtype == object and list(out) == mixed, mixed


def test_cells_right_of_the_header_reported_per_row() -> None:
    frame, problems = columns_of("b.xlsx[项目]", [["a", 1.0, ""], ["b", 2.0, "x"], ["c", 3.0, ""]], 2, 2)
    assert list(frame.columns) == [0, 1] and frame[1].tolist() == [1.0, 2.0, 3.0]
    assert [(p.row, p.check, p.value) for p in problems] == [(3, "extra values", "x")]


def test_text_nan_is_not_a_blank_number() -> None:
    """Arrow reads the text 'nan' as NaN: a bad cell, as on the cell-by-cell path, not a blank."""
    arrow = pd.Series(pd.array(["1", "nan", None, "2"], dtype=pd.ArrowDtype(pa.string())))
    for cells in (arrow, arrow.astype(object)):
        values, bad = parse_number(cells)
        assert bad.tolist() == [False, True, False, False]
        assert values[0] == 1.0 and values[3] == 2.0


def test_white_space_rows_are_blank_in_arrow_columns_too() -> None:
    arrow = pd.array(["a", " ", "\u3000", None], dtype=pd.ArrowDtype(pa.string()))
    frame = pd.DataFrame({0: arrow, 1: pd.array(["x", "", None, " "], dtype=pd.ArrowDtype(pa.string()))})
    assert drop_blank_rows(frame).index.tolist() == [0]
    assert drop_blank_rows(frame.astype(object)).index.tolist() == [0]


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def _good_sheets() -> dict[str, list[list[object]]]:
    sheets = {}
    for f in sorted(GOOD.glob("*.csv")):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        numeric = {c for c in df.columns if pd.to_numeric(df[c].replace("", np.nan), errors="coerce").notna().sum()
                   == (df[c] != "").sum() and (df[c] != "").any() and "id" not in c}
        rows = [[(float(v) if c in numeric and v else v) for c, v in zip(df.columns, r)]
                for r in df.itertuples(index=False)]
        sheets[f.stem] = [list(df.columns), *rows]
    return sheets


def test_progress_over_sheets_of_different_types_loads_equal(tmp_path: Path) -> None:
    """One sheet's investment as numbers, the other's as text: the parts are joined as written."""
    sheets = _good_sheets()
    header, *rows = sheets.pop("progress")
    half = len(rows) // 2
    as_text = [[("" if v == "" else str(v)) if isinstance(v, float) or v == "" else v for v in r] for r in rows[half:]]
    sheets["progress"], sheets["progress2"] = [header, *rows[:half]], [header, *as_text]
    book = _workbook(tmp_path / "ledger.xlsx", sheets)
    assert [p for p in validate(book) if p.severity == "error"] == []
    assert_ledgers_equal(load(book), load(GOOD))


def test_a_blank_number_cell_shows_as_the_sheet_wrote_it(tmp_path: Path) -> None:
    sheets = _good_sheets()
    header = sheets["projects"][0]
    col = header.index("planned_investment")
    assert isinstance(sheets["projects"][1][col], float)  # typed as float64 when read
    sheets["projects"][1][col] = None
    problems = [p for p in validate(_workbook(tmp_path / "ledger.xlsx", sheets)) if p.check == "missing value"]
    assert [(p.row, p.column, p.value) for p in problems] == [(2, "planned_investment", "")]


def test_parts_joined_keep_each_cell(tmp_path: Path) -> None:
    """concat of a float64 part and a text part: the float part's blanks are '' again, not NaN."""
    a = RawTable("progress", "b.xlsx[p1]", ["x"], pd.DataFrame({0: np.array([1.0, np.nan])}), blank="")
    b = RawTable("progress", "b.xlsx[p2]", ["x"], pd.DataFrame({0: np.array(["2", ""], dtype=object)}), blank="")
    joined = concat([a, b])
    assert joined.frame[0].tolist() == [1.0, "", "2", ""]
    assert joined.parts == ("b.xlsx[p1]", "b.xlsx[p2]")


def test_sheets_parsed_ahead_on_threads_read_as_one_by_one(tmp_path: Path, monkeypatch) -> None:
    """Problems in sheet order and equal tables whether the next sheets parse on threads or not."""
    sheets = _good_sheets()
    sheets["projects"][3][0] = "合计"  # a total row: a warning naming the sheet and row
    sheets["说明"] = [["说明"], ["本表为示例"]]
    sheets["其他"] = [["标题"], ["x"]]
    book = _workbook(tmp_path / "ledger.xlsx", sheets)
    ahead = validate(book), load(book, strict=False)
    monkeypatch.setattr(workbook, "_AHEAD_SUFFIXES", ())
    one_by_one = validate(book), load(book, strict=False)
    assert ahead[0] == one_by_one[0] and any(p.check == "total row skipped" for p in ahead[0])
    assert_ledgers_equal(ahead[1], one_by_one[1])


def test_an_unreadable_sheet_on_a_thread_is_a_problem_naming_it(tmp_path: Path, monkeypatch) -> None:
    book = _workbook(tmp_path / "ledger.xlsx", _good_sheets())
    real = workbook._get

    def broken(b, name):
        return ValueError("bad sheet") if name == "targets" else real(b, name)

    monkeypatch.setattr(workbook, "_get", broken)
    problems = validate(book)
    hit = [p for p in problems if p.check == "unreadable workbook"]
    assert [(p.file, p.value) for p in hit] == [("ledger.xlsx[targets]", "ValueError: bad sheet")]


def test_a_row_with_several_cells_beyond_the_header_is_one_problem() -> None:
    from forecast.ledger.cells import columns_of

    body = [["P1", "a", "x", "y"], ["P2", "b", "", ""], ["P3", "c", "", "z"]]
    frame, problems = columns_of("projects.xlsx", body, 2, first_row=3)
    assert frame.shape == (3, 2)
    assert [p.row for p in problems] == [3, 5]
