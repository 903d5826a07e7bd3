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

__all__ = ["MIME_TYPE", "SCHEMA", "from_forecast", "publish", "validate"]

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

    Parameters
    ----------
    zf : ZoneForecast
        Uses ``zone_id, zone_name, as_of, table, targets, risk``.
    lang : {"zh", "en"}
        Language of labels and texts.
    risks : int
        How many of the riskiest projects to keep.

    Returns
    -------
    dict
        A validated headline (see the module docstring).
    """
    from ..vocab import METRIC_EN, METRIC_ZH, MONEY_METRICS, WAN_PER_YI

    zh = lang == "zh"
    names = METRIC_ZH if zh else METRIC_EN
    table = zf.table
    first = table["period"].astype(str).min()
    figures = []
    for metric in ("investment", "projects_started", "projects_completed", "output_value"):
        row = table.loc[(table["metric"] == metric) & (table["period"].astype(str) == first)]
        if row.empty:
            continue
        r = row.iloc[0]
        money = metric in MONEY_METRICS
        scale = WAN_PER_YI if money else 1.0
        mean, lo, hi = (float(r[c]) / scale for c in ("mean", "p10", "p90"))
        band = "80%区间" if zh else "80% range"
        if money:  # 亿元 in Chinese, CNY ...m in English (1 亿元 = CNY 100m, not a billion)
            from ..report.labels import money as in_words

            lo_t, hi_t = (in_words(float(r[c]), lang) for c in ("p10", "p90"))
            text = f"{in_words(float(r['mean']), lang)} ({band} {lo_t}–{hi_t})"
        else:
            text = f"{mean:,.0f} ({band} {lo:,.0f}–{hi:,.0f})"
        label = f"{first} {names[metric]}"
        figures.append({"key": f"{metric}_next", "label": label, "value": mean, "low": lo, "high": hi, "text": text})
    targets = []
    tg = getattr(zf, "targets", None)
    if tg is not None and len(tg):
        for _, r in tg.iterrows():
            p = _num(r.get("p_meet"))
            label = f"{int(r['year'])}{'年 ' if zh else ' '}{names.get(r['metric'], r['metric'])}"
            targets.append({"label": label, "p_meet": p, "text": "" if p is None else f"{p:.0%}",
                            "metric": str(r["metric"]), "year": int(r["year"])})
    out_risks = []
    rk = getattr(zf, "risk", None)
    if rk is not None and len(rk):
        reason = "reason_zh" if zh else "reason_en"
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
