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

This module fits and reads the model; the draws are made in
:mod:`._output_sampling`, on the per-cut arrays of :mod:`._output_cut`.

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
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import ForecastError
from ..periods import DAYS_PER_MONTH, next_quarters
from ..vocab import CATEGORIES, CATEGORY_ZH
from ._base import BaseModel, Paths, fit_quarter, new_axes, single_thread, summary_frame
from ._output_sampling import OutputDraws, draw_output
from .capacity import capacity_design, category_design, fit_land, fit_shrunk
from .rampup import LN10, fit_link, fit_ramp, grid_stats, loglik_flat, observations

Z90 = 1.6448536269514722
#: Fewest producing projects with two complete quarters of output the model fits on.
MIN_PROJECTS = 3


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
        return draw_output(self, ledger_cut, paths, rng, all_capacities, output_only)

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
