"""Projects registered after ``as_of``: the ``new_`` allowance of the forecast table.

A zone's own statistics for a coming quarter include projects nobody had
registered yet at ``as_of``. :class:`ArrivalsModel` forecasts them in two parts:

* **How many arrive.** Registrations per zone and category are a Poisson flow
  whose quarterly rate is scaled by a calendar-quarter seasonal factor (pooled
  over all zones, shrunk towards 1). The rate carries parameter uncertainty: each
  draw takes its own rate from the Gamma posterior of the counts in the last
  ``window`` quarters (Jeffreys-like prior), so a zone with little history gets a
  wider allowance.
* **What each one does.** A new project's size, timing, spending and output are
  one joint trajectory, so it is resampled whole from recent analogue projects
  (same zone and category when there are at least ``min_pool`` of them, else the
  same category in every zone) whose first quarters after registration are
  fully known at ``as_of``: a project arriving ``j`` quarters into an ``H``-quarter
  horizon needs ``H - j`` quarters of history, so later arrivals draw from fresher
  cohorts. Resampling keeps cancellations, overruns and slow starters in the mix
  without a second model of the same dynamics.

Everything is fitted on ``ledger.as_of(as_of)`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ForecastError
from ..periods import quarter
from ..vocab import CATEGORIES, METRIC_EVENT, METRICS
from ._base import BaseModel, summary_frame

#: The longest horizon the stored trajectories cover (quarters).
MAX_AGE = 16

_COUNT_EVENTS = tuple(METRIC_EVENT.items())  # (metric, date column)


def _qindex(q: pd.Series | pd.Period) -> Any:
    """Quarter as an integer (year * 4 + quarter - 1), so ages are differences."""
    if isinstance(q, pd.Period):
        return q.year * 4 + q.quarter - 1
    return q.dt.year * 4 + q.dt.quarter - 1


def _date_qindex(dates: pd.Series) -> np.ndarray:
    """Quarter index of each date; -1 where NaT."""
    out = np.full(len(dates), -1, dtype=np.int64)
    ok = dates.notna().to_numpy()
    d = dates[ok]
    out[ok] = (d.dt.year * 4 + (d.dt.month - 1) // 3).to_numpy()
    return out


@dataclass
class _Pool:
    """Trajectories of recent analogue projects, sorted by registration quarter."""

    reg_q: np.ndarray  # (m,) quarter index of registration
    traj: np.ndarray  # (m, n_metrics, MAX_AGE) float32 value at each age (quarter since registration)


class ArrivalsModel(BaseModel):
    """Poisson arrivals per zone and category with seasonality, plus resampled
    trajectories of analogue projects.

    Parameters
    ----------
    window : int
        Quarters of registrations (ending at ``as_of``) the rate is fitted on.
    pool_quarters : int
        How many registration quarters of analogue projects each arrival draws from.
    min_pool : int
        Fewest analogue projects of a zone and category before the pool widens to
        the category in every zone.
    prior_shape, prior_rate : float
        Gamma prior on the deseasonalised quarterly rate.

    Examples
    --------
    >>> import numpy as np
    >>> from forecast.sample import generate          # doctest: +SKIP
    >>> led = generate(zones=2, seed=1)               # doctest: +SKIP
    >>> m = ArrivalsModel().fit(led, "2023Q4")        # doctest: +SKIP
    >>> new = m.sample(led.zone_ids[0], horizon=4, draws=100,
    ...                rng=np.random.default_rng(0))  # doctest: +SKIP
    >>> new["investment"].shape                       # doctest: +SKIP
    (100, 4)
    """

    def __init__(
        self,
        window: int = 12,
        pool_quarters: int = 16,
        min_pool: int = 30,
        prior_shape: float = 0.5,
        prior_rate: float = 0.5,
    ) -> None:
        self.window = window
        self.pool_quarters = pool_quarters
        self.min_pool = min_pool
        self.prior_shape = prior_shape
        self.prior_rate = prior_rate

    # --- fitting ----------------------------------------------------------------
    def fit(self, ledger: Any, as_of: str | pd.Period) -> "ArrivalsModel":
        """Fit rates, seasonality and analogue pools on ``ledger.as_of(as_of)``."""
        q = quarter(as_of)
        cut = ledger if ledger.cut == q else ledger.as_of(q)
        if self.window < 1 or self.pool_quarters < 1:
            raise ForecastError(
                f"window and pool_quarters must be at least 1. Got: {self.window}, {self.pool_quarters}"
            )
        p = cut.projects
        aq = _qindex(q)
        reg = _date_qindex(p["registered_date"])

        # Seasonality from the last five years of registrations in every zone.
        recent = reg[(reg > aq - 20) & (reg >= 0)]
        n_q = np.bincount(recent % 4, minlength=4).astype(float)
        shrink = 8.0  # pseudo-count per quarter: a few dozen projects barely move it
        self.season_ = 4 * (n_q + shrink) / (n_q.sum() + 4 * shrink)

        # Counts per zone and category in the window, deseasonalised exposure.
        in_win = reg > aq - self.window
        exposure = float(sum(self.season_[(aq - k) % 4] for k in range(self.window)))
        counts = (
            p.loc[in_win]
            .groupby(["zone_id", "category"], observed=True)
            .size()
        )
        zones = list(cut.zones["zone_id"])
        idx = pd.MultiIndex.from_product([zones, list(CATEGORIES)], names=["zone_id", "category"])
        counts = counts.reindex(idx, fill_value=0)
        self.rates_ = pd.DataFrame(
            {
                "n": counts.to_numpy(),
                "shape": self.prior_shape + counts.to_numpy(),
                "rate": self.prior_rate + exposure,
            },
            index=idx,
        )
        self.exposure_ = exposure
        self.pools_, self.zone_pools_ = self._fit_pools(cut, reg, aq)
        self.as_of_ = q
        return self

    def _fit_pools(
        self, cut: Any, reg: np.ndarray, aq: int
    ) -> tuple[dict[str, _Pool], dict[tuple[str, str], _Pool]]:
        p = cut.projects
        keep = (reg >= 0) & (reg > aq - self.pool_quarters - MAX_AGE)
        sub = p.loc[keep, ["project_id", "zone_id", "category"] + [c for _, c in _COUNT_EVENTS]]
        sub_reg = reg[keep]
        m = len(sub)
        traj = np.zeros((m, len(METRICS), MAX_AGE), dtype=np.float32)
        pos = pd.Series(np.arange(m), index=sub["project_id"].to_numpy())

        prog = cut.progress
        prog = prog.loc[prog["project_id"].isin(pos.index)]
        if len(prog):
            row = pos.reindex(prog["project_id"].to_numpy()).to_numpy()
            age = _qindex(prog["quarter"]).to_numpy() - sub_reg[row]
            ok = (age >= 0) & (age < MAX_AGE)
            for k, metric in enumerate(METRICS):
                if metric in ("investment", "output_value") and metric in prog:
                    vals = prog[metric].fillna(0.0).to_numpy(dtype=float)
                    np.add.at(traj[:, k, :], (row[ok], age[ok]), vals[ok])
        for metric, col in _COUNT_EVENTS:
            k = METRICS.index(metric)
            age = _date_qindex(sub[col]) - sub_reg
            ok = (_date_qindex(sub[col]) >= 0) & (age >= 0) & (age < MAX_AGE)
            traj[np.nonzero(ok)[0], k, age[ok]] = 1.0

        order = np.argsort(sub_reg, kind="stable")
        cats = sub["category"].to_numpy()[order]
        zs = sub["zone_id"].to_numpy()[order]
        regs, traj = sub_reg[order], traj[order]
        pools = {c: _Pool(regs[cats == c], traj[cats == c]) for c in CATEGORIES}
        zone_pools: dict[tuple[str, str], _Pool] = {}
        for (z, c), ix in pd.Series(np.arange(len(zs))).groupby([zs, cats]).groups.items():
            ix = np.asarray(ix)
            if len(ix) >= self.min_pool:
                zone_pools[(z, c)] = _Pool(regs[ix], traj[ix])
        return pools, zone_pools

    # --- sampling -----------------------------------------------------------------
    def _eligible(self, pool: _Pool, age_needed: int) -> tuple[int, int]:
        """Slice of ``pool`` whose first ``age_needed + 1`` quarters are known."""
        hi_q = _qindex(self.as_of_) - age_needed
        lo = int(np.searchsorted(pool.reg_q, hi_q - self.pool_quarters, side="right"))
        hi = int(np.searchsorted(pool.reg_q, hi_q, side="right"))
        return lo, hi

    def sample(
        self, zone_id: str, horizon: int, draws: int, rng: np.random.Generator
    ) -> dict[str, np.ndarray]:
        """Sampled totals of the projects a zone registers after ``as_of``.

        Parameters
        ----------
        zone_id : str
        horizon : int
            Quarters after ``as_of`` (at most ``MAX_AGE``).
        draws : int
        rng : numpy.random.Generator

        Returns
        -------
        dict
            ``vocab.METRICS`` → ``(draws, horizon)`` float64: the zone total of
            the new projects in each quarter (万元 or counts), plus ``arrivals``
            (new registrations per quarter).
        """
        self._check_fitted()
        if horizon > MAX_AGE:
            raise ForecastError(f"horizon must be at most {MAX_AGE} quarters. Got: {horizon}")
        out = {m: np.zeros((draws, horizon)) for m in METRICS}
        out["arrivals"] = np.zeros((draws, horizon))
        if zone_id not in self.rates_.index.get_level_values(0):
            return out  # a zone unknown at as_of has no fitted flow
        rates = self.rates_.loc[zone_id]
        aq = _qindex(self.as_of_)
        season = self.season_[[(aq + 1 + j) % 4 for j in range(horizon)]]
        who, when, rows = [], [], []  # draw, arrival quarter, trajectory rows
        for cat in CATEGORIES:
            shape, rate = rates.loc[cat, "shape"], rates.loc[cat, "rate"]
            lam = rng.gamma(shape, 1.0 / rate, size=draws)  # parameter uncertainty per draw
            n = rng.poisson(lam[:, None] * season[None, :])  # (draws, horizon)
            out["arrivals"] += n
            for j in range(horizon):
                total = int(n[:, j].sum())
                if total == 0:
                    continue
                src, lo, hi = self._pool_for(zone_id, cat, horizon - 1 - j)
                if hi <= lo:
                    continue  # no analogue known that long: nothing to resample
                rows.append(src.traj[rng.integers(lo, hi, size=total)])
                who.append(np.repeat(np.arange(draws), n[:, j]))
                when.append(np.full(total, j))
        if not rows:
            return out
        traj = np.concatenate(rows)
        w, j0 = np.concatenate(who), np.concatenate(when)
        # age a of an arrival in quarter j lands in quarter j + a, if inside the horizon
        for a in range(horizon):
            ok = j0 + a < horizon
            flat = w[ok] * horizon + j0[ok] + a
            for k, metric in enumerate(METRICS):
                out[metric] += np.bincount(
                    flat, weights=traj[ok, k, a], minlength=draws * horizon
                ).reshape(draws, horizon)
        return out

    def _pool_for(self, zone_id: str, cat: str, age_needed: int) -> tuple[_Pool, int, int]:
        """The zone's own analogues when there are enough, else the category's."""
        pool = self.zone_pools_.get((zone_id, cat))
        if pool is not None:
            lo, hi = self._eligible(pool, age_needed)
            if hi - lo >= self.min_pool:
                return pool, lo, hi
        pool = self.pools_[cat]
        return (pool, *self._eligible(pool, age_needed))

    # --- reporting ---------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Fitted quarterly arrival rate per zone and category (mean and 90% interval
        of the Gamma posterior, deseasonalised) and the seasonal factors."""
        self._check_fitted()
        from scipy import stats

        r = self.rates_.reset_index()
        g = stats.gamma(r["shape"], scale=1.0 / r["rate"])
        rows = [
            {
                "what": "arrivals_per_quarter",
                "zone_id": z,
                "category": c,
                "estimate": s / rt,
                "lo": lo,
                "hi": hi,
                "n": n,
            }
            for z, c, s, rt, lo, hi, n in zip(
                r["zone_id"], r["category"], r["shape"], r["rate"], g.ppf(0.05), g.ppf(0.95), r["n"]
            )
        ]
        rows += [
            {"what": f"season_q{k + 1}", "zone_id": "", "category": "", "estimate": f}
            for k, f in enumerate(self.season_)
        ]
        return summary_frame(rows, ["what", "zone_id", "category"])
