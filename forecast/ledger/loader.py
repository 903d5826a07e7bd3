"""``load`` and ``validate``: the two doors into a ledger.

Severity
--------
An *error* makes a value unusable or the ledger contradict itself: a missing
table, column or required value; an unreadable file, number, date or period;
an unknown zone, project, category, metric or unit; a duplicate id or row;
negative money; ``planned_investment`` ≤ 0; dates out of order; a status that
disagrees with the dates; a project's cumulative investment falling.
A *warning* is kept and reported but the data stays usable: a statistical
office's year-to-date figure falling (a revision), a milestone missing before
a later one, a planned completion before the start.
"""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..exceptions import LedgerError, Problem
from .messages import Lang
from ..vocab import TABLES
from .aside import aside
from .checks import Step, check_ledger, early_checks
from .ledger import Ledger, empty_table, plan_zones
from .parse import from_codes
from .read import read_tables
from .rawtable import RawTable, index_of
from .tables import Typed, build
from .units import unit_problems

_CJK = re.compile(r"[\u4e00-\u9fff]")
#: Rows from which a table read early has its checks run in a forked child (:mod:`.aside`):
#: about a second of checks on a million rows, against some 50 ms to fork a large process.
ASIDE_ROWS = 500_000

#: Loader-only columns, checked and then dropped (the stage comes from dates).
CHECK_ONLY_COLUMNS = ("status",)


def _order(problems: list[Problem], typed: dict[str, Typed]) -> list[Problem]:
    """Ledger-wide problems first, then file by file in table order, by row."""
    rank = {f: i for i, t in enumerate(typed.values()) for f in (t.file, *t.parts)}
    return sorted(problems, key=lambda p: (rank.get(p.file, -1), -1 if p.row is None else p.row))


def _read(path: str | os.PathLike[str]) -> tuple[dict[str, Typed], list[Problem], Lang]:
    # A table read before the others (a workbook's, while a pool reads its other sheets) is typed
    # and checked at once, as far as it alone can be: the same work, done while waiting. A long
    # table's checks run in a forked child meanwhile, as this process types the next tables.
    early: dict[str, tuple[RawTable, Typed, list[Problem], Callable[[], dict[Step, list[Problem]]]]] = {}

    def ready(table: str, raw: RawTable) -> None:
        typed, found = build(raw)
        early[table] = raw, typed, found, aside(early_checks, typed, fork=len(typed.frame) >= ASIDE_ROWS)

    raw, problems = read_tables(path, ready)
    typed: dict[str, Typed] = {}
    done: dict[Step, list[Problem]] = {}
    for table in TABLES:
        if table in raw:
            if table in early and early[table][0] is raw[table]:
                _, typed[table], found, checked = early[table]
                done.update(checked())
            else:
                typed[table], found = build(raw[table])
            problems += found
    problems += resolve_zone_names(typed)
    problems += check_ledger(typed, done)
    for t in typed.values():
        problems += unit_problems(t)
    return typed, _order(_with_zones(problems, typed), typed), header_language(typed)


def header_language(typed: dict[str, Typed]) -> Lang:
    """``zh`` when most headers that name a column are written in Chinese, else ``en``."""
    written = [h for t in typed.values() for h in t.written.values()]
    chinese = sum(bool(_CJK.search(h)) for h in written)
    return "zh" if written and chinese * 2 >= len(written) else "en"


def _with_zones(problems: list[Problem], typed: dict[str, Typed]) -> list[Problem]:
    """Each problem of a row, with the zone the row names (progress rows: the
    zone of their project), so a zone's report can list its own exactly."""
    by_file = {f: t for t in typed.values() for f in (t.file, *t.parts)}
    projects = typed.get("projects")
    zone_of: dict = {}
    if projects is not None and {"project_id", "zone_id"} <= set(projects.frame.columns):
        zone_of = dict(zip(projects.frame["project_id"], projects.frame["zone_id"]))
    out = []
    for p in problems:
        t = by_file.get(p.file)
        i = None if p.row is None or t is None else index_of(t.parts, p.file, p.row)
        if i is None or i not in t.frame.index:
            out.append(p)
            continue
        rec = t.frame.loc[i]
        zone = rec["zone_id"] if "zone_id" in rec.index else zone_of.get(rec.get("project_id"))
        out.append(replace(p, zone_id=zone) if isinstance(zone, str) else p)
    return out


