"""The sections of a zone report, each one call from the notebook.

Each function takes a :class:`~forecast.report.data.ReportData` and returns an
:class:`Html` block (heading, text in the report language, chart and/or
table). A notebook cell that ends with one shows it; the exporter turns the
executed notebook into the page. Keeping the sections here, not in the
notebook, is what lets the tests check them without a kernel.
"""

from __future__ import annotations

import base64

from typing import Any

from markupsafe import Markup

from . import accuracy, figures, tables
from . import overview as overview_
from .data import ReportData
from .export import META_KEY
from .labels import pct, quarter_text, t

#: Rows of the risk list shown in a report.
RISK_ROWS = 10
#: Data problems listed in a report; the rest are counted.
PROBLEM_ROWS = 30
#: Units listed on the 龙虎榜; the rest are counted.
BOARD_ROWS = 15


class Html:
    """A block of trusted HTML that Jupyter displays as HTML.

    ``meta`` travels with the output as display metadata (the exporter reads
    the page title and language from it).
    """

    def __init__(self, html: str, meta: dict[str, Any] | None = None,
                 png: bytes | None = None) -> None:
        self.html = str(html)
        self.meta = meta or {}
        self.png = png

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict, dict]:
        data: dict[str, Any] = {"text/html": self.html,
                                "text/plain": f"<{len(self.html)} characters of HTML>"}
        if self.png is not None:
            # The chart once more as a plain image: the HTML page shows the
            # text/html form (nbconvert prefers it), the batch's e-mail takes
            # image/png from cells tagged key-chart.
            data["image/png"] = base64.b64encode(self.png).decode("ascii")
        return data, ({META_KEY: self.meta} if self.meta else {})

    def __str__(self) -> str:
        return self.html


def header(rd: ReportData) -> Html:
    """Zone name, quarter and horizon; also names the page and its language."""
    title = t("report.title", rd.lang, zone=rd.zone_name, quarter=rd.as_of)
    return Html(
        tables.header(rd.zone_name, rd.zone_id, str(rd.as_of), rd.horizon, rd.lang),
        meta={"title": title, "lang": rd.lang},
    )


def overview(rd: ReportData) -> Html:
    """The first screen: one verdict per target of the year, the rates now and
    at year end, and how the year just ended (at a Q4 or the next Q1)."""
    lang, year = rd.lang, rd.year
    lines = overview_.verdicts(rd)
    if getattr(rd.forecast, "year_end", None) is None:
        lines = lines or [t("verdict.short", lang, year=year)]
    elif not lines:
        lines = [t("verdict.none", lang, year=year)]
    parts = [tables.verdict_list(lines), overview_.rates_table(rd)]
    notes = [t("overview.intro", lang), overview_.rates_note(rd)]
    # an empty zone says so, first
    paras = [] if rd.pipeline["projects"].sum() else [t("headline.no_projects", lang, as_of=rd.as_of)]
    html = tables.section(t("overview.title", lang, year=year), paras, parts, notes)
    heading, last = overview_.last_year_lines(rd)
    if last:
        html += tables.section(heading, [], [tables.verdict_list(last, css="fc-last")])
    return Html(html)


def batches(rd: ReportData) -> Html:
    """三个一批 of the quarter and the next, then the 通报 paragraph."""
    lang = rd.lang
    table = overview_.batches_table(rd)
    html = ""
    if table is not None:
        intro = t("batch.intro", lang, done=quarter_text(rd.as_of, lang), next=quarter_text(rd.as_of + 1, lang))
        html = tables.section(t("batch.title", lang), [intro], [table])
    text = overview_.bulletin(rd)
    if text:
        html += tables.section(t("bulletin.title", lang), [t("bulletin.intro", lang)],
                               [tables.bulletin_block(text)])
    return Html(html)


def pipeline(rd: ReportData) -> Html:
    """Projects and planned investment per stage at the end of ``as_of``."""
    # The bars carry their numbers: a table of the same ten numbers would only
    # make the page longer on a phone.
    fig = figures.pipeline_figure(rd.pipeline, rd.lang)
    return _chart_section(rd, "pipeline", t("pipeline.intro", rd.lang, as_of=rd.as_of), fig)


def _chart_section(rd: ReportData, key: str, intro: str, fig: Any) -> Html:
    """Heading ``<key>.title``, one paragraph, one chart (its alt text the heading)."""
    title = t(f"{key}.title", rd.lang)
    png = figures.to_png(fig)
    chart = Markup(figures.png_html(png, figures.size_px(fig), title))
    return Html(tables.section(title, [intro], [chart]), png=png)


def investment(rd: ReportData) -> Html:
    """Quarterly investment with the forecast fan; the year against its target."""
    zf = rd.forecast
    fig = figures.investment_figure(zf.history, zf.table, zf.targets, rd.year, rd.lang)
    return _chart_section(rd, "investment", t("investment.intro", rd.lang, year=rd.year), fig)


