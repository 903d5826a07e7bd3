"""Will the year's targets be met? Probabilities and completion rates from draws.

For a zone, a target year and a metric, the year's total in each draw is what
already happened this year up to ``as_of`` (the ledger's quarterly aggregate)
plus the simulated zone total of the year's remaining quarters. The probability
of meeting the target is the share of draws whose total reaches it; the
completion rate (投资完成率, 开工率, …) is that total divided by the target.

Only years whose last quarter falls inside the horizon are evaluated: a year
that ends after the last forecast quarter has quarters nobody simulated, and a
probability for it would be silently low.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .periods import quarter
from .scoring import draw_quantiles
from .vocab import COUNT_METRICS, TARGET_METRICS

TARGET_COLUMNS = (
    "zone_id",
    "year",
    "metric",
    "target",
    "actual_to_date",
    "expected",
    "p10",
    "p50",
    "p90",
    "p_meet",
    "rate_expected",
    "rate_p10",
    "rate_p90",
)


def years_covered(as_of: pd.Period, horizon: int) -> list[int]:
    """Years whose remaining quarters after ``as_of`` all lie inside the horizon.

    >>> years_covered(quarter("2024Q2"), 4), years_covered(quarter("2023Q4"), 8)
    ([2024], [2024, 2025])
    """
    q = as_of
    last = q + horizon
    return [y for y in range(q.year, last.year + 1) if q < pd.Period(f"{y}Q4", "Q-DEC") <= last]


def target_probabilities(
    zone_id: str,
    targets: pd.DataFrame,
    history: pd.DataFrame,
    samples: Mapping[str, np.ndarray],
    quarters: pd.PeriodIndex,
    as_of: pd.Period,
) -> pd.DataFrame:
    """Probability of meeting each target of one zone, and the completion rate.

    Parameters
    ----------
    zone_id : str
    targets : DataFrame
        ``zone_id, year, metric, value`` (the ledger's targets; other zones and
        years are ignored).
    history : DataFrame
        ``aggregate.quarterly`` rows (``zone_id, quarter`` and one column per
        metric) up to ``as_of``.
    samples : mapping
        Metric → ``(draws, H)`` zone totals per forecast quarter (existing
        projects plus the new-project allowance).
    quarters : PeriodIndex
        The H forecast quarters.
    as_of : quarter

    Returns
    -------
    DataFrame
        ``TARGET_COLUMNS``: ``expected`` (mean), ``p10``, ``p50``, ``p90`` of the year's total;
        ``p_meet`` = P(total ≥ target); ``rate_*`` = total / target (NaN when
        the target is not positive).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> t = pd.DataFrame({"zone_id": ["z"], "year": [2024], "metric": ["investment"], "value": [100.0]})
    >>> h = pd.DataFrame({"zone_id": ["z"], "quarter": pd.PeriodIndex(["2024Q1"], freq="Q"),
    ...                   "investment": [30.0]})
    >>> s = {"investment": np.full((10, 3), 30.0)}
    >>> r = target_probabilities("z", t, h, s, pd.period_range("2024Q2", periods=3, freq="Q"), quarter("2024Q1"))
    >>> float(r["p_meet"].iloc[0]), round(float(r["rate_expected"].iloc[0]), 3)
    (1.0, 1.2)
    """
    q = as_of
    years = set(years_covered(q, len(quarters)))
    mine = targets.loc[
        (targets["zone_id"] == zone_id)
        & targets["year"].isin(years)
        & targets["metric"].isin(TARGET_METRICS)
    ]
    hist = history.loc[history["zone_id"] == zone_id]
    hist_q = pd.PeriodIndex(hist["quarter"], freq="Q-DEC")
    fq_year = np.asarray(quarters.year)
    rows = []
    for year, metric, value in zip(mine["year"], mine["metric"], mine["value"]):
        year = int(year)
        done = (hist_q.year == year) & (hist_q <= q)
        actual = float(hist.loc[done, metric].sum()) if metric in hist else 0.0
        draws = samples[metric][:, fq_year == year].sum(axis=1) + actual
        count = metric in COUNT_METRICS
        lo, mid, hi = draw_quantiles(draws, [0.10, 0.50, 0.90], count)
        target = float(value)
        rate = draws / target if target > 0 else np.full_like(draws, np.nan)
        rates = (np.nan, np.nan, np.nan) if target <= 0 else (
            float(rate.mean()), *map(float, draw_quantiles(rate, [0.10, 0.90], count))
        )
        rows.append(
            {
                "zone_id": zone_id,
                "year": year,
                "metric": metric,
                "target": target,
                "actual_to_date": actual,
                "expected": float(draws.mean()),
                "p10": float(lo),
                "p50": float(mid),
                "p90": float(hi),
                # a met target stays met: draws never subtract from the year-to-date total
                "p_meet": float(np.mean(draws >= target)),
                "rate_expected": rates[0],
                "rate_p10": rates[1],
                "rate_p90": rates[2],
            }
        )
    return pd.DataFrame(rows, columns=list(TARGET_COLUMNS))
