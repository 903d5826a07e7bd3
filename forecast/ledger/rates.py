"""The rates leadership is judged on (SCHEMA.md, "The rates"): one function.

开复工率 ``start_rate``, 新开工率 ``new_start_rate``, 投资完成率 ``investment_rate``,
竣工投产率 ``production_rate`` and 履约率 ``contract_rate`` of every zone for a
year, at a date ``D``, each with its numerator and denominator. With the
zone's ``plan.csv`` rows for the year the lists are the plan's; without them,
the fallback lists of SCHEMA.md. A rate whose list is empty (denominator 0 or
missing) is not defined: ``value`` is NaN and reports show "—".

The CLI (``forecast rates``, ``forecast summary``), the report and the
notebooks all call :func:`rates`; :func:`rate_lists` gives the per-project
lists behind it (the year-end forecasts in :mod:`forecast.targets` reuse them).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from ..exceptions import ForecastError
from ..periods import quarter, quarter_end
from ..vocab import RATE_NAMES
from .ledger import Ledger

#: Columns of :func:`rates` (the ``forecast rates --format csv`` contract).
RATE_COLUMNS: Final = ("zone_id", "year", "date", "rate", "numerator", "denominator", "value",
                       "basis")
#: Columns of :func:`rate_lists`: per project, its place on each count rate's list.
LIST_COLUMNS: Final = tuple(f"{r}_{part}" for r in RATE_NAMES if r != "investment_rate"
                            for part in ("den", "num"))


def rate_date(ledger: Ledger, year: int, as_of: pd.Period | None = None) -> pd.Timestamp:
    """``D``: the end of ``year``, or of ``as_of`` (or the ledger's last quarter) if earlier.

    Raises ``ForecastError`` when ``D`` falls before the year starts.
    """
    end = pd.Timestamp(year=int(year), month=12, day=31)
    last = as_of if as_of is not None else ledger.last_quarter
    d = min(end, quarter_end(last))
    if d < pd.Timestamp(year=int(year), month=1, day=1):
        raise ForecastError(
            f"The rates of {year} need data inside {year}; the ledger (or --as-of) ends on {d.date()}."
        )
    return d


def plan_rows(ledger: Ledger, year: int) -> pd.DataFrame:
    """The ledger's ``plan.csv`` rows for ``year`` with each project's zone
    (``project_id, zone_id, plan, year_investment``); empty without a plan."""
    plan = ledger.plan
    cols = ["project_id", "zone_id", "plan", "year_investment"]
    rows = plan.loc[plan["year"].astype(int) == int(year)] if len(plan) else plan
    return rows.reindex(columns=cols).reset_index(drop=True)


def rate_lists(projects: pd.DataFrame, plan: pd.DataFrame, year: int,
               date: pd.Timestamp) -> pd.DataFrame:
    """Per project, whether it is on each count rate's list and in its numerator.

    Parameters
    ----------
    projects : DataFrame
        Projects as known at ``date`` (a ledger cut there).
    plan : DataFrame
        :func:`plan_rows` of the year (``project_id, zone_id, plan``); a zone
        with rows here uses them, the others the fallback lists.
    year : int
    date : Timestamp
        ``D``.

    Returns
    -------
    DataFrame
        Indexed like ``projects``, with ``zone_id``, ``planned`` (the zone has a
        plan for the year) and boolean ``<rate>_den`` / ``<rate>_num`` for the
        four count rates (``LIST_COLUMNS``).
    """
    p = projects
    y0 = pd.Timestamp(year=int(year), month=1, day=1)
    y1 = pd.Timestamp(year=int(year), month=12, day=31)

    def by(col: str) -> pd.Series:  # happened on or before D (NaT: not happened)
        return (p[col] <= date).fillna(False).astype(bool)

    def before(col: str) -> pd.Series:  # happened before the year
        return (p[col] < y0).fillna(False).astype(bool)

    started = by("start_date")
    started_in_year = started & ~before("start_date")
    # fallback lists
    under_construction = before("start_date") & ~before("completion_date") & ~before("cancelled_date")
    due_to_start = (~before("start_date") & ~before("cancelled_date")
                    & (by("signed_date") | started_in_year))
    output = (p["designed_output"] > 0).fillna(False).astype(bool) if "designed_output" in p else False
    completed_not_producing = by("completion_date") & ~before("production_date")
    pcd = p["planned_completion_date"]
    # a project cancelled before the year is off every list of the year, whatever its plan said
    due_to_complete = (started & ~before("cancelled_date")
                       & ((pcd >= y0) & (pcd <= y1)).fillna(False).astype(bool))
    fallback_production = output & (completed_not_producing | due_to_complete)
    # plan lists
    kinds = plan.groupby("project_id")["plan"].agg(set) if len(plan) else pd.Series(dtype=object)
    kind = p["project_id"].map(kinds)

    def on_plan(*types: str) -> pd.Series:
        return kind.map(lambda s: isinstance(s, set) and bool(s & set(types))).astype(bool)

    planned = p["zone_id"].isin(set(plan["zone_id"].dropna())) if len(plan) else pd.Series(
        False, index=p.index)
    signed_window = ((p["signed_date"] >= y0 - pd.DateOffset(years=1)) & (p["signed_date"] <= date)
                     ).fillna(False).astype(bool)
    out = pd.DataFrame({"zone_id": p["zone_id"], "planned": planned}, index=p.index)
    out["start_rate_den"] = np.where(planned, on_plan("continuing", "new_start"),
                                     under_construction | due_to_start)
    out["start_rate_num"] = out["start_rate_den"] & started
    out["new_start_rate_den"] = np.where(planned, on_plan("new_start"), due_to_start)
    out["new_start_rate_num"] = out["new_start_rate_den"] & started_in_year
    out["production_rate_den"] = np.where(planned, on_plan("production"), fallback_production)
    out["production_rate_num"] = out["production_rate_den"] & by("production_date")
    out["contract_rate_den"] = signed_window
    out["contract_rate_num"] = signed_window & started
    return out


def rates(ledger: Ledger, year: int, as_of: str | pd.Period | None = None) -> pd.DataFrame:
    """The five rates of every zone for ``year``, with numerator and denominator.

    ``D`` is the end of ``year``, or the end of ``as_of`` (or, without it, of
    the ledger's last quarter) when that is earlier; the ledger is cut at ``D``
    so only what was known then counts. Plans (``plan.csv``) and targets count
    as known whatever ``D`` is. Definitions: SCHEMA.md, "The rates".

    - Count rates: numerator and denominator are numbers of projects.
    - ``investment_rate``: numerator = investment (万元) of the zone's progress
      periods ending in ``[Y0, D]``; denominator = Σ ``year_investment`` of the
      zone's plan for the year, or, without a plan (or a plan without
      ``year_investment``), the zone's ``investment`` target; neither → not defined.

    Parameters
    ----------
    ledger : Ledger
        The whole ledger (or one cut at or after ``D``).
    year : int
    as_of : quarter, optional

    Returns
    -------
    DataFrame
        ``RATE_COLUMNS``: one row per zone and rate (``vocab.RATE_NAMES`` order);
        ``value`` = numerator / denominator, NaN when the denominator is 0 or
        missing; ``basis`` = ``plan``, ``fallback`` (a count rate without a
        plan), ``signed`` (履约率: the same list either way), ``target`` or
        ``none`` (investment).

    Examples
    --------
    >>> r = rates(load("data/sample"), 2025, as_of="2025Q3")   # doctest: +SKIP
    >>> r.loc[r["rate"] == "start_rate", ["zone_id", "numerator", "denominator", "value"]]  # doctest: +SKIP
    """
    d = rate_date(ledger, year, None if as_of is None else quarter(as_of))  # the API edge: parsed here
    plan = plan_rows(ledger, year)
    cut = ledger if ledger.cut is not None and quarter_end(ledger.cut) <= d else ledger.as_of(quarter(d))
    lists = rate_lists(cut.projects, plan, year, d)
    zones = pd.Index(ledger.zone_ids, name="zone_id")
    counts = lists.drop(columns="planned").groupby("zone_id").sum().reindex(zones, fill_value=0)
    planned = set(plan["zone_id"].dropna())

    y0 = pd.Timestamp(year=int(year), month=1, day=1)
    prog = cut.progress
    in_year = prog.loc[(prog["period_end"] >= y0) & (prog["period_end"] <= d)]
    zone_of = cut.projects.set_index("project_id")["zone_id"]
    spent = in_year.groupby(in_year["project_id"].map(zone_of))["investment"].sum()
    plan_inv = plan.groupby("zone_id")["year_investment"].sum(min_count=1)
    t = ledger.targets
    target = t.loc[(t["year"].astype(int) == int(year)) & (t["metric"] == "investment")
                   ].groupby("zone_id")["value"].sum(min_count=1)

    rows = []
    for z in zones:
        for rate in RATE_NAMES:
            if rate == "investment_rate":
                num = float(spent.get(z, 0.0))
                den, basis = plan_inv.get(z, np.nan), "plan"
                if pd.isna(den):
                    den, basis = target.get(z, np.nan), "target"
                if pd.isna(den):
                    basis = "none"
                den = float(den)
            else:
                num, den = int(counts.at[z, f"{rate}_num"]), int(counts.at[z, f"{rate}_den"])
                basis = ("signed" if rate == "contract_rate" else
                         "plan" if z in planned else "fallback")
            value = num / den if den and den > 0 else np.nan
            rows.append((z, int(year), d, rate, num, den, value, basis))
    return pd.DataFrame(rows, columns=list(RATE_COLUMNS))


def wide(rates_long: pd.DataFrame) -> pd.DataFrame:
    """:func:`rates` as one row per zone: ``<rate>_num``, ``<rate>_den``, ``<rate>``."""
    r = rates_long.set_index(["zone_id", "rate"])
    out = pd.concat({f"{k}": r[c].unstack("rate") for k, c in
                     (("num", "numerator"), ("den", "denominator"), ("", "value"))}, axis=1)
    out.columns = [f"{rate}_{k}" if k else rate for k, rate in out.columns]
    first = rates_long.groupby("zone_id", sort=False)[["year", "date"]].first()
    cols = [f"{rate}{s}" for rate in RATE_NAMES for s in ("_num", "_den", "")]
    return first.join(out[cols]).reindex(rates_long["zone_id"].unique()).reset_index()
