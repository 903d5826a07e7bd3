"""Assemble a realistic sample ``Ledger`` from the mechanism of :mod:`.lifecycle`.

Zones get heavy-tailed sizes; projects arrive at each zone at a growing,
noisy rate from ``burn_in_years`` before ``start_year`` so the first ledger
year already holds a pipeline; each project runs its life cycle; the ledger
keeps those still active in ``start_year`` or later and censors every event
after the last day of ``end_year``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..exceptions import ForecastError
from ..ledger.ledger import Ledger
from ..ledger.write import save
from ..vocab import CATEGORIES
from .clock import DAYS_PER_MONTH, day_index, month_index, month_of, to_datetime
from .indicators import cumulative, indicators, month_end, period_text, targets
from .lifecycle import Attributes, Lifecycle, Shift, draw_attributes, draw_ceremony, simulate
from .names import industries, person_names, project_names, units
from .places import zone_rows
from .plan import yearly_plans
from .progress import Rows, merge, output_rows, spend_rows
from .truth import DEFAULT_TRUTH, GroundTruth

#: Years of 集中开工 days drawn after end_year (starts are censored there anyway).
_CEREMONY_SLACK = 2


@dataclass
class _World:
    """Everything simulated, before the ledger cut."""

    zone: np.ndarray
    registered: np.ndarray
    attrs: Attributes
    life: Lifecycle
    track_end: np.ndarray
    exit: np.ndarray


def generate(
    zones: int = 12,
    seed: int = 2025,
    start_year: int = 2015,
    end_year: int = 2025,
    truth: GroundTruth = DEFAULT_TRUTH,
    slowdown: float = 1.0,
    slowdown_from: str | None = None,
) -> Ledger:
    """Generate a realistic ledger of ``zones`` development zones.

    Parameters
    ----------
    zones : number of zones; the first ``truth.national_zones`` are national-level.
    seed : seed of the one ``numpy.random.Generator`` every draw comes from.
    start_year, end_year : the ledger covers January of ``start_year`` to
        December of ``end_year``; events after that are not yet known.
    truth : the generating parameters (``docs/sample.md``).
    slowdown, slowdown_from : a lasting change of pace for tests of changing
        dynamics: from the date ``slowdown_from`` on, every duration (signing,
        start, construction, production, ramp-up, cancellation) runs
        ``slowdown`` times as long in every zone (1.6: a 60% slowdown; below 1
        a speed-up). 1 (the default) changes nothing.

    Returns
    -------
    Ledger : zones, projects, monthly progress, targets, indicators and each year's
        plan (:mod:`.plan`; ``start_year`` to the year after ``end_year``, like the targets).

    Examples
    --------
    >>> ledger = generate(zones=2, seed=1)
    >>> sorted(ledger.zones["zone_id"])
    ['deyang', 'mianyang']
    """
    rng, rows, size, world = _world(zones, seed, start_year, end_year, truth, shift(slowdown, slowdown_from))
    zone_ids = [r[0] for r in rows]
    zones_df = pd.DataFrame(rows, columns=["zone_id", "name", "province", "city", "level"]).astype(object)

    end_day = day_index(end_year, 12, 31)
    ext = (world.exit >= day_index(start_year - 1)) & (world.registered <= end_day)
    keep = in_ledger_window(world, start_year, end_year)
    idx = np.flatnonzero(ext)
    m0, m1 = month_index(start_year - 1), month_index(end_year, 12)
    prog = _rows(rng, truth, world, idx, end_day, m0, m1)

    kept = np.flatnonzero(keep[idx])  # positions inside idx
    projects = _projects(rng, truth, world, idx[kept], zone_ids, end_day)
    in_ledger = np.isin(prog.project, kept) & (prog.month >= month_index(start_year))
    pos = np.full(len(idx), -1)
    pos[kept] = np.arange(len(kept))
    progress = pd.DataFrame({
        "project_id": projects["project_id"].to_numpy()[pos[prog.project[in_ledger]]],
        "period": period_text(prog.month[in_ledger]),
        "freq": "M",
        "period_end": month_end(prog.month[in_ledger]),
        "quarter": pd.PeriodIndex.from_ordinals(prog.month[in_ledger] // 3, freq="Q-DEC"),
        "investment": prog.investment[in_ledger],
        "output_value": prog.output[in_ledger],
    })

    actual = _actuals(world, idx, prog, zones, start_year - 1, end_year, end_day)
    tgt = targets(rng, truth, zone_ids, actual, start_year)
    fai, out, untracked = _monthly(world, idx, prog, zones, start_year, end_year)
    ind = indicators(rng, truth, zone_ids, size, fai, out, untracked, start_year, end_year)
    # made last and drawing nothing: every other table is as it was before plans were added
    plan = yearly_plans(projects, progress, tgt, start_year, end_year + 1)
    extra = "" if slowdown == 1.0 else f", slowdown={slowdown}, slowdown_from={slowdown_from!r}"
    return Ledger(zones=zones_df, projects=projects, progress=progress, targets=tgt, indicators=ind, plan=plan,
                  source=f"forecast.sample.generate(zones={zones}, seed={seed}{extra})")


def shift(slowdown: float = 1.0, slowdown_from: str | None = None) -> Shift | None:
    """The :class:`Shift` of ``generate``'s slowdown arguments (``None`` for none)."""
    if not np.isfinite(slowdown) or slowdown <= 0:
        raise ForecastError(f"slowdown must be a positive factor (1.6 = 60% slower). Got: {slowdown}")
    if slowdown == 1.0:
        return None
    if slowdown_from is None:
        raise ForecastError("A slowdown needs the date it starts from (slowdown_from, e.g. '2023-07-01').")
    try:
        day = pd.Timestamp(slowdown_from)
    except (ValueError, TypeError) as err:
        raise ForecastError(f"slowdown_from must be a date like 2023-07-01. Got: {slowdown_from!r}") from err
    return Shift(float(slowdown), float((day - pd.Timestamp("1970-01-01")).days))


