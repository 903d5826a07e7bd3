"""The report's first screen: are we on track, the rates, last year's result, 三个一批.

Pure functions of a :class:`~forecast.report.data.ReportData`: verdict lines
in leaders' words, the rates now and at year end, how the year just ended
against every target, the quarter's 三个一批 with next quarter's forecast, and
a short 通报-style paragraph. Every figure is a median with its 80% interval
(P10–P90) unless its label says otherwise; money goes through ``labels.money``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from markupsafe import Markup

from ..vocab import COUNT_METRICS, RATE_NAMES
from .data import ReportData
from .labels import NA, count, money, pct, projects, quarter_text, t
from .tables import Column, html_table, trusted

#: The metrics a verdict line states besides 投资完成率 (investment is the rate).
_VERDICT_METRICS = ("projects_started", "projects_completed", "projects_producing", "output_value")


def _amount(metric: str, value: float, lang: str) -> str:
    """A metric's value with its unit: ``7 个`` / ``7`` projects, or money."""
    return projects(value, lang) if metric in COUNT_METRICS else money(value, lang)


def _span(metric: str, lo: float, hi: float, lang: str) -> str:
    """An interval: ``5–9`` projects, or both ends in money."""
    if metric in COUNT_METRICS:
        return f"{count(lo)}–{count(hi)}"
    return f"{money(lo, lang)}–{money(hi, lang)}"


def _row(frame: pd.DataFrame | None, **match: Any) -> pd.Series | None:
    if frame is None or len(frame) == 0:
        return None
    keep = pd.Series(True, index=frame.index)
    for k, v in match.items():
        keep &= frame[k] == v
    hit = frame.loc[keep]
    return None if hit.empty else hit.iloc[0]


def verdicts(rd: ReportData) -> list[str]:
    """One line per target of the year: the expected outcome and the chance of meeting it."""
    return [text for _, _, _, text in verdict_items(rd.forecast, rd.lang, rd.year)]


def verdict_items(zf: Any, lang: str, year: int) -> list[tuple[str, str, float, str]]:
    """``(key, label, probability, line)`` per target of ``year``.

    投资完成率 from the year-end rates (against the plan, or the target);
    the other targets from the year's target probabilities (medians and
    80% intervals). Empty when the year has neither.
    """
    lines = []
    inv = _row(getattr(zf, "year_end", None), rate="investment_rate")
    if inv is not None and pd.notna(inv["p50"]):
        lines.append(("investment_rate", t("rate.investment_rate", lang), float(inv["p_reach"]),
                      t("verdict.rate", lang, name=t("rate.investment_rate", lang), p50=pct(inv["p50"]),
                        p10=pct(inv["p10"]), p90=pct(inv["p90"]),
                        basis=t(f"verdict.basis.{'plan' if inv['basis'] == 'plan' else 'target'}", lang),
                        p=pct(inv["p_reach"]))))
    metrics = list(_VERDICT_METRICS)
    if inv is None or pd.isna(inv["p50"]) or inv["basis"] == "plan":
        metrics.insert(0, "investment")  # the investment target, when the rate does not say it
    for metric in metrics:
        r = _row(zf.targets, year=year, metric=metric)
        if r is None or pd.isna(r.get("target")):
            continue
        lines.append((metric, t(f"metric.{metric}", lang), float(r["p_meet"]),
                      t("verdict.metric", lang, name=t(f"metric.{metric}", lang),
                        p50=_amount(metric, r["p50"], lang), span=_span(metric, r["p10"], r["p90"], lang),
                        target=_amount(metric, r["target"], lang), p=pct(r["p_meet"]))))
    return lines


def _with_span(mid: str, lo: str, hi: str, lang: str) -> str:
    """``77%（63%–93%）`` / ``77% (63%–93%)``: a median and its 80% interval."""
    return f"{mid}（{lo}–{hi}）" if lang == "zh" else f"{mid} ({lo}–{hi})"


