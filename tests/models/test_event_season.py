"""Calendar seasonality of events (the monthly speeds of the transition
model's seasonal operational time) is learned from the ledger's own event
months: completions bunched at the ends of June and December are recovered,
and a ledger without a calendar stays flat."""

from __future__ import annotations

import numpy as np
import pytest

from forecast.models._transition import shrink_warp
from forecast.models.survival import MixtureData, MixtureSpec, covariance, fit_mixture, speeds


def _ledger(bunched: bool, seed: int) -> MixtureData:
    """600 projects entering over 20 years, log-normal waits (median 30 months);
    with ``bunched`` each event moves to the end of the next June or December
    (a lender closing at its half-year ends). Censored at month 240."""
    rng = np.random.default_rng(seed)
    n = 600
    x0 = rng.uniform(0, 228, n)
    end = x0 + np.exp(np.log(30.0) + 0.4 * rng.standard_normal(n))
    if bunched:
        end = 6.0 * np.ceil(end / 6.0) - 0.02  # month clock: 6 = 1 July, so ends of June / December
    cut = 240.0
    one = np.ones((n, 1))
    return MixtureData(x0=x0, t=np.minimum(end, cut) - x0, status=(end <= cut).astype(int),
                       Xa=one, Za=one, Xp=one, Xc=one)


def _speeds(d: MixtureData) -> np.ndarray:
    """Monthly speeds fitted as :func:`fit_transition` does: the likelihood,
    then the empirical-Bayes shrinkage toward flat."""
    spec = MixtureSpec(cancel_observed=False)
    fit = fit_mixture(d, spec)
    fit.cov = covariance(d, spec, fit.params)
    shrink_warp(fit)
    return speeds(fit.block("ta"))


@pytest.mark.parametrize("seed", [1, 2])
def test_june_december_completions_are_recovered(seed) -> None:
    s = _speeds(_ledger(True, seed))
    # truth: every event in June or December (s_6 + s_12 = 12); the prior on
    # the speeds keeps a little in the other months
    assert s[5] + s[11] > 0.75 * 12
    assert s[5] > 3 and s[11] > 3
    assert np.delete(s, [5, 11]).max() < 0.5


@pytest.mark.parametrize("seed", [1, 2])
def test_a_ledger_without_a_calendar_stays_flat(seed) -> None:
    """Unshrunk, the likelihood's speeds stray up to ±0.3 from 1 by noise."""
    s = _speeds(_ledger(False, seed))
    assert np.abs(s - 1).max() < 0.15
