"""Shared ledgers and fits of the completion and spend tests.

Fits are cached per process (``lru_cache``), so each test module fits each
model once however many tests use it. ``synthetic_ledger`` builds a ledger
straight from known parameters, independent of :mod:`forecast.sample`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import betainc

from forecast.ledger import load
from forecast.ledger.ledger import Ledger
from forecast.models import CompletionModel, SpendModel
from forecast.sample import derived_truth, generate

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"
DAY = 30.4375

#: Known parameters of the synthetic ledger (months; two categories).
SYNTH = {
    "categories": ("industrial", "services"),
    "sign": {"median": (4.0, 6.0), "sigma": 0.6, "cancel": (0.20, 0.10), "cancel_median": 8.0},
    "start": {"median": (5.0, 3.0), "sigma": 0.5, "cancel": (0.10, 0.05), "cancel_median": 6.0},
    "build": {"plan_median": (18.0, 12.0), "plan_sigma": 0.3, "delay": 1.15, "delay_sigma": 0.2,
              "on_time": 0.25, "cancel": (0.04, 0.02)},
    "produce": {"median": (2.0, 3.0), "sigma": 0.7, "never": (0.1, 0.4)},
    "full": {"median": (20.0, 15.0), "sigma": 0.3},
    "zone_sd": 0.25,
    "spend": {"a": 2.5, "b": 1.5, "season": (0.5, 0.5, 1.0, 1.0, 1.0, 1.2, 1.0, 1.0, 1.1, 1.0, 1.1, 1.6),
              "noise": 0.2, "overrun": 1.1, "overrun_sigma": 0.1},
}


def zone_frailty(zones: int, seed: int) -> np.ndarray:
    """Log-duration multipliers of the synthetic zones."""
    return SYNTH["zone_sd"] * np.random.default_rng(seed + 1000).standard_normal(zones)


def _lifecycle(rng: np.random.Generator, n: int, frailty: np.ndarray, reg: np.ndarray):
    """Event times (days) of ``n`` projects under SYNTH; NaN = never."""
    S = SYNTH
    cat = rng.integers(0, 2, n)
    zone = rng.integers(0, len(frailty), n)
    frail = frailty[zone]

    def ln(median, sigma, extra=0.0):
        return np.exp(np.log(np.asarray(median)[cat]) + extra + sigma * rng.standard_normal(n)) * DAY

    c_sign = rng.random(n) < np.asarray(S["sign"]["cancel"])[cat]
    signed = np.floor(reg + ln(S["sign"]["median"], S["sign"]["sigma"], frail))
    cancelled = np.where(c_sign, np.floor(reg + ln((8.0, 8.0), 0.5)), np.nan)
    signed[c_sign] = np.nan
    c_start = np.isfinite(signed) & (rng.random(n) < np.asarray(S["start"]["cancel"])[cat])
    start = np.floor(signed + ln(S["start"]["median"], S["start"]["sigma"], frail))
    cancelled = np.where(c_start, np.floor(signed + ln((6.0, 6.0), 0.5)), cancelled)
    start[c_start] = np.nan
    b = S["build"]
    plan = np.round(ln(b["plan_median"], b["plan_sigma"]))
    on_time = rng.random(n) < b["on_time"]
    build = np.where(on_time, plan, np.round(plan * b["delay"] * np.exp(frail + b["delay_sigma"] * rng.standard_normal(n))))
    c_build = np.isfinite(start) & (rng.random(n) < np.asarray(b["cancel"])[cat])
    planned_completion = start + plan
    completion = np.where(c_build, np.nan, start + build)
    cancelled = np.where(c_build, start + np.floor(0.5 * build), cancelled)
    p = S["produce"]
    never = rng.random(n) < np.asarray(p["never"])[cat]
    production = np.where(never, np.nan, np.floor(completion + ln(p["median"], p["sigma"])))
    full = np.floor(production + ln(S["full"]["median"], S["full"]["sigma"]))
    return {"category": cat, "zone": zone, "signed": signed, "start": start,
            "planned_completion": planned_completion, "completion": completion,
            "production": production, "full": full, "cancelled": cancelled}


def synthetic_truth(zones: int = 30, seed: int = 5, n: int = 200_000) -> dict:
    """Median months of each transition among projects that make it, and
    cancel (never) shares, by category, from the mechanism without censoring,
    for the zones of ``synthetic_ledger(zones=zones, seed=seed)``."""
    rng = np.random.default_rng(seed + 99)
    life = _lifecycle(rng, n, zone_frailty(zones, seed), np.zeros(n))
    reg = np.zeros(n)
    dates = [reg, life["signed"], life["start"], life["completion"], life["production"], life["full"]]
    out = {"median": {}, "share": {}}
    names = ("reserve", "signed", "started", "completed", "producing", "full_production")
    for k in range(5):
        for ci, cat in enumerate(SYNTH["categories"]):
            entered = np.isfinite(dates[k]) & (life["category"] == ci)
            moved = entered & np.isfinite(dates[k + 1])
            out["median"][(names[k], names[k + 1], cat)] = float(np.median((dates[k + 1] - dates[k])[moved]) / DAY)
            out["share"][(names[k], cat)] = 1.0 - moved.sum() / entered.sum()
    return out


@lru_cache(maxsize=None)
def synthetic_ledger(n: int = 6000, zones: int = 30, seed: int = 5, end: str = "2024-12-31",
                     curve: str = "beta", lumpy: float = 0.0) -> Ledger:
    """A ledger drawn from SYNTH: registrations 2012-2024, cut at ``end``,
    monthly spend rows from an S-curve (``curve``: a key of ``CURVES``) with
    seasonal factors; ``lumpy`` > 0: a month pays only with that chance
    (then 1 / lumpy times its share: mean one), else the log-normal noise."""
    rng = np.random.default_rng(seed)
    day0 = pd.Timestamp("2012-01-01")
    reg = np.floor(rng.random(n) * (pd.Timestamp(end) - day0).days)
    life = _lifecycle(rng, n, zone_frailty(zones, seed), reg)
    last = (pd.Timestamp(end) - day0).days

    def date(x):
        x = np.where(np.isfinite(x) & (x <= last), x, np.nan)
        return day0 + pd.to_timedelta(x, unit="D")

    planned = np.round(np.exp(np.log(30000) + 0.7 * rng.standard_normal(n)), -2)
    projects = pd.DataFrame({
        "project_id": [f"P{i:05d}" for i in range(n)],
        "zone_id": [f"Z{z:02d}" for z in life["zone"]],
        "name": "项目", "category": np.array(SYNTH["categories"])[life["category"]],
        "industry": None, "planned_investment": planned, "registered_date": date(reg),
        "land_mu": np.nan, "signed_date": date(life["signed"]), "start_date": date(life["start"]),
        "planned_completion_date": date(np.where(np.isfinite(life["start"]) & (life["start"] <= last),
                                                 life["planned_completion"], np.nan)),
        "completion_date": date(life["completion"]), "production_date": date(life["production"]),
        "full_production_date": date(life["full"]), "cancelled_date": date(life["cancelled"]),
        "designed_output": np.nan, "responsible_unit": None, "officer": None,
    })
    zones_df = pd.DataFrame({"zone_id": sorted(projects["zone_id"].unique()), "name": "经开区",
                             "province": None, "city": None, "level": "national"})
    progress = _spend_rows(rng, projects, life, planned, last, day0, CURVES[curve], lumpy)
    return Ledger(zones_df, projects, progress, source="synthetic")


def _beta_curve(u: np.ndarray) -> np.ndarray:
    return betainc(SYNTH["spend"]["a"], SYNTH["spend"]["b"], u)


def advance_then_late(u: np.ndarray) -> np.ndarray:
    """Not a Beta CDF: an advance of 35% paid in the first 5% of construction,
    the rest on a late hump (Beta(4, 2))."""
    return 0.35 * np.minimum(u / 0.05, 1.0) + 0.65 * betainc(4.0, 2.0, u)


#: True spend curves of ``synthetic_ledger`` (cumulative share against the
#: share of construction elapsed).
CURVES = {"beta": _beta_curve, "advance_then_late": advance_then_late}


def _spend_rows(rng, projects, life, planned, last, day0, curve=_beta_curve, lumpy=0.0) -> pd.DataFrame:
    """Monthly spend: Beta CDF increments × seasonal factor × noise, scaled to
    planned × overrun over the whole construction, reported up to ``last``."""
    sp = SYNTH["spend"]
    ok = np.flatnonzero(np.isfinite(life["start"]) & np.isfinite(life["completion"]))
    s_day, e_day = life["start"][ok], life["completion"][ok]
    base = np.datetime64(day0.date(), "D")
    m0 = (base + s_day.astype("int64")).astype("datetime64[M]").astype(np.int64)
    m1 = (base + e_day.astype("int64")).astype("datetime64[M]").astype(np.int64)
    count = m1 - m0 + 1
    j = np.repeat(np.arange(ok.size), count)
    month = m0[j] + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    first = (month.astype("datetime64[M]").astype("datetime64[D]") - base).astype(float)
    nxt = ((month + 1).astype("datetime64[M]").astype("datetime64[D]") - base).astype(float)
    length = e_day[j] + 1 - s_day[j]
    u0 = (np.maximum(first, s_day[j]) - s_day[j]) / length
    u1 = (np.minimum(nxt, e_day[j] + 1) - s_day[j]) / length
    season = np.asarray(sp["season"]) / np.mean(sp["season"])
    w = (curve(u1) - curve(u0)) * season[month % 12]
    if lumpy > 0:
        w = w * (rng.random(w.size) < lumpy) / lumpy
        w[np.cumsum(count) - 1] += 1e-9  # every project pays something
    else:
        w = w * np.exp(sp["noise"] * rng.standard_normal(w.size))
    overrun = sp["overrun"] * np.exp(sp["overrun_sigma"] * rng.standard_normal(ok.size))
    inv = (planned[ok] * overrun)[j] * w / np.bincount(j, w)[j]
    seen = (nxt - 1 <= last) & (inv > 0)
    per = pd.PeriodIndex(month[seen].astype("datetime64[M]"), freq="M")
    return pd.DataFrame({"project_id": projects["project_id"].to_numpy()[ok][j[seen]],
                         "period": per.strftime("%Y-%m"), "freq": "M",
                         "period_end": per.end_time.normalize(), "quarter": per.asfreq("Q"),
                         "investment": np.round(inv[seen], 2), "output_value": np.nan})


@lru_cache(maxsize=None)
def sample_ledger() -> Ledger:
    """The committed sample ledger (12 zones)."""
    return load(SAMPLE)


@lru_cache(maxsize=None)
def completion_fit(as_of: str) -> CompletionModel:
    """CompletionModel fitted on the sample ledger at ``as_of``."""
    return CompletionModel().fit(sample_ledger(), as_of)


@lru_cache(maxsize=None)
def spend_fit(as_of: str) -> SpendModel:
    """SpendModel fitted on the sample ledger at ``as_of``."""
    return SpendModel().fit(sample_ledger(), as_of)


@lru_cache(maxsize=None)
def truth() -> dict:
    """The generator's documented derived truth (default parameters)."""
    return derived_truth()


@lru_cache(maxsize=None)
def big_ledger() -> Ledger:
    """A 40-zone generated ledger: enough events per category for recovery
    at the acceptance tolerances (the 12-zone sample has cells of ~15 events)."""
    return generate(zones=40, seed=11)
