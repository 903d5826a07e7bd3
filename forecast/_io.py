"""Atomic file writes: a reader sees the old file or the whole new one, never half.

Every file `forecast` writes goes through here: a temporary file in the same
folder (so ``os.replace`` stays on one file system and is atomic), made readable
like any file the user creates (``mkstemp`` would leave it owner-only), then
moved into place.

Text cells bound for a spreadsheet (CSV, Excel) pass through :func:`neutralise`.
"""

from __future__ import annotations

import os
import re
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

if TYPE_CHECKING:
    import pandas as pd


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


# --- spreadsheet cells ---------------------------------------------------------------
#: First characters that make Excel, LibreOffice or Google Sheets read a cell as a
#: formula (or, for tab and CR, shift it into one): OWASP's "CSV injection" list.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value: Any) -> Any:
    """A text cell made safe for a spreadsheet; anything else returned as is.

    Ledger strings are data: a name like ``=HYPERLINK(...)`` or ``@SUM(...)``
    written verbatim into a CSV or workbook runs as a formula when the file is
    opened. Text starting with one of :data:`FORMULA_STARTS` gets a leading
    apostrophe (OWASP's advice; spreadsheets show the text, not a formula).
    Numbers stay numbers, and so does text that is a plain number (``-5``,
    ``+3.2``): a spreadsheet reads it as that number, never as a formula.

    >>> neutralise("=1+1"), neutralise("-5"), neutralise(-5), neutralise("园区")
    ("'=1+1", '-5', -5, '园区')
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralise_frame(frame: "pd.DataFrame") -> "pd.DataFrame":
    """A copy of ``frame`` with :func:`neutralise` applied to its text cells."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("string", "str"):
            out[col] = out[col].map(neutralise, na_action="ignore")
    return out


# --- output folders ----------------------------------------------------------------
def check_writable(folder: str | os.PathLike[str]) -> Path:
    """Create ``folder`` if needed and prove a file can be written in it.

    Called before any fitting, so a read-only or mistyped output folder fails
    in a second with its name, not after minutes of computing.

    Raises
    ------
    ForecastError
        Naming the folder and the reason (read-only, a file in the way, no space).
    """
    from .exceptions import ForecastError

    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".write-test.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as err:
        why = err.strerror or type(err).__name__
        # Name what is in the way (a file where a folder should be), not our probe.
        where = err.filename if err.filename and folder not in (Path(err.filename), Path(err.filename).parent) \
            else None
        raise ForecastError(f"cannot write to the output folder {folder}: {why}"
                            + (f" ({where})" if where else "")) from err
    return folder


def remove_stale_temps(folder: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files :func:`atomic_path` leaves when its process is
    killed (``.<name>.<random>.tmp``), in ``folder`` and its subfolders.

    Only call it while holding the folder's lock: another writer's temporary
    files are not stale.
    """
    removed = []
    for tmp in Path(folder).rglob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)
            removed.append(tmp)
    return removed


def check_writable_file(path: str | os.PathLike[str]) -> Path:
    """:func:`check_writable` for the folder of ``path``, which must not be a folder itself."""
    from .exceptions import ForecastError

    path = Path(path)
    if path.is_dir():
        raise ForecastError(f"cannot write {path}: it is a folder; give a file name")
    check_writable(path.parent if str(path.parent) else Path("."))
    return path


def append_line(path: str | os.PathLike[str], line: bytes) -> None:
    """Append one record to a log file durably: one ``write`` in append mode, then
    ``fsync``. A crash leaves at most a last line cut short (readers skip it);
    the next record then starts on a fresh line."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    line = line if line.endswith(b"\n") else line + b"\n"
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)
