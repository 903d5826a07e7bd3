"""The calibration's backtest data: what a fit at a cut can see, the zones
it runs on, their quarterly series and the baselines' quantile grids.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

from ..periods import quarter
from ..vocab import METRICS
from .baselines import ets_many, recent_mean, seasonal_naive


def fingerprint(ledger: Any) -> str:
    """A digest of what a fit at the ledger's cut can see: its projects'
    dates, zones and sizes, and its progress rows."""
    h = hashlib.blake2b(digest_size=16)
    p = ledger.projects
    cols = [c for c in p.columns if c.endswith("_date")] + ["project_id", "zone_id", "category",
                                                            "planned_investment"]
    h.update(pd.util.hash_pandas_object(p[[c for c in cols if c in p]], index=False).to_numpy().tobytes())
    g = ledger.progress
    h.update(pd.util.hash_pandas_object(g[["project_id", "period_end", "investment", "output_value"]],
                                        index=False).to_numpy().tobytes())
    return h.hexdigest()


def stable_order(zones: list[str]) -> list[str]:
    """Zones in an order fixed by their ids alone (a subsample that does not
    depend on ledger order)."""
    return sorted(zones, key=lambda z: hashlib.blake2b(str(z).encode("utf-8"), digest_size=8).digest())


def subset(ledger: Any, zones: list[str]) -> Any:
    """The ledger restricted to ``zones``."""
    from dataclasses import replace

    keep = set(zones)
    p = ledger.projects
    pk = p["zone_id"].isin(keep).to_numpy()
    pids = p.loc[pk, "project_id"]

    def rows(df: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
        return df.loc[mask].reset_index(drop=True)

    return replace(
        ledger,
        zones=rows(ledger.zones, ledger.zones["zone_id"].isin(keep).to_numpy()),
        projects=rows(p, pk),
        progress=rows(ledger.progress, ledger.progress["project_id"].isin(pids).to_numpy()),
        targets=rows(ledger.targets, ledger.targets["zone_id"].isin(keep).to_numpy()),
        indicators=rows(ledger.indicators, ledger.indicators["zone_id"].isin(keep).to_numpy())
        if len(ledger.indicators) else ledger.indicators,
    )


def zone_series(ledger: Any, zones: list[str]) -> tuple[np.ndarray, pd.Period | None]:
    """``(zones, METRICS, T)`` quarterly totals of ``ledger`` and its first
    quarter: the numbers of ``aggregate.quarterly`` (same quarters, zeros where
    nothing happened, money summed in the same order), computed for ``zones``
    and ``METRICS`` only with integer keys (``quarterly`` of every zone and
    column of a 2,500-zone ledger took seconds). ``T`` is 0, and the quarter
    None, when no zone is asked for or the ledger has no dated event."""
    from ..ledger.aggregate import EVENT_COUNTS

    p, prog = ledger.projects, ledger.progress
    firsts = [d for d in [p["registered_date"].min(), *([prog["period_end"].min()] if len(prog) else [])]
              if pd.notna(d)]
    if not zones or not firsts:
        return np.zeros((len(zones), len(METRICS), 0)), None
    last = ledger.last_quarter
    first = quarter(min(firsts))
    t = last.ordinal - first.ordinal + 1
    out = np.zeros((len(zones), len(METRICS), t))
    zi = pd.Index(zones).get_indexer(p["zone_id"])

    def cells(z: np.ndarray, qo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ok = (z >= 0) & (qo >= first.ordinal) & (qo <= last.ordinal)
        return ok, z[ok] * t + (qo[ok] - first.ordinal)

    for j, metric in enumerate(METRICS):
        if metric in EVENT_COUNTS:
            d = p[EVENT_COUNTS[metric]].to_numpy()
            known = ~np.isnat(d)
            # months since 1970-01 floor-divided by 3: the Q-DEC period ordinal
            _, key = cells(zi[known], d[known].astype("datetime64[M]").astype(np.int64) // 3)
            out[:, j] = np.bincount(key, minlength=out.shape[0] * t).reshape(-1, t)
    money = [(j, m) for j, m in enumerate(METRICS) if m not in EVENT_COUNTS]
    if money and len(prog):
        pos = pd.Index(p["project_id"]).get_indexer(prog["project_id"])
        ok, key = cells(np.where(pos >= 0, zi[pos], -1), prog["quarter"].array.asi8)
        for j, metric in money:
            # a pandas group sum, as quarterly's (compensated: the same floats)
            sums = pd.Series(prog[metric].to_numpy(float)[ok]).groupby(key).sum()
            flat = np.zeros(out.shape[0] * t)
            flat[sums.index.to_numpy()] = sums.to_numpy()
            out[:, j] = flat.reshape(-1, t)
    return out, first


def baseline_grid(y: np.ndarray, horizon: int, levels: np.ndarray,
                  sources: tuple[int, ...] = (0, 1, 2)) -> np.ndarray:
    """Quantiles of the baselines at ``levels``: ``(3, S, horizon, L)`` for
    ``(S, T)`` series (seasonal naive, ETS, recent mean: ``SOURCES[1:]``);
    only those in ``sources`` are computed (the others are zero)."""
    out = np.zeros((3, y.shape[0], horizon, len(levels)))
    if not y.shape[0]:
        return out
    for s, baseline in enumerate((seasonal_naive, ets_many, recent_mean)):
        if s in sources:
            out[s] = baseline(y, horizon, levels=levels)[..., 1:]
    return out
