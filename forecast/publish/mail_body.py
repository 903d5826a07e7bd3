"""The body of a report e-mail: inline styles, table layout, ``cid:`` images only.

Every value comes from a report's headline (data): escaped. No ``<style>``
block (Gmail drops it), no ``data:`` URI (Outlook blocks it), no CSS that Word's
engine ignores for layout (flex, grid): tables and widths.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .results import Recipient, Report

__all__ = ["render_html", "render_text"]

_T = {
    "zh": {"hello": "{name}您好：", "hello0": "您好：",
           "intro": "以下是 {as_of} 季度 {n} 个园区的投资预测摘要，完整报告见附件。",
           "figures": "主要预测", "targets": "年度目标达成概率", "risks": "重点风险项目",
           "project": "项目", "risk": "风险", "prob": "概率", "reason": "原因", "zone": "园区",
           "more": "另有 {n} 个园区未列出，请见附件或共享目录中的 index.html。",
           "not_attached": "以下报告因邮件大小限制未附上，请在共享目录中查看：",
           "footer": "本邮件由 forecast 自动生成。预测区间为 80% 概率区间。",
           "risk_start": "开工", "risk_completion": "竣工", "risk_cancel": "终止"},
    "en": {"hello": "Dear {name},", "hello0": "Hello,",
           "intro": "Below is the {as_of} investment forecast summary for {n} zone(s); the full reports are attached.",
           "figures": "Headline forecast", "targets": "Chance of meeting this year's targets",
           "risks": "Projects at risk", "project": "Project", "risk": "Risk", "prob": "Probability",
           "reason": "Reason", "zone": "Zone",
           "more": "{n} more zone(s) not listed: see the attachments or index.html in the shared folder.",
           "not_attached": "Not attached (message size limit); open them from the shared folder:",
           "footer": "Sent by forecast. Ranges are 80% prediction intervals.",
           "risk_start": "start", "risk_completion": "completion", "risk_cancel": "cancellation"},
}
_FONT = "font-family:Arial,'Microsoft YaHei','PingFang SC',sans-serif;"
_TD = "padding:4px 8px;border-bottom:1px solid #e5e7eb;font-size:14px;vertical-align:top;"
_TH = "padding:4px 8px;border-bottom:2px solid #d1d5db;font-size:13px;text-align:left;color:#374151;"
_H2 = "font-size:18px;margin:20px 0 6px;color:#111827;"
_H3 = "font-size:14px;margin:12px 0 4px;color:#374151;"
_TABLE = 'cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;width:100%;max-width:640px;"'


def _pct(p: Any) -> str:
    try:
        return f"{float(p):.0%}"
    except (TypeError, ValueError):
        return "—"


def _t(lang: str) -> dict[str, str]:
    return _T.get(lang, _T["en"])


def _zone_section(r: "Report", t: dict[str, str], charts: list[tuple[str, bytes]]) -> str:
    h = r.headline
    parts = [f'<h2 style="{_H2}">{escape(r.zone_name)} · {escape(str(h.get("as_of", "")))}</h2>']
    figures = h.get("figures", [])
    if figures:
        parts.append(f'<h3 style="{_H3}">{t["figures"]}</h3><table {_TABLE}>')
        parts += [f'<tr><td style="{_TD}">{escape(str(f.get("label", "")))}</td>'
                  f'<td style="{_TD}font-weight:bold;white-space:nowrap;">{escape(str(f.get("text", "")))}</td></tr>'
                  for f in figures]
        parts.append("</table>")
    targets = h.get("targets", [])
    if targets:
        parts.append(f'<h3 style="{_H3}">{t["targets"]}</h3><table {_TABLE}>')
        for g in targets:
            try:
                width = max(0, min(100, round(float(g.get("p_meet")) * 100)))
            except (TypeError, ValueError):
                width = 0
            # A bar from two table cells: Word's engine ignores most CSS but honours widths.
            bar = (f'<table cellpadding="0" cellspacing="0" border="0" style="width:160px;border-collapse:collapse;">'
                   f'<tr><td style="width:{width}%;height:10px;background:#2563eb;"></td>'
                   f'<td style="background:#e5e7eb;"></td></tr></table>' if width else "")
            parts.append(f'<tr><td style="{_TD}">{escape(str(g.get("label", "")))}</td>'
                         f'<td style="{_TD}width:170px;">{bar}</td>'
                         f'<td style="{_TD}font-weight:bold;">{_pct(g.get("p_meet"))}</td></tr>')
        parts.append("</table>")
    risks = h.get("risks", [])
    if risks:
        parts.append(f'<h3 style="{_H3}">{t["risks"]}</h3><table {_TABLE}><tr>'
                     + "".join(f'<th style="{_TH}">{t[k]}</th>' for k in ("project", "risk", "prob", "reason"))
                     + "</tr>")
        for k in risks[:5]:
            kind = str(k.get("risk", ""))
            parts.append(f'<tr><td style="{_TD}">{escape(str(k.get("project", "")))}</td>'
                         f'<td style="{_TD}">{escape(t.get("risk_" + kind, kind))}</td>'
                         f'<td style="{_TD}">{_pct(k.get("probability"))}</td>'
                         f'<td style="{_TD}color:#4b5563;">{escape(str(k.get("reason", "")))}</td></tr>')
        parts.append("</table>")
    for cid, _ in charts:
        parts.append(f'<img src="cid:{escape(cid)}" width="600" alt="{escape(r.zone_name)}" '
                     'style="display:block;width:100%;max-width:600px;height:auto;margin:10px 0;border:0;">')
    return "".join(parts)


def _compact_rows(reports: list["Report"], t: dict[str, str]) -> list[str]:
    rows = []
    for r in reports:
        figs = r.headline.get("figures", [])[:2]
        cells = "".join(f'<td style="{_TD}">{escape(str(f.get("text", "")))}</td>' for f in figs)
        rows.append(f'<tr><td style="{_TD}">{escape(r.zone_name)}</td>{cells}</tr>')
    return rows


def render_html(
    reports: list["Report"], recipient: "Recipient", lang: str, detail: int,
    charts: dict[str, list[tuple[str, bytes]]], left_out: list["Report"], limit: int,
) -> tuple[str, int]:
    """The HTML body and how many compact rows it shows (the rest are counted)."""
    t = _t(lang)
    as_of = str(reports[0].headline.get("as_of", ""))
    hello = t["hello"].format(name=escape(recipient.name)) if recipient.name else t["hello0"]
    head = (f'<div style="{_FONT}color:#1f2937;max-width:640px;">'
            f'<p style="font-size:14px;">{hello}</p>'
            f'<p style="font-size:14px;">{escape(t["intro"].format(as_of=as_of, n=len(reports)))}</p>')
    sections = "".join(_zone_section(r, t, charts.get(r.stem, [])) for r in reports[:detail])
    rest = reports[detail:]
    tail = ""
    if left_out:
        tail += (f'<p style="font-size:13px;color:#6b7280;">{escape(t["not_attached"])} '
                 + escape(", ".join(f"{r.stem}.html" for r in left_out)) + "</p>")
    tail += f'<p style="font-size:12px;color:#6b7280;margin-top:24px;">{escape(t["footer"])}</p></div>'
    rows = _compact_rows(rest, t)
    shown = len(rows)
    while True:
        table = ""
        if rest:
            table = (f'<h2 style="{_H2}">{t["zone"]}</h2><table {_TABLE}>' + "".join(rows[:shown]) + "</table>")
            if shown < len(rows):
                table += f'<p style="font-size:13px;">{escape(t["more"].format(n=len(rows) - shown))}</p>'
        html = head + sections + table + tail
        size = len(html.encode("utf-8"))
        if size <= limit or shown == 0:
            return html, shown
        # Cut in proportion to the excess, at least one row.
        shown = max(0, min(shown - 1, int(shown * limit / size) - 1))


def render_text(reports: list["Report"], recipient: "Recipient", lang: str, count: int,
                left_out: list["Report"]) -> str:
    """The plain-text alternative: the first ``count`` zones of the summary, no charts."""
    t = _t(lang)
    as_of = str(reports[0].headline.get("as_of", ""))
    lines = [t["hello"].format(name=recipient.name) if recipient.name else t["hello0"], "",
             t["intro"].format(as_of=as_of, n=len(reports)), ""]
    shown = reports[:count]
    for r in shown:
        lines.append(f"== {r.zone_name} ==")
        lines += [f"  {f.get('label', '')}: {f.get('text', '')}" for f in r.headline.get("figures", [])]
        lines += [f"  {g.get('label', '')}: {_pct(g.get('p_meet'))}" for g in r.headline.get("targets", [])]
        lines += [f"  ! {k.get('project', '')} ({_pct(k.get('probability'))}) {k.get('reason', '')}"
                  for k in r.headline.get("risks", [])[:5]]
        lines.append("")
    if len(shown) < len(reports):
        lines.append(t["more"].format(n=len(reports) - len(shown)))
    if left_out:
        lines += [t["not_attached"], *(f"  {r.stem}.html" for r in left_out)]
    lines += ["", t["footer"]]
    return "\n".join(lines) + "\n"
