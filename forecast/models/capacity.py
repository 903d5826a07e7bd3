"""Capacity and realisation regressions: OLS with empirical-Bayes industry effects.

Both the capacity model (log annual output at capacity on log planned
investment, log land, category) and the realisation model (log of capacity over
the declared ``designed_output``, by category) are ordinary least squares
(statsmodels) plus a random intercept per industry, shrunk towards zero by
empirical Bayes: an industry with few projects keeps little of its own mean
residual. Prediction variance = parameter part ``x' Cov(beta) x`` + the
industry effect's posterior variance (or its full variance for an unseen
industry) + the residual variance, so a project with no declared output still
gets an honest distribution.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..vocab import CATEGORIES


@dataclass
class ShrunkFit:
    """A fitted regression with shrunk group intercepts.

    ``columns`` the design columns, ``beta``/``cov`` the OLS coefficients and
    their covariance, ``sigma2`` the within-group residual variance, ``tau2``
    the variance of group effects, ``effects``/``effect_var`` each group's
    shrunk intercept and its posterior variance, ``n`` observations, ``df``
    residual degrees of freedom.
    """

    columns: list[str]
    beta: np.ndarray
    cov: np.ndarray
    sigma2: float
    tau2: float
    effects: dict[str, float]
    effect_var: dict[str, float]
    n: int
    df: int

    def group_effect(self, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Shrunk effect and its variance for each group label (unseen: 0, tau2)."""
        g = pd.Series(groups, dtype="object")
        u = g.map(self.effects).astype(float).fillna(0.0).to_numpy()
        v = g.map(self.effect_var).astype(float).fillna(self.tau2).to_numpy()
        return u, v

    def predict(self, x: np.ndarray, groups: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Mean, parameter variance and the rest (group + residual) variance."""
        u, vu = self.group_effect(groups)
        mean = x @ self.beta + u
        pvar = np.einsum("ij,jk,ik->i", x, self.cov, x)
        return mean, pvar, vu + self.sigma2


def fit_shrunk(x: pd.DataFrame, y: np.ndarray, groups: np.ndarray | None) -> ShrunkFit:
    """OLS of ``y`` on ``x`` (no added constant), then empirical-Bayes group effects.

    The group variance is a method-of-moments estimate: the mean over groups of
    the squared mean residual minus its sampling part (floored at zero).

    >>> rng = np.random.default_rng(0)
    >>> x = pd.DataFrame({"one": np.ones(400), "v": rng.normal(size=400)})
    >>> f = fit_shrunk(x, 1.0 + 2.0 * x["v"].to_numpy() + 0.1 * rng.normal(size=400), None)
    >>> np.round(f.beta, 1).tolist()
    [1.0, 2.0]
    """
    # the module, not statsmodels.api: importing the whole API was 0.4 s of
    # every forked fit (the calibration's and the output model's workers)
    from statsmodels.regression.linear_model import OLS

    res = OLS(np.asarray(y, float), x.to_numpy(float)).fit()
    beta, cov = np.asarray(res.params), np.asarray(res.cov_params())
    resid = np.asarray(res.resid)
    n, k = x.shape
    df = max(n - k, 1)
    sigma2 = float(resid @ resid / df)
    tau2, effects, effect_var = 0.0, {}, {}
    if groups is not None:
        g = pd.Series(resid).groupby(pd.Series(groups, dtype="object").fillna("(blank)").to_numpy())
        means, counts = g.mean(), g.size()
        within = float(((pd.Series(resid) - g.transform("mean")) ** 2).sum() / max(n - len(counts), 1))
        tau2 = float(max(np.mean(means.to_numpy() ** 2 - within / counts.to_numpy()), 0.0))
        w = tau2 / (tau2 + within / counts)
        effects = (w * means).to_dict()
        effect_var = (tau2 * (1 - w)).to_dict()
        sigma2 = within if tau2 > 0 else sigma2
    return ShrunkFit(list(x.columns), beta, cov, sigma2, tau2, effects, effect_var, n, df)


@dataclass
class LandModel:
    """Log land (亩) on category and log planned investment, from every project
    with a land figure: fills blanks before the capacity regression, because
    land intensity differs by an order of magnitude between categories (a
    single 'land blank' shift would mis-state the categories unlike the bulk)."""

    intercept: dict[str, float]
    slope: float
    pooled: float

    def impute(self, projects: pd.DataFrame) -> np.ndarray:
        lp = np.log(projects["planned_investment"].to_numpy(float))
        a = projects["category"].astype(str).map(self.intercept).astype(float).fillna(self.pooled)
        return a.to_numpy() + self.slope * lp


def fit_land(projects: pd.DataFrame) -> LandModel:
    """Fit :class:`LandModel` (within-category slope, category intercepts)."""
    land = projects["land_mu"].to_numpy(float)
    ok = np.isfinite(land) & (land > 0)
    if ok.sum() < 3:
        return LandModel({}, 0.0, np.log(60.0))
    ll = np.log(land[ok])
    lp = np.log(projects["planned_investment"].to_numpy(float)[ok])
    cat = projects["category"].astype(str).to_numpy()[ok]
    # the common slope from within-category deviations, then the intercepts
    dl = pd.Series(ll).groupby(cat).transform("mean").to_numpy()
    dp = pd.Series(lp).groupby(cat).transform("mean").to_numpy()
    den = np.sum((lp - dp) ** 2)
    slope = float(np.sum((lp - dp) * (ll - dl)) / den) if den > 0 else 0.0
    icpt = pd.Series(ll - slope * lp).groupby(cat).mean()
    return LandModel(icpt.to_dict(), slope, float(np.mean(ll - slope * lp)))


def capacity_design(projects: pd.DataFrame, land: LandModel, columns: list[str] | None = None) -> pd.DataFrame:
    """Design of the capacity regression.

    Columns: one intercept per category (``cat:<name>``; or ``const`` when
    asked for), ``log_planned``
    (log 万元 minus log 50,000), ``log_land`` (log 亩 minus log 60; a blank is
    filled by ``land``'s prediction) and ``land_blank`` (what a filled figure
    misses on average). With ``columns`` given, returns those columns in that
    order; a category without its own column gets the average of the fitted
    category intercepts (its extra uncertainty is added by the caller).
    """
    cat = projects["category"].astype(str).to_numpy()
    lp = np.log(projects["planned_investment"].to_numpy(float)) - np.log(50_000.0)
    raw = projects["land_mu"].to_numpy(float)
    has = np.isfinite(raw) & (raw > 0)
    ll = np.where(has, np.log(np.where(has, raw, 1.0)), land.impute(projects)) - np.log(60.0)
    data = {f"cat:{c}": (cat == c).astype(float) for c in CATEGORIES}
    data.update({"log_planned": lp, "log_land": ll, "land_blank": (~has).astype(float),
                 "const": np.ones(len(cat))})
    full = pd.DataFrame(data, index=projects.index)
    if columns is None:
        # the category intercepts span the constant: it is there for a caller
        # that asks for a design without categories (too few observations)
        keep = [c for c in full.columns if full[c].abs().sum() > 0 and c != "const"]
        if full["land_blank"].all():  # no land figures at all: the intercepts carry it
            keep = [c for c in keep if c not in ("land_blank", "log_land")]
        return full[keep]
    out = full.reindex(columns=columns, fill_value=0.0)
    cats = [c for c in columns if c.startswith("cat:")]
    unseen = ~full[cats].any(axis=1).to_numpy() if cats else np.zeros(len(full), bool)
    if cats and unseen.any():
        out.loc[unseen, cats] = 1.0 / len(cats)
    return out


def category_design(categories: np.ndarray, columns: list[str] | None = None) -> pd.DataFrame:
    """One indicator column per category (``cat:<name>``), for the realisation model."""
    cat = np.asarray(categories).astype(str)
    full = pd.DataFrame({f"cat:{c}": (cat == c).astype(float) for c in CATEGORIES})
    if columns is None:
        return full[[c for c in full.columns if full[c].sum() > 0]]
    out = full.reindex(columns=columns, fill_value=0.0)
    unseen = ~full[columns].any(axis=1).to_numpy() if columns else np.zeros(len(full), bool)
    if columns and unseen.any():
        out.loc[unseen, columns] = 1.0 / len(columns)
    return out


def between_category_var(fit: ShrunkFit) -> float:
    """Variance of the fitted category intercepts: the extra uncertainty of a
    category the model has not seen."""
    idx = [i for i, c in enumerate(fit.columns) if c.startswith("cat:")]
    return float(np.var(fit.beta[idx], ddof=1)) if len(idx) > 1 else 0.25
