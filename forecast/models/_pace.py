"""Recent pace of a stage transition: does a zone advance projects as fast now
as the model fitted on its whole history says?

The transition model weighs every year of a ledger alike, so a ledger or a
zone that has slowed down (a lasting downturn, a project office that stopped
closing projects) is forecast at its old speed. This module refits, on the
episodes of the last ``window`` quarters before the cut only (each entering
the likelihood at the later of its stage entry and the window's start, as a
delayed entry, and censored at the cut), an offset on the log advance time:

* a common offset (a few Newton steps on the whole window's likelihood): the
  factor by which every advance time runs now (1.6 = 60% slower), followed
  only beyond its noise (shrunk toward 1 by its signal share);
* each zone's own offset (Newton steps on its window rows), shrunk toward the
  mean of the zones by empirical Bayes exactly as the model's zone effects
  are (:func:`._transition.zone_offsets`): a zone with few recent episodes
  keeps nearly the common pace, and when zones do not differ beyond noise
  none moves.

The offsets are added to the zone effects, so every later use of the
transition (probabilities, paths, projects entering the stage inside the
horizon) forecasts at the pace kept now. Only what happened by the cut is
used; a ledger whose pace did not change gets offsets near zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..vocab import CATEGORIES
from .survival import MixtureData, MixtureFit, OffsetScores

#: Widest common offset on log advance time (a factor of e ≈ 2.7 either way).
_MAX_SHIFT = 1.0
_NEWTON_STEPS = 4
#: Fewest advances in the window to measure a pace at all.
_MIN_EVENTS = 5


@dataclass(frozen=True)
class Pace:
    """Recent pace of one transition.

    ``events``/``rows``: advances and episodes in the window.
    ``time_factor``: the common factor on advance times now (1 = the fit's
    pace, 1.6 = 60% slower), with ``lo``/``hi`` its 90% interval; what is
    applied is its log shrunk toward 0 by its noise share (``applied``).
    ``zone_sd``: between-zone standard deviation of the recent log-time
    offsets (0 = the zones keep one pace). ``shift``: per zone code, the
    offset added to the log advance time.
    """

    window: int
    events: int
    rows: int
    time_factor: float
    lo: float
    hi: float
    zone_sd: float
    shift: np.ndarray
    applied: float = 1.0


def _window_rows(d: MixtureData, codes: np.ndarray, method: dict[str, str], zone: np.ndarray,
                 start: float) -> np.ndarray:
    """Rows of categories described parametrically (the others' draws use no
    zone effects, pace or seasonality) with an episode running after ``start``."""
    param = np.isin(codes, [i for i, c in enumerate(CATEGORIES) if method.get(c, "parametric") == "parametric"])
    return np.flatnonzero(param & (d.x0 + d.t > start) & (zone >= 0))


def _common_shift(fit: MixtureFit, w: MixtureData) -> tuple[float, float]:
    """The common offset on the log advance time of window rows ``w`` (Newton
    steps: one step from zero stops short of a large change, the information
    being the outer product of scores) and its information; ``w.off_a`` is
    left at base + shift."""
    base, shift, info = w.off_a.copy(), 0.0, 0.0
    scores = OffsetScores(fit, w, "a")
    for _ in range(_NEWTON_STEPS):
        score, inf = scores(base + shift)
        info = float(inf.sum())
        if info <= 0:
            return 0.0, 0.0
        shift = float(np.clip(shift + score.sum() / info, -_MAX_SHIFT, _MAX_SHIFT))
    w.off_a = base + shift
    return shift, info


def _kept(shift: float, info: float) -> float:
    """The part of a common offset beyond its noise (positive-part shrinkage
    by the signal share): a ledger whose pace did not change keeps its fit
    instead of a factor of 1 ± a standard error."""
    if info <= 0:
        return 0.0
    return shift * max(0.0, 1.0 - 1.0 / info / max(shift * shift, 1e-300))


def recent_pace(fit: MixtureFit, d: MixtureData, codes: np.ndarray, method: dict[str, str],
                zone: np.ndarray, n_zones: int, cut: float, window: int) -> Pace | None:
    """The recent pace of a fitted transition on its rows ``d`` (zone offsets
    in ``d.off_a``) over the ``window`` quarters before clock ``cut``.

    Rows of categories the model does not describe parametrically are left out
    (their draws do not use zone effects). ``None`` when the window holds
    fewer than a handful of advances.
    """
    from ._transition import zone_offsets

    start = cut - 3.0 * window
    rows = _window_rows(d, codes, method, zone, start)
    if window <= 0 or int(np.sum(d.status[rows] == 1)) < _MIN_EVENTS:
        return None
    w = d.subset(rows)
    w.a = np.maximum(w.a, start - w.x0)  # observed from the window's start on
    shift, info = _common_shift(fit, w)
    if info <= 0:
        return None
    effects, c = zone_offsets(fit, w, zone[rows], n_zones, "a", _NEWTON_STEPS)
    se = 1.0 / np.sqrt(info)
    kept = _kept(shift, info)
    return Pace(window=window, events=int(np.sum(w.status == 1)), rows=int(rows.size),
                time_factor=float(np.exp(shift)), lo=float(np.exp(shift - 1.645 * se)),
                hi=float(np.exp(shift + 1.645 * se)), zone_sd=float(np.sqrt(effects.tau2)),
                applied=float(np.exp(kept)),
                shift=kept + c + effects.mean)
