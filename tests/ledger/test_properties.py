"""Property tests: round trips, as-of cuts against physically cut files, stage_at.

Random valid ledgers are built directly as canonical frames (dtypes of the
Ledger docstring); derived progress columns are computed here with pandas
Periods, independently of the loader.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ledger_helpers import TABLE_NAMES, assert_ledgers_equal

from forecast.ledger import Ledger, load, save, stage_at
from forecast.ledger.ledger import INDICATOR_COLUMNS, PROGRESS_COLUMNS, PROJECT_COLUMNS, TARGET_COLUMNS
from forecast.vocab import CATEGORIES, INDICATOR_METRICS, MILESTONE_DATES, TARGET_METRICS

SETTINGS = dict(deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
DAY0 = dt.date(2016, 1, 1)
_ALPHABET = "abcXYZ019 绵阳经开区項目,\"'-_()（）\n"
text = st.text(_ALPHABET, min_size=1, max_size=10).filter(lambda s: s == s.strip() and s)
ids = st.from_regex(r"[A-Za-z0-9_-]{1,8}", fullmatch=True)
# Amounts a 万元 ledger holds: every column's median inside its plausible range, so
# the lying-unit check (forecast.ledger.units) has nothing to say about them.
money = st.floats(min_value=1_000, max_value=5e5, allow_nan=False, allow_infinity=False)


def _day(offset: int) -> pd.Timestamp:
    return pd.Timestamp(DAY0 + dt.timedelta(days=offset))


@st.composite
def project_dates(draw: st.DrawFn) -> dict[str, pd.Timestamp | None]:
    """Dates in life-cycle order; cancellation only before completion."""
    reached = draw(st.integers(1, len(MILESTONE_DATES)))
    day = draw(st.integers(0, 2500))
    dates: dict[str, pd.Timestamp | None] = dict.fromkeys(MILESTONE_DATES + ("cancelled_date",))
    for col in MILESTONE_DATES[:reached]:
        dates[col] = _day(day)
        day += draw(st.integers(0, 400))
    if reached <= 3 and draw(st.booleans()):
        dates["cancelled_date"] = _day(day)
    start = dates["start_date"]
    dates["planned_completion_date"] = None if start is None else start + pd.Timedelta(days=draw(st.integers(0, 900)))
    return dates


def _periods(freq: str, first: int, n: int) -> list[pd.Period]:
    base = pd.Period(_day(first), freq=freq)
    return [base + i for i in range(n)]


def _period_frame(rows: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=[c for c in columns if c not in ("freq", "period_end", "quarter")])
    per = [pd.Period(p, freq="Q" if "Q" in p else "M") for p in df["period"]]
    df["freq"] = pd.Series(["Q" if "Q" in p else "M" for p in df["period"]], dtype=object)
    df["period_end"] = pd.Series([p.end_time.normalize() for p in per], dtype="datetime64[ns]")
    df["quarter"] = pd.Series(pd.PeriodIndex([p.asfreq("Q-DEC") for p in per], freq="Q-DEC"))
    df = df.astype({c: "object" for c in ("project_id", "zone_id", "metric", "period") if c in df})
    df = df.astype({c: "float64" for c in ("investment", "output_value", "value") if c in df})
    return df[list(columns)]


def _nan_blanks(df: pd.DataFrame) -> pd.DataFrame:
    """Blank text as NaN, the way the loader gives it."""
    for col in df.select_dtypes(object).columns:
        df[col] = df[col].where(df[col].notna(), np.nan)
    return df


@st.composite
def ledgers(draw: st.DrawFn) -> Ledger:
    zone_ids = draw(st.lists(ids, min_size=1, max_size=3, unique=True))
    zones = pd.DataFrame({
        "zone_id": zone_ids,
        "name": [draw(text) for _ in zone_ids],
        "province": [draw(st.none() | text) for _ in zone_ids],
        "city": [draw(st.none() | text) for _ in zone_ids],
        "level": [draw(st.sampled_from(["national", "provincial", None])) for _ in zone_ids],
    }, dtype=object)
    pids = draw(st.lists(ids, min_size=1, max_size=8, unique=True))
    rows, progress = [], []
    for pid in pids:
        dates = draw(project_dates())
        rows.append({
            "project_id": pid, "zone_id": draw(st.sampled_from(zone_ids)), "name": draw(text),
            "category": draw(st.sampled_from(CATEGORIES)), "industry": draw(st.none() | text),
            "planned_investment": draw(money), "land_mu": draw(st.none() | money),
            "designed_output": draw(st.none() | money), "responsible_unit": draw(st.none() | text),
            "officer": draw(st.none() | text), **dates,
        })
        freq = draw(st.sampled_from(["M", "Q"]))
        for per in _periods(freq, draw(st.integers(0, 3000)), draw(st.integers(0, 5))):
            progress.append({"project_id": pid, "period": str(per) if freq == "Q" else per.strftime("%Y-%m"),
                             "investment": draw(st.none() | money), "output_value": draw(st.none() | money)})
    projects = pd.DataFrame(rows)[list(PROJECT_COLUMNS)]
    for col in PROJECT_COLUMNS:
        kind = "datetime64[ns]" if col.endswith("_date") else (
            "float64" if col in ("planned_investment", "land_mu", "designed_output") else object)
        projects[col] = projects[col].astype(kind)
    keys = draw(st.lists(st.tuples(st.sampled_from(zone_ids), st.integers(2018, 2026), st.sampled_from(TARGET_METRICS)),
                         max_size=4, unique=True))
    targets = pd.DataFrame([{"zone_id": z, "year": y, "metric": m, "value": draw(money)} for z, y, m in keys],
                           columns=list(TARGET_COLUMNS)).astype({"zone_id": object, "year": "int64",
                                                                 "metric": object, "value": "float64"})
    ind_keys = draw(st.lists(st.tuples(st.sampled_from(zone_ids), st.integers(0, 3000),
                                       st.sampled_from(INDICATOR_METRICS)), max_size=4, unique_by=lambda k: (k[0], pd.Period(_day(k[1]), "M"), k[2])))
    indicators = [{"zone_id": z, "period": pd.Period(_day(d), "M").strftime("%Y-%m"), "metric": m, "value": draw(money)}
                  for z, d, m in ind_keys]
    return Ledger(zones=_nan_blanks(zones), projects=_nan_blanks(projects), progress=_period_frame(progress, PROGRESS_COLUMNS),
                  targets=targets, indicators=_period_frame(indicators, INDICATOR_COLUMNS))


@settings(max_examples=25, **SETTINGS)
@given(ledgers())
def test_csv_round_trip(ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert_ledgers_equal(load(save(ledger, Path(tmp) / "l")), ledger)


@settings(max_examples=8, **SETTINGS)
@given(ledgers())
def test_xlsx_round_trip(ledger: Ledger) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        assert_ledgers_equal(load(save(ledger, Path(tmp) / "l.xlsx", fmt="xlsx")), ledger)


def physical_cut(ledger: Ledger, q: pd.Period) -> dict[str, pd.DataFrame]:
    """SCHEMA.md's as-of rules applied to the written tables, row by row."""
    end = q.end_time.normalize()
    frames = {t: getattr(ledger, t).copy() for t in TABLE_NAMES}
    rows = []
    for _, r in frames["projects"].iterrows():
        if r["registered_date"] > end:
            continue  # nobody knew of it yet
        for col in MILESTONE_DATES + ("cancelled_date",):
            if pd.notna(r[col]) and r[col] > end:
                r[col] = pd.NaT  # not happened yet
        if pd.isna(r["start_date"]):
            r["planned_completion_date"] = pd.NaT  # set when construction starts
        rows.append(r)
    frames["projects"] = pd.DataFrame(rows, columns=frames["projects"].columns)
    known = set(frames["projects"]["project_id"])
    prog = frames["progress"]
    ends = [pd.Period(p, freq="Q" if "Q" in p else "M").end_time.normalize() for p in prog["period"]]
    frames["progress"] = prog.loc[np.array([e <= end for e in ends], bool) & prog["project_id"].isin(known)]
    ind = frames["indicators"]
    frames["indicators"] = ind.loc[np.array([pd.Period(p, freq="M").end_time.normalize() <= end
                                             for p in ind["period"]], bool)]
    return {t: f.drop(columns=[c for c in ("freq", "period_end", "quarter") if c in f]) for t, f in frames.items()}


