"""The first rows of every sheet of an ``.xlsx`` workbook, as a small workbook of their own.

A sheet's header is found among its first rows (:mod:`.grid`), and every
message about those rows shows the cells as python-calamine reads them. On a
large sheet, reading those few rows with python-calamine would still parse the
whole sheet (calamine has no way to stop early), and the rest of the sheet is
then parsed again by fastexcel (:mod:`.fastbody`). So the workbook is copied
with each sheet's XML cut after its first rows: python-calamine reads the copy
in milliseconds and gives exactly the cells it would give for those rows of the
original. Only ``<row>`` elements are counted and cut (cell text cannot hold a
raw ``<``), and the cut sheet is closed with the tags that it opened; its
``<dimension>`` (the size of the whole sheet) is dropped.

The merged ranges of a cut sheet are read from the part of its XML after
``</sheetData>`` (:func:`scan_sheet`), which needs the whole stream
decompressed but not parsed. The same pass looks for the texts fastexcel reads
as an empty cell in a column of numbers or dates (``NA``, ``nan``, ``N/A``,
``null``, white space...: pandas' missing-value markers), where python-calamine
gives the text and the loader reports it: a sheet holding one is read by
python-calamine (:data:`NULL_TEXT`).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

import numpy as np

#: A row element's start tag (``<row ...>`` or ``<x:row ...>``; not ``<rowBreaks>``).
_ROW = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)row[\s>/]")
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*/>")
_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_CHUNK = 1 << 20
#: Texts fastexcel 0.21 reads as no value in a column it types as numbers, dates or
#: booleans (measured: pandas' default missing-value strings, and white space
#: only), as the text of a string item (``<t>``) or of a formula's cached value (``<v>``).
_NULL_STRINGS = ("nan", "NaN", "-nan", "-NaN", "null", "NULL", "None", "NA", "N/A", "#N/A", "#N/A N/A", "#NA",
                 "n/a", "1.#QNAN", "-1.#QNAN", "1.#IND", "-1.#IND", "&lt;NA&gt;")
NULL_TEXT = (r">(?:" + "|".join(re.escape(t) for t in _NULL_STRINGS)
             + r"|[ \t\r\n]*)</(?:[A-Za-z_][\w.-]*:)?[tv]>")
#: Decompressed bytes searched for :data:`NULL_TEXT` at a time (Arrow's RE2: linear, no Python per match).
_SCAN = 1 << 24
#: Bytes kept unscanned at the end of the buffer, so that a tag is never split.
_MARGIN = 4096
#: Bytes either side of the seam between two scanned chunks searched again: a text that
#: :data:`NULL_TEXT` matches across it (white space only, up to this long) is found.
_SEAM = 1 << 16


def _relations(book: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name -> its XML member, from ``xl/workbook.xml`` and its relations."""
    def local(tag: str) -> str:
        return tag.rsplit("}", 1)[-1]

    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = {r.get("Id"): r.get("Target", "") for r in rels if local(r.tag) == "Relationship"}
    out = {}
    for el in ElementTree.fromstring(book.read("xl/workbook.xml")).iter():
        if local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if local(k) == "id"), None)
        t = target.get(rid, "")
        out[el.get("name", "")] = t.lstrip("/") if t.startswith("/") else "xl/" + t
    return out


def _cut(stream: IO[bytes], rows: int) -> tuple[bytes, bool]:
    """The sheet XML without its rows after the first ``rows``; whether any was cut."""
    data = bytearray()
    pos, seen = 0, 0
    while True:
        chunk = stream.read(_CHUNK)
        data += chunk
        end = len(data) - _MARGIN if chunk else len(data)
        for m in _ROW.finditer(data, pos, max(end, pos)):
            close = data.find(b">", m.end() - 1)
            number = _ROW_NUMBER.search(data, m.start(), close)
            seen = int(number.group(1)) if number else seen + 1  # r="" is optional: rows then count
            if seen > rows:
                prefix = m.group(1)
                head = _DIMENSION.sub(b"", bytes(data[: m.start()]))
                return head + b"</" + prefix + b"sheetData></" + prefix + b"worksheet>", True
            pos = m.end()
        if not chunk:
            return bytes(data), False
        pos = max(pos, end)


