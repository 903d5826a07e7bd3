"""Write a ``Ledger`` as canonical files: a folder of CSVs or one workbook.

Canonical headers, ISO dates, UTF-8 (no BOM), money in 万元. Progress and
indicators are written with their ``period`` text only: ``freq``,
``period_end`` and ``quarter`` are derived again on load. Every file is written
to a temporary file in the same folder and moved into place with
``os.replace``, so a reader never sees half a file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

from .._io import atomic_path
from ..exceptions import ForecastError
from ..vocab import TABLES
from .ledger import Ledger

#: Columns derived on load (from ``period``; a plan row's zone from its project), never written.
DERIVED_COLUMNS = {
    "progress": ("freq", "period_end", "quarter"),
    "indicators": ("freq", "period_end", "quarter"),
    "plan": ("zone_id",),
}
#: Optional tables written only when they have rows (or a file of theirs is already there).
WRITTEN_WHEN_FILLED = ("plan",)
_XLSX_MAX_ROWS = 1_048_575  # Excel's sheet limit, minus the header row


def canonical_frames(ledger: Ledger) -> dict[str, pd.DataFrame]:
    """The tables as they are written: derived columns dropped, dates as dates."""
    frames = {}
    for table in TABLES:
        df = getattr(ledger, table)
        frames[table] = df.drop(columns=[c for c in DERIVED_COLUMNS.get(table, ()) if c in df])
    return frames


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """One table as UTF-8 CSV with ISO dates; blank cells empty, floats exact.

    pandas' writer, not pyarrow's: pyarrow's is about 3x faster on millions of
    rows but quotes every text cell and spells floats differently, and the
    committed sample ledger (tests/test_sample.py) pins these bytes.
    """
    df.to_csv(path, index=False, encoding="utf-8", date_format="%Y-%m-%d", lineterminator="\n")


def save(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    fmt: Literal["csv", "xlsx"] = "csv",
) -> Path:
    """Write ``ledger`` to ``path`` so that ``load(path)`` gives it back.

    Parameters
    ----------
    ledger : the ledger to write.
    path : a folder for ``fmt="csv"`` (one ``<table>.csv`` per table, created if
        missing; other files in it are left alone), a ``.xlsx`` file for
        ``fmt="xlsx"`` (one sheet per table).
    fmt : ``"csv"`` or ``"xlsx"``.

    Returns
    -------
    Path : the folder or workbook written.

    Examples
    --------
    >>> from forecast.ledger import load, save
    >>> out = save(ledger, "out/ledger")            # doctest: +SKIP
    >>> load(out).projects.equals(ledger.projects)  # doctest: +SKIP
    True
    """
    path = Path(path)
    frames = canonical_frames(ledger)
    if fmt == "csv":
        path.mkdir(parents=True, exist_ok=True)
        for table, df in frames.items():
            if table in WRITTEN_WHEN_FILLED and df.empty and not (path / f"{table}.csv").exists():
                continue
            with atomic_path(path / f"{table}.csv") as tmp:
                write_csv(df, tmp)
        return path
    if fmt == "xlsx":
        too_long = {t: len(df) for t, df in frames.items() if len(df) > _XLSX_MAX_ROWS}
        if too_long:
            raise ForecastError(
                f"An Excel sheet holds at most {_XLSX_MAX_ROWS:,} rows; "
                f"{', '.join(f'{t} has {n:,}' for t, n in too_long.items())}. Save as fmt='csv'."
            )
        with atomic_path(path) as tmp:
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                for table, df in frames.items():
                    if table in WRITTEN_WHEN_FILLED and df.empty:
                        continue
                    df.to_excel(writer, sheet_name=table, index=False)
        return path
    raise ForecastError(f"fmt must be 'csv' or 'xlsx'. Got: {fmt!r}")
