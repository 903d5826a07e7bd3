"""The headline of one report: what a report notebook hands to the batch and the mail.

A report notebook ends with ``publish(headline)``. The batch finds that output in
the executed notebook (the way papermill's ``glue`` worked), writes it as a small
JSON sidecar next to the report, and builds ``index.html``, ``summary.csv`` and
the e-mail body from it, without opening the large HTML reports.

A headline is a plain dict (every string already in the report's language)::

    {
      "schema": "forecast.headline/1",
      "zone_id": "MY01", "zone_name": "绵阳经开区", "as_of": "2025Q3", "lang": "zh",
      "figures": [{"key": "investment_next", "label": "下季度完成投资",
                   "value": 12.5, "text": "12.5 亿元（80%区间 9.1–16.0）"}, ...],
      "targets": [{"label": "2025年 完成投资目标", "p_meet": 0.62, "text": "...",
                   "metric": "investment", "year": 2025}],
      "risks":   [{"project": "...", "risk": "start", "probability": 0.7,
                   "reason": "..."}],
    }

Charts for the mail are the images of cells tagged ``key-chart``.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

__all__ = ["MIME_TYPE", "SCHEMA", "from_forecast", "from_report", "publish", "validate"]

#: The MIME type of the headline output in an executed notebook.
MIME_TYPE = "application/vnd.forecast.headline+json"
SCHEMA = "forecast.headline/1"
_REQUIRED = ("zone_id", "as_of", "lang")
_LISTS = ("figures", "targets", "risks")


def validate(headline: dict[str, Any]) -> dict[str, Any]:
    """Check a headline's shape and return it with defaults filled in.

    Raises
    ------
    ForecastError
        When a required key is missing or a list is not a list of dicts.
    """
    from ..exceptions import ForecastError

    if not isinstance(headline, dict):
        raise ForecastError(f"A headline must be a dict. Got: {type(headline).__name__}")
    missing = [k for k in _REQUIRED if not headline.get(k)]
    if missing:
        raise ForecastError(f"A headline needs {', '.join(_REQUIRED)}; missing: {', '.join(missing)}")
    out = {"schema": SCHEMA, "zone_name": str(headline["zone_id"]), **headline}
    for key in _LISTS:
        items = out.get(key) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise ForecastError(f"Headline '{key}' must be a list of dicts. Got: {items!r:.80}")
        out[key] = items
    return out


def publish(headline: dict[str, Any]) -> None:
    """Show ``headline`` as a notebook output the batch can find.

    The output has only the :data:`MIME_TYPE` representation, so a notebook
    front end and the HTML export show nothing for it.
    """
    from IPython.display import display

    display({MIME_TYPE: validate(headline)}, raw=True)


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def from_forecast(zf: Any, lang: str = "zh", *, risks: int = 5) -> dict[str, Any]:
    """Build a headline from a ``ZoneForecast`` (DESIGN.md, issue 5).

    Every figure is written by the report's own vocabulary
    (``forecast.report.labels``: ``money``, ``count``, ``pct``): medians with
    their 80% interval, money as ``12.3 亿元`` / ``CNY 1,230m``.

    Parameters
    ----------
    zf : ZoneForecast
        Uses ``zone_id, zone_name, as_of, table, targets, year_end, risk``.
    lang : {"zh", "en"}
        Language of labels and texts.
    risks : int
        How many of the riskiest projects to keep.

    Returns
    -------
    dict
        A validated headline (see the module docstring).
    """
    from ..report.labels import count, money, quarter_text, t
    from ..report.overview import verdict_items
    from ..vocab import MONEY_METRICS

    table = zf.table
    first = table["period"].astype(str).min()
    figures = []
    for metric in ("investment", "projects_started", "projects_completed", "output_value"):
        row = table.loc[(table["metric"] == metric) & (table["period"].astype(str) == first)]
        if row.empty:
            continue
        r = row.iloc[0]
        fmt = (lambda v: money(v, lang)) if metric in MONEY_METRICS else count
        mid, lo, hi = (float(r[c]) for c in ("p50", "p10", "p90"))
        text = t("headline.figure", lang, p50=fmt(mid), p10=fmt(lo), p90=fmt(hi))
        label = f"{quarter_text(first, lang)} {t(f'metric.{metric}', lang)}"
        figures.append({"key": f"{metric}_next", "label": label, "value": mid, "low": lo, "high": hi,
                        "text": text})
    year = (pd.Period(str(zf.as_of), freq="Q-DEC") + 1).year
    targets = [{"key": key, "label": t("headline.target", lang, year=year, name=name), "p_meet": _num(p),
                "text": line, "metric": key, "year": year}
               for key, name, p, line in verdict_items(zf, lang, year)]
    out_risks = []
    rk = getattr(zf, "risk", None)
    if rk is not None and len(rk):
        reason = "reason_zh" if lang == "zh" else "reason_en"
        for _, r in rk.head(risks).iterrows():
            out_risks.append({
                "project": str(r.get("name", r.get("project_id", ""))),
                "risk": str(r.get("risk", "")),
                "probability": _num(r.get("probability")),
                "reason": str(r.get(reason, "") or ""),
            })
    return validate({
        "zone_id": str(zf.zone_id),
        "zone_name": str(getattr(zf, "zone_name", zf.zone_id)),
        "as_of": str(zf.as_of),
        "lang": lang,
        "figures": figures,
        "targets": targets,
        "risks": out_risks,
    })


def from_report(rd: Any, *, risks: int = 5) -> dict[str, Any]:
    """The headline of a report (``ReportData``): :func:`from_forecast` of its
    forecast in its language, with the 通报 paragraph as ``bulletin``."""
    from ..report.overview import bulletin

    return {**from_forecast(rd.forecast, rd.lang, risks=risks), "bulletin": bulletin(rd)}
