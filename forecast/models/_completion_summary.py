"""Summary table and plot of a fitted :class:`CompletionModel`.

Population quantities (median duration among projects that make a transition,
cancellation share, share of events per calendar quarter) are averages over
the projects that entered the stage, so they mix over sizes and entry months
the way the ledger does, and over zone effects drawn from their fitted
distribution. Intervals are the 5% and 95% points over
parameter vectors drawn from the fit's asymptotic normal.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import ndtr

from ..vocab import CANCELLABLE_STAGES, CATEGORIES
from ._base import new_axes, summary_frame
from ._stages import FROM_STAGES
from ._transition import marginal_cif
from .survival import MIN_MONTHS, bunch_sf, components, op_clock, sample_next

#: Event date whose calendar seasonality each transition carries.
EVENT_OF = {1: "start_date", 2: "completion_date", 3: "production_date"}
KEYS = ["what", "transition", "category", "quarter", "method"]


def marginal_median(fit, d, pars: np.ndarray, iters: int = 30) -> np.ndarray:
    """Median time to advance among rows ``d`` that advance, per parameter
    vector in ``pars`` ``(K, p)``: solves F(t) = 1/2 by bisection on log t,
    where F is the advance-time distribution averaged over rows with weights
    1 - pi."""
    c = components(fit, d, pars)
    w = 1.0 - c.pi
    rho = 0.0 if c.rho is None else c.rho
    K = pars.shape[0]
    o0 = None if c.s_a is None else op_clock(d.x0, c.s_a)  # fixed across iterations
    lo, hi = np.full(K, np.log(0.01)), np.full(K, np.log(1200.0))
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        tt = np.broadcast_to(np.exp(mid)[:, None], w.shape)
        op = tt if o0 is None else op_clock(d.x0 + tt, c.s_a) - o0
        fa = (1 - rho) * ndtr((np.log(np.maximum(op, MIN_MONTHS)) - c.mu_a) / c.sig_a)
        if c.rho is not None:
            fa = fa + rho * (1 - bunch_sf(tt, c.plan))
        below = (w * fa).sum(axis=1) / w.sum(axis=1) < 0.5
        lo, hi = np.where(below, mid, lo), np.where(below, hi, mid)
    return np.exp(0.5 * (lo + hi))


def _typical_zones(tf, pop: dict, rows: np.ndarray, centres, rng: np.random.Generator):
    """Design of population rows with zone effects drawn from their N(0, tau2)
    distribution instead of the ledger's own zones: summaries describe the
    population of zones (a ledger's few large zones would otherwise tilt
    them by their own luck)."""
    n = rows.size
    return tf.design(pop["codes"][rows], pop["lsize"][rows], pop["x0"][rows], pop["plan"][rows],
                     centres, pop["zone"][rows],
                     zone_a=np.sqrt(tf.zone_a.tau2) * rng.standard_normal(n),
                     zone_p=np.sqrt(tf.zone_p.tau2) * rng.standard_normal(n))


def _interval(v: np.ndarray) -> tuple[float, float]:
    return float(np.quantile(v, 0.05)), float(np.quantile(v, 0.95))


def build_summary(model: Any, draws: int = 30, rows_per_category: int = 500) -> pd.DataFrame:
    """The rows of :meth:`CompletionModel.summary`."""
    rng = np.random.default_rng(model.seed + 1)
    rows: list[dict[str, Any]] = []
    for k, tf in enumerate(model.transitions_):
        pop = model.population_[k]
        if tf.fit is None:
            rows.append({"what": "median_months", "transition": tf.name, "method": "none",
                         "n": tf.n_events})
            continue
        pars = _population_shift(tf, np.vstack([tf.fit.params, tf.fit.draw(draws, rng)]), rng)
        share_name = "cancel_share" if FROM_STAGES[k] in CANCELLABLE_STAGES else "never_share"
        for ci, cat in enumerate(CATEGORIES):
            sel = np.flatnonzero(pop["codes"] == ci)
            if not sel.size:
                continue
            n_cat = int(sel.size * pop["weight"][sel[0]])
            n_ev = int(np.sum(pop["status"][sel] == 1) * pop["weight"][sel[0]])
            # A few hundred entrants describe the category's mix well enough.
            sel = sel if sel.size <= rows_per_category else np.sort(rng.choice(sel, rows_per_category, replace=False))
            d = _typical_zones(tf, pop, sel, model.centres_, rng)
            how = tf.method.get(cat, "parametric")
            base = {"transition": tf.name, "category": cat, "method": how}
            med = marginal_median(tf.fit, d, pars)
            est = med[0] if how == "parametric" else _aj_median(tf.aj.get(cat))
            rows.append({**base, "what": "median_months", "estimate": est,
                         **dict(zip(("lo", "hi"), _interval(med[1:]))), "n": n_ev})
            pi = components(tf.fit, d, pars).pi.mean(axis=1)
            rows.append({**base, "what": share_name, "estimate": pi[0],
                         **dict(zip(("lo", "hi"), _interval(pi[1:]))), "n": n_cat})
            c = components(tf.fit, d, pars)
            if c.rho is not None and np.isfinite(d.plan).any():
                rho = c.rho[:, np.isfinite(d.plan)].mean(axis=1)
                rows.append({**base, "what": "on_plan_share", "estimate": rho[0],
                             **dict(zip(("lo", "hi"), _interval(rho[1:]))),
                             "n": int(np.isfinite(d.plan).sum())})
            if cat in tf.gap:
                rows.append({**base, "what": "check_max_cif_gap", "estimate": tf.gap[cat],
                             "hi": tf.tolerance[cat], "n": int(tf.aj[cat].n)})
        for which, ze in (("zone_sd_log_time", tf.zone_a), ("zone_sd_cancel_logit", tf.zone_p)):
            rows.append({"what": which, "transition": tf.name, "estimate": float(np.sqrt(ze.tau2)),
                         "n": int(np.sum(ze.var > 0))})
        if k in EVENT_OF:
            rows += _event_seasonality(model, k, pars[: draws // 2 + 1], rng)
        rows += _pace_rows(tf)
    return summary_frame(rows, KEYS)


def _population_shift(tf, pars: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Add to the drawn intercepts (rows 1..) what the ledger's zones being a
    sample of zones leaves unknown about the population: the fit's covariance
    is conditional on the zone effects, so without this a summary's interval
    would describe these zones, not the population it claims to (variance
    tau2 / zones for the advance-time and cancellation intercepts)."""
    out = pars.copy()
    for block, ze in (("ba", tf.zone_a), ("bp", tf.zone_p)):
        zones = int(np.sum(ze.var > 0))
        if ze.tau2 > 0 and zones:
            out[1:, tf.fit.layout[block].start] += np.sqrt(ze.tau2 / zones) * rng.standard_normal(len(out) - 1)
    return out


