"""The generating mechanism of one project: attributes and life-cycle dates.

Both :func:`forecast.sample.generate` and :func:`forecast.sample.derived_truth`
run these two functions, so the documented truths are those of the data.
Everything is vectorised over projects; times are float days since 1970-01-01
(NaN = never happens), floored to whole days as soon as they are drawn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr, ndtri

from ..vocab import CATEGORIES
from .clock import CAL_MONTH, DAYS_PER_MONTH, MONTH_START, advance, month_of, quarter_of
from .truth import GroundTruth

LN10 = float(np.log(10.0))


@dataclass
class Attributes:
    """What a project is: category, size, land and output parameters."""

    category: np.ndarray  # int index into vocab.CATEGORIES
    planned: np.ndarray  # 万元, rounded to 100 万元 as a ledger writes it
    land_mu: np.ndarray  # 亩, NaN = blank
    producing: np.ndarray  # bool: will go into production
    overrun: np.ndarray  # total spent / planned
    capacity: np.ndarray  # 万元 a year at full production
    designed_output: np.ndarray  # 万元 a year declared, NaN = none
    tau: np.ndarray  # ramp time constant, months


@dataclass
class Lifecycle:
    """Event days of each project (NaN = never), before any censoring."""

    signed: np.ndarray
    start: np.ndarray
    planned_completion: np.ndarray
    build_end: np.ndarray  # the would-be completion: spending is spread up to it
    completion: np.ndarray
    production: np.ndarray
    full_production: np.ndarray
    cancelled: np.ndarray
    cancel_stage: np.ndarray  # -1 never, else index into CANCELLABLE_STAGES


@dataclass(frozen=True)
class Shift:
    """A lasting change of pace: from day ``day`` on, every duration runs
    ``factor`` times as long (1.6: a 60% slowdown; below 1 a speed-up).

    A duration that began before ``day`` keeps its pace up to ``day`` and
    stretches after it; one that ended before ``day`` is untouched.
    """

    factor: float
    day: float

    def apply(self, begin: np.ndarray, end: np.ndarray) -> np.ndarray:
        """``end`` of the durations that begin at ``begin``, with the change of pace."""
        pivot = np.fmax(begin, self.day)
        late = end > pivot  # NaN compares False: nothing happens, nothing changes
        return np.where(late, np.floor(pivot + (end - pivot) * self.factor), end)


@dataclass(frozen=True)
class Ceremony:
    """集中开工 day offset (0-based day of March) per zone and year from ``year0``."""

    offset: np.ndarray  # (zones, years)
    year0: int


def draw_attributes(rng: np.random.Generator, truth: GroundTruth, n: int) -> Attributes:
    """Draw ``n`` projects' category, size, land and output parameters."""
    share = truth.per_category("category_share")
    cat = rng.choice(len(CATEGORIES), size=n, p=share / share.sum())
    mu = np.log(truth.per_category("planned_median"))[cat]
    sig = truth.planned_sigma
    # Lognormal truncated at the key-project floor, by inverting the CDF.
    lo = ndtr((np.log(truth.planned_floor) - mu) / sig)
    z = ndtri(lo + rng.random(n) * (1.0 - lo))
    planned = np.maximum(np.round(np.exp(mu + sig * z), -2), truth.planned_floor)

    size = planned / truth.size_ref
    resid = truth.land_sigma * rng.standard_normal(n)
    intensity = truth.per_category("land_intensity")[cat] * size**truth.land_elasticity * np.exp(resid)
    land = np.round(planned / intensity, 1)
    land[rng.random(n) < truth.per_category("land_missing")[cat]] = np.nan

    producing = rng.random(n) < truth.per_category("producing_share")[cat]
    overrun = truth.per_category("overrun_median")[cat] * np.exp(truth.overrun_sigma * rng.standard_normal(n))
    capacity = (
        truth.per_category("output_ratio")[cat]
        * planned
        * np.exp(truth.output_sigma * rng.standard_normal(n) + truth.land_output_elasticity * resid)
    )
    declared = capacity * truth.optimism_median * np.exp(truth.optimism_sigma * rng.standard_normal(n))
    designed = np.where(producing, np.round(declared, -2), np.nan)
    designed[rng.random(n) < truth.blank_share["designed_output"]] = np.nan
    tau = truth.per_category("ramp_tau")[cat] * np.exp(truth.ramp_sigma * rng.standard_normal(n))
    return Attributes(cat, planned, land, producing, overrun, capacity, designed, tau)


def _lognormal(rng: np.random.Generator, log_median: np.ndarray, sigma: float) -> np.ndarray:
    return np.exp(log_median + sigma * rng.standard_normal(len(log_median)))


