"""Mail delivery: each message sent with retries, its outcome logged as it happens.

``<folder>/_delivery.jsonl`` has one JSON line per attempt's outcome, appended
in one write and synced before the next message goes, so a run stopped at any
point (a dropped connection, Ctrl-C, a power cut) leaves a log a rerun can
trust: the rerun sends only the messages not recorded as sent.

A message is identified by its recipient and the reports it carries (each by
the inputs key the batch gave it, else a hash of its HTML): a report rendered
again from new inputs is a new message and goes out again.

:func:`deliver` sends over one connection; a dropped connection or a
temporary refusal is retried per message with backoff, a refused recipient is
recorded and the others still go.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Literal

from .._io import append_line

if TYPE_CHECKING:
    import smtplib
    from email.message import EmailMessage

__all__ = ["LOG_FILE", "Delivery", "DeliveryLog", "Outgoing", "Server", "deliver", "message_key"]

LOG_FILE = "_delivery.jsonl"
#: sent: the server accepted it; refused: the server said no for good (5xx);
#: failed: not delivered (connection lost, retries spent, no report);
#: unconfirmed: the connection dropped while the server took the message in,
#: so it may have arrived (not retried in the run; a rerun sends it again).
Status = Literal["sent", "refused", "failed", "unconfirmed"]


def message_key(email: str, reports: Iterable[tuple[str, str]]) -> str:
    """Identity of a message: the recipient and its ``(stem, report key)`` pairs."""
    payload = json.dumps([email.strip().lower(), sorted(map(list, reports))], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:24]


@dataclass
class Delivery:
    """One line of the log."""

    email: str
    key: str
    status: Status
    reason: str = ""
    reports: list[str] = field(default_factory=list)
    attempts: int = 1
    time: str = ""


class DeliveryLog:
    """``<folder>/_delivery.jsonl``: read once, appended line by line.

    Parameters
    ----------
    folder : path
        The batch folder whose reports are mailed.
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / LOG_FILE
        #: The last outcome of each message key.
        self.last: dict[str, Delivery] = {}
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raw = b""
        for line in raw.splitlines():
            try:
                entry = Delivery(**json.loads(line))
            except (ValueError, TypeError):
                continue  # a line cut short by a crash, or not ours
            self.last[entry.key] = entry

    def sent(self, key: str) -> Delivery | None:
        """The log's record of ``key`` when it was delivered, else ``None``."""
        entry = self.last.get(key)
        return entry if entry is not None and entry.status == "sent" else None

    def record(self, entry: Delivery) -> Delivery:
        """Append ``entry`` (timestamped now) durably (:func:`forecast._io.append_line`)."""
        entry.time = entry.time or time.strftime("%Y-%m-%dT%H:%M:%S%z")
        append_line(self.path, json.dumps(asdict(entry), ensure_ascii=False).encode("utf-8"))
        self.last[entry.key] = entry
        return entry



# --- sending --------------------------------------------------------------------------
@dataclass
class Outgoing:
    """A message to send: to whom, its log key, the reports it carries."""

    email: str
    key: str
    reports: list[str]
    message: "EmailMessage"


@dataclass
class Server:
    """How to reach the SMTP server."""

    host: str
    port: int
    starttls: bool = False
    user: str = ""
    password: str = ""
    timeout: float = 60.0


def _connect(server: Server) -> "smtplib.SMTP":
    import smtplib
    import ssl

    smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
    try:
        smtp.ehlo()
        if server.starttls:
            smtp.starttls(context=ssl.create_default_context())
            smtp.ehlo()
        if server.user:
            smtp.login(server.user, server.password)
    except BaseException:
        smtp.close()
        raise
    return smtp


def _quit(smtp: "smtplib.SMTP | None") -> None:
    import smtplib

    if smtp is None:
        return
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()