def _aj_median(aj) -> float:
    """Median among advancers from an Aalen-Johansen curve (advance share taken
    as the incidence reached by the end of follow-up)."""
    if aj is None or aj.f_adv[-1] <= 0:
        return float("nan")
    return float(aj.times[np.searchsorted(aj.f_adv, 0.5 * aj.f_adv[-1])])


def _event_seasonality(model, k: int, pars: np.ndarray, rng: np.random.Generator,
                       size: int = 30000) -> list[dict[str, Any]]:
    """4 x share of the event's dates in each calendar quarter, simulating the
    fitted model from the ledger's own entries into the stage."""
    tf, pop = model.transitions_[k], model.population_[k]
    w = pop["weight"] / pop["weight"].sum()
    take = rng.choice(len(w), size=size, p=w)
    d = _typical_zones(tf, pop, take, model.centres_, rng)
    factors = []
    # Common random numbers: every parameter vector sees the same uniforms, so
    # the interval is parameter uncertainty, not simulation noise of its own.
    crn = int(rng.integers(2**32))
    for par in pars:
        t, kind = sample_next(components(tf.fit, d, par), d.x0, np.zeros(size), np.random.default_rng(crn))
        ok = (kind == 1) & np.isfinite(t)
        qtr = (np.mod(np.floor(d.x0[ok] + t[ok]), 12) // 3).astype(int)
        factors.append(4.0 * np.bincount(qtr, minlength=4) / max(ok.sum(), 1))
    f = np.array(factors)
    return [{"what": "event_quarter_factor", "transition": tf.name, "category": EVENT_OF[k],
             "quarter": q + 1, "estimate": f[0, q], **dict(zip(("lo", "hi"), _interval(f[1:, q]))),
             "n": int(size), "method": "parametric"} for q in range(4)]


def _pace_rows(tf) -> list[dict[str, Any]]:
    """What the check on the ledger's last quarters chose (:mod:`._pace_choice`:
    ``pace_window`` 0 = none, ``calendar_kept`` 1 = the fitted event calendar,
    0 = flat; their log-likelihood gain over the fit as it is, n = advances
    scored) and the recent pace (:mod:`._pace`): the common factor on advance
    times over the window (90% interval; n = advances in the window), the
    factor applied (shrunk toward 1 by its noise) and the spread of the
    zones' recent log-time offsets."""
    rows = []
    c = tf.choice
    if c is not None:
        base = {"transition": tf.name, "method": f"chosen at {c.origins} quarter-ends before as_of"}
        rows += [{**base, "what": "pace_window", "estimate": float(c.window), "n": c.events},
                 {**base, "what": "calendar_kept", "estimate": float(not c.flat), "n": c.events},
                 {**base, "what": "pace_check_gain", "estimate": c.gain, "n": c.events}]
    p = tf.pace
    if p is None:
        return rows
    base = {"transition": tf.name, "method": f"last {p.window} quarters"}
    return rows + [
        {**base, "what": "recent_time_factor", "estimate": p.time_factor, "lo": p.lo, "hi": p.hi,
         "n": p.events},
        {**base, "what": "recent_time_factor_applied", "estimate": p.applied, "n": p.events},
        {**base, "what": "recent_zone_sd_log_time", "estimate": p.zone_sd, "n": p.rows}]


def plot_cif(model: Any, k: int, ax: Any = None) -> Any:
    """Aalen-Johansen (steps) against fitted (dashed) advance incidence."""
    ax = new_axes(ax)
    tf, pop = model.transitions_[k], model.population_[k]
    for ci, cat in enumerate(CATEGORIES):
        aj = tf.aj.get(cat)
        if aj is None or tf.fit is None:
            continue
        line = ax.step(aj.times, aj.f_adv, where="post", label=cat)[0]
        sel = pop["codes"] == ci
        d = tf.design(pop["codes"][sel], pop["lsize"][sel], pop["x0"][sel], pop["plan"][sel],
                      model.centres_, pop["zone"][sel])
        grid = np.linspace(0, aj.times[-1], 60)
        fa, _ = marginal_cif(components(tf.fit, d), d.x0, grid)
        ax.plot(grid, fa, "--", color=line.get_color())
    ax.set_xlabel("months in stage")
    ax.set_ylabel("share advanced")
    ax.set_title(f"{tf.name}: Aalen-Johansen (steps) vs model (dashed)")
    ax.legend(fontsize="small")
    return ax
