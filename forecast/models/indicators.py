"""Zone indicator baselines: ETS / SARIMA forecasts of a zone's own statistics.

``indicators.csv`` holds what the statistics office publishes for a zone
(固定资产投资, 规上工业总产值, ...), usually monthly year-to-date figures with
January and February together; the loader turns them into per-period values.
:func:`quarterly_indicators` sums them by quarter (a February row that carries
January + February counts in Q1), and :class:`IndicatorBaselines` forecasts each
zone's quarterly series on the log scale. They are a report section and a
yardstick for the bottom-up (project-level) forecasts.

Model choice, from rolling origins on real NBS series (quarterly, horizon 4,
origins 2015Q4–2024Q1; ``bench/fit_output.py`` prints the table):
ETS(A,Ad,A) on logs beat SARIMA(0,1,1)(0,1,1,4) on MASE for national FAI and
GDP, with similar interval coverage.

Intervals. Maximum-likelihood ETS intervals are too narrow on short series:
on 400 simulated ETS(A,Ad,A) series of 40 quarters the plain 80% interval held
71% of the next four quarters (statsmodels and the numpy engine alike). Two
corrections bring it to 76–82% across simulated settings: the residual variance
uses the degrees of freedom (SSE / (n - k), Student-t quantiles) and the forecast
variance gets the average leverage of a fitted linear model, a factor
(1 + k / n), for the error in the estimated states and parameters (k = 9
estimated values for ETS(A,Ad,A) with four seasons).

Definition breaks. Published levels break where the statistics change basis
(national FAI: the project threshold rose in 2011, so the NBS tests start in
2012; levels were revised down from 2018, the December totals of 2018-2020
absorbing the year's revision, and again in 2023, so published levels and
growth rates disagree by up to 20%). The baselines keep the figures as
published: a zone's statistics arrive the same way, and what a report must
forecast is the figure that will be published. Chain-linking the levels with
the published growth rates would give a smoother series but would forecast a
number nobody publishes. The price is visible in the scores: on national FAI
the 80% interval held 71% of outcomes and ETS only matched seasonal naive,
against 78-82% and a clear win on the GDP series (``bench/fit_output.py --nbs``).
A quarter that a revision turns non-positive ends the run of usable quarters
(logs), so the model fits on what follows it.

Engines. ``"numpy"`` (default) fits every series at once with the vectorised
ETS of :mod:`forecast.models._ets` (seconds for 10,000 series); ``"statsmodels"``
fits one ``ETSModel`` or ``SARIMAX`` per series (about 30–60 ms each) and is the
reference the numpy engine is tested against.
"""

from __future__ import annotations

import warnings
from typing import Any, Iterable

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import ForecastError
from ..periods import quarter
from ..scoring import crps_from_quantiles, interval_coverage, mase_scale
from ..vocab import FORECAST_COLUMNS, INDICATOR_ZH, QUANTILE_COLUMNS, QUANTILES
from ._base import BaseModel, fit_quarter, new_axes, single_thread, summary_frame
from ._ets import fit_ets, forecast_ets

SEASON = 4
KEYS = ["zone_id", "metric"]
METHODS = ("ets", "sarima")
ENGINES = ("numpy", "statsmodels")


