"""Finding a table in a grid of cells: which table, and on which row its header is.

An office's sheet is made for printing: a title row (``2024年重点项目台账（截至9月）``),
notes, blank rows, then the header; sometimes a two-row header whose upper row
holds group labels merged across columns (基本信息 / 投资情况 / 进度节点) and whose
cells merged down both rows hold the headers of the columns without a group.
The header is found among the first :data:`SCAN_ROWS` rows as the row (or pair
of rows, the lower one's cells first) whose cells name the most columns of one
table; the sheet or file name only breaks ties.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Sequence

from ..exceptions import Problem
from ..vocab import TABLES
from .columns import ALTERNATIVES, COLUMNS, SHEET_ALIASES
from .headers import match_header, normalise

#: Rows searched for the header.
SCAN_ROWS = 30
#: Required columns of each table: a sheet or file whose name names no table is
#: read as the table whose required columns its header names, all of them (a
#: forecast table saved beside a ledger must not pass for its indicators).
_REQUIRED = {t: sum(s.required for s in specs.values()) for t, specs in COLUMNS.items()}


def blank(value: object) -> bool:
    """An empty cell: ``None``, NaN, ``""`` or white space only."""
    if value is None:
        return True
    if isinstance(value, float):
        return value != value  # NaN
    return isinstance(value, str) and not value.strip()


def cell_text(value: object) -> str:
    """A header cell as text (numbers such as ``2024`` without ``.0``)."""
    if blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def table_of_name(name: str) -> str | None:
    """The table a sheet or file name suggests (``项目`` → projects), or ``None``."""
    key = normalise(name)
    for table in TABLES:
        if key == table or key in {normalise(a) for a in SHEET_ALIASES[table]}:
            return table
    return None


@dataclass(frozen=True)
class Header:
    """Where a table's header is and what it says."""

    table: str
    #: 0-based row of the (lower) header row; data starts on the next row.
    row: int
    headers: list[str]
    #: Columns named, required columns named.
    named: int
    required: int
    #: The header spans two rows: the row above holds group labels and merged-down headers.
    two_rows: bool = False


_match = functools.lru_cache(maxsize=4096)(match_header)


def _named(table: str, headers: Sequence[str]) -> tuple[int, int]:
    found = {m for m in (_match(table, h).column for h in headers if h) if m is not None}
    required = {c for c, spec in COLUMNS[table].items() if spec.required}
    # an alternative (累计完成投资) stands for the column it becomes
    stands = {ALTERNATIVES.get(table, {}).get(c, (c,))[0] or c for c in found}
    return len(found), len(stands & required)


def _combined(upper: Sequence[object] | None, lower: Sequence[object]) -> list[str]:
    """The lower row's header cells, the upper row's where the lower is empty."""
    out = [cell_text(v) for v in lower]
    if upper is not None:
        for i, v in enumerate(upper[: len(out)]):
            if not out[i]:
                out[i] = cell_text(v)
    while out and not out[-1]:
        out.pop()
    return out


def find_header(rows: Sequence[Sequence[object]], hint: str | None) -> tuple[Header | None, Header | None]:
    """``(header, closest)``: the table's header among the first rows, or ``None``.

    Parameters
    ----------
    rows : the first rows of the sheet or file, cells as read.
    hint : the table the sheet or file name suggests. It breaks ties, and a
        named sheet is that table even if its header lacks required columns
        (or names none: its first non-blank row is then taken for the header,
        so the missing columns are reported). A sheet named freely is a table
        only if its header names every required column of it.

    Returns
    -------
    header : the header found, ``None`` when the rows hold no table.
    closest : the best partial match, to say why a sheet was not read.
    """
    best: tuple[tuple[int, int, bool, int], Header] | None = None
    for i, row in enumerate(rows[:SCAN_ROWS]):
        if all(blank(v) for v in row):
            continue
        candidates = [(_combined(None, row), False)]
        if i > 0 and not all(blank(v) for v in rows[i - 1]):
            candidates.append((_combined(rows[i - 1], row), True))
        for headers, two_rows in candidates:
            for table in TABLES:
                named, required = _named(table, headers)
                if named == 0:
                    continue
                # the most required columns, then the most columns, then the hint, then the earlier row
                key = (required, named, table == hint, -i)
                if best is None or key > best[0]:
                    best = (key, Header(table, i, headers, named, required, two_rows))
    found = None if best is None else best[1]
    if found is not None and (found.required == _REQUIRED[found.table] or found.table == hint):
        return found, found
    if hint is not None:
        first = next((i for i, r in enumerate(rows) if not all(blank(v) for v in r)), None)
        if first is not None:
            return Header(hint, first, _combined(None, rows[first]), 0, 0), found
    return None, found


def not_read(file: str, closest: Header | None) -> Problem:
    """An info for a sheet or file that holds no table, saying what its best match lacks."""
    if closest is None:
        return Problem(file, None, None, "sheet not read", None,
                       "a header naming the columns of a ledger table; this one names none", "info",
                       expected_zh="表头应包含台账某张表的列名；此处一个也没有")
    have = {match_header(closest.table, h).column for h in closest.headers}
    have |= {ALTERNATIVES.get(closest.table, {}).get(c, ("",))[0] for c in have if c}
    missing = [c for c, spec in COLUMNS[closest.table].items() if spec.required and c not in have]
    names = ", ".join(f"{c} ({COLUMNS[closest.table][c].aliases[0]})" for c in missing)
    return Problem(file, closest.row + 1, None, "sheet not read", None,
                   f"every required column of {closest.table}, or the sheet named {closest.table}; missing: {names}",
                   "info", expected_zh=f"{closest.table} 表的全部必填列，或将工作表命名为该表；缺少：{names}")


def skipped_above(file: str, rows: Sequence[Sequence[object]], header: Header) -> list[Problem]:
    """An info naming the non-blank rows above the header (title, notes, group labels)."""
    top = header.row - header.two_rows
    above = [i for i in range(top) if not all(blank(v) for v in rows[i])]
    if not above:
        return []
    texts = [" ".join(cell_text(v) for v in rows[i] if not blank(v)) for i in above]
    shown = "; ".join(f"row {i + 1}: {t[:40]}" for i, t in zip(above, texts))[:200]
    at = f"rows {top + 1}-{header.row + 1}" if header.two_rows else f"row {header.row + 1}"
    at_zh = f"第 {top + 1}-{header.row + 1} 行" if header.two_rows else f"第 {header.row + 1} 行"
    return [Problem(file, above[0] + 1, None, "rows above the header skipped", shown,
                    f"the header on {at}; rows above it are titles or notes, not data",
                    "info", expected_zh=f"表头在{at_zh}；其上方的行为标题或说明，不是数据")]


def column_letter(i: int) -> str:
    """Spreadsheet column letters of a 0-based column: 0 → A, 27 → AB."""
    out = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        out = chr(65 + r) + out
    return out
