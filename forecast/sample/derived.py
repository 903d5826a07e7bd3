"""Derived truths: what a model fitted to the sample should find.

Quantities without a closed form are measured by running the generator's own
mechanism (:mod:`.lifecycle`) on many latent projects that arrive at a steady
rate and are followed to the end, without censoring.
"""

from __future__ import annotations

import numpy as np

from ..vocab import CANCELLABLE_STAGES, CATEGORIES, TRANSITIONS
from .clock import CAL_MONTH, DAYS_PER_MONTH, day_index, month_of
from .generate import in_ledger_window, latent_world
from .lifecycle import draw_attributes, draw_ceremony, simulate
from .truth import DEFAULT_TRUTH, GroundTruth

#: Latent arrivals span these years; events are counted in the inner window,
#: where the flow of every event is steady.
_SPAN = (2000, 2060)
_WINDOW = (2015, 2045)
_LATENT_ZONES = 1000
EVENTS = ("start_date", "completion_date", "production_date")


def derived_truth(truth: GroundTruth = DEFAULT_TRUTH, n: int = 200_000, seed: int = 0) -> dict:
    """The values a fitted model should recover from a generated ledger.

    Parameters
    ----------
    truth : the generating parameters.
    n : latent projects simulated.
    seed : seed of the simulation.

    Returns
    -------
    dict with keys ``median_months`` {(from, to): {category: months}},
    ``cancel_share`` {stage: {category: share}}, ``spend_quarter_factor``
    {q: factor}, ``event_quarter_factor`` {event: {q: factor}},
    ``overrun_median``, ``output_ratio``, ``realisation``, ``months_to_90``
    (each {category: value}); NaN where no latent project makes the move.

    Examples
    --------
    >>> t = derived_truth(n=20_000)
    >>> 20 < t["median_months"][("started", "completed")]["industrial"] < 28
    True
    """
    rng = np.random.default_rng(seed)
    attrs = draw_attributes(rng, truth, n)
    lo, hi = day_index(_SPAN[0]), day_index(_SPAN[1])
    registered = np.floor(lo + rng.random(n) * (hi - lo))
    zone = rng.integers(0, _LATENT_ZONES, size=n)
    frailty = (truth.zone_frailty_sigma * rng.standard_normal(_LATENT_ZONES))[zone]
    ceremony = draw_ceremony(rng, truth, _LATENT_ZONES, 1970, 430)
    life = simulate(rng, truth, attrs, registered, zone, frailty, ceremony)
    cat = attrs.category

    dates = _stage_dates(registered, life)
    median_months = {
        (a, b): _by_category(cat, (dates[b] - dates[a]) / DAYS_PER_MONTH, np.isfinite(dates[b]))
        for a, b in TRANSITIONS
    }
    cancel_share = {}
    for i, stage in enumerate(CANCELLABLE_STAGES):
        entered = np.isfinite(dates[stage])
        cancel_share[stage] = _by_category(cat, (life.cancel_stage == i).astype(float), entered, np.mean)

    season = np.asarray(truth.spend_season, float)
    spend_q = {q + 1: float(season[3 * q: 3 * q + 3].mean() / season.mean()) for q in range(4)}

    event_q = {e: _quarter_factor(d) for e, d in zip(EVENTS, (life.start, life.completion, life.production))}
    producing = attrs.producing
    output_ratio = _by_category(cat, attrs.capacity / attrs.planned, producing)
    realisation = _by_category(cat, attrs.capacity / attrs.designed_output,
                               producing & np.isfinite(attrs.designed_output))
    months_to_90 = median_months[("producing", "full_production")]
    # Exact: every finished project's spending is scaled to planned × overrun.
    overrun = dict(truth.overrun_median)
    return {
        "median_months": median_months,
        "cancel_share": cancel_share,
        "spend_quarter_factor": spend_q,
        "event_quarter_factor": event_q,
        "overrun_median": overrun,
        "output_ratio": output_ratio,
        "realisation": realisation,
        "months_to_90": dict(months_to_90),
    }