def _world(zones: int, seed: int, start_year: int, end_year: int, truth: GroundTruth,
           change: Shift | None = None) -> tuple[np.random.Generator, list, np.ndarray, _World]:
    """The seeded generator, zone rows, zone sizes and latent world of :func:`generate`
    (the world is the first thing drawn, so ``latent_world`` sees the same one)."""
    if zones < 1:
        raise ForecastError(f"zones must be at least 1. Got: {zones}")
    lo = 1971 + truth.burn_in_years  # the simulation starts burn_in_years earlier, on a grid from 1970
    if not lo <= start_year <= end_year <= 2200:
        raise ForecastError(f"Years must satisfy {lo} <= start_year <= end_year <= 2200. "
                            f"Got: start_year={start_year}, end_year={end_year}")
    rng = np.random.default_rng(seed)
    rows = zone_rows(zones, truth.national_zones)
    size, world = _simulate(rng, truth, [r[4] for r in rows], start_year, end_year, change)
    return rng, rows, size, world


def latent_world(zones: int = 12, seed: int = 2025, start_year: int = 2015, end_year: int = 2025,
                 truth: GroundTruth = DEFAULT_TRUTH) -> _World:
    """Every project :func:`generate` simulates with these arguments, with its
    whole life cycle uncensored (events after ``end_year`` included)."""
    return _world(zones, seed, start_year, end_year, truth)[3]


def in_ledger_window(world: _World, start_year: int, end_year: int) -> np.ndarray:
    """Which latent projects the ledger holds: registered by the end of
    ``end_year`` and still active in ``start_year`` or later."""
    return (world.exit >= day_index(start_year)) & (world.registered <= day_index(end_year, 12, 31))


def write_sample(out: str | os.PathLike[str], zones: int = 12, seed: int = 2025, slowdown: float = 1.0,
                 slowdown_from: str | None = None) -> Ledger:
    """Generate a ledger and save it as a folder of CSVs at ``out``.

    Indicators are written as statistics offices publish them: year-to-date
    ``cumulative_value`` with January and February together. Returns the ledger.
    """
    ledger = generate(zones=zones, seed=seed, slowdown=slowdown, slowdown_from=slowdown_from)
    save(replace(ledger, indicators=cumulative(ledger.indicators)), Path(out))
    return ledger


