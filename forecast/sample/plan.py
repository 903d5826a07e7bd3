"""The year's plan (plan.csv) as a zone office makes it each January from its ledger.

On 1 January the office lists the projects it will push that year, from what
its ledger says on that day (events dated before it), and plans each one's
investment for the year (年度计划投资) by breaking the zone's investment target
for the year (targets.csv) down over the listed projects, each in proportion
to what it has to do:

- 竣工投产 ``production``: an output-producing project (``designed_output`` > 0)
  under construction whose planned completion falls in the year or is overdue,
  or one completed but not yet producing; its share: all it has left to spend
  (planned investment less what it spent before the year).
- 续建 ``continuing``: any other project under construction; its share: what is
  left spread evenly over the months to its planned completion (the year's
  twelve of them; half of it when the planned completion is not given).
- 新开工 ``new_start``: signed, not started; its share: :data:`FIRST_YEAR_SHARE`
  of its planned investment.
- 预备 ``preparatory``: registered, neither signed nor started (前期工作);
  planned: nothing.

A zone without a target for the year plans the shares themselves.

Cancelled projects, and projects finished (producing, or completed without
output) before the year, are off the plan. Nothing is drawn at random: the plan
is a function of the ledger, so adding it leaves every other table of a
generated ledger exactly as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Share of a new start's planned investment planned for its first year: started
#: some five months into the year (signed → started, docs/sample.md), it spends
#: slowly at first on an S-curve over one to three years of construction.
FIRST_YEAR_SHARE = 0.25
#: Share of what is left planned for a project under construction whose planned
#: completion the ledger does not give.
UNKNOWN_COMPLETION_SHARE = 0.5
#: Plans are written to the nearest 10 万元.
ROUND_TO = -1


def plan_of_year(projects: pd.DataFrame, progress: pd.DataFrame, year: int,
                 target: pd.Series | None = None) -> pd.DataFrame:
    """The plan rows of ``year`` (``project_id, year, plan, year_investment``), in the projects' order.

    Parameters
    ----------
    projects, progress : canonical ledger tables (``Ledger.projects``, ``Ledger.progress``).
    year : the plan's year; the ledger is read as it stood on its 1 January.
    target : the year's investment target (万元) by zone id, broken down over each
        zone's plan; a zone missing here plans the projects' shares as they are.
    """
    y0 = pd.Timestamp(year=int(year), month=1, day=1)
    y1 = pd.Timestamp(year=int(year), month=12, day=31)
    p = projects

    def before(col: str) -> np.ndarray:  # happened before the year (NaT: not yet)
        return (p[col] < y0).fillna(False).to_numpy(bool)

    known = before("registered_date") & ~before("cancelled_date")
    output = (p["designed_output"] > 0).fillna(False).to_numpy(bool)
    building = before("start_date") & ~before("completion_date")
    waiting = before("completion_date") & ~before("production_date") & output
    due = (p["planned_completion_date"] <= y1).fillna(False).to_numpy(bool)  # overdue counts as due
    production = known & ((building & output & due) | waiting)
    continuing = known & building & ~production
    new_start = known & ~before("start_date") & before("signed_date")
    preparatory = known & ~before("start_date") & ~before("signed_date")
    kind = np.select([production, continuing, new_start, preparatory],
                     ["production", "continuing", "new_start", "preparatory"], default="")

    spent_before = progress.loc[progress["period_end"] < y0].groupby("project_id")["investment"].sum()
    left = np.maximum(p["planned_investment"].to_numpy(float)
                      - p["project_id"].map(spent_before).fillna(0.0).to_numpy(float), 0.0)
    months_left = ((p["planned_completion_date"] - y0).dt.days.to_numpy(float) / 30.4375)
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(months_left > 12, 12 / months_left, 1.0)  # overdue: all of it
    share[np.isnan(months_left)] = UNKNOWN_COMPLETION_SHARE
    invest = np.select([production, continuing, new_start, preparatory],
                       [left, left * share, p["planned_investment"].to_numpy(float) * FIRST_YEAR_SHARE, 0.0],
                       default=np.nan)
    if target is not None:  # the target broken down: Σ of a zone's plan = its target
        zone = p["zone_id"].to_numpy()
        total = pd.Series(invest).groupby(zone).sum()
        scale = (target.reindex(total.index) / total.where(total > 0)).fillna(1.0)
        invest = invest * scale.reindex(zone).to_numpy(float)
    on = kind != ""
    return pd.DataFrame({
        "project_id": p["project_id"].to_numpy()[on],
        "year": np.full(int(on.sum()), int(year), dtype=np.int64),
        "plan": kind[on].astype(object),
        "year_investment": np.round(invest[on], ROUND_TO),
    })


def yearly_plans(projects: pd.DataFrame, progress: pd.DataFrame, targets: pd.DataFrame,
                 first_year: int, last_year: int) -> pd.DataFrame:
    """:func:`plan_of_year` for every year from ``first_year`` to ``last_year``, each
    breaking down that year's ``investment`` targets (``Ledger.targets``)."""
    invest = targets.loc[targets["metric"] == "investment"]
    frames = []
    for y in range(int(first_year), int(last_year) + 1):
        target = invest.loc[invest["year"].astype(int) == y].groupby("zone_id")["value"].sum()
        frames.append(plan_of_year(projects, progress, y, target))
    return pd.concat(frames, ignore_index=True)
