"""From a table as written to a typed table with canonical columns.

Headers are matched through :mod:`.headers`; each column is parsed by its kind
(:mod:`.parse`), converted to the canonical unit, and every cell that cannot be
read becomes a :class:`~forecast.exceptions.Problem` naming the file, the row a
spreadsheet shows and the header as written. Cumulative columns
(``cumulative_investment`` 累计完成投资, ``cumulative_value`` 累计值) are turned
into per-period figures here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import Problem, Severity
from ..vocab import MONEY_METRICS
from .columns import KIND_DTYPES, PERIOD_PARTS
from .cumulative import decumulate
from .headers import (
    ALTERNATIVES,
    COLUMNS,
    UNITS,
    column_spec,
    expected_header,
    match_header,
)
from .parse import (
    from_codes,
    parse_date_months,
    parse_enum,
    parse_number,
    parse_period,
    parse_text,
    parse_year,
    text_codes,
    untrimmed,
)
from .rawtable import RawTable, as_written, locate
from .rows import drop_blank_rows, skip_rows

#: At most this many rows are listed per file, column and check; the rest are
#: counted in one closing problem, so a wholly broken column stays readable.
MAX_ROWS_PER_CHECK = 200

_EXPECTED = {
    "money": ("a number in 万元 (or the unit in the header), e.g. 1200 or 1,200.5",
              "以万元（或表头所写单位）计的数字，如 1200 或 1,200.5"),
    "number": ("a number, e.g. 1200", "数字，如 1200"),
    "land": ("a number of 亩, e.g. 35.5", "以亩计的数字，如 35.5"),
    "date": ("a date such as 2024-01-26, 2024/1/26, 2024.1.26 or 2024年1月26日 (a month such as 2024年3月 "
             "written as text; a number such as 2024.3 could be March or October)",
             "日期，如 2024-01-26、2024/1/26、2024.1.26 或 2024年1月26日（只有年月时写成文本 2024年3月；"
             "数字 2024.3 分不清是3月还是10月）"),
    "period": ("a month 2024-03 (2024年3月) or a quarter 2024Q1", "月份 2024-03（2024年3月）或季度 2024Q1"),
    "year": ("a year such as 2024", "年份，如 2024"),
}
#: Years parse to nullable integers; ``_complete`` makes them ``int64`` when none is blank.
_DTYPES = {**KIND_DTYPES, "year": "Int64"}
#: Tables a ledger cannot do without rows of (progress may still be empty).
NEEDS_ROWS = ("zones", "projects")


@dataclass
class Typed:
    """A table with canonical columns, and what is needed to point at a cell."""

    table: str
    file: str
    frame: pd.DataFrame
    #: canonical column -> header as written
    written: dict[str, str] = field(default_factory=dict)
    #: canonical column -> the cells as written (for messages)
    raw: dict[str, pd.Series] = field(default_factory=dict)
    #: canonical column -> cells that could not be parsed (already reported)
    failed: dict[str, pd.Series] = field(default_factory=dict)
    #: id column -> (codes by row, distinct values), from :func:`.parse.text_codes`
    codes: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    #: column -> factor to the canonical unit of its header's unit; -> that unit as written
    factors: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    #: the file of each part of a table read from several sheets (see :mod:`.rawtable`)
    parts: tuple[str, ...] = ()
    #: how the file writes an empty cell of a ``float64`` raw column (see :attr:`.rawtable.RawTable.blank`)
    blank: str | None = None

    def locate(self, index: int) -> tuple[str, int]:
        """The file and the spreadsheet row of a frame index."""
        return locate(self.file, self.parts, index)

    @property
    def present(self) -> set[str]:
        """Canonical columns the file has."""
        return set(self.written)

    def header(self, column: str) -> str:
        """The header as written, or the canonical name of a missing column."""
        return self.written.get(column, column)

    def problems(
        self,
        column: str | None,
        mask: pd.Series | np.ndarray,
        check: str,
        expected: str | tuple[str, str],
        severity: Severity = "error",
        values: pd.Series | None = None,
    ) -> list[Problem]:
        """One problem per flagged row, values as written, capped per check.

        ``expected`` is English, or (English, Chinese).
        """
        en, zh = (expected, None) if isinstance(expected, str) else expected
        mask = np.asarray(mask, bool)
        idx = self.frame.index[mask]
        written = values is None and column in self.raw
        if values is None and column is not None:
            values = self.raw.get(column, self.frame.get(column))
        shown = idx[:MAX_ROWS_PER_CHECK]
        if values is None:
            vals = [None] * len(shown)
        else:
            picked = values.reindex(shown)
            vals = (as_written(picked, self.blank) if written and self.blank is not None else picked).tolist()
        head = None if column is None else self.header(column)
        out = [
            Problem(*self.locate(i), head, check, _text(v), en, severity, expected_zh=zh)
            for i, v in zip(shown, vals)
        ]
        if len(idx) > len(shown):
            out.append(Problem(self.file, None, head, check, f"{len(idx) - len(shown)} more rows",
                               en, severity, expected_zh=zh))
        return out


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def empty_column(kind: str, index: pd.Index) -> pd.Series:
    """A blank column of the dtype a kind parses to."""
    dtype = _DTYPES.get(kind, "object")
    blank = pd.NaT if dtype.startswith("datetime") else (pd.NA if dtype == "Int64" else np.nan)
    return pd.Series(blank, index=index, dtype=dtype)


def _period_columns(index: pd.Index) -> pd.DataFrame:
    return parse_period(pd.Series([None] * len(index), index=index, dtype=object))[0]


def _headers(raw: RawTable, typed: Typed) -> tuple[dict[str, int], dict[str, int], list[Problem]]:
    """Match the headers: canonical column -> position, extra column -> position, problems."""
    problems: list[Problem] = []
    columns: dict[str, int] = {}
    extras: dict[str, int] = {}
    unusable: set[str] = set()
    for i, written in enumerate(raw.headers):
        m = match_header(raw.table, written)
        if m.column is None:
            name = written or f"column_{i + 1}"
            if name in extras:  # keep both: a second 备注 must not overwrite the first
                problems.append(Problem(raw.file, None, written, "duplicate header", None,
                                        f"distinct headers; kept as '{name}.{i + 1}'", "warning",
                                        expected_zh=f"表头各不相同；此列保留为“{name}.{i + 1}”"))
                name = f"{name}.{i + 1}"
            extras[name] = i
            continue
        if m.column in columns:
            first = typed.written[m.column]
            problems.append(Problem(raw.file, None, written, "duplicate column", None,
                                    f"one column for {m.column} (also '{first}')",
                                    expected_zh=f"{m.column} 只能有一列（已有“{first}”）"))
            continue
        kind = column_spec(raw.table, m.column).kind
        if m.unit is not None:
            units = ", ".join(UNITS.get(kind, {}))
            problems.append(Problem(raw.file, None, written, "unknown unit", m.unit,
                                    f"a unit among {units}" if units else "no unit in this header",
                                    expected_zh=f"以下单位之一：{units}" if units else "此表头不带单位"))
            unusable.add(m.column)  # found, so not "missing" as well
            continue
        columns[m.column] = i
        typed.written[m.column] = written
        typed.factors[m.column] = m.factor
        if m.declared:
            typed.units[m.column] = m.declared
    for name, spec in COLUMNS[raw.table].items():
        alternatives = [a for a, (to, _) in ALTERNATIVES.get(raw.table, {}).items() if to == name]
        found = {name, *alternatives} & (set(columns) | unusable)
        if spec.required and not found:
            en, zh = expected_header(raw.table, name)
            problems.append(Problem(raw.file, None, name, "missing column", None, en, expected_zh=zh))
    return columns, extras, problems


def build(raw: RawTable) -> tuple[Typed, list[Problem]]:
    """Type one raw table; returns it and the problems found on the way."""
    typed = Typed(raw.table, raw.file, pd.DataFrame(index=raw.frame.index), parts=raw.parts, blank=raw.blank)
    problems: list[Problem] = list(raw.problems)
    if not raw.headers:
        return _complete(typed), problems
    columns, extras, found = _headers(raw, typed)
    problems += found
    frame, found = skip_rows(raw, drop_blank_rows(raw.frame), columns)
    problems += found
    typed.frame = pd.DataFrame(index=frame.index)
    if frame.empty and raw.table in NEEDS_ROWS:
        problems.append(Problem(raw.file, None, None, "no rows", None, f"at least one row of {raw.table}",
                                expected_zh=f"至少一行{raw.table}数据"))
    parsed: dict[str, pd.Series] = {}
    for name, i in columns.items():
        problems += _parse_column(typed, name, frame[i], typed.factors.get(name, 1.0), parsed)
    for name, i in extras.items():
        parsed[name] = parse_text(frame[i])
    # One construction, not column by column: pandas would copy blocks each time.
    typed.frame = pd.DataFrame(parsed, index=frame.index, copy=False)
    problems += _units_of_targets(typed)
    problems += _decumulate(typed)
    return _complete(typed), problems


def _column_note(typed: Typed, name: str, cells: pd.Series, mask: np.ndarray, check: str,
                 en: str, zh: str) -> list[Problem]:
    """One warning for the flagged cells of a column, on the first one's row; ``{n}`` in the texts is their count."""
    if not mask.any():
        return []
    first = int(np.flatnonzero(mask)[0])
    file, row = typed.locate(cells.index[first])
    n = f"{int(mask.sum()):,}"
    return [Problem(file, row, typed.header(name), check, repr(cells.iloc[first]), en.format(n=n), "warning",
                    expected_zh=zh.format(n=n))]


