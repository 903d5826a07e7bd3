"""Atomic file writes: a reader sees the old file or the whole new one, never half.

Every file `forecast` writes goes through here: a temporary file in the same
folder (so ``os.replace`` stays on one file system and is atomic), made readable
like any file the user creates (``mkstemp`` would leave it owner-only), then
moved into place.
"""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


def _umask() -> int:
    # Reading the umask requires setting it; put it straight back.
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``target``, moved onto it when the block succeeds.

    If the block raises, ``target`` is untouched and the temporary file removed.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "x.txt"
    >>> with atomic_path(out) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> out.read_text()
    'hello'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` (text is UTF-8 encoded) to ``path`` atomically; return the path."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if not isinstance(raw, bytes):
        raise TypeError(f"atomic_write takes bytes or str, not {type(data).__name__}")
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
    return Path(path)


#: Environment variable naming the folder of forecast's caches (default:
#: ``$XDG_CACHE_HOME/forecast`` or ``~/.cache/forecast``).
CACHE_ENV = "FORECAST_CACHE_DIR"


def cache_dir() -> Path:
    """Folder of forecast's caches (:data:`CACHE_ENV`, else the user cache)."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(root) / "forecast"
