"""A sheet's rows of cells as typed columns, without changing a cell.

python-calamine gives a sheet as rows of Python values (``''`` for an empty
cell). Typed once here, a whole column at a time, a column reaches the parsers
in the form the CSV reader gives them, so they take the same vectorised paths
instead of looking at millions of Python objects one by one:

- text cells (and empty ones) → an Arrow string column, every cell as written;
- numbers (and empty cells) → ``float64``, an empty cell NaN (a message shows it
  as the sheet wrote it, ``''``: :attr:`.rawtable.RawTable.blank`);
- anything else (dates, a number among text, whole numbers of an ``.xls``) stays
  a column of the objects read, for the parsers' cell-by-cell path.
"""

from __future__ import annotations

from operator import itemgetter
from typing import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from ..exceptions import Problem
from .grid import blank
from .rawtable import extra_values

_TEXT = frozenset({str, type(None)})
_NUMBER = frozenset({float, str})


def typed_column(cells: Sequence[object]) -> pd.api.extensions.ExtensionArray | np.ndarray:
    """One column's cells: Arrow text, float64 numbers, or the objects as read."""
    types = list(map(type, cells))
    kinds = set(types)
    if kinds <= _TEXT:
        return pd.arrays.ArrowExtensionArray(pa.array(cells, pa.string()))
    out = np.empty(len(cells), dtype=object)
    out[:] = cells
    # numbers with empty cells: only '' among the texts, so nothing written is lost
    if float in kinds and kinds <= _NUMBER and types.count(str) == cells.count(""):
        return np.where(out == "", np.nan, out).astype(np.float64)
    return out


def columns_of(file: str, body: list[list[object]], n: int, first_row: int) -> tuple[pd.DataFrame, list[Problem]]:
    """The data rows of a sheet as a frame of ``n`` typed columns (positions ``0 .. n-1``).

    Cells right of the last header are an error per row that has one
    (``first_row``: the spreadsheet row of ``body[0]``).
    """
    if not body:
        return pd.DataFrame(columns=range(n), dtype=object), []
    lengths = set(map(len, body))
    width = max(lengths)
    if len(lengths) > 1:  # calamine's rows are all as wide as the sheet; pad any that are not
        body = [list(r) + [None] * (width - len(r)) for r in body]
    # itemgetter over the rows is several times faster than zip(*body) on long sheets
    columns = [list(map(itemgetter(c), body)) for c in range(width)]
    extra: set[int] = set()  # one problem per row, however many cells it has beyond the header
    for cells in columns[n:]:
        if cells.count("") + cells.count(None) == len(cells):
            continue
        extra.update(i for i, v in enumerate(cells) if not blank(v))
    problems = [extra_values(file, first_row + i, n, list(body[i][n:])) for i in sorted(extra)]
    typed = {c: typed_column(cells) for c, cells in enumerate(columns[:n])}
    for c in range(width, n):  # a header wider than every row (cannot happen in a rectangular sheet)
        typed[c] = np.full(len(body), np.nan)
    return pd.DataFrame(typed, copy=False), problems
