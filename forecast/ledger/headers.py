"""Headers and coded values as written, matched to the contract of :mod:`.columns`.

Headers and coded values are
matched after :func:`normalise`: NFKC (full-width brackets, letters and digits to
half-width), traditional characters to simplified through a small explicit
table, lower case, no white space. A unit written in brackets after a header
(``计划总投资(亿元)``, ``planned_investment (亿元)``) is split off and gives the
factor to the canonical unit (万元 for money, 亩 for land).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from ..vocab import (
    CATEGORY_ZH,
    INDICATOR_ZH,
    METRIC_ZH,
    PLAN_ZH,
    STAGE_ZH,
    STAGES,
    ZONE_LEVEL_ZH,
)
from .columns import ALTERNATIVES, COLUMNS, SHEET_ALIASES, ColumnSpec, column_spec  # noqa: F401  (re-exported)

# --- traditional → simplified ----------------------------------------------------
# Only the characters that occur in our headers and coded values: a full
# converter would be a dependency for a few dozen characters.
_TRAD = (
    "項项 編编 號号 計计 劃划 總总 資资 開开 時时 間间 園园 區区 屬属 稱称 庫库 類类 別别 "
    "產产 業业 簽签 約约 達达 終终 責责 單单 專专 員员 積积 標标 級级 佔占 畝亩 狀状 態态 "
    "預预 額额 萬万 億亿 實实 際际 貿贸 務务 會会 與与 農农 設设 國国 儲储 備备 規规 財财 "
    "數数 當当 碼码 遊游 門门 統统 幣币 營营 頃顷 縣县 鎮镇 進进"
)
_T2S: Final = str.maketrans({pair[0]: pair[1] for pair in _TRAD.split()})


def normalise(text: object) -> str:
    """Key used to match headers and coded values.

    >>> normalise(" 計劃總投資（億元） ")
    '计划总投资(亿元)'
    >>> normalise("Planned Investment")
    'planned_investment'
    """
    s = unicodedata.normalize("NFKC", str(text)).translate(_T2S).strip().lower()
    s = s.replace("【", "(").replace("】", ")").replace("[", "(").replace("]", ")")
    s = re.sub(r"\s*([()])\s*", r"\1", s)
    s = re.sub(r"[\s\-]+", "_", s)
    return s


# --- units ---------------------------------------------------------------------
#: Factor from a unit written in a header to the canonical unit of its kind.
UNITS: Final[dict[str, dict[str, float]]] = {
    "money": {"万元": 1.0, "亿元": 10_000.0, "元": 1e-4, "千元": 0.1, "百万元": 100.0},
    "land": {"亩": 1.0, "公顷": 15.0, "平方米": 0.0015, "m2": 0.0015, "㎡": 0.0015},
}
UNITS["number"] = UNITS["money"]  # targets.value: money metrics only, see read.py
_UNIT_RE = re.compile(r"^(?P<base>.+?)\((?P<unit>[^()]*)\)$")


@dataclass(frozen=True)
class HeaderMatch:
    """What a header as written means."""

    written: str
    column: str | None  # canonical (or alternative) name; None = unknown extra
    factor: float = 1.0
    unit: str | None = None  # as written; set when the unit is not known
    declared: str | None = None  # a known unit as written in the header


def _alias_index(table: str) -> dict[str, str]:
    index: dict[str, str] = {}
    specs = dict(COLUMNS[table])
    specs.update({k: v[1] for k, v in ALTERNATIVES.get(table, {}).items()})
    for name, spec in specs.items():
        for alias in (name, *spec.aliases):
            index[normalise(alias)] = name
    return index


_ALIASES: Final = {t: _alias_index(t) for t in COLUMNS}


def match_header(table: str, written: str) -> HeaderMatch:
    """Map a header as written to its canonical column and unit factor.

    >>> m = match_header("projects", "计划总投资（亿元）")
    >>> (m.column, m.factor)
    ('planned_investment', 10000.0)
    >>> match_header("projects", "备注").column is None
    True
    """
    key = normalise(written)
    index = _ALIASES[table]
    if key in index:
        return HeaderMatch(written, index[key])
    m = _UNIT_RE.match(key)
    if m and m.group("base") in index:
        column = index[m.group("base")]
        kind = column_spec(table, column).kind
        unit = m.group("unit")
        factor = UNITS.get(kind, {}).get(unit)
        if factor is None:
            return HeaderMatch(written, column, unit=unit)
        return HeaderMatch(written, column, factor, declared=unit)
    return HeaderMatch(written, None)


def expected_header(table: str, column: str) -> tuple[str, str]:
    """How to write a column: its canonical name and its Chinese headers (English, Chinese)."""
    spec = column_spec(table, column)
    zh = " / ".join(spec.aliases[:3])
    return (f"a column '{column}'" + (f" (or {zh})" if zh else ""),
            f"一列“{zh or column}”" + (f"（或 {column}）" if zh else ""))


# --- coded values ------------------------------------------------------------------
def _value_map(canonical: tuple[str, ...], *zh: dict[str, str], extra: dict[str, str] | None = None) -> dict[str, str]:
    out = {normalise(c): c for c in canonical}
    for table in zh:
        out.update({normalise(v): k for k, v in table.items()})
    out.update({normalise(k): v for k, v in (extra or {}).items()})
    return out


VALUE_MAPS: Final[dict[str, dict[str, str]]] = {
    "category": _value_map(tuple(CATEGORY_ZH), CATEGORY_ZH, extra={"交通房地产与城市建设": "transport_urban"}),
    "level": _value_map(tuple(ZONE_LEVEL_ZH), ZONE_LEVEL_ZH, extra={"国家": "national", "省": "provincial"}),
    "stage": _value_map(
        STAGES,
        STAGE_ZH,
        extra={"在建": "started", "已开工": "started", "已签约": "signed", "已竣工": "completed",
               "已投产": "producing", "已达产": "full_production", "已终止": "cancelled",
               "full production": "full_production"},
    ),
    "plan": _value_map(
        tuple(PLAN_ZH),
        PLAN_ZH,
        extra={"新建": "new_start", "新开": "new_start", "投产": "production", "竣工": "production",
               "储备": "preparatory", "前期": "preparatory", "new start": "new_start"},
    ),
    "target_metric": _value_map(
        tuple(METRIC_ZH),
        METRIC_ZH,
        extra={"年度计划完成投资": "investment", "计划完成投资": "investment",
               "新开工项目数": "projects_started", "产值": "output_value"},
    ),
    "indicator_metric": _value_map(
        tuple(INDICATOR_ZH),
        INDICATOR_ZH,
        extra={"规模以上工业总产值": "industrial_output", "规模以上工业增加值": "industrial_value_added",
               "工业总产值": "industrial_output", "工业增加值": "industrial_value_added",
               "一般公共预算收入": "fiscal_revenue"},
    ),
}
_CODE_NAMES: Final = {"category": CATEGORY_ZH, "stage": STAGE_ZH, "plan": PLAN_ZH, "target_metric": METRIC_ZH,
                      "indicator_metric": INDICATOR_ZH}
#: What a coded column expects, in English and in Chinese.
VALUE_EXPECTED: Final = {
    "level": "national (国家级) or provincial (省级)",
    **{m: "one of " + ", ".join(f"{k} ({v})" for k, v in names.items()) for m, names in _CODE_NAMES.items()},
}
VALUE_EXPECTED_ZH: Final = {
    "level": "国家级（national）或 省级（provincial）",
    **{m: "以下之一：" + "、".join(f"{v}（{k}）" for k, v in names.items()) for m, names in _CODE_NAMES.items()},
}