def _simulate(rng: np.random.Generator, truth: GroundTruth, levels: list[str], start_year: int,
              end_year: int, change: Shift | None = None) -> tuple[np.ndarray, _World]:
    zones = len(levels)
    median = np.array([truth.arrival_median[lv] for lv in levels])
    size = median * np.exp(truth.arrival_sigma * rng.standard_normal(zones))
    frailty = truth.zone_frailty_sigma * rng.standard_normal(zones)
    y0 = start_year - truth.burn_in_years
    years = np.arange(y0, end_year + 1)
    rate = (size[:, None] * (1.0 + truth.arrival_growth) ** (years - start_year)
            * np.exp(truth.arrival_year_sigma * rng.standard_normal((zones, len(years)))))
    count = rng.poisson(rate)
    zone = np.repeat(np.repeat(np.arange(zones), len(years)), count.ravel())
    year = np.repeat(np.tile(years, zones), count.ravel())
    first = np.array([day_index(y) for y in years])[year - y0]
    length = np.array([day_index(y + 1) - day_index(y) for y in years])[year - y0]
    registered = first + np.floor(rng.random(len(year)) * length)
    order = np.lexsort((registered, zone))
    zone, registered = zone[order], registered[order]

    attrs = draw_attributes(rng, truth, len(zone))
    ceremony = draw_ceremony(rng, truth, zones, y0, len(years) + _CEREMONY_SLACK)
    life = simulate(rng, truth, attrs, registered, zone, frailty[zone], ceremony, change)
    track_end = np.floor(life.full_production + truth.output_track_months * DAYS_PER_MONTH)
    exit_ = np.fmax(np.fmax(life.cancelled, life.completion), track_end)
    return size, _World(zone, registered, attrs, life, track_end, exit_)


def _rows(rng: np.random.Generator, truth: GroundTruth, w: _World, idx: np.ndarray, end_day: int,
          m0: int, m1: int) -> Rows:
    """Progress rows of the projects ``idx`` for months ``m0..m1``."""
    life, a = w.life, w.attrs
    start = life.start[idx]
    start = np.where(start <= end_day, start, np.nan)
    stop = np.where(life.cancel_stage[idx] == 2, life.cancelled[idx], life.build_end[idx])
    spend = spend_rows(rng, truth, start, life.build_end[idx], stop, a.planned[idx] * a.overrun[idx])
    prod = life.production[idx]
    prod = np.where(prod <= end_day, prod, np.nan)
    output = output_rows(rng, truth, prod, w.track_end[idx], a.capacity[idx], a.tau[idx], m0, m1)
    return merge(spend, output, m0, m1)