def span_cell(mid: str, lo: str, hi: str, lang: str) -> Markup:
    """:func:`_with_span` for a table cell: when the cell wraps, the interval
    moves whole to the next line (not "100% (89%–" / "100%)")."""
    # "%" then "（" is no break opportunity in Chinese line breaking: <wbr> makes one
    if lang == "zh":
        return Markup('{}<wbr><span class="fc-nobr">（{}–{}）</span>').format(mid, lo, hi)
    return Markup('{} <span class="fc-nobr">({}–{})</span>').format(mid, lo, hi)


def _fraction(r: pd.Series, lang: str) -> str:
    """``17/19 = 89%``; 投资完成率 in money; ``—`` when the rate is not defined."""
    if pd.isna(r["value"]):
        return NA
    if r["rate"] == "investment_rate":
        frac = f"{money(r['numerator'], lang)}/{money(r['denominator'], lang)}"
    else:
        frac = f"{int(r['numerator'])}/{int(r['denominator'])}"
    return f"{pct(r['value'])}（{frac}）" if lang == "zh" else f"{pct(r['value'])} ({frac})"


def rates_table(rd: ReportData) -> Markup:
    """The five rates: so far this year (not at a Q4: the year has not begun)
    and expected at the year's end with the chance of reaching 100%."""
    lang, year = rd.lang, rd.year
    now = rd.rates_now if rd.as_of.year == year else None
    ye = getattr(rd.forecast, "year_end", None)
    rows = []
    for rate in RATE_NAMES:
        row = {"rate": t(f"rate.{rate}", lang)}
        r = _row(now, rate=rate)
        if r is not None:
            row["now"] = _fraction(r, lang)
        e = _row(ye, rate=rate)
        if e is not None:
            row["end"] = NA if pd.isna(e["p50"]) else span_cell(pct(e["p50"]), pct(e["p10"]), pct(e["p90"]), lang)
            row["p"] = pct(e["p_reach"])
        rows.append(row)
    # the first screen: values wrap before their interval or fraction rather
    # than push the last column off a phone's screen
    columns = [Column("rate", t("rates.rate", lang), str, "fc-wrap-short")]
    if now is not None:
        columns.append(Column("now", t("rates.now", lang, as_of=quarter_text(rd.as_of, lang)), str,
                              "fc-num fc-free"))
    if ye is not None:
        columns += [Column("end", t("rates.year_end", lang, year=year), trusted, "fc-num fc-free"),
                    Column("p", t("rates.p_full", lang), str, "fc-num")]
    return html_table(pd.DataFrame(rows).reindex(columns=[c.key for c in columns]).fillna(NA), columns)


def rates_note(rd: ReportData) -> str:
    """What the rates' lists are made of (the plan, or the ledger's fallback)."""
    frames = [f for f in (rd.rates_now, getattr(rd.forecast, "year_end", None)) if f is not None and len(f)]
    planned = any((f["basis"] == "plan").any() for f in frames)
    return t("rates.note", rd.lang, basis=t(f"rates.note.{'plan' if planned else 'fallback'}", rd.lang))


def last_year_lines(rd: ReportData) -> tuple[str, list[str]]:
    """The heading and one line per target of the year just ended, then its
    rates; ``("", [])`` when ``as_of`` is neither a Q4 nor a Q1."""
    if rd.last_result is None:
        return "", []
    lang = rd.lang
    year = rd.as_of.year if rd.as_of.quarter == 4 else rd.as_of.year - 1
    lines = []
    for _, r in rd.last_result.iterrows():
        mark = "" if pd.isna(r["share"]) else t("last.met" if r["share"] >= 1 else "last.missed", lang)
        lines.append(t("last.line", lang, name=t(f"metric.{r['metric']}", lang),
                       actual=_amount(r["metric"], r["actual"], lang),
                       target=_amount(r["metric"], r["target"], lang),
                       share=NA if pd.isna(r["share"]) else f"{r['share']:.1%}", mark=mark))
    if not lines:
        lines.append(t("last.none", lang, year=year))
    if rd.last_rates is not None and len(rd.last_rates):
        sep = "，" if lang == "zh" else "; "
        text = sep.join(f"{t(f'rate.{r.rate}', lang)} {_fraction(r, lang)}"
                        for _, r in rd.last_rates.iterrows() if pd.notna(r.value))
        if text:
            lines.append(t("last.rates", lang, year=year, rates=text))
    return t("last.title", lang, year=year), lines


