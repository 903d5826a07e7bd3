"""The ``Ledger``: canonical tables of one administration's zones and projects.

A ``Ledger`` is immutable in spirit: ``as_of`` and ``zone`` return new ledgers.
Tables use the canonical English columns of SCHEMA.md, money in 万元, dates as
``datetime64[ns]`` (``NaT`` = not happened / unknown).

Canonical tables
----------------
zones       zone_id, name, province, city, level (+ extra columns)
projects    project_id, zone_id, name, category, industry, planned_investment,
            registered_date, land_mu, signed_date, start_date,
            planned_completion_date, completion_date, production_date,
            full_production_date, cancelled_date, designed_output,
            responsible_unit, officer (+ extra columns). A ``status`` column is
            checked against the dates at load time and then dropped: the stage
            is always derived from dates (``stage_at``).
progress    project_id, period (text ``YYYY-MM`` or ``YYYYQn``), freq ("M"/"Q"),
            period_end (datetime64, last day), quarter (period[Q-DEC]),
            investment, output_value (万元 in the period; NaN = not reported)
targets     zone_id, year (int), metric, value
indicators  zone_id, period, freq, period_end, quarter, metric, value
plan        project_id, year (int), plan (``continuing`` / ``new_start`` /
            ``production`` / ``preparatory``), year_investment (万元),
            zone_id (the project's zone, derived at load, not written)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from ..exceptions import ForecastError, Problem
from ..periods import quarter, quarter_end
from ..vocab import EVENT_DATES, MILESTONE_DATES, STAGE_DATE
from .columns import table_columns, table_dtypes

ZONE_COLUMNS = table_columns("zones")
PROJECT_COLUMNS = table_columns("projects")
PROGRESS_COLUMNS = table_columns("progress")
TARGET_COLUMNS = table_columns("targets")
INDICATOR_COLUMNS = table_columns("indicators")
#: plan.csv's columns and each row's zone, derived from its project.
PLAN_COLUMNS = (*table_columns("plan"), "zone_id")


def _rows(df: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """A new frame of the rows of ``df`` where ``keep``, indexed 0..n-1."""
    out = df.take(np.flatnonzero(keep))
    out.index = pd.RangeIndex(len(out))
    return out


def empty_table(table: str) -> pd.DataFrame:
    """A table without rows, with the columns and dtypes a loaded one has."""
    dtypes = table_dtypes(table)
    columns = PLAN_COLUMNS if table == "plan" else tuple(dtypes)
    return pd.DataFrame({c: pd.Series(dtype=dtypes.get(c, "object")) for c in columns})


@dataclass(frozen=True)
class Ledger:
    """Canonical, validated tables of a ledger (see the module docstring).

    Build one with :func:`forecast.ledger.load`; cut it with :meth:`as_of`.
    """

    zones: pd.DataFrame
    projects: pd.DataFrame
    progress: pd.DataFrame
    targets: pd.DataFrame = field(default_factory=lambda: empty_table("targets"))
    indicators: pd.DataFrame = field(default_factory=lambda: empty_table("indicators"))
    #: The year's plan (plan.csv); empty when the ledger has none.
    plan: pd.DataFrame = field(default_factory=lambda: empty_table("plan"))
    source: str | None = None
    #: Non-fatal problems found at load (warnings); errors raise LedgerError.
    warnings: tuple[Problem, ...] = ()
    #: The quarter this ledger was cut at, ``None`` for an uncut ledger.
    cut: pd.Period | None = None
    #: The language of the ledger's headers (``zh`` / ``en``): speak to its user in it.
    lang: str = "en"

    def __post_init__(self) -> None:
        if "zone_id" not in self.plan.columns:  # a plan built by hand: give it its zones
            object.__setattr__(self, "plan", plan_zones(self.plan, self.projects))

    # --- cutting ---------------------------------------------------------------
    def as_of(self, q: str | pd.Period) -> "Ledger":
        """What was known at the end of quarter ``q`` (SCHEMA.md, As-of semantics).

        Keeps projects registered on or before the quarter's last day, blanks
        every event dated after it (the project is still in its earlier stage),
        blanks ``planned_completion_date`` for projects not started by then,
        keeps progress and indicator periods ending on or before it, and keeps
        all targets and plan rows (plans are known in advance), even a plan's
        rows for projects registered after the cut.

        A ledger already cut at ``q`` is returned as it is (it is immutable).
        """
        q = quarter(q)
        if self.cut == q:
            return self
        end = quarter_end(q)
        # Row selections by position, with a fresh index set in place: a
        # ``reset_index``/``copy`` would consolidate the tables' blocks, which
        # cost seconds on a ledger of millions of progress rows.
        p = _rows(self.projects, (self.projects["registered_date"] <= end).to_numpy())
        for col in EVENT_DATES:
            if col in p:
                p[col] = p[col].where(p[col] <= end)
        if "planned_completion_date" in p:
            p["planned_completion_date"] = p["planned_completion_date"].where(
                p["start_date"].notna()
            )
        prog = self.progress
        keep = (prog["period_end"] <= end).to_numpy()
        if len(p) < len(self.projects):  # some projects registered later: their rows go too
            keep &= prog["project_id"].isin(p["project_id"]).to_numpy()
        ind = self.indicators
        if len(ind):
            ind = _rows(ind, (ind["period_end"] <= end).to_numpy())
        return replace(
            self,
            projects=p,
            progress=_rows(prog, keep),
            indicators=ind.reset_index(drop=True),
            cut=q,
        )

    def zone(self, zone_id: str) -> "Ledger":
        """The same ledger restricted to one zone."""
        if zone_id not in set(self.zones["zone_id"]):
            raise ForecastError(
                f"Zone {zone_id!r} is not in this ledger; known zones: "
                f"{', '.join(map(str, self.zones['zone_id'][:20]))}"
            )
        keep = self.projects["zone_id"] == zone_id
        pids = self.projects.loc[keep, "project_id"]
        return replace(
            self,
            zones=self.zones.loc[self.zones["zone_id"] == zone_id].reset_index(drop=True),
            projects=self.projects.loc[keep].reset_index(drop=True),
            progress=self.progress.loc[self.progress["project_id"].isin(pids)].reset_index(drop=True),
            targets=self.targets.loc[self.targets["zone_id"] == zone_id].reset_index(drop=True),
            indicators=self.indicators.loc[self.indicators["zone_id"] == zone_id].reset_index(drop=True)
            if len(self.indicators)
            else self.indicators,
            # by the derived zone, not the projects: a cut ledger keeps plan rows of later projects
            plan=self.plan.loc[self.plan["zone_id"] == zone_id].reset_index(drop=True)
            if len(self.plan)
            else self.plan,
        )

    # --- stages -----------------------------------------------------------------
    def stage_at(self, date: str | pd.Timestamp) -> pd.Series:
        """Stage of every project at ``date``, derived from its dates.

        Returns a Series indexed like ``projects`` with values from
        ``vocab.STAGES``, or ``NA`` for a project not yet registered then.
        """
        return stage_at(self.projects, pd.Timestamp(date))

    @property
    def last_quarter(self) -> pd.Period:
        """The latest quarter the ledger has data for (events or progress)."""
        if self.cut is not None:
            return self.cut
        latest = [self.projects[c].max() for c in EVENT_DATES if c in self.projects]
        if len(self.progress):
            latest.append(self.progress["period_end"].max())
        latest = [d for d in latest if pd.notna(d)]
        if not latest:
            raise ForecastError("The ledger has no dated events or progress.")
        return quarter(max(latest))

    @property
    def first_quarter(self) -> pd.Period:
        """The earliest quarter the ledger has data for (a registration or a progress period)."""
        firsts = [self.projects["registered_date"].min()]
        if len(self.progress):
            firsts.append(self.progress["period_end"].min())
        firsts = [d for d in firsts if pd.notna(d)]
        if not firsts:
            raise ForecastError("The ledger has no dated events or progress.")
        return quarter(min(firsts))

    def check_quarter(self, q: str | pd.Period) -> pd.Period:
        """``q`` as a quarter if the ledger has data up to it, else ``ForecastError``.

        Every command that takes an as-of quarter (report, batch, predict,
        rates, backtest origins) calls this: a quarter after the ledger's last
        would read the quarters nobody reported as zeros, and one before its
        first has nothing to forecast from.
        """
        q = quarter(q)
        last = self.last_quarter
        if q > last:
            raise ForecastError(
                f"{q} is after the ledger's last quarter {last}: the ledger has no data for it. "
                f"Use {last} or an earlier quarter."
            )
        first = self.first_quarter
        if q < first:
            raise ForecastError(
                f"{q} is before the ledger's first quarter {first}: the ledger has no data then. "
                f"Use {first} or a later quarter."
            )
        return q

    @property
    def zone_ids(self) -> list[str]:
        """Zone ids in ledger order."""
        return list(self.zones["zone_id"])

    def __repr__(self) -> str:
        cut = f", as_of={self.cut}" if self.cut is not None else ""
        return (
            f"Ledger({len(self.zones)} zones, {len(self.projects)} projects, "
            f"{len(self.progress)} progress rows{cut}, source={self.source!r})"
        )


def plan_zones(plan: pd.DataFrame, projects: pd.DataFrame) -> pd.DataFrame:
    """``plan`` with ``zone_id`` set to each row's project's zone (NaN for an unknown project)."""
    zone_of = pd.Series(projects["zone_id"].to_numpy(), index=projects["project_id"].to_numpy())
    zone_of = zone_of.loc[~zone_of.index.duplicated()]
    out = plan.drop(columns="zone_id", errors="ignore")
    at = out.columns.get_loc("year_investment") + 1 if "year_investment" in out else len(out.columns)
    out.insert(at, "zone_id", out["project_id"].map(zone_of).astype(object))
    return out


def stage_at(projects: pd.DataFrame, date: pd.Timestamp) -> pd.Series:
    """Vectorised stage of each row of a projects table at ``date``."""
    conds = []
    names = []
    cancelled = projects["cancelled_date"] <= date
    # Cancellation ends a project only before completion (SCHEMA.md).
    conds.append(cancelled)
    names.append("cancelled")
    for col in reversed(MILESTONE_DATES):
        stage = next(s for s, c in STAGE_DATE.items() if c == col)
        conds.append(projects[col] <= date)
        names.append(stage)
    out = np.select(conds, names, default=None)
    return pd.Series(out, index=projects.index, name="stage", dtype="object")
