"""Benchmarks of the output model and the zone indicator baselines (issue 4).

    .venv/bin/python bench/fit_output.py                  # sample ledger (12 zones)
    .venv/bin/python bench/fit_output.py --zones 2500     # a large generated ledger
    .venv/bin/python bench/fit_output.py --nbs            # + rolling-origin scores on NBS series

``run(ledger, as_of)`` returns a dict of seconds per step (the lead's
``bench/fit.py`` calls it). Two floors are measured in the same run so figures
taken on a busy machine still compare: summing progress output by project and
quarter (the least any output model must read), and one statsmodels ETS fit of
one quarterly series (what a per-series indicator loop pays per zone and metric).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # noqa: E402  (imported untimed)

from forecast.models import IndicatorBaselines, OutputModel, Paths  # noqa: E402
from forecast.models._base import single_thread  # noqa: E402
from forecast.models.indicators import quarterly_indicators, rolling_origin, score_origins  # noqa: E402
from forecast.periods import next_quarters  # noqa: E402

NBS = ROOT / "tests" / "data" / "nbs"


def _time(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def floor_output_sum(cut: Any) -> None:
    """Output summed by project and quarter: the data any output model reads."""
    pr = cut.progress
    pr.loc[pr["output_value"].notna()].groupby(["project_id", "quarter"])["output_value"].sum()


def floor_one_ets(table: pd.DataFrame) -> None:
    """One statsmodels ETS(A,Ad,A) fit of the first indicator series."""
    first = table.groupby(["zone_id", "metric"]).head(10_000)
    key = first.iloc[0][["zone_id", "metric"]]
    y = first.loc[(first["zone_id"] == key["zone_id"]) & (first["metric"] == key["metric"]), "value"]
    with single_thread(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ETSModel(pd.Series(np.log(y.to_numpy(float)[-40:])), error="add", trend="add", damped_trend=True,
                 seasonal="add", seasonal_periods=4).fit(disp=False)


def run(ledger: Any, as_of: str | None = None, draws: int = 1000, horizon: int = 8) -> dict[str, float]:
    """Seconds per step on ``ledger`` cut at ``as_of`` (default: a year before its end).

    Keys: ``floor_output_sum``, ``floor_one_ets``, ``output_fit``, ``output_summary``,
    ``output_sample`` (every project producing at as_of, ``draws`` x ``horizon``),
    ``indicators_fit``, ``indicators_forecast``, ``indicators_series`` (count),
    ``statsmodels_per_series`` (mean of 20 per-series fits), ``producing`` (count).
    """
    as_of = as_of or str(ledger.last_quarter - 4)
    cut, t_cut = _time(lambda: ledger.as_of(as_of))
    out: dict[str, float] = {"cut": t_cut}
    _, out["floor_output_sum"] = _time(lambda: floor_output_sum(cut))
    table = quarterly_indicators(cut.indicators)
    floor_one_ets(table)  # the first fit in a process pays statsmodels' one-off set-up
    _, out["floor_one_ets"] = _time(lambda: floor_one_ets(table))

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model, out["output_fit"] = _time(lambda: OutputModel().fit(cut, as_of))
    _, out["output_summary"] = _time(model.summary)
    p = cut.projects
    ids = p.loc[p["production_date"].notna(), "project_id"].to_numpy()
    out["producing"] = float(len(ids))
    rng = np.random.default_rng(0)

    def sample() -> None:
        for start in range(0, len(ids), 2000):  # the simulator's chunk size
            chunk = ids[start:start + 2000]
            months = {"production_date": np.full((draws, len(chunk)), np.nan, np.float32)}
            model.sample_output(cut, Paths(chunk, next_quarters(as_of, horizon), months, as_of=cut.cut),
                                rng).sum(axis=1)
    _, out["output_sample"] = _time(sample)

    bl, out["indicators_fit"] = _time(lambda: IndicatorBaselines().fit_quarterly(table, as_of))
    _, out["indicators_forecast"] = _time(lambda: bl.forecast(horizon))
    out["indicators_series"] = float(len(bl.series_))
    keys = table[["zone_id", "metric"]].drop_duplicates().head(20)
    few = table.merge(keys, on=["zone_id", "metric"])
    _, t = _time(lambda: IndicatorBaselines(engine="statsmodels").fit_quarterly(few, as_of))
    out["statsmodels_per_series"] = t / max(len(keys), 1)
    return out


def nbs_scores() -> pd.DataFrame:
    """Rolling-origin scores (quarterly origins 2015Q4-2024Q1, horizon 4) on the
    NBS series, for ETS (numpy and statsmodels engines) and SARIMA."""
    from forecast.ledger import load

    fai = quarterly_indicators(load(NBS / "ledger").indicators)
    gdp = pd.read_csv(NBS / "gdp_quarterly.csv")
    gdp["quarter"] = pd.PeriodIndex(gdp["quarter"], freq="Q-DEC")
    table = pd.concat([fai, gdp], ignore_index=True)
    origins = pd.period_range("2015Q4", "2024Q1", freq="Q")
    rows = []
    for name, settings in [("ets (numpy)", {}), ("ets (statsmodels)", {"engine": "statsmodels"}),
                           ("sarima (statsmodels)", {"engine": "statsmodels", "method": "sarima"})]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scores, secs = _time(lambda: score_origins(rolling_origin(table, origins, 4, **settings)))
        rows.append(scores.assign(model=name, seconds=secs))
    return pd.concat(rows, ignore_index=True)


def _print(name: str, ledger: Any, t: dict[str, float]) -> None:
    print(f"\n{name}: {len(ledger.zones):,} zones, {len(ledger.projects):,} projects, "
          f"{int(t['producing']):,} producing, {int(t['indicators_series']):,} indicator series")
    print(f"{'step':28s} {'seconds':>8s} {'x out-sum':>10s} {'x 1 ETS':>8s}")
    for k in ("cut", "floor_output_sum", "floor_one_ets", "output_fit", "output_summary", "output_sample",
              "indicators_fit", "indicators_forecast"):
        print(f"{k:28s} {t[k]:8.2f} {t[k] / t['floor_output_sum']:10.1f} {t[k] / t['floor_one_ets']:8.0f}")
    per = t["statsmodels_per_series"]
    print(f"statsmodels ETS per series {per * 1000:.0f} ms -> {per * t['indicators_series']:.0f} s "
          f"for all {int(t['indicators_series']):,} series (numpy engine: {t['indicators_fit']:.1f} s)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--zones", type=int, default=0, help="also a generated ledger of this many zones")
    ap.add_argument("--as-of", default=None)
    ap.add_argument("--nbs", action="store_true", help="rolling-origin scores on the NBS series")
    args = ap.parse_args()
    from forecast.sample import generate

    sample = generate(zones=12, seed=2025)
    _print("sample", sample, run(sample, args.as_of))
    if args.zones:
        big = generate(zones=args.zones, seed=7)
        _print(f"{args.zones} zones", big, run(big, args.as_of))
    if args.nbs:
        s = nbs_scores()
        cols = ["model", "metric", "origins", "mase", "mase_naive", "cov80", "cov50", "crps", "seconds"]
        print("\nNBS rolling origins 2015Q4-2024Q1, horizon 4 (MASE scaled on the fitted window)")
        print(s[cols].round(3).to_string(index=False))


if __name__ == "__main__":
    main()
