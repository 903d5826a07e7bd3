"""Workbooks in every office habit, with random cell mutations, read in two parts and whole (imported by name).

A long ``.xlsx`` sheet is read in two parts: its first rows by python-calamine,
the rest by fastexcel (forecast.ledger.workbook, .headbook, .fastbody). That
must change nothing: :func:`compare` reads a workbook both ways and returns the
differences in ``validate()`` and ``load(strict=False)``. :func:`cases` makes the
workbooks: the sample ledger (or a fixture) in each office style, and copies
with random mutations (text among numbers, numbers among text, dates as text,
with a time of day, serials, booleans, error cells, cells beyond the header,
blank and white-space cells, 合计 rows, merged ranges below the header).

Run over many workbooks: ``.venv/bin/python tests/ledger/workbook_cases.py --n 200``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_helpers import assert_ledgers_equal  # noqa: E402
from office_style import Style, write_xlsx  # noqa: E402

import forecast.ledger.fastbody as fastbody  # noqa: E402
import forecast.ledger.workbook as workbook  # noqa: E402
from forecast.ledger import Ledger, load, validate  # noqa: E402

STYLES = [Style(), Style(title=True), Style(two_row_header=True), Style(title=True, two_row_header=True),
          Style(totals=True), Style(free_names=True), Style(merged_zone=True), Style(spaces=True),
          Style(month_only=True), Style(serial_dates=True), Style(yi_without_unit=True),
          Style(title=True, two_row_header=True, totals=True, merged_zone=True, spaces=True, month_only=True),
          Style(office=("projects", "progress"), title=True, spaces=True, totals=True)]

#: Values a mutation writes into a cell.
_ODD = ["abc", "1,234.5", " 12 ", "", "\u3000", "2024年3月", "2024/3/5", "#N/A", "合计", True, 1001.0, -5.0,
        1e-05, 45366, dt.datetime(2024, 3, 15), dt.datetime(2024, 3, 15, 9, 30), "nan", "２０２４"]


def mutate(rows: list[list[object]], merges: list[tuple[int, int, int, int]], rng: random.Random,
           first: int) -> None:
    """One random change below row ``first`` (the header's): a cell, a cell beyond the header, a merged range."""
    if len(rows) <= first + 1:
        return
    r = rng.randrange(first + 1, len(rows))
    kind = rng.random()
    if kind < 0.7:
        c = rng.randrange(len(rows[r]))
        rows[r][c] = rng.choice(_ODD)
    elif kind < 0.85:
        rows[r] = list(rows[r]) + [None] * rng.randrange(0, 2) + [rng.choice(["备注", 3.5, dt.datetime(2024, 1, 1)])]
    else:
        c = rng.randrange(len(rows[r]))
        r1 = min(len(rows) - 1, r + rng.randrange(1, 5))
        if all(not (a <= r1 and r <= b and x <= c <= y) for a, x, b, y in merges):
            merges.append((r, c, r1, c))
            for k in range(r + 1, r1 + 1):
                if c < len(rows[k]):
                    rows[k][c] = None


def write(ledger: Ledger, path: Path, style: Style, rng: random.Random | None = None, mutations: int = 0) -> Path:
    """The ledger as one .xlsx workbook in ``style``, with up to ``mutations`` random changes a sheet."""
    def edit(rows: list[list[object]], merges: list[tuple[int, int, int, int]]) -> None:
        first = next(i for i, row in enumerate(rows) if row and row[-1] is not None and i < 5)  # the header
        for _ in range(mutations if rng is not None else 0):
            if rng.random() < 0.5:
                mutate(rows, merges, rng, first)

    return write_xlsx(ledger, path, style, edit)


def cases(ledger: Ledger, folder: Path, n: int, seed: int = 0) -> Iterator[Path]:
    """``n`` workbooks: each style as it is, then styles with random mutations."""
    rng = random.Random(seed)
    for i in range(n):
        style = STYLES[i % len(STYLES)]
        mutations = 0 if i < len(STYLES) else rng.randrange(1, 40)
        yield write(ledger, folder / f"case{i:03d}.xlsx", style, rng, mutations)


def _read(path: Path, split: bool, head_rows: int) -> tuple[list, Ledger | None, str | None]:
    saved = workbook._SPLIT_SUFFIXES, workbook.HEAD_ROWS
    workbook._SPLIT_SUFFIXES = (".xlsx", ".xlsm") if split else ()
    workbook.HEAD_ROWS = head_rows
    try:
        problems = validate(path)
        try:
            return problems, load(path, strict=False), None
        except Exception as err:  # noqa: BLE001  a ledger too broken to load: both ways must say the same
            return problems, None, f"{type(err).__name__}: {err}"
    finally:
        workbook._SPLIT_SUFFIXES, workbook.HEAD_ROWS = saved


def compare(path: Path, head_rows: int) -> list[str]:
    """The differences between reading ``path`` whole and in two parts (empty: none)."""
    whole, split = _read(path, False, head_rows), _read(path, True, head_rows)
    out = []
    if whole[0] != split[0]:
        diff = next(((a, b) for a, b in zip(whole[0], split[0]) if a != b), (len(whole[0]), len(split[0])))
        out.append(f"validate differs: {diff}")
    if whole[2] != split[2]:
        out.append(f"load error differs: {whole[2]} / {split[2]}")
    if whole[1] is not None and split[1] is not None:
        try:
            assert_ledgers_equal(whole[1], split[1])
            if whole[1].warnings != split[1].warnings:
                out.append("load warnings differ")
        except AssertionError as err:
            out.append(f"load differs: {str(err)[:300]}")
    return out


class Counter:
    """How many long sheets fastexcel read and how many went to python-calamine (and why)."""

    def __init__(self) -> None:
        self.split = 0
        self.inexact: dict[str, int] = {}

    def __enter__(self) -> Counter:
        self._join = real = workbook.join_parts
        self._tail = tail = workbook._tail

        def join(*args, **kwargs):
            try:
                out = real(*args, **kwargs)
            except fastbody.Inexact as err:
                self.inexact[str(err)[:60]] = self.inexact.get(str(err)[:60], 0) + 1
                raise
            self.split += 1
            return out

        def tail_(*args, **kwargs):
            out = tail(*args, **kwargs)
            if isinstance(out, fastbody.Inexact):
                self.inexact[str(out)[:60]] = self.inexact.get(str(out)[:60], 0) + 1
            return out

        workbook.join_parts, workbook._tail = join, tail_
        return self

    def __exit__(self, *exc: object) -> None:
        workbook.join_parts, workbook._tail = self._join, self._tail


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--ledger", default=str(Path(__file__).resolve().parents[2] / "data" / "sample"))
    parser.add_argument("--zones", type=int, default=2, help="zones of the ledger kept (speed)")
    parser.add_argument("--head-rows", type=int, nargs="+", default=[30, 31, 97])
    parser.add_argument("--out", default="/tmp/workbook_cases")
    args = parser.parse_args()
    ledger = load(args.ledger)
    keep = ledger.zones["zone_id"].iloc[: args.zones]
    ids = ledger.projects.loc[ledger.projects["zone_id"].isin(keep), "project_id"]
    ledger = Ledger(ledger.zones[ledger.zones["zone_id"].isin(keep)],
                    ledger.projects[ledger.projects["project_id"].isin(ids)],
                    ledger.progress[ledger.progress["project_id"].isin(ids)],
                    ledger.targets[ledger.targets["zone_id"].isin(keep)],
                    ledger.indicators[ledger.indicators["zone_id"].isin(keep)],
                    plan=ledger.plan[ledger.plan["project_id"].isin(ids)] if not ledger.plan.empty else ledger.plan)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    bad = 0
    with Counter() as counted:
        for i, path in enumerate(cases(ledger, folder, args.n)):
            head_rows = args.head_rows[i % len(args.head_rows)]
            diffs = compare(path, head_rows)
            bad += bool(diffs)
            for d in diffs:
                print(f"{path.name} (head {head_rows}): {d}")
    print(f"{args.n} workbooks, {bad} differ; long sheets read by fastexcel: {counted.split}, "
          f"by python-calamine instead: {sum(counted.inexact.values())} {counted.inexact}")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
