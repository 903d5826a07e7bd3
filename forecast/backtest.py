"""Rolling-origin backtest of the zone forecasts against simple baselines.

At each origin the models are fitted on ``ledger.as_of(origin)`` only (strict
as-of cut), every zone is forecast ``horizon`` quarters ahead, and the forecasts
are compared with what the full ledger's quarterly aggregate shows. Two
baselines run on each zone's quarterly aggregate as known at the origin:

* ``seasonal_naive`` — the same quarter one year earlier; its interval is the
  spread of the zone's past year-on-year changes (last five years);
* ``ets`` — additive-error exponential smoothing with additive (damped) trend
  and additive quarterly seasonality (``statsmodels`` ETSModel), normal
  intervals from its forecast variance; a shorter history falls back to
  simpler forms.

Scores per zone, metric, horizon and model: MAE; MASE (absolute error scaled by
the in-sample mean absolute year-on-year change at the origin, so it compares
with seasonal naive); both of the median ``p50``, the figure the report prints
as the forecast (预计) and the point an absolute error asks for (Gneiting 2011,
"Making and evaluating point forecasts"), with the mean's kept as ``mae_mean``
and ``mase_mean``: on small counts the two differ (a zone expecting 0.4
completions has a median of 0); coverage of the 50% (p25–p75) and 80% (p10–p90)
intervals; CRPS approximated from the seven quantiles. The scores are those of
``forecast.scoring``.

Coverage (``cov50``, ``cov80``) is the expected coverage under the
non-randomised PIT (Czado, Gneiting & Held 2009; see ``forecast.scoring``),
computed the same way for every model from the seven quantiles of the
forecasts table: F is the CDF of the linearly interpolated quantile function,
and for the count metrics (``vocab.COUNT_METRICS``) an actual y counts as
covered in proportion to the part of [F(y − ½), F(y + ½)] inside [0.1, 0.9]
(resp. [0.25, 0.75]). A zone's quarterly count is small (a few) and sits
exactly on p10 or p90 in a quarter to two fifths of the forecasts; the closed
interval [p10, p90] would count every such tie as a hit even for a calibrated
forecast. For the
money metrics the bounds are [F(y⁻), F(y)], which gives the plain coverage
unless the forecast has an atom at the actual (such as zero). The plain
closed-interval shares are kept as ``cov50_closed`` and ``cov80_closed``.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ._io import atomic_path
from .exceptions import ForecastError
from .periods import next_quarters, quarter
from .models.baselines import ets, ets_many, seasonal_naive
from .scoring import crps_from_quantiles, mase_scale, pit_bounds_from_quantiles, pit_coverage
from .simulate import forecast_table, forecast_zones
from .vocab import COUNT_METRICS, FORECAST_COLUMNS, METRICS, QUANTILE_COLUMNS, QUANTILES

__all__ = ["Backtest", "MODELS", "SCORE_COLUMNS", "ets", "ets_many", "run_backtest", "score", "seasonal_naive"]

MODELS = ("forecast", "seasonal_naive", "ets")
SCORE_COLUMNS = ("zone_id", "metric", "horizon", "model", "n", "mae", "mase", "cov50", "cov80", "crps",
                 "cov50_closed", "cov80_closed", "mae_mean", "mase_mean")
#: The point forecast MAE and MASE score: the median the report prints.
POINT = "p50"


# --- baselines (forecast.models.baselines) -------------------------------------------
def _baselines(history: pd.DataFrame, origin: pd.Period, horizon: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both baselines for every zone and metric of a quarterly aggregate, and the
    MASE scale of each zone and metric (``scoring.mase_scale`` of its history)."""
    periods = next_quarters(origin, horizon).astype(str).to_numpy()
    h = history.sort_values(["zone_id", "quarter"])
    zones = h["zone_id"].drop_duplicates().to_list()
    # every zone has every quarter (aggregate.quarterly), so the series stack
    y = np.stack([h[m].to_numpy(dtype=float).reshape(len(zones), -1) for m in METRICS], axis=1)
    y = y.reshape(len(zones) * len(METRICS), -1)  # row = (zone, metric)
    snaive = np.stack([seasonal_naive(row, horizon) for row in y])
    keys = pd.MultiIndex.from_product([zones, METRICS], names=["zone_id", "metric"])
    frames = []
    for model, vals in (("seasonal_naive", snaive), ("ets", ets_many(y, horizon))):
        f = pd.DataFrame(vals.reshape(-1, vals.shape[-1]), columns=["mean", *QUANTILE_COLUMNS])
        f.insert(0, "zone_id", np.repeat(keys.get_level_values(0), horizon))
        f.insert(1, "period", np.tile(periods, len(keys)))
        f.insert(2, "metric", np.repeat(keys.get_level_values(1), horizon))
        f["model"] = model
        frames.append(f)
    scales = pd.DataFrame({"zone_id": keys.get_level_values(0), "metric": keys.get_level_values(1),
                           "scale": [float(mase_scale(row)) for row in y]})
    return pd.concat(frames, ignore_index=True), scales


