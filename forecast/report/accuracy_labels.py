"""The words of the report's accuracy section (merged into :mod:`forecast.report.labels`).

The simple methods are named as leaders would say them ('去年同季', 'same
quarter last year'), here once for the section, the tables and the sentences.
"""

from __future__ import annotations

# key -> (zh, en)
ACCURACY_TEXT: dict[str, tuple[str, str]] = {
    "backtest.title": ("以往预测的准确度", "How past forecasts did"),
    # --- the annual target chances ------------------------------------------------
    "track.heading": ("年度目标完成概率准不准", "Were the chances of meeting annual targets right?"),
    "track.intro": (
        "对 {years} 年，在每年的上年末和年内每个季度末，只用当时已知的数据重新估计各园区完成全年目标的概率，"
        "再与年底实际结果对照（{zones} 个园区，共 {n} 次估计）。概率准确时，给出 70%–80% 的目标中约有四分之三完成。",
        "For {years}, at the end of the year before and of each quarter within the year, each zone's "
        "chance of meeting its annual targets was estimated again from the data known then and set "
        "against how the year ended ({zones} zones, {n} estimates). When the chances are right, about "
        "three in four targets given 70–80% are met.",
    ),
    "track.high": (
        "模型给出 70% 及以上把握的 {n} 次中，目标实际完成 {k} 次（{share}）。",
        "Of the {n} times the model gave a target a chance of 70% or more, it was met {k} times ({share}).",
    ),
    "track.low": (
        "给出 30% 以下把握的 {n} 次中，目标实际完成 {k} 次（{share}）。",
        "Of the {n} times it gave less than 30%, the target was met {k} times ({share}).",
    ),
    "track.zone": (
        "本园区在其中 {n} 次，目标完成 {k} 次；单个园区次数太少，上表按全部园区合计。",
        "This zone accounts for {n} of them, {k} met; one zone has too few, so the table pools every zone.",
    ),
    "track.none": (
        "台账的历史年份不足，尚不能检验年度目标完成概率。",
        "The ledger has too few past years to check the chances of meeting annual targets.",
    ),
    # short: five columns on a phone
    "track.band": ("给出的概率", "Chance given"),
    "track.n": ("次数", "Cases"),
    "track.met": ("完成", "Met"),
    "track.share": ("完成比例", "Share met"),
    "track.mine": ("本园区 完成/次数", "This zone met/cases"),
    "track.axis.x": ("模型给出的完成概率", "Chance of meeting the target, as given"),
    "track.axis.y": ("实际完成比例", "Share of targets met"),
    "track.chart": ("给出的概率与实际完成比例", "Chance given against share met"),
    "track.ideal": ("完全准确", "Exactly right"),
    "track.points": ("各概率段（点越大次数越多）", "Bands (bigger: more estimates)"),
    # --- the quarterly backtest ---------------------------------------------------
    "backtest.heading": ("季度预测准不准", "Were the quarterly forecasts right?"),
    "backtest.intro": (
        "从 {origins}（{n} 个季度）每个季度末出发，只用当时已知的数据重做预测，再与实际对比。"
        "覆盖率应接近区间名义水平；MASE 越小越准，小于 1 表示优于“去年同季”简单法。",
        "Forecasts re-made at the end of each quarter {origins} ({n} quarters) from the data known "
        "then, set against what happened. Coverage should be near the interval's nominal level; a "
        "smaller MASE is better, and below 1 beats the simple 'same quarter last year' method.",
    ),
    "backtest.worse": (
        "在{metric}上，本模型过去 {n} 个季度的下季度预测不如“{baseline}”简单法（MASE {m} 对 {b}）。",
        "On {metric}, the model's next-quarter forecasts over the last {n} quarters did worse than "
        "the simple '{baseline}' method (MASE {m} against {b}).",
    ),
    "backtest.blend": (
        "产品已据此调整：本期{metric}的下季度预测按全部园区的回测结果，与简单方法加权融合（{weights}）。",
        "What the product did: this quarter's next-quarter forecast of {metric} blends the model "
        "with the simple methods, by weights learnt from every zone's backtest ({weights}).",
    ),
    "backtest.kept": (
        "全部园区合计，与简单方法融合并不能让本模型的{metric}预测明显更准（相差不到2%），本期未与之融合（本园区的差距可能是偶然）。",
        "Over every zone, blending the model's {metric} forecasts with the simple methods would not "
        "make them clearly more accurate (by 2% or more), so this quarter's forecast is not blended "
        "with them (this zone's gap may be chance).",
    ),
    "backtest.uncalibrated": (
        "历史数据尚不足以校准，本期{metric}预测未与简单方法融合。",
        "Too little history to calibrate: this quarter's forecast of {metric} is not blended with "
        "the simple methods.",
    ),
    "backtest.all_beat": (
        "各项指标上，本模型的下季度预测都不差于两种简单方法。",
        "On every metric, the model's next-quarter forecasts did at least as well as both simple methods.",
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
    "backtest.model.structural": ("本模型", "This model"),
    "backtest.model.seasonal_naive": ("去年同季", "Same quarter last year"),
    "backtest.model.ets": ("指数平滑", "Exponential smoothing"),
    "backtest.model.recent_mean": ("近四季平均", "Average of the last four quarters"),
    "backtest.interval": ("80% 区间", "80% interval"),
    "backtest.weight": ("{model} {share}", "{model} {share}"),
}
