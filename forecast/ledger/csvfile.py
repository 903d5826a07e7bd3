"""CSV files of a ledger: decoded, the header found, the cells read as text.

Files are decoded as UTF-8 (with or without BOM), else GB18030 (a superset of
GBK), or UTF-16 with its byte-order mark; a file none can decode is a problem,
never a crash. The header is found among the first rows (:mod:`.grid`): title
lines above it are skipped. Clean files are parsed by pyarrow's multithreaded
reader; a file whose rows do not all have the header's width (a blank line, a
ragged row) is read again by the standard ``csv`` module so every row keeps
its exact number.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from ..exceptions import Problem
from .grid import SCAN_ROWS, find_header, not_read, skipped_above, table_of_name
from .rawtable import RawTable, extra_values, problem as _problem


_BLANK_FILE = re.compile(rb"(?:\xef\xbb\xbf)?\s*\Z")

def decode_text(data: bytes, file: str) -> tuple[str | None, str | None, Problem | None]:
    """(text, encoding, problem): UTF-16 when it starts with its byte-order mark
    (Excel's "Unicode text"), else UTF-8 first, GB18030 (GBK's superset) next.
    Public: ``publish.mail`` reads recipients files with it and :func:`sniff_delimiter`."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16", None
        except UnicodeDecodeError as err:
            return None, None, _problem(file, "undecodable file", "text in one encoding (UTF-8, GBK or UTF-16)",
                                        zh="同一种编码的文本（UTF-8、GBK 或 UTF-16）",
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
        zh="UTF-8 或 GBK/GB18030 编码的文本（另存为“CSV UTF-8”）",
        value=f"byte 0x{data[at]:02x} at offset {at}",
        row=data.count(b"\n", 0, at) + 1,  # the line, = the row unless a cell spans lines
    )


#: File suffixes read as delimited text (Excel saves "Unicode text" as .txt).
TEXT_SUFFIXES = (".csv", ".tsv", ".txt")

#: Field separators a ledger may use: comma, then tab (Excel's "Unicode text"
#: and "Text (tab delimited)"), semicolon (Excel where the decimal mark is a comma).
DELIMITERS = (",", "\t", ";")


def sniff_delimiter(text: str) -> str:
    """The separator that splits a line of the file's start into the most fields
    (comma on a tie): a title line above the header may have one field only."""
    head = text[: 1 << 16].splitlines()[:SCAN_ROWS]
    counts = [max((len(next(csv.reader([line], delimiter=d), [])) for line in head), default=0)
              for d in DELIMITERS]
    return DELIMITERS[counts.index(max(counts))]


def _first_rows(text: str, delimiter: str) -> list[list[str]]:
    # A prefix is enough for the header row and saves copying a large file.
    return list(itertools.islice(csv.reader(io.StringIO(text[:1 << 20]), delimiter=delimiter), SCAN_ROWS))


def _fast_csv(utf8: bytes, n: int, delimiter: str, skip: int) -> pd.DataFrame | None:
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
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=skip, block_size=1 << 24),
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


def _slow_csv(text: str, n: int, file: str, delimiter: str, skip: int) -> tuple[pd.DataFrame, list[Problem]]:
    problems = []
    rows = []
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for _ in range(skip):
        next(reader, None)
    for i, row in enumerate(reader):
        if len(row) > n and any(cell.strip() for cell in row[n:]):
            problems.append(extra_values(file, i + skip + 1, n, row[n:]))
        # A short row (trailing empty cells left out) is padded: nothing is lost.
        rows.append((row + [""] * n)[:n])
    return pd.DataFrame(rows, columns=range(n), dtype=object), problems


def read_csv_table(path: Path) -> tuple[RawTable | None, list[Problem]]:
    """One CSV file as a :class:`RawTable`, or ``None`` (with an info) when it holds no table.

    The table is the one the header's columns name (the file name breaks ties);
    problems are inside the table, never raised.
    """
    file = path.name
    hint = table_of_name(path.stem)
    empty = RawTable(hint or "", file, [], pd.DataFrame())
    data = path.read_bytes()
    if _BLANK_FILE.match(data):
        if hint is None:
            return None, []
        empty.problems.append(_problem(file, "empty file", "a header row and data rows", zh="表头行和数据行"))
        return empty, []
    text, encoding, problem = decode_text(data, file)
    if problem is not None:
        if hint is None:
            return None, [problem]
        empty.problems.append(problem)
        return empty, []
    sep = sniff_delimiter(text)
    first = _first_rows(text, sep)
    header, closest = find_header(first, hint)
    if header is None:
        return None, [not_read(file, closest)]
    n = len(header.headers)
    utf8 = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    if encoding != "utf-8":
        utf8 = text.encode("utf-8")
    del data
    skip = header.row + 1
    frame = _fast_csv(utf8, n, sep, skip)
    problems = skipped_above(file, first, header)
    if frame is None:
        frame, found = _slow_csv(text, n, file, sep, skip)
        problems += found
    # index = spreadsheet row - 2: the first data row is row header.row + 2
    frame.index = pd.RangeIndex(header.row, header.row + len(frame))
    return RawTable(header.table, file, header.headers, frame, encoding, problems), []
