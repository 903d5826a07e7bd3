"""Zone totals of a ledger: quarterly actuals, the pipeline, the yearly rates.

Every function is a pure function of a :class:`Ledger`; a cut ledger
(``ledger.as_of(q)``) gives what was known at ``q``.
"""

from __future__ import annotations

from typing import Final

import pandas as pd

from ..exceptions import ForecastError
from ..periods import quarter, quarter_end
from ..vocab import STAGE_DATE, STAGES
from .ledger import Ledger, stage_at

#: Count columns of :func:`quarterly` and the date each counts; the names of the
#: forecast metrics (``vocab.METRICS``) are among them, so actuals join forecasts.
EVENT_COUNTS: Final = {
    "projects_registered": "registered_date",
    **{f"projects_{stage}": col for stage, col in STAGE_DATE.items() if stage != "reserve"},
}

#: The yearly rates of :func:`rates`, with their Chinese names.
RATES: Final = {
    "start_rate": "开复工率",
    "new_start_share": "新开工占比",
    "investment_rate": "投资完成率",
    "production_rate": "竣工投产率",
    "contract_rate": "履约率",
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


def rates(ledger: Ledger, year: int, as_of: str | pd.Period | None = None) -> pd.DataFrame:
    """The yearly rates leadership follows, per zone, with numerator and denominator.

    The rates are taken at ``D`` = the end of ``year``, or earlier: the end of
    ``as_of`` (the ledger is cut there first, so only what was known then
    counts) or, without ``as_of``, the end of the ledger's last quarter.
    ``Y0`` is 1 January of ``year``. For each rate ``r`` the frame has
    ``r_num``, ``r_den`` and ``r`` (NaN when ``r_den`` is 0):

    - ``start_rate`` 开复工率: the year's list = projects registered by ``D``,
      neither completed nor cancelled before ``Y0``; numerator = those of the
      list started (开工) by ``D`` (carried-over construction and new starts).
    - ``new_start_share`` 新开工占比: projects of the list started within
      ``[Y0, D]`` / projects of the list started by ``D``.
    - ``investment_rate`` 投资完成率: investment reported for periods ending in
      ``[Y0, D]`` / the zone's ``investment`` target for ``year`` (targets.csv).
    - ``production_rate`` 竣工投产率: projects completed by ``D`` that were not
      yet producing at ``Y0``; numerator = those producing (投产) by ``D``.
    - ``contract_rate`` 履约率: signed projects due to start in the year =
      signed by ``D``, not started and not cancelled before ``Y0``; numerator =
      those started within ``[Y0, D]``.

    Examples
    --------
    >>> r = rates(load("tests/data/ledgers/good"), 2024)  # doctest: +SKIP
    >>> r[["zone_id", "start_rate_num", "start_rate_den", "start_rate"]]  # doctest: +SKIP
    """
    y0 = pd.Timestamp(year=year, month=1, day=1)
    end = pd.Timestamp(year=year, month=12, day=31)
    if as_of is not None:
        ledger = ledger.as_of(as_of)
        end = min(end, quarter_end(as_of))
    else:
        end = min(end, quarter_end(ledger.last_quarter))
    if end < y0:
        raise ForecastError(f"rates for {year} need data inside {year}; the ledger (or as_of) ends on {end.date()}.")
    p = ledger.projects

    def by(col: str) -> pd.Series:  # the event happened by D
        return p[col] <= end

    def before(col: str) -> pd.Series:  # the event happened before the year
        return p[col] < y0

    started = by("start_date")
    on_list = by("registered_date") & ~before("completion_date") & ~before("cancelled_date")
    new_start = started & ~before("start_date")
    completed_due = by("completion_date") & ~before("production_date")
    signed_due = by("signed_date") & ~before("start_date") & ~before("cancelled_date")
    counts = pd.DataFrame(
        {
            "start_rate_num": on_list & started,
            "start_rate_den": on_list,
            "new_start_share_num": on_list & new_start,
            "new_start_share_den": on_list & started,
            "production_rate_num": completed_due & by("production_date"),
            "production_rate_den": completed_due,
            "contract_rate_num": signed_due & new_start,
            "contract_rate_den": signed_due,
        }
    ).groupby(p["zone_id"]).sum()
    zones = pd.Index(ledger.zone_ids, name="zone_id")
    out = counts.reindex(zones, fill_value=0).astype("int64")
    prog = ledger.progress
    in_year = prog.loc[(prog["period_end"] >= y0) & (prog["period_end"] <= end)]
    zone_of = p.set_index("project_id")["zone_id"]
    spent = in_year.groupby(in_year["project_id"].map(zone_of))["investment"].sum()
    t = ledger.targets
    target = t.loc[(t["year"] == year) & (t["metric"] == "investment")].groupby("zone_id")["value"].sum(min_count=1)
    out["investment_rate_num"] = spent.reindex(zones, fill_value=0.0).astype("float64")
    out["investment_rate_den"] = target.reindex(zones).astype("float64")
    for rate in RATES:
        num, den = out[f"{rate}_num"], out[f"{rate}_den"]
        out[rate] = (num / den.where(den > 0)).astype("float64")
    out.insert(0, "year", year)
    out.insert(1, "date", end)
    columns = ["year", "date"] + [f"{r}{s}" for r in RATES for s in ("_num", "_den", "")]
    return out[columns].reset_index()

