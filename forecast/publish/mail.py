"""Mail a batch's reports: one message per recipient, the full report attached.

Mail clients are not browsers: Gmail clips bodies over about 100 KB and drops
``<style>`` blocks; Outlook renders with Word's engine and blocks ``data:``
images. So the body is a compact summary with inline styles and table layout
(headline numbers, target probabilities, the risk list, two or three key charts
referenced by ``cid:``), and every report travels whole as an attachment.

Message structure (what Thunderbird and Python's own e-mail examples produce,
so a text-only reader never meets stray image parts)::

    multipart/mixed
      multipart/alternative
        text/plain                  the same summary as text
        multipart/related
          text/html                 <img src="cid:...">
          image/png (Content-ID)    the key charts
      text/html (attachment)        <zone>.html, byte for byte

Credentials come only from the environment: ``FORECAST_SMTP_USER``,
``FORECAST_SMTP_PASSWORD`` (and ``FORECAST_SMTP_FROM`` for the sender).
"""

from __future__ import annotations

import csv
import ipaddress
import json
import os
import re
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Iterable

from .._io import atomic_write
from ..exceptions import ForecastError
from ..run.spec import RunFolder
from .mail_body import render_html, render_text
from .results import MailResult, Recipient, Report

__all__ = ["MailResult", "Recipient", "Report", "build_message", "find_reports", "read_recipients", "send_reports"]

BODY_LIMIT = 95_000  # bytes of HTML; Gmail clips at about 100 KB
CHARTS = 3  # images in a message body
ATTACH_LIMIT = 20_000_000  # bytes of attachments per message; common servers refuse 25 MB
_EMAIL_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$|^[^@\s<>,;\"]+@localhost$")
_STEM_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}(\.[a-z]{2})?$")
_HEADERS = {"email": ("email", "邮箱", "电子邮箱"), "name": ("name", "姓名"),
            "zones": ("zones", "园区", "园区编号"), "lang": ("lang", "language", "语言")}


def _clean(text: str) -> str:
    # Header values from data: no line breaks (header injection), no control characters.
    return re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()


def read_recipients(path: str | os.PathLike[str]) -> list[Recipient]:
    """Read a recipients CSV: ``email, name, zones[, lang]``.

    ``zones`` is ``all`` or zone ids separated by ``;``. Chinese headers
    (邮箱, 姓名, 园区, 语言) are accepted.

    Raises
    ------
    ForecastError
        Listing every bad row at once.
    """
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise ForecastError(f"{path}: no recipients (columns: email, name, zones, lang).")
    cols = {canon: next((h for h in rows[0] if h and h.strip().lower() in alts), None)
            for canon, alts in _HEADERS.items()}
    if cols["email"] is None or cols["zones"] is None:
        raise ForecastError(f"{path}: the columns 'email' and 'zones' are required. Got: {list(rows[0])}")
    out, problems = [], []
    for i, row in enumerate(rows, start=2):
        email = (row.get(cols["email"]) or "").strip()
        if not _EMAIL_RE.match(parseaddr(email)[1] or "-") or parseaddr(email)[1] != email:
            problems.append(f"row {i}: 'email' must be an address like a@b.cn. Got: {email!r}")
            continue
        zones_text = (row.get(cols["zones"]) or "").strip()
        zones = None if zones_text.lower() in ("all", "全部") else tuple(
            z.strip() for z in re.split(r"[;；]", zones_text) if z.strip())
        if zones == ():
            problems.append(f"row {i}: 'zones' must be 'all' or ids separated by ';'. Got: {zones_text!r}")
            continue
        lang = (row.get(cols["lang"]) or "").strip().lower() if cols["lang"] else ""
        name = _clean(row.get(cols["name"]) or "") if cols["name"] else ""
        out.append(Recipient(email, name, zones, lang or None))
    if problems:
        raise ForecastError(f"{len(problems)} bad row(s) in {path}:\n" + "\n".join(problems))
    return out


def find_reports(folder: str | os.PathLike[str]) -> list[Report]:
    """Every good report of a batch folder (an HTML file with its headline)."""
    folder = Path(folder)
    found = []
    for side in sorted(RunFolder(folder).data.glob("*.json")):
        stem = side.stem
        html = folder / f"{stem}.html"
        if not _STEM_RE.match(stem) or not html.is_file():
            continue
        try:
            head = json.loads(side.read_text(encoding="utf-8"))
        except ValueError:
            continue
        lang = stem.split(".")[1] if "." in stem else str(head.get("lang", "zh"))
        found.append(Report(stem.split(".")[0], lang, stem, html, head))
    if not found:
        raise ForecastError(f"No reports in {folder}; run `forecast batch` first.")
    return found


def _pick(reports: list[Report], recipient: Recipient) -> tuple[list[Report], list[str]]:
    by_zone: dict[str, dict[str, Report]] = {}
    for r in reports:
        by_zone.setdefault(r.zone_id, {})[r.lang] = r
    wanted = list(by_zone) if recipient.zones is None else list(recipient.zones)
    chosen, missing = [], []
    for z in wanted:
        langs = by_zone.get(z)
        if not langs:
            missing.append(z)
            continue
        # The recipient's language, else Chinese, else whatever was rendered.
        chosen.append(langs.get(recipient.lang or "zh") or langs.get("zh") or next(iter(langs.values())))
    return chosen, missing


def _subject(reports: list[Report], lang: str) -> str:
    as_of = str(reports[0].headline.get("as_of", ""))
    first = reports[0].zone_name
    n = len(reports)
    if lang == "zh":
        who = first if n == 1 else f"{first} 等 {n} 个园区"
        return _clean(f"{who} {as_of} 季度投资预测")
    who = first if n == 1 else f"{first} and {n - 1} more zones"
    return _clean(f"{who}: investment forecast {as_of}")


