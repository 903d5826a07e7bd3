"""Read the ledger at a path: a folder of CSV files (or workbooks), or one workbook.

The reader finds the tables, decodes them and splits off the header; it returns
every table as a :class:`~.rawtable.RawTable` whose frame has positional columns
and an index that gives back the file and the row a spreadsheet shows.

Tables are found by their columns, not by file or sheet names (names are hints:
:mod:`.grid`). In a folder, each file is one table and a second file for a table
is reported and not read; in a workbook, several sheets holding the same table
(progress kept as a sheet per year) are read as one table.
"""

from __future__ import annotations

import operator
import os
from pathlib import Path
from typing import Callable

from ..exceptions import Problem
from ..vocab import REQUIRED_TABLES, TABLES
from .columns import TABLE_ZH
from .csvfile import TEXT_SUFFIXES, read_csv_table
from .rawtable import RawTable, concat, problem
from .workbook import WORKBOOK_SUFFIXES, read_workbook

__all__ = ["RawTable", "read_tables"]


def _folder(path: Path) -> tuple[dict[str, list[RawTable]], list[Problem]]:
    # .csv first, so a folder holding projects.csv and an older projects.txt reads the .csv
    suffixes = TEXT_SUFFIXES + WORKBOOK_SUFFIXES
    rank = {s: i for i, s in enumerate(suffixes)}
    files = sorted((p for p in path.iterdir() if p.suffix.lower() in rank and p.is_file()
                    and not p.name.startswith((".", "~$"))),  # hidden, and Excel's lock files
                   key=lambda p: (rank[p.suffix.lower()], p.name))
    found: dict[str, list[RawTable]] = {}
    problems: list[Problem] = []
    for p in files:
        if p.suffix.lower() in TEXT_SUFFIXES:
            raw, more = read_csv_table(p)
            tables = [] if raw is None else [raw]
        else:
            tables, more = read_workbook(p)
        problems += more
        for raw in tables:
            if raw.table in found and found[raw.table][0].file.split("[")[0] != p.name:
                first = found[raw.table][0].file
                problems.append(problem(raw.file, "second file for a table",
                                        f"one file per table; {first} is read and this one is not", severity="warning",
                                        zh=f"每张表一个文件；已读取 {first}，此文件未读取"))
                continue
            found.setdefault(raw.table, []).append(raw)
    return found, problems


def read_tables(path: str | os.PathLike[str],
                ready: Callable[[str, RawTable], None] | None = None) -> tuple[dict[str, RawTable], list[Problem]]:
    """Find and read every table of the ledger at ``path``.

    Returns the tables found and the problems of the ledger as a whole
    (missing path, missing required table, files or sheets not read); each
    table keeps its own problems. ``ready``, when given, may be called with a
    table as soon as it is read, before the others (a workbook's long sheets
    are read by a pool meanwhile): the very object returned for it, unless
    reading the rest changed the table (then a new object is returned).
    """
    path = Path(path)
    if path.is_file() and path.suffix.lower() in WORKBOOK_SUFFIXES:
        told: dict[str, tuple[list[RawTable], RawTable]] = {}

        def complete(table: str, parts: list[RawTable]) -> None:
            told[table] = parts, concat(parts)
            ready(table, told[table][1])  # type: ignore[misc]  # passed only with ``ready``

        tables, problems = read_workbook(path, None if ready is None else complete)
        found: dict[str, list[RawTable]] = {}
        for raw in tables:
            found.setdefault(raw.table, []).append(raw)
        joined = {t: told[t][1] for t, parts in found.items()
                  if t in told and len(told[t][0]) == len(parts) and all(map(operator.is_, told[t][0], parts))}
        where, where_zh, missing_file = ("a sheet with the columns of {t} in " + path.name,
                                         path.name + " 中含{zh}表各列的工作表", path.name)
    elif path.is_dir():
        joined = {}
        found, problems = _folder(path)
        where, where_zh, missing_file = ("a file {t}.csv in " + path.name,
                                         path.name + " 中的 {t}.csv 文件（{zh}表）", None)
    else:
        return {}, [problem(str(path), "no ledger", "a folder of CSV files or a workbook (.xlsx, .xls, .ods)",
                            zh="CSV 文件所在的文件夹，或一个工作簿（.xlsx、.xls、.ods）")]
    for table in REQUIRED_TABLES:
        if table not in found:
            problems.append(problem(missing_file or f"{table}.csv", "missing table", where.format(t=table),
                                    zh=where_zh.format(t=table, zh=TABLE_ZH[table])))
    return {t: joined[t] if t in joined else concat(found[t]) for t in TABLES if t in found}, problems