# --- scores ------------------------------------------------------------------------------
def _errors(forecasts: pd.DataFrame) -> pd.DataFrame:
    """The rows with an actual, with absolute and scaled error, interval hits
    (PIT-based ``in50``/``in80``, closed-interval ``closed50``/``closed80``) and CRPS."""
    f = forecasts.loc[forecasts["actual"].notna()].copy()
    y = f["actual"].to_numpy(dtype=float)
    q = f[list(QUANTILE_COLUMNS)].to_numpy(dtype=float)
    scale = f["scale"].where(f["scale"] > 0)
    f["ae"] = (f[POINT] - f["actual"]).abs()
    f["se"] = f["ae"] / scale
    f["ae_mean"] = (f["mean"] - f["actual"]).abs()
    f["se_mean"] = f["ae_mean"] / scale
    lo, hi = pit_bounds_from_quantiles(y, q, QUANTILES, integer=f["metric"].isin(COUNT_METRICS).to_numpy())
    f["in50"] = pit_coverage(lo, hi, 0.5)
    f["in80"] = pit_coverage(lo, hi, 0.8)
    f["closed50"] = (f["actual"] >= f["p25"]) & (f["actual"] <= f["p75"])
    f["closed80"] = (f["actual"] >= f["p10"]) & (f["actual"] <= f["p90"])
    f["crps"] = crps_from_quantiles(y, q)
    return f


_AGG = dict(n=("ae", "size"), mae=("ae", "mean"), mase=("se", "mean"), cov50=("in50", "mean"),
            cov80=("in80", "mean"), crps=("crps", "mean"), cov50_closed=("closed50", "mean"),
            cov80_closed=("closed80", "mean"), mae_mean=("ae_mean", "mean"), mase_mean=("se_mean", "mean"))


