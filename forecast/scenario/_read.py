"""Reading a scenario file and checking a scenario against a ledger (``forecast.scenario``).

Every problem is collected and reported at once, each naming the file, the row
a spreadsheet shows (header = row 1), the column as written, the value and
what was expected. Rows that add a project are typed and checked by the
ledger's own projects table code, so they accept what a ledger accepts
(Chinese headers, 亿元 in a header, dates as offices write them).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import Problem
from ..ledger.headers import normalise
from ..ledger.parse import parse_date, parse_number
from ..periods import quarter_end
from ._rules import _ALLOWED, _STAGES_FOR, ACTION_ALIASES, ACTIONS, HEADERS, MAX_DELAY, BoundScenario, ScenarioError


def _read_raw(path: Path) -> tuple[list[str], pd.DataFrame, list[Problem]]:
    """Headers and cells (text or Excel values) of a CSV or the first sheet of a workbook."""
    file = path.name
    if not path.is_file():
        return [], pd.DataFrame(), [Problem(file, None, None, "file not found", str(path),
                                            "a .csv, .xlsx or .xls scenario file")]
    ext = path.suffix.lower()
    try:
        if ext in (".xlsx", ".xlsm", ".xls", ".ods"):
            frame = pd.read_excel(path, header=None, dtype=object, sheet_name=0)
        elif ext in (".csv", ".txt", ".tsv"):
            data = path.read_bytes()
            for enc in ("utf-8-sig", "gb18030"):
                try:
                    text = data.decode(enc)
                    break
                except UnicodeDecodeError:
                    continue
            else:
                return [], pd.DataFrame(), [Problem(file, None, None, "cannot decode", None,
                                                    "text in UTF-8 or GBK")]
            import io

            sep = "\t" if ext == ".tsv" else None
            frame = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False,
                                sep=sep, engine="python")
        else:
            return [], pd.DataFrame(), [Problem(file, None, None, "unknown file type", ext,
                                                "a .csv or .xlsx scenario file")]
    except Exception as err:  # noqa: BLE001 - any reader failure is reported as a problem
        return [], pd.DataFrame(), [Problem(file, None, None, "unreadable file", str(err)[:200],
                                            "a .csv or .xlsx scenario file")]
    if frame.empty:
        return [], frame, [Problem(file, None, None, "empty file", None, "a header row and change rows")]
    headers = ["" if pd.isna(h) else str(h).strip() for h in frame.iloc[0]]
    body = frame.iloc[1:]
    body.index = pd.RangeIndex(len(body))
    body.columns = range(len(headers))
    return headers, body, []


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, float) and np.isnan(v)) or (isinstance(v, str) and not v.strip())


def read_scenario(path: Path) -> tuple[pd.DataFrame, pd.DataFrame, list[Problem]]:
    """``(changes, added, problems)`` of a scenario file (see :meth:`Scenario.read`)."""

    file = path.name
    headers, body, problems = _read_raw(path)
    empty = pd.DataFrame(columns=["project_id", "action", "value", "row"])
    if problems:
        return empty, pd.DataFrame(), problems
    where: dict[str, int] = {}
    for col, names in HEADERS.items():
        want = {normalise(n) for n in names}
        hits = [i for i, h in enumerate(headers) if normalise(h) in want]
        if not hits:
            problems.append(Problem(file, None, col, "missing column", None,
                                    f"a column '{col}' ({' / '.join(names[1:])})"))
        else:
            where[col] = hits[0]
    if problems:
        return empty, pd.DataFrame(), problems
    body = body.loc[~body.apply(lambda r: all(_blank(v) for v in r), axis=1)]
    rows = []
    for i, cells in body.iterrows():
        row = int(i) + 2
        pid, act, val = (cells[where[c]] for c in ("project_id", "action", "value"))
        def bad(col: str, check: str, value: Any, expected: str) -> None:
            problems.append(Problem(file, row, headers[where[col]], check,
                                    None if _blank(value) else str(value), expected))
        if _blank(pid):
            bad("project_id", "missing value", pid, "a project id")
            continue
        key = ACTION_ALIASES.get(str(act).strip(), str(act).strip().lower()) if not _blank(act) else ""
        if key not in ACTIONS:
            bad("action", "unknown action", act, "one of " + ", ".join(ACTIONS)
                + " (" + " / ".join(ACTION_ALIASES) + ")")
            continue
        value: Any = None
        if key == "delay":
            num, nbad = parse_number(pd.Series([val], dtype=object))
            q = num.iloc[0]
            if nbad[0] or pd.isna(q) or q != int(q) or not 1 <= q <= MAX_DELAY:
                bad("value", "bad delay", val, f"a whole number of quarters from 1 to {MAX_DELAY}")
                continue
            value = int(q)
        elif key in ("start", "complete"):
            d, dbad = parse_date(pd.Series([val], dtype=object))
            if dbad[0] or pd.isna(d.iloc[0]):
                bad("value", "bad date", val, "a date such as 2026-06-30, 2026/6/30 or 2026年6月30日")
                continue
            value = pd.Timestamp(d.iloc[0])
        elif not _blank(val):
            bad("value", "unexpected value", val, f"an empty value for '{key}'")
            continue
        rows.append({"project_id": str(pid).strip(), "action": key, "value": value, "row": row})
    changes = pd.DataFrame(rows, columns=["project_id", "action", "value", "row"], dtype=object)
    added = pd.DataFrame()
    adds = [r["row"] - 2 for r in rows if r["action"] == "add"]
    if adds:
        added, more = _added(file, headers, body.loc[adds])
        problems += more
    return changes, added, problems


def _added(file: str, headers: list[str], frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """The rows that add projects, typed and checked as a ledger's projects table."""
    from ..ledger.checks import column_checks, date_order
    from ..ledger.read import RawTable
    from ..ledger.tables import build

    typed, problems = build(RawTable("projects", file, headers, frame))
    problems = [p for p in problems if p.severity == "error"]
    if not problems:
        problems += column_checks(typed) + date_order(typed)
    out = typed.frame.copy()
    out["row"] = out.index + 2
    return out.reset_index(drop=True), problems


