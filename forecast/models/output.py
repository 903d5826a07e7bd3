"""Output of producing projects: capacity, realisation of the declared figure, ramp-up.

What leadership asks: what a project will produce once it runs (年产值), when it
reaches capacity (达产), and how much new output the pipeline brings next year.

:class:`OutputModel` joins three pieces, each fitted on ``ledger.as_of(as_of)``:

* **Ramp-up** (:mod:`.rampup`): output in a quarter = capacity x the share of
  the quarter the ramp ``1 - exp(-t / tau)`` yields x a quarter-of-year factor x
  noise, with a project's own ``tau`` around a category median (months to 90%
  of capacity = ``tau * ln 10``) and 达产 tied to ``tau``.
* **Capacity** (:mod:`.capacity`): the log capacity each producing project
  reveals, regressed on log planned investment, log land, category and shrunk
  industry effects, for projects that declare nothing.
* **Realisation**: log(capacity / declared ``designed_output``) by category and
  shrunk industry; a project with a declaration gets declared x realisation.

For a project already producing, its own quarters update that prior (the
capacity analytically, ``tau`` on the grid, with the 达产 date or the fact that
达产 has not come yet), so its forecast rests mostly on what it has produced.

Examples
--------
>>> from forecast.sample import generate
>>> m = OutputModel().fit(generate(zones=2, seed=1), "2022Q4")
>>> s = m.summary()
>>> sorted(set(s["quantity"]))[:3]
['months_to_90', 'months_to_full', 'noise_sd']
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp, ndtr, ndtri

from ..exceptions import ForecastError
from ..periods import DAYS_PER_MONTH, next_quarters, quarter_end
from ..vocab import CATEGORIES, CATEGORY_ZH
from ._base import BaseModel, Paths, fit_quarter, new_axes, single_thread, summary_frame
from ._cutcache import cut_cache
from ._sampling import normal32
from .capacity import between_category_var, capacity_design, category_design, fit_land, fit_shrunk
from .rampup import (ETA_FLOOR, LN10, LOG_TAU, STEP, fit_link, fit_ramp, grid_stats,
                     log_prior, loglik_flat, observations)

Z90 = 1.6448536269514722
#: Fewest producing projects with two complete quarters of output the model fits on.
MIN_PROJECTS = 3
#: Longest horizon (quarters) whose quarter edges are kept per cut.
MAX_QUARTERS = 16


def _root(cov: np.ndarray) -> np.ndarray:
    """A square root ``A`` of a covariance (``A @ A.T == cov``), by eigenvalues so
    that zero directions are fine: ``A @ z`` draws from N(0, cov)."""
    w, V = np.linalg.eigh(np.asarray(cov, dtype=float))
    return V * np.sqrt(np.maximum(w, 0.0))


@dataclass
class OutputDraws:
    """What :meth:`OutputModel.sample` returns for the rows of ``paths``.

    output : (draws, n, H) 万元 produced (and reported) in each forecast quarter
    full_production : (draws, n) months after the as_of quarter end of 达产;
        NaN = had happened by as_of, inf = not within the horizon (or never)
    capacity : (draws, n) 万元 a year at full production, should the project produce
    reports : (draws, n) whether the project produces output the ledger will see
    months_to_full : (draws, n) months from 投产 to 达产
    """

    output: np.ndarray
    full_production: np.ndarray
    capacity: np.ndarray
    reports: np.ndarray
    months_to_full: np.ndarray


class OutputModel(BaseModel):
    """Capacity, realisation and ramp-up of project output.

    Parameters
    ----------
    min_capacity_sd : float
        A producing project's capacity enters the regressions when its own data
        pin the log capacity to this standard deviation or better.
    summary_draws : int
        Parameter draws behind the summary's intervals.
    seed : int
        Seed of the generator used for the summary's draws.

    Attributes
    ----------
    ramp_ : RampFit
        Category medians of ``log tau``, spreads, seasonal factors, 达产 link,
        reporting window.
    capacity_, realisation_ : ShrunkFit or None
    output_share_ : Series
        P(a project that goes into production reports output) by category.
    capacity_obs_ : DataFrame
        The capacity each producing project revealed (``capacity``, ``sd``).
    as_of_ : Period
    """

    def __init__(self, min_capacity_sd: float = 0.15, summary_draws: int = 400, seed: int = 0) -> None:
        self.min_capacity_sd = min_capacity_sd
        self.summary_draws = summary_draws
        self.seed = seed

    # --- fitting -------------------------------------------------------------------------
    def fit(self, ledger: Any, as_of: str | pd.Period | None = None) -> "OutputModel":
        """Fit on ``ledger.as_of(as_of)``; returns ``self``."""
        q = fit_quarter(ledger, as_of)
        cut = ledger.as_of(q)
        self._summary = None
        obs = observations(cut)
        self.no_data_ = bool((np.bincount(obs.rows["pos"], minlength=len(obs.projects)) >= 2).sum() < MIN_PROJECTS)
        if self.no_data_:
            # many ledgers track investment only; the rest of a forecast must still run
            warnings.warn(
                f"The output model needs at least {MIN_PROJECTS} producing projects with two or more "
                f"complete quarters of output_value by {q}; this ledger has fewer, so output is "
                "forecast as zero. Report output in progress.csv.", stacklevel=2)
            self.as_of_ = q
            return self
        with single_thread():
            stats = grid_stats(obs)
            ramp, post = fit_ramp(stats, obs)
            ramp = fit_link(ramp, post, obs)
            ll, xbar = loglik_flat(stats, ramp.ls, ramp.sigma)
        n = np.maximum(stats.n, 1)[:, None]
        chat = (post * xbar).sum(axis=1)
        csd = np.sqrt(np.maximum((post * (xbar**2 + ramp.sigma**2 / n)).sum(axis=1) - chat**2, 0.0))
        info = obs.projects
        proj = cut.projects.set_index("project_id").loc[info["project_id"]].reset_index()
        seen = (stats.n >= 1) & (csd < float(self.min_capacity_sd))
        if seen.sum() < MIN_PROJECTS:  # a young ledger: take the best-determined capacities there are
            seen = (stats.n >= 2) & (csd <= np.sort(np.where(stats.n >= 2, csd, np.inf))[MIN_PROJECTS - 1])
        cap = proj.loc[seen].reset_index(drop=True)
        y = chat[seen]
        self.land_ = fit_land(cut.projects)
        x = capacity_design(cap, self.land_)
        if len(cap) < x.shape[1] + MIN_PROJECTS:  # too few for category intercepts
            x = capacity_design(cap, self.land_, ["const", "log_planned"])
        self.capacity_ = fit_shrunk(x, y, cap["industry"].to_numpy())
        declared = cap["designed_output"].to_numpy(float)
        has = np.isfinite(declared) & (declared > 0)
        self.realisation_ = None
        if has.sum() >= 3:
            xr = category_design(cap.loc[has, "category"].to_numpy())
            self.realisation_ = fit_shrunk(xr, y[has] - np.log(declared[has]), cap.loc[has, "industry"].to_numpy())
        self.capacity_obs_ = pd.DataFrame({
            "project_id": cap["project_id"], "category": cap["category"], "industry": cap["industry"],
            "planned_investment": cap["planned_investment"], "designed_output": cap["designed_output"],
            "capacity": np.exp(y), "sd": csd[seen]})
        self.output_share_ = _output_share(info)
        self.ramp_ = ramp
        # what sampling needs of each producing project's own data (float32 keeps it small)
        self.data_ = info.set_index("project_id")[["category", "full", "elapsed", "truncated", "stopped",
                                                   "any_output", "last_start", "last_span"]].assign(
            n=stats.n, pos=np.arange(len(info)))
        self.llflat_ = ll.astype(np.float32)
        self.xbar_ = xbar.astype(np.float32)
        self.population_ = cut.projects[["category", "industry", "planned_investment", "land_mu"]].copy()
        self.as_of_ = q
        return self

    # --- what sampling needs of every project of a cut ---------------------------------------
    def _cut_arrays(self, ledger_cut: Any) -> dict[str, Any]:
        """Per project of ``ledger_cut``, computed once per cut (every project's
        figures come from its own rows, so a zone's are the same in any run):
        category code, production state, the project's own output data and the
        deterministic part of its log-capacity prior."""
        cc = cut_cache(ledger_cut)

        def build() -> dict[str, Any]:
            p = cc.projects
            end = quarter_end(ledger_cut.cut)
            prod = p["production_date"]
            producing = prod.notna().to_numpy()
            elapsed = (end - prod).dt.days.to_numpy() / DAYS_PER_MONTH
            full = (p["full_production_date"] - prod).dt.days.to_numpy() / DAYS_PER_MONTH
            d = self.data_.reindex(p["project_id"])
            n_obs = d["n"].fillna(0).to_numpy(float)
            has_rows = n_obs >= 1
            # a project producing for a quarter or more with nothing reported produces nothing
            # we can see (or its reporting ended before the ledger began)
            silent = producing & ~has_rows & (elapsed >= 3.0)
            reported = d["last_start"].to_numpy(float)
            share = self.output_share_.reindex(CATEGORIES).fillna(0.0).to_numpy()
            cat = pd.Categorical(p["category"], categories=CATEGORIES).codes.astype(int)
            # quarter edges in months after the as_of quarter end, by the calendar
            # (Q1 is 2.96 months long, Q3 3.02), as the ramp was fitted
            quarters = pd.period_range(ledger_cut.cut + 1, periods=MAX_QUARTERS + 1, freq="Q-DEC")
            edges = (quarters.start_time - (end + pd.Timedelta(days=1))).days.to_numpy() / DAYS_PER_MONTH
            return {
                "cat": cat, "producing": producing, "elapsed": elapsed, "full": full,
                "has_rows": has_rows, "n_obs": n_obs, "stopped": d["stopped"].eq(True).to_numpy() | silent,
                "pos": d["pos"].fillna(-1).to_numpy().astype(int),
                # the window must outlast the start of the project's last report
                "reported": np.where(np.isfinite(reported), reported, np.where(producing, elapsed, -np.inf)),
                "span": d["last_span"].fillna(0.0).to_numpy(float), "share": share[cat],
                "edges": edges, "season": quarters[:-1].quarter.to_numpy() - 1,
                **self._prior_parts(p),
            }

        return cc.memo(self, "output", build)

    def _prior_parts(self, p: pd.DataFrame) -> dict[str, np.ndarray]:
        """Log-capacity prior of projects ``p``: mean, parameter variance and
        residual variance, and the designs that turn a draw of the regression
        coefficients into per-project shifts (realisation of the declared
        figure where there is one, capacity regression otherwise)."""
        cap = self.capacity_
        xc = capacity_design(p, self.land_, cap.columns).to_numpy(float)
        mean, pvar, rvar = cap.predict(xc, p["industry"].to_numpy())
        unseen = ~p["category"].isin([c[4:] for c in cap.columns if c.startswith("cat:")]).to_numpy()
        pvar = pvar + unseen * between_category_var(cap)
        declared = p["designed_output"].to_numpy(float)
        has = np.isfinite(declared) & (declared > 0) & (self.realisation_ is not None)
        xr = None
        if has.any():
            rf = self.realisation_
            xr = category_design(p["category"].to_numpy(), rf.columns).to_numpy(float)
            rm, rp, rr = rf.predict(xr, p["industry"].to_numpy())
            rseen = p["category"].isin([c[4:] for c in rf.columns]).to_numpy()
            rp = rp + (~rseen) * between_category_var(rf)
            logd = np.log(np.where(has, declared, 1.0))
            mean = np.where(has, logd + rm, mean)
            pvar = np.where(has, rp, pvar)
            rvar = np.where(has, rr, rvar)
        return {"mean": mean, "pvar": pvar, "rvar": rvar, "xc": xc, "declared": has, "xr": xr,
                "cap_root": _root(cap.cov),
                "real_root": None if self.realisation_ is None else _root(self.realisation_.cov)}

    # --- sampling -----------------------------------------------------------------------------
    def sample(self, ledger_cut: Any, paths: Paths, rng: np.random.Generator, *,
               all_capacities: bool = True, output_only: bool = False) -> OutputDraws:
        """Output, 达产 month and capacity of the rows of ``paths`` in every draw.

        Projects producing at as_of continue from their own data; projects whose
        production month falls inside the horizon in a draw (``paths.months
        ["production_date"]``) start from the priors; parameter uncertainty
        (regression coefficients, category ramp medians) is drawn once per draw
        and shared by the draw's projects, residual and quarterly noise per
        project. ``all_capacities=False`` skips the capacity posterior of
        projects that can no longer produce (what :meth:`sample_output` needs);
        ``output_only=True`` (with it) fills in ``output`` alone, the other
        fields None (the same output numbers).
        """
        self._check_fitted()
        if ledger_cut.cut != self.as_of_:
            raise ForecastError(f"This OutputModel was fitted at {self.as_of_}; sample with the ledger cut "
                                f"at the same quarter. Got: {ledger_cut.cut}")
        pids = np.asarray(paths.project_ids)
        draws, n, horizon = paths.draws, len(pids), paths.horizon
        if self.no_data_:
            nan = np.full((draws, n), np.nan)
            return OutputDraws(np.zeros((draws, n, horizon)), np.full((draws, n), np.inf, np.float32),
                               nan, np.zeros((draws, n), bool), nan)
        rows = cut_cache(ledger_cut).rows(pids)
        A = self._cut_arrays(ledger_cut)
        cat, producing, elapsed, full = A["cat"][rows], A["producing"][rows], A["elapsed"][rows], A["full"][rows]
        has_rows, stopped = A["has_rows"][rows], A["stopped"][rows]
        month = np.full((draws, n), np.inf)
        month[:, producing] = -elapsed[producing]
        if "production_date" in paths.months:
            pm = np.asarray(paths.months["production_date"], dtype=float)
            month[:, ~producing] = np.where(np.isfinite(pm[:, ~producing]), pm[:, ~producing], np.inf)
        known_full = np.isfinite(full)
        # what follows costs per project and draw: only projects that can still
        # produce, unless every capacity is wanted
        can = ~stopped & np.isfinite(month).any(axis=0)
        cols = np.arange(n) if all_capacities else np.flatnonzero(can)
        out = np.zeros((draws, n, horizon), dtype=np.float32)
        if not output_only:
            logc = np.full((draws, n), np.nan)
            reports = np.zeros((draws, n), dtype=bool)
            dur = np.repeat(np.where(known_full, full, np.nan)[None, :], draws, axis=0)
            fp = np.repeat(np.where(producing & known_full, np.nan, np.inf)[None, :], draws, axis=0)
        if len(cols):
            c = cols
            r = rows[c]
            mean, pvar, rvar = A["mean"][r], A["pvar"][r], A["rvar"][r]
            # parameter draws shared by a draw's projects: the regression's, or
            # the realisation's for projects with a declared figure
            shift = (rng.standard_normal((draws, A["cap_root"].shape[0])) @ A["cap_root"].T) @ A["xc"][r].T
            has = A["declared"][r]
            if has.any():
                z = rng.standard_normal((draws, A["real_root"].shape[0]))
                shift = np.where(has[None, :], (z @ A["real_root"].T) @ A["xr"][r].T, shift)
            ramp = self.ramp_
            lc = mean[None, :] + shift + np.sqrt(rvar)[None, :] * rng.standard_normal((draws, len(c)))
            mu_d = ramp.mu_of(np.arange(len(CATEGORIES)))[None, :] + ramp.mu_se()[None, :] * rng.standard_normal(
                (draws, len(CATEGORIES)))
            lt = mu_d[:, cat[c]] + ramp.sigma_tau * rng.standard_normal((draws, len(c)))
            j = np.flatnonzero(has_rows[c])
            if len(j):
                i = c[j]
                lt[:, j], lc[:, j] = self._posterior_draws(A, rows[i], mean[j], pvar[j] + rvar[j], draws, rng)
            if not output_only:
                logc[:, c] = lc
            j = np.flatnonzero(can[c])
            if len(j):
                i = c[j]
                rep, du, f = self._produce(A, rows[i], month[:, i], lt[:, j], lc[:, j], horizon, rng,
                                           out, i, not output_only)
                if not output_only:
                    reports[:, i], dur[:, i], fp[:, i] = rep, du, f
        if output_only:
            return OutputDraws(output=out, full_production=None, capacity=None, reports=None,
                               months_to_full=None)
        return OutputDraws(output=out, full_production=fp.astype(np.float32), capacity=np.exp(logc),
                           reports=reports, months_to_full=dur)

    def _produce(self, A: dict[str, Any], r: np.ndarray, month: np.ndarray, log_tau: np.ndarray,
                 logc: np.ndarray, horizon: int, rng: np.random.Generator, out: np.ndarray,
                 cols: np.ndarray, dates: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """Reporting flag, months to 达产 and 达产 month after as_of of projects
        (cut rows ``r``) that can still produce; their output per quarter is
        written to columns ``cols`` of ``out`` (draws, n, horizon), zero before;
        the 达产 month is None unless ``dates``."""
        ramp = self.ramp_
        draws, n = month.shape
        producing, elapsed, full = A["producing"][r], A["elapsed"][r], A["full"][r]
        # a project already reporting output keeps doing so; one starting may never report
        on = np.where(producing | A["has_rows"][r], True, rng.random((draws, n)) < A["share"][r][None, :])
        known_full = np.isfinite(full)
        eta = max(ramp.eta, 1e-3)  # the draws need no floor; the grid posterior does
        # months from 投产 to 达产: observed, or tied to tau (after as_of for producing projects)
        lo = np.where(producing, np.log(np.maximum(elapsed, 1e-6)), -np.inf)
        v = rng.random((draws, n))
        # every quarter at once, in float32 (output to seven digits is far below its noise),
        # and only for the (draw, project) pairs that produce: in most draws a
        # waiting project does not go into production inside the horizon
        f32 = np.float32
        cap = np.where(on & np.isfinite(month), np.exp(logc), 0.0).ravel()
        live = np.flatnonzero(cap > 0)

        def months_to_full(at: Any) -> np.ndarray:
            """Months from 投产 to 达产 of the pairs at flat positions ``at``."""
            j = at % n
            lt = log_tau.ravel()[at]
            p_min = ndtr((lo[j] - np.log(ramp.kappa) - lt) / eta)
            u = p_min + v.ravel()[at] * (1.0 - p_min)
            d = np.exp(np.log(ramp.kappa) + lt + eta * ndtri(np.clip(u, 1e-12, 1 - 1e-12)))
            return np.where(known_full[j], full[j], d)

        # every pair's when the dates are wanted, else only the producing pairs'
        dur = months_to_full(np.arange(draws * n)).reshape(draws, n) if dates else None
        dur_live = dur.ravel()[live] if dates else months_to_full(live)
        # months of reporting after 投产 (the window is drawn for every pair)
        track = dur_live + self._window(dur_live, (draws, n), A["reported"][r], A["span"][r], rng, live)
        if live.size:
            edges, season = A["edges"].astype(f32), A["season"]
            m = month.ravel()[live].astype(f32)
            tau = np.exp(log_tau.ravel()[live]).astype(f32)
            noise = normal32(rng, (live.size, horizon))
            noise *= f32(ramp.sigma)
            noise += ramp.ls[season[:horizon]].astype(f32)
            np.exp(noise, out=noise)
            d, jj = np.divmod(live, n)
            from ._kernels import ramp_output  # numba loads only when a simulation runs

            ramp_output(out, d, cols[jj], m, tau, track.astype(f32), edges[:horizon + 1],
                        noise, (cap[live] / 12.0).astype(f32))
        if not dates:
            return on, dur, None
        fp = month + dur
        fp = np.where(np.isfinite(fp) & (fp < 3.0 * horizon), fp, np.inf)
        fp = np.where(producing[None, :] & known_full[None, :], np.nan, fp)
        return on, dur, fp

    def sample_output(self, ledger_cut: Any, paths: Paths, rng: np.random.Generator) -> np.ndarray:
        """万元 produced in each forecast quarter: ``(draws, n, horizon)`` (DESIGN.md)."""
        return self.sample(ledger_cut, paths, rng, all_capacities=False, output_only=True).output

    def sample_full_production(self, ledger_cut: Any, paths: Paths, rng: np.random.Generator) -> np.ndarray:
        """Months after the as_of quarter end at which each project reaches 达产:
        ``(draws, n)``; NaN = already reached, inf = not within the horizon."""
        return self.sample(ledger_cut, paths, rng, all_capacities=False).full_production

    def predict_projects(self, ledger_cut: Any, draws: int = 1000, seed: int = 0) -> pd.DataFrame:
        """What each live project will produce once it runs, and when it reaches 达产.

        Returns
        -------
        DataFrame, one row per project not cancelled at the cut: ``project_id,
        category, designed_output, capacity_p10, capacity_p50, capacity_p90``
        (万元 a year at full production; a producing project's own output
        counts), ``p_output`` (probability it reports output once producing),
        and for projects in production without 达产 yet ``full_p10, full_p50,
        full_p90`` (dates).

        Examples
        --------
        >>> from forecast.sample import generate
        >>> led = generate(zones=2, seed=1)
        >>> m = OutputModel(summary_draws=20).fit(led, "2022Q4")
        >>> t = m.predict_projects(led.as_of("2022Q4"), draws=100)
        >>> bool((t["capacity_p10"] <= t["capacity_p90"]).all())
        True
        """
        self._check_fitted()
        p = ledger_cut.projects
        live = p.loc[p["cancelled_date"].isna()]
        ids = live["project_id"].to_numpy()
        waiting = live["production_date"].isna().to_numpy()
        months = np.full((draws, len(ids)), np.nan, np.float32)
        months[:, waiting] = 0.0  # capacity does not depend on when production starts
        paths = Paths(ids, next_quarters(ledger_cut.cut, 1), {"production_date": months}, as_of=ledger_cut.cut)
        dr = self.sample(ledger_cut, paths, np.random.default_rng(seed))
        q = np.quantile(dr.capacity, [0.1, 0.5, 0.9], axis=0)
        out = pd.DataFrame({"project_id": ids, "category": live["category"].to_numpy(),
                            "designed_output": live["designed_output"].to_numpy(),
                            "capacity_p10": q[0], "capacity_p50": q[1], "capacity_p90": q[2],
                            "p_output": dr.reports.mean(axis=0)})
        ramping = ~waiting & live["full_production_date"].isna().to_numpy()
        days = np.quantile(dr.months_to_full[:, ramping], [0.1, 0.5, 0.9], axis=0) * DAYS_PER_MONTH
        start = live["production_date"].to_numpy()[ramping]
        for col, d in zip(("full_p10", "full_p50", "full_p90"), days):
            out[col] = pd.NaT
            out.loc[ramping, col] = (pd.to_datetime(start) + pd.to_timedelta(np.round(d), unit="D")).to_numpy()
        return out

    def _posterior_draws(self, A: dict[str, Any], r: np.ndarray, m0: np.ndarray, v0: np.ndarray,
                         draws: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """log tau and log capacity of projects with data (cut rows ``r``): the
        grid posterior with the capacity prior and the 达产 information, then
        capacity given tau."""
        ramp = self.ramp_
        pos = A["pos"][r]
        full, elapsed, cat = A["full"][r], A["elapsed"][r], A["cat"][r]
        n_obs = A["n_obs"][r][:, None]
        xbar = self.xbar_[pos].astype(float)
        s2 = ramp.sigma**2
        vx = v0[:, None] + s2 / n_obs
        logw = (self.llflat_[pos] - 0.5 * np.log(2 * np.pi * vx) - (xbar - m0[:, None]) ** 2 / (2 * vx)
                + log_prior(ramp.mu_of(cat), ramp.sigma_tau))
        eta = max(ramp.eta, ETA_FLOOR)
        lk = np.log(ramp.kappa) + LOG_TAU[None, :]
        seen = np.isfinite(full)
        with np.errstate(divide="ignore"):
            logw += np.where(seen[:, None], -0.5 * ((np.log(np.where(seen, full, 1.0))[:, None] - lk) / eta) ** 2,
                             np.log(ndtr((lk - np.log(np.maximum(elapsed, 1e-6))[:, None]) / eta)))
        logw -= logsumexp(logw, axis=1, keepdims=True)
        # inverse-CDF draws on every project's grid at once: project j's
        # normalised cumulative weights live in [j, j + 1] of one sorted array
        cum = np.cumsum(np.exp(logw), axis=1)
        cum = cum / cum[:, -1:] + np.arange(len(pos))[:, None]
        u = rng.random((draws, len(pos)))
        G = len(LOG_TAU)
        flat = np.searchsorted(cum.ravel(), u + np.arange(len(pos))[None, :])
        g = np.clip(flat - G * np.arange(len(pos))[None, :], 0, G - 1)
        lt = LOG_TAU[g] + STEP * (rng.random(g.shape) - 0.5)
        xg = np.take_along_axis(xbar, g.T, axis=1).T
        prec = 1.0 / v0[None, :] + n_obs[:, 0][None, :] / s2
        mean = (m0[None, :] / v0[None, :] + n_obs[:, 0][None, :] * xg / s2) / prec
        lc = mean + rng.standard_normal(g.shape) / np.sqrt(prec)
        return lt, lc

    def _window(self, dur: np.ndarray, shape: tuple[int, int], reported: np.ndarray, span: np.ndarray,
                rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
        """Months a ledger keeps reporting after 达产, drawn from the projects whose
        reporting stopped, given that a project reported from ``reported`` months
        after 投产 for ``span`` months (-inf for one not producing yet). A project
        that has outlasted every window seen stops at the end of that report.
        Drawn for every (draw, project) of ``shape``; returned at the flat
        positions ``at`` only, whose months to 达产 are ``dur``."""
        w = self.ramp_.window
        if len(w) < 5:
            return np.full(at.shape, np.inf)
        u = rng.random(shape).ravel()[at]
        j = at % shape[1]
        bound = reported[j] - dur
        # a project not producing yet (reported -inf) may draw any window
        lo = np.zeros(at.shape, dtype=np.intp)
        seen = np.flatnonzero(np.isfinite(reported[j]))
        if seen.size:
            lo[seen] = np.searchsorted(w, bound[seen], side="right")
        pick = lo + np.floor(u * np.maximum(len(w) - lo, 1)).astype(int)
        return np.where(lo >= len(w), bound + span[j], w[np.minimum(pick, len(w) - 1)])

    # --- reading the fit --------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """What was learned, one row per quantity and group, with 90% intervals.

        ``output_ratio`` (annual output at capacity per 万元 planned: the median
        over the ledger's projects of each category / industry), ``realisation``
        (capacity / declared output), ``months_to_90`` (months from 投产 to 90%
        of capacity), ``months_to_full`` (to the 达产 date), ``season`` (output
        factor by calendar quarter, mean 1), ``output_share`` (share of projects
        in production that report output), ``reporting_months`` (after 达产),
        ``noise_sd`` (quarterly log noise) and ``tau_sd`` (spread of ramp speed).
        """
        self._check_fitted()
        if self.no_data_:
            return summary_frame([{"quantity": "no output data", "group": "", "n": 0}], ["quantity", "group"])
        if getattr(self, "_summary", None) is not None:
            return self._summary.copy()
        rows = self._ratio_rows()
        ramp = self.ramp_
        se = ramp.mu_se()
        for i, c in enumerate(CATEGORIES):
            if ramp.n[i] == 0 and not np.isfinite(ramp.mu[i]):
                continue
            mu = ramp.mu_of(np.array([i]))[0]
            for what, mult in (("months_to_90", LN10), ("months_to_full", ramp.kappa)):
                rows.append({"quantity": what, "group": c, "estimate": mult * np.exp(mu),
                             "lo": mult * np.exp(mu - Z90 * se[i]), "hi": mult * np.exp(mu + Z90 * se[i]),
                             "n": int(ramp.n[i])})
        if self.realisation_ is not None:
            rf = self.realisation_
            obs = self.capacity_obs_
            for j, col in enumerate(rf.columns):
                s = float(np.sqrt(rf.cov[j, j]))
                n = int((obs["category"] == col[4:]).sum() if "designed_output" not in obs else
                        ((obs["category"] == col[4:]) & (obs["designed_output"] > 0)).sum())
                rows.append({"quantity": "realisation", "group": col[4:], "estimate": np.exp(rf.beta[j]),
                             "lo": np.exp(rf.beta[j] - Z90 * s), "hi": np.exp(rf.beta[j] + Z90 * s), "n": n})
        ls_se = np.sqrt(np.maximum(np.diag(ramp.ls_cov), 0.0))
        for k in range(4):
            rows.append({"quantity": "season", "group": f"Q{k + 1}", "estimate": np.exp(ramp.ls[k]),
                         "lo": np.exp(ramp.ls[k] - Z90 * ls_se[k]), "hi": np.exp(ramp.ls[k] + Z90 * ls_se[k]),
                         "n": int(ramp.n.sum())})
        for c, v in self.output_share_.items():
            rows.append({"quantity": "output_share", "group": c, "estimate": v, "n": None})
        if len(ramp.window):
            rows.append({"quantity": "reporting_months", "group": "", "estimate": float(np.median(ramp.window)),
                         "lo": float(np.quantile(ramp.window, 0.05)), "hi": float(np.quantile(ramp.window, 0.95)),
                         "n": len(ramp.window)})
        rows.append({"quantity": "noise_sd", "group": "", "estimate": ramp.sigma, "n": int(ramp.n.sum())})
        rows.append({"quantity": "tau_sd", "group": "", "estimate": ramp.sigma_tau, "n": int(ramp.n.sum())})
        self._summary = summary_frame(rows, ["quantity", "group"])  # seeded, so worth keeping
        return self._summary.copy()

    def _ratio_rows(self, max_group: int = 2000) -> list[dict[str, Any]]:
        """Output per 万元 planned by category and industry: the median over the
        ledger's projects (a seeded sample of ``max_group`` in a large group), per
        parameter draw, so the interval is the parameters'."""
        rng = np.random.default_rng(self.seed)
        pop = self.population_.reset_index(drop=True)
        draws = int(self.summary_draws)
        cap = self.capacity_
        beta = rng.multivariate_normal(np.zeros(len(cap.beta)), cap.cov, size=draws)
        obs = self.capacity_obs_
        rows = []
        for key in ("category", "industry"):
            for grp, ix in pop.groupby(key, sort=True).indices.items():
                if len(ix) > max_group:
                    ix = rng.choice(ix, max_group, replace=False)
                g = pop.iloc[ix]
                x = capacity_design(g, self.land_, cap.columns).to_numpy(float)
                mean, _, rvar = cap.predict(x, g["industry"].to_numpy())
                logr = (mean - np.log(g["planned_investment"].to_numpy(float)))[None, :] + beta @ x.T \
                    + np.sqrt(rvar)[None, :] * rng.standard_normal((draws, len(ix)))
                med = np.median(logr, axis=1)
                rows.append({"quantity": "output_ratio" if key == "category" else "output_ratio_industry",
                             "group": grp, "estimate": float(np.exp(np.median(med))),
                             "lo": float(np.exp(np.quantile(med, 0.05))),
                             "hi": float(np.exp(np.quantile(med, 0.95))), "n": int((obs[key] == grp).sum())})
        return rows

    def plot(self, ax: Any = None) -> Any:
        """Ramp-up curves by category (share of capacity by months since 投产) with
        the 90% interval of each category's median; returns the axes."""
        self._check_fitted()
        ax = new_axes(ax)
        if self.no_data_:
            ax.set_title("no output data")
            return ax
        ramp = self.ramp_
        t = np.linspace(0, 60, 121)
        se = ramp.mu_se()
        for i, c in enumerate(CATEGORIES):
            if not np.isfinite(ramp.mu[i]):
                continue
            tau = np.exp(ramp.mu[i] + np.array([-Z90, 0.0, Z90])[:, None] * se[i])
            curve = 1.0 - np.exp(-t[None, :] / tau)
            ax.fill_between(t, curve[0], curve[2], alpha=0.2, color=f"C{i}")
            ax.plot(t, curve[1], color=f"C{i}", label=f"{CATEGORY_ZH[c]} τ={np.exp(ramp.mu[i]):.1f}")
        ax.axhline(0.9, color="0.5", lw=0.8, ls="--")
        ax.set_xlabel("months since 投产")
        ax.set_ylabel("share of capacity")
        ax.set_ylim(0, 1.02)
        ax.legend(fontsize=8, loc="lower right")
        return ax


def _output_share(info: pd.DataFrame) -> pd.Series:
    """Share of projects in production for a quarter or more (inside the ledger's
    reporting) that report output, by category; Jeffreys prior."""
    use = (info["elapsed"] >= 3.0) & ~info["truncated"]
    g = info.loc[use].groupby("category")["any_output"]
    k, n = g.sum(), g.size()
    share = (k + 0.5) / (n + 1.0)
    return pd.Series(share.to_numpy(), index=[CATEGORIES[i] for i in share.index], name="output_share")
