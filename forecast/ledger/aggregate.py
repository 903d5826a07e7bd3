"""Zone totals of a ledger: quarterly actuals and the pipeline (the rates: ``rates.py``).

Every function is a pure function of a :class:`Ledger`; a cut ledger
(``ledger.as_of(q)``) gives what was known at ``q``.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from ..periods import quarter, quarter_end
from ..vocab import STAGE_DATE, STAGES
from .ledger import Ledger, stage_at

#: Count columns of :func:`quarterly` and the date each counts; the names of the
#: forecast metrics (``vocab.METRICS``) are among them, so actuals join forecasts.
EVENT_COUNTS: Final = {
    "projects_registered": "registered_date",
    **{f"projects_{stage}": col for stage, col in STAGE_DATE.items() if stage != "reserve"},
}

def _date(value: str | pd.Timestamp | pd.Period) -> pd.Timestamp:
    """A date, or the last day of a quarter written ``2024Q3``."""
    if isinstance(value, pd.Period) or (isinstance(value, str) and "Q" in value.upper()):
        return quarter_end(value)
    return pd.Timestamp(value).normalize()


def quarterly(ledger: Ledger) -> pd.DataFrame:
    """Events and money of every zone in every quarter.

    One row per zone and quarter from the ledger's first quarter (its earliest
    registration or progress period) to ``ledger.last_quarter``; columns
    ``zone_id, quarter, projects_registered, projects_signed, projects_started,
    projects_completed, projects_producing, projects_full_production,
    projects_cancelled`` (number of those dates inside the quarter) and
    ``investment, output_value`` (万元 reported for periods inside the quarter).
    Zeros where nothing happened.

    Examples
    --------
    >>> q = quarterly(load("tests/data/ledgers/good"))  # doctest: +SKIP
    >>> q.groupby("zone_id")["projects_started"].sum()  # doctest: +SKIP
    """
    p, prog = ledger.projects, ledger.progress
    last = ledger.last_quarter
    firsts = [p["registered_date"].min()]
    if len(prog):
        firsts.append(prog["period_end"].min())
    firsts = [d for d in firsts if pd.notna(d)]
    first = quarter(min(firsts)) if firsts else last
    quarters = pd.period_range(first, last, freq="Q-DEC")
    index = pd.MultiIndex.from_product([ledger.zone_ids, quarters], names=["zone_id", "quarter"])
    out = pd.DataFrame(index=index)
    for name, col in EVENT_COUNTS.items():
        dated = p.loc[p[col].notna(), ["zone_id", col]]
        counts = dated.groupby(["zone_id", dated[col].dt.to_period("Q-DEC").rename("quarter")]).size()
        out[name] = counts.reindex(index, fill_value=0).astype("int64")
    zone_of = p.set_index("project_id")["zone_id"]
    money = prog.assign(zone_id=prog["project_id"].map(zone_of)).dropna(subset=["zone_id"])
    sums = money.groupby(["zone_id", "quarter"])[["investment", "output_value"]].sum()
    for col in ("investment", "output_value"):
        out[col] = sums[col].reindex(index, fill_value=0.0).astype("float64")
    return out.reset_index()


def pipeline(ledger: Ledger, date: str | pd.Timestamp | pd.Period) -> pd.DataFrame:
    """Projects and planned investment per zone and stage at ``date``.

    ``date`` is a date or a quarter (its last day). Projects registered after it
    are left out. One row per zone and stage (``vocab.STAGES`` order), zeros
    included: ``zone_id, stage, projects, planned_investment`` (万元).

    Examples
    --------
    >>> pipeline(load("tests/data/ledgers/good"), "2024Q4")  # doctest: +SKIP
    """
    when = _date(date)
    p = ledger.projects.assign(stage=stage_at(ledger.projects, when)).dropna(subset=["stage"])
    sums = p.groupby(["zone_id", "stage"]).agg(
        projects=("project_id", "size"), planned_investment=("planned_investment", "sum")
    )
    index = pd.MultiIndex.from_product([ledger.zone_ids, list(STAGES)], names=["zone_id", "stage"])
    out = sums.reindex(index).fillna(0).reset_index()
    out["projects"] = out["projects"].astype("int64")
    out["planned_investment"] = out["planned_investment"].astype("float64")
    return out