# --- against a ledger --------------------------------------------------------------------
def bind(scenario: Any, ledger: Any, q: pd.Period) -> BoundScenario:
    """See :meth:`Scenario.bind <forecast.scenario.Scenario.bind>` (``scenario`` is a
    :class:`~forecast.scenario.Scenario`; typed ``Any`` so this module does not import
    the package above it)."""
    from ..ledger.ledger import PROJECT_COLUMNS

    cut = ledger.as_of(q)  # itself when already cut at q
    end = quarter_end(q)
    file = Path(scenario.source).name
    problems: list[Problem] = []
    ch = scenario.changes

    def bad(row: Any, column: str, check: str, value: Any, expected: str) -> None:
        problems.append(Problem(file, None if row is None or pd.isna(row) else int(row), column, check,
                                None if value is None else str(value), expected))

    stage = cut.stage_at(end)
    stage.index = cut.projects["project_id"].to_numpy()
    zone_of = dict(zip(cut.projects["project_id"], cut.projects["zone_id"]))
    everywhere = set(ledger.projects["project_id"]) if ledger.cut is None else set(zone_of)
    added = scenario.added
    added_ids = set(added["project_id"]) if len(added) else set()
    plan: dict[str, list[tuple[str, Any]]] = {}
    for pid, g in ch.groupby("project_id", sort=False):
        acts = list(g["action"])
        if len(set(acts)) < len(acts) or set(acts) not in _ALLOWED:
            bad(g["row"].iloc[-1], "action", "conflicting actions", f"{pid}: {', '.join(acts)}",
                "one action a project (start and complete may go together)")
            continue
        if "add" in acts:
            continue
        if pid not in zone_of:
            later = pid in everywhere
            bad(g["row"].iloc[0], "project_id", "unknown project id" if not later else
                "project not in the ledger at as_of", pid,
                "a project_id of the ledger" if not later else f"a project registered by {end.date()}")
            continue
        st = stage[pid]
        values = dict(zip(acts, g["value"]))
        rows = dict(zip(acts, g["row"]))
        ok = True
        for act in acts:
            if st not in _STAGES_FOR[act] and not (act == "complete" and "start" in acts):
                bad(rows[act], "action", f"{act} does not fit the stage", f"{pid} is {st} at {q}",
                    f"a project that is {' / '.join(_STAGES_FOR[act])} at as_of")
                ok = False
            if act in ("start", "complete") and values[act] <= end:
                bad(rows[act], "value", "date not after as_of", values[act].date(), f"a date after {end.date()}")
                ok = False
        if ok and {"start", "complete"} <= set(acts) and values["complete"] < values["start"]:
            bad(rows["complete"], "value", "completion before start", values["complete"].date(),
                f"a date on or after the start {values['start'].date()}")
            ok = False
        if ok:
            order = [a for a in ("delay", "cancel", "start", "complete") if a in values]
            plan[pid] = [(a, values[a]) for a in order]
    cut_added = cut
    if added_ids:
        rows_add, forced, more = _bind_added(added, cut, zone_of, end, file)
        problems += more
        if not more:
            plan.update({pid: acts for pid, acts in forced.items() if acts})
            new = pd.concat([cut.projects, rows_add[list(PROJECT_COLUMNS)]], ignore_index=True)
            cut_added = replace(cut, projects=new)
            zone_of.update(dict(zip(rows_add["project_id"], rows_add["zone_id"])))
    if problems:
        raise ScenarioError(problems, scenario.source)
    by_zone: dict[str, list[str]] = {}
    for pid in sorted(set(plan) | added_ids):
        by_zone.setdefault(zone_of[pid], []).append(pid)
    return BoundScenario(cut, cut_added, plan, by_zone, added_ids)