def _kind(err: OSError) -> str:
    """refusal (of this message), connection (lost or not made: worth retrying),
    or session (login, TLS, a missing extension: the same for every message)."""
    import smtplib
    import ssl

    if isinstance(err, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
        return "refusal"
    if isinstance(err, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return "connection"
    if isinstance(err, (smtplib.SMTPException, ssl.SSLError)):
        return "session"
    return "connection"  # sockets: refused, reset, timed out


def _transient(err: Exception) -> bool:
    """A refusal worth trying again: SMTP 4xx (greylisting, a busy server)."""
    import smtplib

    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return all(400 <= code < 500 for code, _ in err.recipients.values())
    return 400 <= int(getattr(err, "smtp_code", 0) or 0) < 500


def deliver(outgoing: list[Outgoing], server: Server, sender: str, log: DeliveryLog, *,
            retries: int = 3, wait: float = 5.0, sleep: Callable[[float], None] | None = None) -> list[Delivery]:
    """Send each message over one connection, recording every outcome in ``log``
    before the next message goes.

    A dropped connection or a temporary refusal (4xx) is tried again up to
    ``retries`` times per message, reconnecting, after ``wait``, 2×``wait``,
    4×``wait`` seconds. When a message has spent its retries on a connection
    that cannot be made, the messages after it are not attempted (each would
    wait as long) and are recorded as failed with the same reason. A
    connection lost while the server was taking a message in leaves it
    ``unconfirmed`` (it may have arrived): not retried, reported.
    """
    import smtplib

    sleep = sleep or time.sleep
    done: list[Delivery] = []
    smtp: smtplib.SMTP | None = None
    down: str | None = None
    where = f"{server.host}:{server.port}"
    try:
        for item in outgoing:
            def note(status: Status, reason: str = "", attempts: int = 1) -> None:
                done.append(log.record(Delivery(item.email, item.key, status, reason, item.reports, attempts)))

            if down is not None:
                note("failed", f"not attempted: {down}", 0)
                continue
            attempt = 0
            while True:
                attempt += 1
                in_data = False
                try:
                    if smtp is None:
                        smtp = _connect(server)
                    original = smtp.data

                    def data(msg: Any, _orig: Any = original) -> Any:
                        nonlocal in_data
                        in_data = True
                        return _orig(msg)

                    smtp.data = data  # type: ignore[method-assign]  # to know how far a message got
                    smtp.send_message(item.message, from_addr=sender, to_addrs=[item.email])
                    note("sent", "", attempt)
                    break
                except OSError as err:  # smtplib's errors are OSErrors too
                    kind = _kind(err)
                    if kind == "refusal":
                        if _transient(err) and attempt <= retries:
                            sleep(wait * 2 ** (attempt - 1))
                            continue
                        note("refused", f"refused by the server: {_refusal(err)}", attempt)
                        break
                    _quit(smtp)
                    smtp = None
                    reason = f"{type(err).__name__}: {err}".rstrip(": ") + f" ({where})"
                    if kind != "connection":
                        # The session itself is refused (login, no STARTTLS, a certificate):
                        # the same for every message, so none is attempted after this one.
                        down = f"SMTP {where}: {type(err).__name__}: {err}"
                        note("failed", down, attempt)
                        break
                    if in_data:
                        note("unconfirmed", f"the connection was lost while the server took the message in "
                                            f"({reason}); it may have arrived", attempt)
                        break
                    if attempt <= retries:
                        sleep(wait * 2 ** (attempt - 1))
                        continue
                    note("failed", f"{reason}, after {attempt} attempts", attempt)
                    down = f"the server was lost earlier: {reason}"
                    break
    finally:
        _quit(smtp)
    return done


def _text(raw: Any) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def _refusal(err: Exception) -> str:
    import smtplib

    if isinstance(err, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{code} {_text(msg)}" for code, msg in err.recipients.values())
    return f"{getattr(err, 'smtp_code', '')} {_text(getattr(err, 'smtp_error', err))}".strip()
