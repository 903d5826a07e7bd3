"""A long .xlsx sheet read in two parts (first rows by python-calamine, the rest by fastexcel)
gives what reading it whole gives: every value, every problem, every message.

The long run over a couple of hundred workbooks is ``tests/ledger/workbook_cases.py``;
here a sample of it, on the small fixture with the split after row 30 (so
every table but zones is split, many just below the header).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
from pathlib import Path

import pandas as pd
import pytest
from ledger_helpers import GOOD
from openpyxl import Workbook
from workbook_cases import STYLES, Counter, compare, write

import forecast.ledger.workbook as workbook
from forecast.ledger import load
from forecast.ledger.headbook import head_workbook, scan_sheet


@pytest.fixture(scope="module")
def good():
    return load(GOOD)


@pytest.mark.parametrize("style", [STYLES[0], STYLES[3], STYLES[4], STYLES[-2], STYLES[-1]], ids=repr)
def test_each_office_style_reads_the_same_in_two_parts(good, tmp_path: Path, style) -> None:
    path = write(good, tmp_path / "l.xlsx", style)
    with Counter() as counted:
        assert compare(path, head_rows=30) == []
    assert counted.split > 0  # the two-part path was taken


@pytest.mark.parametrize("seed", range(4))
def test_mutated_workbooks_read_the_same_in_two_parts(good, tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    path = write(good, tmp_path / "l.xlsx", STYLES[seed % len(STYLES)], rng, mutations=30)
    assert compare(path, head_rows=30 + seed % 2) == []


def _long(path: Path, cells: dict[tuple[int, int], object], merges: tuple[str, ...] = ()) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "进度"
    ws.append(["项目编号", "月份", "本月完成投资(万元)", "本月产值(万元)"])
    for i in range(60):
        ws.append([f"P{i % 12:02d}", f"2024-{1 + i // 12:02d}", float(i), ""])
    for (r, c), v in cells.items():
        ws.cell(r, c, v)
    for m in merges:
        ws.merge_cells(m)
    wb.save(path)
    return path


def test_head_workbook_keeps_the_first_rows_and_the_merges_are_read_from_the_tail(tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    path = _long(tmp_path / "l.xlsx", {}, ("A41:A44",))
    head, cut, null_text = head_workbook(path, 30)
    assert list(cut) == ["进度"]
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(head)).get_sheet_by_name("进度")
    rows = sheet.to_python(skip_empty_area=False)
    whole = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("进度").to_python(skip_empty_area=False)
    assert rows == whole[:30] and len(whole) == 61
    assert scan_sheet(path, cut["进度"]) == ([((40, 0), (43, 0))], False) and not null_text
    assert head_workbook(path, 100)[1] == {}  # nothing cut: the sheet is read whole


@pytest.mark.parametrize("cells, why", [
    ({(50, 3): "abc"}, "UnsupportedColumnTypeCombinationError"),  # text among numbers
    ({(50, 3): "N/A"}, "reads as an empty cell"),  # fastexcel would read it as no value (the loader: an error)
    ({(50, 3): "nan"}, "reads as an empty cell"),
    ({(20, 4): 1.5, (50, 4): "nan"}, "reads as an empty cell"),
    ({(50, 5): dt.datetime(2024, 3, 1, 9, 30), (51, 5): dt.datetime(2024, 3, 2, 0, 0)}, "time of day"),
    ({(20, 1): "P99"}, None),  # merged from the first rows into the rest: python-calamine reads it
], ids=["mixed", "N/A", "nan", "nan-head", "time", "merged"])
def test_what_fastexcel_cannot_give_exactly_is_read_whole(tmp_path: Path, cells, why) -> None:
    merges = ("A20:A40",) if why is None else ()
    path = _long(tmp_path / "l.xlsx", cells, merges)
    with Counter() as counted:
        assert compare(path, head_rows=30) == []
    reasons = " ".join(counted.inexact)
    assert (why or "merged range across") in reasons


def test_long_sheets_read_by_two_processes_as_in_one(good, tmp_path: Path, monkeypatch) -> None:
    path = write(good, tmp_path / "l.xlsx", STYLES[-1], random.Random(7), mutations=10)
    in_process = compare(path, head_rows=30)
    monkeypatch.setattr(workbook, "POOL_BYTES", 0)
    assert in_process == [] and compare(path, head_rows=30) == []


def test_a_shared_string_fastexcel_reads_as_empty_sends_the_workbook_to_python_calamine(tmp_path: Path) -> None:
    import zipfile

    from forecast.ledger.headbook import has_null_text

    assert has_null_text(b"<si><t>NA</t></si>") and has_null_text(b'<si><t xml:space="preserve"> </t></si>')
    assert not has_null_text(b"<si><t>NAB</t></si><c><v>12</v></c>")
    path = _long(tmp_path / "l.xlsx", {})
    with zipfile.ZipFile(path, "a") as z:  # openpyxl writes inline strings; Excel a shared table
        z.writestr("xl/sharedStrings.xml", b'<sst xmlns="x"><si><t>N/A</t></si></sst>')
    assert head_workbook(path, 30)[2] is True
    with Counter() as counted:
        assert compare(path, head_rows=30) == []
    assert counted.split == 0  # read whole


def _load_into(path: Path, queue) -> None:
    try:
        queue.put(("read", load(path, strict=False)))
    except Exception as err:  # noqa: BLE001  sent back to the test
        queue.put(("failed", f"{type(err).__name__}: {err}"))


def test_a_daemonic_process_reads_long_sheets_itself(good, tmp_path: Path, monkeypatch) -> None:
    """A pool's or Dask's worker may not start processes: it reads the long sheets in-process."""
    import multiprocessing

    from ledger_helpers import assert_ledgers_equal

    path = write(good, tmp_path / "l.xlsx", STYLES[-1])
    monkeypatch.setattr(workbook, "HEAD_ROWS", 10)  # three long sheets
    monkeypatch.setattr(workbook, "POOL_BYTES", 0)  # a pool, were the process allowed one
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_load_into, args=(path, queue), daemon=True)
    child.start()
    how, got = queue.get(timeout=300)
    child.join()
    assert how == "read", got
    expected = load(path, strict=False)  # here, by a pool
    assert_ledgers_equal(got, expected)
    assert got.warnings == expected.warnings


def _lost(*args: object, **kwargs: object) -> None:
    os._exit(3)  # a pool worker killed (out of memory, a signal) while reading a sheet


def test_a_pool_worker_lost_sends_its_sheets_to_python_calamine(good, tmp_path: Path, monkeypatch) -> None:
    path = write(good, tmp_path / "l.xlsx", STYLES[0])
    monkeypatch.setattr(workbook, "POOL_BYTES", 0)
    with Counter() as counted:  # (its own _tail cannot reach a worker: _lost's is sent, by name)
        monkeypatch.setattr(workbook, "_tail", _lost)
        # three long sheets (_lost in-process would end this process): each read whole by python-calamine
        assert compare(path, head_rows=10) == []
    assert counted.split == 0


def test_tables_typed_as_their_sheets_come_are_the_ones_returned(good, tmp_path: Path, monkeypatch) -> None:
    """The loader types a table as soon as its sheets are read (a pool reads the rest meanwhile):
    each table is passed on once, complete, and is the very one returned."""
    from forecast.ledger.read import read_tables

    path = write(good, tmp_path / "l.xlsx", STYLES[-1], random.Random(3), mutations=10)
    monkeypatch.setattr(workbook, "HEAD_ROWS", 10)  # three long sheets
    monkeypatch.setattr(workbook, "POOL_BYTES", 0)
    told: list[tuple[str, object]] = []
    raw, problems = read_tables(path, lambda table, r: told.append((table, r)))
    assert sorted(t for t, _ in told) == sorted(raw)  # each once
    assert all(raw[t] is r for t, r in told)
    monkeypatch.setattr(workbook, "_SPLIT_SUFFIXES", ())  # read whole: the same tables
    whole, whole_problems = read_tables(path)
    assert whole.keys() == raw.keys() and whole_problems == problems
    for t in raw:
        pd.testing.assert_frame_equal(raw[t].frame, whole[t].frame)


def test_checks_run_in_a_forked_child_find_the_same_problems(good, tmp_path: Path, monkeypatch) -> None:
    import forecast.ledger.loader as loader

    path = write(good, tmp_path / "l.xlsx", STYLES[4], random.Random(5), mutations=30)
    monkeypatch.setattr(workbook, "POOL_BYTES", 0)
    monkeypatch.setattr(loader, "ASIDE_ROWS", 0)  # every table read early is checked in a child
    assert compare(path, head_rows=10) == []


def test_the_scan_finds_merges_and_null_texts_across_its_chunks(tmp_path: Path, monkeypatch) -> None:
    """scan_sheet reads the XML in chunks: a text across two of them, merged ranges longer than one."""
    import forecast.ledger.headbook as headbook

    merges = tuple(f"D{r}:D{r + 1}" for r in range(3, 61, 2))
    path = _long(tmp_path / "l.xlsx", {(40, 3): " "}, merges)
    ranges = [((r - 1, 3), (r, 3)) for r in range(3, 61, 2)]
    cut = head_workbook(path, 30)[1]["进度"]

    def scanned(book: Path) -> tuple[list, bool]:
        found, null_text = scan_sheet(book, cut)
        return sorted(found), null_text  # in the file's order, which openpyxl does not keep

    assert scanned(path) == (ranges, True)
    plain = _long(tmp_path / "plain.xlsx", {}, merges)
    monkeypatch.setattr(headbook, "_SEAM", 24)
    for size in range(200, 1400, 37):  # the seams fall everywhere; the merged ranges span several chunks
        monkeypatch.setattr(headbook, "_SCAN", size)
        assert scanned(path) == (ranges, True), size
        assert scanned(plain) == (ranges, False), size
