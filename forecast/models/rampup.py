"""Ramp-up after 投产: a saturating curve per category, fitted on a grid of time constants.

A producing project's output in a quarter is modelled on the log scale as

    log y_iq = c_i + log(R(a_iq, b_iq; tau_i) / 12) + ls_k(q) + e_iq,   e ~ N(0, sigma^2)

where ``c_i`` is the log annual output at capacity, ``R(a, b; tau)`` the months
of full-capacity output the ramp ``1 - exp(-t / tau)`` yields between ``a`` and
``b`` months after 投产 (so a quarter at capacity gives ``R = 3``), ``ls_k``
the quarter-of-year factor (arithmetic mean of ``exp(ls)`` is 1) and ``tau_i``
the project's own time constant, ``log tau_i ~ N(mu_category, sigma_tau^2)``.

The time constant is integrated out on a grid of ``log tau`` values and the
capacity ``c_i`` analytically (flat prior while fitting), so every project —
one at the start of its ramp, one long at capacity — contributes exactly the
information it has; hyperparameters maximise that marginal likelihood, the
seasonal factors come from an EM step, and their uncertainty from the observed
information. Months to 90% of capacity are ``tau * ln 10``.

The 达产 (full production) date is tied to the ramp: ``log D_i = log kappa +
log tau_i + eta_i``; ``kappa`` and the spread of ``eta`` are estimated from
projects that reached 达产 and whose ramp is well observed. Ledgers often stop
reporting a project's output some months after 达产 (the sample: 12); that
reporting window is learned from projects whose reporting stopped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize
from scipy.special import logsumexp

from ..periods import DAYS_PER_MONTH, DAYS_PER_QUARTER, quarter_end
from ..vocab import CATEGORIES

LN10 = float(np.log(10.0))
#: Grid of log time constants (months): 0.5 to 150 months.
LOG_TAU = np.linspace(np.log(0.5), np.log(150.0), 64)
STEP = float(LOG_TAU[1] - LOG_TAU[0])
#: Smallest link spread used in posteriors, so the grid integrates the 达产 term.
ETA_FLOOR = STEP


def ramp_months(a: np.ndarray, b: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """Months at full capacity produced between ``a`` and ``b`` months after 投产.

    ``R = (b' - a') - tau * (exp(-a'/tau) - exp(-b'/tau))`` with ``a' = max(a, 0)``,
    ``b' = max(b, 0)``; 0 when the whole span lies before 投产.

    >>> float(np.round(ramp_months(np.array(0.0), np.array(1e6), np.array(2.0)) - 1e6, 6))
    -2.0
    """
    a0 = np.maximum(a, 0.0)
    return _ramp(-a0, np.maximum(b, a0) - a0, tau)


def _ramp(neg_a0: np.ndarray, span: np.ndarray, tau: np.ndarray) -> np.ndarray:
    """:func:`ramp_months` from ``-a'`` and ``b' - a'`` (what does not depend on tau)."""
    # exp(-a/tau) - exp(-b/tau) = -exp(-a/tau) * expm1(-(b - a)/tau), without cancellation
    return span + tau * np.exp(neg_a0 / tau) * np.expm1(-span / tau)


@dataclass
class Observations:
    """Quarterly output of producing projects, ready for the ramp fit.

    ``rows`` columns: ``pos`` (position in ``projects``), ``a``, ``b`` (months
    after 投产 at the quarter's start and end), ``k`` (quarter of year 0..3),
    ``logy``. ``projects`` has one row per project with a production date:
    ``project_id, category (code), production, full, elapsed`` (months from 投产
    to as_of), ``truncated`` (投产 before the ledger's first progress period),
    ``stopped`` (reporting ended before as_of), ``last_output`` (months from 投产
    to the middle of the last reported period), ``last_start`` (to its start),
    ``last_span`` (its length in months), ``any_output``.
    """

    rows: pd.DataFrame
    projects: pd.DataFrame


