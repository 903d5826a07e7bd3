"""The batch's front page (``index.html``) and table (``summary.csv``).

Both are built from the reports' headline sidecars (:mod:`forecast.publish.headline`), never
from the large HTML reports. Every string that came from a ledger or a report is
data: escaped in HTML, quoted in links.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .._io import atomic_write, neutralise_frame
from .results import BatchResult, JobResult

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["write_index", "write_summary"]

LANG_NAMES = {"zh": "中文", "en": "English"}

_CSS = """
body{font-family:"Noto Sans CJK SC","fc-cjk","PingFang SC","Microsoft YaHei",Arial,sans-serif;margin:24px;color:#1f2937}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:18px 0 6px} p.meta{color:#6b7280;margin:0 0 16px}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid #e5e7eb;padding:6px 8px;text-align:left;vertical-align:top}
th{background:#f3f4f6;position:sticky;top:0} td.num{white-space:nowrap}
tr.failed td{background:#fef2f2} td:first-child{white-space:nowrap} .err{color:#b91c1c;font-size:12px} .id{color:#6b7280;font-size:12px}
a{color:#1d4ed8}
@media (max-width:640px){
body{margin:12px}
table,tbody,tr,td{display:block;width:auto} thead{display:none}
tr{border:1px solid #e5e7eb;border-radius:8px;margin:0 0 12px;padding:6px 12px}
td{border:none;padding:3px 0;display:flex;gap:12px;justify-content:space-between;text-align:right}
td::before{content:attr(data-label);color:#6b7280;font-size:13px;text-align:left;flex:0 0 45%}
td:first-child{display:block;text-align:left;font-size:16px;font-weight:600;padding:4px 0 6px;border-bottom:1px solid #e5e7eb;margin-bottom:4px}
td:first-child::before{content:none} td.num{white-space:normal}
}
"""


def _pct(p: Any) -> str:
    try:
        return f"{float(p):.0%}"
    except (TypeError, ValueError):
        return "—"


def _by_zone(result: BatchResult) -> dict[str, list[JobResult]]:
    return _group(result.results)


def _columns(result: BatchResult) -> list[tuple[str, str]]:
    # Figure columns from the first headline in the first language: every report
    # of a batch publishes the same figures.
    for lang in result.langs:
        for r in result.results:
            if r.lang == lang and r.headline and r.headline.get("figures"):
                return [(str(f.get("key", i)), str(f.get("label", ""))) for i, f in enumerate(r.headline["figures"])]
    return []


def _group(jobs: list[JobResult]) -> dict[str, list[JobResult]]:
    out: dict[str, list[JobResult]] = {}
    for r in jobs:
        out.setdefault(r.zone_id, []).append(r)
    return out


def _head(first: str, cols: list[tuple[str, str]]) -> list[str]:
    return [first, "报告 Reports"] + [label for _, label in cols] + ["目标达成概率 Targets", "状态 Status"]


def _labelled(cells: list[str], head: list[str]) -> str:
    """The cells with their column's heading as ``data-label``: on a phone each
    row is a card and every value shows its label (the heading row is hidden)."""
    out = []
    for c, h in zip(cells, head):
        open_end = c.index(">") + 1  # the value in one box: links and text stay together
        out.append(c[:3] + f' data-label="{escape(h, quote=True)}"' + c[3:open_end] + "<span>"
                   + c[open_end:-len("</td>")] + "</span></td>")
    return "".join(out)


def _rows(groups: dict[str, list[JobResult]], cols: list[tuple[str, str]], head: list[str]) -> list[str]:
    """One table row per zone (or province): its reports, headline numbers, failures."""
    rows = []
    for zone_id, jobs in groups.items():
        main = next((j for j in jobs if j.headline), jobs[0])
        failed = [j for j in jobs if j.status == "failed"]
        links = " · ".join(
            f'<a href="{escape(quote(j.html))}">{escape(LANG_NAMES.get(j.lang, j.lang))}</a>'
            for j in jobs if j.status != "failed" and j.stem
        )
        figures = {str(f.get("key", i)): f for i, f in enumerate((main.headline or {}).get("figures", []))}
        cells = [
            f'<td>{escape(main.zone_name)}<div class="id">{escape(zone_id)}</div></td>',
            f"<td>{links or '—'}</td>",
        ]
        cells += [f'<td class="num">{escape(str(figures.get(k, {}).get("text", "—")))}</td>' for k, _ in cols]
        targets = (main.headline or {}).get("targets", [])
        cells.append("<td>" + "<br>".join(
            f"{escape(str(t.get('label', '')))}: {_pct(t.get('p_meet'))}" for t in targets) + "</td>")
        status = "<br>".join(
            f'<span class="err">{escape(LANG_NAMES.get(j.lang, j.lang))}: {escape(j.error or "failed")}'
            + (f' (<a href="{escape(quote(j.failed_notebook))}">notebook</a>)' if j.stem else "") + "</span>"
            for j in failed
        ) or "ok"
        cells.append(f"<td>{status}</td>")
        rows.append(f'<tr class="{"failed" if failed else "ok"}">{_labelled(cells, head)}</tr>')
    return rows


def _table(first: str, groups: dict[str, list[JobResult]], cols: list[tuple[str, str]]) -> str:
    head = _head(first, cols)
    rows = _rows(groups, cols, head)
    return ("<table><thead><tr>" + "".join(f"<th>{escape(h)}</th>" for h in head) + "</tr></thead><tbody>"
            + "\n".join(rows) + "</tbody></table>")


def render_index(result: BatchResult) -> str:
    """``index.html`` as text: the province totals (when the batch rendered
    them), then one row per zone: its reports, headline numbers, failures."""
    cols = _columns(result)
    zones = _by_zone(result)
    n_failed = len(result.failed)
    table = _table("园区 Zone", zones, cols)
    if result.provinces:
        provinces = _table("省份 Province", _group(result.provinces), cols)
        table = (f"<h2>{escape('省份合计 Province totals')}</h2>" + provinces
                 + f"<h2>{escape('各园区 Zones')}</h2>" + table)
    title = f"经开区投资预测 Zone forecasts {result.as_of}"
    return (
        '<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}{_font_css(title + table)}</style></head><body>"
        f"<h1>{escape(title)}</h1>"
        f'<p class="meta">{len(zones)} zones · {len(result.results)} reports · {n_failed} failed</p>'
        + table + "</body></html>\n"
    )


def _font_css(text: str) -> str:
    # The page's Chinese glyphs embedded like the reports' (a machine without a
    # Chinese font shows boxes otherwise); skipped if the font is unavailable.
    chars = "".join(sorted({c for c in text if "\u2e80" <= c <= "\u9fff" or "\uff00" <= c <= "\uffef"}))
    if not chars:
        return ""
    try:
        from ..report.fonts import font_face_css

        return font_face_css(chars)
    except Exception:  # noqa: BLE001 - a missing font must not cost the index
        return ""


def write_index(result: BatchResult) -> None:
    """Write ``index.html`` atomically."""
    atomic_write(result.index_path, render_index(result))


#: Columns of ``summary.csv`` before the figures and targets.
SUMMARY_COLUMNS = ("zone_id", "zone_name", "lang", "status", "report", "error", "seconds")


def summary_table(result: BatchResult) -> "pd.DataFrame":
    """The batch's table, tidy: one row per zone and language, one column per quantity.

    After :data:`SUMMARY_COLUMNS`: each headline figure as ``<key>`` with
    ``<key>_p10`` and ``<key>_p90`` (money in 亿元, as the headline gives it,
    the columns named ``..._yi``); the chance of meeting each target as
    ``p_meet_<metric>_<year>`` (0–1); the riskiest project as
    ``top_risk_project``, ``top_risk_kind``, ``top_risk_probability``.
    """
    import pandas as pd

    from ..vocab import MONEY_METRICS

    rows = []
    for r in result.results:
        h = r.headline or {}
        row: dict[str, Any] = {"zone_id": r.zone_id, "zone_name": r.zone_name, "lang": r.lang,
                               "status": r.status, "report": r.html if r.status != "failed" else "",
                               "error": r.error or "", "seconds": round(r.seconds, 2)}
        for i, f in enumerate(h.get("figures", [])):
            key = str(f.get("key", i))
            unit = "_yi" if any(key.startswith(m) for m in MONEY_METRICS) else ""
            for suffix, field in (("", "value"), ("_p10", "low"), ("_p90", "high")):
                row[f"{key}{suffix}{unit}"] = f.get(field)
        for t in h.get("targets", []):
            if t.get("metric") and t.get("year"):
                row[f"p_meet_{t['metric']}_{t['year']}"] = t.get("p_meet")
        risks = h.get("risks", [])
        if risks:
            row.update({"top_risk_project": risks[0].get("project"), "top_risk_kind": risks[0].get("risk"),
                        "top_risk_probability": risks[0].get("probability")})
        rows.append(row)
    return pd.DataFrame(rows, columns=list(dict.fromkeys(
        list(SUMMARY_COLUMNS) + [k for row in rows for k in row])))


def write_summary(result: BatchResult) -> None:
    """Write ``summary.csv`` atomically (:func:`summary_table`; text neutralised).

    UTF-8 with a byte-order mark, so Excel shows the Chinese names correctly.
    """
    text = neutralise_frame(summary_table(result)).to_csv(index=False, lineterminator="\n")
    atomic_write(result.summary_path, "\ufeff" + text)
