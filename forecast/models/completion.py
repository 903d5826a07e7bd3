"""Stage transitions of projects: when a project signs, starts, completes and
goes into production, and whether it is dropped first (履约率, 开工率, 竣工率,
竣工投产率).

Each transition (reserve → signed → started → completed → producing → full
production) is a censored mixture fitted by :mod:`forecast.models.survival`:
the project ends the stage cancelled (or, after completion, never advancing)
with a probability that depends on category and size, and otherwise advances
after a log-normal time in seasonal operational time, with a point mass at the
planned completion date for started → completed. Zone effects are
empirical-Bayes shrunk. Every prediction is conditional on the time already
spent in the stage at ``as_of``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ForecastError
from ..periods import next_quarters, quarter
from ..vocab import CATEGORIES, TRANSITIONS
from ._base import BaseModel, Paths, fit_quarter, single_thread
from ._stages import (Centres, category_codes, cut_clock, design, entry_clocks, ledger_origin,
                      log_size, project_clocks, size_design, stage_index,
                      transition_rows)
from ._pace import recent_pace
from ._pace_choice import choose_pace, drop_calendar
from ._transition import TransitionFit, ZoneEffects, fit_transition, spec_for
from .survival import components, conditional_cif, month_clock


class CompletionModel(BaseModel):
    """Time-to-event model of every stage transition, with cancellation.

    Parameters
    ----------
    zone_effects : bool
        Shrink zone effects on the advance time and on the cancel odds
        (empirical Bayes, so small zones borrow strength from large ones).
    bunching : bool
        Let started → completed put a point mass at the planned completion date.
    seasonality : bool
        Calendar seasonality of events (monthly operational-time speeds).
    max_rows : int
        Largest number of rows a transition's fixed effects are fitted on; larger
        ledgers are subsampled at random (zone effects still use every row).
    hessian_rows : int
        Rows used for the finite-difference covariance (scaled to ``max_rows``).
    param_draws : int
        Parameter vectors drawn from their asymptotic normal per
        :meth:`sample_paths` call; draws cycle through them.
    tolerance : float
        Smallest gap between the parametric and the Aalen-Johansen cumulative
        incidence that sends a category to the non-parametric estimate.
    ledger_start : str or None
        Date the ledger began to be kept. Projects that entered a stage before
        it are listed only because they were still active then (left
        truncation): their episodes enter the likelihood at this date, and
        episodes that ended before it are dropped. ``None`` takes the start
        of the first progress period.
    pace_window : int or "auto"
        Quarters before ``as_of`` over which each zone's recent pace is
        compared with the fit (:mod:`._pace`): a zone advancing slower (or
        faster) than its whole history says is forecast at its recent pace:
        a common factor on advance times (followed beyond its noise only) and
        each zone's own, shrunk toward it by empirical Bayes. 0 (the
        default) = off. ``"auto"``: per transition, none, 4 or 8 quarters,
        and the fitted calendar of the event or a flat one, as a backtest on
        the ledger's own last four quarter-ends says (:mod:`._pace_choice`;
        the fit as it is unless another choice forecasts the next quarter's
        advances clearly better). Not the default yet: on a generated 1.6x
        slowdown it makes the structural forecasts much better, but the
        self-calibration, learned at origins before the change was
        detectable, then corrects the same bias a second time.
    seed : int
        Seed of the generator used for subsampling inside ``fit``.

    Attributes
    ----------
    as_of_ : Period
    transitions_ : list of TransitionFit
        One per ``vocab.TRANSITIONS``; ``method`` tells per category whether
        the parametric model or the Aalen-Johansen estimate is used.
    centres_ : Centres
    zone_ids_ : Index
        Zones seen at fit time (zone effects are indexed by their position).
    plan_model_ : dict
        Log-normal regression of the planned construction duration on
        category and size, for projects that start inside the horizon, and
        ``share``, the part of started projects with a plan (0 when the
        ledger records fewer than 10: new starts then get none).

    Examples
    --------
    >>> from forecast.sample import generate            # doctest: +SKIP
    >>> m = CompletionModel().fit(generate(zones=4, seed=1), "2022Q4")  # doctest: +SKIP
    >>> m.summary().query("what == 'median_months'")     # doctest: +SKIP
    """

    _fitted_attr = "transitions_"

    def __init__(self, zone_effects: bool = True, bunching: bool = True, seasonality: bool = True,
                 max_rows: int = 40_000, hessian_rows: int = 10_000,
                 param_draws: int = 20, tolerance: float = 0.03, ledger_start: str | None = None,
                 pace_window: int | str = 0, seed: int = 0) -> None:
        self.zone_effects = zone_effects
        self.bunching = bunching
        self.seasonality = seasonality
        self.max_rows = max_rows
        self.hessian_rows = hessian_rows
        self.param_draws = param_draws
        self.tolerance = tolerance
        self.ledger_start = ledger_start
        self.pace_window = pace_window
        self.seed = seed

    # --- fit ---------------------------------------------------------------------------
    def fit(self, ledger: Any, as_of: str | pd.Period | None = None) -> "CompletionModel":
        """Fit every transition on what was known at the end of ``as_of``.

        Parameters
        ----------
        ledger : Ledger
        as_of : str or Period, optional
            Quarter such as ``"2022Q4"``; only ``ledger.as_of(as_of)`` is used.
            Default: the quarter ``ledger`` was cut at.

        Returns
        -------
        self
        """
        q = fit_quarter(ledger, as_of)
        if ledger.cut is not None and ledger.cut < q:
            raise ForecastError(f"The ledger was cut at {ledger.cut}; cannot fit at the later {q}.")
        if self.max_rows < 1000 or self.param_draws < 1:
            raise ForecastError("max_rows must be at least 1000 and param_draws at least 1.")
        if not (self.pace_window == "auto" or (isinstance(self.pace_window, (int, np.integer))
                                               and self.pace_window >= 0)):
            raise ForecastError(f"pace_window must be 'auto' or a number of quarters (0 = off). "
                                f"Got: {self.pace_window!r}")
        cut = ledger.as_of(q)  # a ledger already cut at q is used as it is
        P = cut.projects
        origin = ledger_origin(cut, self.ledger_start)
        if len(P) == 0:
            raise ForecastError(f"No projects were registered by {q}; nothing to fit.")
        rng = np.random.default_rng(self.seed)
        X = cut_clock(q)
        codes, lsize = category_codes(P["category"]), log_size(P)
        centres = Centres(log_size=float(np.nanmedian(lsize)) if np.isfinite(lsize).any() else 0.0)
        zone_ids = pd.Index(pd.unique(P["zone_id"].astype(str)))
        zone = zone_ids.get_indexer(P["zone_id"].astype(str))
        fits, pops = [], []
        clocks = project_clocks(P)
        with single_thread():
            for k in range(len(TRANSITIONS)):
                rows = transition_rows(P, X, k, origin, clocks)
                r = rows["row"].to_numpy()
                d = design(k, codes[r], lsize[r], rows["x0"].to_numpy(), rows["plan"].to_numpy(),
                           centres, rows["t"].to_numpy(), rows["status"].to_numpy(),
                           rows["a"].to_numpy())
                fits.append(fit_transition(
                    k, d, codes[r], zone[r], len(zone_ids),
                    spec_for(k, self.bunching, self.seasonality),
                    zone_effects_on=self.zone_effects, max_rows=self.max_rows,
                    hessian_rows=self.hessian_rows, tolerance=self.tolerance, rng=rng))
                _follow_pace(fits[-1], d, codes[r], zone[r], len(zone_ids), X, self.pace_window, rng)
                # Summaries average over entrants the ledger saw enter (a left-
                # truncated episode is there because it lasted, so it would
                # tilt the population towards long plans and slow projects).
                fresh = rows["a"].to_numpy() <= 0
                pops.append(_population(rows.loc[fresh], codes[r][fresh], lsize[r][fresh],
                                        zone[r][fresh], rng))
        self.plan_model_ = _fit_plan_model(P, codes, lsize, centres)
        self.centres_ = centres
        self.zone_ids_ = zone_ids
        self.population_ = pops
        self.n_projects_ = len(P)
        self.cut_clock_ = X
        self.origin_ = origin
        self.transitions_ = fits
        self.as_of_ = q
        self._summary_cache: pd.DataFrame | None = None
        return self

    # --- state of projects at a cut -----------------------------------------------------
    def _state(self, P: pd.DataFrame, X: float) -> dict[str, np.ndarray]:
        """Stage, entry clock, plan and covariates of each row of ``P`` at clock ``X``."""
        x = entry_clocks(P)
        idx, cancelled = stage_index(x, month_clock(P["cancelled_date"]))
        x_in = x[np.arange(len(P)), np.maximum(idx, 0)]
        plan = month_clock(P["planned_completion_date"]) - x[:, 2]
        return {
            "idx": idx, "cancelled": cancelled, "x_in": x_in, "e": np.maximum(X - x_in, 0.0),
            "plan": np.where(plan > 0, plan, np.nan), "codes": category_codes(P["category"]),
            "lsize": log_size(P), "zone": self.zone_ids_.get_indexer(P["zone_id"].astype(str)),
        }

    def _transition_cif(self, k: int, st: dict, rows: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(advance by t), P(cancel by t) for ``rows`` in stage ``k`` (point estimates)."""
        tf = self.transitions_[k]
        if tf.fit is None:
            z = np.zeros((len(rows), t.shape[1]))
            return z, z.copy()
        plan = st["plan"][rows] if k == 2 else np.full(len(rows), np.nan)
        d = tf.design(st["codes"][rows], st["lsize"][rows], st["x_in"][rows], plan,
                      self.centres_, st["zone"][rows])
        c = components(tf.fit, d)
        e = st["e"][rows]
        pa = np.empty_like(t)
        pc = np.empty_like(t)
        for j in range(t.shape[1]):
            pa[:, j], pc[:, j] = conditional_cif(c, st["x_in"][rows], e, t[:, j])
        for ci, cat in enumerate(CATEGORIES):
            sel = st["codes"][rows] == ci
            if tf.method.get(cat) == "nonparametric" and sel.any():
                for j in range(t.shape[1]):
                    pa[sel, j], pc[sel, j] = tf.aj[cat].conditional_cif(e[sel], t[sel, j])
            elif tf.method.get(cat) == "none":
                pa[sel], pc[sel] = 0.0, 0.0
        return pa, pc

    # --- predictions ---------------------------------------------------------------------
    def predict_proba(self, ledger: Any, as_of: str | pd.Period | None = None,
                      horizon: int = 4) -> pd.DataFrame:
        """Probability of each waiting project's next milestone, and of
        cancellation, by the end of each of the next ``horizon`` quarters.

        Parameters
        ----------
        ledger : Ledger
        as_of : quarter, optional
            Defaults to the fit quarter; a later quarter predicts with the same
            fitted parameters from the projects' state then.
        horizon : int

        Returns
        -------
        DataFrame
            ``project_id, zone_id, stage, next_stage, k, period, p_event,
            p_cancel`` — cumulative probabilities: ``p_event`` at ``k`` is
            P(next milestone within k quarters), given the time already spent.

        Examples
        --------
        >>> p = model.predict_proba(ledger, "2022Q4", horizon=4)  # doctest: +SKIP
        >>> p.query("k == 4").p_event.mean()                       # doctest: +SKIP
        """
        self._check_fitted()
        q = self.as_of_ if as_of is None else quarter(as_of)
        P = ledger.as_of(q).projects
        X = cut_clock(q)
        st = self._state(P, X)
        months = 3.0 * np.arange(1, horizon + 1)
        periods = next_quarters(q, horizon).astype(str)
        out = []
        for k, (a, b) in enumerate(TRANSITIONS):
            rows = np.flatnonzero((st["idx"] == k) & ~st["cancelled"])
            if rows.size == 0:
                continue
            t = st["e"][rows, None] + months[None, :]
            pa, pc = self._transition_cif(k, st, rows, t)
            out.append(pd.DataFrame({
                "project_id": np.repeat(P["project_id"].to_numpy()[rows], horizon),
                "zone_id": np.repeat(P["zone_id"].to_numpy()[rows], horizon),
                "stage": a, "next_stage": b,
                "k": np.tile(np.arange(1, horizon + 1), rows.size),
                "period": np.tile(periods, rows.size),
                "p_event": pa.ravel(), "p_cancel": pc.ravel(),
            }))
        cols = ["project_id", "zone_id", "stage", "next_stage", "k", "period", "p_event", "p_cancel"]
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame(columns=cols)

    def sample_paths(self, ledger_cut: Any, projects: pd.DataFrame, horizon: int, draws: int,
                     rng: np.random.Generator, *, full_production: bool = True) -> Paths:
        """Simulated event months of ``projects`` over the next ``horizon`` quarters.

        Each draw chains the transitions forward from each project's stage at
        ``ledger_cut.cut`` (a project that starts in a draw can complete in the
        same draw), conditional on the time already spent in the stage, with
        parameters drawn from their asymptotic normal (``param_draws`` vectors
        per call) and zone effects from their posterior.

        Returns
        -------
        Paths
            ``months`` for signed, start, completion, production, full
            production and cancelled dates; ``extras["planned_duration"]`` the
            planned construction months from start (drawn for projects that
            start inside the horizon); ``extras["completion_any"]`` the
            completion month even beyond the horizon (NaN where no completion
            was drawn), which the spend curve needs.

        ``full_production=False`` stops at production: the last transition
        (producing → full production) is not drawn and ``months`` has no
        ``full_production_date`` (what the simulator needs: no forecast metric
        counts it).
        """
        from ._paths import sample_paths

        self._check_fitted()
        return sample_paths(self, ledger_cut, projects, horizon, draws, rng, full_production)

    def expected_counts(self, ledger: Any, as_of: str | pd.Period | None = None, horizon: int = 4,
                        draws: int = 200, seed: int = 0) -> pd.DataFrame:
        """Expected starts, completions and production starts per zone and quarter.

        Returns a long table ``zone_id, period, metric, mean`` (``metric`` in
        ``vocab.COUNT_METRICS``), from :meth:`sample_paths` with ``draws`` draws.
        """
        from ..vocab import METRIC_EVENT

        self._check_fitted()
        q = self.as_of_ if as_of is None else quarter(as_of)
        cut = ledger.as_of(q)
        P = cut.projects
        paths = self.sample_paths(cut, P, horizon, draws, np.random.default_rng(seed))
        zones = P["zone_id"].astype(str).to_numpy()
        out = []
        for metric, event in METRIC_EVENT.items():
            qi = paths.quarter_index(event)
            for h, period in enumerate(paths.quarters.astype(str)):
                per = pd.Series((qi == h).mean(axis=0)).groupby(zones).sum()
                out.append(pd.DataFrame({"zone_id": per.index, "period": period,
                                         "metric": metric, "mean": per.to_numpy()}))
        return pd.concat(out, ignore_index=True)

    # --- reading the fit ---------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """What was learned, one row per quantity: median months by transition
        and category, cancellation shares, on-plan completion shares, event
        seasonality by calendar quarter, zone spread, what the check on the
        ledger's last quarters chose (``pace_window``, ``calendar_kept``,
        ``pace_check_gain``), the recent pace (``recent_time_factor``: advance
        times now against the fit, 1.6 = 60% slower;
        ``recent_zone_sd_log_time``), and the parametric versus
        Aalen-Johansen check (``method``) — ``estimate, lo, hi`` (90%), ``n``."""
        from ._completion_summary import build_summary

        self._check_fitted()
        if self._summary_cache is None:
            self._summary_cache = build_summary(self)
        return self._summary_cache

    def plot(self, ax: Any = None, transition: int = 2) -> Any:
        """Cumulative incidence of advancing by category: Aalen-Johansen steps
        against the fitted model (dashed). Returns the axes."""
        from ._completion_summary import plot_cif

        self._check_fitted()
        return plot_cif(self, transition, ax)


def _follow_pace(tf: TransitionFit, d: Any, codes: np.ndarray, zone: np.ndarray, n_zones: int,
                 X: float, window: int | str, rng: np.random.Generator) -> None:
    """Choose (``"auto"``) or take the pace window and calendar, measure the
    transition's recent pace and add each zone's shift to its advance-time
    zone effect (a new object: ``zone_a`` may be shared)."""
    if tf.fit is None:
        return
    if window == "auto":
        tf.choice = choose_pace(tf.fit, d, codes, tf.method, zone, n_zones, X, rng)
        window = tf.choice.window
        if tf.choice.flat:
            drop_calendar(tf.fit)
    if window <= 0:
        return
    tf.pace = recent_pace(tf.fit, d, codes, tf.method, zone, n_zones, X, window)
    if tf.pace is not None:
        za = tf.zone_a
        tf.zone_a = ZoneEffects(za.mean + tf.pace.shift, za.var, za.tau2)


def _population(rows: pd.DataFrame, codes: np.ndarray, lsize: np.ndarray, zone: np.ndarray,
                rng: np.random.Generator, per_category: int = 1500) -> dict[str, np.ndarray]:
    """A bounded sample of a transition's entrants (for summaries): at most
    ``per_category`` rows of each category, with their sampling weights."""
    keep, weight = [], []
    for ci in range(len(CATEGORIES)):
        idx = np.flatnonzero(codes == ci)
        if idx.size > per_category:
            weight.append(np.full(per_category, idx.size / per_category))
            idx = np.sort(rng.choice(idx, per_category, replace=False))
        else:
            weight.append(np.ones(idx.size))
        keep.append(idx)
    keep = np.concatenate(keep)
    return {"codes": codes[keep], "lsize": lsize[keep], "zone": zone[keep],
            "x0": rows["x0"].to_numpy()[keep], "plan": rows["plan"].to_numpy()[keep],
            "status": rows["status"].to_numpy()[keep], "weight": np.concatenate(weight)}


def _fit_plan_model(P: pd.DataFrame, codes: np.ndarray, lsize: np.ndarray, centres: Centres) -> dict:
    """log planned duration ~ category + log size, on started projects with a
    plan, and ``share``: the part of started projects that have one.

    A project that starts inside the horizon gets a planned duration with
    that chance, and none otherwise: its completion is then drawn as the
    ledger's projects without a plan complete (the fit's "plan unknown"
    branch, learned from their own durations). A ledger that records no plans
    (fewer than 10) draws none: giving new starts a default plan would send
    them through a branch the fit never saw (its intercept and the on-plan
    share unidentified), e.g. World Bank projects completing at 24-28 months
    where the ledger's own run five years and more.
    """
    plan = month_clock(P["planned_completion_date"]) - month_clock(P["start_date"])
    ok = np.isfinite(plan) & (plan > 0)
    started = int(P["start_date"].notna().sum())
    if ok.sum() < 10:
        return {"beta": np.r_[np.log(24.0), np.zeros(len(CATEGORIES))], "sd": 0.4, "n": int(ok.sum()),
                "share": 0.0}
    X = size_design(codes[ok], lsize[ok], centres.log_size)
    beta, *_ = np.linalg.lstsq(X, np.log(plan[ok]), rcond=None)
    resid = np.log(plan[ok]) - X @ beta
    return {"beta": beta, "sd": float(resid.std(ddof=X.shape[1])), "n": int(ok.sum()),
            "share": float(min(1.0, ok.sum() / max(started, 1)))}
