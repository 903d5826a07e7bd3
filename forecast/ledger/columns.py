"""The ledger contract in code: every column of every table declared once.

Each :class:`ColumnSpec` says what a column holds (its *kind*), whether it is
required or unique, its lower bound, its Chinese headers and what it means.
Everything else is derived from this one declaration: the canonical column
order of each :class:`~forecast.ledger.Ledger` table, the dtypes, the pandera
rules of :mod:`.checks`, the header matching of :mod:`.headers`, the template
workbook and the table of ``docs/ledger.md`` (a test checks the two agree).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from ..vocab import ZONE_ID_PATTERN

Kind = Literal["id", "text", "money", "number", "land", "date", "period", "year", "enum"]

#: The dtype each kind parses to (anything else: ``object``).
KIND_DTYPES: Final[dict[str, str]] = {
    "money": "float64",
    "number": "float64",
    "land": "float64",
    "date": "datetime64[ns]",
    "year": "int64",  # ``Int64`` while blanks remain (a file with a missing year fails)
}
#: The canonical unit of a kind, written in template headers.
KIND_UNITS: Final[dict[str, str]] = {"money": "万元", "land": "亩"}
#: A ``period`` column becomes these four columns (``freq``, ``period_end``, ``quarter`` derived).
PERIOD_PARTS: Final = ("period", "freq", "period_end", "quarter")
_PART_DTYPES: Final = {"freq": "object", "period_end": "datetime64[ns]", "quarter": "period[Q-DEC]"}


@dataclass(frozen=True)
class ColumnSpec:
    """One canonical column of the contract."""

    kind: Kind
    required: bool = False
    #: Chinese (and other) headers read as this column; the first is the template's.
    aliases: tuple[str, ...] = ()
    #: For ``kind="enum"``: the name of the value map in ``headers.VALUE_MAPS``.
    values: str | None = None
    unique: bool = False
    #: Lower bound of the values, inclusive unless ``strict``.
    lower: float | None = None
    strict: bool = False
    #: A regular expression every value must match.
    pattern: str | None = None
    #: Money: the range in 万元 the median of a ledger's positive values lies in
    #: (units.py: a median outside it that a unit would bring inside is a lying unit).
    typical: tuple[float, float] | None = None
    #: What the column means, in English and in Chinese (docs, template 说明 sheet).
    meaning: str = ""
    meaning_zh: str = ""

    @property
    def header_zh(self) -> str:
        """The Chinese header of the template, with the unit: ``计划总投资(万元)``."""
        unit = KIND_UNITS.get(self.kind)
        head = self.aliases[0] if self.aliases else ""
        return f"{head}({unit})" if unit and head else head


_ZONE_ID = ("园区编号", "园区代码", "园区id")
_PROJECT_ID = ("项目编号", "项目代码", "项目id")
_PERIOD = ("期间", "月份", "季度", "统计期", "所属期")
_PERIOD_MEANING = ("a month 2024-03 or a quarter 2024Q1", "月份 2024-03 或季度 2024Q1")


# Where the median of a money column lies, in 万元 (docs/ledger.md, "Units that lie").
_PROJECT = (100.0, 1e6)  # a project's total, designed output or year's plan: 100万元 .. 100亿元
_PERIOD_SPEND = (10.0, 5e5)  # a project's investment or output in a month or quarter
_ZONE_YEAR = (1_000.0, 1e8)  # a zone's target for a year (money metrics)
# A zone's statistic for a month or quarter. The ceiling is a nation's (NBS national fixed-asset
# investment, year to date, reaches 5e8 万元): an indicator table may carry a province or the
# country as its zone, so only a statistic above 100万亿元 a period reads as 元.
_ZONE_PERIOD = (100.0, 1e10)


def _date(aliases: tuple[str, ...], en: str, zh: str, required: bool = False) -> ColumnSpec:
    return ColumnSpec("date", required, aliases, meaning=en, meaning_zh=zh)


#: Canonical columns of each table, in canonical order (SCHEMA.md).
COLUMNS: Final[dict[str, dict[str, ColumnSpec]]] = {
    "zones": {
        "zone_id": ColumnSpec("id", True, _ZONE_ID, unique=True, pattern=ZONE_ID_PATTERN,
                              meaning="stable key; also used in file names: letters, digits, _ or -",
                              meaning_zh="园区的固定编号，也用于文件名：字母、数字、_ 或 -"),
        "name": ColumnSpec("text", True, ("园区名称", "名称"), meaning="e.g. 绵阳经开区", meaning_zh="如 绵阳经开区"),
        "province": ColumnSpec("text", False, ("省份", "省"), meaning="province", meaning_zh="所在省份"),
        "city": ColumnSpec("text", False, ("城市", "市", "地市"), meaning="city", meaning_zh="所在城市"),
        "level": ColumnSpec("enum", False, ("级别", "园区级别"), "level",
                            meaning="national or provincial", meaning_zh="国家级 或 省级"),
    },
    "projects": {
        "project_id": ColumnSpec("id", True, _PROJECT_ID, unique=True, meaning="unique within the ledger",
                                 meaning_zh="台账内唯一的项目编号"),
        "zone_id": ColumnSpec("id", True, _ZONE_ID + ("所属园区",), meaning="must exist in zones",
                              meaning_zh="须为园区表中的园区编号"),
        "name": ColumnSpec("text", True, ("项目名称",), meaning="the project's name", meaning_zh="项目名称"),
        "category": ColumnSpec("enum", True, ("项目库", "项目类别", "类别"), "category",
                               meaning="one of the six project libraries", meaning_zh="六大项目库之一"),
        "industry": ColumnSpec("text", False, ("行业", "产业", "所属行业", "所属产业"),
                               meaning="free text, e.g. 电子信息", meaning_zh="自由填写，如 电子信息、生物医药"),
        "planned_investment": ColumnSpec("money", True, ("计划总投资", "总投资", "计划投资"), lower=0, strict=True,
                                         typical=_PROJECT,
                                         meaning="total planned investment", meaning_zh="项目计划总投资"),
        "registered_date": _date(("入库时间", "入库日期"), "the project entered the ledger (项目库)",
                                 "项目入库的日期", required=True),
        "land_mu": ColumnSpec("land", False, ("占地面积", "用地", "用地面积", "占地"), lower=0,
                              meaning="land area", meaning_zh="项目占地面积"),
        "signed_date": _date(("签约时间", "签约日期"), "contract signed (签约)", "签约日期"),
        "start_date": _date(("开工时间", "开工日期", "实际开工时间"), "construction started (开工)", "开工日期"),
        "planned_completion_date": _date(("计划竣工时间", "计划竣工日期"), "planned completion, set at the start",
                                         "计划竣工日期（开工时确定）"),
        "completion_date": _date(("竣工时间", "竣工日期", "实际竣工时间"), "construction completed (竣工)", "竣工日期"),
        "production_date": _date(("投产时间", "投产日期"), "went into production (投产)", "投产日期"),
        "full_production_date": _date(("达产时间", "达产日期"), "reached designed capacity (达产)", "达产日期"),
        "cancelled_date": _date(("终止时间", "终止日期"), "dropped, contract not honoured (终止)", "终止日期"),
        "designed_output": ColumnSpec("money", False, ("达产年产值", "预计年产值", "设计年产值"), lower=0,
                                      typical=_PROJECT,
                                      meaning="declared output a year at full capacity",
                                      meaning_zh="达产后的年产值"),
        "responsible_unit": ColumnSpec("text", False, ("责任单位",), meaning="the department answerable",
                                       meaning_zh="项目责任单位"),
        "officer": ColumnSpec("text", False, ("项目专员",), meaning="the project officer", meaning_zh="项目专员"),
    },
    "progress": {
        "project_id": ColumnSpec("id", True, _PROJECT_ID, meaning="must exist in projects",
                                 meaning_zh="须为项目表中的项目编号"),
        "period": ColumnSpec("period", True, _PERIOD, meaning=_PERIOD_MEANING[0], meaning_zh=_PERIOD_MEANING[1]),
        "investment": ColumnSpec("money", False, ("完成投资", "本期完成投资", "当期完成投资"), lower=0,
                                 typical=_PERIOD_SPEND,
                                 meaning="investment completed in the period", meaning_zh="本期完成投资"),
        "output_value": ColumnSpec("money", False, ("产值", "本期产值", "当期产值"), lower=0,
                                   typical=_PERIOD_SPEND,
                                   meaning="output value produced in the period", meaning_zh="本期产值"),
    },
    "targets": {
        "zone_id": ColumnSpec("id", True, _ZONE_ID, meaning="must exist in zones", meaning_zh="须为园区表中的园区编号"),
        "year": ColumnSpec("year", True, ("年度", "年份"), meaning="e.g. 2024", meaning_zh="如 2024"),
        "metric": ColumnSpec("enum", True, ("指标",), "target_metric", meaning="what the target counts",
                             meaning_zh="目标指标"),
        # Money or a count depending on the metric; the unit applies to money only.
        "value": ColumnSpec("number", True, ("目标值",), lower=0, typical=_ZONE_YEAR, meaning="万元 or a count",
                            meaning_zh="万元（投资、产值）或个数（项目数）"),
    },
    "indicators": {
        "zone_id": ColumnSpec("id", True, _ZONE_ID, meaning="must exist in zones", meaning_zh="须为园区表中的园区编号"),
        "period": ColumnSpec("period", True, _PERIOD, meaning=_PERIOD_MEANING[0], meaning_zh=_PERIOD_MEANING[1]),
        "metric": ColumnSpec("enum", True, ("指标",), "indicator_metric", meaning="the statistic",
                             meaning_zh="统计指标"),
        # No lower bound: a per-period value from year-to-date figures may be a negative revision.
        "value": ColumnSpec("money", True, ("数值", "本期值", "当期值", "值"), typical=_ZONE_PERIOD,
                            meaning="the period's value",
                            meaning_zh="本期值"),
    },
    "plan": {
        "project_id": ColumnSpec("id", True, _PROJECT_ID, meaning="must exist in projects",
                                 meaning_zh="须为项目表中的项目编号"),
        "year": ColumnSpec("year", True, ("年度", "年份", "计划年度"), meaning="the plan's year",
                           meaning_zh="计划年度"),
        "plan": ColumnSpec("enum", True, ("计划类型", "类型", "计划类别"), "plan",
                           meaning="what the project is to do that year", meaning_zh="项目当年的计划类型"),
        "year_investment": ColumnSpec("money", False, ("年度计划投资", "本年计划投资", "年度投资计划"), lower=0,
                                      typical=_PROJECT,
                                      meaning="investment planned for the year", meaning_zh="年度计划投资"),
    },
}

#: Columns read in place of a canonical one and turned into it by the loader:
#: name -> (the canonical column it becomes, "" for a check-only column; its spec).
ALTERNATIVES: Final[dict[str, dict[str, tuple[str, ColumnSpec]]]] = {
    "projects": {"status": ("", ColumnSpec("enum", False, ("项目状态", "状态"), "stage"))},
    "progress": {
        "cumulative_investment": (
            "investment",
            ColumnSpec("money", False, ("累计完成投资", "累计投资")),
        ),
        "cumulative_output_value": ("output_value", ColumnSpec("money", False, ("累计产值",))),
    },
    "indicators": {"cumulative_value": ("value", ColumnSpec("money", False, ("累计值",)))},
}

#: Sheet or file names of each table besides the table's own (hints only: tables are found by their columns).
SHEET_ALIASES: Final = {
    "zones": ("园区", "园区信息", "园区名单"),
    "projects": ("项目", "项目库", "项目台账", "重点项目", "项目清单"),
    "progress": ("进度", "项目进度", "月度进度", "投资进度"),
    "targets": ("目标", "年度目标"),
    "indicators": ("指标", "统计指标"),
    "plan": ("年度计划", "计划", "年度重点项目计划", "重点项目计划"),
}
#: The Chinese name of each table: template sheet names, messages.
TABLE_ZH: Final = {"zones": "园区", "projects": "项目", "progress": "进度", "targets": "目标",
                   "indicators": "指标", "plan": "年度计划"}


def column_spec(table: str, column: str) -> ColumnSpec:
    """The spec of a canonical or alternative column."""
    if column in COLUMNS[table]:
        return COLUMNS[table][column]
    return ALTERNATIVES[table][column][1]


def table_columns(table: str) -> tuple[str, ...]:
    """The columns of a loaded table, in order (a period column expanded to its parts)."""
    out: list[str] = []
    for name, spec in COLUMNS[table].items():
        out += PERIOD_PARTS if spec.kind == "period" else [name]
    return tuple(out)


def table_dtypes(table: str) -> dict[str, str]:
    """The dtype of every column of a loaded table."""
    dtypes = {}
    for name, spec in COLUMNS[table].items():
        if spec.kind == "period":
            dtypes.update({"period": "object", **_PART_DTYPES})
        else:
            dtypes[name] = KIND_DTYPES.get(spec.kind, "object")
    return dtypes
