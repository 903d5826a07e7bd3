"""Read ledger files as written: a folder of CSVs or one ``.xlsx`` workbook.

The reader only finds the tables, decodes them and splits off the header row;
it returns every table as a :class:`RawTable` whose frame has positional
columns and an index equal to the data row's position, so ``index + 2`` is the
row number a spreadsheet shows (the header is row 1; blank rows count).

CSV files are decoded as UTF-8 (with or without BOM), else GB18030 (a
superset of GBK); a file neither can decode is a problem, never a crash. Clean
files are parsed by pyarrow's multithreaded reader; a file whose rows do not
all have the header's width is read again by the standard ``csv`` module so
every row keeps its exact number.
"""

from __future__ import annotations

import csv
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..exceptions import Problem
from ..vocab import REQUIRED_TABLES, TABLES
from .headers import SHEET_ALIASES, normalise


@dataclass
class RawTable:
    """One table as written: headers and cells, nothing interpreted yet."""

    table: str
    #: How problems name the file: ``projects.csv`` or ``ledger.xlsx[项目]``.
    file: str
    headers: list[str]
    #: Columns ``0 .. len(headers)-1``; index = data row position (row - 2).
    frame: pd.DataFrame
    encoding: str | None = None
    problems: list[Problem] = field(default_factory=list)


def _table_of(stem: str) -> str | None:
    key = normalise(stem)
    for table in TABLES:
        if key == table or key in {normalise(a) for a in SHEET_ALIASES[table]}:
            return table
    return None


def _problem(file: str, check: str, expected: str, value: str | None = None, row: int | None = None) -> Problem:
    return Problem(file=file, row=row, column=None, check=check, value=value, expected=expected)


# --- CSV -----------------------------------------------------------------------
_BLANK_FILE = re.compile(rb"(?:\xef\xbb\xbf)?\s*\Z")

def _decode(data: bytes, file: str) -> tuple[str | None, str | None, Problem | None]:
    """(text, encoding, problem): UTF-16 when it starts with its byte-order mark
    (Excel's "Unicode text"), else UTF-8 first, GB18030 (GBK's superset) next."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError as err:
            return None, None, _problem(file, "undecodable file", "text in one encoding (UTF-8, GBK or UTF-16)",
                                        value=f"bytes at offset {err.start}")
    try:
        return data.decode("utf-8-sig"), "utf-8", None
    except UnicodeDecodeError as err:
        utf8_err = err
    try:
        return data.decode("gb18030"), "gb18030", None
    except UnicodeDecodeError:
        pass
    at = utf8_err.start
    return None, None, _problem(
        file,
        "undecodable file",
        "text encoded as UTF-8 or GBK/GB18030 (save the file as 'CSV UTF-8')",
        value=f"byte 0x{data[at]:02x} at offset {at}",
        row=data.count(b"\n", 0, at) + 1,  # the line, = the row unless a cell spans lines
    )


#: File suffixes read as delimited text (Excel saves "Unicode text" as .txt).
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")

#: Field separators a ledger may use: comma, then tab (Excel's "Unicode text"
#: and "Text (tab delimited)"), semicolon (Excel where the decimal mark is a comma).
DELIMITERS = (",", "\t", ";")


def _delimiter(text: str) -> str:
    """The separator that splits the header row into the most fields (comma on a tie)."""
    line = text[: text.find("\n")] if "\n" in text[:1 << 16] else text[:1 << 16]
    counts = [len(next(csv.reader([line], delimiter=d), [])) for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))]


def _headers(text: str, delimiter: str = ",") -> list[str]:
    # A prefix is enough for the header row and saves copying a large file.
    first = next(csv.reader(io.StringIO(text[:1 << 20]), delimiter=delimiter), [])
    return [h.strip() for h in first]


def _fast_csv(utf8: bytes, n: int, delimiter: str = ",") -> pd.DataFrame | None:
    """pyarrow's reader, every column as text; ``None`` when a row is ragged
    or a cell is larger than pyarrow's block."""
    names = [str(i) for i in range(n)]
    ragged: list[int] = []

    def on_invalid(_row: object) -> str:
        ragged.append(1)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(utf8),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                # A line break inside a cell needs quotes; without any quote pyarrow
                # may split the file at any line break and parse faster.
                newlines_in_values=b'"' in utf8, ignore_empty_lines=False, invalid_row_handler=on_invalid
            ),
            convert_options=pacsv.ConvertOptions(
                # Only an empty cell is blank: "NA" or "null" may be a name or an id.
                column_types={c: pa.string() for c in names}, strings_can_be_null=True, null_values=[""]
            ),
        )
    except pa.ArrowInvalid:
        return None  # a cell larger than pyarrow's block ("straddling object"): the slow reader copes
    if ragged:
        return None
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    frame.columns = range(n)
    return frame


