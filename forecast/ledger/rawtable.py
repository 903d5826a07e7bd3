"""A table as written, before any cell is interpreted, and where its rows came from.

A :class:`RawTable`'s frame has positional columns and an index from which the
file (or sheet) and the row a spreadsheet shows are recovered: index =
``part * PART_STRIDE + row - 2``, where ``part`` numbers the sheets one table
was read from (a progress table kept as one sheet per year is one table).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import Problem, Severity

#: Index distance between the parts of a table: more rows than a sheet holds.
PART_STRIDE = 1 << 21


@dataclass
class RawTable:
    """One table as written: headers and cells, nothing interpreted yet."""

    table: str
    #: How problems name the file: ``projects.csv`` or ``ledger.xlsx[项目]`` (the first part's).
    file: str
    headers: list[str]
    #: Columns ``0 .. len(headers)-1``; index as the module docstring says.
    frame: pd.DataFrame
    encoding: str | None = None
    problems: list[Problem] = field(default_factory=list)
    #: The file of each part, when the table was read from several sheets.
    parts: tuple[str, ...] = ()
    #: How the file writes an empty cell that a ``float64`` column holds as NaN
    #: (``''`` in a workbook: :mod:`.cells`); ``None`` when no column is typed so.
    blank: str | None = None

    def locate(self, index: int) -> tuple[str, int]:
        """The file and the spreadsheet row of a frame index."""
        return locate(self.file, self.parts, index)


def locate(file: str, parts: tuple[str, ...], index: int) -> tuple[str, int]:
    """The file (``parts[k]`` of a table read from several sheets) and spreadsheet row of a frame index."""
    part, offset = divmod(int(index), PART_STRIDE)
    return (parts[part] if parts else file), offset + 2


def problem(file: str, check: str, expected: str, value: str | None = None, row: int | None = None,
            zh: str | None = None, severity: Severity = "error") -> Problem:
    """A problem of a file or one of its rows, no column."""
    return Problem(file=file, row=row, column=None, check=check, value=value, expected=expected,
                   severity=severity, expected_zh=zh)


def extra_values(file: str, row: int, n: int, cells: list[object]) -> Problem:
    """Cells beyond the header's last column on a row."""
    shown = ", ".join(str(v) for v in cells if v is not None and str(v).strip())[:80]
    return problem(file, "extra values", f"at most {n} values, one per header", shown, row,
                   zh=f"每行至多 {n} 个值，每个表头一个")


def concat(tables: list[RawTable]) -> RawTable:
    """Tables of the same kind read from several sheets, as one (columns matched by header)."""
    if len(tables) == 1:
        return tables[0]
    headers = list(tables[0].headers)
    for t in tables[1:]:
        headers += [h for h in t.headers if h not in headers]
    frames = []
    for k, t in enumerate(tables):
        f = t.frame.copy(deep=False)
        f.columns = range(len(f.columns))
        # each header's column of this part (-1: the part has no such header)
        if t.headers == headers[: len(t.headers)]:
            at = list(range(len(t.headers))) + [-1] * (len(headers) - len(t.headers))
        else:  # another layout: columns matched by their first header
            where = {h: i for i, h in reversed(list(enumerate(t.headers)))}
            at = [where.get(h, -1) for h in headers]
        frames.append((f, at))
    typed = []
    for j in range(len(headers)):  # one dtype for a column across parts, else the cells as written
        dtypes = {str(f[at[j]].dtype) if 0 <= at[j] < f.shape[1] else "absent" for f, at in frames}
        if len(dtypes) > 1:
            for (f, at), t in zip(frames, tables):
                if 0 <= at[j] < f.shape[1]:
                    f[at[j]] = as_written(f[at[j]], t.blank)
    for k, (f, at) in enumerate(frames):
        f = f.reindex(columns=at)
        f.columns = range(len(headers))
        f.index = f.index + k * PART_STRIDE
        typed.append(f)
    first = tables[0]
    problems = [p for t in tables for p in t.problems]
    frame = pd.concat(typed) if any(len(f) for f in typed) else typed[0]
    return RawTable(first.table, first.file, headers, frame, first.encoding, problems,
                    tuple(t.file for t in tables), first.blank)


def as_written(cells: pd.Series, blank: str | None) -> pd.Series:
    """A column as the objects written: a ``float64`` column's NaN back to ``blank`` (see :attr:`RawTable.blank`)."""
    if blank is not None and cells.dtype == np.float64:
        return cells.astype(object).where(cells.notna(), blank)
    return cells.astype(object)


def index_of(raw_parts: tuple[str, ...], file: str, row: int) -> int | None:
    """The frame index of a file's row (inverse of :meth:`RawTable.locate`)."""
    if not raw_parts:
        return row - 2
    part = raw_parts.index(file) if file in raw_parts else None
    return None if part is None else part * PART_STRIDE + row - 2