def quarterly_indicators(indicators: pd.DataFrame) -> pd.DataFrame:
    """Sum per-period indicator values into complete quarters.

    A quarter counts when its last month is reported (or a quarterly row is
    given): year-to-date figures carry a missing month into the next reported
    one, so the quarter's total is then right. Quarterly rows win over monthly
    rows of the same quarter.

    Parameters
    ----------
    indicators : the ``Ledger.indicators`` table (``zone_id, period, freq,
        period_end, quarter, metric, value``).

    Returns
    -------
    DataFrame ``zone_id, metric, quarter, value`` sorted by series and quarter.

    Examples
    --------
    >>> ind = pd.DataFrame({"zone_id": "z", "metric": "fixed_asset_investment",
    ...     "freq": "M", "period_end": pd.to_datetime(["2024-02-29", "2024-03-31", "2024-04-30"]),
    ...     "value": [10.0, 15.0, 7.0]})
    >>> quarterly_indicators(ind)[["quarter", "value"]].values.tolist()
    [[Period('2024Q1', 'Q-DEC'), 25.0]]
    """
    cols = ["zone_id", "metric", "quarter", "value"]
    df = indicators.loc[indicators["value"].notna()]
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in cols})
    q = df["period_end"].dt.to_period("Q-DEC")
    month = df["period_end"].dt.month
    monthly = df["freq"].eq("M")
    keys = [df["zone_id"], df["metric"], q.rename("quarter")]
    mkeys = [k[monthly] for k in keys]
    msum = df.loc[monthly, "value"].groupby(mkeys).sum()
    ends = month[monthly].mod(3).eq(0).groupby(mkeys).any()
    msum = msum[ends.reindex(msum.index, fill_value=False).to_numpy()]
    qrows = df.loc[~monthly].groupby([k[~monthly] for k in keys])["value"].sum()
    both = pd.concat([qrows, msum[~msum.index.isin(qrows.index)]])
    out = both.rename("value").reset_index()
    return out.sort_values(["zone_id", "metric", "quarter"], kind="stable").reset_index(drop=True)[cols]


def _series(table: pd.DataFrame, as_of: pd.Period, window: int) -> list[dict[str, Any]]:
    """Per series: the trailing run of consecutive positive quarters up to as_of."""
    t = table.loc[table["quarter"] <= as_of]
    out = []
    for (zone, metric), g in t.groupby(KEYS, sort=True):
        g = g.sort_values("quarter")
        qi = np.array([p.ordinal for p in g["quarter"]])
        v = g["value"].to_numpy(float)
        ok = v > 0  # logs need positive values; a revision can make a quarter negative
        # the run ends at the last quarter; it breaks at a gap or a non-positive value
        brk = np.flatnonzero(~ok | np.r_[False, np.diff(qi) != 1])
        start = 0 if len(brk) == 0 else brk[-1] + (0 if ok[brk[-1]] else 1)
        if not ok[-1]:
            start = len(v)
        start = max(start, len(v) - window)
        out.append({"zone_id": zone, "metric": metric, "last": pd.Period(ordinal=int(qi[-1]), freq="Q-DEC"),
                    "z": np.log(v[start:]) if start < len(v) else np.array([])})
    return out