def events(rd: ReportData) -> Html:
    """Starts, completions and production starts per quarter."""
    fig = figures.events_figure(rd.forecast.history, rd.forecast.table, rd.lang)
    return _chart_section(rd, "events", t("events.intro", rd.lang), fig)


def output(rd: ReportData) -> Html:
    """Quarterly output value: history and forecast."""
    fig = figures.output_figure(rd.forecast.history, rd.forecast.table, rd.lang)
    return _chart_section(rd, "output", t("output.intro", rd.lang), fig)


def risks(rd: ReportData) -> Html:
    """The projects most likely to slip or be cancelled."""
    from ..risk import BOUND_SHARE

    risk, lang = rd.forecast.risk, rd.lang
    if risk is None or len(risk) == 0:
        return Html(tables.section(t("risk.title", lang), [t("risk.none", lang)]))
    n = min(RISK_ROWS, len(risk))
    quarters = min(getattr(rd.forecast, "risk_quarters", 4), rd.horizon)
    return Html(tables.section(
        t("risk.title", lang), [t("risk.intro", lang, n=n, quarters=quarters, share=pct(BOUND_SHARE))],
        [tables.risk_table(risk, lang, top=RISK_ROWS)],
    ))


def board(rd: ReportData) -> Html:
    """The 龙虎榜: the risk list grouped by responsible unit (责任单位), with
    the red flag for the unit with the lowest share of projects at risk and
    the black flag for the highest."""
    import inspect

    from ..risk import AT_RISK, unit_board

    lang = rd.lang
    # The board's own default, so the sentence cannot drift from the ranking.
    min_projects = inspect.signature(unit_board).parameters["min_projects"].default
    b = getattr(rd.forecast, "board", None)
    if b is None or len(b) == 0:
        return Html(tables.section(t("board.title", lang), [t("board.none", lang)]))
    b = b.sort_values("rank", kind="stable").reset_index(drop=True)
    flagged = b["flag"].isin(["red", "black"])
    # a flagged unit is always on the board, however long the board is
    shown = b.loc[(b.index < BOARD_ROWS) | flagged]
    notes = [t("board.more", lang, n=len(b) - len(shown))] if len(shown) < len(b) else []
    paragraphs = [t("board.intro", lang, threshold=pct(AT_RISK), min_projects=min_projects)]
    if not flagged.any():
        eligible = b.loc[b["projects"] >= min_projects]
        reason = ("board.no_flag.few" if eligible.empty else "board.no_flag.equal")
        paragraphs.append(t(reason, lang, min_projects=min_projects, share=pct(
            eligible["share_at_risk"].iloc[0]) if len(eligible) else ""))
    return Html(tables.section(t("board.title", lang), paragraphs,
                               [tables.board_table(shown, lang, top=len(shown))], notes))


def track_record(rd: ReportData) -> Html:
    """Were past forecasts right? The annual target chances against the
    outcomes (all zones pooled), then this zone's quarterly backtest over
    several origins, with a plain sentence where a simple method did better
    (:mod:`forecast.report.accuracy`)."""
    lang = rd.lang
    return Html(tables.section(t("backtest.title", lang), parts=[
        Markup(accuracy.target_chances(rd.track_probabilities, rd.zone_id, lang)),
        Markup(accuracy.quarterly(rd.backtest_forecasts, rd.backtest_scores, rd.calibration, lang)),
    ]))


def quality(rd: ReportData) -> Html:
    """Data-quality warnings about this zone's rows."""
    lang, problems = rd.lang, list(rd.problems)
    if not problems:
        return Html(tables.section(t("quality.title", lang), [t("quality.none", lang)]))
    notes = [t("quality.more", lang, n=len(problems) - PROBLEM_ROWS)] if len(problems) > PROBLEM_ROWS else []
    return Html(tables.section(
        t("quality.title", lang), [t("quality.intro", lang)],
        [tables.quality_table(problems[:PROBLEM_ROWS], lang)], notes,
    ))


def method(rd: ReportData) -> Html:
    """A short note on how the numbers were made."""
    lang = rd.lang
    models = (t("method.models_loaded", lang, name=rd.models_source) if rd.models_source
              else t("method.models_fitted", lang))
    return Html(tables.section(
        t("method.title", lang),
        [t("method.body", lang, as_of=rd.as_of, draws=rd.draws)],
        notes=[f"{models} {t('method.seed', lang, seed=rd.seed)}"],
    ))


#: The sections of the report notebook, in page order.
ALL = (header, overview, batches, pipeline, investment, events, output, risks, board, track_record,
       quality, method)


def page(rd: ReportData) -> str:
    """All sections as one HTML fragment (for tests and previews without Jupyter)."""
    return "\n".join(s(rd).html for s in ALL)
