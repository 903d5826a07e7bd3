"""Report tables and cards: pure functions from forecast objects to HTML.

Every value that can come from a ledger (zone and project names, units,
officers, reasons, problem values) is text to be escaped, never markup: all
HTML here comes from jinja2 templates with autoescape on, and only the
``Markup`` this module builds itself (or a figure from
:func:`forecast.report.figures.figure_html`) is passed through unescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Sequence

import pandas as pd
from jinja2 import Environment
from markupsafe import Markup

from ..exceptions import Problem
from ..vocab import METRICS
from .labels import count, pct, t, yi

_ENV = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)

_TABLE = _ENV.from_string(
    """<div class="fc-table-wrap"><table class="fc-table{% if cards %} fc-cards{% endif %}">
<thead><tr>{% for c in columns %}<th class="{{ c.css }}">{{ c.label }}</th>{% endfor %}</tr></thead>
<tbody>
{% for head, row in rows %}{% if head is not none %}<tr class="fc-group"><th colspan="{{ columns|length }}">{{ head }}</th></tr>
{% endif %}<tr>{% for c, v in row %}<td class="{{ c.css }}"{% if cards %} data-label="{{ c.label }}"{% endif %}>{{ v }}</td>{% endfor %}</tr>
{% endfor %}
</tbody></table></div>"""
)

_HEADER = _ENV.from_string(
    """<header class="fc-header"><h1>{{ title }}</h1><p>{{ subtitle }}</p>
<p>{{ id_label }}: {{ zone_id }}</p></header>"""
)

# A section (<section>, h2) or a part of one under a smaller heading (<div>, h3).
_SECTION = _ENV.from_string(
    """<{{ tag }} class="{{ css }}">
