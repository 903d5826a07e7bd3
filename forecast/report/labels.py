"""Every word a report shows, in Chinese and English: one table, one lookup.

``t(key, lang)`` returns the text for ``key`` in ``lang`` (``"zh"`` or ``"en"``),
formatted with any keyword arguments. Stage, category, metric and risk names
come from :mod:`forecast.vocab` under the prefixes ``stage.``, ``category.``,
``metric.`` and ``indicator.`` so they are spelled once in the whole toolkit.

Text returned by ``t`` is plain text, not HTML: callers escape it like any
other string (the formatted values may come from a ledger).
"""

from __future__ import annotations

from typing import Final

from ..exceptions import ForecastError
from .province_labels import PROVINCE_TEXT
from ..vocab import (
    CATEGORY_EN,
    CATEGORY_ZH,
    INDICATOR_ZH,
    METRIC_EN,
    METRIC_ZH,
    RATE_EN,
    RATE_ZH,
    STAGE_EN,
    STAGE_ZH,
    WAN_PER_YI,
)

#: Report languages, in the order reports are usually produced.
LANGS: Final = ("zh", "en")

# key -> (zh, en). Keep keys grouped by report section.
_TEXT: dict[str, tuple[str, str]] = {
    # --- page ---------------------------------------------------------------
    "report.title": ("{zone} 投资项目预测报告", "{zone}: investment project forecast"),
    "report.subtitle": (
        "数据截至 {as_of} · 预测未来 {horizon} 个季度",
        "Data as of {as_of} · forecast for the next {horizon} quarters",
    ),
    "report.zone_id": ("园区编号", "Zone ID"),
    # --- headline -----------------------------------------------------------
    "headline.title": ("核心指标", "Headline numbers"),
    "headline.intro": (
        "{year} 年各项年度目标的完成预测。区间为 80% 预测区间（P10–P90）。",
        "Forecast of each {year} target. Ranges are 80% prediction intervals (P10–P90).",
    ),
    "headline.expected": ("预计全年", "Expected for the year"),
    "headline.target": ("目标", "Target"),
    "headline.to_date": ("已完成", "Done so far"),
    "headline.range": ("区间", "Range"),
    "headline.p_meet": ("完成目标概率", "Chance of meeting target"),
    "headline.no_target": ("未设目标", "No target set"),
    "headline.no_targets": (
        "台账未给出 {year} 年目标；下表为未来四个季度的预测合计。",
        "The ledger sets no {year} targets; the cards show the next four quarters' forecast totals.",
    ),
    "headline.next4": ("未来四个季度", "Next four quarters"),
    "headline.no_projects": (
        "截至 {as_of} 末，台账中本园区没有任何项目；以下预测仅含新增项目的估计。",
        "The ledger lists no projects in this zone by the end of {as_of}; the forecast below "
        "covers only projects yet to come.",
    ),
    # --- pipeline -----------------------------------------------------------
    "pipeline.title": ("项目储备与推进", "Pipeline by stage"),
    "pipeline.intro": (
        "截至 {as_of} 末各阶段的项目数与计划总投资。",
        "Projects and planned investment in each stage at the end of {as_of}.",
    ),
    "pipeline.projects": ("项目数（个）", "Projects"),
    "pipeline.investment": ("计划总投资（亿元）", "Planned (100m CNY)"),
    "pipeline.stage": ("阶段", "Stage"),
    # --- investment ---------------------------------------------------------
    "investment.title": ("投资完成情况与预测", "Investment: this year and the forecast"),
    "investment.intro": (
        "上图：各季度完成投资（柱为实际，扇形为预测的 50% 与 90% 区间，线为中位数）。"
        "下图：{year} 年累计完成投资与全年目标。",
        "Top: investment completed each quarter (bars actual; the fan shows the 50% and 90% "
        "forecast intervals, the line the median). Bottom: {year} investment so far against "
        "the annual target.",
    ),
    "investment.quarterly": ("季度完成投资（亿元）", "Investment per quarter (100m CNY)"),
    "investment.year": ("{year} 年累计（亿元）", "{year} cumulative (100m CNY)"),
    "investment.actual": ("实际", "Actual"),
    "investment.forecast": ("预测中位数", "Forecast median"),
    "investment.band50": ("50% 区间", "50% interval"),
    "investment.band90": ("90% 区间", "90% interval"),
    "investment.done": ("已完成", "Done"),
    "investment.expected_rest": ("预计剩余", "Expected rest of year"),
    "investment.target": ("目标", "Target"),
    "investment.new": ("其中新入库项目（均值）", "New projects (mean)"),
    # --- events -------------------------------------------------------------
    "events.title": ("开工、竣工、投产项目数", "Starts, completions and production starts"),
    "events.intro": (
        "各季度开工、竣工和投产的项目个数：柱为实际，点为预测中位数，竖线为 80% 区间。",
        "Projects starting construction, completing and starting production each quarter: "
        "bars actual, dots the forecast median, whiskers the 80% interval.",
    ),
    "events.count": ("个", "projects"),
    # --- output -------------------------------------------------------------
    "output.title": ("产值预测", "Output forecast"),
    "output.intro": (
        "已投产项目与预计投产项目的季度产值（亿元）。",
        "Quarterly output of producing and soon-producing projects (100m CNY).",
    ),
    "output.axis": ("季度产值（亿元）", "Output per quarter (100m CNY)"),
    # --- risks --------------------------------------------------------------
    "risk.title": ("风险项目清单", "Projects at risk"),
    "risk.intro": (
        "未来四个季度内最可能延期或终止的项目，按概率排序（前 {n} 个）。",
        "Projects most likely to slip or be cancelled within four quarters, by probability "
        "(top {n}).",
    ),
    "risk.none": ("当前没有需要关注的风险项目。", "No project needs attention now."),
    "risk.project": ("项目", "Project"),
    "risk.kind": ("风险", "Risk"),
    "risk.probability": ("概率", "Probability"),
    "risk.reason": ("原因", "Reason"),
    "risk.unit": ("责任单位", "Responsible unit"),
    "risk.officer": ("项目专员", "Officer"),
    "risk.planned_date": ("计划时间", "Planned date"),
    "risk.overdue": ("逾期（月）", "Overdue (months)"),
    "risk.investment": ("计划总投资（亿元）", "Planned (100m CNY)"),
    "risk.kind.start": ("未按期开工", "Start delayed"),
    "risk.kind.completion": ("未按期竣工", "Completion delayed"),
    "risk.kind.cancel": ("可能终止", "May be cancelled"),
    # --- 龙虎榜: risks by responsible unit ------------------------------------
    "board.title": ("责任单位龙虎榜", "Responsible units: leaders and laggards"),
    "board.intro": (
        "按责任单位统计在推项目中风险概率不低于 {threshold} 的项目占比，占比低者居前。"
        "在推项目不少于 {min_projects} 个的单位中，占比最低者得红旗，最高者得黑旗。",
        "Share of each responsible unit's active projects with a risk of {threshold} or more, "
        "lowest first. Among units with at least {min_projects} active projects, the lowest "
        "share earns the red flag and the highest the black flag.",
    ),
    "board.none": ("台账未给出项目的责任单位，无法排名。",
                   "The ledger names no responsible units, so there is no ranking."),
    "board.more": ("另有 {n} 个单位未列出。", "{n} more units not shown."),
    "board.rank": ("名次", "Rank"),
    "board.unit": ("责任单位", "Responsible unit"),
    "board.flag": ("旗", "Flag"),
    "board.flag.red": ("红旗", "Red flag"),
    "board.flag.black": ("黑旗", "Black flag"),
    "board.projects": ("在推项目", "Active projects"),
    "board.at_risk": ("风险项目", "At risk"),
    "board.share": ("风险占比", "Share at risk"),
    "board.investment": ("风险项目计划总投资（亿元）", "Planned at risk (100m CNY)"),
    # --- track record -------------------------------------------------------
    "backtest.title": ("以往预测的准确度", "How past forecasts did"),
    "backtest.intro": (
        "从历史季度（{origins}）出发、只用当时已知的数据重做预测，再与实际对比。"
        "覆盖率应接近区间名义水平；MASE 小于 1 表示优于季节朴素预测。",
        "Forecasts re-made from past quarters ({origins}) with only the data known then, "
        "compared with what happened. Coverage should be near the interval's nominal level; "
        "MASE below 1 beats the seasonal naive forecast.",
    ),
    "backtest.none": (
        "本园区历史数据不足，无法回测。",
        "Not enough history in this zone for a backtest.",
    ),
    "backtest.axis": ("下一季度完成投资（亿元）", "Next-quarter investment (100m CNY)"),
    "backtest.origin": ("预测起点", "Forecast origin"),
    "backtest.metric": ("指标", "Metric"),
    "backtest.model": ("方法", "Method"),
    "backtest.mase": ("MASE", "MASE"),
    "backtest.cov50": ("50% 覆盖率", "50% coverage"),
    "backtest.cov80": ("80% 覆盖率", "80% coverage"),
    "backtest.model.forecast": ("本模型", "This model"),
    "backtest.model.seasonal_naive": ("季节朴素", "Seasonal naive"),
    "backtest.model.ets": ("指数平滑", "Exponential smoothing"),
    "backtest.interval": ("80% 区间", "80% interval"),
    # --- data quality -------------------------------------------------------
    "quality.title": ("数据质量提示", "Data-quality warnings"),
    "quality.intro": (
        "读取台账时发现的本园区问题（不影响运行，但可能影响预测）。",
        "Problems found in this zone's rows when the ledger was read (not fatal, "
        "but they may bias the forecast).",
    ),
    "quality.none": ("未发现数据问题。", "No data problems found."),
    "quality.more": ("另有 {n} 条未列出。", "{n} more not shown."),
    "quality.file": ("文件", "File"),
    "quality.row": ("行", "Row"),
    "quality.column": ("列", "Column"),
    "quality.check": ("检查", "Check"),
    "quality.value": ("值", "Value"),
    "quality.expected": ("应为", "Expected"),
    # --- method -------------------------------------------------------------
    "method.title": ("方法说明", "Method"),
    "method.body": (
        "预测只使用截至 {as_of} 末已知的数据。每个在库项目从当前阶段出发，"
        "按拟合的阶段转换时间（含终止的竞争风险）、投资进度曲线和产值爬坡模型模拟 "
        "{draws} 次；另按历史入库节奏加上今后新入库项目的贡献。"
        "表中数字为模拟结果的均值与分位数。金额单位：亿元（台账为万元）。",
        "The forecast uses only what was known at the end of {as_of}. Each project in the "
        "ledger is simulated {draws} times from its current stage with fitted stage-"
        "transition times (cancellation competing), a spend curve and an output ramp-up; "
        "projects registered later are added from the historical arrival rate. Numbers are "
        "means and quantiles of the simulation. Money in 100 million CNY (亿元; the ledger "
        "is in 万元).",
    ),
    "method.models_fitted": (
        "模型在本次运行中拟合。", "The models were fitted in this run."
    ),
    "method.models_loaded": (
        "模型来自已保存的模型集（{name}）。", "The models come from a saved model set ({name})."
    ),
    "method.seed": ("随机种子 {seed}。", "Random seed {seed}."),
    # --- explore notebook -----------------------------------------------------
    "explore.s_curve": ("投资进度曲线（累计投资占比）", "Spending S-curve (share of investment spent)"),
    "explore.construction": ("建设期进度（0 = 开工，1 = 竣工）", "Construction period (0 = start, 1 = completion)"),
    "explore.model": ("模型", "Model"),
    "explore.base": ("基准情形", "Base case"),
    "explore.whatif": ("假设情形", "What-if"),
    # --- the rates ------------------------------------------------------------
    "rates.basis.plan": ("按年度计划", "against the year's plan"),
    "rates.basis.fallback": ("无年度计划，按台账推算名单", "no plan: list from the ledger"),
    "rates.basis.signed": ("上年初以来签约的项目", "projects signed since the start of last year"),
    "rates.basis.target": ("按年度投资目标", "against the investment target"),
    "rates.basis.none": ("无年度计划投资或目标", "no planned investment or target"),
    # --- shared -------------------------------------------------------------
    "axis.quarter": ("季度", "Quarter"),
    "unit.yi": ("亿元", "100m CNY"),
    "unit.money": ("{value} 亿元", "CNY {value}m"),
    "unit.count": ("个", ""),
    "caption.figure": ("图", "Figure"),
}

