"""The censored mixture of competing outcomes: its data, parameters, likelihood and fit.

See :mod:`forecast.models.survival` for the model. The likelihood is maximised
with L-BFGS on analytic gradients; the covariance is the inverse of a
finite-difference Hessian of the gradient.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from scipy.optimize import minimize
from scipy.special import log_ndtr, ndtr

from ...exceptions import ForecastError
from ...periods import DAYS_PER_MONTH
from .clock import exposure, speeds


_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)
#: Shortest duration used in logs (half a day): same-day transitions exist.
MIN_MONTHS = 0.5 / DAYS_PER_MONTH


@dataclass
class MixtureData:
    """Rows of one transition: entry clock, observed time, status and designs.

    ``status`` is 0 (censored at ``t``), 1 (advanced at ``t``) or 2 (cancelled
    at ``t``). ``plan`` is the planned duration in months (NaN = unknown).
    ``a`` is the delayed entry (left truncation), see below.
    ``off_a`` and ``off_p`` are offsets (zone effects) on the advance location
    and on the cancel logit.
    """

    x0: np.ndarray
    t: np.ndarray
    status: np.ndarray
    Xa: np.ndarray
    Za: np.ndarray
    Xp: np.ndarray
    Xc: np.ndarray
    Xb: np.ndarray | None = None
    plan: np.ndarray | None = None
    off_a: np.ndarray | None = None
    off_p: np.ndarray | None = None
    #: Delayed entry: months after stage entry from which the row was under
    #: observation (a ledger that starts in 2015 lists an older project only
    #: because it was still waiting then). 0 = observed from entry.
    a: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.t)
        self.t = np.maximum(np.asarray(self.t, dtype="float64"), MIN_MONTHS)
        if self.a is None:
            self.a = np.zeros(n)
        if self.off_a is None:
            self.off_a = np.zeros(n)
        if self.off_p is None:
            self.off_p = np.zeros(n)
        if self.plan is None:
            self.plan = np.full(n, np.nan)

    def subset(self, idx: np.ndarray) -> "MixtureData":
        """Rows ``idx`` only."""
        take = lambda a: None if a is None else a[idx]  # noqa: E731
        return MixtureData(*(take(getattr(self, f)) for f in MixtureData.__dataclass_fields__))


@dataclass(frozen=True)
class MixtureSpec:
    """Which parts the mixture has.

    ``cancel_observed`` False means the alternative outcome is *never*
    advancing (no event date ever): its time has no distribution.
    """

    cancel_observed: bool = True
    warp_advance: bool = True
    warp_cancel: bool = False
    bunching: bool = False
    prior_sd: float = 5.0
    warp_prior_sd: float = 1.0


@dataclass
class MixtureFit:
    """A fitted mixture: parameter vector, covariance, layout of blocks."""

    spec: MixtureSpec
    params: np.ndarray
    cov: np.ndarray
    layout: dict[str, slice]
    loglik: float
    n: int
    converged: bool
    message: str = ""
    extra: dict = field(default_factory=dict)

    def block(self, name: str, par: np.ndarray | None = None) -> np.ndarray:
        """One parameter block (last axis) of ``par`` (default: the estimate)."""
        par = self.params if par is None else par
        return par[..., self.layout[name]]

    def draw(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """Parameter vectors from the asymptotic normal: ``(size, p)``.

        The square root of ``cov`` (by eigendecomposition, which tolerates the
        zero directions of a pseudo-inverse) is computed once per covariance,
        not on every call: the simulator draws once per zone and transition."""
        cached = getattr(self, "_root", None)
        if cached is None or cached[0] is not self.cov:
            w, V = np.linalg.eigh(self.cov)
            cached = (self.cov, V * np.sqrt(np.maximum(w, 0.0)))
            self._root = cached
        return self.params + rng.standard_normal((size, self.params.size)) @ cached[1].T


def _layout(d: MixtureData, spec: MixtureSpec) -> tuple[dict[str, slice], np.ndarray]:
    sizes = [("ba", d.Xa.shape[1]), ("ga", d.Za.shape[1]), ("ta", 12 if spec.warp_advance else 0),
             ("bp", d.Xp.shape[1])]
    if spec.cancel_observed:
        sizes += [("bc", d.Xc.shape[1]), ("gc", 1), ("tc", 12 if spec.warp_cancel else 0)]
    if spec.bunching:
        sizes += [("bb", d.Xb.shape[1])]
    layout, prec, i = {}, [], 0
    for name, k in sizes:
        layout[name] = slice(i, i + k)
        sd = spec.warp_prior_sd if name in ("ta", "tc") else spec.prior_sd
        prec.append(np.full(k, 1.0 / sd**2))
        i += k
    return layout, np.concatenate(prec)


# --- log-normal pieces -------------------------------------------------------------
def _ln_surv(logu: np.ndarray, mu: np.ndarray, logsig: np.ndarray):
    """log S(u) of a log-normal and its derivatives wrt mu, log sigma, log u."""
    sig = np.exp(logsig)
    z = (logu - mu) / sig
    logS = log_ndtr(-z)
    lam = np.exp(-0.5 * z * z - _LOG_SQRT_2PI - logS)  # inverse Mills ratio, stable in the tail
    return logS, lam / sig, lam * z, {"t": -lam / sig}


def _ln_interval(lo: np.ndarray, hi: np.ndarray, mu: np.ndarray, logsig: np.ndarray):
    """log P(lo < log U <= hi) of a log-normal (``lo``/``hi`` are log op-times)
    and its derivatives wrt mu, log sigma, ``lo`` and ``hi``."""
    sig = np.exp(logsig)
    z0, z1 = (lo - mu) / sig, (hi - mu) / sig
    # Difference taken in the tail that keeps precision: upper tail when the
    # interval lies above the median (sgn = -1), lower tail otherwise.
    sgn = np.where(z0 > 0, -1.0, 1.0)
    P = sgn * (ndtr(sgn * z1) - ndtr(sgn * z0))
    phi0 = np.exp(-0.5 * z0 * z0 - _LOG_SQRT_2PI)
    phi1 = np.exp(-0.5 * z1 * z1 - _LOG_SQRT_2PI)
    ok = P > 1e-250
    Ps = np.where(ok, P, 1.0)
    logc = np.log(Ps)
    d_mu = (phi0 - phi1) / (sig * Ps)
    d_ls = (phi0 * z0 - phi1 * z1) / Ps
    d_lo, d_hi = -phi0 / (sig * Ps), phi1 / (sig * Ps)
    if not ok.all():
        # Far in a tail the month is a sliver of the distribution: density at
        # its middle times its width.
        zm, w = 0.5 * (z0 + z1), np.maximum(z1 - z0, 1e-300)
        logc = np.where(ok, logc, -0.5 * zm * zm - _LOG_SQRT_2PI + np.log(w))
        d_mu = np.where(ok, d_mu, zm / sig)
        d_ls = np.where(ok, d_ls, zm * zm - 1.0)
        d_lo = np.where(ok, d_lo, -zm / (2 * sig) - 1.0 / (w * sig))
        d_hi = np.where(ok, d_hi, -zm / (2 * sig) + 1.0 / (w * sig))
    return logc, d_mu, d_ls, {"lo": d_lo, "hi": d_hi}


def _sigmoid_logs(eta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(sigmoid(eta)), log(1 - sigmoid(eta))."""
    with np.errstate(invalid="ignore"):
        lp = -np.logaddexp(0.0, -eta)
        return lp, np.where(np.isneginf(eta), 0.0, lp - eta)


