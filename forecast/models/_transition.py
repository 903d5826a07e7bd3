"""One fitted stage transition: the mixture fit, shrunk zone effects, and the
check against the non-parametric Aalen-Johansen estimate.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..vocab import CANCELLABLE_STAGES, CATEGORIES, TRANSITIONS
from ._stages import FROM_STAGES, PLANNED, design
from .nonparametric import AJCurve, aalen_johansen
from .survival import (Components, MixtureData, MixtureFit, MixtureSpec, OffsetScores,
                       components, conditional_cif, covariance, fit_mixture)

#: Fewest advances a transition needs to be fitted at all.
MIN_EVENTS = 5
#: Fisher information a zone needs to enter the between-zone variance estimate.
_MIN_ZONE_INFO = 4.0
#: Largest zone standard deviation believed (log-time or logit scale).
_MAX_ZONE_SD = 1.5
#: Largest raw zone effect taken from the Newton steps (log-time or logit).
_MAX_STEP = 2.0


@dataclass
class ZoneEffects:
    """Empirical-Bayes zone effects on one linear predictor.

    ``mean``/``var`` are per zone code (posterior mean and variance); ``tau2``
    is the between-zone variance (a zone the fit never saw gets N(0, tau2)).
    """

    mean: np.ndarray
    var: np.ndarray
    tau2: float

    def draw(self, size: int, rng: np.random.Generator) -> np.ndarray:
        """``(size, zones + 1)``; the last column is an unseen zone."""
        m = np.append(self.mean, 0.0)
        v = np.append(self.var, self.tau2)
        return m + np.sqrt(v) * rng.standard_normal((size, m.size))

    def offsets(self, zone: np.ndarray) -> np.ndarray:
        """Posterior means for zone codes (``-1`` = unseen, effect 0)."""
        return np.where(zone >= 0, self.mean[np.maximum(zone, 0)], 0.0)


def zone_effects(fit: MixtureFit, d: MixtureData, zone: np.ndarray, n_zones: int,
                 which: str, steps: int = 1) -> ZoneEffects:
    """Empirical-Bayes zone effects on the advance location (``which="a"``) or
    the cancel logit (``"p"``), at the pooled fit.

    Scales to thousands of zones: only per-row scores (BHHH information),
    summed with ``bincount``. Each zone's raw effect (``steps`` Newton steps
    from zero: one step, ``S / I``, stops short of a large effect because the
    outer-product information grows with it) is shrunk towards the
    random-effects mean, which weights zones by ``1 / (tau2 + 1 / I)`` —
    nearly equally once zones are well measured — so that the refit intercept
    describes the population of zones rather than a few large ones. ``tau2``
    is a moment estimate over zones with enough information.
    """
    return zone_offsets(fit, d, zone, n_zones, which, steps)[0]


def zone_offsets(fit: MixtureFit, d: MixtureData, zone: np.ndarray, n_zones: int, which: str,
                 steps: int) -> tuple[ZoneEffects, float]:
    """:func:`zone_effects` and the random-effects mean ``c`` its effects are
    deviations from (the offsets of ``d`` are left as they were)."""
    attr = "off_a" if which == "a" else "off_p"
    base = getattr(d, attr)
    cnt = np.bincount(zone, minlength=n_zones)
    own, I0, move = np.zeros(n_zones), None, None
    scores = OffsetScores(fit, d, which)
    for _ in range(steps):
        score, info = scores(base + own[zone])
        S = np.bincount(zone, score, minlength=n_zones)
        I = np.bincount(zone, info, minlength=n_zones)
        if I0 is None:
            # The information at zero is the effect's variance below: at a
            # large effect the outer product of scores overstates it. Zones
            # too thin to enter the spread estimate, or with under three
            # advances (none: the maximum is at infinitely slow), are not
            # stepped further.
            adv = np.bincount(zone, d.status == 1, minlength=n_zones)
            I0, move = I, (cnt >= 5) & (I >= _MIN_ZONE_INFO) & (adv >= 3)
            own = np.where(I > 0, S / np.maximum(I, 1e-300), 0.0)
        else:
            step = np.where(move & (I > 0), S / np.maximum(I, 1e-300), 0.0)
            own = np.clip(own + np.clip(step, -1.0, 1.0), -_MAX_STEP, _MAX_STEP)
    setattr(d, attr, base)
    return shrink_zones(own * I0, I0, cnt)


def shrink_zones(S: np.ndarray, I: np.ndarray, cnt: np.ndarray) -> tuple[ZoneEffects, float]:
    """Empirical-Bayes zone effects from per-zone score ``S`` and information
    ``I`` (raw effect ``S / I``, variance ``1 / I``) over ``cnt`` rows, and the
    random-effects mean ``c`` the effects are deviations from (``0.0`` with
    no spread)."""
    n_zones = S.size
    # Zones whose rows carry real information on the effect (for a share near
    # 0 or 1 they carry almost none, and S / I is wild).
    ok = (cnt >= 5) & (I >= _MIN_ZONE_INFO)
    none = ZoneEffects(np.zeros(n_zones), np.zeros(n_zones), 0.0)
    if ok.sum() < 3:
        return none, 0.0
    raw, v = S[ok] / I[ok], 1.0 / I[ok]
    w = 1.0 / v
    c = 0.0
    for _ in range(20):  # moment estimate of tau2 and the weighted mean, jointly
        tau2 = float(np.clip(np.sum(w * ((raw - c) ** 2 - v)) / w.sum(), 0.0, _MAX_ZONE_SD**2))
        w = 1.0 / (tau2 + v)
        c = float(np.sum(w * raw) / w.sum())
    if tau2 <= 1e-6:
        return none, 0.0
    u = np.where(I > 0, tau2 * (S - c * I) / (tau2 * I + 1.0), 0.0)
    return ZoneEffects(u, tau2 / (tau2 * I + 1.0), tau2), c


@dataclass
class TransitionFit:
    """Everything fitted for transition ``k``."""

    k: int
    fit: MixtureFit | None
    zone_a: ZoneEffects
    zone_p: ZoneEffects
    n_rows: int
    n_events: int
    n_cancel: int
    #: category -> "parametric" | "nonparametric" | "none" (no events seen)
    method: dict[str, str] = field(default_factory=dict)
    #: category -> sup |CIF_model - CIF_AJ| over the observed range
    gap: dict[str, float] = field(default_factory=dict)
    tolerance: dict[str, float] = field(default_factory=dict)
    aj: dict[str, AJCurve] = field(default_factory=dict)
    #: recent pace (:mod:`._pace`), already added to ``zone_a``; None = not measured
    pace: Any = None
    #: what the ledger's own last quarters chose (:mod:`._pace_choice`); None = not checked
    choice: Any = None

    @property
    def name(self) -> str:
        a, b = TRANSITIONS[self.k]
        return f"{a}→{b}"

    def design(self, codes, lsize, x0, plan, centres, zone, zone_a=None, zone_p=None) -> MixtureData:
        """Design for prediction with zone offsets (posterior means by default)."""
        d = design(self.k, codes, lsize, x0, plan, centres)
        d.off_a = self.zone_a.offsets(zone) if zone_a is None else zone_a
        d.off_p = self.zone_p.offsets(zone) if zone_p is None else zone_p
        return d


def spec_for(k: int, bunching: bool, seasonality: bool) -> MixtureSpec:
    """The mixture each transition uses."""
    return MixtureSpec(
        cancel_observed=FROM_STAGES[k] in CANCELLABLE_STAGES,
        warp_advance=seasonality,
        warp_cancel=False,
        bunching=bunching and TRANSITIONS[k] == PLANNED,
    )


def fit_transition(k: int, d: MixtureData, codes: np.ndarray, zone: np.ndarray, n_zones: int,
                   spec: MixtureSpec, *, zone_effects_on: bool, max_rows: int,
                   hessian_rows: int, tolerance: float, rng: np.random.Generator) -> TransitionFit:
    """Fit transition ``k`` on rows ``d`` (with category ``codes`` and ``zone``)."""
    n = len(d.t)
    n_ev, n_c = int(np.sum(d.status == 1)), int(np.sum(d.status == 2))
    none = ZoneEffects(np.zeros(n_zones), np.zeros(n_zones), 0.0)
    if n_ev < MIN_EVENTS:
        return TransitionFit(k, None, none, none, n, n_ev, n_c,
                             method={c: "none" for c in CATEGORIES})
    # Large ledgers: the fixed effects are fitted on a random subset (the
    # likelihood is a sum over projects, so a subset is unbiased), zone effects
    # on every row (their scores cost one pass).
    sub = np.sort(rng.choice(n, max_rows, replace=False)) if n > max_rows else np.arange(n)
    ds = d.subset(sub)
    fit = fit_mixture(ds, spec, hessian=False)
    za, zp = none, none
    if zone_effects_on:
        # One penalised Newton step for the zone effects at the pooled fit,
        # then the fixed effects again given them (warm start).
        za = zone_effects(fit, d, zone, n_zones, "a")
        zp = zone_effects(fit, d, zone, n_zones, "p")
        d.off_a, d.off_p = za.offsets(zone), zp.offsets(zone)
        ds = d.subset(sub)
        fit = fit_mixture(ds, spec, init=fit.params, hessian=False)
    # The covariance from a subset of at most ``hessian_rows`` rows, scaled to
    # the rows the fit used (information is additive over rows).
    hs = np.arange(len(ds.t)) if len(ds.t) <= hessian_rows else np.sort(
        rng.choice(len(ds.t), hessian_rows, replace=False))
    fit.cov = covariance(ds.subset(hs), spec, fit.params) * len(hs) / len(ds.t)
    for block in ("ta", "tc"):
        shrink_warp(fit, block)
    tf = TransitionFit(k, fit, za, zp, n, n_ev, n_c)
    _check(tf, d, codes, tolerance, rng)
    _warn_fallbacks(tf)
    return tf


def shrink_warp(fit: MixtureFit, block: str = "ta") -> float:
    """Shrink the monthly speeds of the seasonal warp toward flat by empirical
    Bayes; returns the between-month variance ``tau2`` kept (0 = flat).

    Each month's centred log speed has a sampling variance ``v_m`` (from the
    fit's covariance); the spread of the twelve beyond that is the calendar's
    signal ``tau2``. Each month moves toward flat by ``v_m / (tau2 + v_m)``, so
    a ledger with few events, or none that favour a month, gets flat speeds
    while a clear calendar (closings at the ends of June and December) stays.
    The covariance of the block is scaled alike.
    """
    sl = fit.layout.get(block)
    if sl is None or sl.stop - sl.start != 12:
        return 0.0
    P = np.eye(12) - 1.0 / 12.0  # centring: speeds are identified up to a constant
    theta = P @ fit.params[sl]
    v = np.maximum(np.diag(P @ fit.cov[sl, sl] @ P), 0.0)
    tau2 = max(float(np.sum(theta**2) / 11.0 - v.mean()), 0.0)
    f = tau2 / (tau2 + v) if tau2 > 0 else np.zeros(12)
    fit.params[sl] = theta * f
    scale = np.ones(fit.params.size)
    scale[sl] = f
    fit.cov = fit.cov * np.outer(scale, scale)
    return tau2


def _check(tf: TransitionFit, d: MixtureData, codes: np.ndarray, tolerance: float,
           rng: np.random.Generator) -> None:
    """Compare the fitted mixture's cumulative incidence with Aalen-Johansen per
    category; keep the parametric model where the gap is within tolerance.

    Both are computed on the entrants the ledger saw enter (no delayed entry),
    so they describe the same population. The tolerance is the larger of
    ``tolerance`` and 1.36 / sqrt(events), the 95% Kolmogorov bound: a gap
    smaller than sampling noise is no evidence against the parametric form,
    which also conditions on covariates and extrapolates past the follow-up.
    """
    fresh = d.a <= 0
    for ci, cat in enumerate(CATEGORIES):
        rows = np.flatnonzero((codes == ci) & fresh)
        ev = d.status[rows] > 0
        if not (d.status[codes == ci] == 1).any():
            tf.method[cat] = "none" if (codes == ci).any() else "parametric"
            continue
        if ev.sum() < 20:  # too few to judge either way
            tf.method[cat] = "parametric"
            continue
        aj = aalen_johansen(d.t[rows], d.status[rows])
        tf.aj[cat] = aj
        grid = np.quantile(d.t[rows][ev], np.linspace(0.05, 0.95, 19))
        take = rows if len(rows) <= 2000 else np.sort(rng.choice(rows, 2000, replace=False))
        c = components(tf.fit, d.subset(take))
        fa, fc = marginal_cif(c, d.x0[take], grid)
        aa, ac = aj.at(grid)
        gap = float(max(np.max(np.abs(fa - aa)), np.max(np.abs(fc - ac))))
        tol = max(tolerance, 1.36 / np.sqrt(ev.sum()))
        tf.gap[cat], tf.tolerance[cat] = gap, tol
        tf.method[cat] = "parametric" if gap <= tol else "nonparametric"


def _warn_fallbacks(tf: TransitionFit) -> None:
    """Say which categories failed the goodness-of-fit check and now use the
    Aalen-Johansen estimate (a silent switch would hide that the log-normal
    model does not describe this ledger's durations there)."""
    bad = [c for c in CATEGORIES if tf.method.get(c) == "nonparametric"]
    if not bad:
        return
    cells = ", ".join(f"'{c}' (gap {tf.gap[c]:.3f}, tolerance {tf.tolerance[c]:.3f})" for c in bad)
    which = "category" if len(bad) == 1 else "categories"
    warnings.warn(
        f"CompletionModel: the log-normal fit of {tf.name} differs from the Aalen-Johansen "
        f"estimate of the ledger's own durations (largest gap between cumulative incidences) "
        f"for {which} {cells}; using the non-parametric estimate there (no zone effects, "
        f"seasonality or recent pace in its draws).", stacklevel=4)


def marginal_cif(c: Components, x0: np.ndarray, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Population-average CIFs from entry at each time of ``grid``."""
    fa, fc = [], []
    zero = np.zeros_like(x0)
    for g in grid:
        a, b = conditional_cif(c, x0, zero, np.full_like(x0, g))
        fa.append(a.mean())
        fc.append(b.mean())
    return np.array(fa), np.array(fc)
