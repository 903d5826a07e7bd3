"""Zone-level tables of the sample: yearly targets and monthly statistics.

Targets are set the way zones set them: last year's actual plus a growth
target (比上年增长), with noise. Indicators are what the statistics office
publishes for the zone: fixed-asset investment (the ledger's spending plus
investment outside the ledger) and industrial output (the ledger's industrial
projects, industrial projects past their tracking window, and existing firms),
monthly, with January merged into February.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..vocab import TARGET_METRICS
from .clock import CAL_MONTH, MONTH_START, month_index
from .truth import GroundTruth


def targets(rng: np.random.Generator, truth: GroundTruth, zone_ids: list[str],
            actual: dict[str, np.ndarray], first_year: int) -> pd.DataFrame:
    """Targets of every zone, year and metric from the previous year's actual.

    ``actual[metric]`` is (zones, years) starting the year before ``first_year``.
    The year after the ledger's last gets its targets too: a zone sets next
    year's plan from this year's actual, so a forecast made at the ledger's end
    has targets to be measured against.
    """
    frames = []
    for metric in TARGET_METRICS:
        prev = actual[metric]
        noise = np.exp(truth.target_sigma * rng.standard_normal(prev.shape))
        value = prev * (1.0 + truth.target_growth[metric]) * noise
        value = np.round(value, -2) if metric in ("investment", "output_value") else np.round(value)
        z, y = np.indices(value.shape)
        frames.append(pd.DataFrame({
            "zone_id": np.asarray(zone_ids, dtype=object)[z.ravel()],
            "year": (first_year + y.ravel()).astype(np.int64),
            "metric": metric,
            "value": value.ravel().astype(float),
        }))
    return _in_zone_order(pd.concat(frames, ignore_index=True), zone_ids, ["year", "metric"])


def indicators(rng: np.random.Generator, truth: GroundTruth, zone_ids: list[str], size: np.ndarray,
               ledger_fai: np.ndarray, ledger_output: np.ndarray, untracked_capacity: np.ndarray,
               start_year: int, end_year: int) -> pd.DataFrame:
    """Monthly zone statistics, January merged into February (canonical per-period values).

    Parameters
    ----------
    size : each zone's arrival rate (projects a year), which scales what lies outside the ledger.
    ledger_fai, ledger_output : (zones, months) the ledger's spending and industrial output.
    untracked_capacity : (zones, months) capacity of industrial projects no longer tracked.
    """
    months = np.arange(month_index(start_year), month_index(end_year, 12) + 1)
    cal = CAL_MONTH[months]
    years = (months - months[0]) / 12.0
    grow = (1.0 + truth.indicator_growth) ** years
    sig = truth.indicator_noise_sigma
    shape = (len(zone_ids), len(months))
    outside = (truth.outside_fai * size[:, None] * grow / 12.0 * np.asarray(truth.spend_season)[cal]
               * np.exp(sig * rng.standard_normal(shape) - 0.5 * sig * sig))
    oseason = np.asarray(truth.output_season)[cal]
    existing = (truth.industrial_base * size[:, None] * grow / 12.0 * oseason
                * np.exp(sig * rng.standard_normal(shape) - 0.5 * sig * sig))
    series = {
        "fixed_asset_investment": ledger_fai + outside,
        "industrial_output": ledger_output + existing + untracked_capacity / 12.0 * oseason,
    }
    frames = [_published(zone_ids, months, metric, values) for metric, values in series.items()]
    return _in_zone_order(pd.concat(frames, ignore_index=True), zone_ids, ["metric", "period_end"])


def _in_zone_order(df: pd.DataFrame, zone_ids: list[str], then: list[str]) -> pd.DataFrame:
    rank = df["zone_id"].map({z: i for i, z in enumerate(zone_ids)})
    return df.assign(_rank=rank).sort_values(["_rank", *then], kind="stable").drop(columns="_rank").reset_index(drop=True)


def _published(zone_ids: list[str], months: np.ndarray, metric: str, values: np.ndarray) -> pd.DataFrame:
    """Per-period values as the loader reads them back from year-to-date totals."""
    year = months // 12
    cum = np.zeros_like(values)
    for y in np.unique(year):  # a handful of years, not projects
        sel = year == y
        cum[:, sel] = np.round(np.cumsum(values[:, sel], axis=1), 2)
    keep = CAL_MONTH[months] != 0  # January is published together with February
    prev = np.where(CAL_MONTH[months] <= 1, 0.0, np.roll(cum, 1, axis=1))
    per_period = (cum - prev)[:, keep]
    m = months[keep]
    z, j = np.indices(per_period.shape)
    mm = m[j.ravel()]
    return pd.DataFrame({
        "zone_id": np.asarray(zone_ids, dtype=object)[z.ravel()],
        "period": period_text(mm),
        "freq": "M",
        "period_end": month_end(mm),
        "quarter": pd.PeriodIndex.from_ordinals(mm // 3, freq="Q-DEC"),
        "metric": metric,
        "value": per_period.ravel(),
    })


def cumulative(ind: pd.DataFrame) -> pd.DataFrame:
    """Indicators as a statistics office publishes them: ``cumulative_value`` (累计值).

    Year-to-date totals per zone and metric; the first row of a year (February,
    which includes January) is its own total. The loader turns them back.
    """
    year = ind["period_end"].dt.year
    cum = ind.groupby([ind["zone_id"], ind["metric"], year], sort=False)["value"].cumsum()
    return ind.drop(columns="value").assign(cumulative_value=cum.round(2))


def period_text(month: np.ndarray) -> np.ndarray:
    """``YYYY-MM`` text of month indices (a lookup over the months spanned)."""
    if len(month) == 0:
        return np.array([], dtype=object)
    lo = int(month.min())
    text = np.array([f"{1970 + u // 12}-{u % 12 + 1:02d}" for u in range(lo, int(month.max()) + 1)], dtype=object)
    return text[month - lo]


def month_end(month: np.ndarray) -> np.ndarray:
    """Last day of each month as ``datetime64[ns]``."""
    return (MONTH_START[month + 1] - 1).astype("datetime64[D]").astype("datetime64[ns]")