def build_message(
    reports: list[Report], recipient: Recipient, sender: str, *,
    body_limit: int = BODY_LIMIT, attach_limit: int = ATTACH_LIMIT,
) -> EmailMessage:
    """The message for one recipient covering ``reports`` (at least one).

    The HTML body stays under ``body_limit`` bytes (fewer detailed sections,
    then fewer rows, with a note); reports are attached until ``attach_limit``
    bytes, the rest named in the body.
    """
    if not reports:
        raise ForecastError(f"No reports for {recipient.email}.")
    lang = recipient.lang or reports[0].lang
    sizes = [r.html_path.stat().st_size for r in reports]
    attached, total = [], 0
    for r, size in zip(reports, sizes):
        if total + size <= attach_limit or not attached:
            attached.append(r)
            total += size
    left_out = [r for r in reports if r not in attached]
    detail = min(3, len(reports))
    while True:
        # Two or three charts a message: a mail is a summary, the report has them all.
        per_zone = CHARTS // max(1, detail)
        charts = {r.stem: [(make_msgid(domain="forecast.local")[1:-1], png) for png in r.charts(per_zone)]
                  for r in reports[:detail]}
        html, rows = render_html(reports, recipient, lang, detail, charts, left_out, body_limit)
        if len(html.encode("utf-8")) <= body_limit or detail == 0:
            break
        detail -= 1
    msg = EmailMessage()
    msg["Subject"] = _subject(reports, lang)
    msg["From"] = sender
    msg["To"] = formataddr((recipient.name, recipient.email)) if recipient.name else recipient.email
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="forecast.local")
    msg.set_content(render_text(reports, recipient, lang, detail + rows, left_out))
    msg.add_alternative(html, subtype="html")
    html_part = msg.get_payload()[1]
    for stem, items in charts.items():
        for i, (cid, png) in enumerate(items, 1):
            html_part.add_related(png, "image", "png", cid=f"<{cid}>", filename=f"{stem}-{i}.png")
    for r in attached:
        msg.add_attachment(r.html_path.read_bytes(), maintype="text", subtype="html", filename=f"{r.stem}.html")
    return msg


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _outbox_name(i: int, email: str) -> str:
    return f"{i:03d}-{re.sub(r'[^A-Za-z0-9._-]+', '_', email)[:80]}.eml"


def send_reports(
    folder: str | os.PathLike[str],
    recipients: Iterable[Recipient],
    *,
    smtp: str = "localhost:25",
    starttls: bool = False,
    dry_run: bool = False,
    outbox: str | os.PathLike[str] | None = None,
    sender: str | None = None,
    timeout: float = 60.0,
) -> MailResult:
    """Send each recipient one message with their zones' reports.

    Parameters
    ----------
    folder : path
        A batch output folder (``reports/2025Q3``).
    recipients : iterable of Recipient
        See :func:`read_recipients`.
    smtp : str
        ``HOST:PORT`` of the SMTP server.
    starttls : bool
        Upgrade the connection with STARTTLS (certificate verified) before login.
    dry_run : bool
        Write ``.eml`` files to ``outbox`` (default ``<folder>/_outbox``) instead of sending.
    sender : str, optional
        The From address; default ``FORECAST_SMTP_FROM``, ``FORECAST_SMTP_USER`` or
        ``forecast@localhost``.

    Returns
    -------
    MailResult
        A recipient whose zones have no report, or whom the server refuses, is
        listed in ``failed``; the others still get their message.

    Examples
    --------
    >>> send_reports("reports/2025Q3", read_recipients("to.csv"), dry_run=True)  # doctest: +SKIP
    """
    reports = find_reports(folder)
    user = os.environ.get("FORECAST_SMTP_USER", "")
    password = os.environ.get("FORECAST_SMTP_PASSWORD", "")
    sender = sender or os.environ.get("FORECAST_SMTP_FROM") or (user if "@" in user else "forecast@localhost")
    result = MailResult()
    messages: list[tuple[Recipient, EmailMessage]] = []
    for rcpt in recipients:
        chosen, missing = _pick(reports, rcpt)
        if missing:
            why = f"no report for zone(s) {', '.join(missing)}"
            (result.warnings if chosen else result.failed)[rcpt.email] = why
        if not chosen:
            continue
        messages.append((rcpt, build_message(chosen, rcpt, sender)))
    if dry_run:
        box = Path(outbox) if outbox else Path(folder) / "_outbox"
        for i, (rcpt, msg) in enumerate(messages, 1):
            result.files.append(atomic_write(box / _outbox_name(i, rcpt.email), msg.as_bytes()))
            result.sent.append(rcpt.email)
        return result
    host, _, port = smtp.rpartition(":")
    if not host or not port.isdigit():
        raise ForecastError(f"--smtp must be HOST:PORT, e.g. smtp.example.cn:587. Got: {smtp!r}")
    if user and not starttls and not _is_loopback(host):
        raise ForecastError("Refusing to send the SMTP password unencrypted: add --starttls.")
    try:
        with smtplib.SMTP(host, int(port), timeout=timeout) as server:
            server.ehlo()
            if starttls:
                server.starttls(context=ssl.create_default_context())
                server.ehlo()
            if user:
                server.login(user, password)
            for rcpt, msg in messages:
                try:
                    server.send_message(msg)
                    result.sent.append(rcpt.email)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as err:
                    result.failed[rcpt.email] = f"refused by the server: {err}"
    except (OSError, smtplib.SMTPException) as err:
        raise ForecastError(f"SMTP {host}:{port}: {type(err).__name__}: {err}") from err
    return result
