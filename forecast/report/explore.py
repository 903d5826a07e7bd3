"""Helpers of ``notebooks/explore.ipynb``: empirical curves and a what-if.

For economists looking behind a forecast: the spending S-curve and output per
category straight from the ledger (to hold against what the models learned),
and :func:`delay_starts`, a what-if that makes every project still waiting to
start begin a given number of months later, so its effect on the forecast can
be seen next to the base case.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..models._base import Paths
from ..periods import quarter, quarter_end
from ..vocab import CATEGORIES, WAN_PER_YI
from . import figures
from .labels import t

#: Events that follow the start of construction, shifted with it.
_AFTER_START = ("start_date", "completion_date", "production_date", "full_production_date")
#: Points of the construction period at which S-curves are read (0 = start, 1 = completion).
S_GRID = np.round(np.linspace(0.0, 1.0, 11), 2)


def s_curves(ledger: Any, as_of: str | pd.Period) -> pd.DataFrame:
    """Share of a project's investment spent by each point of its construction.

    Uses projects completed by ``as_of`` (start and completion known) and their
    progress rows. The median over projects is taken per category at the
    points of :data:`S_GRID` (0 = start, 1 = completion), interpolating each
    project's cumulative share at its period ends.

    Returns
    -------
    DataFrame
        ``category, t, share, projects``.
    """
    cut = ledger.as_of(quarter(as_of))
    p = cut.projects.loc[cut.projects["completion_date"].notna() & cut.projects["start_date"].notna(),
                         ["project_id", "category", "start_date", "completion_date"]]
    prog = cut.progress[["project_id", "period_end", "investment"]].dropna()
    d = prog.merge(p, on="project_id").sort_values(["project_id", "period_end"])
    total = d.groupby("project_id")["investment"].transform("sum")
    d = d.loc[total > 0].assign(share=lambda x: x.groupby("project_id")["investment"].cumsum()
                                / x.groupby("project_id")["investment"].transform("sum"))
    span = (d["completion_date"] - d["start_date"]).dt.days.clip(lower=1)
    d["t"] = (d["period_end"] - d["start_date"]).dt.days / span
    rows = []
    for (cat, _), g in d.groupby(["category", "project_id"], sort=False):
        tt, ss = g["t"].to_numpy(), g["share"].to_numpy()
        # Before the first report nothing is spent; after the last, everything.
        rows.append((cat, np.interp(S_GRID, np.r_[min(tt.min(), 0.0) - 1e-9, tt], np.r_[0.0, ss])))
    out = []
    for cat in CATEGORIES:
        curves = [c for k, c in rows if k == cat]
        if curves:
            med = np.median(np.vstack(curves), axis=0)
            out += [(cat, float(x), float(y), len(curves)) for x, y in zip(S_GRID, med)]
    return pd.DataFrame(out, columns=["category", "t", "share", "projects"])


def output_by_category(ledger: Any, as_of: str | pd.Period) -> pd.DataFrame:
    """Output of producing projects per category, from the ledger.

    For projects in production for at least a year by ``as_of``: output of the
    last four quarters (万元 a year) against planned investment and against the
    declared ``designed_output``; medians per category.

    Returns
    -------
    DataFrame
        ``category, projects, output_yi`` (total, 亿元 a year),
        ``output_per_investment``, ``realisation``.
    """
    q = quarter(as_of)
    cut = ledger.as_of(q)
    end = quarter_end(q)
    p = cut.projects.loc[cut.projects["production_date"] <= end - pd.DateOffset(years=1)]
    prog = cut.progress.loc[cut.progress["period_end"] > end - pd.DateOffset(years=1)]
    annual = prog.groupby("project_id")["output_value"].sum(min_count=1)
    p = p.assign(annual=p["project_id"].map(annual)).dropna(subset=["annual"])
    p = p.assign(per_inv=p["annual"] / p["planned_investment"],
                 realisation=p["annual"] / p["designed_output"].where(p["designed_output"] > 0))
    out = p.groupby("category").agg(projects=("project_id", "size"), output=("annual", "sum"),
                                    output_per_investment=("per_inv", "median"),
                                    realisation=("realisation", "median"))
    out["output_yi"] = out.pop("output") / WAN_PER_YI
    return out.reindex([c for c in CATEGORIES if c in out.index]).reset_index()


def s_curve_figure(curves: pd.DataFrame, lang: str, model: Any = None) -> Figure:
    """The empirical S-curves per category; the spend model's expected share
    (its ``expected_share(t)``, when it has one) dashed on top."""
    with figures.style():
        fig, axes = figures.new_figure(1, 3.2)
        ax = axes[0]
        for cat, g in curves.groupby("category", sort=False):
            ax.plot(g["t"], g["share"], marker="o", markersize=2.5, linewidth=1.3,
                    label=t(f"category.{cat}", lang))
        share = getattr(model, "expected_share", None)
        if callable(share):
            ax.plot(S_GRID, share(S_GRID), color="black", linestyle="--", linewidth=1.2,
                    label=t("explore.model", lang))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel(t("explore.construction", lang))
        ax.set_title(t("explore.s_curve", lang))
        ax.legend(loc="lower right", fontsize=7)
    return fig


def delay_starts(models: Any, months: float = 3.0) -> Any:
    """A what-if copy of a fitted ModelSet: every project not yet started at
    ``as_of`` starts ``months`` later, and its completion and production with it.

    Parameters
    ----------
    models : ModelSet
        Fitted; it is not changed.
    months : float
        The delay; 3 = one quarter.

    Returns
    -------
    ModelSet
        To pass as ``models=`` to :func:`forecast.simulate.forecast_zones`.
        Projects already started keep their paths; new projects (the ``new_``
        allowance) are not delayed.
    """
    alt = copy.copy(models)
    alt.completion_ = _DelayedStarts(models.completion_, months)
    return alt


class _DelayedStarts:
    """Wraps a fitted completion model, shifting the sampled start of projects
    still waiting to start (and every later milestone) by ``months``."""

    def __init__(self, inner: Any, months: float) -> None:
        self.inner = inner
        self.months = float(months)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def sample_paths(self, ledger_cut: Any, projects: pd.DataFrame, horizon: int, draws: int,
                     rng: np.random.Generator) -> Paths:
        paths = self.inner.sample_paths(ledger_cut, projects, horizon, draws, rng)
        start = paths.months.get("start_date")
        if start is None:
            return paths
        # NaN = started before as_of (not waiting); inf = not within the horizon.
        waiting = np.isfinite(start)
        months = dict(paths.months)
        for event in _AFTER_START:
            if event in months:
                m = months[event]
                months[event] = np.where(waiting & np.isfinite(m), m + self.months, m).astype(m.dtype)
        return Paths(paths.project_ids, paths.quarters, months, paths.as_of, dict(paths.extras))


def compare(base: Any, alt: Any, metrics: tuple[str, ...] = ("investment", "projects_started",
                                                              "projects_completed")) -> pd.DataFrame:
    """Mean forecasts of two ZoneForecasts side by side, per quarter and metric.

    Returns
    -------
    DataFrame
        ``metric, period, base, whatif, change``.
    """
    cols = ["metric", "period", "mean"]
    b = base.table.loc[base.table["metric"].isin(metrics), cols].rename(columns={"mean": "base"})
    a = alt.table.loc[alt.table["metric"].isin(metrics), cols].rename(columns={"mean": "whatif"})
    out = b.merge(a, on=["metric", "period"])
    out["change"] = out["whatif"] - out["base"]
    return out


def compare_figure(table: pd.DataFrame, lang: str, metric: str = "investment") -> Figure:
    """Base and what-if means of one metric by quarter (亿元 for money)."""
    d = table.loc[table["metric"] == metric]
    scale = WAN_PER_YI if metric in ("investment", "output_value") else 1.0
    x = np.arange(len(d))
    with figures.style():
        fig, axes = figures.new_figure(1, 2.8)
        ax = axes[0]
        ax.plot(x, d["base"] / scale, marker="o", color=figures.FORECAST, label=t("explore.base", lang))
        ax.plot(x, d["whatif"] / scale, marker="s", color=figures.NEW, label=t("explore.whatif", lang))
        ax.set_xticks(x)
        ax.set_xticklabels([figures.quarter_label(quarter(str(p))) for p in d["period"]])
        unit = f"（{t('unit.yi', lang)}）" if lang == "zh" else f" ({t('unit.yi', lang)})"
        ax.set_title(t(f"metric.{metric}", lang) + (unit if scale != 1.0 else ""))
        ax.set_ylim(bottom=0)
        figures.headroom(ax, 0.3)
        ax.legend(loc="upper left", ncols=2)
    return fig


__all__ = ["compare", "compare_figure", "delay_starts", "output_by_category",
           "s_curve_figure", "s_curves"]
