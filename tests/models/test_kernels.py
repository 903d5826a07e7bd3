"""The compiled kernels agree with the whole-array numpy formulas they replace.

Each reference below is the numpy code the kernel took over (kept here, not in
the package): the kernels are tested on inputs that reach every branch —
entries starting before, inside and after the window, finished ones,
cancelled ones, clocks of very uneven speeds.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import betainc, ndtri

from forecast.models._kernels import arrival_totals, next_events, ramp_output, spend_months
from forecast.models._sampling import Warp
from forecast.models.survival import LOG_NEVER
from forecast.simulate.pool import _batches

GRID = 257


def _curves(rng: np.random.Generator, k: int) -> tuple[np.ndarray, np.ndarray]:
    ab = rng.uniform(1.2, 4.0, size=(k, 2))
    B = betainc(ab[:, :1], ab[:, 1:], np.linspace(0.0, 1.0, GRID)[None, :])
    return B.astype(np.float32).ravel(), np.diff(B, axis=1, append=B[:, -1:]).astype(np.float32).ravel()


def _spend_reference(S, inv_L, c, cancel, season, P, H, values, steps, noise):  # noqa: ANN001, ANN202
    bounds = np.arange(-P, 3 * H + 1, dtype=np.float32)
    U = np.clip((bounds[None, :] - S[:, None]) * inv_L[:, None], 0.0, 1.0)
    pos = U * np.float32(GRID - 1)
    knot = np.minimum(np.floor(pos), np.float32(GRID - 2))
    i0 = knot.astype(np.intp) + (c * GRID)[:, None]
    B = values[i0] + (pos - knot) * steps[i0]
    w = np.diff(B, axis=1).astype(float)
    past = B[:, 0] + w[:, :P] @ season[:P]
    w = w[:, P:] * season[None, P:]
    expected = w.sum(axis=1)
    w = w * noise
    noisy = w.sum(axis=1)
    stop = np.isfinite(cancel)
    w[stop] *= np.clip(cancel[stop, None] - bounds[None, P:-1], 0.0, 1.0)
    raw = w.reshape(len(S), H, 3).sum(axis=2)
    return raw, past, expected, 1.0 - B[:, -1], noisy


@pytest.mark.parametrize("P", [0, 7, 24])
def test_spend_months_equals_the_whole_array_formula(P: int) -> None:
    rng = np.random.default_rng(P)
    n, H = 3000, 8
    values, steps = _curves(rng, 5)
    # starts from before the window to after the horizon; lengths from weeks to years
    S = rng.uniform(-40, 30, n).astype(np.float32)
    inv_L = (1.0 / rng.uniform(0.5, 60, n)).astype(np.float32)
    c = rng.integers(0, 5, n)
    cancel = np.where(rng.random(n) < 0.3, rng.uniform(-2, 30, n), np.inf)
    season = rng.uniform(0.5, 1.8, P + 3 * H).astype(np.float32)
    noise = np.exp(0.3 * rng.standard_normal((n, 3 * H)) - 0.045).astype(np.float32)
    got = spend_months(S, inv_L, c, cancel, season, P, H, values, steps, GRID, noise)
    want = _spend_reference(S, inv_L, c, cancel, season, P, H, values, steps, noise)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-6)
    # the cases are all there: entries wholly before, inside and after the horizon
    assert (got[0].sum(axis=1) == 0).any() and (got[3] > 0.5).any() and (got[3] == 0).any()


def _truncated_reference(v, x0, mu, sig, sf_e, warp, g):  # noqa: ANN001, ANN202
    """The numpy form the kernel replaced: a log-normal operational duration
    truncated at the time already spent, on a seasonal clock."""
    z = -ndtri(np.clip(v * sf_e, 1e-300, 1.0))
    lop = mu + sig * np.minimum(z, 30.0)
    op = np.exp(np.minimum(lop, LOG_NEVER))
    t = op if warp is None else warp.inverse(warp.clock(x0, g) + op, g) - x0
    return np.where(lop > LOG_NEVER, np.inf, t)


@pytest.mark.parametrize("clocks", [True, False])
def test_next_events_equals_the_truncated_log_normal_formula(clocks: bool) -> None:
    rng = np.random.default_rng(3)
    K, cells, n = 6, 40, 20000
    warp_a = Warp(rng.normal(0.0, 0.8, size=(K, 12))) if clocks else None  # uneven monthly speeds
    warp_c = Warp(rng.normal(0.0, 0.5, size=(K, 12))) if clocks else None
    g = np.tile(np.arange(K), cells // K + 1)[:cells]
    e = np.where(rng.random(cells) < 0.5, 0.0, rng.uniform(0, 30, cells))
    plan = rng.uniform(6, 40, cells)
    mu_a, sig_a = rng.normal(2.5, 1.0, cells), rng.uniform(0.3, 1.5, cells)
    mu_c, sig_c = rng.normal(4.0, 1.0, cells), rng.uniform(0.3, 1.5, cells)
    mu_a[0] = 40.0  # beyond LOG_NEVER: never
    sf_a, sf_c = rng.uniform(0.05, 1.0, cells), rng.uniform(0.05, 1.0, cells)
    ce = rng.integers(0, cells, n)
    x0 = rng.uniform(-30, 60, n)
    u, v = rng.random(n), rng.random(n)
    pick_c, pick_b = u < 0.2, (u >= 0.2) & (u < 0.3)
    sf_e = np.where(pick_c, sf_c[ce], sf_a[ce])
    z = -ndtri(np.clip(v * sf_e, 1e-300, 1.0))
    none = np.empty(0)
    tables = lambda w: (none, none) if w is None else (w._k, w._s)  # noqa: E731
    got = next_events(pick_c, pick_b, z, ce, x0, g, e, plan, mu_a, sig_a, *tables(warp_a),
                      mu_c, sig_c, *tables(warp_c), LOG_NEVER)
    want = np.full(n, np.inf)
    a = ~(pick_c | pick_b)
    want[a] = _truncated_reference(v[a], x0[a], mu_a[ce[a]], sig_a[ce[a]], sf_a[ce[a]], warp_a, g[ce[a]])
    want[pick_c] = _truncated_reference(v[pick_c], x0[pick_c], mu_c[ce[pick_c]], sig_c[ce[pick_c]],
                                        sf_c[ce[pick_c]], warp_c, g[ce[pick_c]])
    want[pick_b] = plan[ce[pick_b]]
    want = np.maximum(want, e[ce])
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9)
    assert np.isinf(got).any() and (got == e[ce]).any()  # never, and no sooner than the time spent
    # without a cancellation model a cancelling entry never leaves
    got = next_events(pick_c, pick_b, z, ce, x0, g, e, plan, mu_a, sig_a, *tables(warp_a),
                      none, none, none, none, LOG_NEVER)
    assert np.isinf(got[pick_c]).all()
    if clocks:  # the clock is really inverted: the operational time elapsed is the drawn one
        a = np.flatnonzero(a & np.isfinite(got) & (got > e[ce]))
        op = np.exp(mu_a[ce[a]] + sig_a[ce[a]] * np.minimum(z[a], 30.0))
        elapsed = warp_a.clock(x0[a] + got[a], g[ce[a]]) - warp_a.clock(x0[a], g[ce[a]])
        np.testing.assert_allclose(elapsed, op, rtol=1e-8, atol=1e-8)


def test_arrival_totals_adds_each_trajectory_at_its_age() -> None:
    rng = np.random.default_rng(4)
    draws, H, pool, k_m = 40, 6, 30, 5
    traj = rng.random((pool, 16, k_m)).astype(np.float32)
    m = 500
    d, j, pick = rng.integers(0, draws, m), rng.integers(0, H, m), rng.integers(0, pool, m)
    want = np.zeros((draws, H, k_m))
    for di, ji, p in zip(d, j, pick):
        want[di, ji:, :] += traj[p, : H - ji, :]
    np.testing.assert_allclose(arrival_totals(d, j, pick, traj, draws, H), want, rtol=1e-6)


def test_ramp_output_equals_the_ramp_integral() -> None:
    rng = np.random.default_rng(5)
    draws, n, H, m = 30, 12, 8, 200
    flat = rng.choice(draws * n, m, replace=False)
    d, col = np.divmod(flat, n)
    month = rng.uniform(-30, 24, m).astype(np.float32)
    tau = rng.uniform(0.5, 20, m).astype(np.float32)
    track = np.where(rng.random(m) < 0.3, rng.uniform(1, 40, m), np.inf).astype(np.float32)
    edges = (3.0 * np.arange(H + 1)).astype(np.float32)
    factor = rng.uniform(0.5, 1.5, (m, H)).astype(np.float32)
    per_month = rng.uniform(10, 100, m).astype(np.float32)
    out = np.zeros((draws, n, H), dtype=np.float32)
    ramp_output(out, d, col, month, tau, track, edges, factor, per_month)
    # the integral over each quarter of 1 - exp(-s / tau), s months after 投产, until track
    e64, m64, t64 = edges.astype(float), month.astype(float)[:, None], tau.astype(float)[:, None]
    a = np.maximum(e64[None, :H] - m64, 0.0)
    b = np.maximum(np.minimum(e64[None, 1:] - m64, track.astype(float)[:, None]), a)
    F = lambda s: s + t64 * np.exp(-s / t64)  # noqa: E731
    want = (F(b) - F(a)) * factor * per_month[:, None]
    np.testing.assert_allclose(out[d, col], want, rtol=2e-3, atol=1e-3)
    untouched = np.ones((draws, n), bool)
    untouched[d, col] = False
    assert (out[untouched] == 0).all()


def test_batches_take_every_zone_once_costliest_first() -> None:
    rng = np.random.default_rng(6)
    zones = [f"z{i}" for i in range(700)]
    cost = {z: float(c) for z, c in zip(zones, 15 + rng.pareto(1.2, len(zones)) * 40)}
    batches = _batches(zones, cost, workers=2)
    flat = [z for b in batches for z in b]
    assert sorted(flat) == sorted(zones)
    assert [cost[z] for z in flat] == sorted(cost.values(), reverse=True)
    assert max(len(b) for b in batches) <= 50
    # no batch but a single zone costs much more than the share aimed at
    share = sum(cost.values()) / 32
    assert all(len(b) == 1 or sum(cost[z] for z in b) <= share + max(cost[z] for z in b) for b in batches)


@pytest.mark.parametrize("mu", [0.05, 0.8, 4.0, 30.0])
def test_poisson_inverse_draws_the_poisson_distribution(mu: float) -> None:
    from scipy import stats

    from forecast.models._kernels import poisson_inverse

    rng = np.random.default_rng(int(mu * 100))
    n = 200_000
    m = np.full(n, mu)
    got = poisson_inverse(rng.random(n), m, np.exp(-m), 50.0)
    k = np.arange(int(mu + 8 * np.sqrt(mu) + 10))
    freq = np.bincount(got, minlength=k.size)[: k.size] / n
    pmf = stats.poisson.pmf(k, mu)
    # every count's share within 4.5 standard errors of its probability
    se = np.sqrt(pmf * (1 - pmf) / n) + 1e-6
    assert np.all(np.abs(freq - pmf) < 4.5 * se)
    # means above the limit are left to the caller
    assert (poisson_inverse(np.full(3, 0.5), np.full(3, 60.0), np.exp(-np.full(3, 60.0)), 50.0) == -1).all()


def test_quarter_counts_bins_event_months_by_quarter() -> None:
    from forecast.models._kernels import quarter_counts

    rng = np.random.default_rng(8)
    draws, n, H = 50, 40, 6
    months = rng.uniform(-5, 3 * H + 5, (draws, n)).astype(np.float32)
    months[rng.random((draws, n)) < 0.2] = np.nan  # happened before the cut
    months[rng.random((draws, n)) < 0.2] = np.inf  # not within the horizon
    want = np.zeros((draws, H), dtype=np.int64)
    for d in range(draws):
        for v in months[d]:
            if 0 <= v < 3 * H:
                want[d, int(v // 3)] += 1
    got = quarter_counts(months, H)
    np.testing.assert_array_equal(got, want)
    assert got.sum() > 0


@pytest.mark.parametrize("unit", ["ns", "s"])
def test_month_clock_equals_the_calendar_fields(unit: str) -> None:
    """The integer civil-date arithmetic of ``month_clock`` gives pandas'
    year, month, day and month length: random days 1850-2150 (century and
    leap years, 29 February, times of day), NaT."""
    import pandas as pd

    from forecast.models.survival import month_clock

    rng = np.random.default_rng(3)
    days = rng.integers(-43_800, 65_700, 200_000)
    fixed = pd.to_datetime(["1900-02-28", "1900-03-01", "2000-02-29", "2100-02-28", "2100-03-01",
                            "2024-02-29", "1999-12-31", "2000-01-01"]).values.astype("datetime64[D]").astype(np.int64)
    ns = np.r_[days, fixed] * 86_400 * 10**9 + np.r_[rng.integers(0, 86_400 * 10**9, days.size), np.zeros(fixed.size, np.int64)]
    s = pd.Series(pd.to_datetime(ns).as_unit(unit))
    s[::11] = pd.NaT
    d = pd.DatetimeIndex(s)
    want = np.asarray((d.year - 2000) * 12.0 + (d.month - 1) + (d.day - 1) / d.days_in_month, dtype="float64")
    got = month_clock(s)  # a table of the days spanned (more rows than days)
    assert np.array_equal(got, want, equal_nan=True)
    assert np.array_equal(month_clock(s.iloc[:3000]), want[:3000], equal_nan=True)  # day by day
    assert np.isnan(month_clock(pd.Series(pd.NaT, index=range(5000), dtype="datetime64[ns]"))).all()
    assert np.isnan(got[::11]).all() and np.isfinite(np.delete(got, np.s_[::11])).all()
    assert month_clock(pd.DatetimeIndex(["2000-03-16"]))[0] == 2 + 15 / 31
