"""Report fixtures: ZoneForecast-shaped data built from the DESIGN.md contract.

The figures and tables are tested on these frames, not on a simulation, so a
change in the models cannot hide a report bug (and vice versa). Names carry
markup and ampersands on purpose: every one must come out escaped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from forecast.exceptions import Problem
from forecast.periods import next_quarters, quarter_range
from forecast.report.data import ReportData
from forecast.simulate import ZoneForecast
from forecast.vocab import FORECAST_COLUMNS, METRICS, NEW_PREFIX, QUANTILES, STAGES

#: The quarter the report tests forecast from.
AS_OF = "2025Q3"
#: Draws of the rendered reports: enough for stable quantiles, quick to simulate.
DRAWS = 200
ROOT = Path(__file__).resolve().parents[2]

EVIL_ZONE = "<script>alert(1)</script>绵阳A&B经开区"
EVIL_PROJECT = "<script>alert('p')</script>电子&信息<b>产业园</b>"


def _history(zone: str, as_of: pd.Period, rng: np.random.Generator) -> pd.DataFrame:
    qs = quarter_range(as_of - 15, as_of)
    n = len(qs)
    return pd.DataFrame({
        "zone_id": zone,
        "quarter": qs,
        "projects_registered": rng.poisson(6, n),
        "projects_signed": rng.poisson(5, n),
        "projects_started": rng.poisson(4, n),
        "projects_completed": rng.poisson(3, n),
        "projects_producing": rng.poisson(2, n),
        "projects_full_production": rng.poisson(1, n),
        "projects_cancelled": rng.poisson(0.5, n),
        "investment": rng.gamma(5, 40_000, n),
        "output_value": np.linspace(50_000, 120_000, n) * rng.uniform(0.9, 1.1, n),
    })


def _table(zone: str, as_of: pd.Period, horizon: int, rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    scale = {"investment": 200_000.0, "output_value": 130_000.0, "projects_started": 4.0,
             "projects_completed": 3.0, "projects_producing": 2.0}
    for metric in METRICS:
        for prefix, share in (("", 1.0), (NEW_PREFIX, 0.2)):
            for h, q in enumerate(next_quarters(as_of, horizon)):
                draws = rng.gamma(6, scale[metric] * share * (1 + 0.03 * h) / 6, 2000)
                if metric.startswith("projects"):
                    draws = np.round(draws)
                qv = np.quantile(draws, QUANTILES)
                rows.append([zone, str(q), prefix + metric, draws.mean(), *qv])
    return pd.DataFrame(rows, columns=list(FORECAST_COLUMNS))


def _targets(zone: str, year: int) -> pd.DataFrame:
    rows = [
        (zone, year, "investment", 800_000.0, 350_000.0, 760_000.0, 650_000.0, 870_000.0, 0.38),
        (zone, year, "projects_started", 15.0, 6.0, 16.2, 13.0, 19.0, 0.62),
        (zone, year, "projects_completed", 12.0, 5.0, 10.1, 8.0, 12.0, 0.21),
        (zone, year, "projects_producing", 8.0, 2.0, 8.8, 7.0, 11.0, 0.74),
    ]
    df = pd.DataFrame(rows, columns=["zone_id", "year", "metric", "target", "actual_to_date",
                                     "expected", "p10", "p90", "p_meet"])
    df.insert(7, "p50", df["expected"].round())
    df["rate_expected"] = df["expected"] / df["target"]
    df["rate_p10"] = df["p10"] / df["target"]
    df["rate_p90"] = df["p90"] / df["target"]
    return df


def _risk(zone: str) -> pd.DataFrame:
    return pd.DataFrame({
        "zone_id": zone,
        "project_id": [f"P{i}" for i in range(12)],
        "name": [EVIL_PROJECT] + [f"项目{i} A&B" for i in range(1, 12)],
        "stage": ["signed", "started", "reserve"] * 4,
        "category": "industrial",
        "planned_investment": np.linspace(5_000, 300_000, 12),
        "responsible_unit": ["招商局 <i>一科</i>"] + ["经发局"] * 11,
        "officer": ["张三 & 李四"] + ["王五"] * 11,
        "risk": ["start", "completion", "cancel"] * 4,
        "probability": np.linspace(0.9, 0.2, 12),
        "reason_code": "overdue",
        "reason_zh": ["已逾期 <b>6</b> 个月"] * 12,
        "reason_en": ["6 months overdue <b>"] * 12,
        "planned_date": pd.Timestamp("2025-03-31"),
        "months_overdue": np.arange(12, dtype=float),
        # a plain figure, a lower bound, a bound under half a month, none (cancel): every way it prints
        "months_late": [14.26, 3.4, np.nan, 0.2, 6.0, np.nan] * 2,
        "months_late_bound": [False, True, False, True, False, False] * 2,
        "investment_at_stake": np.linspace(4_000, 200_000, 12),
    })


#: A unit name with markup, on the 龙虎榜 with the black flag.
EVIL_UNIT = "招商局 <i>一科</i> & 二科"


def _board(zone: str) -> pd.DataFrame:
    """A 龙虎榜 as ``risk.unit_board`` returns it: best unit first, both flags."""
    return pd.DataFrame({
        "zone_id": zone,
        "responsible_unit": ["经发局", "建设局", "科技局", EVIL_UNIT],
        "projects": [8, 5, 2, 6],
        "at_risk": [1, 2, 1, 5],
        "share_at_risk": [1 / 8, 2 / 5, 1 / 2, 5 / 6],
        "planned_investment_at_risk": [20_000.0, 150_000.0, 8_000.0, 420_000.0],
        "rank": [1, 2, 3, 4],
        "flag": ["red", "", "", "black"],
        "flag_zh": ["红旗", "", "", "黑旗"],
    })


def _year_end(zone: str, year: int) -> pd.DataFrame:
    """``ZoneForecast.year_end``: 投资完成率 against a plan, one rate not defined."""
    return pd.DataFrame([
        (zone, year, "start_rate", "plan", 0.86, 0.80, 0.87, 0.93, 0.02),
        (zone, year, "new_start_rate", "plan", 0.70, 0.55, 0.71, 0.85, 0.05),
        (zone, year, "investment_rate", "plan", 0.95, 0.81, 0.96, 1.07, 0.31),
        (zone, year, "production_rate", "plan", np.nan, np.nan, np.nan, np.nan, np.nan),
        (zone, year, "contract_rate", "signed", 0.71, 0.60, 0.72, 0.82, 0.0),
    ], columns=["zone_id", "year", "rate", "basis", "mean", "p10", "p50", "p90", "p_reach"])


def _batches(zone: str, q: pd.Period) -> pd.DataFrame:
    return pd.DataFrame([
        (zone, str(q + 1), "signed", 1.0, 3.0, 5.0, 20_000.0, 61_000.0, 120_000.0),
        (zone, str(q + 1), "started", 2.0, 4.0, 6.0, 50_000.0, 90_000.0, 160_000.0),
        (zone, str(q + 1), "producing", 0.0, 1.0, 3.0, 0.0, 12_300.0, 40_000.0),
    ], columns=["zone_id", "period", "event", "projects_p10", "projects_p50", "projects_p90",
                "investment_p10", "investment_p50", "investment_p90"])


def _rates(zone: str, year: int, date: pd.Timestamp) -> pd.DataFrame:
    """``ledger.rates.rates`` rows: counts, money, one empty list."""
    return pd.DataFrame([
        (zone, year, date, "start_rate", 17, 19, 17 / 19, "plan"),
        (zone, year, date, "new_start_rate", 5, 7, 5 / 7, "plan"),
        (zone, year, date, "investment_rate", 260_700.0, 238_200.0, 260_700 / 238_200, "plan"),
        (zone, year, date, "production_rate", 0, 0, np.nan, "plan"),
        (zone, year, date, "contract_rate", 4, 6, 4 / 6, "signed"),
    ], columns=["zone_id", "year", "date", "rate", "numerator", "denominator", "value", "basis"])


def make_report_data(lang: str = "zh", *, zone: str = "Z01", zone_name: str = EVIL_ZONE,
                     as_of: str = "2025Q2", targets: bool = True, seed: int = 7) -> ReportData:
    """A complete ReportData for one zone, every part shaped as in DESIGN.md."""
    rng = np.random.default_rng(seed)
    q = pd.Period(as_of, freq="Q-DEC")
    year = (q + 1).year
    history = _history(zone, q, rng)
    zf = ZoneForecast(
        zone_id=zone, zone_name=zone_name, as_of=q, horizon=8, draws=2000, seed=seed,
        table=_table(zone, q, 8, rng),
        targets=_targets(zone, year) if targets else _targets(zone, year).iloc[0:0],
        risk=_risk(zone), history=history, board=_board(zone),
        year_end=_year_end(zone, year), batches=_batches(zone, q),
    )
    ended = q.year if q.quarter == 4 else q.year - 1 if q.quarter == 1 else None
    last = {}
    if ended is not None:
        last = {"last_rates": _rates(zone, ended, pd.Timestamp(f"{ended}-12-31")),
                "last_result": pd.DataFrame({
                    "metric": ["investment", "projects_started", "output_value"],
                    "target": [238_200.0, 6.0, 1_169_900.0], "actual": [260_700.0, 5.0, 1_200_000.0],
                    "share": [260_700 / 238_200, 5 / 6, 1_200_000 / 1_169_900]})}
    pipeline = pd.DataFrame({
        "zone_id": zone, "stage": list(STAGES),
        "projects": [14, 9, 22, 6, 30, 5, 3],
        "planned_investment": [900_000.0, 500_000, 2_100_000, 400_000, 1_800_000, 300_000, 90_000],
    })
    origins = [q - k for k in range(4, 0, -1)]
    bt_rows = []
    for o in origins:
        for metric in METRICS:
            for model in ("forecast", "seasonal_naive"):
                base = 200_000.0 if metric == "investment" else 5.0
                qv = np.quantile(rng.gamma(6, base / 6, 500), QUANTILES)
                bt_rows.append([str(o), 1, model, zone, str(o + 1), metric, qv.mean(), *qv,
                                base * rng.uniform(0.7, 1.3), base / 3])
    bt = pd.DataFrame(bt_rows, columns=["origin", "horizon", "model", *FORECAST_COLUMNS,
                                        "actual", "scale"])
    scores = pd.DataFrame([
        (zone, m, 1, model, 4, 1.0, mase, 0.5, 0.75, 1.0)
        for m in METRICS for model, mase in (("forecast", 0.8), ("seasonal_naive", 1.0))
    ], columns=["zone_id", "metric", "horizon", "model", "n", "mae", "mase", "cov50", "cov80", "crps"])
    # Past target chances of this zone and another: 0.05 never met, 0.95 always, 0.75 three in four.
    track = pd.DataFrame([
        (z, y, "investment", f"{y - 1}Q4", 100.0, p, 100.0 if met else 50.0, met)
        for z in (zone, "Z99") for y in (q.year - 2, q.year - 1)
        for p, met in ((0.05, False), (0.95, True), (0.75, True), (0.72, True), (0.78, True),
                       (0.71, False))
    ], columns=["zone_id", "year", "metric", "origin", "target", "p_meet", "actual", "met"])
    calibration = pd.DataFrame(
        [{"what": f"weight_{s}", "metric": m, "k": 1, "estimate": w, "n": 40, "note": ""}
         for m in METRICS for s, w in zip(("structural", "seasonal_naive", "ets", "recent_mean"),
                                          (0.5, 0.25, 0.25, 0.0) if m == "projects_started"
                                          else (1.0, 0.0, 0.0, 0.0))])
    problems = (
        Problem("projects.csv", 7, "计划竣工时间", "planned before start", "<img src=x onerror=alert(1)>",
                "a planned completion on or after the start date", "warning"),
    )
    return ReportData(
        zone_id=zone, zone_name=zone_name, as_of=q, lang=lang, horizon=8, draws=2000,
        seed=seed, forecast=zf, pipeline=pipeline, problems=problems,
        backtest_forecasts=bt, backtest_scores=scores, models_source="",
        track_probabilities=track, calibration=calibration,
        rates_now=_rates(zone, q.year, q.end_time.normalize()),
        batches_done=pd.DataFrame({"event": ["signed", "started", "producing"], "projects": [2, 1, 0],
                                   "investment": [31_000.0, 20_000.0, 0.0]}),
        **last,
    )


def section_notebook(rd: ReportData, extra_cells: list | None = None):  # noqa: ANN201
    """An executed-looking notebook: one code cell per report section, its
    output what Jupyter would store for it (no kernel needed)."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook, new_output

    from forecast.report import sections

    params = new_code_cell('zone_id: str = "Z01"  # zone', metadata={"tags": ["parameters"]})
    injected = new_code_cell('zone_id = "Z01"', metadata={"tags": ["injected-parameters"]})
    cells = [params, injected]
    for section in sections.ALL:
        data, meta = section(rd)._repr_mimebundle_()
        cell = new_code_cell(f"SECRET_CODE_MARKER = sections.{section.__name__}(rd)")
        cell.outputs = [new_output("display_data", data=data, metadata=meta)]
        cells.append(cell)
    nb = new_notebook(cells=cells + list(extra_cells or []))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.validate(nb)
    return nb