<{{ h }}>{{ title }}</{{ h }}>
{% for p in paragraphs %}<p>{{ p }}</p>
{% endfor %}
{% for part in parts %}{{ part }}
{% endfor %}
{% for n in notes %}<p class="fc-note">{{ n }}</p>
{% endfor %}
</{{ tag }}>"""
)


@dataclass(frozen=True)
class Column:
    """One column of an HTML table: source column, header label, formatter."""

    key: str
    label: str
    fmt: Callable[[Any], str] = str
    css: str = ""


def trusted(v: Any) -> Any:
    """A cell formatter that keeps a value as it is: a cell built as ``Markup``
    by the report (escaped pieces and its own tags) stays markup, where
    ``str`` would turn it into text to escape."""
    return v


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and v != v) or v is pd.NaT else str(v)


def _date(v: Any) -> str:
    if v is None or pd.isna(v):
        return ""
    return pd.Timestamp(v).strftime("%Y-%m-%d")


def html_table(rows: pd.DataFrame, columns: Sequence[Column], group: Column | None = None,
               cards: bool = False) -> Markup:
    """An escaped HTML table of ``rows`` that scrolls sideways on a phone.

    With ``group``, rows come under a full-width heading row each time that
    column's value changes (instead of a column repeating it: narrower on a phone).
    With ``cards``, a phone shows each row as a card instead (its first cell as
    the title, then one "label: value" line per non-empty cell): for tables
    too wide to read by scrolling, such as the risk list's reasons.

    >>> str(html_table(pd.DataFrame({"a": ["<b>&"]}), [Column("a", "A")]))  # doctest: +ELLIPSIS
    '...<td class="">&lt;b&gt;&amp;</td>...'
    """
    body, last = [], object()
    for rec in rows.to_dict("records"):
        head = None
        if group is not None and rec.get(group.key) != last:
            last = rec.get(group.key)
            head = group.fmt(last)
        body.append((head, [(c, c.fmt(rec.get(c.key))) for c in columns]))
    return Markup(_TABLE.render(columns=columns, rows=body, cards=cards))


def section(title: str, paragraphs: Iterable[str] = (), parts: Iterable[Markup] = (),
            notes: Iterable[str] = ()) -> Markup:
    """A report section: heading, escaped paragraphs, trusted parts, notes."""
    return Markup(_SECTION.render(tag="section", css="fc-section", h="h2", title=title,
                                  paragraphs=list(paragraphs), parts=[Markup(p) for p in parts],
                                  notes=list(notes)))


def subsection(title: str, paragraphs: Iterable[str] = (), parts: Iterable[Markup] = (),
               notes: Iterable[str] = ()) -> Markup:
    """A part of a section under its own smaller heading; as :func:`section`."""
    return Markup(_SECTION.render(tag="div", css="fc-subsection", h="h3", title=title,
                                  paragraphs=list(paragraphs), parts=[Markup(p) for p in parts],
                                  notes=list(notes)))


def header(zone_name: str, zone_id: str, as_of: str, horizon: int, lang: str) -> Markup:
    """The page header: zone name, quarter, horizon (all escaped)."""
    return Markup(_HEADER.render(
        title=t("report.title", lang, zone=zone_name, quarter=as_of),
        subtitle=t("report.subtitle", lang, as_of=as_of, horizon=horizon),
        id_label=t("report.zone_id", lang),
        zone_id=zone_id,
    ))


_LIST = _ENV.from_string(
    """<ul class="fc-verdicts {{ css }}">{% for line in lines %}<li>{{ line }}</li>{% endfor %}</ul>"""
)


def verdict_list(lines: Sequence[str], css: str = "") -> Markup:
    """Lines of plain text as a list (escaped)."""
    return Markup(_LIST.render(lines=list(lines), css=css))


def bulletin_block(text: str) -> Markup:
    """The 通报 paragraph in a box a reader can select and copy (escaped)."""
    return Markup('<blockquote class="fc-bulletin">{}</blockquote>').format(text)


def risk_table(risk: pd.DataFrame, lang: str, top: int = 10) -> Markup:
    """The first ``top`` rows of the risk list in its own order (most expected
    months late first; ``risk.risk_table``), names escaped."""
    r = risk.head(top)
    r = r.assign(_months=months_late_column(r, lang))
    reason = "reason_zh" if lang == "zh" else "reason_en"
    return html_table(r, [
        Column("name", t("risk.project", lang), _text, "fc-wrap"),
        Column("risk", t("risk.kind", lang), lambda k: t(f"risk.kind.{k}", lang)),
        Column("_months", t("risk.months_late", lang), str, "fc-num"),
        Column("probability", t("risk.probability", lang), pct, "fc-num"),
        Column("investment_at_stake", t("risk.at_stake", lang), yi, "fc-num"),
        Column(reason, t("risk.reason", lang), _text, "fc-wrap"),
        Column("planned_date", t("risk.planned_date", lang), _date),
        Column("responsible_unit", t("risk.unit", lang), _text),
        Column("officer", t("risk.officer", lang), _text),
    ], cards=True)


def months_late_column(risk: pd.DataFrame, lang: str) -> list[str]:
    """Each row's expected months late as printed (:func:`months_late`); a
    list saved before the bound flag (or without months) prints plain
    figures (or nothing)."""
    n = len(risk)
    return [months_late(v, b, lang) for v, b in zip(risk.get("months_late", [None] * n),
                                                     risk.get("months_late_bound", [False] * n))]


def months_late(v: Any, bound: Any, lang: str) -> str:
    """Expected months late as the risk list prints it: ``"3.4"``; ``"≥ 3.4"``
    where the figure is a lower bound (``risk.risk_table``'s
    ``months_late_bound``); the words for "past the forecast" where that bound
    is under half a month (most of the delay falls after the simulated
    quarters: a bare 0.0 beside a high chance of lateness would read as a
    contradiction); nothing without a figure.

    >>> months_late(3.44, False, "en"), months_late(3.44, True, "zh"), months_late(0.01, True, "en")
    ('3.4', '≥ 3.4', 'past the forecast')
    """
    if v is None or pd.isna(v):
        return ""
    if not bound:
        return f"{float(v):.1f}"
    return f"≥ {float(v):.1f}" if v >= 0.5 else t("risk.past_forecast", lang)


def board_table(board: pd.DataFrame, lang: str, top: int = 15) -> Markup:
    """The 龙虎榜: responsible units by share of projects at risk, best first,
    with the red and black flags (unit names escaped).

    >>> b = pd.DataFrame({"rank": [1], "responsible_unit": ["<b>局</b>"], "flag": ["red"],
    ...     "projects": [4], "at_risk": [0], "share_at_risk": [0.0],
    ...     "planned_investment_at_risk": [0.0]})
    >>> "&lt;b&gt;局&lt;/b&gt;" in board_table(b, "zh"), "红旗" in board_table(b, "zh")
    (True, True)
    """
    b = board.sort_values("rank", kind="stable").head(top)
    # the flag under the unit's name, not in a column of its own: one column
    # fewer is what lets the board fit a phone
    b = b.assign(_unit=[_unit_flag(u, f, lang) for u, f in zip(b["responsible_unit"], b["flag"])])
    return html_table(b, [
        Column("rank", t("board.rank", lang), lambda v: f"{int(v)}", "fc-num"),
        Column("_unit", t("board.unit", lang), trusted, "fc-wrap-short"),
        Column("projects", t("board.projects", lang), count, "fc-num"),
        Column("at_risk", t("board.at_risk", lang), count, "fc-num"),
        Column("share_at_risk", t("board.share", lang), pct, "fc-num"),
        Column("planned_investment_at_risk", t("board.investment", lang), yi, "fc-num"),
    ])


def _unit_flag(unit: Any, flag: Any, lang: str) -> Markup:
    """A unit's name (escaped), with its flag on the next line when it has one."""
    mark = _flag(flag, lang)
    return Markup("{}<br>{}").format(_text(unit), mark) if mark else Markup("{}").format(_text(unit))


