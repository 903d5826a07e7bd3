"""What a batch checks before it trusts its folder: signals, the saved model set,
and the reports already there.

- SIGTERM (what ``timeout``, ``kill`` and systemd send) stops a batch the way
  Ctrl-C does: the reports done so far stay recorded, the kernels are shut down.
- The saved model set is reused only when the file is the one fitted here
  (its SHA-256) for this ledger's cut (a content hash of its tables) and this
  quarter; otherwise it is fitted again, with a line saying why.
- The index and summary list every report of the folder, whatever zones or
  languages this run rendered.
"""

from __future__ import annotations

import hashlib
import os
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from ..run.spec import RunFolder
from .manifest import Manifest
from .results import BatchResult, JobResult

__all__ = ["cut_hash", "file_sha256", "folder_result", "models_stale", "sigterm_as_interrupt"]

_TABLES = ("zones", "projects", "progress", "plan", "targets", "indicators")


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises ``KeyboardInterrupt`` like Ctrl-C (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    owner = os.getpid()

    def interrupt(signum: int, frame: Any) -> None:
        if os.getpid() != owner:
            # A forked worker inherited the handler: a pool's terminate() should end it
            # quietly, as SIGTERM's default does, not print a KeyboardInterrupt traceback.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        # Exactly what Ctrl-C does: inside asyncio.run, its SIGINT handler cancels
        # the rendering (kernels shut down, finished reports recorded); elsewhere
        # KeyboardInterrupt (also when SIGINT is ignored, as in a background job).
        if signal.getsignal(signal.SIGINT) in (signal.SIG_IGN, signal.SIG_DFL, None):
            raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")
        signal.raise_signal(signal.SIGINT)

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def cut_hash(ledger: Any) -> str:
    """Content hash of a (cut) ledger's tables: same rows, same hash, whatever the
    files looked like (a ledger extended by later quarters keeps its earlier cuts' hashes)."""
    import pandas as pd

    h = hashlib.sha256()
    for name in _TABLES:
        frame = getattr(ledger, name, None)
        if frame is None:
            continue
        h.update(f"{name}:{','.join(map(str, frame.columns))}:{len(frame)}".encode())
        if len(frame):
            h.update(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes())
    return h.hexdigest()[:24]


def file_sha256(path: Path) -> str | None:
    """SHA-256 of a file, ``None`` when it cannot be read."""
    h = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def models_stale(folder: RunFolder, manifest: Manifest, key: str) -> tuple[bool, str | None]:
    """Whether the saved model set must be fitted again, and why (``None``: a first fit).

    ``key`` names what the model set must have been fitted from (the cut's
    content hash, the quarter, the code, the backtest's zones); the manifest
    holds the key and the SHA-256 of the file fitted here.
    """
    path, saved = folder.models, manifest.models
    if not saved.get("key"):
        return True, None if not path.exists() else f"{path.name} was not fitted by this batch"
    if not path.is_file():
        return True, f"{path.name} is missing"
    if saved["key"] != key:
        return True, "the saved model set was fitted on another ledger cut, quarter or version"
    digest = file_sha256(path)
    if digest is None or digest != saved.get("sha256"):
        return True, f"{path.name} is not the file fitted here (truncated, replaced or unreadable)"
    return False, None


def folder_result(result: BatchResult, manifest: Manifest) -> BatchResult:
    """``result`` with every other report recorded in the folder added after it,
    for the index and summary: a run with ``--zones X`` must not shrink them to X."""
    from .rendering import read_headline

    from ..run.province import is_province_stem

    seen = {r.stem for r in result.results + result.provinces if r.stem}
    full = BatchResult(out=result.out, as_of=result.as_of, langs=result.langs, results=list(result.results),
                       provinces=list(result.provinces))
    for stem, entry in sorted(manifest.entries.items()):
        if stem in seen:
            continue
        status = entry.get("status")
        head = read_headline(result.out, stem) if status == "ok" else None
        if status == "ok" and (head is None or not result.folder.html(stem).is_file()):
            continue  # recorded, but its files are gone
        if status not in ("ok", "failed"):
            continue
        zone_id = str(entry.get("zone_id", stem.split(".")[0]))
        name = str((head or {}).get("zone_name") or entry.get("zone_name") or zone_id)
        (full.provinces if is_province_stem(zone_id) else full.results).append(JobResult(
            zone_id, name, str(entry.get("lang", "")), stem, status, entry.get("error"),
            float(entry.get("seconds") or 0.0), head))
    langs = dict.fromkeys(result.langs)
    langs.update(dict.fromkeys(r.lang for r in full.results if r.lang))
    full.langs = tuple(langs)
    return full