def has_null_text(data: bytes | bytearray | memoryview) -> bool:
    """Whether XML bytes hold a text :data:`NULL_TEXT` matches (RE2 through Arrow, fast on large buffers;
    the bytes are not copied)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    offsets = pa.py_buffer(np.array([0, len(data)], np.int64))
    cells = pa.LargeBinaryArray.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    return bool(pc.any(pc.match_substring_regex(cells, NULL_TEXT)).as_py())


def head_workbook(path: Path, rows: int) -> tuple[bytes, dict[str, str], bool]:
    """The workbook with every sheet cut after ``rows`` rows, the sheets cut (name -> XML member),
    and whether its shared strings hold a :data:`NULL_TEXT`.

    The copy is stored uncompressed: it is read once, from memory.
    """
    out = io.BytesIO()
    cut: set[str] = set()
    null_text = False
    with zipfile.ZipFile(path) as book, zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as copy:
        sheets = _relations(book)
        members = set(sheets.values())
        for info in book.infolist():
            if info.filename in members:
                with book.open(info) as stream:
                    data, was_cut = _cut(stream, rows)
                if was_cut:
                    cut.add(info.filename)
            else:
                data = book.read(info)
                if info.filename.lower().endswith("sharedstrings.xml"):
                    null_text = has_null_text(data)
            copy.writestr(info.filename, data)
    return out.getvalue(), {name: member for name, member in sheets.items() if member in cut}, null_text


def _closing_sheet_data(data: bytes) -> int:
    """Where the last ``sheetData>`` of ``data`` that closes the element starts (-1: none)."""
    end = data.rfind(b"sheetData>")
    while end > 0:
        lt = data.rfind(b"<", 0, end)
        if data[lt + 1: lt + 2] == b"/":
            return end
        end = data.rfind(b"sheetData>", 0, end)  # the opening tag
    return -1


def scan_sheet(path: Path, member: str) -> tuple[list[tuple[tuple[int, int], tuple[int, int]]], bool]:
    """A sheet's merged ranges, ``((row, col), (row, col))`` 0-based as python-calamine gives them,
    and whether its XML holds a :data:`NULL_TEXT` (an inline string or a formula's text).

    One pass over the decompressed XML, chunk by chunk, nothing copied but the seams
    between chunks (:data:`_SEAM` bytes either side); the merged ranges follow
    ``</sheetData>``, found in the last two chunks (or, when they hold more than
    that, by a second pass).
    """
    null_text = False
    before, last, seen = b"", b"", 0
    with zipfile.ZipFile(path) as book, book.open(member) as stream:
        if getattr(stream, "_expected_crc", None) is not None:
            stream._expected_crc = None  # no CRC of 175 MB here: fastexcel reads (and checks) the same bytes
        while chunk := stream.read(_SCAN):
            if not null_text:
                null_text = has_null_text(last[-_SEAM:] + chunk[:_SEAM]) or has_null_text(chunk)
            before, last, seen = last, chunk, seen + len(chunk)
    tail = before + last
    end = _closing_sheet_data(tail)
    if end < 0 and seen > len(tail):  # merged ranges longer than a chunk: read again
        tail = _after_sheet_data(path, member)
    else:
        tail = tail[end:] if end >= 0 else b""
    return _merges(tail), null_text


def _after_sheet_data(path: Path, member: str) -> bytes:
    """The sheet's XML from its closing ``sheetData>`` on (empty: none)."""
    kept = bytearray()
    with zipfile.ZipFile(path) as book, book.open(member) as stream:
        while chunk := stream.read(_SCAN):
            kept += chunk
            end = _closing_sheet_data(kept)
            if end >= 0:
                return bytes(kept[end:]) + stream.read()
            del kept[: max(0, len(kept) - 64)]  # keep enough to find a tag split between chunks
    return b""


def _merges(tail: bytes) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    out = []
    if _MERGE.search(tail):
        from openpyxl.utils.cell import range_boundaries  # openpyxl's import is slow: only when there are merges
    for m in _MERGE.finditer(tail):
        c0, r0, c1, r1 = range_boundaries(m.group(1).decode())
        out.append(((r0 - 1, c0 - 1), (r1 - 1, c1 - 1)))
    return out
