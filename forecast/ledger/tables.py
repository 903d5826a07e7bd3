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
    parse_date,
    parse_enum,
    parse_number,
    parse_period,
    parse_text,
    parse_year,
    text_codes,
)
from .read import RawTable

#: At most this many rows are listed per file, column and check; the rest are
#: counted in one closing problem, so a wholly broken column stays readable.
MAX_ROWS_PER_CHECK = 200

_EXPECTED = {
    "money": "a number in 万元 (or the unit in the header), e.g. 1200 or 1,200.5",
    "number": "a number, e.g. 1200",
    "land": "a number of 亩, e.g. 35.5",
    "date": "a date such as 2024-01-26, 2024/1/26, 2024.1.26 or 2024年1月26日",
    "period": "a month 2024-03 (2024年3月) or a quarter 2024Q1",
    "year": "a year such as 2024",
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
        expected: str,
        severity: Severity = "error",
        values: pd.Series | None = None,
    ) -> list[Problem]:
        """One problem per flagged row, values as written, capped per check."""
        mask = np.asarray(mask, bool)
        idx = self.frame.index[mask]
        if values is None and column is not None:
            values = self.raw.get(column, self.frame.get(column))
        shown = idx[:MAX_ROWS_PER_CHECK]
        vals = [None] * len(shown) if values is None else values.reindex(shown).tolist()
        head = None if column is None else self.header(column)
        out = [
            Problem(self.file, int(i) + 2, head, check, _text(v), expected, severity)
            for i, v in zip(shown, vals)
        ]
        if len(idx) > len(shown):
            out.append(Problem(self.file, None, head, check, f"{len(idx) - len(shown)} more rows",
                               expected, severity))
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


def _drop_blank_rows(frame: pd.DataFrame) -> pd.DataFrame:
    if frame.empty:
        return frame
    blank = np.ones(len(frame), bool)
    for c in frame.columns:
        s = frame[c]
        b = s.isna().to_numpy()
        if s.dtype == object:
            b |= np.array([isinstance(v, str) and not v.strip() for v in s], bool)
        blank &= b
        if not blank.any():
            return frame
    return frame.loc[~blank]


def build(raw: RawTable) -> tuple[Typed, list[Problem]]:
    """Type one raw table; returns it and the problems found on the way."""
    frame = _drop_blank_rows(raw.frame)
    typed = Typed(raw.table, raw.file, pd.DataFrame(index=frame.index))
    problems: list[Problem] = list(raw.problems)
    if not raw.headers:
        return _complete(typed), problems
    columns: dict[str, tuple[int, float]] = {}
    extras: dict[str, int] = {}
    unusable: set[str] = set()
    for i, written in enumerate(raw.headers):
        m = match_header(raw.table, written)
        if m.column is None:
            name = written or f"column_{i + 1}"
            if name in extras:  # keep both: a second 备注 must not overwrite the first
                problems.append(Problem(raw.file, None, written, "duplicate header", None,
                                        f"distinct headers; kept as '{name}.{i + 1}'", "warning"))
                name = f"{name}.{i + 1}"
            extras[name] = i
            continue
        if m.column in columns:
            problems.append(Problem(raw.file, None, written, "duplicate column",
                                    None, f"one column for {m.column} (also '{typed.written[m.column]}')"))
            continue
        kind = column_spec(raw.table, m.column).kind
        if m.unit is not None:
            units = ", ".join(UNITS.get(kind, {}))
            problems.append(Problem(raw.file, None, written, "unknown unit", m.unit,
                                    f"a unit among {units}" if units else "no unit in this header"))
            unusable.add(m.column)  # found, so not "missing" as well
            continue
        columns[m.column] = (i, m.factor)
        typed.written[m.column] = written
    for name, spec in COLUMNS[raw.table].items():
        alternatives = [a for a, (to, _) in ALTERNATIVES.get(raw.table, {}).items() if to == name]
        found = {name, *alternatives} & (set(columns) | unusable)
        if spec.required and not found:
            problems.append(Problem(raw.file, None, name, "missing column", None,
                                    expected_header(raw.table, name)))
    if frame.empty and raw.table in NEEDS_ROWS:
        problems.append(Problem(raw.file, None, None, "no rows", None, f"at least one row of {raw.table}"))
    parsed: dict[str, pd.Series] = {}
    for name, (i, factor) in columns.items():
        problems += _parse_column(typed, name, frame[i], factor, parsed)
    for name, i in extras.items():
        parsed[name] = parse_text(frame[i])
    # One construction, not column by column: pandas would copy blocks each time.
    typed.frame = pd.DataFrame(parsed, index=frame.index, copy=False)
    problems += _units_of_targets(typed, columns)
    problems += _decumulate(typed)
    return _complete(typed), problems


def _parse_column(
    typed: Typed, name: str, cells: pd.Series, factor: float, out: dict[str, pd.Series]
) -> list[Problem]:
    spec = column_spec(typed.table, name)
    typed.raw[name] = cells
    bad = None
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
        out[name], bad = parse_date(cells)
    elif spec.kind == "year":
        out[name], bad = parse_year(cells)
    else:
        values, bad = parse_number(cells)
        out[name] = values * factor if factor != 1.0 else values
    if bad is None or not bad.any():
        return []
    typed.failed[name] = pd.Series(bad, index=cells.index)
    check = f"unreadable {'number' if spec.kind in ('money', 'land') else spec.kind}"
    return typed.problems(name, bad, check, _EXPECTED[spec.kind])


def _units_of_targets(typed: Typed, columns: dict[str, tuple[int, float]]) -> list[Problem]:
    """A unit on ``目标值`` applies to money metrics only; counts stay counts."""
    if typed.table != "targets" or "value" not in columns or columns["value"][1] == 1.0:
        return []
    if "metric" not in typed.frame:  # reported missing; the unit cannot be placed
        return []
    factor = columns["value"][1]
    counts = ~typed.frame["metric"].isin(MONEY_METRICS)
    typed.frame.loc[counts, "value"] = typed.frame.loc[counts, "value"] / factor
    return []


def _decumulate(typed: Typed) -> list[Problem]:
    problems: list[Problem] = []
    for alt, (target, _) in ALTERNATIVES.get(typed.table, {}).items():
        if not target or alt not in typed.frame:
            continue
        if target in typed.written:
            problems.append(Problem(typed.file, None, typed.header(alt), "both cumulative and per-period",
                                    None, f"either '{typed.header(target)}' or '{typed.header(alt)}', not both"))
            typed.frame = typed.frame.drop(columns=alt)
            continue
        if typed.table == "progress":
            keys, by_year, severity = ["project_id"], False, "error"
            expected = "a cumulative total since the project began, never below the previous period's"
        else:
            keys, by_year, severity = ["zone_id", "metric"], True, "warning"
            expected = "a year-to-date total at least the previous period's (a revision?)"
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
