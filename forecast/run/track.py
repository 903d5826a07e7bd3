"""The track record behind the report's headline: past target probabilities and the quarterly backtest.

Leaders act on "the chance of meeting this year's target". Whether those
chances can be trusted is checked the only honest way: the product is run
again at past quarters, each time on the ledger cut at that quarter
(``ledger.as_of(origin)``: nothing later is seen), and what it said is set
against what happened.

At every origin ``o`` from the first with :data:`MIN_HISTORY` quarters of
ledger behind it to the quarter before ``as_of``, the model set is fitted (with
its self-calibration, as the product does) and every zone simulated
:data:`TRACK_HORIZON` quarters ahead, once. That one simulation gives

* the quarterly backtest (``forecast.backtest``, horizons 1..4, against the
  baselines), over all those origins;
* the probability of meeting each target of the year of ``o + 1``
  (``forecast.targets.target_probabilities``, as leaders saw it at the end of
  the year's quarter before, or of the previous Q4), kept when that year
  has ended by ``as_of``, with whether the target was met (the year's total in
  the ledger cut at ``as_of`` at least the target).

:func:`~forecast.report.accuracy.reliability` pools those cases over zones by probability band (0–10%,
…, 90–100%): how many, and how often the target was met. A calibrated
forecast meets about 5% of its 0–10% targets, 95% of its 90–100% ones.

A batch runs this once for every zone (``forecast.run.fit.fit_models``) and
saves it in the run folder (``RunFolder.backtest``: the backtest's files and
``probabilities.csv``); a report run alone runs it with few draws.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Final

import numpy as np
import pandas as pd

from .._io import atomic_path
from ..exceptions import ForecastError
from ..periods import quarter
from ..report.accuracy import BANDS, RELIABILITY_COLUMNS, reliability

__all__ = ["BANDS", "MIN_HISTORY", "PROBABILITY_COLUMNS", "RELIABILITY_COLUMNS", "REPORT_DRAWS",
           "REPORT_YEARS", "RollingFits", "TRACK_DRAWS", "TRACK_HORIZON", "TRACK_YEARS", "TrackRecord",
           "last_ended_year", "outcomes", "read_probabilities", "reliability", "run_track_record",
           "track_origins"]

#: Quarters of ledger (from its first progress period) an origin needs behind it:
#: three years, so each model sees a few full seasons and the baselines a year.
MIN_HISTORY: Final = 12
#: Quarters simulated from each origin: every year's remaining quarters fit, and
#: the backtest scores horizons 1..4.
TRACK_HORIZON: Final = 4
#: Draws per zone and origin in a batch: a probability to about ±3 points, the
#: 10th–90th percentiles of one quarter.
TRACK_DRAWS: Final = 200
#: Years a batch's track record covers (the last ones ended by ``as_of``):
#: each adds about four model fits (about 1 min on the sample ledger).
TRACK_YEARS: Final = 3
#: Draws, and years, when a report runs the track record alone (no batch saved one).
REPORT_DRAWS: Final = 60
REPORT_YEARS: Final = 1
PROBABILITY_COLUMNS: Final = ("zone_id", "year", "metric", "origin", "target", "p_meet", "actual", "met")
PROBABILITIES_FILE: Final = "probabilities.csv"


def last_ended_year(as_of: pd.Period) -> int:
    """The last year whose outcome is known at ``as_of`` (``2025Q4`` → 2025, ``2025Q3`` → 2024)."""
    return as_of.year if as_of.quarter == 4 else as_of.year - 1


def track_origins(ledger: Any, as_of: pd.Period, min_history: int = MIN_HISTORY,
                  years: int | None = None) -> list[pd.Period]:
    """Every quarter from the first with ``min_history`` quarters of ledger
    behind it up to the quarter before ``as_of`` (empty when there is none).

    With ``years``, the sweep starts no earlier than the Q4 before the first
    of the last ``years`` years ended by ``as_of`` (the quarters after the
    last ended year stay: the quarterly backtest uses them).

    The ledger's history counts from its first progress period (projects
    registered long before are listed, their spending is not), or from its
    first event when it has no progress rows.

    A sweep's cost is about one model fit per quarter it spans (the
    calibration refits at each quarter anyway), so ``years`` is what bounds it.
    """
    from ..ledger.aggregate import quarterly

    q = as_of
    hist = quarterly(ledger.as_of(q))
    if hist.empty:
        return []
    first = hist["quarter"].min()
    if len(ledger.progress):
        first = max(first, quarter(ledger.progress["period_end"].min()))
    start = first + (min_history - 1)
    if years is not None:
        start = max(start, pd.Period(f"{last_ended_year(q) - int(years)}Q4", "Q-DEC"))
    return [start + k for k in range(max(0, (q - start).n))]


def _probabilities_at(origin: pd.Period, cut: Any, forecasts: dict[str, Any]) -> pd.DataFrame:
    """The chance each zone meets each target of the year of ``origin + 1``."""
    from ..ledger.aggregate import quarterly
    from ..targets import target_probabilities

    year = (origin + 1).year
    hist = quarterly(cut)
    hist = hist.loc[pd.PeriodIndex(hist["quarter"], freq="Q-DEC").year == year]
    frames = []
    for z, zf in forecasts.items():
        p = target_probabilities(z, cut.targets, hist, zf.samples, zf.quarters, origin)
        frames.append(p.loc[p["year"] == year, ["zone_id", "year", "metric", "target", "p_meet"]])
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["zone_id", "year", "metric", "target", "p_meet"])
    return out.assign(origin=str(origin))


def outcomes(probabilities: pd.DataFrame, ledger: Any, as_of: pd.Period) -> pd.DataFrame:
    """``probabilities`` of years ended by ``as_of``, with the year's ``actual``
    total (ledger cut at ``as_of``) and ``met`` (actual ≥ target).

    Rows of a year not yet over at ``as_of`` are dropped: their outcome is unknown.
    """
    from ..ledger.aggregate import quarterly
    from ..vocab import TARGET_METRICS

    q = as_of
    p = probabilities.loc[probabilities["year"].astype(int) <= last_ended_year(q)]
    hist = quarterly(ledger.as_of(q))
    hist = hist.assign(year=pd.PeriodIndex(hist["quarter"], freq="Q-DEC").year)
    totals = (hist.groupby(["zone_id", "year"])[list(TARGET_METRICS)].sum()
              .stack().rename("actual").rename_axis(["zone_id", "year", "metric"]).reset_index())
    out = p.astype({"year": int}).merge(totals, on=["zone_id", "year", "metric"], how="left")
    out["actual"] = out["actual"].fillna(0.0)
    out["met"] = out["actual"] >= out["target"]
    return out[list(PROBABILITY_COLUMNS)].reset_index(drop=True)


class RollingFits:
    """A model factory for a sweep of origins that fits each structural model set once.

    ``ModelSet().fit(cut, o)`` fits the structural models at ``o`` and then
    its calibration, which backtests fresh structural sets fitted at the six
    quarters before ``o``. Sweeping consecutive origins, every one of those
    was already fitted as an earlier origin's structural set: this factory
    keeps them (by quarter and zone set) and hands them to the calibration, so
    each origin costs one structural fit instead of two. The result is the
    same model set as ``ModelSet(fit_indicators=False).fit(cut, o)`` (a test
    compares the draws): fits are deterministic and see the same cut.
    """

    def __init__(self, kept: int = 8) -> None:
        self.kept = kept
        self._fits: dict[tuple[str, tuple[str, ...]], Any] = {}

    def __call__(self) -> "RollingFits":
        return self

    def _structural(self, cut: Any, q: pd.Period) -> Any:
        from ..models import ModelSet

        key = (str(q), tuple(cut.zone_ids))
        if key not in self._fits:
            self._fits[key] = ModelSet(fit_indicators=False, calibrate=False).fit(cut, q)
            while len(self._fits) > self.kept:
                self._fits.pop(next(iter(self._fits)))
        return self._fits[key]

    def fit(self, ledger: Any, as_of: str | pd.Period) -> Any:
        """The calibrated model set at ``as_of`` (as ``ModelSet(fit_indicators=False)``)."""
        import copy

        from ..models import ModelSet
        from ..models.calibration import Calibration

        q = quarter(as_of)
        cut = ledger.as_of(q)  # itself when already cut at q
        product = ModelSet(fit_indicators=False)
        fitted = copy.copy(self._structural(cut, q))
        fitted.calibrate, fitted.calibration = product.calibrate, product.calibration
        fitted.calibration_ = Calibration().fit(cut, q, lambda: _Known(self, product._uncalibrated()))
        return fitted


class _Known:
    """What the calibration fits at an earlier quarter: the kept structural set."""

    def __init__(self, fits: RollingFits, fresh: Any) -> None:
        self.fits, self.fresh = fits, fresh

    def fit(self, ledger: Any, as_of: str | pd.Period, reuse: dict[str, Any] | None = None) -> Any:
        """The kept set at ``as_of``; the roles in ``reuse`` replaced by the
        models given, as ``ModelSet.fit(..., reuse=)`` does (the calibration
        shares its slow fits from an earlier anchor)."""
        fitted = self.fits._structural(ledger, quarter(as_of))
        if reuse:
            import copy

            fitted = copy.copy(fitted)
            for role, model in reuse.items():
                setattr(fitted, role + "_", model)
        return fitted

    def __repr__(self) -> str:  # the calibration's memo key names the settings
        return repr(self.fresh)


@dataclass
class TrackRecord:
    """What :func:`run_track_record` found.

    Attributes
    ----------
    probabilities : DataFrame
        ``PROBABILITY_COLUMNS``: one row per zone, target (year, metric) and
        origin whose year had ended at ``as_of``.
    backtest : Backtest
        The quarterly backtest of the same simulations (horizons 1..4).
    """

    probabilities: pd.DataFrame
    backtest: Any

    def reliability(self, zone_id: str | None = None) -> pd.DataFrame:
        """``report.accuracy.reliability`` pooled over zones, or of one zone's cases."""
        p = self.probabilities
        return reliability(p if zone_id is None else p.loc[p["zone_id"] == zone_id])

    @classmethod
    def combine(cls, parts: list["TrackRecord"]) -> "TrackRecord":
        """One record from the records of consecutive parts of a sweep (as one
        sweep would give: the backtest's scores are computed again over all)."""
        from ..backtest import Backtest, score

        bts = [p.backtest for p in parts]
        forecasts = pd.concat([b.forecasts for b in bts], ignore_index=True)
        bt = Backtest(forecasts=forecasts, scores=score(forecasts), horizon=bts[0].horizon,
                      draws=bts[0].draws, seed=bts[0].seed,
                      seconds={k: v for b in bts for k, v in b.seconds.items()})
        return cls(pd.concat([p.probabilities for p in parts], ignore_index=True), bt)

    def save(self, out: str | os.PathLike[str]) -> Path:
        """The backtest's files (``Backtest.save``) and ``probabilities.csv``
        into the folder ``out``, each atomically; the probabilities last, so
        their presence marks the folder complete."""
        out = self.backtest.save(out)
        with atomic_path(out / PROBABILITIES_FILE) as tmp:
            self.probabilities.to_csv(tmp, index=False, encoding="utf-8")
        return out