def complete_data_truth(zones: int = 12, seed: int = 2025, start_year: int = 2015, end_year: int = 2025,
                        truth: GroundTruth = DEFAULT_TRUTH) -> dict:
    """The derived quantities measured on one generated ledger's own projects
    with complete data: their latent life cycles, events after ``end_year``
    included, so nothing is censored.

    This is what a perfect estimator would find on that ledger: where it is
    far from :func:`derived_truth`, the ledger itself drew unlike its
    parameters (a cell of a few dozen transitions, 12 zones' frailties), and no
    model fitted to it can be expected to land closer. Durations and
    cancellations count the projects that entered the stage inside the ledger's
    years (earlier entrants are in the ledger only if they lasted, which would
    tilt the measure); event quarters count the ledger's own events.

    Returns
    -------
    dict with ``median_months`` and ``n_events`` {(from, to): {category: value}},
    ``cancel_share`` {stage: {category: share}} and ``event_quarter_factor``
    {event: {q: factor}}, keyed like :func:`derived_truth`.

    Examples
    --------
    >>> t = complete_data_truth(zones=2, seed=1)
    >>> 15 < t["median_months"][("started", "completed")]["industrial"] < 30
    True
    """
    w = latent_world(zones, seed, start_year, end_year, truth)
    life, cat = w.life, w.attrs.category
    first, last = day_index(start_year), day_index(end_year, 12, 31)
    kept = in_ledger_window(w, start_year, end_year)
    dates = _stage_dates(w.registered, life)

    def entered(stage: str) -> np.ndarray:
        return kept & (dates[stage] >= first) & (dates[stage] <= last)

    median_months, n_events = {}, {}
    for a, b in TRANSITIONS:
        moved = entered(a) & np.isfinite(dates[b])
        median_months[(a, b)] = _by_category(cat, (dates[b] - dates[a]) / DAYS_PER_MONTH, moved)
        n_events[(a, b)] = _by_category(cat, np.ones(len(cat)), moved, np.sum)
    cancel_share = {s: _by_category(cat, (life.cancel_stage == i).astype(float), entered(s), np.mean)
                    for i, s in enumerate(CANCELLABLE_STAGES)}
    event_q = {e: _quarter_factor(np.where(kept, d, np.nan), (start_year, end_year + 1))
               for e, d in zip(EVENTS, (life.start, life.completion, life.production))}
    return {"median_months": median_months, "n_events": n_events, "cancel_share": cancel_share,
            "event_quarter_factor": event_q}


def _stage_dates(registered: np.ndarray, life) -> dict[str, np.ndarray]:
    """Day of entry into each stage (NaN = never)."""
    return {"reserve": registered, "signed": life.signed, "started": life.start,
            "completed": life.completion, "producing": life.production,
            "full_production": life.full_production}


def _by_category(cat: np.ndarray, values: np.ndarray, mask: np.ndarray, stat=np.median) -> dict[str, float]:
    out = {}
    for i, name in enumerate(CATEGORIES):
        v = values[mask & (cat == i)]
        out[name] = float(stat(v)) if len(v) else float("nan")
    return out


def _quarter_factor(days: np.ndarray, window: tuple[int, int] = _WINDOW) -> dict[int, float]:
    """4 x the share of the days (NaN = none) of years ``[window)`` in each quarter."""
    d = days[np.isfinite(days)]
    d = d[(d >= day_index(window[0])) & (d < day_index(window[1]))]
    q = CAL_MONTH[month_of(d)] // 3
    share = np.bincount(q, minlength=4) / len(d)
    return {k + 1: float(4 * share[k]) for k in range(4)}


def flatten(truth: dict) -> list[tuple[str, str, str, float]]:
    """Derived truths as rows ``(key, group, category or quarter, value)``."""
    rows = []
    for key, value in truth.items():
        for group, inner in value.items():
            if isinstance(inner, dict):
                label = "→".join(group) if isinstance(group, tuple) else str(group)
                rows += [(key, label, str(k), v) for k, v in inner.items()]
            else:
                rows.append((key, "", str(group), inner))
    return rows
