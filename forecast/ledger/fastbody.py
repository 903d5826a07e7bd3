"""The rows of a large ``.xlsx`` sheet below its first ones, read by fastexcel, typed as python-calamine's.

fastexcel (Rust: calamine straight to Arrow, no Python object per cell) reads
the rows from :data:`.workbook.HEAD_ROWS` on, every column in one type
(``dtype_coercion="strict"``: a column holding numbers and text is an error, not
text). The first rows come from python-calamine (:mod:`.headbook`); here the two
parts are joined into the columns :func:`.cells.columns_of` would give for the
whole sheet read by python-calamine, cell for cell:

- an empty cell (and an error cell such as ``#N/A``) is ``''``, as python-calamine gives it;
- a date cell is a ``datetime.date`` (python-calamine's type for a whole-day date).

What cannot be given exactly so raises :class:`Inexact`, and the caller reads
that sheet with python-calamine instead: a column of numbers and text (fastexcel
cannot keep both), a date with a time of day, a time, a duration, or a merged
range that starts in the first rows and ends below them.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..exceptions import Problem
from .cells import typed_column
from .grid import blank
from .rawtable import extra_values

#: Merged ranges as python-calamine gives them: ``((row, col), (row, col))``, 0-based.
Ranges = list[tuple[tuple[int, int], tuple[int, int]]]

# fastexcel logs a warning for every column with no value ("falling back to string").
logging.getLogger("fastexcel").setLevel(logging.ERROR)

#: 1900-03-01 in ms since 1970: before it Excel's serials count a 29 February 1900 that never was.
_FIRST_DAY_MS = -2203891200000
_DAY_MS = 86_400_000


class Inexact(Exception):
    """fastexcel's cells cannot be given exactly as python-calamine's; read the sheet with python-calamine."""


def reader(path: Path) -> Any:
    """fastexcel's reader of a workbook (it parses the shared strings once, for every sheet loaded)."""
    import fastexcel

    return fastexcel.read_excel(str(path))


def load_tail(book: Any, name: str, start: int) -> tuple[pa.RecordBatch, list[int]]:
    """The sheet's rows from ``start`` (0-based) on, a column per sheet column, and their 0-based positions."""
    sheet = book.load_sheet(name, header_row=None, skip_rows=start, schema_sample_rows=None,
                            dtype_coercion="strict")
    positions = [c.absolute_index for c in sheet.selected_columns]
    return sheet.to_arrow(), positions


def _no_nan(arr: pa.Array) -> pa.Array:
    """A number column as read, unless it holds NaN: no cell of a workbook is the number NaN, but
    fastexcel reads the text ``nan`` among numbers as one (python-calamine: the text)."""
    if pc.any(pc.is_nan(arr)).as_py():
        raise Inexact("the text 'nan' among numbers")
    return arr


def _python(arr: pa.Array) -> np.ndarray:
    """The cells as python-calamine's Python values (an object array; each distinct value made once)."""
    t = arr.type
    if pa.types.is_floating(t):
        _no_nan(arr)
    if pa.types.is_timestamp(t):
        arr = _as_dates(arr)
    elif not (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_floating(t)
              or pa.types.is_boolean(t) or pa.types.is_null(t)):
        raise Inexact(f"a column of {t}")
    if pa.types.is_null(t):
        return np.full(len(arr), "", dtype=object)
    enc = pc.dictionary_encode(arr)
    values = np.empty(len(enc.dictionary) + 1, dtype=object)
    values[:-1] = enc.dictionary.to_pylist()
    values[-1] = ""  # an empty cell
    return values[enc.indices.fill_null(len(values) - 1).to_numpy(zero_copy_only=False)]


def _as_dates(arr: pa.Array) -> pa.Array:
    """Timestamps of whole days from 1900-03-01 on as dates (python-calamine's ``date``), else :class:`Inexact`."""
    ms = arr.drop_null().cast(pa.timestamp("ms")).cast(pa.int64()).to_numpy(zero_copy_only=False)
    if len(ms) and (np.any(ms % _DAY_MS) or ms.min() < _FIRST_DAY_MS):
        raise Inexact("a date with a time of day, or before 1900-03-01")
    return arr.cast(pa.date32())


def _is_text(arr: pa.Array) -> bool:
    return pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)


def _nonblank(arr: pa.Array) -> np.ndarray:
    """Cells :func:`.grid.blank` would not call blank (text judged by Python's ``str.strip`` on distinct values)."""
    valid = arr.is_valid().to_numpy(zero_copy_only=False)
    if not _is_text(arr) or not valid.any():
        return valid
    enc = pc.dictionary_encode(arr)
    blank_u = np.array([blank(u) for u in enc.dictionary.to_pylist()] + [True], bool)
    codes = enc.indices.fill_null(len(blank_u) - 1).to_numpy(zero_copy_only=False)
    return ~blank_u[codes]


