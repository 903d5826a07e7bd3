"""Workbooks of a ledger: ``.xlsx``, ``.xlsm``, ``.xlsb``, ``.xls`` (Excel 97–2003) and ``.ods``.

Read with python-calamine (Rust; the engine behind pandas' ``engine="calamine"``),
which reads all five formats, gives the cached value of a formula cell, dates
of date-formatted cells as dates, and the merged ranges of a sheet. It reads a
large sheet an order of magnitude faster than openpyxl (``bench/load.py``).

Every sheet is examined: the table it holds is found by its header's columns
(:mod:`.grid`), the sheet name being a hint. Cells merged down a column below
the header (a zone name written once for its projects) are filled down, with a
warning naming the range.

Speed: the cells of a sheet are typed a column at a time (:mod:`.cells`), so the
parsers take the vectorised paths of CSV text; while Python types one sheet,
the next ones of an ``.xlsx`` are parsed on threads (calamine releases the GIL).
On the 2,500-zone ledger calamine's parse is still most of the time
(``bench/load.py`` prints it beside the load).
"""

from __future__ import annotations

import gc
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from ..exceptions import Problem
from .cells import columns_of
from .grid import SCAN_ROWS, blank, column_letter, find_header, not_read, skipped_above, table_of_name
from .rawtable import RawTable, problem

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
    frame, found = columns_of(file, body, n, header.row + 2)
    problems += found
    frame.index = pd.RangeIndex(header.row, header.row + len(frame))
    return RawTable(header.table, file, header.headers, frame, None, problems, blank=""), []


#: Formats whose sheets are parsed ahead on threads: calamine parses a sheet of
#: these without holding the GIL (and reads only that sheet), so the next sheets
#: parse while Python types this one. (.xls and .ods are parsed whole on opening.)
_AHEAD_SUFFIXES = (".xlsx", ".xlsm", ".xlsb")
#: Sheets parsed ahead of the one being typed: each parsed sheet waiting holds its
#: cells in memory (some 250 MB for a million rows of four columns).
AHEAD = 2


def _get(book: Any, name: str) -> Any:
    """The sheet, or the error reading it (raised in the caller's thread, not a worker's)."""
    try:
        return book.get_sheet_by_name(name)
    except Exception as err:  # noqa: BLE001  calamine raises its own types
        return err


def _parsed(path: Path, book: Any, names: list[str]) -> Iterator[tuple[str, Any]]:
    """``(name, sheet or error)`` in the workbook's order, the next sheets parsed ahead on threads."""
    from python_calamine import CalamineWorkbook

    if path.suffix.lower() not in _AHEAD_SUFFIXES or len(names) < 2:
        for name in names:
            yield name, _get(book, name)
        return
    local = threading.local()
    books: list[Any] = []

    def parse(name: str) -> Any:
        if not hasattr(local, "book"):  # one workbook a thread: calamine's reader is not shared
            try:
                local.book = CalamineWorkbook.from_path(str(path))
            except Exception as err:  # noqa: BLE001
                return err
            books.append(local.book)
        return _get(local.book, name)

    try:
        with ThreadPoolExecutor(AHEAD, thread_name_prefix="sheet") as pool:
            waiting = deque((n, pool.submit(parse, n)) for n in names[:AHEAD])
            rest = iter(names[AHEAD:])
            while waiting:
                name, future = waiting.popleft()
                following = next(rest, None)
                if following is not None:
                    waiting.append((following, pool.submit(parse, following)))
                yield name, future.result()
    finally:
        for b in books:
            b.close()


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """The cyclic garbage collector paused: a sheet's cells are millions of new objects
    without cycles, and each collection would walk them all (a fifth of the time
    reading a large workbook)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


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
    with _no_cyclic_gc():
        try:
            for name, sheet in _parsed(path, wb, list(wb.sheet_names)):
                try:
                    if isinstance(sheet, Exception):
                        raise sheet
                    raw, found = _sheet(path, name, sheet)
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
