"""The batch's memory: ``_manifest.json`` and the keys of a report's inputs.

A report counts as done when its HTML and headline exist and its manifest entry
names the same inputs key (quarter, language, ledger fingerprint, code version,
horizon, draws, seed); a rerun renders only what is missing, failed or stale.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from .._io import append_line, atomic_write

__all__ = ["Manifest", "inputs_key", "sha256_files"]


def sha256_files(path: Path) -> str:
    """Fingerprint of a file, or of a folder's files (names and bytes)."""
    h = hashlib.sha256()
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for f in files:
        h.update(str(f.relative_to(path) if path.is_dir() else f.name).encode())
        h.update(f.read_bytes())
    return h.hexdigest()


class Manifest:
    """``_manifest.json``: per report, its inputs key and status.

    Each report's record is appended to ``_progress.jsonl`` as soon as the
    report is done (one synced line: a batch killed by SIGKILL or a power cut
    loses no finished report); the manifest itself is rewritten atomically at
    most every ``every`` seconds (rewriting it after each of 5,000 reports
    would cost more than the reports) and at the end, which empties the
    journal. Reading replays the journal over the manifest, so records of
    earlier runs (other ``--zones``, other languages) are kept and merged.
    """

    JOURNAL = "_progress.jsonl"

    def __init__(self, path: Path, every: float = 2.0) -> None:
        self.path = path
        self.journal = path.with_name(self.JOURNAL)
        self.every = every
        self._last = time.monotonic()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.entries: dict[str, dict[str, Any]] = dict(data.get("entries", {}))
            self.models: dict[str, Any] = dict(data.get("models", {}))
        except (FileNotFoundError, ValueError, AttributeError):
            self.entries, self.models = {}, {}
        try:
            lines = self.journal.read_bytes().splitlines()
        except FileNotFoundError:
            lines = []
        for line in lines:
            try:
                stem, entry = json.loads(line)
                self.entries[str(stem)] = dict(entry)
            except (ValueError, TypeError):
                continue  # a line cut short when the process died

    def set(self, stem: str, entry: dict[str, Any]) -> None:
        """Record a report's outcome durably (journal), flushing the manifest now and then."""
        self.entries[stem] = entry
        append_line(self.journal, json.dumps([stem, entry], ensure_ascii=False).encode("utf-8"))
        if time.monotonic() - self._last > self.every:
            self.flush()

    def flush(self) -> None:
        """Write the manifest atomically, then empty the journal it now contains."""
        payload = {"format": 1, "models": self.models, "entries": self.entries}
        atomic_write(self.path, json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True))
        self.journal.unlink(missing_ok=True)
        self._last = time.monotonic()


def inputs_key(inputs: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:20]
