"""Whether a transition follows its recent pace, and over how long a window:
chosen by a backtest on the ledger's own last quarters.

A ledger whose zones slowed down is forecast better at the pace kept now
(:mod:`._pace`); one whose pace did not change is forecast better by the whole
history, which a short window only adds noise to. Which holds is read from
the ledger itself: at each of the ``origins`` quarter-ends before the cut,
every candidate forecasts the advances of the following quarter among the
episodes waiting then, and the candidates are scored against the advances the
ledger shows (Poisson log-likelihood per zone and quarter). The candidates:

* the recent pace over ``windows`` quarters (:func:`._pace.recent_pace`'s
  common offset, measured on what was known at that inner origin) or none;
* the fitted calendar seasonality of the event or none (flat): a change of
  pace can move events off their usual months, and a calendar that no longer
  holds is worse than none.

The candidate that beats the fit as it is (no recent pace, fitted calendar)
by more than ``MARGIN`` is taken. Expected counts, not simulations, so the
check costs a few likelihood evaluations on the recent rows; it uses the
transition's fit and rows as known at the cut only (nothing after it).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ._pace import _MIN_EVENTS, _common_shift, _kept, _window_rows
from .survival import MixtureData, MixtureFit, components, conditional_cif

#: Pace windows (quarters) the check tries beside none.
WINDOWS = (4, 8)
#: Inner origins (quarter-ends before the cut) the candidates are scored at.
ORIGINS = 4
#: Log-likelihood a candidate must gain over the fit as it is (the usual
#: penalty of one more parameter, as in AIC): smaller gains are noise.
MARGIN = 2.0
#: Most window rows the common offset is measured on at an inner origin (a
#: random subset beyond: one offset needs far fewer).
MAX_ROWS = 20_000


@dataclass
class PaceChoice:
    """What the check chose for one transition.

    ``window``: pace window taken (0 = none); ``flat``: the calendar
    seasonality dropped; ``gain``: log-likelihood over the fit as it is;
    ``scores``: ``(window, flat)`` → log-likelihood; ``events``: advances scored.
    """

    window: int = 0
    flat: bool = False
    gain: float = 0.0
    origins: int = 0
    events: int = 0
    scores: dict = field(default_factory=dict)


def _inner_shift(fit: MixtureFit, d: MixtureData, use: np.ndarray, x: float, window: int,
                 rng: np.random.Generator) -> float:
    """The common log-time offset (shrunk by its noise) over ``window``
    quarters before clock ``x``, from what was known at ``x``: rows ``use`` of
    ``d`` that entered and were observed before ``x`` with an episode running
    after the window's start, their outcomes after ``x`` censored."""
    start = x - 3.0 * window
    x0, end = d.x0[use], d.x0[use] + d.t[use]
    win = use[(x0 < x) & (x0 + d.a[use] < x) & (end > start)]
    if win.size > MAX_ROWS:
        win = np.sort(rng.choice(win, MAX_ROWS, replace=False))
    w = d.subset(win)
    later = w.x0 + w.t > x
    w.t = np.where(later, x - w.x0, w.t)
    w.status = np.where(later, 0, w.status)
    if int(np.sum(w.status == 1)) < _MIN_EVENTS:
        return 0.0
    w.a = np.maximum(w.a, start - w.x0)  # observed from the window's start on
    return _kept(*_common_shift(fit, w))


def choose_pace(fit: MixtureFit, d: MixtureData, codes: np.ndarray, method: dict[str, str],
                zone: np.ndarray, n_zones: int, cut: float, rng: np.random.Generator,
                windows: tuple[int, ...] = WINDOWS, origins: int = ORIGINS) -> PaceChoice:
    """Score no pace / each window, with the fitted or a flat calendar, at the
    ``origins`` quarter-ends before clock ``cut``; see the module docstring.

    ``d`` holds the transition's rows at the cut with the zone effects in
    ``d.off_a``/``d.off_p``; ``zone`` the rows' zone codes (-1 none).
    """
    use = _window_rows(d, codes, method, zone, -np.inf)
    scores = {(w, flat): 0.0 for w in (0, *windows) for flat in (False, True)}
    events, used = 0, 0
    for j in range(1, origins + 1):
        x = cut - 3.0 * j
        # episodes waiting at x, observed from before it; advances in the next quarter
        at = use[(d.x0[use] < x) & (d.x0[use] + d.t[use] > x) & (d.x0[use] + d.a[use] <= x)]
        if at.size == 0:
            continue
        e = x - d.x0[at]
        hit = (d.status[at] == 1) & (d.x0[at] + d.t[at] <= x + 3.0)
        z = zone[at]
        obs = np.bincount(z, hit, minlength=n_zones)
        c = components(fit, d.subset(at))
        base = c.mu_a.copy()
        used += 1
        events += int(hit.sum())
        for w in (0, *windows):
            c.mu_a = base + (_inner_shift(fit, d, use, x, w, rng) if w else 0.0)
            for flat in (False, True):
                cf = replace(c, s_a=None) if flat else c
                pa, _ = conditional_cif(cf, d.x0[at], e, e + 3.0)
                lam = np.maximum(np.bincount(z, pa, minlength=n_zones), 1e-9)
                scores[(w, flat)] += float(np.sum(obs * np.log(lam) - lam))
    best = max(scores, key=scores.get)
    gain = scores[best] - scores[(0, False)]
    if used == 0 or events < _MIN_EVENTS or gain <= MARGIN:
        return PaceChoice(origins=used, events=events, scores=scores)
    return PaceChoice(window=best[0], flat=best[1], gain=gain, origins=used, events=events,
                      scores=scores)


def drop_calendar(fit: MixtureFit) -> None:
    """Flat monthly speeds of the advance (the calendar no longer holds):
    the warp parameters and their covariance set to zero."""
    sl = fit.layout.get("ta")
    if sl is None or sl.stop == sl.start:
        return
    fit.params[sl] = 0.0
    fit.cov = fit.cov.copy()
    fit.cov[sl, :] = 0.0
    fit.cov[:, sl] = 0.0
