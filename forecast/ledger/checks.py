"""The rules a ledger must follow, each failure a :class:`Problem`.

Per-column rules (required values, unique ids, ranges, codes, the zone_id
pattern) are a pandera ``DataFrameSchema`` per table validated with
``lazy=True``; its ``failure_cases`` become problems with spreadsheet row
numbers and headers as written. Rules across rows and tables (references,
date order, status, duplicate keys) are vectorised pandas.

What the ``status`` / 项目状态 column means: the project's stage at the
ledger's last date — the end of the latest quarter holding any dated event or
progress period — i.e. the stage all its dates give. Any other value is an
error: the stage is derived from dates, never typed by hand (SCHEMA.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import pandera.pandas as pa

from ..exceptions import Problem
from ..periods import quarter, quarter_end
from ..vocab import EVENT_DATES, MILESTONE_DATES, STAGE_ZH, STAGES, ZONE_ID_PATTERN
from .columns import ALTERNATIVES, COLUMNS, ColumnSpec
from .headers import VALUE_EXPECTED, VALUE_EXPECTED_ZH, VALUE_MAPS
from .ledger import stage_at
from .tables import Typed


@dataclass(frozen=True)
class Rule:
    """Per-column rules of one canonical column."""

    required: bool = False
    unique: bool = False
    checks: tuple[pa.Check, ...] = ()


def _check(factory: Callable[..., pa.Check], arg: object, name: str, expected: str, zh: str) -> pa.Check:
    # The error text carries our check name and the expectations to the failure cases.
    return factory(arg, error=f"{name}|{expected}|{zh}")


#: What an enum's unknown value is called in a message, by value map.
_ENUM_NOUN = {"level": "level", "category": "category", "stage": "status", "target_metric": "metric",
              "indicator_metric": "metric", "plan": "plan type"}
_PATTERN_EXPECTED = {ZONE_ID_PATTERN: ("1 to 64 letters, digits, '_' or '-' (it names files)",
                                      "1 至 64 个字母、数字、_ 或 -（用作文件名）")}


def _bound(column: str, spec: ColumnSpec) -> pa.Check:
    if spec.strict:
        return _check(pa.Check.gt, spec.lower, f"{column} not positive", f"an amount > {spec.lower:g} 万元",
                      f"大于 {spec.lower:g} 的金额（万元）")
    if spec.kind == "money":
        return _check(pa.Check.ge, spec.lower, "negative money", f"an amount ≥ {spec.lower:g} 万元",
                      f"不小于 {spec.lower:g} 的金额（万元）")
    return _check(pa.Check.ge, spec.lower, "negative number", f"a number ≥ {spec.lower:g}", f"不小于 {spec.lower:g} 的数")


def rule(column: str, spec: ColumnSpec) -> Rule:
    """The pandera rules a column's declaration implies."""
    checks = []
    if spec.pattern is not None:
        checks.append(_check(pa.Check.str_matches, spec.pattern, f"bad {column}", *_PATTERN_EXPECTED[spec.pattern]))
    if spec.values is not None:
        allowed = sorted(set(VALUE_MAPS[spec.values].values()))
        checks.append(_check(pa.Check.isin, allowed, f"unknown {_ENUM_NOUN[spec.values]}",
                             VALUE_EXPECTED[spec.values], VALUE_EXPECTED_ZH[spec.values]))
    if spec.lower is not None:
        checks.append(_bound(column, spec))
    if spec.kind == "money":
        checks.append(_check(pa.Check.le, MAX_AMOUNT_WAN, "implausible amount",
                             f"an amount ≤ {MAX_AMOUNT_WAN:.0e} 万元 (10 万亿元); check the unit is 万元, not 元",
                             "不超过 10 万亿元（1e9 万元）的金额；请检查单位是万元而不是元"))
    if spec.kind == "text":
        checks.append(pa.Check(_no_control, error="control character|text without control characters "
                                                  "(NUL and the like; tab and line breaks are fine)"
                                                  "|不含控制字符的文本（如 NUL；制表符和换行可以）"))
    return Rule(spec.required, spec.unique, tuple(checks))


