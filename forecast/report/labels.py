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
from .accuracy_labels import ACCURACY_TEXT
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
    "report.title": ("{zone} {quarter} 投资项目预测报告", "{zone} {quarter}: investment project forecast"),
    "report.subtitle": (
        "数据截至 {as_of} · 预测未来 {horizon} 个季度",
        "Data as of {as_of} · forecast for the next {horizon} quarters",
    ),
    "report.zone_id": ("园区编号", "Zone ID"),
    "headline.p_meet": ("完成目标概率", "Chance of meeting target"),
    # --- overview: are we on track? -----------------------------------------
    "overview.title": ("{year} 年能否完成计划", "Is {year} on track?"),
    "overview.intro": (
        "各项为模拟结果的中位数，括号内为 80% 区间（P10–P90）。",
        "Each figure is the median of the simulation, with its 80% interval (P10–P90).",
    ),
    "verdict.rate": (
        "{name}预计 {p50}（80% 区间 {p10}–{p90}），完成全年{basis}的概率 {p}",
        "{name}: expected {p50} (80% interval {p10}–{p90}); chance of completing the year's {basis}: {p}",
    ),
    "headline.no_projects": (
        "截至 {as_of} 末，台账中本园区没有任何项目；以下预测仅含新增项目的估计。",
        "The ledger lists no projects in this zone by the end of {as_of}; the forecast below "
        "covers only projects yet to come.",
    ),
    "verdict.metric": (
        "{name}预计 {p50}（80% 区间 {span}），达到目标 {target}的概率 {p}",
        "{name}: expected {p50} (80% interval {span}); chance of reaching the target of {target}: {p}",
    ),
    "verdict.basis.plan": ("计划", "plan"),
    "verdict.basis.target": ("目标", "target"),
    "verdict.none": (
        "台账未给出 {year} 年的年度计划或目标，下表给出各项比率的年末预测。",
        "The ledger sets no plan or targets for {year}; the table gives the rates expected at year end.",
    ),
    "verdict.short": (
        "预测期未覆盖 {year} 年末，无法判断全年完成情况。",
        "The forecast does not reach the end of {year}, so the year's outcome is not estimated.",
    ),
    "rates.title": ("主要比率", "The rates"),
    "rates.rate": ("比率", "Rate"),
    "rates.now": ("截至 {as_of}", "To {as_of}"),
    "rates.year_end": ("{year} 年末预计", "Expected at end of {year}"),
    "rates.p_full": ("达到 100% 的概率", "Chance of 100%"),
    "rates.note": (
        "比率 = 分子/分母；“—”表示名单为空，比率无定义。{basis}",
        "Rate = numerator/denominator; \"—\" means the list is empty and the rate is not defined. {basis}",
    ),
    "rates.note.plan": ("名单取自年度计划（plan.csv）。", "Lists from the year's plan (plan.csv)."),
    "rates.note.fallback": (
        "台账未给出年度计划，名单按台账推算（在建与应开工项目等）。",
        "No plan in the ledger: the lists are worked out from the ledger (projects under way, due to start…).",
    ),
    "last.title": ("{year} 年完成情况", "How {year} ended"),
    "last.line": (
        "{name}：完成 {actual}，目标 {target}，完成目标的 {share}{mark}",
        "{name}: {actual} against a target of {target}, {share} of target{mark}",
    ),
    "last.met": ("（已完成）", " (met)"),
    "last.missed": ("（未完成）", " (missed)"),
    "last.none": ("台账未给出 {year} 年目标。", "The ledger sets no targets for {year}."),
    "last.rates": ("{year} 年全年比率：{rates}", "{year} rates at year end: {rates}"),
    "batch.title": ("三个一批", "The three batches: signed, started, into production"),
    "batch.intro": (
        "{done}签约、开工、投产的项目（个数与计划总投资），以及{next}的预测（在库项目的中位数与 80% 区间）。",
        "Projects signed, started and put into production in {done} (count and planned investment), "
        "and the forecast for {next} (projects now in the ledger: median and 80% interval).",
    ),
    "batch.kind": ("类别", "Batch"),
    "batch.signed": ("签约一批", "Signed"),
    "batch.started": ("开工一批", "Started"),
    "batch.producing": ("投产一批", "Into production"),
    "batch.cell": ("{n}，{money}", "{n}, {money}"),
    "batch.done": ("{q} 实际", "{q} actual"),
    "batch.next": ("{q} 预计", "{q} expected"),
    "bulletin.title": ("通报稿", "Bulletin text"),
    "headline.figure": ("{p50}（80% 区间 {p10}–{p90}）", "{p50} (80% interval {p10}–{p90})"),
    "headline.target": ("{year}年{name}", "{year} {name}"),
    "event.signed": ("签约", "signed"),
    "event.started": ("开工", "started"),
    "event.producing": ("投产", "put into production"),
    "bulletin.batch": ("{stage}项目{n}个（计划总投资{money}）", "{n} {stage} ({money})"),
    "bulletin.batches": ("本季度{items}", "This quarter: {items}"),
    "bulletin.no_batches": ("本季度没有新签约、开工或投产的项目", "No project was signed, started or put into production this quarter"),
    "bulletin.outlook": ("展望{year}年，{verdict}", "Outlook for {year}: {verdict}"),
    "bulletin.intro": ("可直接用于简报的文字：", "A paragraph for the zone's bulletin:"),
    "quarter.name": ("{year}年第{n}季度", "{year} Q{n}"),
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
        "上图：各季度完成投资（柱为实际，阴影为预测的 80% 区间，线为中位数）。"
        "下图：{year} 年累计完成投资与全年目标。",
        "Top: investment completed each quarter (bars actual; the band is the 80% forecast "
        "interval, the line the median). Bottom: {year} investment so far against the annual "
        "target.",
    ),
    "investment.quarterly": ("季度完成投资（亿元）", "Investment per quarter (100m CNY)"),
    "investment.year": ("{year} 年累计（亿元）", "{year} cumulative (100m CNY)"),
    "investment.actual": ("实际", "Actual"),
    "investment.forecast": ("预测中位数", "Forecast median"),
    "investment.band80": ("80% 区间", "80% interval"),
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
        "前 {n} 项：计划在未来 {quarters} 个季度内开工或竣工（含已逾期）的项目，按预计推迟月数排序；"
        "其后为可能终止的项目。概率为未按计划日期开工或竣工（或终止）的概率。预计推迟月数含预测期之后的推迟；"
        "标“≥”的为下限（{share}以上的模拟中项目到模拟结束仍未开工或竣工，或已终止）；"
        "“超出预测期”指此下限不足半个月。",
        "The first {n} rows: projects due to start or complete within the next {quarters} quarters "
        "(or overdue), latest first by expected months late; then those that may be cancelled. "
        "The probability is that of missing the planned date (or of cancellation). Months late include "
        "delays past the forecast period; “≥” marks a lower bound (in {share} of draws or more the "
        "project has not started or completed when the simulation ends, or is cancelled); "
        "“past the forecast”, a bound under half a month.",
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
    "risk.months_late": ("预计推迟（月）", "Expected months late"),
    "risk.past_forecast": ("超出预测期", "past the forecast"),
    "risk.at_stake": ("未完成投资（亿元）", "Not yet spent (100m CNY)"),
    "risk.investment": ("计划总投资（亿元）", "Planned (100m CNY)"),
    "risk.kind.start": ("未按期开工", "Start delayed"),
    "risk.kind.completion": ("未按期竣工", "Completion delayed"),
    "risk.kind.cancel": ("可能终止", "May be cancelled"),
    # --- 龙虎榜: risks by responsible unit ------------------------------------
    "board.title": ("责任单位龙虎榜", "Responsible units: leaders and laggards"),
    "board.intro": (
        "按责任单位统计在推项目中风险概率不低于 {threshold} 的项目占比，占比低者居前，占比相同者名次相同。"
        "在推项目不少于 {min_projects} 个的单位中，占比最低者得红旗，最高者得黑旗；得旗单位总在榜上。",
        "Share of each responsible unit's active projects with a risk of {threshold} or more, "
        "lowest first; equal shares share a rank. Among units with at least {min_projects} active "
        "projects, the lowest share earns the red flag and the highest the black flag; a flagged "
        "unit is always shown.",
    ),
    "board.none": ("台账未给出项目的责任单位，无法排名。",
                   "The ledger names no responsible units, so there is no ranking."),
    "board.no_flag.few": (
        "本期不授旗：没有单位的在推项目达到 {min_projects} 个。",
        "No flags this quarter: no unit has {min_projects} or more active projects.",
    ),
    "board.no_flag.equal": (
        "本期不授旗：在推项目不少于 {min_projects} 个的单位风险占比相同（均为 {share}）。",
        "No flags this quarter: the units with {min_projects} or more active projects all have the "
        "same share at risk ({share}).",
    ),
    "board.more": ("另有 {n} 个单位未列出。", "{n} more units not shown."),
    "board.rank": ("名次", "Rank"),
    "board.unit": ("责任单位", "Responsible unit"),
    "board.flag.red": ("红旗", "Red flag"),
    "board.flag.black": ("黑旗", "Black flag"),
    "board.projects": ("在推项目", "Active projects"),
    "board.at_risk": ("风险项目", "At risk"),
    "board.share": ("风险占比", "Share at risk"),
    "board.investment": ("风险项目计划总投资（亿元）", "Planned at risk (100m CNY)"),
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
        "除另有注明外，数字为模拟结果的中位数及其 80% 区间（P10–P90）。金额单位：亿元（台账为万元）。",
        "The forecast uses only what was known at the end of {as_of}. Each project in the "
        "ledger is simulated {draws} times from its current stage with fitted stage-"
        "transition times (cancellation competing), a spend curve and an output ramp-up; "
        "projects registered later are added from the historical arrival rate. Numbers are "
        "medians of the simulation with their 80% interval (P10–P90) unless labelled otherwise. "
        "Money in 100 million CNY (亿元; the ledger "
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
    "unit.count": ("个", "projects"),
    "unit.count_one": ("个", "project"),
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
_TEXT.update(ACCURACY_TEXT)  # the accuracy section's, likewise
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


def quarter_text(q: object, lang: str) -> str:
    """A quarter as a reader writes it: ``2025年第三季度`` / ``2025 Q3``.

    >>> quarter_text("2025Q3", "zh"), quarter_text("2025Q3", "en")
    ('2025年第三季度', '2025 Q3')
    """
    text = str(q)
    year, n = text[:4], text[-1]
    return t("quarter.name", lang, year=year, n="一二三四"[int(n) - 1] if lang == "zh" else n)


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


def projects(x: float | None, lang: str) -> str:
    """A number of projects with its unit: ``7 个``, ``7 projects``, ``1 project``.

    >>> projects(7, "zh"), projects(1, "en"), projects(2.5, "en")
    ('7 个', '1 project', '2.5 projects')
    """
    if x is None or x != x:
        return NA
    return f"{count(x)} {t('unit.count_one' if x == 1 else 'unit.count', lang)}"


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
