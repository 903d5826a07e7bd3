"""Compiled inner loops of the simulator (numba).

Each kernel replaces a chain of whole-array numpy operations over
``entries × months`` with one pass per entry: the chains made a dozen
temporaries the size of a block each, and the simulator spent most of its
time writing and re-reading them. Random numbers are still drawn by numpy
(from the caller's seeded ``Generator``) and passed in, so a kernel is a
pure function of its arguments: same inputs, same numbers.

Compiled on first use (a few seconds) and cached on disk in forecast's cache
folder (``_io.cache_dir()``/numba, unless ``NUMBA_CACHE_DIR`` says otherwise),
so an installed package needs no writable source folder.
"""

from __future__ import annotations

import os

import numpy as np

from .._io import cache_dir

# read by numba when it is first imported, just below
os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_dir() / "numba"))

from numba import njit  # noqa: E402


@njit(cache=True, nogil=True, inline="always")
def _curve(bound, s0, il, base, scale, top, values, steps):  # noqa: ANN001, ANN202
    """Tabulated S-curve at month boundary ``bound`` of an entry starting at
    ``s0`` and lasting ``1 / il`` months (linear between knots)."""
    u = (bound - s0) * il
    if u <= 0.0:
        return np.float32(0.0)
    if u > 1.0:
        u = np.float32(1.0)
    pos = u * scale
    k = int(pos)
    if k > top:
        k = top
    return values[base + k] + (pos - np.float32(k)) * steps[base + k]


