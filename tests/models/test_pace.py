"""Recent pace of the stage transitions (models/_pace.py): a lasting slowdown
is recovered, an unchanged ledger keeps its fit, one slow zone is found."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.models import CompletionModel
from forecast.models._pace import recent_pace
from forecast.models.survival import MixtureData, MixtureSpec, fit_mixture
from forecast.sample import generate


def _paces(ledger, as_of: str, **kw) -> dict[str, object]:
    m = CompletionModel(**{"pace_window": 4, **kw}).fit(ledger, as_of)
    return {tf.name: tf.pace for tf in m.transitions_}


@pytest.fixture(scope="module")
def slow_and_steady():
    kw = dict(zones=12, seed=2025, end_year=2024)
    slow = _paces(generate(**kw, slowdown=1.6, slowdown_from="2023-07-01"), "2024Q2")
    steady = _paces(generate(**kw), "2024Q2")
    return slow, steady


def test_lasting_slowdown_is_recovered(slow_and_steady) -> None:
    """Every duration runs 1.6 times as long from 2023-07: a year later the
    signing and start transitions say so roughly (truth 1.6; measured 1.59 and
    1.91), and every transition with a pace measured is slower than its fit."""
    slow, _ = slow_and_steady
    for name in ("reserve→signed", "signed→started"):
        p = slow[name]
        assert 1.35 < p.time_factor < 2.1, (name, p)
    measured = [p for p in slow.values() if p is not None]
    assert len(measured) >= 4
    assert all(p.time_factor > 1.05 for p in measured)


def test_unchanged_ledger_keeps_its_pace(slow_and_steady) -> None:
    """The same generator without a slowdown: every common factor within 12%
    of 1 and the zones' recent offsets small (the zones share one pace)."""
    _, steady = slow_and_steady
    for name, p in steady.items():
        if p is None:
            continue
        assert 0.88 < p.time_factor < 1.12, (name, p)
        assert np.max(np.abs(p.shift - np.log(p.time_factor))) < 0.25, name


def test_pace_off_leaves_zone_effects_alone() -> None:
    """Off by default: no pace measured, zone effects as fitted."""
    ledger = generate(zones=4, seed=3, end_year=2022)
    off = CompletionModel().fit(ledger, "2022Q2")
    assert all(tf.pace is None for tf in off.transitions_)


def test_one_slow_zone_is_found_and_others_keep_the_common_pace() -> None:
    """Synthetic: 20 zones, log-normal waits (median 6 months); in zone 0 every
    wait that ends after month 96 runs twice as long from there. At month 120,
    with a two-year window, zone 0's offset is well above the others' (log 2
    for waits begun after month 96, less for those that straddle it, and
    shrunk toward the other 19 zones), the others' near 0."""
    rng = np.random.default_rng(7)
    n_zones, per = 20, 150
    zone = np.repeat(np.arange(n_zones), per)
    x0 = rng.uniform(0, 118, zone.size)
    dur = np.exp(np.log(6.0) + 0.5 * rng.standard_normal(zone.size))
    end = x0 + dur
    late = (zone == 0) & (end > 96)
    end[late] = np.maximum(x0[late], 96) + 2.0 * (end[late] - np.maximum(x0[late], 96))
    cut = 120.0
    status = (end <= cut).astype(int)
    t = np.minimum(end, cut) - x0
    one = np.ones((zone.size, 1))
    d = MixtureData(x0=x0, t=t, status=status, Xa=one, Za=one, Xp=one, Xc=one)
    spec = MixtureSpec(cancel_observed=False, warp_advance=False)
    fit = fit_mixture(d, spec)
    p = recent_pace(fit, d, np.zeros(zone.size, int), {}, zone, n_zones, cut, window=8)
    assert p is not None and p.zone_sd > 0.05
    assert 0.3 < p.shift[0] < np.log(2.0) + 0.1
    assert np.max(np.abs(p.shift[1:])) < 0.2
