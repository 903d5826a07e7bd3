"""``forecast template``: a workbook an office can fill in and ``forecast`` can read.

One sheet per table of the contract (:mod:`.columns`) with its headers and
units (``计划总投资(万元)``), an example row whose id is 示例 (the loader skips it,
with a note), drop-down lists for coded columns (category, plan type, level,
metric), date-formatted date columns, and a 说明 sheet explaining every column.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from .._io import atomic_path
from ..vocab import CATEGORY_ZH, INDICATOR_ZH, METRIC_ZH, PLAN_ZH, STAGE_ZH, ZONE_LEVEL_ZH
from .columns import COLUMNS, KIND_UNITS, TABLE_ZH, ColumnSpec
from .messages import Lang
from .rows import EXAMPLE_ID

#: Rows of each sheet given the date format and the drop-down lists.
FILL_ROWS = 2000
_CODES = {"category": CATEGORY_ZH, "level": ZONE_LEVEL_ZH, "target_metric": METRIC_ZH,
          "indicator_metric": INDICATOR_ZH, "plan": PLAN_ZH, "stage": STAGE_ZH}
_ID = f"{EXAMPLE_ID}-001"
#: The example row of each table (canonical values; coded ones shown in the template's language).
EXAMPLE: dict[str, dict[str, Any]] = {
    "zones": {"zone_id": EXAMPLE_ID, "name": "示例经开区", "province": "四川省", "city": "绵阳市", "level": "national"},
    "projects": {"project_id": _ID, "zone_id": EXAMPLE_ID, "name": "示例显示模组产线项目", "category": "industrial",
                 "industry": "电子信息", "planned_investment": 50000, "registered_date": dt.date(2024, 1, 10),
                 "land_mu": 120, "signed_date": dt.date(2024, 2, 15), "start_date": dt.date(2024, 4, 1),
                 "planned_completion_date": dt.date(2025, 6, 30), "designed_output": 80000,
                 "responsible_unit": "经发局", "officer": "张伟"},
    "progress": {"project_id": _ID, "period": "2024-04", "investment": 1200},
    "targets": {"zone_id": EXAMPLE_ID, "year": 2024, "metric": "investment", "value": 150000},
    "indicators": {"zone_id": EXAMPLE_ID, "period": "2024-03", "metric": "fixed_asset_investment", "value": 95000},
    "plan": {"project_id": _ID, "year": 2024, "plan": "new_start", "year_investment": 12000},
}
_NOTE_HEAD = {"zh": ["表", "列（表头）", "必填", "单位", "说明", "可填的值"],
              "en": ["sheet", "column (header)", "required", "unit", "meaning", "values"]}
_INTRO = {
    "zh": ["项目台账模板：每张表一个工作表，第一行是表头（可带单位，如 计划总投资(亿元)）。",
           "编号为“示例”的行是示例，读入时跳过；可以删除。日期写成 2024-03-15 或 2024年3月15日。",
           "用 forecast validate 台账.xlsx 检查，问题会指出文件、行、列、值和应填内容。"],
    "en": ["Ledger template: one sheet per table, headers on the first row (a unit may be written: "
           "planned_investment (亿元)).",
           f"Rows whose id is {EXAMPLE_ID} are examples, skipped when read; delete them if you like. "
           "Dates as 2024-03-15.",
           "Check with `forecast validate ledger.xlsx`: every problem names file, row, column, value and expected."],
}


def header(name: str, spec: ColumnSpec, lang: Lang) -> str:
    """A column's header in the template: ``计划总投资(万元)`` or ``planned_investment (万元)``."""
    if lang == "zh":
        return spec.header_zh
    unit = KIND_UNITS.get(spec.kind)
    return f"{name} ({unit})" if unit else name


def _shown(spec: ColumnSpec, value: Any, lang: Lang) -> Any:
    if spec.values in _CODES and lang == "zh" and value is not None:
        return _CODES[spec.values][value]
    return value


def write_template(path: str | os.PathLike[str], lang: Lang = "zh") -> Path:
    """Write the template workbook to ``path`` (an ``.xlsx`` file), atomically."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    notes = wb.active
    notes.title = "说明" if lang == "zh" else "notes"
    for line in _INTRO[lang]:
        notes.append([line])
    notes.append([])
    notes.append(_NOTE_HEAD[lang])
    bold, grey = Font(bold=True), Font(italic=True, color="808080")
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for table, specs in COLUMNS.items():
        ws = wb.create_sheet(TABLE_ZH[table] if lang == "zh" else table)
        example = EXAMPLE[table]
        ws.append([header(n, s, lang) for n, s in specs.items()])
        ws.append([_shown(s, example.get(n), lang) for n, s in specs.items()])
        ws.freeze_panes = "A2"
        for i, (name, spec) in enumerate(specs.items(), start=1):
            letter = get_column_letter(i)
            cell = ws.cell(1, i)
            cell.font, cell.fill = bold, head_fill
            ws.cell(2, i).font = grey
            ws.column_dimensions[letter].width = max(12, 2 * len(cell.value) + 2)
            if spec.kind == "date":
                for r in range(2, FILL_ROWS + 2):
                    ws.cell(r, i).number_format = "yyyy-mm-dd"
            if spec.values in _CODES:
                shown = list(_CODES[spec.values].values() if lang == "zh" else _CODES[spec.values])
                dv = DataValidation(type="list", formula1='"' + ",".join(shown) + '"', allow_blank=True,
                                    showErrorMessage=True, errorTitle=header(name, spec, lang),
                                    error=("请从下拉列表中选择" if lang == "zh" else "Choose from the list"))
                dv.add(f"{letter}2:{letter}{FILL_ROWS + 1}")
                ws.add_data_validation(dv)
            values = "、".join(_CODES[spec.values].values()) if spec.values in _CODES and lang == "zh" else (
                ", ".join(_CODES[spec.values]) if spec.values in _CODES else "")
            required = ("是" if spec.required else "否") if lang == "zh" else ("yes" if spec.required else "no")
            notes.append([ws.title, header(name, spec, lang), required, KIND_UNITS.get(spec.kind, ""),
                          spec.meaning_zh if lang == "zh" else spec.meaning, values])
    for letter, width in zip("ABCDEF", (10, 24, 6, 6, 40, 60)):
        notes.column_dimensions[letter].width = width
    path = Path(path)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path
