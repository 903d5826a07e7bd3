"""The calibration's backtest data: what a fit at a cut can see, the zones
it runs on, their quarterly series and the baselines' quantile grids.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import pandas as pd

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


def series(hist: pd.DataFrame, zones: list[str]) -> np.ndarray:
    """``(zones, metrics, T)`` quarterly series of an ``aggregate.quarterly`` frame."""
    h = hist.loc[hist["zone_id"].isin(zones)].sort_values(["zone_id", "quarter"])
    order = {z: i for i, z in enumerate(zones)}
    present = h["zone_id"].drop_duplicates().to_list()
    t = len(h) // max(len(present), 1)
    out = np.zeros((len(zones), len(METRICS), t))
    for j, m in enumerate(METRICS):
        vals = h[m].to_numpy(dtype=float).reshape(len(present), t)
        out[[order[z] for z in present], j] = vals
    return out


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