# The vocabulary names, spelled once in forecast.vocab.
for _prefix, _zh, _en in (
    ("stage", STAGE_ZH, STAGE_EN),
    ("category", CATEGORY_ZH, CATEGORY_EN),
    ("metric", METRIC_ZH, METRIC_EN),
    ("rate", RATE_ZH, RATE_EN),
):
    for _key, _text in _zh.items():
        _TEXT[f"{_prefix}.{_key}"] = (_text, _en[_key])
for _key, _text in INDICATOR_ZH.items():
    _TEXT[f"indicator.{_key}"] = (_text, _key.replace("_", " ").capitalize())

#: The whole table, read-only by convention: ``LABELS[key] == (zh, en)``.
_TEXT.update(PROVINCE_TEXT)  # the province report's words, kept in their own module
LABELS: Final = _TEXT


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a report language, else raise ``ForecastError``.

    >>> check_lang("zh")
    'zh'
    """
    if lang not in LANGS:
        raise ForecastError(
            f"The report language must be one of {', '.join(LANGS)}. Got: {lang!r}"
        )
    return lang


def t(key: str, lang: str, **values: object) -> str:
    """The text for ``key`` in ``lang``, formatted with ``values``.

    Parameters
    ----------
    key : str
        A key of :data:`LABELS`, e.g. ``"pipeline.title"`` or ``"stage.signed"``.
    lang : {"zh", "en"}
        The report language.
    **values
        Named values for the ``{placeholders}`` of the text.

    Returns
    -------
    str
        Plain text (escape it before putting it into HTML).

    Examples
    --------
    >>> t("stage.signed", "zh"), t("stage.signed", "en")
    ('签约', 'Signed')
    >>> t("report.subtitle", "en", as_of="2025Q3", horizon=8)
    'Data as of 2025Q3 · forecast for the next 8 quarters'
    """
    check_lang(lang)
    try:
        text = LABELS[key][LANGS.index(lang)]
    except KeyError as err:
        raise ForecastError(f"No report label {key!r}; add it to forecast/report/labels.py.") from err
    return text.format(**values) if values else text


#: What a figure that is not defined (an empty list, no target) shows.
NA: Final = "—"


def yi(wan: float | None, digits: int = 1) -> str:
    """Format an amount in 万元 as a number of 亿元 with thousands separators
    (for tables and charts whose header names the unit).

    >>> yi(123_456.0)
    '12.3'
    >>> yi(float("nan"))
    '—'
    """
    if wan is None or wan != wan:  # NaN
        return NA
    return f"{wan / WAN_PER_YI:,.{digits}f}"


def money(wan: float | None, lang: str, digits: int = 1) -> str:
    """An amount in 万元 with its unit, the one way every page, mail and command
    writes money: ``12.3 亿元`` in Chinese, ``CNY 1,230m`` in English
    (1 亿元 = 100 million CNY; the English figure is the Chinese one × 100, so
    both carry the same rounding).

    >>> money(123_456.0, "zh"), money(123_456.0, "en")
    ('12.3 亿元', 'CNY 1,230m')
    >>> money(5_000.0, "en", digits=2)
    'CNY 50m'
    """
    if wan is None or wan != wan:
        return NA
    if lang == "en":
        millions = round(wan / WAN_PER_YI, digits) * 100
        return t("unit.money", lang, value=f"{millions:,.{max(0, digits - 2)}f}")
    return t("unit.money", lang, value=yi(wan, digits))


def pct(p: float | None) -> str:
    """Format a probability or a rate as a whole percent (``—`` when not defined).

    >>> pct(0.456), pct(float("nan"))
    ('46%', '—')
    """
    if p is None or p != p:
        return NA
    return f"{p:.0%}"


def count(x: float | None) -> str:
    """Format a (possibly fractional, expected) count.

    >>> count(3.0), count(2.46)
    ('3', '2.5')
    """
    if x is None or x != x:
        return NA
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:,.1f}"
