"""Vectorised ETS(A,Ad,A): additive errors, damped additive trend, additive seasons.

The same state-space model as statsmodels' ``ETSModel(error="add", trend="add",
damped_trend=True, seasonal="add")`` (Hyndman et al. 2008, class 1), fitted to
thousands of series at once. statsmodels fits one series in about 30 ms, so
2,500 zones x 4 indicators would take five minutes; here the whole set takes
seconds, and ``tests/models/test_indicators.py`` checks that both give the same
forecasts on the real NBS series.

How it is fitted. For fixed smoothing parameters the one-step errors are linear
in the initial states (``x_t = D x_{t-1} + g z_t`` with ``D = F - g w'``), so the
initial states that minimise the sum of squared errors come from a 5 x 5 least
squares problem per series, and the response of the errors to the initial
states does not depend on the data: it is computed once per parameter set and
shared by every series. The smoothing parameters are then searched on a grid
(the sum of squared errors is flat near its minimum, so a grid loses little),
followed by a few rounds of a per-series pattern search. Seasonal initial states
sum to zero, which removes the level/season confound.

Series are left-aligned rows of a 2-D array padded with NaN after their end.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

#: Parameter bounds (statsmodels' defaults are close: phi in [0.8, 0.98]).
PHI_BOUNDS = (0.8, 0.98)
EPS = 1e-4
#: Step sizes (logit units) of the compass search rounds after the grid.
STEPS = (1.0, 1.0, 0.5, 0.5, 0.25, 0.125)


@dataclass
class EtsFit:
    """Fitted ETS(A,Ad,A) of ``S`` series.

    params : (S, 4) alpha, beta, gamma, phi
    state : (S, 2 + m) level, trend, seasonal states (most recent first) after the
        last observation of each series
    sigma2 : (S,) residual variance with a degrees-of-freedom correction
    n : (S,) observations used; df : (S,) residual degrees of freedom
    """

    params: np.ndarray
    state: np.ndarray
    sigma2: np.ndarray
    n: np.ndarray
    df: np.ndarray
    sse: np.ndarray
    m: int

    @property
    def n_params(self) -> int:
        """Estimated parameters per series: four smoothing, 1 + 1 + (m - 1) initial."""
        return 4 + 1 + self.m


def _valid(params: np.ndarray) -> np.ndarray:
    """Clip to the admissible region: 0 < beta <= alpha, 0 < gamma <= 1 - alpha."""
    p = params.copy()
    p[:, 0] = np.clip(p[:, 0], EPS, 1 - 2 * EPS)
    p[:, 1] = np.clip(p[:, 1], EPS * EPS, p[:, 0])
    p[:, 2] = np.clip(p[:, 2], EPS * EPS, 1 - p[:, 0] - EPS * EPS)
    p[:, 3] = np.clip(p[:, 3], *PHI_BOUNDS)
    return p


def _expand(u: np.ndarray, m: int) -> np.ndarray:
    """Free initial values (level, trend, m-1 seasons) -> full state (seasons sum to 0)."""
    last = -u[..., 2:].sum(axis=-1, keepdims=True)
    return np.concatenate([u, last], axis=-1)


def _run(zt: np.ndarray, x0: np.ndarray, params: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Run the filter on time-major data ``zt`` (T, N): column j is a series,
    left-aligned, NaN after its end.

    Returns the one-step errors (T, N), 0 after each end, and the state (N, 2 + m)
    after each series' last observation (a finished series is frozen there)."""
    t_len, n_rows = zt.shape
    a, b, g, phi = (np.ascontiguousarray(params[:, i]) for i in range(4))
    lev, tr = x0[:, 0].copy(), x0[:, 1].copy()
    # seasonal states in a circular buffer: row j is used at every t with t % m == j
    buf = np.ascontiguousarray(x0[:, 2:][:, ::-1].T)
    ok = ~np.isnan(zt)
    full = ok.all(axis=1)
    zf = np.where(ok, zt, 0.0)
    okf = ok.astype(float)
    err = np.empty((t_len, n_rows))
    e = np.empty(n_rows)
    drift = np.empty(n_rows)
    for t in range(t_len):
        s = buf[t % m]
        np.multiply(phi, tr, out=drift)
        np.subtract(zf[t], lev, out=e)
        e -= drift
        e -= s
        if full[t]:
            tr[:] = 0.0
        else:
            # e is 0 after a series' end, so only the phi * tr terms need the mask
            e *= okf[t]
            drift *= okf[t]
            tr -= tr * okf[t]
        err[t] = e
        lev += drift
        lev += a * e
        tr += drift
        tr += b * e
        s += g * e
    n_obs = ok.sum(axis=0)
    # back to the state layout: column m-1 is used next (at t = n), column 0 most recently set
    cols = (n_obs[:, None] + np.arange(m)[None, ::-1]) % m
    seas = np.take_along_axis(buf.T, cols, axis=1)
    return err, np.column_stack([lev, tr, seas])


