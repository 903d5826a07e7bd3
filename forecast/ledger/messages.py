"""Problems in the user's language: the Chinese of every check, and rendering.

A :class:`~forecast.exceptions.Problem` keeps its English ``check`` (a stable
key, what tests and scripts match on) and ``expected`` text, and the Chinese
``expected_zh``; :func:`problem_text` writes either language with the same
fields: file, row, column, check, value, expected.
"""

from __future__ import annotations

from typing import Final, Literal

import pandas as pd

from ..exceptions import Problem

Lang = Literal["zh", "en"]
LANGS: Final = ("zh", "en")

#: Every check name the loader gives, in Chinese. A test checks none is missing.
CHECK_ZH: Final[dict[str, str]] = {
    "no ledger": "找不到台账",
    "missing table": "缺少表",
    "second file for a table": "同一张表有多个文件",
    "undecodable file": "文件编码无法识别",
    "empty file": "空文件",
    "empty sheet": "空工作表",
    "unreadable workbook": "工作簿无法读取",
    "unreadable file": "文件无法读取",
    "extra values": "多出的值",
    "rows above the header skipped": "已跳过表头上方的行",
    "sheet not read": "未读取的工作表",
    "merged cells filled down": "合并单元格已向下填充",
    "total row skipped": "已跳过合计行",
    "template example row skipped": "已跳过模板示例行",
    "spaces trimmed": "已去除首尾空格",
    "month-only dates": "只有年月的日期",
    "duplicate header": "表头重复",
    "duplicate column": "列重复",
    "unknown unit": "无法识别的单位",
    "missing column": "缺少列",
    "no rows": "没有数据行",
    "unreadable number": "无法识别的数字",
    "unreadable date": "无法识别的日期",
    "unreadable period": "无法识别的期间",
    "unreadable year": "无法识别的年度",
    "unit looks wrong": "单位疑似有误",
    "both cumulative and per-period": "同时有累计值和本期值",
    "cumulative decrease": "累计值减少",
    "cumulative revision": "累计值修订",
    "missing value": "缺少值",
    "unknown zone": "未知园区",
    "unknown project": "未知项目",
    "unknown category": "未知项目类别",
    "unknown level": "未知园区级别",
    "unknown status": "未知项目状态",
    "unknown metric": "未知指标",
    "unknown plan type": "未知计划类型",
    "bad zone_id": "园区编号格式不符",
    "negative money": "金额为负",
    "negative number": "数值为负",
    "planned_investment not positive": "计划总投资不大于零",
    "duplicate row": "重复行",
    "date out of order": "日期顺序不对",
    "earlier milestone missing": "缺少前一节点日期",
    "cancelled after completion": "竣工后终止",
    "planned before start": "计划竣工早于开工",
    "status disagrees with dates": "项目状态与日期不符",
    "overlapping periods": "期间重叠",
    "zone named, not its id": "填写了园区名称而非编号",
    "implausible amount": "金额大得不合理",
    "control character": "含控制字符",
}
_DUPLICATE_ZH = "重复的"  # "duplicate <column>" is built per column
_SEVERITY: Final = {
    "en": {"error": "ERROR", "warning": "WARNING", "info": "INFO"},
    "zh": {"error": "错误", "warning": "警告", "info": "提示"},
}


def check_zh(check: str) -> str:
    """The Chinese of a check name (the English one if it has none)."""
    if check in CHECK_ZH:
        return CHECK_ZH[check]
    if check.startswith("duplicate "):
        return _DUPLICATE_ZH + check.removeprefix("duplicate ")
    return check


def problem_text(p: Problem, lang: Lang = "en") -> str:
    """One problem as a line of text in ``lang``.

    >>> p = Problem("projects.csv", 5, "计划总投资", "negative money", "-3", "an amount ≥ 0 万元",
    ...             expected_zh="不小于 0 的金额（万元）")
    >>> problem_text(p, "zh")
    "错误 projects.csv，第 5 行，列“计划总投资”：金额为负：应为 不小于 0 的金额（万元）。实际为 '-3'。"
    """
    if lang == "en":
        return str(p)
    where = p.file
    if p.row is not None:
        where += f"，第 {p.row} 行"
    if p.column is not None:
        where += f"，列“{p.column}”"
    got = "" if p.value is None else f"实际为 {p.value!r}。"
    return f"{_SEVERITY['zh'][p.severity]} {where}：{check_zh(p.check)}：应为 {p.expected_zh or p.expected}。{got}"


def summary_line(problems: list[Problem], source: str, lang: Lang = "en") -> str:
    """``3 error(s), 1 warning(s) in <ledger>`` in ``lang`` (infos counted apart)."""
    counts = {s: sum(p.severity == s for p in problems) for s in ("error", "warning", "info")}
    if lang == "zh":
        text = f"{source}：{counts['error']} 个错误，{counts['warning']} 个警告"
        return text + (f"，{counts['info']} 条提示" if counts["info"] else "")
    text = f"{counts['error']} error(s), {counts['warning']} warning(s)"
    return text + (f", {counts['info']} note(s)" if counts["info"] else "") + f" in {source}"


def problems_table(problems: list[Problem], lang: Lang = "en") -> pd.DataFrame:
    """Problems as a table with the columns in ``lang`` (``validate --format csv``)."""
    rows = [
        {"file": p.file, "row": p.row, "column": p.column,
         "check": p.check if lang == "en" else check_zh(p.check), "value": p.value,
         "expected": p.expected if lang == "en" else (p.expected_zh or p.expected),
         "severity": p.severity if lang == "en" else _SEVERITY["zh"][p.severity], "zone_id": p.zone_id}
        for p in problems
    ]
    cols = ["file", "row", "column", "check", "value", "expected", "severity", "zone_id"]
    frame = pd.DataFrame(rows, columns=cols)
    if lang == "zh":
        frame.columns = ["文件", "行", "列", "检查", "值", "应为", "级别", "园区编号"]
    return frame
