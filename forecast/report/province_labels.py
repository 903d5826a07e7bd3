"""The words of the province report (merged into :mod:`forecast.report.labels`)."""

from __future__ import annotations

# key -> (zh, en)
PROVINCE_TEXT: dict[str, tuple[str, str]] = {
    "province.title": ("{province} 经开区投资预测汇总", "{province}: development zones' forecast"),
    "province.subtitle": (
        "数据截至 {as_of} · 预测未来 {horizon} 个季度 · {n} 个经开区",
        "Data as of {as_of} · forecast for the next {horizon} quarters · {n} zones",
    ),
    "province.id": ("省份", "Province"),
    "province.rates.title": ("全省目标完成率预测", "The province's expected completion rates"),
    "province.rates.metric": ("指标", "Measure"),
    "province.rates.rate": ("预计完成率", "Expected completion rate"),
    "province.rates.none": ("{year} 年各园区目标不全，无法汇总全省目标。",
                            "Not every zone has {year} targets: no province target to measure against."),
    "province.headline.intro": (
        "全省合计：各园区每次模拟的数值先相加，再取中位数与 80% 区间（区间不是各园区区间之和）。目标为各园区 {year} 年目标之和。",
        "Province total: the zones' values are added within each simulation, then the median and "
        "80% interval are taken (the range is not the sum of the zones' ranges). Targets are the sum of the "
        "zones' {year} targets.",
    ),
    "province.investment.intro": (
        "全省季度固定资产投资：历史与预测（中线为中位数，色带为 80% 区间）。",
        "Quarterly investment of the province: history and forecast (line: median; band: 80% interval).",
    ),
    "province.zones.title": ("各园区完成目标的可能性", "Zones by their chance of meeting targets"),
    "province.zones.intro": (
        "按 {year} 年投资目标的完成概率排序；无投资目标的园区排在最后。",
        "Ranked by the chance of meeting the {year} investment target; zones without one come last.",
    ),
    "province.zones.rank": ("名次", "Rank"),
    "province.zones.zone": ("经开区（城市）", "Zone (city)"),
    "province.zones.expected": ("预计全年投资（亿元）", "Expected (100m CNY)"),
    "province.zones.target": ("投资目标（亿元）", "Target (100m CNY)"),
    "province.zones.rate": ("预计投资完成率", "Expected rate"),
    "province.zones.p_meet": ("完成目标概率", "Chance"),
    "province.board.title": ("园区龙虎榜", "Zones: leaders and laggards"),
    "province.board.intro": (
        "按预计投资完成率排名：前 {n} 名上红榜，后 {n} 名上黑榜。",
        "Ranked by expected investment rate: the top {n} on the red list, the bottom {n} on the black list.",
    ),
    "province.board.red": ("红榜", "Red list (leaders)"),
    "province.board.black": ("黑榜", "Black list (laggards)"),
    "province.board.none": ("各园区未设投资目标，无法排名。", "No zone has an investment target to rank by."),
    "province.method": (
        "全省合计由各园区的联合模拟相加得到（每个园区有自己的随机数流，与同时计算哪些园区无关），共 {draws} 次模拟。",
        "The province total is summed from the zones' joint simulations (each zone has its own random "
        "stream, whatever other zones run), {draws} simulations.",
    ),
}