def observations(cut: object) -> Observations:
    """Quarterly output of every project with a 投产 date in ``cut`` (a Ledger at as_of).

    A quarter is kept when it is complete: every month since 投产 reported (or a
    quarterly row), it is not the quarter 投产 fell in (unless in its first days),
    and it is not the last reported quarter of a project whose reporting stopped
    before as_of (that one is usually partial).
    """
    end = quarter_end(cut.cut)
    p = cut.projects
    p = p.loc[p["production_date"].notna()]
    cat = pd.Categorical(p["category"], categories=CATEGORIES).codes
    prod = p["production_date"].to_numpy()
    info = pd.DataFrame({
        "project_id": p["project_id"].to_numpy(),
        "category": cat.astype(int),
        "production": prod,
        "full": (p["full_production_date"] - p["production_date"]).dt.days.to_numpy() / DAYS_PER_MONTH,
        "elapsed": (end - p["production_date"]).dt.days.to_numpy() / DAYS_PER_MONTH,
    })
    prog = cut.progress
    start = prog["period_end"].min() if len(prog) else end
    info["truncated"] = (p["production_date"] < (start - pd.offsets.MonthBegin(1))).to_numpy()
    # columns as arrays, masked once (masking the whole progress frame, and a
    # groupby tail for each project's last period, were most of this)
    y = prog["output_value"].to_numpy(float, na_value=np.nan)
    ppos = pd.Index(info["project_id"]).get_indexer(prog["project_id"])
    sel = np.flatnonzero(~np.isnan(y) & (ppos >= 0))
    y, ppos = y[sel], ppos[sel]
    pend = prog["period_end"].to_numpy()[sel]
    monthly = prog["freq"].to_numpy()[sel] == "M"
    # quarters as integer ordinals: boxing millions of Period objects is slow
    q = pd.DatetimeIndex(pend).to_period("Q-DEC").asi8
    g = pd.DataFrame({"pos": ppos, "q": q, "y": y, "monthly": monthly, "pend": pend})
    agg = g.groupby(["pos", "q"], sort=True).agg(y=("y", "sum"), rows=("y", "size"),
                                                  monthly=("monthly", "all"), pend=("pend", "max"))
    agg = agg.reset_index()
    last_q = agg.groupby("pos")["q"].transform("max")
    # each project's last reported period (one row per project and period end)
    order = np.lexsort((pend, ppos))
    at = np.ones(order.size, bool)
    at[:-1] = ppos[order][1:] != ppos[order][:-1]
    at = order[at]
    has = ppos[at]
    last_end = pd.Series(pend[at])
    info["any_output"] = False
    info.loc[has, "any_output"] = True
    # a project whose last reported period lies in an earlier quarter has stopped reporting
    info["stopped"] = False
    info.loc[has, "stopped"] = (last_end.dt.to_period("Q-DEC") < cut.cut).to_numpy()
    # when reporting stops inside its last period, the stop is equally likely
    # anywhere in it: the period's midpoint is the unbiased guess
    span = np.where(monthly[at], last_end.dt.days_in_month, DAYS_PER_QUARTER)
    mid = last_end - pd.to_timedelta(span / 2.0 - 1.0, unit="D")
    info["last_output"] = np.nan
    info["last_span"] = np.nan
    info.loc[has, "last_span"] = span / DAYS_PER_MONTH
    info["last_start"] = info["last_output"]
    production = info["production"].to_numpy()[has]
    info.loc[has, "last_start"] = (
        (last_end - pd.to_timedelta(span - 1.0, unit="D") - production).dt.days.to_numpy()) / DAYS_PER_MONTH
    info.loc[has, "last_output"] = ((mid - production).dt.days.to_numpy()) / DAYS_PER_MONTH
    qs = pd.PeriodIndex.from_ordinals(agg["q"].to_numpy(), freq="Q-DEC")
    qstart = qs.start_time
    qend = qs.end_time.normalize() + pd.Timedelta(days=1)
    prod_of = pd.to_datetime(info["production"].to_numpy()[agg["pos"].to_numpy()])
    # months of the quarter from the month of 投产 on: what a complete monthly report holds
    first_month = np.maximum(qstart.to_period("M").asi8, pd.PeriodIndex(prod_of, freq="M").asi8)
    expected = qs.asfreq("M", how="end").asi8 - first_month + 1
    complete = (~agg["monthly"].to_numpy()) | (agg["rows"].to_numpy() >= expected)
    partial_end = info["stopped"].to_numpy()[agg["pos"].to_numpy()] & (agg["q"] == last_q).to_numpy()
    # The quarter of 投产 is left out unless production began in its first days:
    # production starts bunch late in quarters (June, December), and the months a
    # partial quarter covers carry their own seasonal weights, which quarterly
    # factors cannot: keeping them made tau 5% too short on the sample ledger.
    partial_start = (qstart - prod_of).days.to_numpy() < -3
    keep = complete & ~partial_end & ~partial_start & (agg["y"].to_numpy() > 0)
    rows = pd.DataFrame({
        "pos": agg["pos"].to_numpy()[keep],
        "a": ((qstart - prod_of).days.to_numpy() / DAYS_PER_MONTH)[keep],
        "b": ((qend - prod_of).days.to_numpy() / DAYS_PER_MONTH)[keep],
        "k": (qs.quarter.to_numpy() - 1)[keep],
        "logy": np.log(agg["y"].to_numpy()[keep]),
    })
    rows = rows.loc[rows["b"] > 0].reset_index(drop=True)
    return Observations(rows=rows, projects=info.reset_index(drop=True))