#: The largest plausible amount in 万元: 10 万亿元, more than any zone's yearly
#: output. A larger figure is a unit slip (元 for 万元) or a typo; 1e15 broke the
#: simulation's sums (a zone failed with "'xerr' must not contain negative values").
MAX_AMOUNT_WAN = 1e9
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def _no_control(values: pd.Series) -> pd.Series:
    # NUL and other control characters in names reach reports, mail and CSV.
    return ~values.astype(str).str.contains(_CONTROL, regex=True)


#: Every table's per-column rules, derived from :data:`.columns.COLUMNS` (and the check-only columns).
RULES: dict[str, dict[str, Rule]] = {
    table: {c: rule(c, spec) for c, spec in specs.items() if spec.required or spec.unique or rule(c, spec).checks}
    | {c: rule(c, spec) for c, (to, spec) in ALTERNATIVES.get(table, {}).items() if not to}
    for table, specs in COLUMNS.items()
}


def column_checks(t: Typed) -> list[Problem]:
    """The pandera schema of the table, its failures as problems."""
    rules = {c: r for c, r in RULES[t.table].items() if c in t.present}
    if not rules or t.frame.empty:
        return []
    schema = pa.DataFrameSchema(
        {
            c: pa.Column(None, list(r.checks), nullable=not r.required, unique=r.unique, required=False)
            for c, r in rules.items()
        },
    )
    try:
        # inplace: no copy of a table with millions of rows; the schema coerces nothing.
        schema.validate(t.frame, lazy=True, inplace=True)
    except pa.errors.SchemaErrors as err:
        return _from_failure_cases(t, err.failure_cases)
    return []


def _from_failure_cases(t: Typed, cases: pd.DataFrame) -> list[Problem]:
    problems: list[Problem] = []
    cases = cases.dropna(subset=["index"])
    for (column, check), group in cases.groupby(["column", "check"], sort=False):
        index = pd.Index(group["index"].astype("int64")).unique()
        failed = t.failed.get(column)
        if failed is not None:  # cells reported as unreadable already
            index = index[~failed.reindex(index, fill_value=False).to_numpy()]
        if check == "not_nullable":
            name, expected = "missing value", (f"a value: {column} is required", f"须填写：{t.header(column)} 为必填列")
        elif check == "field_uniqueness":
            name, expected = f"duplicate {column}", (f"each {column} once in the file",
                                                     f"{t.header(column)} 在文件中不重复")
        else:
            name, en, zh = (str(check).split("|") + [""])[:3]
            expected = (en, zh or en)
        mask = t.frame.index.isin(index)
        problems += t.problems(column, mask, name, expected)
    return problems


# --- across rows and tables ------------------------------------------------------
def _codes(t: Typed, column: str) -> np.ndarray:
    """Integer codes of a key column, -1 where blank."""
    if column in t.codes:
        return t.codes[column][0]
    if column != "period":
        return pd.factorize(t.frame[column], use_na_sentinel=True)[0].astype("int64")
    # Integers from the period's end and kind (a month and a quarter may end on the same day).
    key = t.frame["period_end"].to_numpy().view("int64") * 2 + (t.frame["freq"] == "Q").to_numpy()
    codes = pd.factorize(key)[0].astype("int64")
    codes[t.frame["period"].isna().to_numpy()] = -1
    return codes


def _known(t: Typed, column: str, other: Typed | None, what: str) -> list[Problem]:
    """Every id in ``column`` must be an id of the ``other`` table."""
    if other is None or column not in t.codes or other.frame.empty:
        return []
    codes, values = t.codes[column]
    key = other.frame["zone_id" if what == "zone" else "project_id"]
    unknown = np.append(~pd.Index(values).isin(key.dropna().unique()), False)
    bad = unknown[codes]  # code -1 (blank) picks the trailing False
    zh = {"zone": "园区", "project": "项目"}[what]
    return t.problems(column, bad, f"unknown {what}", (f"a {what} listed in {other.file}", f"{other.file} 中列出的{zh}"))