def _projects(rng: np.random.Generator, truth: GroundTruth, w: _World, sel: np.ndarray,
              zone_ids: list[str], end_day: int) -> pd.DataFrame:
    """The projects table of the kept projects, events after ``end_day`` blanked."""
    a, life = w.attrs, w.life
    cat = a.category[sel]
    n = len(sel)
    zone = w.zone[sel]
    reg = w.registered[sel]
    reg_year = (month_of(reg) // 12 + 1970).astype(np.int64)
    # Sequence number within zone and registration year (projects are sorted by zone, day).
    key = zone.astype(np.int64) * 10_000 + reg_year
    start_of_group = np.r_[True, key[1:] != key[:-1]]
    group_first = np.maximum.accumulate(np.where(start_of_group, np.arange(n), 0))
    seq = np.arange(n) - group_first + 1
    zid = np.asarray(zone_ids, dtype=object)[zone]
    project_id = np.array([f"{z}-{y}-{s:03d}" for z, y, s in zip(zid, reg_year, seq)], dtype=object)

    industry = industries(rng, cat)
    name = project_names(rng, cat, industry, a.planned[sel])
    unit = units(rng, cat)
    officer = _officers(rng, zone, len(zone_ids))
    blank = truth.blank_share
    # Blank text is NaN, as the loader reads an empty cell.
    industry[rng.random(n) < blank["industry"]] = np.nan
    unit[rng.random(n) < blank["responsible_unit"]] = np.nan
    officer[rng.random(n) < blank["officer"]] = np.nan

    def censor(day: np.ndarray) -> np.ndarray:
        return to_datetime(np.where(day <= end_day, day, np.nan))

    start = life.start[sel]
    planned_completion = np.where(start <= end_day, life.planned_completion[sel], np.nan)
    planned_completion[rng.random(n) < blank["planned_completion_date"]] = np.nan
    return pd.DataFrame({
        "project_id": project_id,
        "zone_id": zid,
        "name": name,
        "category": np.asarray(CATEGORIES, dtype=object)[cat],
        "industry": industry,
        "planned_investment": a.planned[sel],
        "registered_date": to_datetime(reg),
        "land_mu": a.land_mu[sel],
        "signed_date": censor(life.signed[sel]),
        "start_date": censor(start),
        "planned_completion_date": to_datetime(planned_completion),
        "completion_date": censor(life.completion[sel]),
        "production_date": censor(life.production[sel]),
        "full_production_date": censor(life.full_production[sel]),
        "cancelled_date": censor(life.cancelled[sel]),
        "designed_output": a.designed_output[sel],
        "responsible_unit": unit,
        "officer": officer,
    })


def _officers(rng: np.random.Generator, zone: np.ndarray, zones: int) -> np.ndarray:
    """A project officer for each project from its zone's small team (one follows many)."""
    per_zone = np.bincount(zone, minlength=zones)
    team = 3 + np.ceil(per_zone / 20).astype(np.int64)
    names = person_names(rng, int(team.sum()))
    offset = np.cumsum(team) - team
    return names[offset[zone] + np.floor(rng.random(len(zone)) * team[zone]).astype(np.int64)]


def _actuals(w: _World, idx: np.ndarray, rows: Rows, zones: int, first_year: int, last_year: int,
             end_day: int) -> dict[str, np.ndarray]:
    """(zones, years) actuals of the five metrics from ``first_year`` to ``last_year``."""
    years = last_year - first_year + 1
    zone = w.zone[idx]

    def by_year(z: np.ndarray, day_or_month: np.ndarray, weights: np.ndarray, months: bool) -> np.ndarray:
        m = day_or_month if months else month_of(day_or_month)
        y = m // 12 + 1970 - first_year
        ok = (y >= 0) & (y < years) & np.isfinite(weights)
        return np.bincount(z[ok] * years + y[ok], weights=weights[ok], minlength=zones * years).reshape(zones, years)

    out = {
        "investment": by_year(zone[rows.project], rows.month, rows.investment, True),
        "output_value": by_year(zone[rows.project], rows.month, rows.output, True),
    }
    for metric, day in (("projects_started", w.life.start), ("projects_completed", w.life.completion),
                        ("projects_producing", w.life.production)):
        d = day[idx]
        ok = np.isfinite(d) & (d <= end_day)
        out[metric] = by_year(zone[ok], d[ok], np.ones(ok.sum()), False)
    return out


def _monthly(w: _World, idx: np.ndarray, rows: Rows, zones: int, start_year: int,
             end_year: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(zones, months) ledger spending, ledger industrial output, untracked industrial capacity."""
    m0, m1 = month_index(start_year), month_index(end_year, 12)
    months = m1 - m0 + 1
    zone = w.zone[idx][rows.project]
    inside = (rows.month >= m0) & (rows.month <= m1)
    flat = zone * months + (rows.month - m0)

    def total(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        ok = mask & np.isfinite(values)
        return np.bincount(flat[ok], weights=values[ok], minlength=zones * months).reshape(zones, months)

    industrial = w.attrs.category[idx][rows.project] == CATEGORIES.index("industrial")
    fai = total(rows.investment, inside)
    out = total(rows.output, inside & industrial)
    # Industrial projects past tracking keep producing at capacity; they count in the statistics.
    gone = (w.attrs.category == CATEGORIES.index("industrial")) & np.isfinite(w.track_end)
    first = month_of(np.nan_to_num(w.track_end[gone])) + 1 - m0
    ok = first < months
    steps = np.zeros((zones, months + 1))
    np.add.at(steps, (w.zone[gone][ok], np.maximum(first[ok], 0)), w.attrs.capacity[gone][ok])
    return fai, out, np.cumsum(steps, axis=1)[:, :months]