def read_probabilities(folder: str | os.PathLike[str]) -> pd.DataFrame | None:
    """The ``probabilities.csv`` a :meth:`TrackRecord.save` left, if any."""
    path = Path(folder) / PROBABILITIES_FILE
    if not path.is_file():
        return None
    p = pd.read_csv(path, dtype={"zone_id": str, "origin": str, "metric": str})
    return p.astype({"met": bool})


def run_track_record(ledger: Any, as_of: str | pd.Period, *, draws: int = TRACK_DRAWS, seed: int = 0,
                     zones: list[str] | None = None, workers: int = 1, scheduler: str | None = None,
                     min_history: int = MIN_HISTORY, years: int | None = TRACK_YEARS,
                     origins: list[pd.Period] | None = None,
                     model_factory: Callable[[], Any] | None = None,
                     progress: Callable[[int], Any] | None = None) -> TrackRecord:
    """Refit at every past origin, simulate once, and keep both the quarterly
    backtest and the target probabilities with their outcomes.

    Parameters
    ----------
    ledger : Ledger
        Cut at ``as_of`` here: outcomes after ``as_of`` are never read.
    as_of : quarter
    draws, seed : int
        Per zone and origin (as in ``forecast_zones``).
    zones : list of str, optional
        The zones simulated (the models are always fitted on the whole cut).
    workers, scheduler
        As in ``forecast_zones``.
    min_history, years : int
        See :func:`track_origins` (``years=None``: every year the ledger allows).
    origins : list of Period, optional
        Instead of :func:`track_origins` (all before ``as_of``).
    model_factory : callable, optional
        As in ``forecast.backtest.run_backtest``; default :class:`RollingFits`.
    progress : callable, optional
        As in ``forecast.backtest.run_backtest``.

    Returns
    -------
    TrackRecord

    Raises
    ------
    ForecastError
        When the ledger has no quarter with ``min_history`` quarters behind it
        before ``as_of``.
    """
    from ..backtest import run_backtest

    q = quarter(as_of)
    cut = ledger.as_of(q)  # itself when already cut at q
    if origins is None:
        origins = track_origins(cut, q, min_history, years)
    if not origins:
        raise ForecastError(
            f"The track record needs a quarter before {q} with {min_history} quarters of ledger behind it.")
    found: list[pd.DataFrame] = []

    def keep(origin: pd.Period, origin_cut: Any, forecasts: dict[str, Any]) -> None:
        found.append(_probabilities_at(origin, origin_cut, forecasts))

    bt = run_backtest(cut, origins, horizon=TRACK_HORIZON, draws=draws, seed=seed, zones=zones,
                      workers=workers, scheduler=scheduler, keep=keep,
                      model_factory=model_factory or RollingFits(), progress=progress)
    probs = pd.concat(found, ignore_index=True)
    return TrackRecord(outcomes(probs, cut, q), bt)