@njit(cache=True, nogil=True)
def spend_months(S: np.ndarray, inv_L: np.ndarray, c: np.ndarray, cancel: np.ndarray,
                 season: np.ndarray, P: int, H: int, values: np.ndarray, steps: np.ndarray,
                 grid: int, noise: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Monthly S-curve weights of spending entries, summed to quarters.

    Entry ``e`` starts ``S[e]`` months after the cut and runs ``1 / inv_L[e]``
    months on tabulated curve ``c[e]`` (``values``/``steps``: knots and
    increments, ``grid`` a curve, flattened). The curve is read at the month
    boundaries from ``P`` months before the cut to the horizon's end
    (``season``: the months' seasonal factors). ``noise``: each horizon
    month's payment factor (mean one); ``cancel``: month the entry stops
    spending (inf: never).

    Returns ``raw`` (entries, H) float32, the noisy weights summed per quarter
    (after cancellation), and per entry ``past`` (seasonal share covered by
    the cut), ``expected`` (seasonal share of the horizon, no noise),
    ``beyond`` (share after the horizon) and ``noisy`` (the noisy weights'
    sum before cancellation).
    """
    n = S.shape[0]
    M = 3 * H
    raw = np.zeros((n, H), dtype=np.float32)
    past = np.empty(n)
    expected = np.empty(n)
    beyond = np.empty(n)
    noisy = np.empty(n)
    scale = np.float32(grid - 1)
    top = grid - 2
    for e in range(n):
        base = c[e] * grid
        s0 = S[e]
        il = inv_L[e]
        stop = cancel[e]
        # the curve at boundary j (month j - P after the cut): 0 before the
        # start, its last knot from the end on
        prev = _curve(np.float32(-P), s0, il, base, scale, top, values, steps)
        acc_past = np.float64(prev)
        for j in range(1, P + 1):
            b = _curve(np.float32(j - P), s0, il, base, scale, top, values, steps)
            acc_past += (b - prev) * season[j - 1]
            prev = b
        acc_exp = 0.0
        acc_noisy = 0.0
        for m in range(M):
            u = (np.float32(m + 1) - s0) * il
            if u <= 0.0:
                continue  # not started by the month's end: prev stays 0
            b = _curve(np.float32(m + 1), s0, il, base, scale, top, values, steps)
            w = (b - prev) * season[P + m]
            prev = b
            acc_exp += w
            w *= noise[e, m]
            acc_noisy += w
            if stop < M:
                f = stop - m
                if f < 0.0:
                    f = 0.0
                elif f > 1.0:
                    f = 1.0
                w *= f
            raw[e, m // 3] += w
            if u >= 1.0:
                break  # finished: nothing after this month
        past[e] = acc_past
        expected[e] = acc_exp
        beyond[e] = 1.0 - prev
        noisy[e] = acc_noisy
    return raw, past, expected, beyond, noisy


@njit(cache=True, nogil=True, inline="always")
def _advance(x: float, op: float, base: int, knots: np.ndarray, speeds: np.ndarray) -> float:
    """Calendar months from clock ``x`` until ``op`` operational months have
    passed on seasonal clock ``base / 13`` (``knots``: 13 cumulative knots a
    clock, ``speeds``: its 12 monthly speeds and the last again, both
    flattened; see ``_sampling.Warp``): ``inverse(clock(x) + op) - x``."""
    y = x - 12.0 * np.floor(x / 12.0)
    m = min(int(y), 11)
    o = (x - y) + knots[base + m] + (y - m) * speeds[base + m] + op
    y2 = o - 12.0 * np.floor(o / 12.0)
    # the month whose knots hold y2: the last knot at or below it
    m2 = 0
    while m2 < 11 and knots[base + m2 + 1] <= y2:
        m2 += 1
    return (o - y2) + m2 + (y2 - knots[base + m2]) / speeds[base + m2] - x


@njit(cache=True, nogil=True)
def next_events(pick_c: np.ndarray, pick_b: np.ndarray, z: np.ndarray, ce: np.ndarray,
                x0: np.ndarray, g: np.ndarray, e: np.ndarray, plan: np.ndarray,
                mu_a: np.ndarray, sig_a: np.ndarray, knots_a: np.ndarray, speeds_a: np.ndarray,
                mu_c: np.ndarray, sig_c: np.ndarray, knots_c: np.ndarray, speeds_c: np.ndarray,
                log_never: float) -> np.ndarray:
    """Months since entry of each entry's next event (see
    ``_sampling.sample_cells``): on the plan (``pick_b``), a cancellation
    (``pick_c``; never when ``mu_c`` is empty) or an advance, the last two
    log-normal on their seasonal clocks (no clock: empty ``knots``), at the
    standard normal quantile ``z`` of the truncated distribution; never
    sooner than the ``e`` months already spent. Per cell ``ce``: ``g`` the
    parameter vector (clock), ``e``, ``plan``, ``mu``, ``sig``."""
    n = ce.shape[0]
    out = np.empty(n)
    for i in range(n):
        k = ce[i]
        if pick_b[i]:
            t = plan[k]  # on the planned date itself
        elif pick_c[i] and mu_c.shape[0] == 0:
            t = np.inf  # "never": no cancellation model, survives for ever
        else:
            if pick_c[i]:
                lop = mu_c[k] + sig_c[k] * min(z[i], 30.0)
                knots, speeds = knots_c, speeds_c
            else:
                lop = mu_a[k] + sig_a[k] * min(z[i], 30.0)
                knots, speeds = knots_a, speeds_a
            if lop > log_never:
                t = np.inf
            else:
                t = np.exp(lop)
                if knots.shape[0] > 0:
                    t = _advance(x0[i], t, 13 * g[k], knots, speeds)
        out[i] = max(t, e[k])
    return out


@njit(cache=True, nogil=True)
def arrival_totals(d: np.ndarray, j: np.ndarray, pick: np.ndarray, traj: np.ndarray,
                   draws: int, horizon: int) -> np.ndarray:
    """Zone totals ``(draws, horizon, metrics)`` of new projects: arrival ``i``
    registers in quarter ``j[i]`` of draw ``d[i]`` and follows trajectory
    ``pick[i]`` of ``traj`` (pool, ages, metrics), its age ``a`` landing in
    quarter ``j + a``."""
    k_m = traj.shape[2]
    out = np.zeros((draws, horizon, k_m))
    for i in range(d.shape[0]):
        di, ji, p = d[i], j[i], pick[i]
        for a in range(horizon - ji):
            for k in range(k_m):
                out[di, ji + a, k] += traj[p, a, k]
    return out


@njit(cache=True, nogil=True)
def ramp_output(out: np.ndarray, d: np.ndarray, col: np.ndarray, month: np.ndarray, tau: np.ndarray,
                track: np.ndarray, edges: np.ndarray, factor: np.ndarray, per_month: np.ndarray) -> None:
    """Write into ``out`` (draws, projects, H) the output per quarter of the
    producing pairs ``(d[i], col[i])``: capacity ``per_month[i]`` a month on
    the exponential ramp from 投产 (``month[i]`` months after the cut, time
    constant ``tau[i]``) until ``track[i]`` months after it (reporting ends),
    times the quarter's noise ``factor[i, q]``. ``edges``: month of each
    quarter's start, then the horizon's end (rampup.ramp_months integrated
    over the quarter)."""
    H = out.shape[2]
    for i in range(d.shape[0]):
        m, t, stop = month[i], tau[i], track[i]
        for q in range(H):
            a = edges[q] - m
            if a < 0.0:
                a = np.float32(0.0)
            b = edges[q + 1] - m
            if b > stop:
                b = stop
            if b < a:
                b = a
            b -= a  # months of the quarter after 投产, up to the end of tracking
            r = b + t * np.exp(-a / t) * np.expm1(-b / t)
            out[d[i], col[i], q] = r * factor[i, q] * per_month[i]


@njit(cache=True, nogil=True, error_model="numpy")
def poisson_inverse(u: np.ndarray, mu: np.ndarray, e_mu: np.ndarray, largest: float) -> np.ndarray:
    """Poisson counts of means ``mu`` by inversion of uniforms ``u`` (``e_mu``
    = exp(-mu), worked out by numpy). Means above ``largest`` get -1: the
    caller draws those another way (inversion takes about ``mu`` steps)."""
    n = np.empty(u.shape, dtype=np.int64)
    uf, mf, ef, nf = u.ravel(), mu.ravel(), e_mu.ravel(), n.ravel()
    for i in range(uf.shape[0]):
        m = mf[i]
        if m > largest:
            nf[i] = -1
            continue
        k = 0
        p = ef[i]
        F = p
        x = uf[i]
        while x > F and p > 0.0:
            k += 1
            p *= m / k
            F += p
        nf[i] = k
    return n


@njit(cache=True, nogil=True, error_model="numpy")
def quarter_counts(months: np.ndarray, horizon: int) -> np.ndarray:
    """Events per draw and quarter ``(draws, horizon)`` from event months
    ``(draws, n)`` after the cut (NaN: happened before; inf: not within)."""
    draws, n = months.shape
    out = np.zeros((draws, horizon), dtype=np.int64)
    end = 3.0 * horizon
    for d in range(draws):
        for j in range(n):
            v = months[d, j]
            if v >= 0.0 and v < end:  # False for NaN
                q = int(np.floor(v / 3.0))
                if q < horizon:  # a month just short of the end may round up
                    out[d, q] += 1
    return out
