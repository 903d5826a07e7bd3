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
        One row per zone: ``zone_id, zone_name, city, target, expected, p_meet,
        rate_expected`` of the investment target of :attr:`year` (NaN without one).
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


def zone_ranking(forecasts: dict[str, Any], cities: dict[str, str], year: int) -> pd.DataFrame:
    """The zones' investment targets of ``year``: ranked by the chance of
    meeting them (zones without a target last, in ledger order)."""
    rows = []
    for i, (z, f) in enumerate(forecasts.items()):
        tg = f.targets
        hit = tg.loc[(tg["year"] == year) & (tg["metric"] == "investment")] if len(tg) else tg
        r = hit.iloc[0] if len(hit) else {}
        rows.append({"zone_id": z, "zone_name": f.zone_name, "city": cities.get(z, ""), "order": i,
                     **{k: float(r[k]) if len(hit) else np.nan
                        for k in ("target", "expected", "p_meet", "rate_expected")}})
    df = pd.DataFrame(rows, columns=["zone_id", "zone_name", "city", "order", "target", "expected",
                                     "p_meet", "rate_expected"])
    df = df.sort_values(["p_meet", "rate_expected", "order"], ascending=[False, False, True],
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
    """The total's completion rates against the summed targets (expected, 80% range)."""
    lang, tg = pd_.lang, pd_.total.targets
    rows = tg.loc[tg["year"] == pd_.year] if len(tg) else tg
    if not len(rows):
        return Html(tables.section(t("province.rates.title", lang),
                                   [t("province.rates.none", lang, year=pd_.year)]))
    order = {m: i for i, m in enumerate(METRICS)}
    rows = rows.assign(o=rows["metric"].map(order)).sort_values("o")
    data = pd.DataFrame({
        "metric": [t(f"metric.{m}", lang) for m in rows["metric"]],
        "rate": [f"{pct(e)} ({pct(lo)}–{pct(hi)})" for e, lo, hi in
                 zip(rows["rate_expected"], rows["rate_p10"], rows["rate_p90"])],
        "p_meet": [pct(p) for p in rows["p_meet"]],
    })
    cols = [tables.Column("metric", t("province.rates.metric", lang)),
            tables.Column("rate", t("province.zones.rate", lang)),
            tables.Column("p_meet", t("headline.p_meet", lang))]
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


def zones(pd_: ProvinceData) -> Html:
    """The province's zones ranked by their chance of meeting the investment target."""
    lang = pd_.lang
    z = pd_.zones.assign(rank=np.arange(1, len(pd_.zones) + 1))
    cols = [tables.Column("rank", t("province.zones.rank", lang)),
            tables.Column("zone_name", t("province.zones.zone", lang)),
            tables.Column("city", t("province.zones.city", lang)),
            tables.Column("expected", t("province.zones.expected", lang), _yi),
            tables.Column("target", t("province.zones.target", lang), _yi),
            tables.Column("rate_expected", t("province.zones.rate", lang), _pct),
            tables.Column("p_meet", t("province.zones.p_meet", lang), _pct)]
    return Html(tables.section(t("province.zones.title", lang),
                               [t("province.zones.intro", lang, year=pd_.year)],
                               [tables.html_table(z, cols)]))


def board(pd_: ProvinceData) -> Html:
    """The province's 龙虎榜 of zones: red list (highest expected investment
    rate) and black list (lowest)."""
    lang = pd_.lang
    ranked = pd_.zones.dropna(subset=["rate_expected"]).sort_values(
        "rate_expected", ascending=False, kind="stable").reset_index(drop=True)
    if len(ranked) < 2:
        return Html(tables.section(t("province.board.title", lang), [t("province.board.none", lang)]))
    n = min(BOARD_ZONES, len(ranked) // 2)
    cols = [tables.Column("zone_name", t("province.zones.zone", lang)),
            tables.Column("city", t("province.zones.city", lang)),
            tables.Column("rate_expected", t("province.zones.rate", lang), _pct)]
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

