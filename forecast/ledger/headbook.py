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
``</sheetData>`` (:func:`merged_ranges`), which needs the whole stream
decompressed but not parsed.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import IO
from xml.etree import ElementTree

from openpyxl.utils.cell import range_boundaries

#: A row element's start tag (``<row ...>`` or ``<x:row ...>``; not ``<rowBreaks>``).
_ROW = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?)row[\s>/]")
_ROW_NUMBER = re.compile(rb'\sr="(\d+)"')
_DIMENSION = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*/>")
_SHEET_DATA_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?sheetData>")
_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s[^>]*?ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_CHUNK = 1 << 20
#: Bytes kept unscanned at the end of the buffer, so that a tag is never split.
_MARGIN = 4096


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


def head_workbook(path: Path, rows: int) -> tuple[bytes, dict[str, str]]:
    """The workbook with every sheet cut after ``rows`` rows, and the sheets cut (name -> XML member).

    The copy is stored uncompressed: it is read once, from memory.
    """
    out = io.BytesIO()
    cut: set[str] = set()
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
            copy.writestr(info.filename, data)
    return out.getvalue(), {name: member for name, member in sheets.items() if member in cut}


def merged_ranges(path: Path, member: str) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The merged ranges of a sheet, ``((row, col), (row, col))`` 0-based as python-calamine gives them."""
    tail = bytearray()
    with zipfile.ZipFile(path) as book, book.open(member) as stream:
        found = False
        while chunk := stream.read(_CHUNK):
            tail += chunk
            if not found:
                m = _SHEET_DATA_END.search(tail)
                if m is None:
                    del tail[: max(0, len(tail) - 64)]  # keep enough to find a tag split between chunks
                    continue
                del tail[: m.end()]
                found = True
    out = []
    for m in _MERGE.finditer(tail):
        c0, r0, c1, r1 = range_boundaries(m.group(1).decode())
        out.append(((r0 - 1, c0 - 1), (r1 - 1, c1 - 1)))
    return out
