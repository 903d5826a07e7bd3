"""Helpers of ``notebooks/explore.ipynb``: empirical curves.

For economists looking behind a forecast: the spending S-curve and output per
category straight from the ledger, to hold against what the models learned.
What-ifs are scenarios (:mod:`forecast.scenario`), shown by
:mod:`forecast.report.workbench`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..periods import quarter_end
from ..vocab import CATEGORIES, WAN_PER_YI
from . import figures
from .labels import t

#: Points of the construction period at which S-curves are read (0 = start, 1 = completion).
S_GRID = np.round(np.linspace(0.0, 1.0, 11), 2)


def s_curves(ledger: Any, as_of: pd.Period) -> pd.DataFrame:
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
    cut = ledger.as_of(as_of)
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


def output_by_category(ledger: Any, as_of: pd.Period) -> pd.DataFrame:
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
    q = as_of
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


__all__ = ["output_by_category", "s_curve_figure", "s_curves"]