_TRIMMED = ("no spaces before or after the text (full-width or no-break ones included); {n} cell(s) of this "
            "column were trimmed, the first on this row",
            "文本前后不留空格（含全角空格、不换行空格）；此列已去除 {n} 个单元格的首尾空格，第一个在此行")
_MONTH_ONLY = ("a full date; {n} cell(s) of this column give a month only and were read as the month's last "
               "day (2024年3月 → 2024-03-31), the first on this row",
               "完整日期；此列有 {n} 个单元格只写了年月，已按当月最后一天读取（2024年3月 → 2024-03-31），第一个在此行")


def _parse_column(
    typed: Typed, name: str, cells: pd.Series, factor: float, out: dict[str, pd.Series]
) -> list[Problem]:
    spec = column_spec(typed.table, name)
    typed.raw[name] = cells
    bad = None
    problems: list[Problem] = []
    if spec.kind in ("id", "text"):
        problems += _column_note(typed, name, cells, untrimmed(cells), "spaces trimmed", *_TRIMMED)
    if spec.kind == "id":
        typed.codes[name] = text_codes(cells)
        out[name] = from_codes(*typed.codes[name], cells.index)
    elif spec.kind == "text":
        out[name] = parse_text(cells)
    elif spec.kind == "enum":
        out[name] = parse_enum(cells, spec.values or "")
    elif spec.kind == "period":
        parts, bad = parse_period(cells)
        for part in PERIOD_PARTS:
            out[part] = parts[part]
    elif spec.kind == "date":
        out[name], bad, month = parse_date_months(cells)
        problems += _column_note(typed, name, cells, month, "month-only dates", *_MONTH_ONLY)
    elif spec.kind == "year":
        out[name], bad = parse_year(cells)
    else:
        values, bad = parse_number(cells)
        out[name] = values * factor if factor != 1.0 else values
    if bad is None or not bad.any():
        return problems
    typed.failed[name] = pd.Series(bad, index=cells.index)
    check = f"unreadable {'number' if spec.kind in ('money', 'land') else spec.kind}"
    return problems + typed.problems(name, bad, check, _EXPECTED[spec.kind])


