"""One writer at a time per output folder: an exclusive lock naming its holder.

Two batches (or a batch and a mailing) on one folder would both fit and render
everything, overwrite each other's progress records and mail the same people
twice. :class:`FolderLock` takes ``<folder>/_lock`` with ``flock`` (released by
the kernel when the holder dies, however it dies) and writes the holder's PID,
host, command and start time into it, so the one refused can say who holds it.

A lock file left by a process that is gone (the file names a PID that no longer
runs on this host) is taken over with a warning.

Examples
--------
>>> import tempfile
>>> with FolderLock(tempfile.mkdtemp(), "batch") as lock:   # doctest: +SKIP
...     ...
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
import warnings
from pathlib import Path
from types import TracebackType
from typing import Any

from .exceptions import ForecastError

__all__ = ["FolderBusyError", "FolderLock", "LOCK_FILE"]

LOCK_FILE = "_lock"


class FolderBusyError(ForecastError):
    """Another process holds the folder's lock; ``holder`` is what it wrote."""

    def __init__(self, folder: Path, holder: dict[str, Any]) -> None:
        self.folder, self.holder = folder, holder
        who = (f"PID {holder.get('pid', '?')} on {holder.get('host', '?')} "
               f"({holder.get('purpose', '?')}, started {holder.get('started', '?')})")
        super().__init__(f"{folder} is in use by {who}; wait for it to finish or give another --out.")


def _read(fd: int) -> dict[str, Any]:
    os.lseek(fd, 0, os.SEEK_SET)
    raw = b""
    while chunk := os.read(fd, 4096):
        raw += chunk
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class FolderLock:
    """An exclusive lock on ``folder`` for ``purpose`` (``batch``, ``email``).

    Taken on ``__enter__`` (or :meth:`acquire`) without waiting: a second
    process is refused at once with :class:`FolderBusyError` naming the holder.
    Released on ``__exit__``, and by the kernel when the process dies.

    Parameters
    ----------
    folder : path
        The folder to lock; created when missing.
    purpose : str
        What the holder does, shown to whoever is refused.
    """

    def __init__(self, folder: str | os.PathLike[str], purpose: str) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK_FILE
        self.purpose = purpose
        self._fd: int | None = None
        #: What the lock file said when taken over from a process that had died.
        self.stale: dict[str, Any] | None = None

    def acquire(self) -> "FolderLock":
        """Take the lock or raise :class:`FolderBusyError`; see the class."""
        import fcntl

        self.folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read(fd)
            os.close(fd)
            raise FolderBusyError(self.folder, holder) from None
        except BaseException:
            os.close(fd)
            raise
        previous = _read(fd)
        pid = previous.get("pid")
        if previous and isinstance(pid, int) and pid != os.getpid():
            # flock is ours, so its holder is gone: the file is a leftover.
            self.stale = previous
            warnings.warn(f"{self.folder}: took over a stale lock: PID {pid} on {previous.get('host', '?')} "
                          f"({previous.get('purpose', '?')}, started {previous.get('started', '?')}) "
                          "is gone without releasing it", stacklevel=2)
        me = {"pid": os.getpid(), "host": socket.gethostname(), "purpose": self.purpose,
              "started": time.strftime("%Y-%m-%d %H:%M:%S %z"), "command": " ".join(sys.argv)[:500]}
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps(me, ensure_ascii=False).encode("utf-8"))
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        """Empty the lock file and let go (the file stays: removing it would
        race with a process that has just opened it)."""
        if self._fd is None:
            return
        import fcntl

        try:
            os.ftruncate(self._fd, 0)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "FolderLock":
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