def score(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Scores per zone, metric, horizon and model from a long forecasts table
    with ``actual`` and ``scale`` columns (rows without an actual are skipped)."""
    out = _errors(forecasts).groupby(["zone_id", "metric", "horizon", "model"], sort=False).agg(**_AGG)
    return out.reset_index()[list(SCORE_COLUMNS)]


@dataclass
class Backtest:
    """The result of :func:`run_backtest`.

    Attributes
    ----------
    forecasts : DataFrame
        ``origin, horizon, model`` + ``vocab.FORECAST_COLUMNS`` + ``actual, scale``.
    scores : DataFrame
        ``SCORE_COLUMNS``: one row per zone, metric, horizon and model.
    seconds : dict
        Wall time per origin (fit, simulate, baselines), for the record.
    """

    forecasts: pd.DataFrame
    scores: pd.DataFrame
    horizon: int
    draws: int
    seed: int
    seconds: dict[str, float] = field(default_factory=dict)

    def summary(self) -> pd.DataFrame:
        """Per metric and model: MASE summed over zones (mean over horizons
        first), its ratio to seasonal naive's, and MAE, coverage (PIT-based
        for counts, see the module docstring; closed-interval too) and CRPS
        pooled over zones, horizons and origins.

        ``mase_sum`` compares across models because every model shares the
        zone's scale; ``ratio`` < 1 beats seasonal naive. ``ratio_mean`` is
        the same ratio scoring each forecast's mean instead of its median.
        """
        per_zone = self.scores.groupby(["metric", "model", "zone_id"])[["mase", "mase_mean"]].mean()
        sums = per_zone.groupby(["metric", "model"]).sum().rename(
            columns={"mase": "mase_sum", "mase_mean": "mase_sum_mean"})
        pooled = _errors(self.forecasts).groupby(["metric", "model"]).agg(**_AGG).drop(
            columns=["mase", "mase_mean", "mae_mean"])
        out = pd.concat([sums, pooled], axis=1).reset_index()
        for col, ratio in (("mase_sum", "ratio"), ("mase_sum_mean", "ratio_mean")):
            snaive = out.loc[out["model"] == "seasonal_naive"].set_index("metric")[col]
            out[ratio] = out[col] / out["metric"].map(snaive)
        order = {m: i for i, m in enumerate(METRICS)}
        morder = {m: i for i, m in enumerate(MODELS)}
        out = out.sort_values(["metric", "model"], key=lambda c: c.map({**order, **morder}))
        cols = ["metric", "model", "n", "mase_sum", "ratio", "mae", "cov50", "cov80", "crps",
                "cov50_closed", "cov80_closed", "ratio_mean"]
        return out[cols].reset_index(drop=True)

    def plot(self, fig: Any = None) -> Any:
        """MASE (summed over zones) and 80% coverage by horizon, per metric and model.

        Returns the matplotlib Figure.
        """
        import matplotlib.pyplot as plt

        if fig is None:
            fig = plt.figure(figsize=(4 * len(METRICS), 6.5))
        axes = fig.subplots(2, len(METRICS), squeeze=False)
        s = self.scores
        by = s.groupby(["metric", "model", "horizon"]).agg(mase=("mase", "sum"), cov80=("cov80", "mean"))
        for i, metric in enumerate(METRICS):
            for model in MODELS:
                if (metric, model) not in by.index.droplevel(2):
                    continue
                d = by.loc[(metric, model)]
                axes[0, i].plot(d.index, d["mase"], marker="o", label=model)
                axes[1, i].plot(d.index, d["cov80"], marker="o", label=model)
            axes[0, i].set_title(metric)
            for ax in axes[:, i]:
                ax.set_xticks(range(1, self.horizon + 1))
                ax.set_xlabel("horizon (quarters)")
            axes[1, i].axhspan(0.7, 0.9, color="0.9", zorder=0)
            axes[1, i].axhline(0.8, color="0.5", lw=0.8)
            axes[1, i].set_ylim(0, 1)
        axes[0, 0].set_ylabel("MASE, sum over zones")
        axes[1, 0].set_ylabel("80% interval coverage")
        axes[0, 0].legend()
        fig.tight_layout()
        return fig

    def save(self, out: str | os.PathLike[str]) -> Path:
        """Write ``scores.csv``, ``summary.csv``, ``forecasts.csv`` and
        ``backtest.png`` into the folder ``out``; each file atomically."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in (("scores.csv", self.scores), ("summary.csv", self.summary()),
                            ("forecasts.csv", self.forecasts)):
            with atomic_path(out / name) as tmp:
                frame.to_csv(tmp, index=False, encoding="utf-8")
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        fig = self.plot()
        with atomic_path(out / "backtest.png") as tmp:
            fig.savefig(tmp, format="png", dpi=110)
        plt.close(fig)
        return out


