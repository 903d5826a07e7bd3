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
    )
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
    problems = (
        Problem("projects.csv", 7, "计划竣工时间", "planned before start", "<img src=x onerror=alert(1)>",
                "a planned completion on or after the start date", "warning"),
    )
    return ReportData(
        zone_id=zone, zone_name=zone_name, as_of=q, lang=lang, horizon=8, draws=2000,
        seed=seed, forecast=zf, pipeline=pipeline, problems=problems,
        backtest_forecasts=bt, backtest_scores=scores, models_source="",
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
