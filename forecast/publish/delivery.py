"""The mail delivery log: what each message became, recorded as it happens.

``<folder>/_delivery.jsonl`` has one JSON line per attempt's outcome, appended
in one write and synced before the next message goes, so a run stopped at any
point (a dropped connection, Ctrl-C, a power cut) leaves a log a rerun can
trust: the rerun sends only the messages not recorded as sent.

A message is identified by its recipient and the reports it carries (each by
the inputs key the batch gave it, else a hash of its HTML): a report rendered
again from new inputs is a new message and goes out again.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Literal

from .._io import append_line

__all__ = ["LOG_FILE", "Delivery", "DeliveryLog", "message_key"]

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