@dataclass
class GridStats:
    """Per project and grid point: sufficient statistics of ``u = logy - log(R/12)``.

    ``n`` (P,), ``nk`` (P, 4) rows per quarter of year, ``su`` (P, G, 4) sums
    of u per quarter of year, ``su2`` (P, G) sums of u squared.
    """

    n: np.ndarray
    nk: np.ndarray
    su: np.ndarray
    su2: np.ndarray

    def moments(self, ls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mean ``x̄`` (P, G) and residual sum of squares (P, G) of ``u - ls_k``
        (read-only arrays: the last ``ls``'s are kept, as the fit asks for them
        again, and the sum over quarters of ``su`` once for all)."""
        key = np.asarray(ls, dtype="float64").tobytes()
        memo = self.__dict__.get("_moments")
        if memo is not None and memo[0] == key:
            return memo[1]
        if "_su_total" not in self.__dict__:
            self._su_total = self.su.sum(axis=2)
        n = np.maximum(self.n, 1)[:, None]
        tot = self._su_total - (self.nk @ ls)[:, None]
        xbar = tot / n
        sse = self.su2 - 2.0 * (self.su @ ls) + (self.nk @ (ls**2))[:, None] - n * xbar**2
        out = (xbar, np.maximum(sse, 0.0))
        for a in out:
            a.flags.writeable = False
        self._moments = (key, out)
        return out


def grid_stats(obs: Observations) -> GridStats:
    """Sufficient statistics of every project on the ``LOG_TAU`` grid."""
    r = obs.rows
    n_p, n_g = len(obs.projects), len(LOG_TAU)
    pos = r["pos"].to_numpy()
    k = r["k"].to_numpy()
    n = np.bincount(pos, minlength=n_p).astype(float)
    nk = np.zeros((n_p, 4))
    np.add.at(nk, (pos, k), 1.0)
    su = np.zeros((n_p, n_g, 4))
    su2 = np.zeros((n_p, n_g))
    a, b, logy = r["a"].to_numpy(), r["b"].to_numpy(), r["logy"].to_numpy()
    flat = pos * 4 + k
    # ramp_months with the parts that do not depend on tau taken out of the loop
    a0 = np.maximum(a, 0.0)
    neg_a0, span = -a0, np.maximum(b, a0) - a0
    for g, lt in enumerate(LOG_TAU):
        u = logy - np.log(_ramp(neg_a0, span, np.exp(lt)) / 12.0)
        su[:, g, :] = np.bincount(flat, weights=u, minlength=n_p * 4).reshape(n_p, 4)
        su2[:, g] = np.bincount(pos, weights=u * u, minlength=n_p)
    return GridStats(n=n, nk=nk, su=su, su2=su2)


def loglik_flat(stats: GridStats, ls: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Log likelihood of each project's data at each grid point, capacity
    integrated out under a flat prior; and the mean ``x̄`` (P, G)."""
    xbar, sse = stats.moments(ls)
    n = np.maximum(stats.n, 1)[:, None]
    s2 = sigma * sigma
    # in place: the same operations, one (projects, grid) array allocated
    ll = np.divide(sse, 2 * s2)
    np.subtract(-(n - 1) / 2.0 * np.log(2 * np.pi * s2), ll, out=ll)
    ll -= 0.5 * np.log(n)
    return ll, xbar


def _posterior_rows(logw: np.ndarray) -> np.ndarray:
    """Each row of log weights ``logw`` normalised to probabilities, in
    place (a log-sum-exp's temporaries on a large ledger cost more than its
    arithmetic)."""
    logw -= logw.max(axis=1, keepdims=True)
    w = np.exp(logw, out=logw)
    w /= w.sum(axis=1, keepdims=True)
    return w


def log_prior(mu: np.ndarray, sigma_tau: float) -> np.ndarray:
    """Normalised log weights of the grid under ``N(mu, sigma_tau^2)``: (len(mu), G)."""
    z = -0.5 * ((LOG_TAU[None, :] - np.asarray(mu)[:, None]) / sigma_tau) ** 2
    return z - logsumexp(z, axis=1, keepdims=True)


@dataclass
class RampFit:
    """Fitted hyperparameters of the ramp.

    ``mu`` (C,) log tau by category (NaN where a category has no ramp data; the
    pooled mean is used then), ``mu_cov`` covariance of (mu of fitted
    categories..., log sigma_tau, log sigma); ``fitted`` category codes with
    data; ``sigma_tau``, ``sigma`` (quarterly log noise), ``ls`` (4,) log
    seasonal factors and their covariance ``ls_cov``; ``n`` projects per category.
    """

    mu: np.ndarray
    mu_cov: np.ndarray
    fitted: np.ndarray
    sigma_tau: float
    sigma: float
    ls: np.ndarray
    ls_cov: np.ndarray
    n: np.ndarray
    kappa: float = LN10
    eta: float = 0.0
    n_link: int = 0
    window: np.ndarray = field(default_factory=lambda: np.array([]))

    def mu_of(self, cat: np.ndarray) -> np.ndarray:
        """log tau median for category codes (pooled mean where not fitted)."""
        pooled = np.nanmean(self.mu) if np.isfinite(self.mu).any() else np.log(12.0)
        m = np.where(np.isfinite(self.mu), self.mu, pooled)
        return m[np.asarray(cat)]

    def mu_se(self) -> np.ndarray:
        """Standard error of ``mu`` by category (pooled categories get the spread
        of the fitted ones added)."""
        se = np.full(len(self.mu), np.nan)
        d = np.sqrt(np.diag(self.mu_cov))[: len(self.fitted)]
        se[self.fitted] = d
        missing = ~np.isfinite(self.mu)
        if missing.any():
            spread = np.nanstd(self.mu) if np.isfinite(self.mu).sum() > 1 else 0.5
            se[missing] = np.sqrt(np.nanmean(d**2) + spread**2) if len(d) else 0.5
        return se


def fit_ramp(stats: GridStats, obs: Observations, iterations: int = 6,
             max_projects: int = 20_000, seed: int = 0) -> tuple[RampFit, np.ndarray]:
    """Maximise the marginal likelihood; returns the fit and each project's
    grid posterior (P, G) under the fitted prior (flat capacity prior).

    Hyperparameters are few and well determined, so a ledger with more than
    ``max_projects`` usable projects fits them on a random subset (seeded); the
    reported standard errors are rescaled to the full count.
    """
    info = obs.projects
    use = (stats.n >= 2) & ~info["truncated"].to_numpy()
    cats = info["category"].to_numpy()
    n_use = int(use.sum())
    if n_use > max_projects:
        keep = np.random.default_rng(seed).choice(np.flatnonzero(use), max_projects, replace=False)
        use = np.zeros_like(use)
        use[keep] = True
    fitted = np.unique(cats[use])
    # the projects fitted on, by category: posteriors are summed by category
    # in slices (no BLAS, whose sums change with its threads)
    rows = np.flatnonzero(use)
    rows = rows[np.argsort(cats[rows], kind="stable")]
    ci = np.searchsorted(fitted, cats[rows])
    nc = len(fitted)
    starts = np.searchsorted(ci, np.arange(nc))
    ls = np.zeros(4)
    sub = GridStats(stats.n[rows], stats.nk[rows], stats.su[rows], stats.su2[rows])
    theta = np.concatenate([np.full(nc, np.log(10.0)), [np.log(0.4), np.log(0.1)]])

    def make_objective(ls_: np.ndarray):
        _, sse = sub.moments(ls_)  # fixed while the hyperparameters move
        n = np.maximum(sub.n, 1)[:, None]
        half_df, log_n = (n - 1) / 2.0, -0.5 * np.log(n)
        total_df = float(np.sum(n - 1))
        ends = np.r_[starts[1:], ci.size]
        # (projects, grid) work arrays, reused: a fresh 10 MB array per step
        # (page faults) cost more than the arithmetic
        work, scaled = np.empty(sse.shape), np.empty(sse.shape)

        def objective(th: np.ndarray) -> tuple[float, np.ndarray]:
            """Negative log marginal likelihood and its gradient."""
            s2 = float(np.exp(2 * th[-1]))
            st = float(np.exp(th[-2]))
            z = (LOG_TAU[None, :] - th[:nc, None]) / st  # (C, G)
            lw = -0.5 * z * z
            lw = lw - logsumexp(lw, axis=1, keepdims=True)
            w = np.exp(lw)
            total = np.take(lw, ci, axis=0, out=work)
            total -= np.multiply(sse, 0.5 / s2, out=scaled)
            total += log_n - half_df * np.log(2 * np.pi * s2)
            # log-sum-exp by hand, keeping its exponentials for the posterior
            # (scipy's does both passes again: a third of the fit's time)
            top = total.max(axis=1, keepdims=True)
            total -= top
            post = np.exp(total, out=total)
            norm = post.sum(axis=1, keepdims=True)
            lse = top + np.log(norm)
            post /= norm
            # d/dmu_c, d/dlog sigma_tau of the normalised prior (through each
            # category's summed posterior); d/dlog sigma of the likelihood
            # (each posterior row sums to 1)
            by_cat = np.array([post[a:b].sum(axis=0) for a, b in zip(starts, ends)]).reshape(nc, -1)
            dz = (z - (w * z).sum(axis=1, keepdims=True)) / st
            dz2 = z * z - (w * z * z).sum(axis=1, keepdims=True)
            g_mu = (by_cat * dz).sum(axis=1)
            g_st = (by_cat * dz2).sum()
            g_s = -total_df + np.einsum("pg,pg->", post, sse) / s2
            return -float(lse.sum()), -np.concatenate([g_mu, [g_st, g_s]])
        return objective

    bounds = [(np.log(0.5), np.log(150.0))] * nc + [(np.log(0.01), np.log(3.0)), (np.log(1e-3), np.log(5.0))]
    for _ in range(iterations):
        res = optimize.minimize(make_objective(ls), theta, jac=True, method="L-BFGS-B", bounds=bounds)
        theta = res.x
        ll, _ = loglik_flat(sub, ls, float(np.exp(theta[-1])))
        ll += log_prior(theta[:nc], float(np.exp(theta[-2])))[ci]
        post = _posterior_rows(ll)
        new_ls, ls_cov = _seasonal_step(sub, post, float(np.exp(theta[-1])))
        done = np.max(np.abs(new_ls - ls)) < 1e-4
        ls = new_ls
        if done:
            break
    cov = _inverse_hessian(make_objective(ls), theta) * (use.sum() / n_use)
    mu = np.full(len(CATEGORIES), np.nan)
    mu[fitted] = theta[:nc]
    n = np.bincount(cats[(stats.n >= 2) & ~info["truncated"].to_numpy()], minlength=len(CATEGORIES))
    fit = RampFit(mu=mu, mu_cov=cov, fitted=fitted, sigma_tau=float(np.exp(theta[-2])),
                  sigma=float(np.exp(theta[-1])), ls=ls, ls_cov=ls_cov * (use.sum() / n_use), n=n)
    return fit, posterior(fit, stats, cats)


def _seasonal_step(stats: GridStats, post: np.ndarray, sigma: float) -> tuple[np.ndarray, np.ndarray]:
    """Seasonal factors minimising the posterior-expected SSE (a quadratic in ls)."""
    n = np.maximum(stats.n, 1)
    sbar = np.einsum("pg,pgk->pk", post, stats.su)
    a = np.diag(stats.nk.sum(axis=0)) - (stats.nk.T / n) @ stats.nk
    rhs = (sbar - sbar.sum(axis=1, keepdims=True) * stats.nk / n[:, None]).sum(axis=0)
    pinv = np.linalg.pinv(a)
    ls = pinv @ rhs
    # the level of ls is not identified (capacity absorbs it): pin the factors' mean to 1
    ls = ls - np.log(np.mean(np.exp(ls)))
    return ls, sigma * sigma * pinv


def _inverse_hessian(objective, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Covariance from the central-difference Jacobian of the gradient of a
    negative log likelihood (``objective`` returns value and gradient)."""
    k = len(x)
    hess = np.empty((k, k))
    for j in range(k):
        e = np.eye(k)[j] * h
        hess[:, j] = (objective(x + e)[1] - objective(x - e)[1]) / (2 * h)
    hess = (hess + hess.T) / 2.0
    try:
        return np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(hess)


def posterior(fit: RampFit, stats: GridStats, cats: np.ndarray) -> np.ndarray:
    """Grid posterior of each project's log tau (flat capacity prior): (P, G)."""
    ll, _ = loglik_flat(stats, fit.ls, fit.sigma)
    # the prior depends on the category only: one row per category, gathered
    codes, inverse = np.unique(cats, return_inverse=True)
    ll += log_prior(fit.mu_of(codes), fit.sigma_tau)[inverse.reshape(-1)]
    return _posterior_rows(ll)


def fit_link(fit: RampFit, post: np.ndarray, obs: Observations) -> RampFit:
    """Estimate the 达产 link ``log D = log kappa + log tau + eta`` and the
    reporting window after 达产; returns ``fit`` updated."""
    info = obs.projects
    d = info["full"].to_numpy()
    m = (post * LOG_TAU).sum(axis=1)
    v = (post * LOG_TAU**2).sum(axis=1) - m**2
    has = np.isfinite(d) & (d > 0) & (post.max(axis=1) < 1.0 - 1e-9) & ~info["truncated"].to_numpy()
    sharp = has & (np.sqrt(np.maximum(v, 0)) < 0.2)
    use = sharp if sharp.sum() >= 5 else has
    if use.sum() >= 2:
        r = np.log(d[use]) - m[use]
        fit.kappa = float(np.exp(r.mean()))
        fit.eta = float(np.sqrt(max(r.var(ddof=1) - v[use].mean(), 0.0)))
        fit.n_link = int(use.sum())
    # reporting window: months from 达产 to the middle of the last reported period.
    # That middle is the stop time plus a uniform error over the period, so the
    # spread of the window itself is the measured spread less the period's
    # variance (length^2 / 12): shrink the values towards their median.
    stopped = info["stopped"].to_numpy() & np.isfinite(d)
    w = info["last_output"].to_numpy()[stopped] - d[stopped]
    if len(w) > 1:
        span = info["last_span"].to_numpy()[stopped]
        var = w.var()
        keep = np.sqrt(max(var - np.mean(span**2) / 12.0, 0.0) / var) if var > 0 else 0.0
        w = np.median(w) + (w - np.median(w)) * keep
    fit.window = np.sort(w)
    return fit