def _slow_csv(text: str, n: int, file: str, delimiter: str = ",") -> tuple[pd.DataFrame, list[Problem]]:
    problems = []
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    next(reader, None)
    for i, row in enumerate(reader):
        if len(row) > n and any(cell.strip() for cell in row[n:]):
            problems.append(
                _problem(file, "extra values", f"at most {n} values, one per header", row=i + 2,
                         value=", ".join(row[n:])[:80])
            )
        # A short row (trailing empty cells left out) is padded: nothing is lost.
        rows.append((row + [""] * n)[:n])
    return pd.DataFrame(rows, columns=range(n), dtype=object), problems


def read_csv_table(path: Path, table: str) -> RawTable:
    """One CSV file as a :class:`RawTable` (problems inside, never raised)."""
    file = path.name
    empty = RawTable(table, file, [], pd.DataFrame())
    data = path.read_bytes()
    if _BLANK_FILE.match(data):
        empty.problems.append(_problem(file, "empty file", "a header row and data rows"))
        return empty
    text, encoding, problem = _decode(data, file)
    if problem is not None:
        empty.problems.append(problem)
        return empty
    sep = _delimiter(text)
    headers = _headers(text, sep)
    n = len(headers)
    utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if encoding != "utf-8":
        utf8 = text.encode("utf-8")
    del data
    frame = _fast_csv(utf8, n, sep)
    problems: list[Problem] = []
    if frame is None:
        frame, problems = _slow_csv(text, n, file, sep)
    return RawTable(table, file, headers, frame, encoding, problems)


# --- XLSX ----------------------------------------------------------------------
def read_xlsx(path: Path) -> tuple[dict[str, RawTable], list[Problem]]:
    """Every sheet of a workbook that names a table (``projects`` or ``项目``)."""
    from openpyxl import load_workbook  # only workbooks need it

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001  openpyxl raises many types for a bad file
        return {}, [_problem(path.name, "unreadable workbook", "an .xlsx file saved by Excel or WPS",
                             value=f"{type(err).__name__}: {err}")]
    tables: dict[str, RawTable] = {}
    problems: list[Problem] = []
    try:
        for ws in wb.worksheets:
            table = _table_of(ws.title)
            if table is None or table in tables:
                continue
            file = f"{path.name}[{ws.title}]"
            rows = list(ws.iter_rows(values_only=True))
            if not rows or all(v is None for v in rows[0]):
                tables[table] = RawTable(table, file, [], pd.DataFrame())
                tables[table].problems.append(_problem(file, "empty sheet", "a header row and data rows"))
                continue
            header = list(rows[0])
            while header and header[-1] is None:
                header.pop()
            n = len(header)
            raw = RawTable(table, file, ["" if h is None else str(h).strip() for h in header], pd.DataFrame())
            body = []
            for i, row in enumerate(rows[1:]):
                extra = [v for v in row[n:] if v is not None and str(v).strip()]
                if extra:
                    raw.problems.append(_problem(file, "extra values", f"at most {n} values, one per header",
                                                 row=i + 2, value=", ".join(map(str, extra))[:80]))
                body.append((list(row) + [None] * n)[:n])
            raw.frame = pd.DataFrame(body, columns=range(n), dtype=object)
            tables[table] = raw
    finally:
        wb.close()
    return tables, problems


# --- a ledger ------------------------------------------------------------------
def read_tables(path: str | os.PathLike[str]) -> tuple[dict[str, RawTable], list[Problem]]:
    """Find and read every table of the ledger at ``path``.

    Returns the tables found and the problems of the ledger as a whole
    (missing path, missing required table); each table keeps its own problems.
    """
    path = Path(path)
    problems: list[Problem] = []
    tables: dict[str, RawTable] = {}
    if path.is_file() and path.suffix.lower() in {".xlsx", ".xlsm"}:
        tables, problems = read_xlsx(path)
        where = "a sheet named {t} in " + path.name
    elif path.is_dir():
        # .csv first, so a folder holding projects.csv and an older projects.txt reads the .csv
        rank = {s: i for i, s in enumerate(TEXT_SUFFIXES)}
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in rank and p.is_file()),
                       key=lambda p: (rank[p.suffix.lower()], p.name))
        for p in files:
            table = _table_of(p.stem)
            if table is None:
                continue
            if table in tables:
                problems.append(Problem(p.name, None, None, "second file for a table", None,
                                        f"one file per table; {tables[table].file} is read and this one is not",
                                        "warning"))
                continue
            tables[table] = read_csv_table(p, table)
        where = "a file {t}.csv in " + path.name
    else:
        return {}, [_problem(str(path), "no ledger", "a folder of CSV files or an .xlsx workbook")]
    for table in REQUIRED_TABLES:
        if table not in tables:
            problems.append(_problem(f"{table}.csv" if path.is_dir() else path.name,
                                     "missing table", where.format(t=table)))
    return tables, problems