def _column(head: list[object], tail: pa.Array | None, n_tail: int) -> Any:
    """One column, its first rows as Python values and the rest as Arrow, typed as :func:`.cells.typed_column`."""
    if tail is None:
        return typed_column(head + [""] * n_tail)
    kinds = set(map(type, head))
    if _is_text(tail) or pa.types.is_null(tail.type):
        filled = tail.cast(pa.string()).fill_null("")
        if kinds <= {str}:
            return pd.arrays.ArrowExtensionArray(pa.concat_arrays([pa.array(head, pa.string()), filled]))
        # numbers above, text below: numbers with empty cells only if the text is only empty cells
        if (kinds <= {float, str} and float in kinds and head.count("") == sum(isinstance(v, str) for v in head)
                and not pc.any(pc.not_equal(filled, "")).as_py()):
            top = np.array([np.nan if v == "" else v for v in head], np.float64)
            return np.concatenate([top, np.full(n_tail, np.nan)])
    elif pa.types.is_floating(tail.type) and kinds <= {float, str} and head.count("") == sum(
            isinstance(v, str) for v in head):
        top = np.array([np.nan if v == "" else v for v in head], np.float64)
        return np.concatenate([top, _no_nan(tail).to_numpy(zero_copy_only=False).astype(np.float64)])
    out = np.empty(len(head) + n_tail, dtype=object)
    out[: len(head)] = head
    out[len(head):] = _python(tail)
    return out


def merged_problem(file: str, r0: int, c0: int, r1: int, c1: int, head: str | None, value: object) -> Problem:
    """The warning for a range merged down a column and filled down."""
    from .grid import column_letter

    cells = f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}"
    return Problem(file, r0 + 1, head, "merged cells filled down", cells,
                   f"one value in each cell; the merged value {value!r} was copied to rows "
                   f"{r0 + 1}-{r1 + 1}", "warning",
                   expected_zh=f"每个单元格各填一个值；合并单元格的值 {value!r} 已复制到第 "
                               f"{r0 + 1}-{r1 + 1} 行")


def join_parts(file: str, rows: list[list[object]], header_row: int, headers: list[str], ranges: Ranges,
               tail: pa.RecordBatch, positions: Sequence[int], start: int) -> tuple[pd.DataFrame, list[Problem]]:
    """The data rows of a sheet whose rows before ``start`` are ``rows`` (python-calamine's) and the rest ``tail``.

    Returns the frame of ``len(headers)`` typed columns and the problems
    :func:`.workbook._sheet` gives for the whole sheet (merged cells filled
    down, cells right of the header), in its order.
    """
    n, n_tail = len(headers), tail.num_rows
    columns = {p: tail.column(i) for i, p in enumerate(positions)}
    width = max([len(r) for r in rows] + [p + 1 for p in positions] + [0])
    rows = [list(r) + [""] * (width - len(r)) for r in rows]
    if n_tail:
        rows += [[""] * width for _ in range(start - len(rows))]
    total = len(rows) + n_tail
    problems: list[Problem] = []
    for (r0, c0), (r1, c1) in ranges:
        if r0 <= header_row or r1 <= r0 or r0 >= total:
            continue
        if r0 < start:
            value = rows[r0][c0]
        else:
            col = columns.get(c0)
            value = "" if col is None else _python(col.slice(r0 - start, 1))[0]
        if blank(value):
            continue
        last = min(r1, total - 1)
        if r0 < start <= last:
            raise Inexact("a merged range across the first rows and the rest")
        if r0 < start:
            for r in range(r0 + 1, last + 1):
                rows[r][c0] = value
        else:
            take = np.arange(n_tail)
            take[r0 + 1 - start: last + 1 - start] = r0 - start
            columns[c0] = columns[c0].take(pa.array(take))
        problems.append(merged_problem(file, r0, c0, r1, c1, headers[c0] if c0 < len(headers) else None, value))
    body = rows[header_row + 1:]
    first_row = header_row + 2
    extra: set[int] = set()  # one problem per row, however many cells it has beyond the header
    for c in range(n, width):
        head = [r[c] for r in body]
        extra.update(i for i, v in enumerate(head) if not blank(v))
        if c in columns:
            extra.update(len(body) + np.flatnonzero(_nonblank(columns[c])))
    for i in sorted(extra):
        if i < len(body):
            cells = body[i][n:]
        else:
            cells = [_python(columns[c].slice(i - len(body), 1))[0] if c in columns else "" for c in range(n, width)]
        problems.append(extra_values(file, first_row + i, n, cells))
    typed = {c: _column([r[c] for r in body], columns.get(c), n_tail) for c in range(min(n, width))}
    for c in range(width, n):  # a header wider than every row
        typed[c] = np.full(len(body) + n_tail, np.nan)
    return pd.DataFrame(typed, copy=False), problems
