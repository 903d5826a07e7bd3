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
import hashlib
import io
import ipaddress
import json
import os
import re
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Iterable

from .._io import atomic_write
from .._lock import FolderLock
from ..exceptions import ForecastError
from ..ledger.csvfile import decode_text, sniff_delimiter
from ..run.spec import RunFolder
from .delivery import DeliveryLog, Outgoing, Server, deliver, message_key
from .mail_body import render_html, render_text
from .results import MailResult, Recipient, Report

__all__ = ["MailResult", "Recipient", "Report", "build_message", "find_reports", "read_recipients", "send_reports"]

BODY_LIMIT = 95_000  # bytes of HTML; Gmail clips at about 100 KB
CHARTS = 3  # images in a message body
ATTACH_LIMIT = 20_000_000  # bytes of attachments per message; common servers refuse 25 MB
NAME_LIMIT = 60  # characters of a zone's or a person's name in a header (Subject, To)
_EMAIL_RE = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$|^[^@\s<>,;\"]+@localhost$")
_STEM_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}(\.[a-z]{2})?$")
_HEADERS = {"email": ("email", "邮箱", "电子邮箱"), "name": ("name", "姓名"),
            "zones": ("zones", "园区", "园区编号"), "lang": ("lang", "language", "语言")}


def _clean(text: str, limit: int | None = None) -> str:
    # Header values from data: no line breaks (header injection), no control
    # characters, and no longer than ``limit`` (a 100,000-character zone name
    # made a 481 KB Subject); the data itself keeps the whole name.
    text = re.sub(r"[\x00-\x1f\x7f]+", " ", text).strip()
    return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "…"


def read_recipients(path: str | os.PathLike[str]) -> list[Recipient]:
    """Read a recipients CSV: ``email, name, zones[, lang]``.

    ``zones`` is ``all`` or zone ids separated by ``;``. Chinese headers
    (邮箱, 姓名, 园区, 语言) are accepted, and the encodings and separators
    Excel saves: UTF-8, GBK/GB18030, UTF-16 ("Unicode text", tab-separated).

    Raises
    ------
    ForecastError
        Listing every bad row at once.
    """
    raw = Path(path).read_bytes()
    text, _, problem = decode_text(raw, Path(path).name)
    if text is None:
        raise ForecastError(f"{path}: {problem.check}: expected {problem.expected}. Got: {problem.value}")
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text)))
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
        name = _clean(row.get(cols["name"]) or "", NAME_LIMIT) if cols["name"] else ""
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
    first = _clean(reports[0].zone_name, NAME_LIMIT)
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
    msg["To"] = formataddr((_clean(recipient.name, NAME_LIMIT), recipient.email)) if recipient.name else recipient.email
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


def _report_key(report: Report) -> tuple[str, str]:
    # The batch's inputs key says which rendering this is; a hand-made folder has none.
    key = report.headline.get("key")
    if not isinstance(key, str) or not key:
        key = hashlib.sha256(report.html_path.read_bytes()).hexdigest()[:20]
    return report.stem, key


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
    resend: bool = False,
    retries: int = 3,
    retry_wait: float = 5.0,
) -> MailResult:
    """Send each recipient one message with their zones' reports, once.

    Every message's outcome is appended to ``<folder>/_delivery.jsonl`` as it
    happens (:mod:`forecast.publish.delivery`); a rerun sends only the
    messages not recorded as sent, so nobody gets the same report twice.

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
        Write ``.eml`` files to ``outbox`` (default ``<folder>/_outbox``) instead
        of sending (not recorded in the delivery log).
    sender : str, optional
        The From address; default ``FORECAST_SMTP_FROM``, ``FORECAST_SMTP_USER`` or
        ``forecast@localhost``.
    resend : bool
        Send every message again, delivered before or not.
    retries, retry_wait : int, float
        A dropped connection or a temporary refusal is tried again ``retries``
        times per message, waiting ``retry_wait`` seconds, then twice, four times that.

    Returns
    -------
    MailResult
        Who got mail (``sent``), who had it already (``already``), who did not
        and why (``failed``); a recipient whose zones have no report is in
        ``failed``, one missing some zones in ``warnings``.

    Raises
    ------
    FolderBusyError
        When a batch or another mailing holds the folder.

    Examples
    --------
    >>> send_reports("reports/2025Q3", read_recipients("to.csv"), dry_run=True)  # doctest: +SKIP
    """
    reports = find_reports(folder)
    user = os.environ.get("FORECAST_SMTP_USER", "")
    password = os.environ.get("FORECAST_SMTP_PASSWORD", "")
    sender = sender or os.environ.get("FORECAST_SMTP_FROM") or (user if "@" in user else "forecast@localhost")
    result = MailResult()
    messages: list[tuple[Recipient, list[Report]]] = []
    for rcpt in recipients:
        chosen, missing = _pick(reports, rcpt)
        if missing:
            why = f"no report for zone(s) {', '.join(missing)}"
            (result.warnings if chosen else result.failed)[rcpt.email] = why
        if chosen:
            messages.append((rcpt, chosen))
    if dry_run:
        box = Path(outbox) if outbox else Path(folder) / "_outbox"
        for i, (rcpt, chosen) in enumerate(messages, 1):
            msg = build_message(chosen, rcpt, sender)
            result.files.append(atomic_write(box / _outbox_name(i, rcpt.email), msg.as_bytes()))
            result.sent.append(rcpt.email)
        return result
    host, _, port = smtp.rpartition(":")
    if not host or not port.isdigit():
        raise ForecastError(f"--smtp must be HOST:PORT, e.g. smtp.example.cn:587. Got: {smtp!r}")
    if user and not starttls and not _is_loopback(host):
        raise ForecastError("Refusing to send the SMTP password unencrypted: add --starttls.")
    # One mailing at a time, and never while a batch rewrites the reports.
    with FolderLock(folder, "email"):
        log = DeliveryLog(folder)
        result.log = log.path
        outgoing = []
        for rcpt, chosen in messages:
            keys = [_report_key(r) for r in chosen]
            key = message_key(rcpt.email, keys)
            before = None if resend else log.sent(key)
            if before is not None:
                result.already[rcpt.email] = before.time
                continue
            outgoing.append(Outgoing(rcpt.email, key, [stem for stem, _ in keys], build_message(chosen, rcpt, sender)))
        server = Server(host, int(port), starttls, user, password, timeout)
        for d in deliver(outgoing, server, sender, log, retries=retries, wait=retry_wait):
            if d.status == "sent":
                result.sent.append(d.email)
            else:
                result.failed[d.email] = d.reason
    return result