def resolve_zone_names(typed: dict[str, Typed]) -> list[Problem]:
    """Read a zone's name where its id belongs (所属园区 = 绵阳经开区 rather than
    ``mianyang``) as that zone's id, with a warning per file naming the values.

    Only exact names that are not themselves ids and belong to one zone are
    read so; anything else stays as written and fails the unknown-zone check."""
    zones = typed.get("zones")
    if zones is None or zones.frame.empty or "name" not in zones.frame:
        return []
    ids = set(zones.frame["zone_id"].dropna())
    named = zones.frame.dropna(subset=["zone_id", "name"])
    unique = named.drop_duplicates("name", keep=False)
    by_name = {n: z for n, z in zip(unique["name"], unique["zone_id"]) if n not in ids}
    problems = []
    for table in ("projects", "targets", "indicators"):
        t = typed.get(table)
        if t is None or "zone_id" not in t.codes:
            continue
        codes, values = t.codes["zone_id"]
        hit = [i for i, v in enumerate(values) if v not in ids and v in by_name]
        if not hit:
            continue
        values = values.copy()
        shown = ", ".join(f"{values[i]} → {by_name[values[i]]}" for i in hit[:5])
        for i in hit:
            values[i] = by_name[values[i]]
        # two written values may now be one id: code them again
        recode, uniq = pd.factorize(pd.Series(values, dtype=object))
        codes = np.where(codes >= 0, recode[np.maximum(codes, 0)], -1)
        t.codes["zone_id"] = (codes, np.asarray(uniq, dtype=object))
        t.frame["zone_id"] = from_codes(codes, t.codes["zone_id"][1], t.frame.index)
        problems.append(Problem(t.file, None, t.header("zone_id"), "zone named, not its id", shown,
                                f"the zone ids of {zones.file}; these names were read as their zones' ids",
                                "warning", expected_zh=f"{zones.file} 中的园区编号；这些名称已按其园区编号读取"))
    return problems


def validate(path: str | os.PathLike[str]) -> list[Problem]:
    """Every problem of the ledger at ``path``, errors and warnings, at once.

    Never raises for bad data: a missing folder, an undecodable file or a
    broken row is a :class:`~forecast.exceptions.Problem` in the list. Rows are
    numbered as a spreadsheet shows them (header = row 1) and columns named as
    written in the file.

    Examples
    --------
    >>> problems = validate("tests/data/ledgers/good")
    >>> [p for p in problems if p.severity == "error"]
    []
    """
    return _read(path)[1]


def validate_in_language(path: str | os.PathLike[str]) -> tuple[list[Problem], Lang]:
    """:func:`validate`, and the language the ledger's headers are written in (``zh`` / ``en``)."""
    _, problems, lang = _read(path)
    return problems, lang


def load(path: str | os.PathLike[str], *, strict: bool = True) -> Ledger:
    """Read, check and convert the ledger at ``path`` into a :class:`Ledger`.

    Parameters
    ----------
    path : a folder of CSV files (``zones.csv``, ``projects.csv``,
        ``progress.csv``, optional ``targets.csv``, ``indicators.csv``,
        ``plan.csv``) or one
        ``.xlsx`` workbook with a sheet per table (``projects`` or ``项目`` ...).
    strict : with ``True`` (default) any error raises :class:`LedgerError`
        carrying every problem. With ``False`` the ledger is returned anyway,
        unreadable cells blank (NaN / NaT), and every problem, errors included,
        is in ``ledger.warnings``.

    Returns
    -------
    Ledger : canonical tables (see :mod:`forecast.ledger.ledger`); warnings in
        ``ledger.warnings``.

    Examples
    --------
    >>> ledger = load("tests/data/ledgers/good")
    >>> ledger.projects["planned_investment"].dtype
    dtype('float64')
    """
    typed, problems, lang = _read(path)
    if strict and any(p.severity == "error" for p in problems):
        raise LedgerError(problems, source=str(path), lang=lang)
    frames = {}
    for table in TABLES:
        if table in typed:
            frame = typed[table].frame
        else:
            frame = empty_table(table)
        if any(c in frame for c in CHECK_ONLY_COLUMNS):  # drop copies: only when needed
            frame = frame.drop(columns=[c for c in CHECK_ONLY_COLUMNS if c in frame])
        frame.index = pd.RangeIndex(len(frame))  # no copy, unlike reset_index
        if table == "plan":  # each row's zone, from its project (a written zone_id is not read)
            frame = plan_zones(frame, frames["projects"])
        frames[table] = frame
    return Ledger(**frames, source=str(Path(path)), warnings=tuple(problems), lang=lang)

