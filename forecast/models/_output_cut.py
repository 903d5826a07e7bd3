"""What sampling output needs of every project of a cut, computed once per cut.

Every project's figures come from its own rows and the fit, so a zone's are the
same in any run; :func:`output_cut` keeps them in the cut's cache
(``_cutcache.CutCache.memo``), one :class:`OutputCut` per fitted model and cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..periods import DAYS_PER_MONTH, quarter_end
from ..vocab import CATEGORIES
from ._cutcache import cut_cache
from .capacity import between_category_var, capacity_design, category_design

#: Longest horizon (quarters) whose quarter edges are kept per cut.
MAX_QUARTERS = 16


def _root(cov: np.ndarray) -> np.ndarray:
    """A square root ``A`` of a covariance (``A @ A.T == cov``), by eigenvalues so
    that zero directions are fine: ``A @ z`` draws from N(0, cov)."""
    w, V = np.linalg.eigh(np.asarray(cov, dtype=float))
    return V * np.sqrt(np.maximum(w, 0.0))


@dataclass(frozen=True)
class CapacityPrior:
    """Log-capacity prior of a cut's projects (one entry per project).

    mean, pvar, rvar : log-capacity mean, parameter variance, residual variance
    xc : capacity-regression design (projects x coefficients)
    declared : whether the project declares a ``designed_output`` the realisation applies to
    xr : realisation design (None when no project declares one)
    cap_root, real_root : square roots of the regressions' covariances, which turn
        a standard-normal draw of the coefficients into per-project shifts
    """

    mean: np.ndarray
    pvar: np.ndarray
    rvar: np.ndarray
    xc: np.ndarray
    declared: np.ndarray
    xr: np.ndarray | None
    cap_root: np.ndarray
    real_root: np.ndarray | None


@dataclass(frozen=True)
class OutputCut:
    """Per project of a cut (in ``cut_cache`` row order), what sampling output needs.

    cat : category code (index into ``vocab.CATEGORIES``)
    producing : in production at the cut
    elapsed : months in production at the cut's quarter end
    full : months from 投产 to 达产 (NaN when 达产 has not come)
    has_rows, n_obs : whether the project reported output, and in how many quarters
    stopped : reporting has ended (or a producing project never reported)
    pos : the project's row in the fit's own data (-1 for none)
    reported, span : start (months after 投产) and length of the last report
    share : P(reports output once producing) of the project's category
    edges : quarter edges in months after the cut's quarter end (``MAX_QUARTERS + 1``)
    season : quarter of year (0-3) of each forecast quarter
    prior : the log-capacity prior
    """

    cat: np.ndarray
    producing: np.ndarray
    elapsed: np.ndarray
    full: np.ndarray
    has_rows: np.ndarray
    n_obs: np.ndarray
    stopped: np.ndarray
    pos: np.ndarray
    reported: np.ndarray
    span: np.ndarray
    share: np.ndarray
    edges: np.ndarray
    season: np.ndarray
    prior: CapacityPrior


def output_cut(model: Any, ledger_cut: Any) -> OutputCut:
    """Per project of ``ledger_cut``, computed once per cut and fitted ``model``
    (an :class:`~forecast.models.output.OutputModel`): category code, production
    state, the project's own output data and the deterministic part of its
    log-capacity prior."""
    cc = cut_cache(ledger_cut)

    def build() -> OutputCut:
        p = cc.projects
        end = quarter_end(ledger_cut.cut)
        prod = p["production_date"]
        producing = prod.notna().to_numpy()
        elapsed = (end - prod).dt.days.to_numpy() / DAYS_PER_MONTH
        full = (p["full_production_date"] - prod).dt.days.to_numpy() / DAYS_PER_MONTH
        d = model.data_.reindex(p["project_id"])
        n_obs = d["n"].fillna(0).to_numpy(float)
        has_rows = n_obs >= 1
        # a project producing for a quarter or more with nothing reported produces nothing
        # we can see (or its reporting ended before the ledger began)
        silent = producing & ~has_rows & (elapsed >= 3.0)
        reported = d["last_start"].to_numpy(float)
        share = model.output_share_.reindex(CATEGORIES).fillna(0.0).to_numpy()
        cat = pd.Categorical(p["category"], categories=CATEGORIES).codes.astype(int)
        # quarter edges in months after the as_of quarter end, by the calendar
        # (Q1 is 2.96 months long, Q3 3.02), as the ramp was fitted
        quarters = pd.period_range(ledger_cut.cut + 1, periods=MAX_QUARTERS + 1, freq="Q-DEC")
        edges = (quarters.start_time - (end + pd.Timedelta(days=1))).days.to_numpy() / DAYS_PER_MONTH
        return OutputCut(
            cat=cat, producing=producing, elapsed=elapsed, full=full,
            has_rows=has_rows, n_obs=n_obs, stopped=d["stopped"].eq(True).to_numpy() | silent,
            pos=d["pos"].fillna(-1).to_numpy().astype(int),
            # the window must outlast the start of the project's last report
            reported=np.where(np.isfinite(reported), reported, np.where(producing, elapsed, -np.inf)),
            span=d["last_span"].fillna(0.0).to_numpy(float), share=share[cat],
            edges=edges, season=quarters[:-1].quarter.to_numpy() - 1,
            prior=capacity_prior(model, p),
        )

    return cc.memo(model, "output", build)


def capacity_prior(model: Any, p: pd.DataFrame) -> CapacityPrior:
    """Log-capacity prior of projects ``p`` under a fitted ``model``: mean,
    parameter variance and residual variance, and the designs that turn a draw
    of the regression coefficients into per-project shifts (realisation of the
    declared figure where there is one, capacity regression otherwise)."""
    cap = model.capacity_
    xc = capacity_design(p, model.land_, cap.columns).to_numpy(float)
    mean, pvar, rvar = cap.predict(xc, p["industry"].to_numpy())
    unseen = ~p["category"].isin([c[4:] for c in cap.columns if c.startswith("cat:")]).to_numpy()
    pvar = pvar + unseen * between_category_var(cap)
    declared = p["designed_output"].to_numpy(float)
    has = np.isfinite(declared) & (declared > 0) & (model.realisation_ is not None)
    xr = None
    if has.any():
        rf = model.realisation_
        xr = category_design(p["category"].to_numpy(), rf.columns).to_numpy(float)
        rm, rp, rr = rf.predict(xr, p["industry"].to_numpy())
        rseen = p["category"].isin([c[4:] for c in rf.columns]).to_numpy()
        rp = rp + (~rseen) * between_category_var(rf)
        logd = np.log(np.where(has, declared, 1.0))
        mean = np.where(has, logd + rm, mean)
        pvar = np.where(has, rp, pvar)
        rvar = np.where(has, rr, rvar)
    return CapacityPrior(mean=mean, pvar=pvar, rvar=rvar, xc=xc, declared=has, xr=xr,
                         cap_root=_root(cap.cov),
                         real_root=None if model.realisation_ is None else _root(model.realisation_.cov))