def _bind_added(added: pd.DataFrame, cut: Any, zone_of: dict[str, str], end: pd.Timestamp,
                file: str) -> tuple[pd.DataFrame, dict[str, list[tuple[str, Any]]], list[Problem]]:
    """The added projects as rows of the cut (future start / completion dates
    taken out as forced events), and their problems."""
    problems: list[Problem] = []
    rows = added.copy()
    actions: dict[str, list[tuple[str, Any]]] = {}
    zones = set(cut.zone_ids)
    for _, r in rows.iterrows():
        pid, row = r["project_id"], r.get("row")
        row = None if row is None or pd.isna(row) else int(row)

        def bad(col: str, check: str, value: Any, expected: str) -> None:
            problems.append(Problem(file, row, col, check, None if value is None else str(value), expected))

        if pid in zone_of:
            bad("project_id", "duplicate project id", pid, "an id not yet in the ledger")
        if r["zone_id"] not in zones:
            bad("zone_id", "unknown zone", r["zone_id"], "a zone_id of the ledger")
        if not r["registered_date"] <= end:
            bad("registered_date", "registered after as_of", r["registered_date"],
                f"a date on or before {end.date()} (a scenario adds projects known at as_of)")
        acts = []
        for col, act in (("start_date", "start"), ("completion_date", "complete")):
            if pd.notna(r[col]) and r[col] > end:
                acts.append((act, pd.Timestamp(r[col])))
        for col in ("signed_date", "production_date", "full_production_date", "cancelled_date"):
            if pd.notna(r[col]) and r[col] > end:
                bad(col, "date after as_of", r[col].date(),
                    f"a date on or before {end.date()} (only start_date and completion_date may be later)")
        if acts and acts[-1][0] == "complete" and not (pd.notna(r["start_date"])):
            bad("completion_date", "completion without start", r["completion_date"].date(),
                "a start_date too")
        actions[pid] = acts
    for col in ("start_date", "completion_date"):
        rows[col] = rows[col].where(rows[col] <= end)
    rows["planned_completion_date"] = rows["planned_completion_date"].where(rows["start_date"].notna())
    return rows.drop(columns=["row"], errors="ignore").reset_index(drop=True), actions, problems
