"""Year-end forecasts of the rates, and next quarter's 三个一批, from the simulation's draws.

The rates of SCHEMA.md (:mod:`forecast.ledger.rates`) at the end of the year
of the first forecast quarter, draw by draw: each simulated path says which
projects sign, start, complete and produce by 31 December, so each draw has
its own lists and numerators, and the rate's p10/p50/p90 and the probability
of reaching the whole plan (100%) are read off the draws.

What goes into a draw:

* projects simulated from the cut (every project not cancelled at ``as_of``):
  their events in the draw, on the list definitions of ``rate_lists``;
* cancelled projects and plan projects not yet in the ledger: as known at
  ``as_of`` (nothing more happens to them);
* 开复工率 / 新开工率 without a plan: projects registered after ``as_of`` that
  start within the year (the arrivals model's ``new_projects_started``) join
  list and numerator, as they would in the ledger a year on;
* 投资完成率: the year's investment so far plus the simulated zone totals of the
  year's remaining quarters, over the plan's (or the target's) figure.

A limitation: a project not started at ``as_of`` has no known planned
completion date, so the fallback 竣工投产率 list gains it only once it
completes within the year, not when it merely starts with a plan to finish
within the year (short builds; rare).

三个一批 of the next quarter: per draw, the projects of the ledger signed,
started and put into production in the first forecast quarter, with their
planned investment (projects registered later are not in these counts).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Mapping

import numpy as np
import pandas as pd

from .ledger.rates import plan_rows, rate_lists
from .periods import quarter, quarter_end
from .scoring import draw_quantiles
from .vocab import RATE_NAMES

#: The events of 三个一批 and the date column each counts.
BATCH_EVENTS: Final = {"signed": "signed_date", "started": "start_date", "producing": "production_date"}
YEAR_END_COLUMNS: Final = ("zone_id", "year", "rate", "basis", "mean", "p10", "p50", "p90", "p_reach")
BATCH_COLUMNS: Final = ("zone_id", "period", "event", "projects_p10", "projects_p50", "projects_p90",
                        "investment_p10", "investment_p50", "investment_p90")
_COUNT_RATES: Final = tuple(r for r in RATE_NAMES if r != "investment_rate")


def _happened(months: np.ndarray, by: float) -> np.ndarray:
    """``(draws, n)``: the event happened by month ``by`` after ``as_of`` (NaN:
    before ``as_of``; inf: not within the horizon, or never)."""
    with np.errstate(invalid="ignore"):
        return np.isnan(months) | (months < by)


@dataclass
class YearEnd:
    """What the draws are tallied against for one cut ledger and year.

    Build it in the parent with :meth:`for_cut`; workers call :meth:`tally` on
    each chunk of paths (it is small and pickles); :meth:`frames` reads the
    summed tallies.
    """

    year: int
    #: Months from the end of ``as_of`` to 31 December of ``year``.
    months_to_end: float
    plan: pd.DataFrame
    #: Per zone, the lists' counts of projects nothing more happens to.
    fixed: pd.DataFrame = field(default_factory=pd.DataFrame)

    @classmethod
    def for_cut(cls, cut: Any, horizon: int) -> "YearEnd | None":
        """For the year of the first forecast quarter, or ``None`` when the
        horizon stops before that year ends."""
        q = cut.cut
        year = (q + 1).year
        q4 = pd.Period(f"{year}Q4", "Q-DEC")
        if q4 > q + int(horizon):
            return None
        plan = plan_rows(cut, year)
        end = pd.Timestamp(year=year, month=12, day=31)
        p = cut.projects
        # cancelled at as_of: not simulated; their lists as they stand
        gone = p.loc[p["cancelled_date"].notna()]
        fixed = rate_lists(gone, plan, year, end).drop(columns="planned").groupby("zone_id").sum()
        # on the plan but not registered yet: on the list, not started
        missing = plan.loc[~plan["project_id"].isin(p["project_id"])]
        for rate, kinds in (("start_rate", ("continuing", "new_start")), ("new_start_rate", ("new_start",)),
                            ("production_rate", ("production",))):
            extra = missing.loc[missing["plan"].isin(kinds)].groupby("zone_id")["project_id"].nunique()
            fixed = fixed.reindex(fixed.index.union(extra.index), fill_value=0)
            fixed.loc[extra.index, f"{rate}_den"] += extra
        return cls(year, 3.0 * ((q4 - q).n), plan, fixed.astype("int64"))

    # --- in the workers ------------------------------------------------------------
    def tally(self, chunk: pd.DataFrame, paths: Any) -> dict[str, np.ndarray]:
        """Per draw, the year-end lists and numerators of this chunk's projects
        (``<rate>_den`` / ``<rate>_num``) and next quarter's 三个一批
        (``batch_<event>_n`` / ``batch_<event>_inv``, 万元 planned)."""
        m, by = paths.months, self.months_to_end
        y0 = pd.Timestamp(year=self.year, month=1, day=1)

        def before(col: str) -> np.ndarray:
            return (chunk[col] < y0).fillna(False).to_numpy(bool)[None, :]

        started = _happened(m["start_date"], by)
        started_in_year = started & ~before("start_date")
        signed = _happened(m["signed_date"], by)
        completed = _happened(m["completion_date"], by)
        producing = _happened(m["production_date"], by)
        planned = chunk["zone_id"].isin(set(self.plan["zone_id"])).to_numpy(bool)[None, :]
        kinds = chunk["project_id"].map(self.plan.groupby("project_id")["plan"].agg(set))

        def on_plan(*types: str) -> np.ndarray:
            return kinds.map(lambda s: isinstance(s, set) and bool(s & set(types))).to_numpy(bool)[None, :]

        under_construction = before("start_date") & ~before("completion_date") & ~before("cancelled_date")
        due = ~before("start_date") & ~before("cancelled_date") & (signed | started_in_year)
        output = (chunk["designed_output"] > 0).fillna(False).to_numpy(bool)[None, :]
        pcd = chunk["planned_completion_date"]
        pcd_in_year = ((pcd >= y0) & (pcd.dt.year == self.year)).fillna(False).to_numpy(bool)[None, :]
        production = output & ((completed & ~before("production_date"))
                               | (started & ~before("cancelled_date") & pcd_in_year))
        with np.errstate(invalid="ignore"):
            future_signing = ~np.isnan(m["signed_date"]) & (m["signed_date"] < by)
        signed_window = (chunk["signed_date"] >= y0 - pd.DateOffset(years=1)).fillna(False).to_numpy(bool)
        contract = signed_window[None, :] | future_signing

        lists = {
            "start_rate": (np.where(planned, on_plan("continuing", "new_start"), under_construction | due),
                           started),
            "new_start_rate": (np.where(planned, on_plan("new_start"), due), started_in_year),
            "production_rate": (np.where(planned, on_plan("production"), production), producing),
            "contract_rate": (contract, started),
        }
        out: dict[str, np.ndarray] = {}
        for rate, (den, num) in lists.items():
            den = np.broadcast_to(den, started.shape)
            out[f"{rate}_den"] = den.sum(axis=1).astype(float)
            out[f"{rate}_num"] = (den & num).sum(axis=1).astype(float)
        inv = chunk["planned_investment"].to_numpy(float)
        for event, col in BATCH_EVENTS.items():
            with np.errstate(invalid="ignore"):
                inside = (m[col] >= 0) & (m[col] < 3.0)
            out[f"batch_{event}_n"] = inside.sum(axis=1).astype(float)
            out[f"batch_{event}_inv"] = inside.astype(float) @ inv
        return out

    # --- in the parent -------------------------------------------------------------
    def frames(self, zone_id: str, tallies: Mapping[str, np.ndarray], samples: Mapping[str, np.ndarray],
               quarters: pd.PeriodIndex, invest_so_far: float, invest_plan: float, invest_basis: str
               ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """This zone's year-end rates (``YEAR_END_COLUMNS``) and next quarter's
        三个一批 (``BATCH_COLUMNS``) from its summed tallies and draws.

        ``invest_so_far`` is the zone's investment of the year up to ``as_of``
        (万元), ``invest_plan`` the 投资完成率's denominator (NaN: none).
        """
        draws = len(next(iter(samples.values())))
        in_year = np.asarray(quarters.year) == self.year
        fixed = self.fixed.loc[zone_id] if zone_id in self.fixed.index else None
        planned = zone_id in set(self.plan["zone_id"])
        rows = []
        for rate in RATE_NAMES:
            if rate == "investment_rate":
                spent = invest_so_far + np.asarray(samples["investment"])[:, in_year].sum(axis=1)
                den = np.full(draws, invest_plan, dtype=float)
                num, basis = spent, invest_basis
            else:
                num = tallies.get(f"{rate}_num", np.zeros(draws)).astype(float)
                den = tallies.get(f"{rate}_den", np.zeros(draws)).astype(float)
                if fixed is not None:
                    num, den = num + fixed[f"{rate}_num"], den + fixed[f"{rate}_den"]
                basis = "signed" if rate == "contract_rate" else "plan" if planned else "fallback"
                if basis == "fallback" and rate in ("start_rate", "new_start_rate"):
                    new = np.asarray(samples.get("new_projects_started", np.zeros((draws, len(quarters)))))
                    arrived = new[:, in_year].sum(axis=1)
                    num, den = num + arrived, den + arrived
            with np.errstate(invalid="ignore", divide="ignore"):
                value = np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)
            if np.isnan(value).mean() > 0.5:  # an empty list in most draws: not defined
                rows.append((zone_id, self.year, rate, basis, np.nan, np.nan, np.nan, np.nan, np.nan))
                continue
            v = value[~np.isnan(value)]
            # a rate of project counts takes a value some draw took (7/9, not 7.3/9)
            p10, p50, p90 = draw_quantiles(v, [0.1, 0.5, 0.9], discrete=rate != "investment_rate")
            # 1e-9: a rate of exactly 100% reached in float arithmetic
            rows.append((zone_id, self.year, rate, basis, float(v.mean()), float(p10), float(p50),
                         float(p90), float(np.mean(v >= 1.0 - 1e-9))))
        year_end = pd.DataFrame(rows, columns=list(YEAR_END_COLUMNS))
        batch = []
        for event in BATCH_EVENTS:
            n = tallies.get(f"batch_{event}_n", np.zeros(draws))
            inv = tallies.get(f"batch_{event}_inv", np.zeros(draws))
            batch.append((zone_id, str(quarters[0]), event, *draw_quantiles(n, [0.1, 0.5, 0.9], discrete=True),
                          *np.quantile(inv, [0.1, 0.5, 0.9])))
        return year_end, pd.DataFrame(batch, columns=list(BATCH_COLUMNS))


def add_tallies(total: dict[str, np.ndarray], part: Mapping[str, np.ndarray]) -> None:
    """Add one chunk's tallies into a zone's (in place)."""
    for k, v in part.items():
        total[k] = total[k] + v if k in total else np.asarray(v, dtype=float).copy()


def quarter_batches(projects: pd.DataFrame, q: pd.Period) -> pd.DataFrame:
    """三个一批 of a past quarter: the projects signed, started and put into
    production in it, with their count and planned investment (万元).

    Returns one row per event of ``BATCH_EVENTS``: ``event, projects, investment``.

    >>> p = pd.DataFrame({"signed_date": pd.to_datetime(["2025-02-01", "2024-12-01"]),
    ...     "start_date": pd.to_datetime(["2025-03-01", None]), "production_date": pd.NaT,
    ...     "planned_investment": [100.0, 50.0]})
    >>> quarter_batches(p, quarter("2025Q1"))["projects"].tolist()
    [1, 1, 0]
    """
    lo, hi = quarter_end(q - 1), quarter_end(q)
    rows = []
    for event, col in BATCH_EVENTS.items():
        inside = (projects[col] > lo) & (projects[col] <= hi)
        rows.append((event, int(inside.sum()), float(projects.loc[inside, "planned_investment"].sum())))
    return pd.DataFrame(rows, columns=["event", "projects", "investment"])




def last_year(as_of: pd.Period) -> int | None:
    """The year whose result a report at ``as_of`` states: the year just ended
    (``as_of`` its Q4, or the next year's Q1), else ``None``.

    >>> [last_year(quarter(q)) for q in ("2025Q4", "2026Q1", "2026Q2")]
    [2025, 2025, None]
    """
    q = as_of
    return q.year if q.quarter == 4 else q.year - 1 if q.quarter == 1 else None


def year_result(history: pd.DataFrame, targets: pd.DataFrame, zone_id: str, year: int) -> pd.DataFrame:
    """How ``year`` ended against each of the zone's targets for it.

    ``history`` is ``aggregate.quarterly`` (covering the year); returns
    ``metric, target, actual, share`` (actual / target; NaN for a target ≤ 0),
    one row per target, in ``vocab.TARGET_METRICS`` order.
    """
    from .vocab import TARGET_METRICS

    t = targets.loc[(targets["zone_id"] == zone_id) & (targets["year"].astype(int) == int(year))]
    h = history.loc[history["zone_id"] == zone_id]
    in_year = pd.PeriodIndex(h["quarter"], freq="Q-DEC").year == int(year)
    rows = []
    for metric in TARGET_METRICS:
        hit = t.loc[t["metric"] == metric, "value"]
        if hit.empty:
            continue
        target = float(hit.sum())
        actual = float(h.loc[in_year, metric].sum()) if metric in h else 0.0
        rows.append((metric, target, actual, actual / target if target > 0 else np.nan))
    return pd.DataFrame(rows, columns=["metric", "target", "actual", "share"])


__all__ = ["BATCH_COLUMNS", "BATCH_EVENTS", "YEAR_END_COLUMNS", "YearEnd", "add_tallies", "last_year",
           "quarter_batches", "year_result"]