def _duplicate_keys(t: Typed, keys: list[str], at: str) -> list[Problem]:
    if not set(keys) <= t.present or t.frame.empty:
        return []
    # Integer codes hash far faster than tuples of strings on millions of rows.
    codes = [_codes(t, k) for k in keys]
    key = np.zeros(len(t.frame), "int64")
    for c in codes:
        key = key * (int(c.max()) + 2) + c + 1
    complete = np.logical_and.reduce([c >= 0 for c in codes])
    bad = complete & pd.Series(key).duplicated(keep=False).to_numpy()
    keys_text = ", ".join(t.header(k) for k in keys)
    return t.problems(at, bad, "duplicate row", (f"one row per {keys_text}", f"每个 {keys_text} 只有一行"))


def date_order(t: Typed) -> list[Problem]:
    """registered ≤ signed ≤ start ≤ completion ≤ production ≤ full production.

    Each date is compared with the latest earlier milestone that is filled in;
    cancellation must follow the milestones before it and come before completion.
    """
    p = t.frame
    problems: list[Problem] = []
    prev = pd.Series(pd.NaT, index=p.index, dtype="datetime64[ns]")
    prev_col = pd.Series(None, index=p.index, dtype=object)
    for col in MILESTONE_DATES:
        cur = p[col]
        bad = cur.notna() & prev.notna() & (cur < prev)
        for earlier in prev_col[bad].unique():
            problems += t.problems(col, bad & (prev_col == earlier), "date out of order",
                                   (f"a date on or after '{t.header(earlier)}' of the same row",
                                    f"不早于同一行“{t.header(earlier)}”的日期"))
        prev = cur.where(cur.notna(), prev)
        prev_col = prev_col.where(cur.isna(), col)
    for later, earlier in zip(MILESTONE_DATES[3:], MILESTONE_DATES[2:]):
        gap = p[later].notna() & p[earlier].isna()
        a, b = t.header(earlier), t.header(later)
        problems += t.problems(later, gap, "earlier milestone missing",
                               (f"'{a}' filled in when '{b}' is", f"填了“{b}”时也填“{a}”"), "warning")
    cancelled = p["cancelled_date"]
    before = p[list(MILESTONE_DATES[:3])].max(axis=1)
    problems += t.problems("cancelled_date", cancelled.notna() & (cancelled < before), "date out of order",
                           ("a cancellation on or after the row's registered, signed and start dates",
                            "终止日期不早于同一行的入库、签约和开工日期"))
    done = p[list(MILESTONE_DATES[3:])].notna().any(axis=1)
    problems += t.problems("cancelled_date", cancelled.notna() & done, "cancelled after completion",
                           ("no cancellation once a project is completed (竣工): cancellation ends it only before",
                            "项目竣工后不再终止：终止只发生在竣工之前"))
    planned = p["planned_completion_date"]
    problems += t.problems("planned_completion_date", planned < p["start_date"], "planned before start",
                           ("a planned completion on or after the start date", "不早于开工日期的计划竣工日期"),
                           "warning")
    return problems


def last_date(typed: dict[str, Typed]) -> pd.Timestamp | None:
    """End of the latest quarter with a dated event or a progress period."""
    dates = []
    if "projects" in typed:
        dates += [typed["projects"].frame[c].max() for c in EVENT_DATES]
    if "progress" in typed and len(typed["progress"].frame):
        dates.append(typed["progress"].frame["period_end"].max())
    dates = [d for d in dates if pd.notna(d)]
    return quarter_end(quarter(max(dates))) if dates else None


