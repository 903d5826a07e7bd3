"""Per-cut arrays the samplers reuse from one zone to the next.

The simulator calls each model's sampler once per zone (or chunk of a zone)
with the same ledger cut. Looking a zone's projects up in the cut's tables
with pandas on every call (``set_index``/``reindex`` of every project, ``isin``
over every progress row) cost more than the sampling itself on a ledger of
thousands of zones, and grew with the ledger. Here such per-project arrays are
computed once per cut, for every project of it, and a call takes its rows by
position.

A cache belongs to one pair of ``projects``/``progress`` frames (checked by
identity, so a different cut, or a zone view of a cut, gets its own); the
last few are kept. Whatever a model derives from its own fit is memoised per
model (by a weak reference, so a model that is dropped does not keep its
arrays, nor is an id reused by a later model mistaken for it). A project's
arrays depend on its own rows only, so a zone's numbers are the same whether
it is simulated from the whole cut or from a view of that zone alone.
"""

from __future__ import annotations

import functools
import weakref
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..exceptions import ForecastError

#: How many cuts keep their arrays (a backtest moves from one cut to the next).
_KEEP = 2


class CutCache:
    """Per-project arrays of one ledger cut, in ``cut.projects`` row order."""

    def __init__(self, cut: Any) -> None:
        self.projects: pd.DataFrame = cut.projects
        self.progress: pd.DataFrame = cut.progress
        self.index = pd.Index(self.projects["project_id"])
        self._memo: dict[tuple[int, str], tuple[Any, Any]] = {}
        self._last: tuple[Any, np.ndarray] = (None, np.empty(0, np.intp))

    def lookup(self, ids: Any) -> np.ndarray:
        """Positions of project ``ids`` in ``cut.projects`` (-1: not in it).
        The samplers of one chunk pass the same array: looked up once."""
        if ids is not self._last[0]:
            self._last = (ids, self.index.get_indexer(np.asarray(ids)))
        return self._last[1]

    def rows(self, ids: Any) -> np.ndarray:
        """Positions of project ``ids`` in ``cut.projects``."""
        pos = self.lookup(ids)
        if (pos < 0).any():
            missing = np.asarray(ids)[pos < 0][:5].tolist()
            raise ForecastError(f"These projects are not in the ledger cut: {missing}")
        return pos

    def memo(self, owner: Any, name: str, build: Callable[[], Any]) -> Any:
        """``build()`` once per ``owner`` (a fitted model, or None) and ``name``."""
        key = (id(owner), name)
        hit = self._memo.get(key)
        if hit is not None and (owner is None or hit[0]() is owner):
            return hit[1]
        value = build()
        self._memo[key] = (None if owner is None else weakref.ref(owner), value)
        return value

    def spent(self) -> np.ndarray:
        """Investment reported to date per project (万元; 0 when none)."""

        def build() -> np.ndarray:
            prog = self.progress
            tot = prog.groupby("project_id")["investment"].sum(min_count=1)
            return tot.reindex(self.index).fillna(0.0).to_numpy(float)

        return self.memo(None, "spent", build)


_CACHES: list[CutCache] = []


@functools.lru_cache(maxsize=64)
def cut_clock(cut: pd.Period) -> float:
    """:func:`._stages.cut_clock`, remembered (it goes through pandas dates)."""
    from ._stages import cut_clock as clock

    return clock(cut)


def cut_cache(cut: Any) -> CutCache:
    """The cache of ``cut`` (made on first use)."""
    for c in _CACHES:
        if c.projects is cut.projects and c.progress is cut.progress:
            return c
    c = CutCache(cut)
    _CACHES.insert(0, c)
    del _CACHES[_KEEP:]
    return c
