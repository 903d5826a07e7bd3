"""Tables written for people: ``.xlsx`` formatted for reading, ``.csv`` made safe.

One writer for every command that writes a table (predict, backtest, targets,
risk, rates, the batch's summary): :func:`write_table` picks the format from
the file's extension.

``.xlsx`` (openpyxl, write-only): money in 亿元 (the toolkit's 万元 / 1e4) with a
number format, shares and probabilities as percentages, dates as dates,
header frozen, a filter on every column, widths fitted to the text (a Chinese
character counts twice), headers in Chinese or English. Text from a ledger is
always a text cell (``t="inlineStr"``, with the quote prefix), never a formula,
whatever it starts with. ``.csv``: UTF-8 (as before: programs read it; people
get the ``.xlsx``), text cells neutralised by :func:`forecast._io.neutralise`
(OWASP: a leading apostrophe on text starting with = + - @), numbers as they
are. ``.parquet``: as is (for programs, not people).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from .._io import atomic_path, neutralise_frame
from ..exceptions import ForecastError
from ..vocab import METRIC_EN, METRIC_ZH, NEW_PREFIX, WAN_PER_YI

#: Extensions :func:`write_table` writes.
TABLE_EXTENSIONS = (".csv", ".xlsx", ".parquet", ".pq")
#: Metrics measured in 万元 (shown in 亿元); every other metric is a count.
MONEY_METRICS = ("investment", "output_value", NEW_PREFIX + "investment", NEW_PREFIX + "output_value",
                 "fixed_asset_investment", "industrial_output", "industrial_value_added", "fiscal_revenue")
#: Columns always in 万元.
MONEY_COLUMNS = ("planned_investment", "planned_investment_at_risk", "expected_investment",
                 "investment_at_stake", "designed_output", "year_investment", "investment_num",
                 "investment_den")
#: Columns in the unit of their row's ``metric`` (money rows in 亿元).
VALUE_COLUMNS = ("mean", "p05", "p10", "p25", "p50", "p75", "p90", "p95", "target", "actual_to_date",
                 "done", "expected", "baseline", "scenario", "change_mean", "change_p10", "change_p25",
                 "change_p50", "change_p75", "change_p90", "actual", "mae", "mae_mean", "value", "gap")
#: Shares and probabilities (0–1), shown as percentages.
PERCENT_COLUMNS = ("p_meet", "p_meet_baseline", "p_meet_scenario", "probability", "share_at_risk",
                   "rate_expected", "rate_p10", "rate_p90", "cov50", "cov80", "cov50_closed",
                   "cov80_closed", "p_cancel", "p_no_start", "p_late", "risk_score", "p_miss")

_YI = {"zh": "亿元", "en": "100m CNY"}
_FMT_YI = {"zh": '#,##0.00" 亿元"', "en": '#,##0.00" 100m CNY"'}
_FMT_NUM = "#,##0.00"
_FMT_PCT = "0.0%"
_FMT_DATE = "yyyy-mm-dd"

#: Column headers (zh, en); a column not listed keeps its name.
COLUMN_LABELS: dict[str, tuple[str, str]] = {
    "zone_id": ("园区编号", "Zone ID"), "zone_name": ("园区名称", "Zone"), "name": ("名称", "Name"),
    "level": ("汇总级别（zone 园区 / city 城市 / province 省 / all 全部）", "Level (zone, city, province, all)"),
    "project_id": ("项目编号", "Project ID"), "period": ("季度", "Quarter"), "metric": ("指标", "Metric"),
    "year": ("年度", "Year"), "mean": ("均值", "Mean"), "p05": ("P05", "P05"), "p10": ("P10", "P10"),
    "p25": ("P25", "P25"), "p50": ("P50（中位数）", "P50 (median)"), "p75": ("P75", "P75"),
    "p90": ("P90", "P90"), "p95": ("P95", "P95"), "target": ("目标", "Target"),
    "actual_to_date": ("已完成", "Done so far"), "done": ("已完成", "Done so far"),
    "expected": ("预计全年", "Expected for the year"), "p_meet": ("完成目标概率", "Chance of meeting target"),
    "p_miss": ("未完成目标概率", "Chance of missing target"),
    "rate_expected": ("预计完成率", "Expected completion rate"), "rate_p10": ("完成率 P10", "Rate P10"),
    "rate_p90": ("完成率 P90", "Rate P90"), "stage": ("阶段", "Stage"), "category": ("项目库", "Category"),
    "planned_investment": ("计划总投资", "Planned investment"), "responsible_unit": ("责任单位", "Responsible unit"),
    "officer": ("项目专员", "Project officer"), "risk": ("风险类型", "Risk"), "probability": ("概率", "Probability"),
    "reason_code": ("原因代码", "Reason code"), "reason_zh": ("原因", "Reason (zh)"),
    "reason_en": ("原因（英文）", "Reason"), "planned_date": ("计划日期", "Planned date"),
    "months_overdue": ("逾期月数", "Months overdue"),
    "months_late": ("预计推迟月数", "Expected months late"),
    "months_late_bound": ("推迟月数为下限", "Months late is a lower bound"),
    "investment_at_stake": ("未完成投资", "Not yet spent"), "baseline": ("基准", "Baseline"),
    "scenario": ("情景", "Scenario"), "change_mean": ("变化均值", "Mean change"),
    "change_p10": ("变化 P10", "Change P10"), "change_p25": ("变化 P25", "Change P25"),
    "change_p50": ("变化 P50", "Change P50"), "change_p75": ("变化 P75", "Change P75"),
    "change_p90": ("变化 P90", "Change P90"), "p_meet_baseline": ("基准完成概率", "Chance (baseline)"),
    "p_meet_scenario": ("情景完成概率", "Chance (scenario)"), "identical": ("与基准相同", "Same as baseline"),
    "gap": ("缺口", "Gap to target"), "rank": ("排名", "Rank"), "as_of": ("数据截至", "As of"),
    "lang": ("语言", "Language"), "status": ("状态", "Status"), "horizon": ("预测季度数", "Horizon"),
    "model": ("模型", "Model"), "mase": ("MASE（中位数）", "MASE (median)"), "crps": ("CRPS", "CRPS"),
    "mae": ("MAE（中位数）", "MAE (median)"), "mase_mean": ("MASE（均值）", "MASE (mean)"),
    "mae_mean": ("MAE（均值）", "MAE (mean)"), "mase_sum": ("MASE 各园区合计（中位数）", "MASE summed over zones (median)"),
    "ratio": ("MASE 比去年同季（中位数）", "MASE ratio to same quarter last year (median)"),
    "ratio_mean": ("MASE 比去年同季（均值）", "MASE ratio to same quarter last year (mean)"),
    "cov50": ("50% 区间覆盖率", "50% coverage"), "cov80": ("80% 区间覆盖率", "80% coverage"),
    "origin": ("预测起点", "Origin"), "actual": ("实际", "Actual"), "value": ("数值", "Value"),
    "projects": ("项目数", "Projects"), "at_risk": ("滞后项目数", "At risk"),
    "share_at_risk": ("滞后占比", "Share at risk"),
    "planned_investment_at_risk": ("滞后项目计划投资", "Planned investment at risk"),
    "expected_investment": ("预计完成投资", "Expected investment"),
    "rate": ("比率", "Rate"), "numerator": ("分子", "Numerator"), "denominator": ("分母", "Denominator"),
    "date": ("截至日期", "Date"), "basis": ("口径", "Basis"),
}


def _label(col: str, lang: str) -> str:
    pair = COLUMN_LABELS.get(col)
    return col if pair is None else pair[0 if lang == "zh" else 1]


def _metric_label(metric: Any, lang: str) -> Any:
    """A metric's name in ``lang`` (the new-project allowance marked)."""
    if not isinstance(metric, str):
        return metric
    base = metric[len(NEW_PREFIX):] if metric.startswith(NEW_PREFIX) else metric
    names = METRIC_ZH if lang == "zh" else METRIC_EN
    if base not in names:
        return metric
    if base == metric:
        return names[base]
    return f"{names[base]}（新项目）" if lang == "zh" else f"{names[base]} (new projects)"


