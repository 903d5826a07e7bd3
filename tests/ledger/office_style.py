"""Write a canonical ledger the way a zone office keeps it (imported by name by the tests).

:func:`office_rows` turns each table into a header and rows of cells with Chinese
headers and codes; :func:`write_xlsx`, :func:`write_xls`, :func:`write_ods` and
:func:`write_csv_folder` lay them out with the office's habits chosen by
:class:`Style`: a title row, a two-row header with merged group labels, 合计 rows,
free sheet names, cells merged down a column, month-only dates, padded text,
money in 亿元 under a header without a unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from forecast.ledger import Ledger
from forecast.ledger.columns import COLUMNS, TABLE_ZH
from forecast.vocab import CATEGORY_ZH, INDICATOR_ZH, METRIC_ZH, PLAN_ZH, ZONE_LEVEL_ZH

CODES = {"category": CATEGORY_ZH, "level": ZONE_LEVEL_ZH, "target_metric": METRIC_ZH,
         "indicator_metric": INDICATOR_ZH, "plan": PLAN_ZH}
#: Sheet names an office might give (none is a table's name).
FREE_SHEETS = {"zones": "园区信息", "projects": "Sheet1", "progress": "Sheet2", "targets": "年度目标",
               "indicators": "统计数据", "plan": "2024计划"}
GROUPS = {"projects": [("基本信息", "zone_id", "industry"), ("投资情况", "planned_investment", "land_mu"),
                       ("进度节点", "signed_date", "cancelled_date")]}
TITLE = "2024年重点项目台账（截至9月）"


@dataclass
class Style:
    """The habits of one office."""

    title: bool = False
    two_row_header: bool = False
    totals: bool = False
    free_names: bool = False
    merged_zone: bool = False
    month_only: bool = False
    spaces: bool = False
    yi_without_unit: bool = False
    serial_dates: bool = False
    tables: tuple[str, ...] = ("zones", "projects", "progress", "targets", "indicators", "plan")
    #: the table whose sheet gets the office habits (others are written plainly)
    office: tuple[str, ...] = ("projects",)
    extra: dict = field(default_factory=dict)


def month_end_dates(ledger: Ledger, column: str = "registered_date", every: int = 3) -> Ledger:
    """The ledger with every ``every``-th project's ``column`` moved to its month's last day
    (what a month-only date is read as), keeping the date order."""
    p = ledger.projects.copy()
    rows = p.index[::every]
    d = p.loc[rows, column]
    end = d + pd.offsets.MonthEnd(0)
    nxt = p.loc[rows, "signed_date"]
    ok = nxt.isna() | (end <= nxt)
    p.loc[rows[ok.to_numpy()], column] = end[ok]
    return Ledger(ledger.zones, p, ledger.progress, ledger.targets, ledger.indicators, plan=ledger.plan)


def _header(table: str, name: str, style: Style) -> str:
    spec = COLUMNS[table][name]
    if style.yi_without_unit and name == "planned_investment":
        return spec.aliases[0]  # no unit, money in 亿元
    return spec.header_zh


def office_rows(ledger: Ledger, table: str, style: Style) -> tuple[list[str], list[list[object]]]:
    """Chinese headers and the rows of cells of one table."""
    df = getattr(ledger, table)
    names = list(COLUMNS[table])
    headers = [_header(table, n, style) for n in names]
    office = table in style.office
    cols = []
    for n in names:
        spec = COLUMNS[table][n]
        s = df[n]
        if spec.values in CODES:
            s = s.map(lambda v, m=CODES[spec.values]: m.get(v, v))
        if office and style.yi_without_unit and n == "planned_investment":
            s = s / 10_000
        if spec.kind == "date":
            month_end = s.notna() & (s == s + pd.offsets.MonthEnd(0))
            cells = []
            for v, me in zip(s, month_end):
                if pd.isna(v):
                    cells.append(None)
                elif office and style.month_only and me and n == "registered_date":
                    cells.append(f"{v.year}年{v.month}月")
                elif office and style.serial_dates:
                    cells.append((v - pd.Timestamp("1899-12-30")).days)
                else:
                    cells.append(v.to_pydatetime())
            cols.append(cells)
            continue
        cells = [None if (not isinstance(v, str) and pd.isna(v)) else v for v in s.tolist()]
        cells = [int(v) if isinstance(v, (np.integer,)) else v for v in cells]
        if office and style.spaces and spec.kind in ("id", "text"):
            pads = [" {}", "{}\u3000", "\u00a0{} "]
            cells = [v if v is None else pads[i % 3].format(v) for i, v in enumerate(cells)]
        cols.append(cells)
    rows = [list(r) for r in zip(*cols)] if cols else []
    return headers, rows


def _sheet_name(table: str, style: Style) -> str:
    return FREE_SHEETS[table] if style.free_names else TABLE_ZH[table]


def _layout(ledger: Ledger, table: str, style: Style) -> tuple[list[list[object]], list[tuple[int, int, int, int]]]:
    """All rows of a sheet (title, header(s), data, totals) and its merged ranges (0-based, inclusive)."""
    headers, rows = office_rows(ledger, table, style)
    office = table in style.office
    out: list[list[object]] = []
    merges: list[tuple[int, int, int, int]] = []
    width = len(headers)
    if office and style.title:
        out += [[TITLE] + [None] * (width - 1), [None] * width]
        merges.append((0, 0, 0, width - 1))
    if office and style.two_row_header and table in GROUPS:
        names = list(COLUMNS[table])
        upper: list[object] = [None] * width
        lower: list[object] = list(headers)
        top = len(out)
        for label, a, b in GROUPS[table]:
            i, j = names.index(a), names.index(b)
            upper[i] = label
            merges.append((top, i, top, j))
        # the first column merged down both header rows, its header in the upper cell
        upper[0], lower[0] = headers[0], None
        merges.append((top, 0, top + 1, 0))
        out += [upper, lower]
    else:
        out.append(list(headers))
    first_data = len(out)
    if office and style.totals and rows:
        money = [i for i, n in enumerate(COLUMNS[table]) if COLUMNS[table][n].kind == "money"]
        half = len(rows) // 2
        sub = [None] * width
        sub[list(COLUMNS[table]).index("name") if "name" in COLUMNS[table] else 0] = "小 计"
        total = [None] * width
        total[0] = "合计"
        for i in money:
            sub[i] = sum(r[i] for r in rows[:half] if r[i] is not None)
            total[i] = sum(r[i] for r in rows if r[i] is not None)
        rows = rows[:half] + [sub, [None] * width] + rows[half:] + [total]
    if office and style.merged_zone and "zone_id" in COLUMNS[table] and table == "projects":
        c = list(COLUMNS[table]).index("zone_id")
        start = 0
        for k in range(1, len(rows) + 1):
            if k == len(rows) or rows[k][c] != rows[start][c]:
                if k - start > 1:
                    merges.append((first_data + start, c, first_data + k - 1, c))
                    for r in rows[start + 1:k]:
                        r[c] = None
                start = k
    return out + rows, merges


def write_xlsx(ledger: Ledger, path: Path, style: Style = Style(),
               edit: Callable[[list[list[object]], list[tuple[int, int, int, int]]], None] | None = None) -> Path:
    """The ledger as one .xlsx workbook, a sheet per table, laid out in ``style``
    (``edit``, if given, changes each sheet's rows and merged ranges in place before they are written)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for table in style.tables:
        if table == "plan" and ledger.plan.empty:
            continue
        ws = wb.create_sheet(_sheet_name(table, style))
        rows, merges = _layout(ledger, table, style)
        if edit is not None:
            edit(rows, merges)
        for row in rows:
            ws.append(row)
        for r0, c0, r1, c1 in merges:
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
        for col in ws.iter_cols(min_row=1):
            for cell in col:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd"
    wb.save(path)
    return path


def write_xls(ledger: Ledger, path: Path, style: Style = Style()) -> Path:
    """The ledger as an Excel 97–2003 .xls workbook (xlwt)."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for table in style.tables:
        if table == "plan" and ledger.plan.empty:
            continue
        ws = wb.add_sheet(_sheet_name(table, style))
        rows, merges = _layout(ledger, table, style)
        merged = {(r0, c0): (r1, c1) for r0, c0, r1, c1 in merges}
        covered = {(r, c) for r0, c0, r1, c1 in merges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if (r, c) in merged:
                    r1, c1 = merged[(r, c)]
                    ws.write_merge(r, r1, c, c1, v, date if isinstance(v, dt.datetime) else xlwt.Style.default_style)
                elif (r, c) in covered or v is None:
                    continue
                elif isinstance(v, dt.datetime):
                    ws.write(r, c, v, date)
                else:
                    ws.write(r, c, v)
    wb.save(str(path))
    return path


def write_ods(ledger: Ledger, path: Path, style: Style = Style()) -> Path:
    """The ledger as an OpenDocument .ods workbook (pandas' odf writer: no merged cells)."""
    with pd.ExcelWriter(path, engine="odf") as writer:
        for table in style.tables:
            if table == "plan" and ledger.plan.empty:
                continue
            rows, _ = _layout(ledger, table, style)
            pd.DataFrame(rows).to_excel(writer, sheet_name=_sheet_name(table, style), header=False, index=False)
    return path


def write_csv_folder(ledger: Ledger, folder: Path, style: Style = Style(), encoding: str = "gbk",
                     blank_lines: bool = True) -> Path:
    """The ledger as CSV files in ``encoding``, a title line above the header and blank lines between rows."""
    import csv
    import io

    folder.mkdir(parents=True, exist_ok=True)
    for table in style.tables:
        if table == "plan" and ledger.plan.empty:
            continue
        rows, _ = _layout(ledger, table, style)
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        for i, row in enumerate(rows):
            w.writerow(["" if v is None else (v.date().isoformat() if isinstance(v, dt.datetime) else v) for v in row])
            if blank_lines and table in style.office and i % 7 == 5:
                buf.write("\n")
        name = FREE_SHEETS[table] if style.free_names else table
        (folder / f"{name}.csv").write_bytes(buf.getvalue().encode(encoding))
    return folder