def status_checks(t: Typed, when: pd.Timestamp | None) -> list[Problem]:
    """A written status must equal the stage the dates give at ``when``."""
    if "status" not in t.frame or when is None:
        return []
    status = t.frame["status"]
    derived = stage_at(t.frame, when)
    bad = status.isin(STAGES) & derived.notna() & (status != derived)
    problems = []
    for stage in derived[bad].unique():
        problems += t.problems("status", bad & (derived == stage), "status disagrees with dates",
                               (f"'{stage}' ({STAGE_ZH[stage]}), the stage its dates give on {when.date()}",
                                f"“{STAGE_ZH[stage]}”（{stage}），即按日期在 {when.date()} 所处的阶段"))
    return problems


def progress_overlap(t: Typed) -> list[Problem]:
    """A quarterly row may not cover months a monthly row of the project gives."""
    f = t.frame
    if not {"project_id", "period"} <= t.present or not ((f["freq"] == "Q").any() and (f["freq"] == "M").any()):
        return []
    monthly = f.loc[f["freq"] == "M", ["project_id", "quarter"]].drop_duplicates()
    quarterly = f.loc[f["freq"] == "Q", ["project_id", "quarter"]].reset_index()
    hit = quarterly.merge(monthly, on=["project_id", "quarter"])["index"]
    return t.problems("period", f.index.isin(hit), "overlapping periods",
                      ("either monthly rows or one quarterly row for a project's quarter, not both",
                       "同一项目同一季度，要么填各月，要么填一行季度数，不能都填"))


#: The key columns of a table's duplicate-row check, and the column its problems point at.
DUPLICATE_KEYS = {"progress": (["project_id", "period"], "period"),
                  "targets": (["zone_id", "year", "metric"], "metric"),
                  "indicators": (["zone_id", "period", "metric"], "metric"),
                  "plan": (["project_id", "year"], "year")}
#: Tables whose zone ids :func:`.loader.resolve_zone_names` may still rewrite once built.
ZONE_NAMED = ("projects", "targets", "indicators")
#: A check of one table: ``(check, table)``.
Step = tuple[str, str]


def early_checks(t: Typed) -> dict[Step, list[Problem]]:
    """The checks of ``t`` that look at ``t`` alone and that no later step changes, by step, for
    :func:`check_ledger`: run while a workbook's other sheets are still read."""
    if t.table in ZONE_NAMED:
        return {}
    out = {("columns", t.table): column_checks(t)}
    if t.table in DUPLICATE_KEYS:
        out["duplicates", t.table] = _duplicate_keys(t, *DUPLICATE_KEYS[t.table])
    if t.table == "progress":
        out["overlap", t.table] = progress_overlap(t)
    return out


def check_ledger(typed: dict[str, Typed], done: dict[Step, list[Problem]] | None = None) -> list[Problem]:
    """Every per-column and cross-table rule over the typed tables.

    ``done``: the problems of steps already checked (:func:`early_checks`), taken as they are.
    """
    done = done or {}

    def step(check: str, t: Typed, run: Callable[..., list[Problem]], *args: object) -> list[Problem]:
        found = done.get((check, t.table))
        return run(t, *args) if found is None else found

    problems: list[Problem] = []
    for t in typed.values():
        problems += step("columns", t, column_checks)
    zones, projects = typed.get("zones"), typed.get("projects")
    if projects is not None and not projects.frame.empty:
        problems += _known(projects, "zone_id", zones, "zone")
        problems += date_order(projects)
        problems += status_checks(projects, last_date(typed))
    if "progress" in typed:
        prog = typed["progress"]
        problems += _known(prog, "project_id", projects, "project")
        problems += step("duplicates", prog, _duplicate_keys, *DUPLICATE_KEYS["progress"])
        problems += step("overlap", prog, progress_overlap)
    for table in ("targets", "indicators"):
        if table in typed:
            t = typed[table]
            problems += _known(t, "zone_id", zones, "zone")
            problems += step("duplicates", t, _duplicate_keys, *DUPLICATE_KEYS[table])
    if "plan" in typed:
        plan = typed["plan"]
        problems += _known(plan, "project_id", projects, "project")
        problems += step("duplicates", plan, _duplicate_keys, *DUPLICATE_KEYS["plan"])
    return problems