def run_backtest(
    ledger: Any,
    origins: Sequence[str | pd.Period] | pd.PeriodIndex | str,
    horizon: int = 4,
    draws: int = 300,
    seed: int = 0,
    zones: list[str] | None = None,
    progress: Callable[[int], Any] | None = None,
    model_factory: Callable[[], Any] | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    keep: Callable[[pd.Period, Any, dict[str, Any]], Any] | None = None,
) -> Backtest:
    """Rolling-origin backtest: fit at each origin (strict as-of cut), forecast,
    compare with the full ledger's quarterly aggregate and with the baselines.

    Parameters
    ----------
    ledger : Ledger
        The whole ledger (actuals come from it).
    origins : quarters, or a range like ``"2020Q4:2024Q4"``
    horizon, draws, seed : int
        As in :func:`forecast.simulate.forecast_table`; fewer draws keep it quick.
    zones : list of str, optional
    progress : callable, optional
        Called with 1 after each origin.
    model_factory : callable, optional
        Returns an unfitted ModelSet (default ``ModelSet(fit_indicators=False)``:
        the simulation does not use the indicator baselines).
    workers : int
        Processes simulating zones at once (as in ``forecast_zones``).
    scheduler : str, optional
        A Dask scheduler's address: the zones are simulated there (as in ``forecast_zones``).
    keep : callable, optional
        Called at each origin with ``(origin, cut, forecasts)``, ``forecasts`` the
        origin's ``forecast_zones`` result with each zone's draws (``samples``), so
        a caller derives more from the same simulation (the track record of the
        target probabilities, ``forecast.run.track``) instead of running another.

    Returns
    -------
    Backtest

    Examples
    --------
    >>> from forecast.sample import generate                       # doctest: +SKIP
    >>> bt = run_backtest(generate(zones=3, seed=1), "2022Q4:2023Q4", draws=200)  # doctest: +SKIP
    >>> bt.summary()                                               # doctest: +SKIP
    """
    from .ledger.aggregate import quarterly
    from .models.modelset import ModelSet

    if isinstance(origins, str):
        from .periods import parse_quarter_range

        origins = parse_quarter_range(origins)
    origins = [quarter(o) for o in origins]
    if not origins:
        raise ForecastError("The backtest needs at least one origin, e.g. '2020Q4:2024Q4'.")
    make = model_factory or (lambda: ModelSet(fit_indicators=False))
    actual = quarterly(ledger)
    last = actual["quarter"].max()
    if origins[-1] >= last:
        raise ForecastError(
            f"Origin {origins[-1]} leaves nothing to compare with: the ledger ends at {last}."
        )
    act = actual.melt(["zone_id", "quarter"], value_vars=list(METRICS), var_name="metric", value_name="actual")
    act["period"] = act["quarter"].astype(str)
    act = act.drop(columns="quarter")

    frames, seconds = [], {}
    t0 = time.perf_counter()
    for origin in origins:  # each origin's calibration reuses the backtests of the origins before it
        frames.append(_one_origin(ledger, origin, horizon, draws, seed, zones, workers, scheduler, make,
                                  keep))
        seconds[str(origin)] = time.perf_counter() - t0
        t0 = time.perf_counter()
        if progress is not None:
            progress(1)
    forecasts = pd.concat(frames, ignore_index=True).merge(act, on=["zone_id", "period", "metric"], how="left")
    cols = ["origin", "horizon", "model", *FORECAST_COLUMNS, "actual", "scale"]
    forecasts = forecasts[cols]
    return Backtest(forecasts=forecasts, scores=score(forecasts), horizon=horizon, draws=draws,
                    seed=seed, seconds=seconds)


def _one_origin(ledger: Any, origin: pd.Period, horizon: int, draws: int, seed: int,
                zones: list[str] | None, workers: int, scheduler: Any, make: Callable[[], Any],
                keep: Callable[[pd.Period, Any, dict[str, Any]], Any] | None = None) -> pd.DataFrame:
    """The forecast and both baselines at one origin, with the MASE scales."""
    from .ledger.aggregate import quarterly

    cut = ledger.as_of(origin)
    models = make().fit(cut, origin)
    if keep is None:
        fc = forecast_table(cut, origin, horizon, draws, seed, models=models, zones=zones, workers=workers,
                            scheduler=scheduler)
    else:  # the same tables, with the draws kept for the caller
        zf = forecast_zones(cut, origin, horizon, draws, seed, models=models, zones=zones, workers=workers,
                            scheduler=scheduler, detail=False, keep_samples=True)
        keep(origin, cut, zf)
        fc = pd.concat([f.table for f in zf.values()], ignore_index=True)
    fc = fc.loc[fc["metric"].isin(METRICS)].assign(model="forecast")
    hist = quarterly(cut)
    if zones is not None:
        hist = hist.loc[hist["zone_id"].isin(zones)]
    base, scales = _baselines(hist, origin, horizon)
    both = pd.concat([fc, base], ignore_index=True)
    both["origin"] = str(origin)
    periods = next_quarters(origin, horizon).astype(str)
    both["horizon"] = both["period"].map({p: i + 1 for i, p in enumerate(periods)})
    return both.merge(scales, on=["zone_id", "metric"], how="left")
