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

from .._io import atomic_write

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
    """``_manifest.json``: per report, its inputs key and status. Flushed atomically,
    at most every ``every`` seconds (rewriting it after each of 5,000 reports
    would cost more than the reports), and at the end."""

    def __init__(self, path: Path, every: float = 2.0) -> None:
        self.path = path
        self.every = every
        self._last = 0.0
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            self.entries: dict[str, dict[str, Any]] = dict(data.get("entries", {}))
            self.models: dict[str, Any] = dict(data.get("models", {}))
        except (FileNotFoundError, ValueError, AttributeError):
            self.entries, self.models = {}, {}

    def set(self, stem: str, entry: dict[str, Any]) -> None:
        self.entries[stem] = entry
        if time.monotonic() - self._last > self.every:
            self.flush()

    def flush(self) -> None:
        payload = {"format": 1, "models": self.models, "entries": self.entries}
        atomic_write(self.path, json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True))
        self._last = time.monotonic()


def inputs_key(inputs: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:20]
