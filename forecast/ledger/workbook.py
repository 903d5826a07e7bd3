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
parsers take the vectorised paths of CSV text. A long sheet of an ``.xlsx`` or
``.xlsm`` (more than :data:`HEAD_ROWS` rows) is read in two parts:
python-calamine reads its first rows from a copy of the workbook cut short
(:mod:`.headbook`: the header is found there and every message about those rows
is as before), fastexcel reads the rest straight into Arrow columns
(:mod:`.fastbody`), by two processes when the long sheets are large: the
biggest table's sheets first, each table passed on (``ready``) as soon as its
sheets are read, so that the loader types it while the pool reads the rest. A sheet
that fastexcel cannot give exactly as python-calamine would (a column of
numbers and text, dates with a time of day) is read whole by python-calamine,
as are short sheets and the other formats (python-calamine parses an ``.xls``
or ``.ods`` whole when it opens it, so a second reader would parse it twice);
there, the next sheets of an ``.xlsx`` are parsed on threads while Python types
one (calamine releases the GIL). ``bench/load.py`` prints the times.
"""

from __future__ import annotations

import functools
import gc
import io
import itertools
import multiprocessing
import os
import threading
import zipfile
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor, as_completed
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

import pandas as pd

from ..exceptions import Problem
from .cells import columns_of
from .fastbody import Inexact, join_parts, load_tail, merged_problem
from .fastbody import reader as fastbody_reader
from .grid import SCAN_ROWS, blank, find_header, not_read, skipped_above, table_of_name
from .headbook import head_workbook, scan_sheet
from .rawtable import RawTable, problem

#: Told a table and the :class:`RawTable` of each sheet holding it, once they are all read.
Ready = Callable[[str, list[RawTable]], None]
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
        problems.append(merged_problem(file, r0, c0, r1, c1, headers[c0] if c0 < len(headers) else None, value))
    return problems


def _sheet(path: Path, name: str, sheet: Any, tail: Any = None) -> tuple[RawTable | None, list[Problem]]:
    """The table of a sheet (or ``None``) and the problems of a sheet holding none.

    ``sheet`` is python-calamine's; ``tail``, when given, a callable giving the
    rows after ``sheet``'s (``(tail, positions, start, merged ranges)``, see
    :func:`_tail`): ``sheet`` then holds only the first :data:`HEAD_ROWS` rows.
    """
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
    if tail is None:
        problems += _fill_merged(file, rows, header.row, header.headers, list(sheet.merged_cell_ranges or []))
        frame, found = columns_of(file, rows[header.row + 1:], n, header.row + 2)
    else:
        batch, positions, start, ranges = tail()
        frame, found = join_parts(file, rows, header.row, header.headers, ranges, batch, positions, start)
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


#: Formats whose long sheets are read in two parts: the first rows by python-calamine
#: (from a copy of the workbook cut short, :mod:`.headbook`), the rest by fastexcel
#: (:mod:`.fastbody`): a million-row sheet in about half the CPU of python-calamine cell by cell.
_SPLIT_SUFFIXES = (".xlsx", ".xlsm")
#: Rows of a sheet read by python-calamine (the header is among the first :data:`.grid.SCAN_ROWS`).
HEAD_ROWS = 1000
#: Long sheets bigger than this in all (compressed) are read by two processes: sheets
#: are independent, and fastexcel's parse holds the GIL. Smaller ones stay in-process.
POOL_BYTES = 8 << 20
#: Each pool worker's fastexcel reader of the workbook (a pool lives for one workbook).
_WORKER_BOOK: dict[str, Any] = {}


def _tail(path: Path, name: str, member: str, start: int, book: Any = None) -> Any:
    """fastexcel's rows of a sheet from ``start`` on and the sheet's merged ranges, or the
    :class:`.fastbody.Inexact` saying why not (returned, not raised: it comes back from a worker)."""
    try:
        ranges, null_text = scan_sheet(path, member)
        if null_text:
            return Inexact("a text fastexcel reads as an empty cell (NA, nan, N/A, white space ...)")
        if book is None:
            if str(path) not in _WORKER_BOOK:
                _WORKER_BOOK[str(path)] = fastbody_reader(path)
            book = _WORKER_BOOK[str(path)]
        batch, positions = load_tail(book, name, start)
        return batch, positions, start, ranges
    except Exception as err:  # noqa: BLE001  fastexcel's (numbers and text in a column): python-calamine reads it
        return Inexact(f"{type(err).__name__}: {err}")


def _raising(result: Any) -> Any:
    if isinstance(result, Exception):
        raise result
    return result


def _tails(path: Path, cut: dict[str, str], first: list[str], size: int,
           stack: ExitStack) -> tuple[dict[str, Callable[[], Any]], Iterator[str]]:
    """For each long sheet, a callable giving :func:`_tail`'s result (raising :class:`.fastbody.Inexact`),
    and the long sheets in the order their results come: ``first`` (every long sheet, the ones
    to read first first) when read in-process, as each is read when by a pool; ``size``: theirs
    in all, compressed."""
    jobs = {name: (path, name, cut[name], HEAD_ROWS) for name in first}
    # a daemonic process (a pool's or Dask's worker) may not start processes of its own
    daemon = multiprocessing.current_process().daemon
    if len(jobs) >= 2 and size > POOL_BYTES and (os.cpu_count() or 1) > 1 and not daemon:
        pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork"))
        # the workers end as they would on their own (no SIGTERM), the sheets not started dropped
        stack.callback(pool.shutdown, wait=True, cancel_futures=True)
        futures = {name: pool.submit(_tail, *job) for name, job in jobs.items()}

        def result(future: Future) -> Any:
            try:
                return future.result()
            except Exception as err:  # noqa: BLE001  a worker lost (BrokenProcessPool): python-calamine reads the sheet
                return Inexact(f"{type(err).__name__}: {err}")

        names = {f: name for name, f in futures.items()}
        return ({name: (lambda f=f: _raising(result(f))) for name, f in futures.items()},
                (names[f] for f in as_completed(names)))
    book = fastbody_reader(path)
    return {name: (lambda job=job: _raising(_tail(*job, book=book))) for name, job in jobs.items()}, iter(first)


def read_workbook(path: Path, ready: Ready | None = None) -> tuple[list[RawTable], list[Problem]]:
    """Every table of a workbook, one :class:`RawTable` per sheet holding one.

    ``ready``, when given, is called with a table and the :class:`RawTable` of each
    sheet holding it as soon as they are all read, while other sheets may still be
    read (by a pool): the caller may type that table meanwhile. A sheet found to
    hold another table than its first rows said (never expected) makes the call
    for that table differ from what is returned: compare them.
    """
    if path.suffix.lower() in _SPLIT_SUFFIXES:
        try:
            head, cut, null_text = head_workbook(path, HEAD_ROWS)
        except Exception:  # noqa: BLE001  not a zip, or parts where they are not expected: python-calamine says
            cut, null_text = {}, False
        # a shared string fastexcel reads as an empty cell could be in any sheet: python-calamine reads them all
        if cut and not null_text:
            return _read_split(path, head, cut, ready)
    return _read_whole(path)


def _table_of(name: str, sheet: Any) -> str | None:
    """The table :func:`_sheet` will find in a sheet, from its first rows (``None``: none, or unreadable)."""
    try:
        if isinstance(sheet, Exception):
            return None
        rows = sheet.to_python(skip_empty_area=False)[:SCAN_ROWS]
    except Exception:  # noqa: BLE001  reported when the sheet is read
        return None
    hint = table_of_name(name)
    if not any(not blank(v) for r in rows for v in r):
        return hint
    header, _ = find_header(rows, hint)
    return None if header is None else header.table


def _first(names: list[str], expect: dict[str, str | None], sizes: dict[str, int]) -> list[str]:
    """The order to read long sheets in: the biggest table's sheets first, so that it can be
    typed while the smaller tables are read (typing costs about as the rows)."""
    weight: dict[str | None, int] = {}
    for name in names:
        weight[expect[name]] = weight.get(expect[name], 0) + sizes[name]
    return sorted(names, key=lambda n: -weight[expect[n]])  # stable: the workbook's order within a table


def _read_split(path: Path, head: bytes, cut: dict[str, str],
                ready: Ready | None) -> tuple[list[RawTable], list[Problem]]:
    """A workbook with long sheets: their first rows from ``head`` (:func:`.headbook.head_workbook`),
    the rest by fastexcel."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(head))
    except Exception:  # noqa: BLE001  the copy cannot be read: the workbook is read whole, as it says why
        return _read_whole(path)
    whole = None  # python-calamine's reader of the whole workbook, for a sheet fastexcel cannot give exactly
    done: dict[str, tuple[list[RawTable], list[Problem]]] = {}
    with _no_cyclic_gc(), ExitStack() as stack:
        stack.callback(wb.close)
        names = list(wb.sheet_names)
        sheets = {name: _get(wb, name) for name in names}
        expect = {name: _table_of(name, sheets[name]) for name in names}
        with zipfile.ZipFile(path) as z:
            sizes = {name: z.getinfo(member).compress_size for name, member in cut.items()}
        long = [n for n in names if n in cut]
        tails, order = _tails(path, cut, _first(long, expect, sizes), sum(sizes.values()), stack)

        def read(name: str, sheet: Any) -> tuple[RawTable | None, list[Problem]]:
            nonlocal whole
            try:
                return _sheet(path, name, sheet, tails.get(name))
            except Inexact:
                if whole is None:
                    whole = stack.enter_context(closing(CalamineWorkbook.from_path(str(path))))
                return _sheet(path, name, whole.get_sheet_by_name(name))

        told: set[str] = set()
        # short sheets now (the copy holds them whole), long ones as their rows come
        for name in itertools.chain((n for n in names if n not in cut), order):
            tables: list[RawTable] = []
            problems: list[Problem] = []
            _add(path, name, sheets[name], read, tables, problems)
            done[name] = tables, problems
            table = expect[name]
            if ready is None or table is None or table in told or any(
                    expect[n] == table and n not in done for n in names):
                continue
            told.add(table)
            parts = [raw for n in names if n in done for raw in done[n][0] if raw.table == table]
            if parts:
                ready(table, parts)
    return ([raw for n in names for raw in done[n][0]], [p for n in names for p in done[n][1]])


def _add(path: Path, name: str, sheet: Any, read: Callable[[str, Any], tuple[RawTable | None, list[Problem]]],
         tables: list[RawTable], problems: list[Problem]) -> None:
    """Read one sheet (or the error getting it) into ``tables`` and ``problems``."""
    try:
        if isinstance(sheet, Exception):
            raise sheet
        raw, found = read(name, sheet)
    except Exception as err:  # noqa: BLE001  one unreadable sheet must not hide the others
        problems.append(problem(f"{path.name}[{name}]", "unreadable workbook", "a sheet calamine can read",
                                f"{type(err).__name__}: {err}", zh="可读取的工作表"))
        return
    problems += found
    if raw is not None:
        tables.append(raw)


def _read_whole(path: Path) -> tuple[list[RawTable], list[Problem]]:
    """Every table of a workbook, each sheet read whole by python-calamine."""
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
                _add(path, name, sheet, functools.partial(_sheet, path), tables, problems)
        finally:
            wb.close()
    return tables, problems
