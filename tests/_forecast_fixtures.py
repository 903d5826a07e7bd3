"""Shared inputs of the issue-5 tests (simulate, targets, risk, backtest, CLI).

Fitting models is the slow part, so the sample ledger and its ModelSet are built
once per test process (``functools.cache``) and handed out by fixtures in each
test module. ``tiny_ledger`` builds a hand-written ledger whose numbers a test
can reason about.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecast.ledger.ledger import Ledger
from forecast.models._base import BaseModel, Paths, summary_frame
from forecast.periods import quarter

SAMPLE_ZONES = 4
SAMPLE_SEED = 7
AS_OF = "2023Q4"
#: The quarter the session's real ModelSet is fitted at (half of 2024 known, for targets).
SAMPLE_AS_OF = "2024Q2"


@functools.cache
def sample_ledger() -> Ledger:
    """The sample generator's ledger (small: a few zones)."""
    from forecast.sample import generate

    return generate(zones=SAMPLE_ZONES, seed=SAMPLE_SEED)


#: A cheaper self-calibration for tests of other things (tests/models/test_calibration.py
#: tests the calibration itself): the same code, three origins two quarters ahead and
#: fewer draws; still active on the sample ledger. The default one is most of a
#: ModelSet's fit (about 20 s of 23 on four zones), and many tests fit one.
QUICK_CALIBRATION = {"origins": 3, "horizon": 2, "draws": 40, "levels": 20}


def quick_modelset(**kwargs):  # noqa: ANN003, ANN201
    """An unfitted ``ModelSet(**kwargs)`` with :data:`QUICK_CALIBRATION`."""
    from forecast.models import ModelSet
    from forecast.models.calibration import Calibration

    return ModelSet(calibration=Calibration(**QUICK_CALIBRATION), **kwargs)


@functools.cache
def sample_models(as_of: str = SAMPLE_AS_OF):  # noqa: ANN201
    """A ModelSet fitted on the sample ledger at ``as_of`` (calibrated quickly)."""
    return quick_modelset().fit(sample_ledger(), as_of)


def tiny_ledger(n_zones: int = 2, per_zone: int = 12, seed: int = 0) -> Ledger:
    """A hand-made ledger: projects registered 2019–2023, some started, some
    completed, quarterly progress; one responsible unit per project."""
    rng = np.random.default_rng(seed)
    zones = pd.DataFrame(
        {
            "zone_id": [f"Z{i}" for i in range(n_zones)],
            "name": [f"园区{i}" for i in range(n_zones)],
            "province": "四川",
            "city": "绵阳",
            "level": "national",
        }
    )
    rows, prog = [], []
    cats = ["industrial", "services", "social"]
    for z in zones["zone_id"]:
        for k in range(per_zone):
            reg = pd.Timestamp("2019-01-15") + pd.Timedelta(days=int(rng.integers(0, 4 * 365)))
            signed = reg + pd.Timedelta(days=int(rng.integers(30, 200)))
            start = signed + pd.Timedelta(days=int(rng.integers(30, 300)))
            planned = start + pd.Timedelta(days=int(rng.integers(300, 700)))
            done = start + pd.Timedelta(days=int(rng.integers(300, 900)))
            prod = done + pd.Timedelta(days=int(rng.integers(30, 200)))
            inv = float(rng.integers(1000, 50000))
            rows.append(
                {
                    "project_id": f"{z}-P{k:03d}",
                    "zone_id": z,
                    "name": f"项目{k}",
                    "category": cats[k % 3],
                    "industry": "电子信息",
                    "planned_investment": inv,
                    "registered_date": reg,
                    "land_mu": 50.0,
                    "signed_date": signed,
                    "start_date": start,
                    "planned_completion_date": planned,
                    "completion_date": done,
                    "production_date": prod if k % 3 == 0 else pd.NaT,
                    "full_production_date": pd.NaT,
                    "cancelled_date": pd.NaT,
                    "designed_output": inv * 1.5,
                    "responsible_unit": ["招商局", "建设局", "经发局"][k % 3],
                    "officer": f"专员{k % 4}",
                }
            )
            for q in pd.period_range(quarter(start), quarter(done), freq="Q-DEC"):
                prog.append(
                    {
                        "project_id": f"{z}-P{k:03d}",
                        "period": str(q),
                        "freq": "Q",
                        "period_end": q.end_time.normalize(),
                        "quarter": q,
                        "investment": inv / 6,
                        "output_value": np.nan,
                    }
                )
    projects = pd.DataFrame(rows)
    progress = pd.DataFrame(prog)
    progress["quarter"] = pd.PeriodIndex(progress["quarter"], freq="Q-DEC")
    targets = pd.DataFrame(columns=["zone_id", "year", "metric", "value"])
    return Ledger(zones=zones, projects=projects, progress=progress, targets=targets, source="tiny")


# --- stub models: known, simple behaviour for testing the simulator's bookkeeping ----
class _Stub(BaseModel):
    def summary(self) -> pd.DataFrame:
        return summary_frame([{"what": type(self).__name__, "estimate": 0.0}], ["what"])


class StubCompletion(_Stub):
    """Every live project not yet completed completes in a uniformly random month
    of the horizon with probability ½; nothing else happens."""

    def fit(self, ledger: Ledger, as_of: str) -> "StubCompletion":
        self.as_of_ = quarter(as_of)
        return self

    def sample_paths(self, cut, projects, horizon, draws, rng):  # noqa: ANN001, ANN201
        n = len(projects)
        months = {e: np.full((draws, n), np.inf, dtype=np.float32) for e in
                  ("signed_date", "start_date", "completion_date", "production_date",
                   "full_production_date", "cancelled_date")}
        done = projects["completion_date"].notna().to_numpy()
        m = rng.uniform(0, 3 * horizon, size=(draws, n)).astype(np.float32)
        hit = rng.random((draws, n)) < 0.5
        months["completion_date"] = np.where(hit & ~done, m, np.inf).astype(np.float32)
        months["completion_date"][:, done] = np.nan
        return Paths(projects["project_id"].to_numpy(),
                     pd.period_range(self.as_of_ + 1, periods=horizon, freq="Q-DEC"), months, self.as_of_)


class StubSpend(_Stub):
    """Each project spends exactly 1 万元 a quarter: totals are deterministic."""

    def fit(self, ledger: Ledger, as_of: str) -> "StubSpend":
        self.as_of_ = quarter(as_of)
        return self

    def sample_investment(self, cut, paths, rng):  # noqa: ANN001, ANN201
        return np.ones((paths.draws, len(paths.project_ids), paths.horizon))


class StubOutput(StubSpend):
    """No output."""

    def sample_output(self, cut, paths, rng):  # noqa: ANN001, ANN201
        return np.zeros((paths.draws, len(paths.project_ids), paths.horizon))


def stub_models(ledger: Ledger, as_of: str = "2023Q4", new_projects: bool = True):  # noqa: ANN201
    from forecast.models import ModelSet

    # no calibration: these tests check the simulator's mechanics (totals =
    # existing + new within each draw), which a recalibration of the totals changes
    return ModelSet(StubCompletion(), StubSpend(), StubOutput(), new_projects=new_projects,
                    calibrate=False).fit(ledger, as_of)