def batches_table(rd: ReportData) -> Markup | None:
    """三个一批: the quarter's projects signed, started, producing and next
    quarter's forecast (medians, 80% intervals); two columns, so a phone
    shows the whole table."""
    done, nxt = rd.batches_done, getattr(rd.forecast, "batches", None)
    if done is None:
        return None
    lang = rd.lang

    rows = []
    for _, r in done.iterrows():
        row = {"kind": t(f"batch.{r['event']}", lang),
               "done": t("batch.cell", lang, n=projects(r["projects"], lang),
                         money=money(r["investment"], lang))}
        f = _row(nxt, event=r["event"])
        if f is not None:
            n = _with_span(projects(f["projects_p50"], lang), count(f["projects_p10"]),
                           count(f["projects_p90"]), lang)
            inv = _with_span(*(money(f[f"investment_{p}"], lang) for p in ("p50", "p10", "p90")), lang)
            row["next"] = t("batch.cell", lang, n=n, money=inv)
        rows.append(row)
    columns = [Column("kind", t("batch.kind", lang)),
               Column("done", t("batch.done", lang, q=rd.as_of), str, "fc-wrap"),
               Column("next", t("batch.next", lang, q=rd.as_of + 1), str, "fc-wrap")]
    if nxt is None:
        columns = columns[:2]
    return html_table(pd.DataFrame(rows).reindex(columns=[c.key for c in columns]).fillna(NA), columns)


def bulletin(rd: ReportData) -> str:
    """A 通报-style paragraph: the rates so far, the quarter's 三个一批, the
    year-end outlook and the flagged units (undefined rates left out)."""
    lang, zh = rd.lang, rd.lang == "zh"
    sep, end = ("，", "。") if zh else (", ", ". ")
    q = quarter_text(rd.as_of, lang)
    parts = []
    now = rd.rates_now
    if now is not None and len(now):
        rates = [f"{t(f'rate.{r.rate}', lang)} {_fraction(r, lang)}" for _, r in now.iterrows()
                 if pd.notna(r.value)]
        if rates:
            lead = f"截至{q}末，{rd.zone_name}" if zh else f"At the end of {q}, {rd.zone_name}: "
            parts.append(lead + sep.join(rates) + end)
    if rd.batches_done is not None:
        items = [t("bulletin.batch", lang, stage=t(f"event.{r.event}", lang), n=r.projects,
                   money=money(r.investment, lang))
                 for r in rd.batches_done.itertuples(index=False) if r.projects > 0]
        parts.append((t("bulletin.batches", lang, items=sep.join(items)) if items
                       else t("bulletin.no_batches", lang)) + end)
    lines = verdicts(rd)
    if lines:
        parts.append(t("bulletin.outlook", lang, year=rd.year, verdict=lines[0]) + end)
    board = getattr(rd.forecast, "board", None)
    if board is not None and len(board) and "flag" in board:
        for flag in ("red", "black"):
            units = [str(u) for u in board.loc[board["flag"] == flag, "responsible_unit"]]
            if units:
                name = t(f"board.flag.{flag}", lang)
                parts.append(f"{'、'.join(units)}获{name}{end}" if zh
                             else f"{name}: {', '.join(units)}{end}")
    return ("" if zh else " ").join(p.strip() for p in parts).strip()
