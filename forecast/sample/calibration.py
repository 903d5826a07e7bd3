"""Measure a ledger against the real figures the generator is calibrated to.

Every figure is computed from the ledger alone (as a user would), so the same
function checks the committed sample, a fresh run, or a real ledger.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..ledger.ledger import Ledger
from ..periods import DAYS_PER_MONTH

#: figure -> (the real figure it is calibrated to, lowest and highest value accepted
#: on the committed sample, year 2024). ``tests/test_sample.py`` checks every one.
TARGETS: dict[str, tuple[str, float, float]] = {
    "projects": ("at least 1,500 projects in the sample", 1500, float("inf")),
    "zone_projects": ("a zone of 140–200 key projects (绵阳: 196)", 140, 230),
    "zone_planned_yi": ("992.75亿 planned in that zone", 600, 1500),
    "zone_planned_max_yi": ("largest project 30亿", 15, 60),
    "planned_mean_yi": ("about 5亿 a project (992.75亿 / 196)", 3.5, 7.0),
    "plan_share": ("year's planned investment 15% of the total planned (148.37 / 992.75)", 0.10, 0.22),
    "started_by_midyear": ("90% of the year's projects started by mid-year (128 / 142)", 0.80, 0.95),
    "new_share_by_midyear": ("a quarter of those are new starts (34 / 128)", 0.15, 0.40),
    "build_months_industrial": ("industrial construction about 2 years", 18, 30),
    "build_months_large_industrial": ("a large plant (≥ 10亿) about 2 years", 20, 36),
    "ramp_months_industrial": ("full production a couple of years after 投产", 15, 36),
    "output_ratio_industrial": ("output at capacity about 3× investment (60亿 → over 200亿)", 2.3, 4.0),
    "realisation_industrial": ("output reaches 0.7–0.85 of the declared figure", 0.6, 0.9),
    "land_intensity_industrial": ("several hundred to a few thousand 万元 per 亩", 300, 3000),
    "land_intensity_p10": ("(9.5亿 on 123 亩 = 772; 30亿 on 122 亩 = 2,459)", 100, 1000),
    "land_intensity_p90": ("", 700, 5000),
    "overrun": ("cost overruns, median total spent / planned 1.05–1.15", 1.03, 1.20),
}


def year_projects(ledger: Ledger, year: int) -> pd.DataFrame:
    """The year's key-project list: registered by its end, not cancelled or completed before it."""
    p = ledger.projects
    first, last = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 12, 31)
    gone = (p["cancelled_date"] < first) | (p["completion_date"] < first)
    return p.loc[(p["registered_date"] <= last) & ~gone]


def calibration(ledger: Ledger, year: int = 2024) -> dict[str, float]:
    """The calibration figures of ``docs/sample.md`` measured on ``ledger``.

    ``zone_*`` figures describe the zone with the longest key-project list in
    ``year`` (the 绵阳 figures describe one large zone); shares pool every zone.
    """
    p = ledger.projects
    listed = year_projects(ledger, year)
    counts = listed.groupby("zone_id").size()
    zone = listed.loc[listed["zone_id"] == counts.idxmax()]
    first, mid, last = pd.Timestamp(year, 1, 1), pd.Timestamp(year, 6, 30), pd.Timestamp(year, 12, 31)
    building = listed.loc[listed["start_date"] <= last]
    by_mid = building.loc[building["start_date"] <= mid]
    tgt = ledger.targets
    plan = tgt.loc[(tgt["year"] == year) & (tgt["metric"] == "investment"), "value"].sum()
    prog = ledger.progress
    spent = prog.loc[(prog["period_end"].dt.year == year) & prog["project_id"].isin(listed["project_id"]),
                     "investment"].sum()

    ind = p.loc[p["category"] == "industrial"].set_index("project_id")
    build = (ind["completion_date"] - ind["start_date"]).dt.days / DAYS_PER_MONTH
    ramp = (ind["full_production_date"] - ind["production_date"]).dt.days / DAYS_PER_MONTH
    capacity = _output_at_capacity(ledger)
    land = (ind["planned_investment"] / ind["land_mu"]).dropna()
    return {
        "projects": float(len(p)),
        "zone_projects": float(counts.max()),
        "zone_projects_median": float(counts.median()),
        "zone_planned_yi": float(zone["planned_investment"].sum() / 1e4),
        "zone_planned_min_yi": float(zone["planned_investment"].min() / 1e4),
        "zone_planned_max_yi": float(zone["planned_investment"].max() / 1e4),
        "planned_mean_yi": float(listed["planned_investment"].mean() / 1e4),
        "plan_share": float(plan / listed["planned_investment"].sum()),
        "spent_share": float(spent / listed["planned_investment"].sum()),
        "building_share": float(len(building) / len(listed)),
        "started_by_midyear": float(len(by_mid) / len(building)),
        "new_share_by_midyear": float((by_mid["start_date"] >= first).mean()),
        "build_months_industrial": float(build.median()),
        "build_months_large_industrial": float(build[ind["planned_investment"] >= 100_000].median()),
        "ramp_months_industrial": float(ramp.median()),
        "output_ratio_industrial": float((capacity / ind["planned_investment"]).dropna().median()),
        "realisation_industrial": float((capacity / ind["designed_output"]).dropna().median()),
        "land_intensity_industrial": float(land.median()),
        "land_intensity_p10": float(land.quantile(0.1)),
        "land_intensity_p90": float(land.quantile(0.9)),
        "overrun": float(_overrun(ledger).median()),
    }


def _output_at_capacity(ledger: Ledger) -> pd.Series:
    """Output in the 12 months after full production (万元 a year), per project fully observed."""
    p = ledger.projects.set_index("project_id")
    full = p["full_production_date"].dropna()
    full = full.loc[full + pd.DateOffset(months=12) <= ledger.progress["period_end"].max()]
    g = ledger.progress.loc[ledger.progress["project_id"].isin(full.index)]
    months = g["period_end"].dt.to_period("M")
    first = full.dt.to_period("M").reindex(g["project_id"]).to_numpy() + 1
    inside = (months.to_numpy() >= first) & (months.to_numpy() < first + 12)
    return g.loc[inside].groupby("project_id")["output_value"].sum()


def _overrun(ledger: Ledger) -> pd.Series:
    """Total spent / planned of projects started and completed inside the ledger."""
    p = ledger.projects
    begin = ledger.progress["period_end"].min()
    done = p.loc[(p["start_date"] >= begin) & p["completion_date"].notna()].set_index("project_id")
    spent = ledger.progress.loc[ledger.progress["project_id"].isin(done.index)].groupby("project_id")["investment"].sum()
    return spent / done["planned_investment"]


def seasonality(ledger: Ledger) -> dict[str, np.ndarray]:
    """Share of investment and of start / completion / production events per calendar month."""
    out = {}
    prog = ledger.progress
    month = prog["period_end"].dt.month
    inv = prog.groupby(month)["investment"].sum()
    out["investment"] = (inv / inv.sum()).reindex(range(1, 13), fill_value=0).to_numpy()
    for col in ("start_date", "completion_date", "production_date"):
        d = ledger.projects[col].dropna()
        c = d.dt.month.value_counts().reindex(range(1, 13), fill_value=0)
        out[col] = (c / c.sum()).to_numpy()
    return out