def simulate(
    rng: np.random.Generator,
    truth: GroundTruth,
    attrs: Attributes,
    registered: np.ndarray,
    zone: np.ndarray,
    frailty: np.ndarray,
    ceremony: Ceremony,
    shift: "Shift | None" = None,
) -> Lifecycle:
    """Run every project from registration to full production or cancellation.

    Parameters
    ----------
    registered : registration day of each project.
    zone : zone index of each project (for the 集中开工 day).
    frailty : log duration multiplier of each project's zone.
    shift : a lasting change of pace from a given day (``None``: none).
    """
    warp = (lambda begin, end: end) if shift is None else shift.apply
    n = len(registered)
    cat = attrs.category
    lsize = np.log(attrs.planned / truth.size_ref)
    eq = np.asarray(truth.entry_quarter_effect, float)
    el = truth.size_elasticity
    cs = {s: truth.cancel_share[s] for s in truth.cancel_share}

    def share(stage: str) -> np.ndarray:
        return np.array([cs[stage][c] for c in CATEGORIES])[cat]

    # reserve -> signed, or cancelled
    cancel_r = rng.random(n) < share("reserve")
    d = _lognormal(rng, np.log(truth.per_category("sign_median")[cat]) + el * lsize + frailty
                   + eq[quarter_of(registered)], truth.sign_sigma)
    dc = _lognormal(rng, np.full(n, np.log(truth.cancel_median["reserve"])), truth.cancel_sigma)
    signed = warp(registered, np.floor(advance(registered, d, truth.sign_clock)))
    cancelled = np.where(cancel_r, warp(registered, np.floor(advance(registered, dc, truth.cancel_clock))),
                         np.nan)
    signed[cancel_r] = np.nan

    # signed -> started, or cancelled
    cancel_s = np.isfinite(signed) & (rng.random(n) < share("signed"))
    q_signed = np.where(np.isfinite(signed), quarter_of(np.nan_to_num(signed)), 0)
    d = _lognormal(rng, np.log(truth.per_category("start_median")[cat]) + el * lsize + frailty
                   + eq[q_signed], truth.start_sigma)
    dc = _lognormal(rng, np.full(n, np.log(truth.cancel_median["signed"])), truth.cancel_sigma)
    start = warp(signed, np.floor(advance(signed, d, truth.start_clock)))
    cancelled = np.where(cancel_s, warp(signed, np.floor(advance(signed, dc, truth.cancel_clock))), cancelled)
    start[cancel_s] = np.nan
    start = _ceremony(rng, truth, start, signed, zone, ceremony)

    # started -> completed against a plan fixed at the start, or cancelled (烂尾)
    began = np.isfinite(start)
    m_start = np.where(began, month_of(np.nan_to_num(start)), 0)
    months = np.maximum(np.round(_lognormal(
        rng, np.log(truth.per_category("planned_build_median")[cat]) + truth.planned_build_elasticity * lsize,
        truth.planned_build_sigma)), 3).astype(np.int64)
    m_plan = m_start + months
    halfyear = rng.random(n) < truth.plan_halfyear_share
    m_plan = np.where(halfyear, m_plan + (5 - CAL_MONTH[m_plan]) % 6, m_plan)
    planned_completion = np.where(began, MONTH_START[m_plan + 1] - 1.0, np.nan)
    on_time = rng.random(n) < truth.per_category("on_time_share")[cat]
    delay = _lognormal(rng, np.log(truth.per_category("delay_median")[cat]) + frailty
                       + eq[quarter_of(np.nan_to_num(start))], truth.delay_sigma)
    plan_months = (planned_completion - start) / DAYS_PER_MONTH
    build_end = np.floor(advance(start, plan_months * delay, truth.completion_clock))
    build_end = warp(start, np.where(on_time, planned_completion, build_end))
    cancel_b = began & (rng.random(n) < share("started"))
    frac = rng.beta(*truth.cancel_build_beta, size=n)
    cancelled = np.where(cancel_b, start + np.floor(frac * (build_end - start)), cancelled)
    completion = np.where(began & ~cancel_b, build_end, np.nan)

    # completed -> producing -> full production (90% of capacity on the ramp)
    d = _lognormal(rng, np.log(truth.per_category("production_median")[cat]), truth.production_sigma)
    production = warp(completion, np.floor(advance(completion, d, truth.production_clock)))
    production[~attrs.producing] = np.nan
    full = warp(production, np.floor(production + attrs.tau * LN10 * DAYS_PER_MONTH))

    stage = np.select([cancel_r, cancel_s, cancel_b], [0, 1, 2], -1)
    return Lifecycle(signed, start, planned_completion, build_end, completion, production, full,
                     cancelled, stage)


def _ceremony(rng: np.random.Generator, truth: GroundTruth, start: np.ndarray, signed: np.ndarray,
              zone: np.ndarray, ceremony: Ceremony) -> np.ndarray:
    """Date a share of March starts on the zone's 集中开工 day of that year."""
    ok = np.isfinite(start)
    m = np.where(ok, month_of(np.nan_to_num(start)), 0)
    year = m // 12 + 1970 - ceremony.year0
    inside = ok & (CAL_MONTH[m] == 2) & (year >= 0) & (year < ceremony.offset.shape[1])
    pick = inside & (rng.random(len(start)) < truth.ceremony_share)
    day = MONTH_START[m] + ceremony.offset[zone, np.clip(year, 0, ceremony.offset.shape[1] - 1)]
    # A ceremony cannot come before the contract it follows.
    return np.where(pick & (day >= signed), day, start)


def draw_ceremony(rng: np.random.Generator, truth: GroundTruth, zones: int, year0: int, years: int) -> Ceremony:
    """The 集中开工 day of each zone and year."""
    lo, hi = truth.ceremony_days
    return Ceremony(rng.integers(lo - 1, hi, size=(zones, years)), year0)
