"""The empirical spend curve and the goodness-of-fit check of the Beta curve.

The empirical curve of a category is the mean, over its completed projects
whose whole spend is in the ledger, of each project's cumulative share of its
own total spend against the share of its construction time elapsed (start to
completion as observed), on the knots the sampler reads curves at. A month's
spend is spread evenly over the part of the month inside construction; spend
before the start (or after the completion) counts in the first (last) month,
so every curve runs from 0 to 1. A category's curve is shrunk toward the
pooled one by its sampling noise against the spread between categories
(empirical Bayes, as the seasonal factors), so a category with few projects
takes the pooled curve.

The Beta curve passes the check when it stays within the empirical curve's
sampling error (plus a small tolerance for the lumpy monthly shape) at every
knot; a category whose Beta curve fails, or that the fit marked degenerate,
uses its empirical curve instead.
"""

from __future__ import annotations

import numpy as np
from scipy.special import betainc

#: Knots of a tabulated curve (shares of construction time 0, 1/256, ..., 1).
GRID = 257
#: Fewest projects an empirical curve is drawn from.
MIN_PROJECTS = 10
#: Knots the check compares curves at.
_CHECK = np.r_[0.02, 0.05, np.linspace(0.1, 0.9, 9), 0.95, 0.98]
#: z of the check and the gap always allowed (share of the total).
_Z, _TOL = 3.0, 0.02


