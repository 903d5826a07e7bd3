"""The province report: the total of a province's zones and its zones side by side.

:class:`ProvinceData` holds what the sections show (filled by
``forecast.run.load_province_data``); each section function returns an
:class:`~forecast.report.sections.Html` block, as the zone report's do. The
total comes from the zones' joint draws (``forecast.rollup``): its interval is
not the sum of the zones' intervals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..vocab import METRICS
from . import figures, tables
from .labels import NA, pct, t, yi
from .overview import span_cell
from .sections import Html, _chart_section

#: Zones on each of the red and black lists (fewer when the province is small).
BOARD_ZONES = 3


@dataclass
class ProvinceData:
    """Everything a province report shows.

    Attributes
    ----------
    province : str
    as_of : Period
    lang : {"zh", "en"}
    horizon, draws, seed : int
    total : rollup.GroupForecast
        The province's total (table, targets, history).
    zones : DataFrame
        One row per zone: ``zone_id, zone_name, city, target, p50, p_meet,
        rate_p50`` of the investment target of :attr:`year` (NaN without one):
        medians, the figures the zones' own reports print.
    models_source : str
    """

    province: str
    as_of: pd.Period
    lang: str
    horizon: int
    draws: int
    seed: int
    total: Any
    zones: pd.DataFrame
    models_source: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def year(self) -> int:
        """The year of the first forecast quarter, unless the targets only cover ``as_of``'s."""
        nxt = (self.as_of + 1).year
        tg = self.total.targets
        years = set(int(y) for y in tg["year"]) if len(tg) else set()
        return self.as_of.year if nxt not in years and self.as_of.year in years else nxt

    def as_forecast(self, zone_id: str) -> Any:
        """The total in a zone forecast's shape (``zone_id``, ``zone_name``,
        ``as_of``, ``table``, ``targets``, ``risk``), for the batch's headline."""
        from types import SimpleNamespace

        g = self.total
        return SimpleNamespace(zone_id=zone_id, zone_name=self.province, as_of=self.as_of,
                               table=g.table, targets=g.targets, risk=None)


def _rate(value: float, target: float) -> float:
    """``value / target``; NaN without a positive target."""
    return value / target if target == target and target > 0 else np.nan


def zone_ranking(forecasts: dict[str, Any], cities: dict[str, str], year: int) -> pd.DataFrame:
    """The zones' investment targets of ``year``: ranked by the chance of
    meeting them (zones without a target last, in ledger order).

    The year's total is the median (``p50``) and the rate the median over the
    target (``rate_p50``), as each zone's own report prints them: the mean
    would put 25.0 亿元 here beside the zone page's 24.9."""
    rows = []
    for i, (z, f) in enumerate(forecasts.items()):
        tg = f.targets
        hit = tg.loc[(tg["year"] == year) & (tg["metric"] == "investment")] if len(tg) else tg
        r = hit.iloc[0] if len(hit) else {}
        row = {k: float(r[k]) if len(hit) else np.nan for k in ("target", "p50", "p_meet")}
        row["rate_p50"] = _rate(row["p50"], row["target"])
        rows.append({"zone_id": z, "zone_name": f.zone_name, "city": cities.get(z, ""), "order": i, **row})
    df = pd.DataFrame(rows, columns=["zone_id", "zone_name", "city", "order", "target", "p50",
                                     "p_meet", "rate_p50"])
    df = df.sort_values(["p_meet", "rate_p50", "order"], ascending=[False, False, True],
                        na_position="last", kind="stable")
    return df.drop(columns="order").reset_index(drop=True)


def header(pd_: ProvinceData) -> Html:
    """Province, quarter, horizon and number of zones; names the page."""
    title = t("province.title", pd_.lang, province=pd_.province)
    sub = t("province.subtitle", pd_.lang, as_of=pd_.as_of, horizon=pd_.horizon, n=len(pd_.zones))
    html = tables.section(title, [sub], [])
    return Html(html, meta={"title": title, "lang": pd_.lang})


def headline(pd_: ProvinceData) -> Html:
    """The total's verdict per target of the year, as a zone report's first
    screen words it: median, 80% interval, chance of meeting the target."""
    from .overview import verdict_items

    lines = [line for *_, line in verdict_items(pd_.total, pd_.lang, pd_.year)]
    return Html(tables.section(t("overview.title", pd_.lang, year=pd_.year),
                               [t("province.headline.intro", pd_.lang, year=pd_.year)],
                               [tables.verdict_list(lines)] if lines else []))