class IndicatorBaselines(BaseModel):
    """Per-zone, per-indicator ETS / SARIMA baselines with quantile forecasts.

    Parameters
    ----------
    method : ``"ets"`` (ETS(A,Ad,A) on logs) or ``"sarima"`` (SARIMA(0,1,1)(0,1,1,4)
        on logs, statsmodels engine only).
    engine : ``"numpy"`` (vectorised, default) or ``"statsmodels"``.
    window : most recent quarters each series is fitted on.
    min_quarters : fewer quarters than this get a seasonal random walk with drift
        instead (on logs); fewer than ``SEASON + 2`` get no forecast.
    max_horizon : quarters after a series' last value that can be forecast.

    Attributes
    ----------
    series_ : DataFrame, one row per zone and metric: ``last`` quarter, ``n``
        quarters used, ``model``, smoothing parameters and one-step ``sigma``.
    history_ : the quarterly table the models were fitted on.
    as_of_ : Period

    Examples
    --------
    >>> from forecast.sample import generate
    >>> bl = IndicatorBaselines().fit(generate(zones=2, seed=1), "2023Q4")
    >>> fc = bl.forecast(horizon=4)
    >>> sorted(fc["period"].unique())
    ['2024Q1', '2024Q2', '2024Q3', '2024Q4']
    """

    def __init__(self, method: str = "ets", engine: str = "numpy", window: int = 40,
                 min_quarters: int = 12, max_horizon: int = 16) -> None:
        self.method = method
        self.engine = engine
        self.window = window
        self.min_quarters = min_quarters
        self.max_horizon = max_horizon

    # --- fitting -------------------------------------------------------------------
    def fit(self, ledger: Any, as_of: str | pd.Period | None = None) -> "IndicatorBaselines":
        """Fit on ``ledger.as_of(as_of).indicators``; returns ``self``."""
        q = fit_quarter(ledger, as_of)
        cut = ledger.as_of(q)
        return self.fit_quarterly(quarterly_indicators(cut.indicators), q)

    def fit_quarterly(self, table: pd.DataFrame, as_of: str | pd.Period) -> "IndicatorBaselines":
        """Fit on a tidy quarterly table ``zone_id, metric, quarter, value``.

        Any quarterly series works (the backtest uses it for ledger totals too);
        only quarters up to ``as_of`` are used.
        """
        self._validate()
        q = quarter(as_of)
        need = {"zone_id", "metric", "quarter", "value"}
        if not need <= set(table.columns):
            raise ForecastError(f"The quarterly table needs columns {sorted(need)}. Got: {list(table.columns)}")
        series = _series(table, q, int(self.window))
        steps = int(self.max_horizon) + max((int((q - s["last"]).n) for s in series), default=0)
        n = np.array([len(s["z"]) for s in series], dtype=int)
        main = n >= int(self.min_quarters)
        short = (n >= SEASON + 2) & ~main
        mean = np.full((len(series), steps), np.nan)
        var = np.full((len(series), steps), np.nan)
        df = np.full(len(series), np.nan)
        info = [dict() for _ in series]
        idx = np.flatnonzero(main)
        if len(idx):
            fitter = self._fit_numpy if self.engine == "numpy" else self._fit_statsmodels
            mean[idx], var[idx], df[idx], extra = fitter([series[i]["z"] for i in idx], steps)
            for j, i in enumerate(idx):
                info[i] = extra[j]
        for i in np.flatnonzero(short):
            mean[i], var[i], df[i] = _seasonal_rw(series[i]["z"], steps)
            info[i] = {"model": "seasonal_rw"}
        rows = []
        for i, s in enumerate(series):
            model = info[i].get("model", "none")
            rows.append({"zone_id": s["zone_id"], "metric": s["metric"], "last": s["last"], "n": int(n[i]),
                         "model": model, "sigma": float(np.sqrt(var[i, 0])) if np.isfinite(var[i, 0]) else np.nan,
                         **{k: v for k, v in info[i].items() if k != "model"}})
        self.series_ = pd.DataFrame(rows, columns=list(dict.fromkeys(
            ["zone_id", "metric", "last", "n", "model", "sigma"] + [k for r in rows for k in r])))
        self.mean_log_, self.var_log_, self.df_ = mean, var, df
        self.history_ = table.loc[table["quarter"] <= q].reset_index(drop=True)
        self.as_of_ = q
        return self

    def _validate(self) -> None:
        if self.method not in METHODS:
            raise ForecastError(f"method must be one of {METHODS}. Got: {self.method!r}")
        if self.engine not in ENGINES:
            raise ForecastError(f"engine must be one of {ENGINES}. Got: {self.engine!r}")
        if self.method == "sarima" and self.engine == "numpy":
            raise ForecastError("method='sarima' needs engine='statsmodels'; the numpy engine fits ETS only.")
        if int(self.min_quarters) < 2 * SEASON + 1:
            raise ForecastError(f"min_quarters must be at least {2 * SEASON + 1}. Got: {self.min_quarters}")

    def _fit_numpy(self, zs: list[np.ndarray], steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        t_len = max(len(z) for z in zs)
        z = np.full((len(zs), t_len), np.nan)
        for i, s in enumerate(zs):
            z[i, : len(s)] = s
        with single_thread():
            fit = fit_ets(z, np.array([len(s) for s in zs]), m=SEASON)
        mean, var = forecast_ets(fit, steps)
        var = var * (1.0 + fit.n_params / fit.n)[:, None]  # see the module docstring
        extra = [{"model": "ets", "alpha": a, "beta": b, "gamma": g, "phi": p}
                 for a, b, g, p in fit.params.tolist()]
        return mean, var, fit.df.astype(float), extra

    def _fit_statsmodels(self, zs: list[np.ndarray], steps: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict]]:
        from statsmodels.tsa.exponential_smoothing.ets import ETSModel
        from statsmodels.tsa.statespace.sarimax import SARIMAX

        mean = np.empty((len(zs), steps))
        var = np.empty((len(zs), steps))
        dfs = np.empty(len(zs))
        extra = []
        for i, z in enumerate(zs):
            n = len(z)
            with single_thread(), warnings.catch_warnings():
                # short series make the optimisers warn about convergence; the
                # rolling-origin scores, not the warnings, judge the fits
                warnings.simplefilter("ignore")
                if self.method == "ets":
                    res = ETSModel(pd.Series(z), error="add", trend="add", damped_trend=True,
                                   seasonal="add", seasonal_periods=SEASON).fit(disp=False)
                    pred = res.get_prediction(start=n, end=n + steps - 1)
                    mu, v = np.asarray(pred.predicted_mean), np.asarray(pred.forecast_variance)
                    k = len(res.params) - 1  # the four seasonal starts are tied by their mean
                    p = res.params
                    extra.append({"model": "ets", "alpha": float(p[0]), "beta": float(p[1]),
                                  "gamma": float(p[2]), "phi": float(p[3])})
                    n_eff = n
                else:
                    res = SARIMAX(z, order=(0, 1, 1), seasonal_order=(0, 1, 1, SEASON)).fit(disp=False)
                    f = res.get_forecast(steps)
                    mu, v = np.asarray(f.predicted_mean), np.asarray(f.var_pred_mean)
                    k, n_eff = 2, n - SEASON - 1  # differencing uses up m + 1 values
                    extra.append({"model": "sarima", "theta": float(res.params[0]),
                                  "seasonal_theta": float(res.params[1])})
            d = max(n_eff - k, 1)
            # degrees of freedom, then the estimation-error allowance (module docstring)
            mean[i], var[i], dfs[i] = mu, v * n_eff / d * (1.0 + k / n_eff), d
        return mean, var, dfs, extra

    # --- forecasting -------------------------------------------------------------------
    def forecast(self, horizon: int = 4, zones: Iterable[str] | None = None) -> pd.DataFrame:
        """Quantile forecasts of the ``horizon`` quarters after ``as_of``.

        Returns
        -------
        DataFrame in the forecast-table shape (``vocab.FORECAST_COLUMNS``), with
        ``metric`` the indicator name (万元 in the quarter). Series without a
        model (too short) are left out.
        """
        self._check_fitted()
        if not 1 <= int(horizon) <= int(self.max_horizon):
            raise ForecastError(f"horizon must be between 1 and {self.max_horizon}. Got: {horizon}")
        s = self.series_
        keep = s["model"].ne("none").to_numpy()
        if zones is not None:
            keep &= s["zone_id"].isin(list(zones)).to_numpy()
        idx = np.flatnonzero(keep)
        h = np.arange(1, int(horizon) + 1)
        lag = np.array([(self.as_of_ - s.at[i, "last"]).n for i in idx], dtype=int)
        step = lag[:, None] + h[None, :] - 1  # column into the stored forecasts
        mu = np.take_along_axis(self.mean_log_[idx], step, axis=1)
        v = np.take_along_axis(self.var_log_[idx], step, axis=1)
        tq = stats.t.ppf(np.asarray(QUANTILES)[None, None, :], self.df_[idx][:, None, None])
        qv = np.exp(mu[..., None] + tq * np.sqrt(v)[..., None])
        periods = np.array([str(self.as_of_ + int(k)) for k in h], dtype=object)
        data = {
            "zone_id": np.repeat(s["zone_id"].to_numpy()[idx], len(h)),
            "period": np.tile(periods, len(idx)),
            "metric": np.repeat(s["metric"].to_numpy()[idx], len(h)),
            "mean": np.exp(mu + v / 2.0).ravel(),
        }
        for j, col in enumerate(QUANTILE_COLUMNS):
            data[col] = qv[..., j].ravel()
        return pd.DataFrame(data, columns=list(FORECAST_COLUMNS))

    # --- reading -----------------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """One row per zone and indicator: the next quarter's median forecast (万元)
        with a 90% interval, ``n`` quarters fitted, the model and its parameters."""
        self._check_fitted()
        fc = self.forecast(1)
        s = self.series_.merge(fc, on=KEYS, how="left")
        rows = [{"zone_id": r.zone_id, "metric": r.metric, "what": f"next quarter {r.period}",
                 "estimate": r.p50, "lo": r.p05, "hi": r.p95, "n": r.n}
                for r in s.itertuples()]
        out = summary_frame(rows, ["zone_id", "metric", "what"])
        extra = [c for c in self.series_.columns if c not in ("zone_id", "metric", "n", "last")]
        return pd.concat([out, self.series_[extra].reset_index(drop=True)], axis=1)

    def plot(self, ax: Any = None, zone_id: str | None = None, metric: str | None = None,
             horizon: int = 4) -> Any:
        """History and forecast fan (median, 50% and 90% bands) of one series.

        Defaults to the first zone and metric; returns the axes."""
        self._check_fitted()
        ax = new_axes(ax)
        s = self.series_
        zone_id = zone_id if zone_id is not None else s["zone_id"].iloc[0]
        metric = metric if metric is not None else s.loc[s["zone_id"] == zone_id, "metric"].iloc[0]
        h = self.history_
        h = h.loc[(h["zone_id"] == zone_id) & (h["metric"] == metric)].tail(self.window)
        fc = self.forecast(horizon, zones=[zone_id])
        fc = fc.loc[fc["metric"] == metric]
        x_h = h["quarter"].dt.to_timestamp(how="end")
        x_f = pd.PeriodIndex(fc["period"], freq="Q-DEC").to_timestamp(how="end")
        ax.plot(x_h, h["value"], color="0.2", lw=1.2, label="actual")
        ax.fill_between(x_f, fc["p05"], fc["p95"], alpha=0.2, color="C0", label="90%")
        ax.fill_between(x_f, fc["p25"], fc["p75"], alpha=0.35, color="C0", label="50%")
        ax.plot(x_f, fc["p50"], color="C0", lw=1.5, label="median")
        ax.set_title(f"{zone_id} · {INDICATOR_ZH.get(metric, metric)}")
        ax.set_ylabel("万元 / quarter")
        ax.legend(loc="upper left", fontsize=8)
        return ax


def _seasonal_rw(z: np.ndarray, steps: int) -> tuple[np.ndarray, np.ndarray, float]:
    """Seasonal random walk with drift on logs: mean, variance, degrees of freedom."""
    d = z[SEASON:] - z[:-SEASON]
    drift = d.mean()
    s2 = d.var(ddof=1) if len(d) > 1 else d[0] ** 2
    h = np.arange(1, steps + 1)
    years = np.ceil(h / SEASON)
    base = z[len(z) - SEASON + (h - 1) % SEASON]
    # the drift is estimated from len(d) differences: its variance grows with years^2
    var = s2 * (years + years**2 / len(d))
    return base + years * drift, var, float(max(len(d) - 1, 1))


# --- rolling-origin evaluation ---------------------------------------------------------------
def rolling_origin(table: pd.DataFrame, origins: Iterable[str | pd.Period], horizon: int = 4,
                   **settings: Any) -> pd.DataFrame:
    """Fit at each origin on the quarters up to it and forecast ``horizon`` ahead.

    Returns the forecast rows with ``origin``, ``h``, ``actual`` (NaN when not
    yet known), ``naive`` (seasonal naive: the same quarter a year before the
    forecast quarter, from data known at the origin) and ``scale`` (the MASE
    scale of the history at the origin).

    Examples
    --------
    >>> t = pd.DataFrame({"zone_id": "z", "metric": "m",
    ...     "quarter": pd.period_range("2010Q1", periods=40, freq="Q"),
    ...     "value": np.exp(np.arange(40) * 0.02 + np.tile([0.0, 0.2, 0.1, 0.3], 10))})
    >>> r = rolling_origin(t, ["2017Q4", "2018Q1"], horizon=2)
    >>> r[["origin", "period", "h"]].astype(str).values.tolist()[:2]
    [['2017Q4', '2018Q1', '1'], ['2017Q4', '2018Q2', '2']]
    """
    rows = []
    values = table.set_index(["zone_id", "metric", "quarter"])["value"]
    for o in origins:
        o = quarter(o)
        model = IndicatorBaselines(**settings).fit_quarterly(table, o)
        fc = model.forecast(horizon)
        # the MASE scale comes from the quarters the model was fitted on
        window = int(settings.get("window", 40))
        hist = table.loc[table["quarter"] <= o].sort_values("quarter")
        scale = hist.groupby(KEYS)["value"].apply(
            lambda v: float(mase_scale(v.to_numpy(float)[-window:], SEASON)))
        per = pd.PeriodIndex(fc["period"], freq="Q-DEC")
        fc["origin"] = str(o)
        fc["h"] = np.asarray((per - o).map(lambda d: d.n), dtype=int)
        key = list(zip(fc["zone_id"], fc["metric"], per))
        fc["actual"] = values.reindex(key).to_numpy()
        # seasonal naive: the value 4, 8, ... quarters before, the first one known at the origin
        lag = per - SEASON * np.ceil(fc["h"].to_numpy() / SEASON).astype(int)
        fc["naive"] = values.reindex(list(zip(fc["zone_id"], fc["metric"], lag))).to_numpy()
        fc["scale"] = scale.reindex(list(zip(fc["zone_id"], fc["metric"]))).to_numpy()
        rows.append(fc)
    return pd.concat(rows, ignore_index=True)


def score_origins(frame: pd.DataFrame) -> pd.DataFrame:
    """Scores per zone and metric from :func:`rolling_origin` rows with actuals.

    Columns: ``origins``, ``n`` (forecasts scored), ``mase`` and ``mase_naive``
    (seasonal naive), ``cov80`` (share inside p10–p90), ``cov90`` (p05–p95),
    ``cov50`` (p25–p75), ``crps`` (from the quantiles, scaled like MASE).
    """
    f = frame.loc[frame["actual"].notna()]
    out = []
    for (zone, metric), g in f.groupby(KEYS, sort=True):
        a = g["actual"].to_numpy(float)
        q = g[list(QUANTILE_COLUMNS)].to_numpy(float)
        out.append({
            "zone_id": zone, "metric": metric, "origins": g["origin"].nunique(), "n": len(g),
            "mase": float(np.mean(np.abs(a - g["p50"]) / g["scale"])),
            "mase_naive": float(np.mean(np.abs(a - g["naive"]) / g["scale"])),
            "cov80": interval_coverage(a, g["p10"], g["p90"])[0],
            "cov90": interval_coverage(a, g["p05"], g["p95"])[0],
            "cov50": interval_coverage(a, g["p25"], g["p75"])[0],
            "crps": float(np.mean(crps_from_quantiles(a, q) / g["scale"])),
        })
    return pd.DataFrame(out)
