"""Workbooks of a ledger: ``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls`` (Excel 97–2003) and ``.ods``.

Read with python-calamine (Rust; the engine behind pandas' ``engine="calamine"``),
which reads all five formats, gives the cached value of a formula cell, dates
of date-formatted cells as dates, and the merged ranges of a sheet. It reads a
large sheet an order of magnitude faster than openpyxl (``bench/load.py``).

Every sheet is examined: the table it holds is found by its header's columns
(:mod:`.grid`), the sheet name being a hint. Cells merged down a column below
the header (a zone name written once for its projects) are filled down, with a
warning naming the range.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ..exceptions import Problem
from .grid import SCAN_ROWS, blank, column_letter, find_header, not_read, skipped_above, table_of_name
from .rawtable import RawTable, extra_values, problem

#: Workbook suffixes read.
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
#: Sheets that explain a workbook (the template's 说明): never a table, never reported.
NOTE_SHEETS = ("说明", "填表说明", "填报说明", "readme", "notes", "instructions")


def _fill_merged(file: str, rows: list[list[Any]], header_row: int, headers: list[str],
                 ranges: list[tuple[tuple[int, int], tuple[int, int]]]) -> list[Problem]:
    """Copy the value of each range merged down a column below the header into every row of it."""
    problems = []
    for (r0, c0), (r1, c1) in ranges:
        if r0 <= header_row or r1 <= r0 or r0 >= len(rows):
            continue
        value = rows[r0][c0]
        if blank(value):  # nothing to fill
            continue
        for r in range(r0 + 1, min(r1, len(rows) - 1) + 1):
            rows[r][c0] = value
        cells = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
        head = headers[c0] if c0 < len(headers) else None
        problems.append(Problem(file, r0 + 1, head, "merged cells filled down", cells,
                                f"one value in each cell; the merged value {value!r} was copied to rows "
                                f"{r0 + 1}-{r1 + 1}", "warning",
                                expected_zh=f"每个单元格各填一个值；合并单元格的值 {value!r} 已复制到第 "
                                            f"{r0 + 1}-{r1 + 1} 行"))
    return problems


def _sheet(path: Path, name: str, sheet: Any) -> tuple[RawTable | None, list[Problem]]:
    file = f"{path.name}[{name}]"
    hint = table_of_name(name)
    rows = sheet.to_python(skip_empty_area=False)
    if not any(not blank(v) for r in rows[:SCAN_ROWS] for v in r):
        if hint is None:
            return None, []
        raw = RawTable(hint, file, [], pd.DataFrame())
        raw.problems.append(problem(file, "empty sheet", "a header row and data rows", zh="表头行和数据行"))
        return raw, []
    header, closest = find_header(rows[:SCAN_ROWS], hint)
    if header is None:
        quiet = name.strip().lower() in NOTE_SHEETS
        return None, [] if quiet else [not_read(file, closest)]
    n = len(header.headers)
    problems = skipped_above(file, rows, header)
    problems += _fill_merged(file, rows, header.row, header.headers, list(sheet.merged_cell_ranges or []))
    body = rows[header.row + 1:]
    frame = pd.DataFrame(body, dtype=object) if body else pd.DataFrame(columns=range(n), dtype=object)
    for c in range(n, frame.shape[1]):  # cells right of the last header
        cells = frame[c].to_numpy()
        maybe = (pd.notna(cells) & (cells != "")).nonzero()[0]
        for i in (i for i in maybe if not blank(cells[i])):
            problems.append(extra_values(file, header.row + 2 + int(i), n, list(body[i][n:])))
    frame = frame.iloc[:, :n] if frame.shape[1] > n else frame.reindex(columns=range(n))
    frame.index = pd.RangeIndex(header.row, header.row + len(frame))
    return RawTable(header.table, file, header.headers, frame, None, problems), []


def read_workbook(path: Path) -> tuple[list[RawTable], list[Problem]]:
    """Every table of a workbook, one :class:`RawTable` per sheet holding one."""
    from python_calamine import CalamineWorkbook  # only workbooks need it

    try:
        wb = CalamineWorkbook.from_path(str(path))
    except Exception as err:  # noqa: BLE001  calamine raises its own types and OSError for a bad file
        return [], [problem(path.name, "unreadable workbook",
                            "an .xlsx, .xlsm, .xls or .ods file saved by Excel, WPS or LibreOffice",
                            f"{type(err).__name__}: {err}",
                            zh="由 Excel、WPS 或 LibreOffice 保存的 .xlsx、.xlsm、.xls 或 .ods 文件")]
    tables: list[RawTable] = []
    problems: list[Problem] = []
    try:
        for name in wb.sheet_names:
            try:
                raw, found = _sheet(path, name, wb.get_sheet_by_name(name))
            except Exception as err:  # noqa: BLE001  one unreadable sheet must not hide the others
                problems.append(problem(f"{path.name}[{name}]", "unreadable workbook", "a sheet calamine can read",
                                        f"{type(err).__name__}: {err}", zh="可读取的工作表"))
                continue
            problems += found
            if raw is not None:
                tables.append(raw)
    finally:
        wb.close()
    return tables, problems