@settings(max_examples=20, **SETTINGS)
@given(ledgers(), st.data())
def test_as_of_equals_loading_a_physically_cut_ledger(ledger: Ledger, data: st.DataObject) -> None:
    first = ledger.projects["registered_date"].min().to_period("Q-DEC")
    q = first + data.draw(st.integers(0, 30))
    with tempfile.TemporaryDirectory() as tmp:
        full = load(save(ledger, Path(tmp) / "full"))
        out = Path(tmp) / "cut"
        out.mkdir()
        for table, frame in physical_cut(ledger, q).items():
            frame.to_csv(out / f"{table}.csv", index=False, date_format="%Y-%m-%d")
        assert_ledgers_equal(full.as_of(q), load(out))


@settings(max_examples=25, **SETTINGS)
@given(ledgers(), st.integers(0, 60), st.integers(0, 60))
def test_as_of_twice_is_as_of_the_earlier(ledger: Ledger, a: int, b: int) -> None:
    first = pd.Period("2016Q1", "Q-DEC")
    q1, q2 = first + min(a, b), first + max(a, b)
    assert_ledgers_equal(ledger.as_of(q2).as_of(q1), ledger.as_of(q1))


def _stage_by_reading(row: pd.Series, when: pd.Timestamp) -> str | None:
    def by(col: str) -> bool:
        return pd.notna(row[col]) and row[col] <= when

    if by("cancelled_date"):
        return "cancelled"
    for col, stage in (("full_production_date", "full_production"), ("production_date", "producing"),
                       ("completion_date", "completed"), ("start_date", "started"),
                       ("signed_date", "signed"), ("registered_date", "reserve")):
        if by(col):
            return stage
    return None


@settings(max_examples=40, **SETTINGS)
@given(ledgers(), st.integers(-30, 4000))
def test_stage_at_reads_the_dates(ledger: Ledger, offset: int) -> None:
    when = _day(offset)
    expected = [_stage_by_reading(r, when) for _, r in ledger.projects.iterrows()]
    got = stage_at(ledger.projects, when)
    assert [None if pd.isna(s) else s for s in got] == expected
    assert np.array_equal(got.index, ledger.projects.index)
