"""INTERIM spend and output models, used only while the real ones are missing.

``forecast.models.spend.SpendModel`` (issue 3) and
``forecast.models.output.OutputModel`` (issue 4) are being written in parallel;
until they exist, :class:`~forecast.models.modelset.ModelSet` falls back to
these deliberately simple stand-ins (with a warning, and ``ModelSet.interim_``
naming them), so the simulator, targets, risk list and backtest can run end to
end. They follow the same interface (DESIGN.md, "Models") and nothing else
depends on them: delete this file once both real models have landed.

* :class:`InterimSpendModel` — the remaining planned investment (times a
  lognormal overrun fitted on completed projects) is spent along a smoothstep
  S-curve between each draw's start and completion months, with calendar-quarter
  factors from the ledger's progress.
* :class:`InterimOutputModel` — producing projects keep their last four
  quarters' run rate; projects that go into production ramp up linearly over
  ``ramp_months`` to ``realisation × designed_output``; lognormal noise per draw.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..periods import quarter, quarter_end
from ._base import DAYS_PER_MONTH, BaseModel, Paths, summary_frame


def _rel_months(dates: pd.Series, end: pd.Timestamp) -> np.ndarray:
    """Months from the as-of quarter end to each date (negative = before); NaN = NaT."""
    return ((dates - end).dt.days / DAYS_PER_MONTH).to_numpy(dtype=float)


def _smooth(t: np.ndarray) -> np.ndarray:
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


class InterimSpendModel(BaseModel):
    """INTERIM: S-curve spending of the remaining planned investment (see module)."""

    def fit(self, ledger: Any, as_of: str | pd.Period) -> "InterimSpendModel":
        q = quarter(as_of)
        cut = ledger if ledger.cut == q else ledger.as_of(q)
        end = quarter_end(q)
        p, prog = cut.projects, cut.progress
        spent = prog.groupby("project_id")["investment"].sum()
        done = p.loc[p["completion_date"].notna()]
        ratio = (spent.reindex(done["project_id"]).to_numpy() / done["planned_investment"].to_numpy())
        ratio = ratio[np.isfinite(ratio) & (ratio > 0.2)]
        self.overrun_ = float(np.median(ratio)) if len(ratio) else 1.0
        self.overrun_sd_ = float(np.std(np.log(ratio))) if len(ratio) > 2 else 0.1
        dur = (done["completion_date"] - done["start_date"]).dt.days / DAYS_PER_MONTH
        self.duration_ = dur.groupby(done["category"]).median().to_dict()
        self.duration_all_ = float(dur.median()) if dur.notna().any() else 24.0
        recent = prog.loc[prog["period_end"] > end - pd.DateOffset(years=5)]
        by_q = recent.groupby(recent["period_end"].dt.quarter)["investment"].sum().reindex(range(1, 5), fill_value=0)
        self.quarter_factor_ = (4 * by_q / by_q.sum()).to_numpy() if by_q.sum() > 0 else np.ones(4)
        info = pd.DataFrame({
            "planned": p["planned_investment"].to_numpy(dtype=float),
            "spent": spent.reindex(p["project_id"]).fillna(0.0).to_numpy(),
            "start": _rel_months(p["start_date"], end),
            "plan_dur": ((p["planned_completion_date"] - p["start_date"]).dt.days / DAYS_PER_MONTH).to_numpy(),
            "cat_dur": p["category"].map(self.duration_).fillna(self.duration_all_).to_numpy(dtype=float),
        }, index=p["project_id"].to_numpy())
        self.info_ = info
        self.as_of_ = q
        return self

    def sample_investment(self, ledger_cut: Any, paths: Paths, rng: np.random.Generator) -> np.ndarray:
        """``(draws, n, horizon)`` 万元 per quarter."""
        self._check_fitted()
        info = self.info_.loc[paths.project_ids]
        draws, h = paths.draws, paths.horizon
        s = paths.months["start_date"].astype(float)
        s = np.where(np.isnan(s), info["start"].to_numpy()[None, :], s)  # NaN: started before as_of
        c = paths.months["completion_date"].astype(float)
        x = paths.months["cancelled_date"].astype(float)
        dur = np.where(np.isfinite(info["plan_dur"]), info["plan_dur"], info["cat_dur"])
        with np.errstate(invalid="ignore"):  # inf - inf where a project never starts
            d = np.where(np.isfinite(c), c - s, np.maximum(dur[None, :], 3 * h - s + 3))
        d = np.maximum(d, 1.0)
        over = self.overrun_ * np.exp(rng.normal(0.0, self.overrun_sd_, size=s.shape))
        remaining = np.maximum(info["planned"].to_numpy()[None, :] * over - info["spent"].to_numpy()[None, :], 0.0)
        f0 = _smooth((0.0 - s) / d)
        live = ~np.isnan(c) & np.isfinite(s) & (f0 < 1.0)  # not completed before as_of, starts in horizon
        stop = np.where(np.isfinite(x), x, np.inf)
        out = np.zeros((draws, len(paths.project_ids), h), dtype=np.float32)
        q0 = paths.quarters[0].quarter - 1
        for k in range(h):
            a, b = 3.0 * k, np.minimum(3.0 * k + 3, stop)
            share = np.where(b > a, _smooth((b - s) / d) - _smooth((a - s) / d), 0.0)
            out[:, :, k] = np.where(live, remaining * share / (1.0 - f0 + 1e-9), 0.0) * self.quarter_factor_[(q0 + k) % 4]
        return out

    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        return summary_frame([{"what": "overrun (interim)", "estimate": self.overrun_}], ["what"])


class InterimOutputModel(BaseModel):
    """INTERIM: run rate of producing projects, linear ramp-up of new ones (see module)."""

    def __init__(self, ramp_months: float = 24.0, noise: float = 0.15) -> None:
        self.ramp_months = ramp_months
        self.noise = noise

    def fit(self, ledger: Any, as_of: str | pd.Period) -> "InterimOutputModel":
        q = quarter(as_of)
        cut = ledger if ledger.cut == q else ledger.as_of(q)
        end = quarter_end(q)
        p, prog = cut.projects, cut.progress
        last = prog.loc[prog["period_end"] > end - pd.DateOffset(years=1)]
        annual = last.groupby("project_id")["output_value"].sum()
        full = p.loc[p["full_production_date"].notna() & (p["designed_output"] > 0)]
        r = annual.reindex(full["project_id"]).to_numpy() / full["designed_output"].to_numpy()
        r = r[np.isfinite(r) & (r > 0)]
        self.realisation_ = float(np.median(r)) if len(r) else 0.8
        self.info_ = pd.DataFrame({
            "rate": (annual.reindex(p["project_id"]).fillna(0.0) / 4.0).to_numpy(),
            "cap": (p["designed_output"].fillna(0.0) * self.realisation_ / 4.0).to_numpy(dtype=float),
            "prod": _rel_months(p["production_date"], end),
        }, index=p["project_id"].to_numpy())
        self.as_of_ = q
        return self

    def sample_output(self, ledger_cut: Any, paths: Paths, rng: np.random.Generator) -> np.ndarray:
        """``(draws, n, horizon)`` 万元 per quarter."""
        self._check_fitted()
        info = self.info_.loc[paths.project_ids]
        h = paths.horizon
        pm = paths.months["production_date"].astype(float)
        pm = np.where(np.isnan(pm), info["prod"].to_numpy()[None, :], pm)
        cap = info["cap"].to_numpy()[None, :]
        rate = info["rate"].to_numpy()[None, :]
        noise = np.exp(rng.normal(0.0, self.noise, size=pm.shape))
        out = np.zeros((pm.shape[0], pm.shape[1], h), dtype=np.float32)
        for k in range(h):
            mid = 3.0 * k + 1.5
            level = np.clip((mid - pm) / self.ramp_months, 0.0, 1.0)
            inside = np.clip((3.0 * k + 3 - pm) / 3.0, 0.0, 1.0)  # share of the quarter producing
            ramp = cap * level * inside
            # producing already: keep the run rate, growing while still ramping up
            now = np.clip(-pm / self.ramp_months, 0.25, 1.0)
            val = np.where(pm <= 0, rate * np.minimum(level / now, 2.0), ramp)
            out[:, :, k] = np.where(np.isfinite(pm), val * noise, 0.0)
        return out

    def summary(self) -> pd.DataFrame:
        self._check_fitted()
        return summary_frame([{"what": "realisation (interim)", "estimate": self.realisation_}], ["what"])