def _flag(flag: Any, lang: str) -> Markup:
    """A flag cell: a coloured mark and the flag's name (nothing without a flag)."""
    if flag not in ("red", "black"):
        return Markup("")
    # A box drawn by CSS, not a flag character: a reader's font may lack one.
    return Markup('<span class="fc-flag fc-flag-{}"></span>{}').format(
        flag, t(f"board.flag.{flag}", lang))


def backtest_table(scores: pd.DataFrame, lang: str, horizon: int = 1) -> Markup:
    """MASE and interval coverage per metric and method at one horizon."""
    s = scores.loc[scores["horizon"] == horizon] if "horizon" in scores else scores
    order = {m: i for i, m in enumerate(METRICS)}
    # Our model first, then the baselines it has to beat.
    models = {"forecast": 0, "seasonal_naive": 1, "ets": 2}
    s = s.assign(_o=s["metric"].map(order), _m=s["model"].map(models).fillna(9))
    s = s.sort_values(["_o", "_m"], kind="stable")
    return html_table(s, [
        Column("model", t("backtest.model", lang), lambda m: t(f"backtest.model.{m}", lang), "fc-wrap-short"),
        Column("mase", t("backtest.mase", lang),
               lambda v: "–" if v is None or pd.isna(v) else f"{float(v):.2f}", "fc-num"),
        Column("cov50", t("backtest.cov50", lang), pct, "fc-num"),
        Column("cov80", t("backtest.cov80", lang), pct, "fc-num"),
    ], group=Column("metric", t("backtest.metric", lang), lambda m: t(f"metric.{m}", lang)))


def quality_table(problems: Sequence[Problem], lang: str) -> Markup:
    """Data problems (file, row, column, check, value, expected), escaped."""
    rows = pd.DataFrame(
        [{"file": p.file, "row": p.row, "column": p.column, "check": p.check,
          "value": p.value, "expected": p.expected} for p in problems],
        columns=["file", "row", "column", "check", "value", "expected"],
    )
    return html_table(rows, [
        Column("file", t("quality.file", lang), _text),
        Column("row", t("quality.row", lang),
               lambda v: "" if v is None or pd.isna(v) else str(int(v)), "fc-num"),
        Column("column", t("quality.column", lang), _text),
        Column("check", t("quality.check", lang), _text, "fc-wrap"),
        Column("value", t("quality.value", lang), _text),
        Column("expected", t("quality.expected", lang), _text, "fc-wrap"),
    ])