def _units_of_targets(typed: Typed) -> list[Problem]:
    """A unit on ``目标值`` applies to money metrics only; counts stay counts."""
    factor = typed.factors.get("value", 1.0)
    if typed.table != "targets" or factor == 1.0:
        return []
    if "metric" not in typed.frame:  # reported missing; the unit cannot be placed
        return []
    counts = ~typed.frame["metric"].isin(MONEY_METRICS)
    typed.frame.loc[counts, "value"] = typed.frame.loc[counts, "value"] / factor
    return []


def _decumulate(typed: Typed) -> list[Problem]:
    problems: list[Problem] = []
    for alt, (target, _) in ALTERNATIVES.get(typed.table, {}).items():
        if not target or alt not in typed.frame:
            continue
        if target in typed.written:
            a, b = typed.header(target), typed.header(alt)
            problems.append(Problem(typed.file, None, b, "both cumulative and per-period", None,
                                    f"either '{a}' or '{b}', not both", expected_zh=f"“{a}”与“{b}”只填一列"))
            typed.frame = typed.frame.drop(columns=alt)
            continue
        if typed.table == "progress":
            keys, by_year, severity = ["project_id"], False, "error"
            expected = ("a cumulative total since the project began, never below the previous period's",
                        "项目开始以来的累计值，不低于上一期")
        else:
            keys, by_year, severity = ["zone_id", "metric"], True, "warning"
            expected = ("a year-to-date total at least the previous period's (a revision?)",
                        "年内累计值，不低于上一期（是否修订过？）")
        if set(keys) | {"period_end"} <= set(typed.frame):
            usable = typed.frame[[*keys, "period_end"]].notna().all(axis=1)
            part = typed.frame.loc[usable]
            converted, decreases = decumulate(part, keys, cumulative=alt, out=target, by_year=by_year)
            typed.frame[target] = converted[target].reindex(typed.frame.index)
        else:  # a key column is missing (reported): no series to difference
            typed.frame[target] = np.nan
            decreases = typed.frame.iloc[:0]
        typed.frame = typed.frame.drop(columns=alt)
        typed.raw[target] = typed.raw[alt]
        typed.written[target] = typed.written.pop(alt)
        for by_column in (typed.factors, typed.units):
            if alt in by_column:
                by_column[target] = by_column.pop(alt)
        bad = typed.frame.index.isin(decreases.index)
        if severity == "error":  # the negative difference is this problem, not another
            typed.failed[target] = pd.Series(bad, index=typed.frame.index)
        check = "cumulative decrease" if severity == "error" else "cumulative revision"
        problems += typed.problems(target, bad, check, expected, severity)
    return problems


def _complete(typed: Typed) -> Typed:
    """Add the canonical columns the file lacks and put columns in order."""
    frame = typed.frame
    columns: dict[str, pd.Series] = {}
    changed = False
    for name, spec in COLUMNS[typed.table].items():
        if spec.kind == "period":
            parts = frame if "period" in frame else _period_columns(frame.index)
            columns.update({part: parts[part] for part in PERIOD_PARTS})
            changed |= "period" not in frame
            continue
        col = frame[name] if name in frame else empty_column(spec.kind, frame.index)
        changed |= name not in frame
        if spec.kind == "year" and col.dtype != "int64" and not col.isna().any():
            col, changed = col.astype("int64"), True
        columns[name] = col
    columns.update({c: frame[c] for c in frame.columns if c not in columns})
    if changed or list(columns) != list(frame.columns):
        typed.frame = pd.DataFrame(columns, index=frame.index, copy=False)
    return typed