def project_shares(rows: dict[str, np.ndarray], sel: np.ndarray, xs: np.ndarray,
                   xc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Cumulative share of its total each project ``sel`` had spent at every
    knot ``(len(sel), GRID)``, and the projects kept (positive spend)."""
    keep = np.isin(rows["pidx"], sel) & (rows["investment"] > 0)
    p = rows["pidx"][keep]
    amount = rows["investment"][keep]
    first, last = rows["first"][keep], rows["last"][keep] + 1.0
    length = xc[p] + 1.0 / 30.0 - xs[p]
    u0 = np.clip((first - xs[p]) / length, 0.0, 1.0)
    u1 = np.clip((last - xs[p]) / length, 0.0, 1.0)
    # A row wholly before the start (after the completion) is paid in the
    # first (last) month of construction.
    step = np.minimum(1.0 / length, 1.0)
    early, late = u1 <= u0, (u1 <= u0) & (u0 >= 1.0)
    u0, u1 = np.where(late, 1.0 - step, u0), np.where(early & ~late, step, u1)
    grp, g = np.unique(p, return_inverse=True)
    knots = np.linspace(0.0, 1.0, GRID)
    # A row adds its amount times its share paid by each knot: 0 up to u0, 1
    # from u1, linear between. A month of a two-year project lies inside
    # ~11 of the 257 knots: the knots from u1 on take the amount by a running
    # sum and only those inside (u0, u1) are computed (each knot's value as
    # when every knot of every row was, summed in another order).
    j0 = np.searchsorted(knots, u0, side="right")  # first knot above u0
    j1 = np.searchsorted(knots, u1, side="left")   # first knot at or above u1
    inside = np.maximum(j1 - j0, 0)
    order = np.argsort(g, kind="stable")
    starts = np.searchsorted(g[order], np.arange(grp.size + 1))
    cum = np.empty((grp.size, GRID))
    lo = 0
    while lo < grp.size:  # blocks of whole projects: small temporaries
        hi = max(int(np.searchsorted(starts, starts[lo] + 16_384, side="right")) - 1, lo + 1)
        rows_b = order[starts[lo]:starts[hi]]
        local = g[rows_b] - lo
        whole = np.bincount(local * (GRID + 1) + j1[rows_b], amount[rows_b], minlength=(hi - lo) * (GRID + 1))
        block = np.cumsum(whole.reshape(hi - lo, GRID + 1)[:, :GRID], axis=1)
        n = inside[rows_b]
        r = np.repeat(rows_b, n)
        j = j0[r] + np.arange(r.size) - np.repeat(np.cumsum(n) - n, n)
        frac = (knots[j] - u0[r]) / (u1[r] - u0[r])
        block += np.bincount(np.repeat(local, n) * GRID + j, amount[r] * frac,
                             minlength=(hi - lo) * GRID).reshape(hi - lo, GRID)
        cum[lo:hi] = block / block[:, -1:]
        lo = hi
    return cum, grp


def empirical_curves(cum: np.ndarray, codes: np.ndarray, n_cat: int) -> dict:
    """Pooled and per-category mean curves of project shares ``cum`` with
    categories ``codes``; each category shrunk toward the pooled curve.

    Returns ``pooled``, ``curves`` ``(n_cat, GRID)``, ``se`` (sampling sd of
    each category's raw mean at every knot), ``weight`` (the category's own
    share in its shrunk curve) and ``n`` (projects per category).
    """
    pooled = cum.mean(axis=0)
    n = np.bincount(codes[codes >= 0], minlength=n_cat)
    raw = np.tile(pooled, (n_cat, 1))
    var = np.full((n_cat, GRID), np.inf)
    for ci in np.flatnonzero(n >= 2):
        c = cum[codes == ci]
        raw[ci] = c.mean(axis=0)
        var[ci] = c.var(axis=0, ddof=1) / n[ci]
    have = np.flatnonzero(n >= MIN_PROJECTS)
    # between-category spread beyond the sampling noise, over the knots
    if have.size >= 2:
        spread = raw[have] - pooled
        tau2 = max(float(np.mean(spread**2) - np.mean(var[have][:, 1:-1])), 0.0)
    else:
        tau2 = 0.0
    noise = var[:, 1:-1].mean(axis=1)
    weight = np.where((n >= MIN_PROJECTS) & np.isfinite(noise), tau2 / (tau2 + noise + 1e-12), 0.0)
    curves = pooled + weight[:, None] * (raw - pooled)
    curves = np.maximum.accumulate(np.clip(curves, 0.0, 1.0), axis=1)
    curves[:, 0], curves[:, -1] = 0.0, 1.0
    se_pooled = cum.std(axis=0, ddof=1) / np.sqrt(max(cum.shape[0], 1))
    se = np.where(np.isfinite(var), np.sqrt(np.where(np.isfinite(var), var, 0.0)), se_pooled)
    # the shrunk curve's error is no larger than the raw mean's nor the pooled one's
    se = np.minimum(se, np.sqrt(weight[:, None] ** 2 * se**2 + se_pooled**2))
    return {"pooled": pooled, "curves": curves, "se": se, "weight": weight, "n": n,
            "n_projects": int(cum.shape[0])}


def beta_misfit(a: float, b: float, curve: np.ndarray, se: np.ndarray) -> float:
    """Largest gap between a Beta(a, b) CDF and an empirical ``curve`` at the
    check knots, in units of the gap allowed (``> 1`` fails the check)."""
    at = np.rint(_CHECK * (GRID - 1)).astype(int)
    gap = np.abs(betainc(a, b, _CHECK) - curve[at])
    return float(np.max(gap / (_Z * se[at] + _TOL)))


def read(curve: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A tabulated curve at shares ``u`` of construction (linear between knots)."""
    return np.interp(np.clip(u, 0.0, 1.0), np.linspace(0.0, 1.0, GRID), curve)


def choose(par: np.ndarray, k: int, centre: float, emp: dict | None, notes: list[str],
           names: tuple[str, ...]) -> np.ndarray:
    """Which category curves (the last row: an unknown category) use the
    empirical curve: those whose Beta curve at the median size fails the
    check against it, or that the fit found degenerate (``notes`` already
    names them). Appends a note per category switched."""
    from ._stages import size_design

    n_cat = len(names)
    use = np.zeros(n_cat + 1, dtype=bool)
    if emp is None:
        return use
    codes = np.r_[np.arange(n_cat), -1]
    X = size_design(codes, np.full(codes.size, centre), centre)
    a, b = np.exp(X @ par[:k]), np.exp(X @ par[k:2 * k])
    for row, ci in enumerate(codes):
        curve = emp["curves"][ci] if ci >= 0 else emp["pooled"]
        se = emp["se"][ci] if ci >= 0 else emp["se"].min(axis=0)
        bad = beta_misfit(a[row], b[row], curve, se)
        if bad > 1.0:
            use[row] = True
            if ci >= 0:
                at = _CHECK[np.argmax(np.abs(betainc(a[row], b[row], _CHECK)
                                             - curve[np.rint(_CHECK * (GRID - 1)).astype(int)]))]
                notes.append(f"category {names[ci]!r} (Beta a = {a[row]:.3g}, b = {b[row]:.3g} misses the ledger's "
                             f"curve by {bad:.1f}× the allowed gap at {at:.0%} of construction; "
                             f"{int(emp['n'][ci])} projects, own weight {emp['weight'][ci]:.2f})")
    return use


def payment_sd(rows: dict[str, np.ndarray], grp: np.ndarray, own: np.ndarray, xs: np.ndarray,
               xc: np.ndarray, season: np.ndarray, curve: np.ndarray | None = None) -> float | None:
    """Monthly log-sd of the mean-one payment factor whose variance matches
    the ledger's: per completed project ``grp`` (curves ``own``), the
    variance of spend / expected spend over its quarters of construction
    (quiet quarters count as zero), averaged over projects, times three (a
    quarter averages three months), as a log-normal sd. Lumpy payments make
    log spend of the paying months a poor guide to it. ``own`` holds the
    projects' curves, or the distinct curves when ``curve`` gives each
    project's row in it."""
    if grp.size < MIN_PROJECTS:
        return None
    m0, m1 = np.floor(xs[grp]), np.floor(xc[grp])
    count = (m1 - m0 + 1).astype(np.int64)
    j = np.repeat(np.arange(grp.size), count)
    m = m0[j] + np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    length = xc[grp] + 1.0 / 30.0 - xs[grp]
    knots = np.linspace(0.0, 1.0, GRID)
    u0 = np.clip((m - xs[grp][j]) / length[j], 0.0, 1.0)
    u1 = np.clip((m + 1 - xs[grp][j]) / length[j], 0.0, 1.0)
    w = np.empty(m.size)
    # one interpolation per distinct curve, over the months of its projects
    which = (np.arange(grp.size) if curve is None else np.asarray(curve))[j]
    order = np.argsort(which, kind="stable")
    edges = np.searchsorted(which[order], np.arange(own.shape[0] + 1))
    for k in np.flatnonzero(np.diff(edges)):
        s = order[edges[k]:edges[k + 1]]
        w[s] = np.interp(u1[s], knots, own[k]) - np.interp(u0[s], knots, own[k])
    w *= season[np.mod(m, 12).astype(int)]
    q0 = np.floor(m0 / 3)
    nq = int(np.max(np.floor(m1 / 3) - q0)) + 1
    cell = j * nq + (np.floor(m / 3) - q0[j]).astype(np.int64)
    e = np.bincount(cell, w, minlength=grp.size * nq)
    at = np.searchsorted(grp, rows["pidx"])
    hit = (at < grp.size) & (grp[np.minimum(at, grp.size - 1)] == rows["pidx"])
    q = np.floor(rows["last"][hit] / 3) - q0[at[hit]]
    inside = (q >= 0) & (q < nq)
    y = np.bincount(at[hit][inside] * nq + q[inside].astype(np.int64), rows["investment"][hit][inside],
                    minlength=grp.size * nq)
    y, e = y.reshape(grp.size, nq), e.reshape(grp.size, nq)
    e *= (y.sum(axis=1) / np.maximum(e.sum(axis=1), 1e-300))[:, None]
    ok = (e > 0).any(axis=1) & (y.sum(axis=1) > 0)
    v = ((y - e) ** 2).sum(axis=1)[ok] / (e * e).sum(axis=1)[ok]
    return float(np.sqrt(np.log1p(3.0 * v.mean()))) if v.size >= MIN_PROJECTS else None
