"""Recent pace of the stage transitions (models/_pace.py): a lasting slowdown
is recovered, an unchanged ledger keeps its fit, one slow zone is found; and
the choice of window and calendar by a backtest on the ledger's own last
quarters (models/_pace_choice.py): on for the slowdown, off for the steady."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.exceptions import ForecastError
from forecast.models import CompletionModel
from forecast.models._pace import recent_pace
from forecast.models.survival import MixtureData, MixtureSpec, fit_mixture
from forecast.sample import generate


def _paces(ledger, as_of: str, **kw) -> dict[str, object]:
    m = CompletionModel(**{"pace_window": 4, **kw}).fit(ledger, as_of)
    return {tf.name: tf.pace for tf in m.transitions_}


@pytest.fixture(scope="module")
def ledgers():
    kw = dict(zones=12, seed=2025, end_year=2024)
    return generate(**kw, slowdown=1.6, slowdown_from="2023-07-01"), generate(**kw)


@pytest.fixture(scope="module")
def slow_and_steady(ledgers):
    return tuple(_paces(led, "2024Q2") for led in ledgers)


@pytest.fixture(scope="module")
def chosen(ledgers):
    """The models fitted with the choice (pace_window="auto")."""
    return tuple(CompletionModel(pace_window="auto").fit(led, "2024Q2") for led in ledgers)


def test_choice_follows_a_lasting_slowdown(chosen) -> None:
    """A year into a 1.6x slowdown, the ledger's own last four quarter-ends
    say the recent pace forecasts the next quarter's advances better for
    signing, start and construction (gains 5.6, 6.0, 18.6 log-likelihood):
    each takes it, and the start's applied factor is roughly the truth
    (1.68); the summary says so."""
    slow, _ = chosen
    tf = {t.name: t for t in slow.transitions_}
    for name in ("reserve→signed", "signed→started", "started→completed"):
        assert tf[name].choice.window > 0 and tf[name].choice.gain > 2.0, name
        assert tf[name].pace.applied > 1.05, name
    assert 1.35 < tf["signed→started"].pace.applied < 2.0
    s = slow.summary()
    win = s.loc[(s["what"] == "pace_window") & (s["transition"] == "signed→started"), "estimate"]
    assert win.iloc[0] == tf["signed→started"].choice.window


def test_choice_keeps_the_fit_on_an_unchanged_ledger(chosen) -> None:
    """The same generator without a slowdown: no transition takes a pace or
    drops its calendar (the fit as it is scores best or within the margin),
    and the summary says the calendar is kept."""
    _, steady = chosen
    for t in steady.transitions_:
        assert t.choice is not None and t.choice.window == 0 and not t.choice.flat, t.name
        assert t.pace is None
    s = steady.summary()
    assert (s.loc[s["what"] == "calendar_kept", "estimate"] == 1.0).all()


def test_choice_uses_nothing_after_the_cut(ledgers) -> None:
    """Leak-free: the choice fitted on the whole ledger at 2024Q2 equals the
    one fitted on the ledger cut at 2024Q2."""
    slow, _ = ledgers
    a = CompletionModel(pace_window="auto").fit(slow, "2024Q2")
    b = CompletionModel(pace_window="auto").fit(slow.as_of("2024Q2"), "2024Q2")
    for ta, tb in zip(a.transitions_, b.transitions_):
        assert (ta.choice.window, ta.choice.flat) == (tb.choice.window, tb.choice.flat)
        assert ta.choice.scores == pytest.approx(tb.choice.scores)


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
    """Off by default: no pace measured nor checked, zone effects as fitted."""
    ledger = generate(zones=4, seed=3, end_year=2022)
    off = CompletionModel().fit(ledger, "2022Q2")
    assert all(tf.pace is None and tf.choice is None for tf in off.transitions_)
    with pytest.raises(ForecastError, match="pace_window"):
        CompletionModel(pace_window="often").fit(ledger, "2022Q2")


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
