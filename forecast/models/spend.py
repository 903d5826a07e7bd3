"""Investment spend curve (投资完成率): how much of a project's planned investment
is spent in each quarter.

A project spends ``total = planned × overrun`` over its construction, month by
month in proportion to ``w_m = [B(u_{m+1}) - B(u_m)] × s_{month of year} × ε_m``:
``B`` is a Beta CDF (the S-curve) over the share ``u`` of the construction
period elapsed, ``s`` monthly seasonal factors (slow Q1, year-end rush) and
``ε`` log-normal noise (lumpy payments). The curve's ``a, b`` depend on
category and size; ``log overrun`` has a category and size mean and the
shape of the ledger's own residuals (a normal when it has few projects).

Fit: the curve and the seasonal factors by least squares on log spend of
completed projects with a per-project level profiled out (so the unknown
total and partial histories do not matter), checked against the ledger's
empirical curve (``_spend_curve``: a category that fails spends along it);
the overrun and the payment noise's variance on completed projects whose
whole spend is in the ledger.

Forecast (:meth:`SpendModel.sample_investment`): start and completion months
come from each draw of :class:`~forecast.models.completion.CompletionModel`
paths, so a project that starts late or overruns its plan spends later; for a
project under construction the total is updated by what it has spent so far
(the share of the curve already covered says what the total must be) and is
never below it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import least_squares
from scipy.special import betainc

from ..exceptions import ForecastError
from ..vocab import CATEGORIES
from ._base import BaseModel, Paths, fit_quarter, new_axes, single_thread, summary_frame
from ._spend_curve import (GRID, MIN_PROJECTS, choose, empirical_curves, project_shares, read,
                           payment_sd)
from ._spend_rows import progress_rows, RowWeights
from ._stages import category_codes, cut_clock, ledger_origin, log_size, size_design
from .survival import month_clock, speeds

#: Least-squares scale of a log-spend residual, for the ridge pseudo-residuals.
_RESID_SCALE = 0.35


#: Beta parameters a fitted curve must keep (a curve outside is degenerate:
#: all spending at the first or last instant) and the bounds of the fit's
#: intercepts and deviations (log scale).
_AB_RANGE = (0.2, 50.0)
_LOG_AB_BOUNDS = (np.log(0.25), np.log(40.0))
_DEV_BOUND = 2.5


def ledger_seasonal(progress: pd.DataFrame, column: str = "investment") -> tuple[np.ndarray, int]:
    """Monthly seasonal factors of a ledger's total (January first, mean 1)
    and the number of years behind them.

    Each month's total over all projects is divided by its centred 2×12
    moving average (which takes out level and trend); the ratios are
    averaged by calendar month and shrunk toward flat by their noise share
    (empirical Bayes: a month's year-to-year spread over its years, against
    the spread between months), so a short or noisy ledger gets flat factors.
    Quarterly rows say nothing about months and are left out; fewer than two
    years of ratios give flat factors.
    """
    values = progress[column].to_numpy(float, na_value=np.nan)
    keep = np.flatnonzero((progress["freq"].astype(str).to_numpy() == "M") & ~np.isnan(values))
    if not keep.size:
        return np.ones(12), 0
    # month ordinals (months since 1970-01, as Period's) without copying the frame
    month = progress["period_end"].to_numpy()[keep].astype("datetime64[M]").astype(np.int64)
    total = pd.Series(values[keep]).groupby(month).sum()
    full = np.arange(total.index.min(), total.index.max() + 1)
    y = total.reindex(full, fill_value=0.0).to_numpy()
    if y.size < 36 or y.sum() <= 0:
        return np.ones(12), 0
    ma = np.convolve(y, np.r_[0.5, np.ones(11), 0.5] / 12.0, mode="valid")  # centred 2×12
    ratio = y[6:-6] / np.where(ma > 0, ma, np.nan)
    moy = (full[6:-6] % 12).astype(int)  # Period ordinals count months from 1970-01
    ok = np.isfinite(ratio)
    counts = np.bincount(moy[ok], minlength=12)
    if counts.min() < 2:
        return np.ones(12), 0
    f = np.bincount(moy[ok], ratio[ok], minlength=12) / counts
    # empirical Bayes: each month's mean moves toward 1 by its noise share
    # (year-to-year spread / years) of the spread between the months
    dev = ratio[ok] - f[moy[ok]]
    noise = np.bincount(moy[ok], dev * dev, minlength=12) / (counts - 1) / counts
    signal = max(float(np.var(f)) - float(noise.mean()), 0.0)
    f = 1.0 + (f - f.mean()) * signal / (signal + noise + 1e-12)
    return f / f.mean(), int(counts.min())


class SpendModel(BaseModel):
    """S-curve of investment over construction, with seasonality and overrun.

    Parameters
    ----------
    max_projects : int
        Completed projects the curve is fitted on (a random subset beyond it).
    max_empirical : int
        Completed projects the empirical curves and the payment noise are
        measured on (a random subset beyond it: their means are then as
        good as the check's tolerance can tell, at a fraction of the time).
    ledger_start : str or None
        Date the ledger began (see :class:`CompletionModel`); projects that
        started before it have partial spend histories and are left out of the
        overrun fit. ``None`` takes the first progress period.
    seed : int
        Seed of the generator used for subsampling inside ``fit``.

    Attributes
    ----------
    as_of_ : Period
    curve_ : dict
        ``par`` (log a and log b on category and log size, then the seasonal
        ``theta``), ``cov``, ``sigma`` (monthly log-noise sd), ``fallback``
        (True when the ledger had too little spend history and a default
        Beta(2, 2) curve without seasonality is used), ``empirical`` (the
        ledger's empirical curves, see ``_spend_curve.empirical_curves``),
        ``use_empirical`` (per category, then unknown: the Beta curve failed
        its check and the empirical one is used). With enough completed
        projects ``sigma`` matches the variance of their quarterly spend
        around their curves (``sigma_log``: the least-squares log sd of the
        paying months, which lumpy payments mislead).
    overrun_ : dict
        ``beta``, ``xtx_inv``, ``sigma``, ``n`` of the log-overrun regression,
        and ``resid``: its standardised residuals, the shape the overrun is
        drawn from (a normal when the ledger has too few projects for it).
    delay_ : dict
        ``mean``, ``sd`` of log(actual / planned construction months), for the
        would-be completion of projects cancelled under construction.

    Examples
    --------
    >>> from forecast.sample import generate                # doctest: +SKIP
    >>> sm = SpendModel().fit(generate(zones=4, seed=1), "2022Q4")  # doctest: +SKIP
    >>> sm.summary().query("what == 'spend_quarter_factor'")        # doctest: +SKIP
    """

    _fitted_attr = "curve_"

    def __init__(self, max_projects: int = 1500, ledger_start: str | None = None, seed: int = 0,
                 max_empirical: int = 20_000) -> None:
        self.max_projects = max_projects
        self.max_empirical = max_empirical
        self.ledger_start = ledger_start
        self.seed = seed

    # --- fit ------------------------------------------------------------------------------
    def fit(self, ledger: Any, as_of: str | pd.Period | None = None) -> "SpendModel":
        """Fit the curve, the seasonal factors and the overrun on
        ``ledger.as_of(as_of)``; returns ``self``."""
        q = fit_quarter(ledger, as_of)
        cut = ledger.as_of(q)  # a ledger already cut at q is used as it is
        P = cut.projects
        rng = np.random.default_rng(self.seed)
        origin = ledger_origin(cut, self.ledger_start)
        xs, xc = month_clock(P["start_date"]), month_clock(P["completion_date"])
        codes, lsize = category_codes(P["category"]), log_size(P)
        centre = float(np.nanmedian(lsize)) if np.isfinite(lsize).any() else 0.0
        rows = progress_rows(cut, P)
        done = np.flatnonzero(np.isfinite(xs) & np.isfinite(xc))
        season, years = ledger_seasonal(cut.progress)
        spent = np.bincount(rows["pidx"], rows["investment"], minlength=len(P))
        full = done[(xs[done] >= origin) & (spent[done] > 0)]
        notes: list[str] = []
        with single_thread():
            curve = _fit_curve(rows, done, xs, xc, codes, lsize, centre, self.max_projects, rng,
                               season if years else None, notes)
        curve["season_years"] = years
        emp = None
        if not curve["fallback"]:
            measured = full if full.size <= self.max_empirical else np.sort(
                np.random.default_rng([self.seed, 1]).choice(full, self.max_empirical, replace=False))
            cum, grp = project_shares(rows, measured, xs, xc)
            if grp.size >= MIN_PROJECTS:
                emp = empirical_curves(cum, codes[grp], len(CATEGORIES))
        curve["empirical"] = emp
        curve["use_empirical"] = choose(curve["par"], curve["k"], centre, emp, notes, CATEGORIES)
        _warn_curve(notes, curve["use_empirical"], emp)
        self.curve_, self.centre_ = curve, centre
        if emp is not None:
            # The payment noise the forecasts draw has the variance of the
            # ledger's quarterly spend around each project's curve.
            from ._spend_sampling import _tabulate

            # each distinct curve once (projects share a few thousand)
            keys, which = np.unique(self.curve_keys(codes[grp], lsize[grp]), axis=0, return_inverse=True)
            own, _ = _tabulate(keys, self.empirical_table())
            sd = payment_sd(rows, grp, own.astype(float), xs, xc, self.seasonal(), which.ravel())
            if sd is not None:
                curve["sigma_log"], curve["sigma"] = curve["sigma"], sd
        self.overrun_ = _fit_overrun(spent[full] / P["planned_investment"].to_numpy(float)[full],
                                     codes[full], lsize[full], centre, xs[full])
        plan = month_clock(P["planned_completion_date"]) - xs
        ok = done[np.isfinite(plan[done]) & (plan[done] > 0)]
        ratio = np.log(np.maximum(xc[ok] - xs[ok], 0.5) / plan[ok])
        self.delay_ = {"mean": float(ratio.mean()) if ok.size else np.log(1.15),
                       "sd": float(ratio.std()) if ok.size > 2 else 0.25, "n": int(ok.size)}
        started = np.isfinite(plan) & (plan > 0)
        self.plan_months_ = np.array([
            float(np.median(plan[started & (codes == ci)])) if (started & (codes == ci)).sum() >= 5
            else float(np.median(plan[started])) if started.any() else 24.0
            for ci in range(len(CATEGORIES))])
        self.centre_ = centre
        self.origin_ = origin
        self.overrun_codes_ = codes[full]
        self.overrun_lsize_ = lsize[full]
        self.overrun_start_ = xs[full]
        self.curve_ = curve
        self.as_of_ = q
        return self

    # --- pieces used by sampling and the summary ----------------------------------------------
    def seasonal(self, theta: np.ndarray | None = None) -> np.ndarray:
        """Monthly spend factors, January first, mean 1."""
        self._check_fitted()
        return speeds(np.r_[0.0, self.curve_["theta"] if theta is None else theta])

    def _ab(self, codes: np.ndarray, lsize: np.ndarray, par: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        c = self.curve_
        par = c["par"] if par is None else par
        k = c["k"]
        X = size_design(codes, lsize, self.centre_)
        return np.exp(X @ par[:k]), np.exp(X @ par[k:2 * k])

    def curve_keys(self, codes: np.ndarray, lsize: np.ndarray) -> np.ndarray:
        """Which curve each project spends along, ``(n, 2)``: its Beta ``(a, b)``,
        or ``(-1 - row, 0)`` for row ``row`` of :meth:`empirical_table`."""
        a, b = self._ab(codes, lsize)
        use = self.curve_.get("use_empirical")
        if use is None or not use.any():
            return np.column_stack([a, b])
        row = np.where(codes >= 0, codes, use.size - 1)
        emp = use[row]
        return np.column_stack([np.where(emp, -1.0 - row, a), np.where(emp, 0.0, b)])

    def empirical_table(self) -> np.ndarray:
        """Empirical curves by category (last row: pooled, for an unknown
        category) at the sampler's knots; ``(0, GRID)`` when there are none."""
        emp = self.curve_.get("empirical")
        if emp is None:
            return np.zeros((0, GRID))
        return np.vstack([emp["curves"], emp["pooled"][None, :]])

    def curve_at(self, ci: int, u: np.ndarray, lsize: float | None = None) -> np.ndarray:
        """Share of the total spent at shares ``u`` of construction by a
        project of category ``ci`` (-1: unknown) and log size ``lsize``
        (default the median), on the curve it spends along."""
        key = self.curve_keys(np.array([ci]), np.array([self.centre_ if lsize is None else lsize]))[0]
        if key[0] < 0:
            return read(self.empirical_table()[int(-1 - key[0])], np.asarray(u, float))
        return betainc(key[0], key[1], np.asarray(u, float))

    # --- forecast ---------------------------------------------------------------------------
    def sample_investment(self, ledger_cut: Any, paths: Paths, rng: np.random.Generator) -> np.ndarray:
        """Investment (万元) of each project in each forecast quarter, per draw.

        Parameters
        ----------
        ledger_cut : Ledger cut at the forecast origin.
        paths : Paths from :meth:`CompletionModel.sample_paths` for the same cut.
        rng : numpy Generator.

        Returns
        -------
        ndarray, shape ``(draws, n, horizon)``, in ``paths.project_ids`` order.
        """
        from ._spend_sampling import sample_investment

        self._check_fitted()
        if ledger_cut.cut is None:
            raise ForecastError("sample_investment needs a ledger cut with .as_of(quarter).")
        return sample_investment(self, ledger_cut, paths, rng)

    # --- reading the fit --------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Fitted S-curves (share spent at a quarter, half and three quarters of
        construction, by category), quarter-of-year spend factors, overrun
        median by category and its spread, payment noise — ``estimate, lo, hi``
        (90%), ``n``."""
        from ._spend_summary import build_summary

        self._check_fitted()
        return build_summary(self)

    def plot(self, ax: Any = None) -> Any:
        """S-curves by category (cumulative share of the total against the
        share of construction time). Returns the axes."""
        self._check_fitted()
        ax = new_axes(ax)
        u = np.linspace(0, 1, 101)
        for ci, cat in enumerate(CATEGORIES):
            ax.plot(u, self.curve_at(ci, u), label=cat)
        ax.set_xlabel("share of construction time elapsed")
        ax.set_ylabel("share of total investment spent")
        ax.set_title("Spend S-curves at the median size")
        ax.legend(fontsize="small")
        return ax


def _fit_curve(rows, done, xs, xc, codes, lsize, centre, max_projects, rng,
               season: np.ndarray | None = None, notes: list[str] | None = None) -> dict:
    """Least squares on log spend with a profiled per-project level, the
    Beta parameters bounded; ``season`` (monthly factors estimated from the
    ledger's totals) is used as it is, else the seasonal parameters are fitted
    with the curve."""
    k = size_design(codes[:1], lsize[:1], centre).shape[1]
    fixed = None if season is None else np.log(season[1:]) - np.log(season[0])
    sel = done if done.size <= max_projects else np.sort(rng.choice(done, max_projects, replace=False))
    keep = np.isin(rows["pidx"], sel) & (rows["investment"] > 0)
    p = rows["pidx"][keep]
    first, last = rows["first"][keep], rows["last"][keep]
    # Rows with no overlap with construction carry no curve information.
    inside = (last + 1 > xs[p]) & (first < xc[p] + 1)
    p, first, last = p[inside], first[inside], last[inside]
    y = np.log(rows["investment"][keep][inside])
    grp, gidx = np.unique(p, return_inverse=True)
    counts = np.bincount(gidx)
    use = counts[gidx] >= 3
    if use.sum() < 30:
        # A ledger without spend history still forecasts: a symmetric S-curve,
        # the ledger's seasons (flat when it has none) and the usual payment
        # noise, said loudly.
        warnings.warn(
            "Too few progress rows of completed projects to fit the spend curve "
            f"(need 30 rows from projects with 3 or more; got {int(use.sum())}); "
            "using a default Beta(2, 2) curve.", stacklevel=3)
        par = np.zeros(2 * k + 11)
        par[0] = par[k] = np.log(2.0)
        if fixed is not None:
            par[2 * k:] = fixed
        return {"par": par, "k": k, "theta": par[2 * k:], "cov": np.eye(par.size) * 1e-6,
                "sigma": 0.35, "n_projects": 0, "n_rows": 0, "converged": False, "fallback": True}
    p, first, last, y, gidx = p[use], first[use], last[use], y[use], np.unique(p[use], return_inverse=True)[1]
    n_rows = y.size
    span = (last - first + 1).astype(int)
    X = size_design(codes[p], lsize[p], centre)
    moy = np.mod(first, 12).astype(int)
    ng = gidx.max() + 1
    cnt = np.bincount(gidx, minlength=ng)

    def full(par):
        return par if fixed is None else np.r_[par, fixed]

    weights = RowWeights(k, X, xs[p], xc[p], first, span, moy, p)

    def resid(par):
        w = weights(full(par))
        r = y - np.log(np.maximum(w, 1e-12))
        r = r - (np.bincount(gidx, r, minlength=ng) / cnt)[gidx]
        # Ridge on category deviations and the size slope (prior sd 1).
        prior = np.r_[par[1:k], par[k + 1:2 * k]] * _RESID_SCALE
        return np.r_[r, prior]

    n_par = 2 * k + (11 if fixed is None else 0)
    x0 = np.zeros(n_par)
    x0[0], x0[k] = np.log(2.0), np.log(2.0)
    lo, hi = np.full(n_par, -np.inf), np.full(n_par, np.inf)
    lo[:2 * k], hi[:2 * k] = -_DEV_BOUND, _DEV_BOUND
    lo[[0, k]], hi[[0, k]] = _LOG_AB_BOUNDS
    res = least_squares(resid, x0, method="trf", x_scale="jac", ftol=1e-8, xtol=1e-8, bounds=(lo, hi))
    r = res.fun[:n_rows]
    dof = max(n_rows - ng - n_par, 1)
    sigma = float(np.sqrt(np.sum(r * r) / dof))
    J = res.jac
    cov = np.zeros((2 * k + 11, 2 * k + 11))
    cov[:n_par, :n_par] = np.linalg.pinv(J.T @ J) * sigma**2
    par = _checked(full(res.x), k, codes[p], lo, hi, [] if notes is None else notes)
    months_per_row = float(span.mean())
    return {"par": par, "k": k, "theta": par[2 * k:], "cov": cov,
            # Quarterly rows average three months' noise.
            "sigma": sigma * np.sqrt(months_per_row), "n_projects": int(ng), "n_rows": int(n_rows),
            "converged": bool(res.success), "fallback": False,
            "season_fitted": fixed is None}


def _checked(par: np.ndarray, k: int, codes: np.ndarray, lo: np.ndarray, hi: np.ndarray,
             notes: list[str]) -> np.ndarray:
    """The fitted curve parameters with every degenerate category curve (a
    Beta parameter at a bound of the fit or outside ``_AB_RANGE`` at the
    median size) replaced by the pooled curve; a pooled curve at a bound is
    kept there (the most front- or back-loaded curve allowed, never all
    spending at one instant). Each appends a note naming the category (the
    fit warns once, with what it fell back to)."""
    par = par.copy()
    at_bound = np.isclose(par[:2 * k], lo[:2 * k]) | np.isclose(par[:2 * k], hi[:2 * k])

    def bad(idx: list[int]) -> bool:
        a, b = np.exp(par[idx[0]]), np.exp(par[idx[1]])
        return bool(at_bound[idx].any() or not (_AB_RANGE[0] <= a <= _AB_RANGE[1])
                    or not (_AB_RANGE[0] <= b <= _AB_RANGE[1]))

    if bad([0, k]):
        notes.append(
            f"the pooled curve reached a bound of the fit (Beta a = {np.exp(par[0]):.3g}, b = "
            f"{np.exp(par[k]):.3g}; bounds {np.exp(_LOG_AB_BOUNDS[0]):.3g}–{np.exp(_LOG_AB_BOUNDS[1]):.3g}): "
            "the ledger's projects spend more at one end of construction than a Beta curve shows")
    for ci in range(1, min(k - 1, len(CATEGORIES))):
        if not (codes == ci).any():
            continue
        both = par[[0, ci]].sum(), par[[k, k + ci]].sum()
        a, b = np.exp(both[0]), np.exp(both[1])
        edge = at_bound[ci] or at_bound[k + ci]
        if edge or not (_AB_RANGE[0] <= a <= _AB_RANGE[1]) or not (_AB_RANGE[0] <= b <= _AB_RANGE[1]):
            notes.append(f"the curve of category {CATEGORIES[ci]!r} is degenerate (Beta a = {a:.3g}, "
                         f"b = {b:.3g}) and takes the pooled Beta curve")
            par[ci] = par[k + ci] = 0.0
    return par


def _warn_curve(notes: list[str], use: np.ndarray, emp: dict | None) -> None:
    """One warning naming every category cell whose Beta curve failed, and
    what it uses instead."""
    if not notes:
        return
    if use.any():
        cats = [CATEGORIES[i] for i in np.flatnonzero(use[:-1])]
        tail = (f"categories {', '.join(cats)} use the ledger's empirical curve "
                f"({emp['n_projects']} completed projects with their whole spend)")
    else:
        tail = ("too few completed projects with their whole spend for an empirical curve: "
                "the Beta curve is kept" if emp is None else "the Beta curves pass the check against "
                "the ledger's empirical curve and are kept")
    warnings.warn("SpendModel spend curve: " + "; ".join(notes) + ". " + tail + ".", stacklevel=3)


def overrun_design(ov: dict, codes: np.ndarray, lsize: np.ndarray, centre: float,
                   start: np.ndarray, cut: float) -> np.ndarray:
    """Design of the log overrun: category, centred log size and the start
    (month clock; not started: ``cut``) in years from the fitted starts'
    middle, held inside their range (the drift is followed, not
    extrapolated)."""
    lo, hi = ov.get("start_range", (0.0, 0.0))
    t = np.clip(np.where(np.isfinite(start), start, cut), lo, hi)
    return np.hstack([size_design(codes, lsize, centre), ((t - 0.5 * (lo + hi)) / 12.0)[:, None]])


def _fit_overrun(ratio: np.ndarray, codes: np.ndarray, lsize: np.ndarray, centre: float,
                 start: np.ndarray) -> dict:
    """log(total spent / planned) on category, log size and start date (a
    ledger whose overruns drift, as when spend and plan are in different
    years' money, is followed)."""
    ok = np.isfinite(ratio) & (ratio > 0) & np.isfinite(start)
    span = (float(start[ok].min()), float(start[ok].max())) if ok.any() else (0.0, 0.0)
    X = overrun_design({"start_range": span}, codes[ok], lsize[ok], centre, start[ok], 0.0)
    if ok.sum() < X.shape[1] + 5:
        return {"beta": np.r_[np.log(1.08), np.zeros(X.shape[1] - 1)], "xtx_inv": np.eye(X.shape[1]),
                "sigma": 0.15, "n": int(ok.sum()), "start_range": (0.0, 0.0)}
    lr = np.log(ratio[ok])
    # A weak ridge keeps a category with a handful of projects near the others.
    pen = np.diag(np.r_[0.0, np.full(X.shape[1] - 1, 1.0)])
    xtx_inv = np.linalg.inv(X.T @ X + pen)
    beta = xtx_inv @ X.T @ lr
    resid = lr - X @ beta
    sigma = float(np.sqrt(resid @ resid / max(ok.sum() - X.shape[1], 1)))
    # The residuals themselves are the overrun's shape: a ledger whose totals
    # stop near a ceiling (spend bounded by the loan) but sometimes fall far
    # short has a long left tail in logs, which a normal would mirror into
    # overruns the ledger never shows. Each keeps its leverage out.
    lev = np.einsum("ij,jk,ik->i", X, xtx_inv, X)
    shape = resid / np.sqrt(np.clip(1.0 - lev, 0.05, 1.0))
    return {"beta": beta, "xtx_inv": xtx_inv, "sigma": sigma, "n": int(ok.sum()),
            "resid": (shape - shape.mean()) / max(float(shape.std()), 1e-12), "start_range": span}