def _log_sum(comps: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """log of the sum of exp(components) per row, and each component's share
    (0 where every component is -inf)."""
    if len(comps) == 2:
        # Two components (all but the bunching mixture): the larger is exp(0)
        # = 1, so one exp per row; the same numbers as the general case.
        a, b = comps
        first = a >= b
        top, low = np.where(first, a, b), np.where(first, b, a)
        none = np.isneginf(top)
        with np.errstate(invalid="ignore"):
            e = np.exp(low - top)
        tot = 1.0 + e
        ll = top + np.log(tot)
        ra, rb = np.where(first, 1.0, e) / tot, np.where(first, e, 1.0) / tot
        if none.any():
            ll[none], ra[none], rb[none] = -np.inf, 0.0, 0.0
        return ll, [ra, rb]
    Cm = np.vstack(comps)
    top = Cm.max(axis=0)
    top = np.where(np.isfinite(top), top, 0.0)
    with np.errstate(invalid="ignore", over="ignore"):
        e = np.exp(Cm - top)  # -inf components give exactly 0
        tot = e.sum(axis=0)
        return top + np.log(tot), list(np.nan_to_num(e / tot))


class _Objective:
    """Negative penalised log-likelihood and its gradient (mean per row).

    Event dates count as known to the calendar month: an event row contributes
    the probability of its month (ledgers often write the 1st or the last day
    of the month, and 集中开工 ceremonies move starts within a month; the exact
    day would be read as seasonality). Censored rows contribute survival.
    """

    def __init__(self, d: MixtureData, spec: MixtureSpec, layout: dict[str, slice], prec: np.ndarray):
        self.d, self.spec, self.L, self.prec = d, spec, layout, prec
        self._memo: dict[str, tuple[bytes, np.ndarray | None, dict]] = {}
        self.n = len(d.t)
        self.ev_a, self.ev_c = d.status == 1, d.status == 2
        self.cidx, self.eidx = np.flatnonzero(d.status == 0), np.flatnonzero(d.status > 0)
        x0 = d.x0
        month = np.floor(x0[self.eidx] + d.t[self.eidx])
        self.t = {"t": d.t[self.cidx],
                  "lo": np.maximum(month - x0[self.eidx], 0.0),
                  "hi": month + 1.0 - x0[self.eidx]}
        self.E = {"t": exposure(x0[self.cidx], x0[self.cidx] + self.t["t"]),
                  "lo": exposure(x0[self.eidx], month.clip(min=x0[self.eidx])),
                  "hi": exposure(x0[self.eidx], month + 1.0)}
        self.has_plan = np.isfinite(d.plan)
        self.trunc, self.trunc_rows = None, np.flatnonzero(d.a > 0)
        if self.trunc_rows.size:
            dt = d.subset(self.trunc_rows)
            dt.t, dt.status, dt.a = d.a[self.trunc_rows], np.zeros(self.trunc_rows.size, int), None
            dt.__post_init__()
            self.trunc = _Objective(dt, spec, layout, prec)
        if spec.bunching:
            # Point mass at the planned date: possible for an event in the
            # planned month, or a row still waiting before the planned date.
            lb = np.full(self.n, -np.inf)
            plan = d.plan
            with np.errstate(invalid="ignore"):
                pm = np.floor(x0 + plan)
                e = self.eidx
                lb[e] = np.where(self.ev_a[e] & (pm[e] == month), 0.0, -np.inf)
                c = self.cidx
                lb[c] = np.where(plan[c] > d.t[c], 0.0, -np.inf)
            lb[~self.has_plan] = -np.inf
            self.logC_b = lb

    def _logu(self, theta: np.ndarray | None) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """Speeds and log operational times at t (censored), lo and hi (events)."""
        if theta is None or theta.size == 0:
            return None, {k: np.log(np.maximum(v, 1e-12)) for k, v in self.t.items()}
        s = speeds(theta)
        return s, {k: np.log(np.maximum(E @ s, 1e-12)) for k, E in self.E.items()}

    def _component(self, theta, mu, logsig) -> dict:
        """log-probability of each row under one log-normal component."""
        s, lu = self._logu(theta)
        logc, d_mu, d_ls = np.empty(self.n), np.empty(self.n), np.empty(self.n)
        c, e = self.cidx, self.eidx
        ls_c = logsig[c] if np.ndim(logsig) else logsig
        ls_e = logsig[e] if np.ndim(logsig) else logsig
        logc[c], d_mu[c], d_ls[c], du_c = _ln_surv(lu["t"], mu[c], ls_c)
        logc[e], d_mu[e], d_ls[e], du_e = _ln_interval(lu["lo"], lu["hi"], mu[e], ls_e)
        return {"s": s, "lu": lu, "logc": logc, "d_mu": d_mu, "d_ls": d_ls, "du": {**du_c, **du_e}}

    def _cached(self, name: str, par: np.ndarray, blocks: tuple[str, ...], off: np.ndarray | None,
                make: Callable[[], dict]) -> dict:
        """Component ``name`` from ``make()``, or as last computed when its
        parameter ``blocks`` (and offset ``off``) are bitwise the same: a
        finite-difference covariance moves one parameter at a time, so each
        step leaves the other component (and, for the cancel logit, both) as
        they were; a Newton step on one offset leaves the other component."""
        key = b"".join(par[self.L[b]].tobytes() for b in blocks)
        last = self._memo.get(name)
        if last is not None and last[0] == key and (off is None or np.array_equal(last[1], off)):
            return last[2]
        value = make()
        self._memo[name] = (key, None if off is None else off.copy(), value)
        return value

    def _terms(self, par: np.ndarray) -> dict:
        """Per-row log-likelihood, responsibilities and component derivatives."""
        d, L, spec = self.d, self.L, self.spec
        T: dict = {}
        A = self._cached("A", par, ("ta", "ba", "ga"), d.off_a,
                         lambda: self._component(par[L["ta"]], d.Xa @ par[L["ba"]] + d.off_a, d.Za @ par[L["ga"]]))
        T["A"] = A
        lc_a = np.where(self.ev_c, -np.inf, A["logc"])
        lpi, l1pi = _sigmoid_logs(d.Xp @ par[L["bp"]] + d.off_p)
        T["pi"] = np.exp(lpi)
        l1rho = 0.0
        if spec.bunching:
            eta_b = np.where(self.has_plan, d.Xb @ par[L["bb"]], -np.inf)
            lrho, l1rho = _sigmoid_logs(eta_b)
            l1rho = np.where(self.has_plan, l1rho, 0.0)
            T["rho"] = np.exp(lrho)
        comps = [l1pi + l1rho + lc_a if spec.bunching else l1pi + lc_a]
        if spec.cancel_observed:
            C = self._cached("C", par, ("tc", "bc", "gc"), None,
                             lambda: self._component(par[L["tc"]], d.Xc @ par[L["bc"]], par[L["gc"]][0]))
            T["C"] = C
            comps.append(lpi + np.where(self.ev_a, -np.inf, C["logc"]))
        else:  # "never": survives for ever
            comps.append(np.where(self.ev_a, -np.inf, lpi))
        if spec.bunching:
            comps.append(l1pi + lrho + self.logC_b)
        T["ll"], T["r"] = _log_sum(comps)
        return T

    def loglik(self, par: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per-row log-likelihood and the gradient of its sum (no prior)."""
        d, L, spec = self.d, self.L, self.spec
        T = self._terms(par)
        r_a, r_c = T["r"][0], T["r"][1]
        g = np.zeros_like(par)
        A = T["A"]
        g[L["ba"]] = d.Xa.T @ (r_a * A["d_mu"])
        g[L["ga"]] = d.Za.T @ (r_a * A["d_ls"])
        if A["s"] is not None:
            g[L["ta"]] = self._warp_grad(A, r_a)
        g[L["bp"]] = d.Xp.T @ (r_c - T["pi"])
        if spec.cancel_observed:
            C = T["C"]
            g[L["bc"]] = d.Xc.T @ (r_c * C["d_mu"])
            g[L["gc"]] = np.array([np.sum(r_c * C["d_ls"])])
            if C["s"] is not None:
                g[L["tc"]] = self._warp_grad(C, r_c)
        if spec.bunching:
            rho, r_b = T["rho"], T["r"][2]
            g[L["bb"]] = d.Xb.T @ np.where(self.has_plan, r_b * (1 - rho) - r_a * rho, 0.0)
        ll = T["ll"]
        if self.trunc is not None:
            # Left truncation: condition on surviving in the stage until a.
            ll_t, g_t = self.trunc.loglik(par)
            ll = ll.copy()
            ll[self.trunc_rows] -= ll_t
            g = g - g_t
        return ll, g

    def __call__(self, par: np.ndarray) -> tuple[float, np.ndarray]:
        ll, g = self.loglik(par)
        pen = 0.5 * np.sum(self.prec * par * par)
        return -(ll.sum() - pen) / self.n, -(g - self.prec * par) / self.n

    def _warp_grad(self, comp: dict, r: np.ndarray) -> np.ndarray:
        # u = E @ s with s = 12 softmax(theta): d log u / d theta_j = s_j E_j / u - s_j / 12.
        s, out, total = comp["s"], np.zeros(12), 0.0
        rows = {"t": self.cidx, "lo": self.eidx, "hi": self.eidx}
        for key, E in self.E.items():
            w = r[rows[key]] * comp["du"][key]
            out += E.T @ (w / np.exp(comp["lu"][key]))
            total += w.sum()
        return s * out - s / 12.0 * total


def _initial(d: MixtureData, spec: MixtureSpec, layout: dict[str, slice], p: int) -> np.ndarray:
    par = np.zeros(p)
    ev = d.status == 1
    lt = np.log(d.t)
    if ev.sum() > d.Xa.shape[1]:
        par[layout["ba"]] = np.linalg.lstsq(d.Xa[ev], lt[ev] - d.off_a[ev], rcond=None)[0]
        resid = lt[ev] - d.Xa[ev] @ par[layout["ba"]]
        par[layout["ga"]] = np.linalg.lstsq(d.Za[ev], np.full(ev.sum(), np.log(resid.std() + 0.05)), rcond=None)[0]
    ended = d.status > 0
    share = (np.sum(d.status == 2) + 0.5) / (ended.sum() + 1.0)
    if not spec.cancel_observed:
        share = 0.2
    par[layout["bp"]] = np.linalg.lstsq(d.Xp, np.full(len(d.t), np.log(share / (1 - share))), rcond=None)[0]
    if spec.cancel_observed:
        cc = d.status == 2
        target = lt[cc].mean() if cc.any() else np.log(np.median(d.t) + 1)
        par[layout["bc"]] = np.linalg.lstsq(d.Xc, np.full(len(d.t), target), rcond=None)[0]
        par[layout["gc"]] = np.log(lt[cc].std() + 0.1) if cc.sum() > 2 else 0.0
    if spec.bunching:
        par[layout["bb"]] = np.linalg.lstsq(d.Xb, np.full(len(d.t), -2.0), rcond=None)[0]
    return par


def fit_mixture(d: MixtureData, spec: MixtureSpec, init: np.ndarray | None = None,
                maxiter: int = 1000, hessian: bool = True) -> MixtureFit:
    """Maximum (penalised) likelihood fit of the mixture; see the module docstring.

    ``hessian=False`` skips the covariance (a zero matrix), for inner loops.
    """
    if len(d.t) == 0:
        raise ForecastError("No rows to fit a transition on.")
    layout, prec = _layout(d, spec)
    p = int(prec.size)
    obj = _Objective(d, spec, layout, prec)
    x0 = _initial(d, spec, layout, p) if init is None else init
    res = minimize(obj, x0, jac=True, method="L-BFGS-B",
                   # The objective is a mean over rows: a relative change of 1e-9
                   # moves the parameters by well under a tenth of a standard error.
                   options={"maxiter": maxiter, "gtol": 1e-6, "ftol": 1e-9, "maxcor": 20})
    cov = _covariance(obj, res.x) if hessian else np.zeros((p, p))
    return MixtureFit(spec, res.x, cov, layout, -res.fun * obj.n, obj.n, bool(res.success),
                      str(res.message))


def covariance(d: MixtureData, spec: MixtureSpec, params: np.ndarray) -> np.ndarray:
    """Asymptotic covariance of ``params`` on rows ``d``."""
    layout, prec = _layout(d, spec)
    return _covariance(_Objective(d, spec, layout, prec), params)


def _covariance(obj: _Objective, par: np.ndarray) -> np.ndarray:
    """Inverse of the finite-difference Hessian of the total penalised loglik."""
    p = par.size
    H = np.zeros((p, p))
    for j in range(p):
        h = 1e-5 * max(1.0, abs(par[j]))
        e = np.zeros(p)
        e[j] = h
        H[:, j] = (obj(par + e)[1] - obj(par - e)[1]) / (2 * h)
    H = 0.5 * (H + H.T) * obj.n
    # Warp parameters are identified only up to a constant (the prior pins it):
    # a pseudo-inverse on the eigenvalues keeps the covariance finite either way.
    w, V = np.linalg.eigh(H)
    w = np.where(w > 1e-8 * max(w.max(), 1.0), w, np.inf)
    return (V / w) @ V.T


class OffsetScores:
    """Per-row score and (BHHH) information of an additive offset on the
    advance location (``which="a"``) or on the cancel logit (``"p"``) of rows
    ``d`` at the fit, for any value of the offsets: the likelihood's fixed
    parts (exposures, truncation rows) are built once, so Newton steps on an
    offset cost two likelihood evaluations each."""

    def __init__(self, fit: MixtureFit, d: MixtureData, which: str) -> None:
        layout, prec = _layout(d, fit.spec)
        self.fit, self.d, self.attr = fit, d, "off_a" if which == "a" else "off_p"
        self.obj = _Objective(d, fit.spec, layout, prec)

    def __call__(self, off: np.ndarray, h: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
        """Score and information per row with the offsets at ``off``; ``d``'s
        own offsets are left as they were."""
        obj, base = self.obj, getattr(self.d, self.attr)
        ll = []
        for step in (h, -h):
            setattr(obj.d, self.attr, off + step)
            if obj.trunc is not None:
                setattr(obj.trunc.d, self.attr, off[obj.trunc_rows] + step)
            ll.append(obj.loglik(self.fit.params)[0])
        setattr(self.d, self.attr, base)
        score = (ll[0] - ll[1]) / (2 * h)
        return score, score * score


def row_gradients(fit: MixtureFit, d: MixtureData, which: str) -> tuple[np.ndarray, np.ndarray]:
    """Per-row score and (BHHH) information of an additive offset on the advance
    location (``which="a"``) or on the cancel logit (``which="p"``), at the fit
    and ``d``'s own offsets.

    Used for empirical-Bayes zone effects: summing them by zone gives each
    zone's one-step estimate and its variance without refitting.
    """
    return OffsetScores(fit, d, which)(getattr(d, "off_a" if which == "a" else "off_p"))