def rates(pd_: ProvinceData) -> Html:
    """The total's completion rates against the summed targets (median, 80% range)."""
    lang, tg = pd_.lang, pd_.total.targets
    rows = tg.loc[tg["year"] == pd_.year] if len(tg) else tg
    if not len(rows):
        return Html(tables.section(t("province.rates.title", lang),
                                   [t("province.rates.none", lang, year=pd_.year)]))
    order = {m: i for i, m in enumerate(METRICS)}
    rows = rows.assign(o=rows["metric"].map(order)).sort_values("o")
    data = pd.DataFrame({
        "metric": [t(f"metric.{m}", lang) for m in rows["metric"]],
        "rate": [span_cell(pct(_rate(m, tg_)), pct(lo), pct(hi), lang) for m, tg_, lo, hi in
                 zip(rows["p50"], rows["target"], rows["rate_p10"], rows["rate_p90"])],
        "p_meet": [pct(p) for p in rows["p_meet"]],
    })
    cols = [tables.Column("metric", t("province.rates.metric", lang)),
            tables.Column("rate", t("province.rates.rate", lang), tables.trusted, "fc-num fc-free"),
            tables.Column("p_meet", t("headline.p_meet", lang), str, "fc-num")]
    return Html(tables.section(t("province.rates.title", lang), [], [tables.html_table(data, cols)]))


def investment(pd_: ProvinceData) -> Html:
    """The total's quarterly investment with its forecast fan, and the year against its target."""
    g = pd_.total
    fig = figures.investment_figure(g.history, g.table, g.targets, pd_.year, pd_.lang)
    return _chart_section(pd_, "investment", t("province.investment.intro", pd_.lang), fig)


def _yi(v: Any) -> str:
    return NA if v is None or pd.isna(v) else yi(float(v))


def _pct(v: Any) -> str:
    return NA if v is None or pd.isna(v) else pct(float(v))


def _with_place(zones: pd.DataFrame) -> pd.DataFrame:
    """``_zone``: the zone's name with its city on a second line (escaped): one
    column, not two, so that the ranking fits a phone."""
    cells = [Markup('{}<br><span class="fc-muted">{}</span>').format(n, c) if c else Markup("{}").format(n)
             for n, c in zip(zones["zone_name"].astype(str), zones["city"].fillna("").astype(str))]
    return zones.assign(_zone=cells)


def zones(pd_: ProvinceData) -> Html:
    """The province's zones ranked by their chance of meeting the investment target."""
    lang = pd_.lang
    z = _with_place(pd_.zones).assign(rank=np.arange(1, len(pd_.zones) + 1))
    cols = [tables.Column("rank", t("province.zones.rank", lang)),
            tables.Column("_zone", t("province.zones.zone", lang), tables.trusted, "fc-wrap-short"),
            tables.Column("p50", t("province.zones.expected", lang), _yi, "fc-num"),
            tables.Column("target", t("province.zones.target", lang), _yi, "fc-num"),
            tables.Column("rate_p50", t("province.zones.rate", lang), _pct, "fc-num"),
            tables.Column("p_meet", t("province.zones.p_meet", lang), _pct, "fc-num")]
    return Html(tables.section(t("province.zones.title", lang),
                               [t("province.zones.intro", lang, year=pd_.year)],
                               [tables.html_table(z, cols)]))


def board(pd_: ProvinceData) -> Html:
    """The province's 龙虎榜 of zones: red list (highest expected investment
    rate) and black list (lowest)."""
    lang = pd_.lang
    ranked = _with_place(pd_.zones).dropna(subset=["rate_p50"]).sort_values(
        "rate_p50", ascending=False, kind="stable").reset_index(drop=True)
    if len(ranked) < 2:
        return Html(tables.section(t("province.board.title", lang), [t("province.board.none", lang)]))
    n = min(BOARD_ZONES, len(ranked) // 2)
    cols = [tables.Column("_zone", t("province.zones.zone", lang), tables.trusted, "fc-wrap-short"),
            tables.Column("rate_p50", t("province.zones.rate", lang), _pct, "fc-num")]
    parts = [Markup(f"<h3>{Markup.escape(t('province.board.red', lang))}</h3>"),
             tables.html_table(ranked.head(n), cols),
             Markup(f"<h3>{Markup.escape(t('province.board.black', lang))}</h3>"),
             tables.html_table(ranked.tail(n).iloc[::-1], cols)]
    return Html(tables.section(t("province.board.title", lang),
                               [t("province.board.intro", lang, n=n)], parts))


def method(pd_: ProvinceData) -> Html:
    """How the total was made."""
    lang = pd_.lang
    models = (t("method.models_loaded", lang, name=pd_.models_source) if pd_.models_source
              else t("method.models_fitted", lang))
    return Html(tables.section(t("method.title", lang), [t("province.method", lang, draws=pd_.draws)],
                               notes=[f"{models} {t('method.seed', lang, seed=pd_.seed)}"]))


#: The sections of the province notebook, in page order.
ALL = (header, headline, rates, investment, zones, board, method)


def page(pd_: ProvinceData) -> str:
    """All sections as one HTML fragment (tests and previews without Jupyter)."""
    return "\n".join(s(pd_).html for s in ALL)