def _design(params: np.ndarray, t_len: int, m: int) -> np.ndarray:
    """Response of the errors to each free initial value: (T, P, m + 1).

    Errors are ``a_t - B_t u``; ``B`` comes from running the filter on zero
    data from each unit initial state."""
    p_n = params.shape[0]
    k = m + 1
    x0 = _expand(np.tile(np.eye(k), (p_n, 1)), m)  # (P*k, 2+m), unit states per parameter row
    err, _ = _run(np.zeros((t_len, p_n * k)), x0, np.repeat(params, k, axis=0), m)
    return -err.reshape(t_len, p_n, k)


def _solve_initial(a: np.ndarray, bmat: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Least-squares initial values (N, k) and SSE (N,) for the errors ``a``
    (T, N) of zero initial states, with one shared design ``bmat`` (T, k) or one
    per series (T, N, k)."""
    t_len = a.shape[0]
    mask = np.arange(t_len)[:, None] < lengths[None, :]
    a = np.where(mask, a, 0.0)
    k = bmat.shape[-1]
    if bmat.ndim == 2:
        # a shared design: the Gram matrix of the first n rows is a running sum
        outer = np.cumsum(bmat[:, :, None] * bmat[:, None, :], axis=0)
        gram = outer[lengths - 1]
        rhs = a.T @ bmat
    else:
        bm = np.where(mask[:, :, None], bmat, 0.0).transpose(1, 0, 2)  # (N, T, k)
        gram = np.matmul(bm.transpose(0, 2, 1), bm)
        rhs = np.einsum("ntk,tn->nk", bm, a)
    gram = gram + 1e-9 * np.eye(k)  # keeps a nearly flat direction solvable
    u = np.linalg.solve(gram, rhs[..., None])[..., 0]
    sse = np.einsum("tn,tn->n", a, a) - np.einsum("nk,nk->n", rhs, u)
    return u, np.maximum(sse, 0.0)


def _default_grid() -> np.ndarray:
    alphas = (0.05, 0.25, 0.5, 0.8)
    beta_r = (0.001, 0.2, 0.8)  # beta as a share of alpha
    gamma_r = (0.001, 0.15, 0.5, 0.95)  # gamma as a share of 1 - alpha
    phis = (0.85, 0.98)
    rows = [(a, br * a, gr * (1 - a), p) for a, br, gr, p in product(alphas, beta_r, gamma_r, phis)]
    return _valid(np.array(rows))


def _grid_search(zt: np.ndarray, lengths: np.ndarray, grid: np.ndarray, m: int,
                 chunk: int) -> tuple[np.ndarray, np.ndarray]:
    """Best grid row per series: (index (S,), sse (S,))."""
    t_len, s_n = zt.shape
    bmats = _design(grid, t_len, m)  # (T, G, k)
    best_sse = np.full(s_n, np.inf)
    best = np.zeros(s_n, dtype=int)
    g_n = grid.shape[0]
    step = max(1, chunk // g_n)
    for lo in range(0, s_n, step):
        zs = zt[:, lo : lo + step]
        ls = lengths[lo : lo + step]
        n = zs.shape[1]
        # columns ordered (grid, series) so one filter run covers every pair
        a, _ = _run(np.tile(zs, (1, g_n)), np.zeros((g_n * n, 2 + m)), np.repeat(grid, n, axis=0), m)
        sse = np.empty((g_n, n))
        for gi in range(g_n):
            _, sse[gi] = _solve_initial(a[:, gi * n : (gi + 1) * n], bmats[:, gi], ls)
        arg = sse.argmin(axis=0)
        best[lo : lo + n] = arg
        best_sse[lo : lo + n] = sse[arg, np.arange(n)]
    return best, best_sse


def _profile(zt: np.ndarray, lengths: np.ndarray, params: np.ndarray, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Initial values and SSE with each series' own parameters."""
    t_len, n = zt.shape
    a, _ = _run(zt, np.zeros((n, 2 + m)), params, m)
    # The design depends on the parameters alone, and the series of a search
    # share few distinct parameter rows: each row's design once (the filter
    # treats columns independently, so the numbers are the same).
    rows, inv = np.unique(params, axis=0, return_inverse=True)
    return _solve_initial(a, _design(rows, t_len, m)[:, inv.reshape(-1)], lengths)


def _to_free(p: np.ndarray) -> np.ndarray:
    """Parameters -> unconstrained coordinates for the pattern search."""
    a = p[:, 0]
    lg = lambda x: np.log(x / (1 - x))  # noqa: E731
    return np.column_stack([
        lg(a), lg(np.clip(p[:, 1] / a, EPS, 1 - EPS)), lg(np.clip(p[:, 2] / (1 - a), EPS, 1 - EPS)),
        lg((p[:, 3] - PHI_BOUNDS[0]) / (PHI_BOUNDS[1] - PHI_BOUNDS[0]) * (1 - 2 * EPS) + EPS),
    ])


def _from_free(f: np.ndarray) -> np.ndarray:
    ex = lambda x: 1 / (1 + np.exp(-x))  # noqa: E731
    a = ex(f[:, 0])
    phi = PHI_BOUNDS[0] + (PHI_BOUNDS[1] - PHI_BOUNDS[0]) * ex(f[:, 3])
    return _valid(np.column_stack([a, ex(f[:, 1]) * a, ex(f[:, 2]) * (1 - a), phi]))


def fit_ets(z: np.ndarray, lengths: np.ndarray, m: int = 4, refine: int = len(STEPS),
            chunk: int = 400_000) -> EtsFit:
    """Fit ETS(A,Ad,A) to every row of ``z``.

    Parameters
    ----------
    z : (S, T) left-aligned series (already transformed, e.g. logs), NaN after the end.
    lengths : (S,) observations in each row; each needs more than ``m + 5``.
    refine : rounds of per-series pattern search after the grid.
    chunk : rows x grid points per filter run (memory ~ chunk x T x 8 bytes).

    Examples
    --------
    >>> t = np.arange(24.0)
    >>> z = (0.02 * t + np.tile([0.0, 0.1, 0.05, -0.15], 6))[None, :]
    >>> fit = fit_ets(z, np.array([24]))
    >>> mean, var = forecast_ets(fit, 4)
    >>> bool(np.allclose(mean[0], 0.02 * np.arange(24, 28) + [0.0, 0.1, 0.05, -0.15], atol=0.02))
    True
    """
    zt = np.ascontiguousarray(np.asarray(z, dtype=float).T)
    lengths = np.asarray(lengths, dtype=int)
    best, sse = _grid_search(zt, lengths, _default_grid(), m, chunk)
    free = _to_free(_default_grid()[best])
    # compass search per series: every series tries the same moves, keeps its own
    for step in STEPS[:refine]:
        for j in range(4):
            for sign in (1.0, -1.0):
                cand = free.copy()
                cand[:, j] += sign * step
                _, sse_c = _profile(zt, lengths, _from_free(cand), m)
                better = sse_c < sse - 1e-12
                free[better] = cand[better]
                sse = np.where(better, sse_c, sse)
    params = _from_free(free)
    u, sse = _profile(zt, lengths, params, m)
    _, state = _run(zt, _expand(u, m), params, m)
    k = 4 + 1 + m
    df = np.maximum(lengths - k, 1)
    return EtsFit(params=params, state=state, sigma2=sse / df, n=lengths, df=df, sse=sse, m=m)


def forecast_ets(fit: EtsFit, horizon: int) -> tuple[np.ndarray, np.ndarray]:
    """Mean and variance of the next ``horizon`` values: (S, H) each.

    Variance ``sigma2 * (1 + sum_{j<h} c_j^2)`` with ``c_j = alpha + beta * phi_j
    + gamma * [j % m == 0]`` and ``phi_j = phi + ... + phi^j`` (Hyndman et al.
    2008, Table 6.1, class 1)."""
    m = fit.m
    a, b, g, phi = (fit.params[:, i : i + 1] for i in range(4))
    h = np.arange(1, horizon + 1)[None, :]
    phi_h = np.cumsum(phi ** h, axis=1)  # phi + ... + phi^h
    lev, tr, seas = fit.state[:, :1], fit.state[:, 1:2], fit.state[:, 2:]
    idx = m - 1 - ((h[0] - 1) % m)
    mean = lev + phi_h * tr + seas[:, idx]
    c = a + b * phi_h + g * ((h % m) == 0)  # c_j for j = 1..H
    csum = np.concatenate([np.zeros((c.shape[0], 1)), np.cumsum(c[:, :-1] ** 2, axis=1)], axis=1)
    var = fit.sigma2[:, None] * (1.0 + csum)
    return mean, var
