"""A scenario's changes to one project's sampled paths (``forecast.scenario``).

The completion model draws every project's milestones (``Paths.months``:
months after the as_of quarter end; NaN = already happened, inf = not within
the horizon). A scenario moves those draws rather than the ledger, so that the
baseline and the scenario share them:

* ``delay k`` — every pending milestone (and a pending cancellation) ``3k``
  months later; the completion month beyond the horizon too, which stretches
  the spending curve of a project under construction.
* ``start D`` / ``complete D`` — the milestone at ``D`` in every draw; the
  later milestones keep each draw's own durations after it. A draw in which
  the milestone did not come within the horizon (cancelled first, or later)
  borrows the durations of a draw in which it did (draws taken in turn); when
  no draw has it, the later milestones stay beyond the horizon and the
  spending curve uses the model's planned duration. A pending earlier
  milestone (signing before a start) happens by ``D`` at the latest; a
  cancellation before ``D`` is dropped.
* ``cancel`` — cancelled at the start of the first forecast quarter: no
  milestone, spending or output after as_of.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..models._base import Paths
from ..models._stages import cut_clock
from ..models.survival import month_clock
from ..vocab import MILESTONE_DATES

_CANCEL = "cancelled_date"


def month_of(date: pd.Timestamp, as_of: pd.Period) -> float:
    """Months of ``date`` after the end of ``as_of`` on the paths' calendar-month clock."""
    return float(month_clock(pd.DatetimeIndex([date]))[0] - cut_clock(as_of))


def _clip(m: np.ndarray, end: float) -> np.ndarray:
    """Months at or after the horizon's end become ``inf`` (NaN stays NaN)."""
    with np.errstate(invalid="ignore"):
        return np.where(m >= end, np.inf, m).astype(np.float32)


def delay(paths: Paths, quarters: int) -> Paths:
    """Every pending event ``quarters`` quarters later."""
    s = np.float32(3.0 * quarters)
    end = 3.0 * paths.horizon
    months = {ev: _clip(m + s, end) for ev, m in paths.months.items()}
    extras = dict(paths.extras)
    if "completion_any" in extras:
        extras["completion_any"] = (extras["completion_any"] + s).astype(np.float32)
    return Paths(paths.project_ids, paths.quarters, months, paths.as_of, extras)


def cancel(paths: Paths) -> Paths:
    """Cancelled at month 0: nothing pending happens."""
    months = {}
    for ev, m in paths.months.items():
        fill = np.float32(0.0) if ev == _CANCEL else np.float32(np.inf)
        months[ev] = np.where(np.isnan(m), m, fill).astype(np.float32)
    return Paths(paths.project_ids, paths.quarters, months, paths.as_of, dict(paths.extras))


def force(paths: Paths, event: str, month: float) -> Paths:
    """``event`` at ``month`` in every draw; later milestones keep their
    durations after it (borrowed from another draw where the event did not
    come within the horizon)."""
    end = 3.0 * paths.horizon
    order = [e for e in MILESTONE_DATES if e in paths.months]
    at = order.index(event)
    x = paths.months[event].astype(float)  # (draws, n)
    draws, n = x.shape
    months = dict(paths.months)
    extras = dict(paths.extras)
    m = np.float32(month)
    for j in range(n):
        have = np.isfinite(x[:, j])
        donors = np.flatnonzero(have)
        src = np.arange(draws)
        lack = np.flatnonzero(~have)
        if donors.size:
            src[lack] = donors[np.arange(lack.size) % donors.size]
        has = have[src]
        off = np.where(has, month - x[src, j], np.nan)
        for ev in order[at + 1:] + [_CANCEL]:
            v = paths.months[ev][src, j].astype(float)
            with np.errstate(invalid="ignore"):
                moved = np.where(has & np.isfinite(v), v + off, np.inf)
            months[ev] = months[ev].copy() if months[ev] is paths.months[ev] else months[ev]
            months[ev][:, j] = _clip(moved, end)
        for ev in order[:at]:
            v = paths.months[ev][:, j]
            if np.isnan(v).all():  # happened before as_of
                continue
            months[ev] = months[ev].copy() if months[ev] is paths.months[ev] else months[ev]
            months[ev][:, j] = _clip(np.where(np.isnan(v), v, np.where(np.isfinite(v), np.minimum(v, m), m)), end)
        months[event] = months[event].copy() if months[event] is paths.months[event] else months[event]
        months[event][:, j] = m if month < end else np.inf
        if event == "completion_date" and "completion_any" in extras:
            extras["completion_any"] = extras["completion_any"].copy()
            extras["completion_any"][:, j] = m
        elif event == "start_date":
            for key in ("completion_any", "planned_duration"):
                if key in extras:
                    v = extras[key][src, j].astype(float)
                    if key == "completion_any":
                        v = v + off
                    extras[key] = extras[key].copy()
                    extras[key][:, j] = np.where(has, v, np.nan)
    return Paths(paths.project_ids, paths.quarters, months, paths.as_of, extras)


def apply(paths: Paths, actions: list[tuple[str, Any]], as_of: pd.Period) -> tuple[Paths, bool]:
    """``actions`` (``(action, value)``, start before complete) on ``paths``;
    returns the paths and whether the project still spends and produces."""
    spends = True
    for action, value in actions:
        if action == "delay":
            paths = delay(paths, int(value))
        elif action == "cancel":
            paths, spends = cancel(paths), False
        elif action in ("start", "complete"):
            event = "start_date" if action == "start" else "completion_date"
            paths = force(paths, event, month_of(value, as_of))
    return paths, spends
