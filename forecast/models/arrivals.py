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

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ForecastError
from ..vocab import CATEGORIES, METRIC_EVENT, METRICS
from ._base import BaseModel, fit_quarter, summary_frame

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


def _poisson(mu: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Poisson counts of means ``mu``: by inversion of one uniform each (most
    means here are a few arrivals a quarter, where numpy's sampler spends an
    exponential per draw), numpy's sampler for the rare large means."""
    from ._kernels import poisson_inverse

    u = rng.random(mu.shape)
    n = poisson_inverse(u, mu, np.exp(-mu), _INVERT_BELOW)
    big = n < 0
    if big.any():
        n[big] = rng.poisson(mu[big])
    return n


#: Largest Poisson mean drawn by inversion (its steps grow with the mean).
_INVERT_BELOW = 50.0


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
        prior_rate: float = 0.1,
    ) -> None:
        self.window = window
        self.pool_quarters = pool_quarters
        self.min_pool = min_pool
        self.prior_shape = prior_shape
        self.prior_rate = prior_rate

    # --- fitting ----------------------------------------------------------------
    def fit(self, ledger: Any, as_of: str | pd.Period | None = None) -> "ArrivalsModel":
        """Fit rates, seasonality and analogue pools on ``ledger.as_of(as_of)``."""
        q = fit_quarter(ledger, as_of)
        cut = ledger.as_of(q)
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
        self._fit_pools(cut, reg, aq)
        self.as_of_ = q
        return self

    def _fit_pools(self, cut: Any, reg: np.ndarray, aq: int) -> None:
        """Trajectories of the analogue projects, in one array sorted by
        (category, registration quarter, project_id), so a category's pool is a
        slice and a zone's pool an index array, both ordered by registration."""
        p = cut.projects
        keep = (reg >= 0) & (reg > aq - self.pool_quarters - MAX_AGE)
        sub = p.loc[keep, ["project_id", "zone_id", "category"] + [c for _, c in _COUNT_EVENTS]]
        sub = sub.assign(_reg=reg[keep])
        # project_id first makes the order independent of the ledger's row order
        sub = sub.sort_values(["category", "_reg", "project_id"], kind="stable").reset_index(drop=True)
        sub_reg = sub["_reg"].to_numpy()
        m = len(sub)
        traj = np.zeros((m, MAX_AGE, len(METRICS)), dtype=np.float32)
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
                    np.add.at(traj[:, :, k], (row[ok], age[ok]), vals[ok])
        for metric, col in _COUNT_EVENTS:
            q = _date_qindex(sub[col])
            age = q - sub_reg
            ok = (q >= 0) & (age >= 0) & (age < MAX_AGE)
            traj[np.nonzero(ok)[0], age[ok], METRICS.index(metric)] = 1.0
        self.traj_ = traj
        self.pool_reg_ = sub_reg
        cats = sub["category"].to_numpy()
        self.cat_slices_ = {}
        for c in CATEGORIES:
            ix = np.nonzero(cats == c)[0]
            self.cat_slices_[c] = (int(ix[0]), int(ix[-1]) + 1) if len(ix) else (0, 0)
        self.zone_pools_ = {
            key: np.asarray(ix)
            for key, ix in pd.Series(np.arange(m)).groupby([sub["zone_id"].to_numpy(), cats]).groups.items()
            if len(ix) >= self.min_pool
        }
        self._memo: dict = {}  # what ``_plan`` keeps

    # --- sampling -----------------------------------------------------------------
    def _window(self, reg: np.ndarray, age_needed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions [lo, hi) in ``reg`` (sorted) of the analogues registered in the
        ``pool_quarters`` quarters whose first ``age_needed + 1`` quarters are known."""
        last = _qindex(self.as_of_) - age_needed
        lo = np.searchsorted(reg, last - self.pool_quarters, side="right")
        hi = np.searchsorted(reg, last, side="right")
        lo = np.where(hi > lo, lo, 0)  # too few recent ones: take every older analogue
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
        plan = self._plan(zone_id, horizon)
        if plan is None:
            return out  # a zone unknown at as_of has no fitted flow
        shape, scale, season, pools = plan
        from ._kernels import arrival_totals  # numba loads only when a simulation runs

        cell = np.arange(draws * horizon)  # row (draw, j) of the flattened (draws, horizon)
        rows, cols = [], []
        # each category's rate per draw, then its arrivals per draw and quarter
        lam = np.stack([rng.gamma(shape[ci], scale[ci], size=draws) for ci in range(len(CATEGORIES))])
        counts = _poisson(lam[:, :, None] * season[None, None, :], rng)
        for ci in range(len(CATEGORIES)):
            n = counts[ci]  # (draws, horizon)
            out["arrivals"] += n
            flat = n.ravel()
            some = flat > 0
            if not some.any():
                continue
            idx, lo, hi = pools[ci]
            cnt = flat[some]
            rr = np.repeat(cell[some], cnt)
            jj = rr % horizon
            ok = hi[jj] > lo[jj]  # no analogue at all in this category: nothing to resample
            pick = rng.integers(lo[jj][ok], hi[jj][ok])
            cols.append(pick if idx is None else idx[pick])
            rows.append(rr[ok])
        if not rows:
            return out
        r, c = np.concatenate(rows), np.concatenate(cols)
        # each arrival's trajectory added at its age: age a of an arrival in
        # quarter j lands in quarter j + a
        memo = self.__dict__.setdefault("_memo", {})
        if ("traj", horizon) not in memo:  # the first ages only, packed: fewer cache lines a pick
            memo[("traj", horizon)] = np.ascontiguousarray(self.traj_[:, :horizon, :], dtype=np.float32)
        acc = arrival_totals(r // horizon, r % horizon, c, memo[("traj", horizon)], draws, horizon)
        for k, metric in enumerate(METRICS):
            out[metric] = acc[:, :, k]
        return out

    def _plan(self, zone_id: str, horizon: int) -> tuple | None:
        """What sampling a zone needs: the Gamma shape and scale of each
        category's rate, the seasonal factors of the horizon, and per category
        the analogue pool (positions ``idx`` into the trajectories, or None for
        the category's slice) with each arrival quarter's window [lo, hi).
        None for a zone unknown at as_of.

        Pandas look-ups per zone cost more than the draws, so the rates of
        every zone and the category windows of a horizon are worked out once
        (on first use, which the simulator makes before it forks its workers);
        only a zone's own pools are windowed per call."""
        memo = self.__dict__.setdefault("_memo", {})
        if "rates" not in memo:
            r = self.rates_
            zones = r.index.get_level_values(0)[:: len(CATEGORIES)]
            shape = r["shape"].to_numpy(float).reshape(len(zones), len(CATEGORIES))
            rate = r["rate"].to_numpy(float).reshape(len(zones), len(CATEGORIES))
            memo["rates"] = ({z: i for i, z in enumerate(zones)}, shape, 1.0 / rate)
        row, shape, scale = memo["rates"]
        i = row.get(zone_id)
        if i is None:
            return None
        need = horizon - 1 - np.arange(horizon)  # quarters of history an arrival in j needs
        if horizon not in memo:
            aq = _qindex(self.as_of_)
            season = self.season_[[(aq + 1 + j) % 4 for j in range(horizon)]]
            windows = []
            for cat in CATEGORIES:
                start, end = self.cat_slices_[cat]
                lo, hi = self._window(self.pool_reg_[start:end], need)
                windows.append((None, lo + start, hi + start))
            memo[horizon] = (season, windows)
        season, windows = memo[horizon]
        pools = list(windows)
        for ci, cat in enumerate(CATEGORIES):
            idx = self.zone_pools_.get((zone_id, cat))
            if idx is not None:
                lo, hi = self._window(self.pool_reg_[idx], need)
                if (hi - lo).min() >= self.min_pool:  # else too few: use the category's
                    pools[ci] = (idx, lo, hi)
        return shape[i], scale[i], season, pools

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