def _width(text: str) -> int:
    """Display width: East Asian wide characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _money_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose value columns are money: a money ``metric``, or the
    investment rate's numerator and denominator in a rates table."""
    if "metric" in frame:
        return frame["metric"].isin(MONEY_METRICS).to_numpy()
    if "rate" in frame:
        return (frame["rate"] == "investment_rate").to_numpy()
    return np.zeros(len(frame), bool)


def _kind(frame: pd.DataFrame, col: str) -> str:
    s = frame[col]
    if col in MONEY_COLUMNS:
        return "money"
    rates = "rate" in frame and "metric" not in frame  # forecast.ledger.rates: value is the rate
    if col in PERCENT_COLUMNS or col.endswith("_rate") or col.startswith("share_") or (
            rates and col == "value"):
        return "percent"
    if (col in VALUE_COLUMNS and "metric" in frame) or (rates and col in ("numerator", "denominator")):
        return "by_metric"
    if pd.api.types.is_datetime64_any_dtype(s):
        return "date"
    if pd.api.types.is_bool_dtype(s):
        return "bool"
    if pd.api.types.is_integer_dtype(s):
        return "int"
    if pd.api.types.is_float_dtype(s):
        return "number"
    return "text"


def write_xlsx(sheets: Mapping[str, pd.DataFrame] | pd.DataFrame, path: str | Path, lang: str = "zh") -> Path:
    """Write one or more tables to a workbook formatted for reading (atomically).

    Parameters
    ----------
    sheets : DataFrame or mapping of sheet name → DataFrame
    path : the ``.xlsx`` file
    lang : ``"zh"`` or ``"en"``: headers, metric names and the 亿元 unit

    Examples
    --------
    >>> t = pd.DataFrame({"zone_id": ["=cmd"], "planned_investment": [25000.0], "p_meet": [0.4]})
    >>> _ = write_xlsx(t, Path(tempfile.mkdtemp()) / "t.xlsx", lang="en")  # doctest: +SKIP
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    if lang not in ("zh", "en"):
        raise ForecastError(f"lang must be zh or en. Got: {lang!r}")
    if isinstance(sheets, pd.DataFrame):
        sheets = {"forecast" if "metric" in sheets else "table": sheets}
    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    for name, frame in sheets.items():
        ws = wb.create_sheet(str(name)[:31])
        frame = frame.reset_index(drop=True)
        cols = list(frame.columns)
        kinds = {c: _kind(frame, c) for c in cols}
        money_row = _money_rows(frame)
        headers = [_label(c, lang) + (f" ({_YI[lang]})" if kinds[c] == "money" else "") for c in cols]
        widths = [_width(h) for h in headers]
        ws.freeze_panes = "A2"
        if len(cols):
            ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{len(frame) + 1}"
        body = []
        values = {c: frame[c].to_numpy(dtype=object) for c in cols}
        for i in range(len(frame)):
            row = []
            for j, c in enumerate(cols):
                cell, shown = _cell(ws, WriteOnlyCell, values[c][i], kinds[c], bool(money_row[i]), c, lang)
                widths[j] = max(widths[j], shown)
                row.append(cell)
            body.append(row)
        for j, w in enumerate(widths):
            ws.column_dimensions[get_column_letter(j + 1)].width = min(max(w + 2, 8), 60)
        head = []
        for h in headers:
            cell = WriteOnlyCell(ws, value=h)
            cell.data_type = "s"
            cell.font = bold
            cell.alignment = Alignment(vertical="center", wrap_text=False)
            head.append(cell)
        ws.append(head)
        for row in body:
            ws.append(row)
    path = Path(path)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _cell(ws: Any, make: Any, v: Any, kind: str, money_row: bool, col: str, lang: str) -> tuple[Any, int]:
    """One cell and its display width."""
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NaT or v is pd.NA:
        return make(ws, value=None), 0
    if kind == "text" or isinstance(v, str):
        text = _metric_label(v, lang) if col == "metric" else str(v)
        cell = make(ws, value=text)
        cell.data_type = "s"  # text, never a formula, whatever it starts with
        if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
            cell.quotePrefix = True
        return cell, _width(text)
    if isinstance(v, (pd.Timestamp, dt.date, np.datetime64)):
        cell = make(ws, value=pd.Timestamp(v).to_pydatetime())
        cell.number_format = _FMT_DATE
        return cell, 10
    if isinstance(v, pd.Period):
        text = str(v)
        cell = make(ws, value=text)
        cell.data_type = "s"
        return cell, len(text)
    if isinstance(v, (bool, np.bool_)):
        return make(ws, value=bool(v)), 5
    x = float(v)
    if kind == "money" or (kind == "by_metric" and money_row):
        cell = make(ws, value=x / WAN_PER_YI)
        cell.number_format = _FMT_YI[lang] if kind == "by_metric" else _FMT_NUM
        return cell, len(f"{x / WAN_PER_YI:,.2f}") + (7 if kind == "by_metric" else 0)
    if kind == "percent":
        cell = make(ws, value=x)
        cell.number_format = _FMT_PCT
        return cell, 7
    if kind == "int" or (isinstance(v, (int, np.integer))):
        return make(ws, value=int(v)), len(str(int(v)))
    cell = make(ws, value=x)
    cell.number_format = _FMT_NUM if kind != "by_metric" else "#,##0.0"
    return cell, len(f"{x:,.2f}")


def write_table(frame: pd.DataFrame, path: str | Path, lang: str = "zh",
                sheets: Mapping[str, pd.DataFrame] | None = None) -> Path:
    """Write a table by the extension of ``path``: ``.xlsx`` for reading, ``.csv``
    neutralised (UTF-8), ``.parquet`` as is; atomically.

    ``sheets`` adds more sheets to a workbook (ignored for the other formats).
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in TABLE_EXTENSIONS:
        raise ForecastError(f"The output file must end in {', '.join(TABLE_EXTENSIONS)}. Got: {path.name!r}")
    if ext == ".xlsx":
        first = "forecast" if "metric" in frame and "period" in frame else "table"
        return write_xlsx({first: frame, **(sheets or {})}, path, lang)
    with atomic_path(path) as tmp:
        if ext == ".csv":
            neutralise_frame(frame).to_csv(tmp, index=False, encoding="utf-8")
        else:
            frame.to_parquet(tmp, index=False)
    return path


def check_extension(path: str | Path, allowed: Iterable[str] = TABLE_EXTENSIONS) -> None:
    """Raise a ForecastError naming the allowed extensions unless ``path`` has one."""
    allowed = tuple(allowed)
    if Path(path).suffix.lower() not in allowed:
        raise ForecastError(f"The output file must end in {', '.join(allowed)}. Got: {Path(path).name!r}")


__all__ = ["COLUMN_LABELS", "TABLE_EXTENSIONS", "check_extension", "write_table", "write_xlsx"]
