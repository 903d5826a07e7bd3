"""Self-calibration: the model set backtests itself on the ledger's own history.

At ``as_of`` = q the structural models are refitted at the quarters before q
(``origins`` of them, each on ``ledger.as_of(o)`` only) and forecast
``horizon`` quarters ahead; every (origin, quarter) pair whose quarter is at
or before q is scored against what the ledger shows at q, beside the two
baselines of :mod:`forecast.models.baselines`. Nothing at or after q is used
as an origin, and no actual after q is read: the calibration fitted on the
whole ledger at q equals the one fitted on ``ledger.as_of(q)``. The baselines
are those of :mod:`forecast.models.baselines`: seasonal naive, ETS and the
mean of the last four quarters.

Per metric (for every forecast quarter k = 1..``horizon``; later quarters use
the last) two things are learned:

1. *Weights* of the structural forecast and the baselines, on a grid of
   eighths, one vector for all forecast quarters: the predictive quantile
   functions are averaged with these weights (Vincentisation, which keeps a
   sharp forecast sharp). Among the grid points whose backtest MASE of the
   recalibrated median (the figure the product prints, and the backtest
   scores), averaged over each quarter's cases and summed over quarters, is
   within ``tolerance`` of the smallest, the one with the smallest CRPS is
   taken (point accuracy first, then the whole distribution). One quarter's
   few dozen cases would let a baseline that was lucky at one origin take
   the weight. The structural forecast alone is kept, though, when it
   is itself within ``tolerance`` of the best in MASE and its own
   recalibrated 80% intervals cover 80% of each quarter's backtest outcomes
   to within ``COVERAGE_SLACK``: a tie is no reason to move the model's
   median. The blend's spread about its median may be widened too
   (``SPREADS``, chosen per quarter by the same rule given the weights): a
   sharp source whose support misses the outcomes cannot be widened by
   quantile mapping.
2. *A recalibration* per forecast quarter of the blended distribution: the histogram of the
   backtest PITs (non-randomised for counts, Czado, Gneiting & Held 2009) gives
   their CDF G, shrunk toward the uniform by ``prior_weight`` pseudo-cases; the
   new quantile at level u is the old one at level G⁻¹(u) (quantile mapping).

Applied to a zone's draws (:meth:`Calibration.adjust`), each draw keeps its
rank in every metric and quarter, so the joint structure of the draws (year
totals, roll-ups) stays that of the simulation; its value becomes the
recalibrated blend at that rank. The quantile grid spans levels
1/(2·``levels``) .. 1 − 1/(2·``levels``): draws beyond them take the end values
(the fit sees nothing beyond, so the product forecasts nothing beyond).

A ledger with too little history (fewer than two origins with
``min_history`` quarters behind them for the longest horizon) is not
calibrated: :attr:`Calibration.active_` is False and the draws are unchanged.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pandas as pd
from scipy.special import ndtri

from ..periods import quarter
from ..vocab import COUNT_METRICS, METRICS
from ._base import ROLES, BaseModel, new_axes, summary_frame
from ._calibration_data import baseline_grid, fingerprint, stable_order, subset, zone_series
from ._quantile_grid import TAU as _TAU, at as _at, coverage, grid as _grid, median as _median, pit_cdf, positions

#: The sources blended, in the order of a weight vector.
SOURCES = ("structural", "seasonal_naive", "ets", "recent_mean")
#: Factors a blend's spread about its median may be widened by (quantile mapping
#: alone cannot widen a forecast whose support misses the outcomes).
SPREADS = (1.0, 1.5, 2.5)
#: Weight vectors on a grid of eighths, structural-heavy first.
WEIGHTS = np.array([(a, b, c, 8 - a - b - c) for a in range(8, -1, -1) for b in range(0, 9 - a)
                    for c in range(0, 9 - a - b)], float) / 8.0
#: How the weights are chosen, for the summary's notes.
WEIGHT_RULE = ("one blend for all forecast quarters: backtest MASE of the median within the tolerance of "
               "the best, then CRPS; the model alone when its MASE is within the tolerance and its intervals hold")
#: How far from 80% the structural forecast's own recalibrated 80% intervals
#: may cover in the backtest for a tie in MASE to keep it alone.
COVERAGE_SLACK = 0.1
#: Forecast quarters the baselines are kept for (the simulator's longest horizon).
BASELINE_QUARTERS = 16

#: Backtest forecasts of recent origins, keyed by the content of the ledger cut
#: at the origin and the settings: a rolling backtest, or a batch refitting
#: at the same quarter, reuses them instead of refitting (``_remember``).
_MEMO: "OrderedDict[tuple, dict[str, np.ndarray]]" = OrderedDict()
_MEMO_SIZE = 48


#: The slow models (stage transitions, spend curve) of the backtest, fitted
#: once at an anchor quarter and shared by the origins after it (``_shared_fit``).
SHARED_ROLES = ("completion", "spend")
_FITS: "OrderedDict[tuple, dict[str, Any] | None]" = OrderedDict()
_FITS_SIZE = 6


def _shared_fit(sub: Any, anchor: pd.Period, make_models: Callable[[], Any]) -> dict[str, Any] | None:
    """``SHARED_ROLES`` fitted on ``sub.as_of(anchor)`` (remembered by content);
    ``None`` when that cut cannot be fitted (the origin then fits its own)."""
    from ..exceptions import ForecastError

    acut = sub.as_of(anchor)
    key = (str(anchor), fingerprint(acut), repr(make_models()))
    if key not in _FITS:
        ms = make_models()
        try:
            fitted = ms.fit(acut, anchor, reuse={r: None for r in ROLES if r not in SHARED_ROLES})
            _FITS[key] = {r: getattr(fitted, r + "_") for r in SHARED_ROLES}
        except (ForecastError, ValueError):
            _FITS[key] = None
        while len(_FITS) > _FITS_SIZE:
            _FITS.popitem(last=False)
    _FITS.move_to_end(key)
    return _FITS[key]


class Calibration(BaseModel):
    """Backtest-fitted blend and recalibration of the zone forecasts.

    Parameters
    ----------
    origins : int
        Quarters before ``as_of`` used as backtest origins (the most recent).
    horizon : int
        Forecast quarters calibrated one by one; later ones use the last.
    draws : int
        Draws of each backtest forecast.
    max_zones : int
        Zones the backtest runs on (a fixed subsample of bigger ledgers: the
        calibration is pooled over zones, so a sample of them estimates it).
    min_history : int
        Quarters of ledger an origin needs behind it (for the baselines).
    prior_weight : float
        Pseudo-cases of a calibrated forecast the PIT histogram is shrunk toward.
    tolerance : float
        Relative MASE margin within which the blend with the best CRPS is preferred.
    levels : int
        Quantile levels the distributions are handled on.
    refit_every : int
        The slow models (``SHARED_ROLES``) of the backtest are fitted at
        anchor quarters ``refit_every`` apart (Q2 and Q4 ends with 2, year
        ends with 4) and an origin uses those of the last anchor at or before
        it; the others are fitted at each origin. 1 fits everything at every
        origin.
    seed : int

    Attributes
    ----------
    active_ : bool
        Whether the ledger had enough history to calibrate.
    reason_ : str
        Why not, when not.
    origins_ : list of Period
        The backtest origins used (all before ``as_of``).
    zones_ : list of str
        The zones the backtest ran on.
    cells_ : dict
        ``(metric, k)`` → ``weights`` (in the order of ``SOURCES``), ``spread``,
        ``g`` (PIT CDF on a grid), ``n`` and the before/after scores.
    """

    _fitted_attr = "cells_"

    def __init__(self, origins: int = 6, horizon: int = 4, draws: int = 100, max_zones: int = 40,
                 min_history: int = 8, prior_weight: float = 20.0, tolerance: float = 0.02,
                 levels: int = 40, refit_every: int = 2, seed: int = 0) -> None:
        self.origins = origins
        self.horizon = horizon
        self.draws = draws
        self.max_zones = max_zones
        self.min_history = min_history
        self.prior_weight = prior_weight
        self.tolerance = tolerance
        self.levels = levels
        self.refit_every = refit_every
        self.seed = seed

    def anchor(self, origin: pd.Period) -> pd.Period:
        """The quarter the slow models of a backtest origin are fitted at: the
        last on a fixed calendar grid (so rolling backtests share them) at or
        before ``origin``."""
        step = max(int(self.refit_every), 1)
        return origin - (origin.ordinal + 1) % step

    # --- fit --------------------------------------------------------------------------
    def fit(self, ledger: Any, as_of: pd.Period, make_models: Callable[[], Any]) -> "Calibration":
        """Backtest ``make_models()`` (an unfitted, uncalibrated model set,
        ``ModelSet(calibrate=False)``) at the origins before ``as_of`` and fit
        the blend and recalibration."""
        q = as_of
        cut = ledger.as_of(q)  # itself when already cut at q
        self.as_of_ = q
        self.cells_: dict[tuple[str, int], dict[str, Any]] = {}
        self.active_, self.reason_, self.origins_ = False, "", []
        zones = stable_order(cut.zone_ids)[: self.max_zones]
        self.zones_ = sorted(zones)
        sub = subset(cut, zones) if len(zones) < len(cut.zone_ids) else cut
        actual, start = zone_series(sub, self.zones_)  # (Z, M, T), quarters start..q
        if start is None:
            self.reason_ = "the ledger has no dated events"
            return self
        # history counts from where the ledger is complete: its first progress
        # period (projects registered long before are listed, their spend is not)
        first = start
        if len(sub.progress):
            first = max(first, quarter(sub.progress["period_end"].min()))
        cand = [q - j for j in range(1, self.origins + 1) if (q - j).ordinal - first.ordinal >= self.min_history]
        if sum(o.ordinal + self.horizon <= q.ordinal for o in cand) < 2:
            self.reason_ = (f"too little history: calibrating needs two origins with {self.min_history} "
                            f"quarters behind them and {self.horizon} after, before {q}")
            return self
        self.origins_ = sorted(cand)
        rows = [self._origin_rows(sub, o, make_models, actual, start, q) for o in self.origins_]
        data = {k: np.concatenate([r[k] for r in rows]) for k in rows[0]}
        for j, metric in enumerate(METRICS):
            sel = (data["metric"] == j) & np.isfinite(data["y"])
            cells = self._fit_cells(data["Q"][sel], data["y"][sel], data["scale"][sel], data["k"][sel],
                                    metric in COUNT_METRICS)
            self.cells_.update({(metric, k): c for k, c in cells.items()})
        self.active_ = True
        self._baselines_at(cut)
        return self

    def _origin_rows(self, sub: Any, o: pd.Period, make_models: Callable[[], Any], actual: np.ndarray,
                     start: pd.Period, q: pd.Period) -> dict[str, np.ndarray]:
        """Backtest rows of one origin: the sources' quantile grids, the
        actual (NaN after q), the MASE scale, the metric and the horizon."""
        fc = self._origin_forecasts(sub, o, make_models)
        Q, scale = fc["Q"], fc["scale"]  # (sources, Z, M, H, L), (Z, M)
        z, m, h = Q.shape[1:4]
        t = o.ordinal - start.ordinal + 1 + np.arange(h)  # index of quarter o + k in ``actual``
        inside = o.ordinal + 1 + np.arange(h) <= q.ordinal  # never an actual after as_of
        y = np.full((z, m, h), np.nan)
        y[:, :, inside] = actual[:, :, t[inside]]
        return {
            "Q": Q.transpose(1, 2, 3, 0, 4).reshape(z * m * h, len(SOURCES), -1),
            "y": y.reshape(-1),
            "scale": np.repeat(scale.reshape(-1), h),
            "metric": np.tile(np.repeat(np.arange(m), h), z),
            "k": np.tile(np.arange(1, h + 1), z * m),
        }

    def _origin_forecasts(self, sub: Any, o: pd.Period, make_models: Callable[[], Any]) -> dict[str, np.ndarray]:
        """The structural and baseline quantile grids of every zone at origin
        ``o`` (from ``sub.as_of(o)`` only), remembered by content (``_MEMO``)."""
        from ..scoring import mase_scale
        from .draws import zone_draws

        scut = sub.as_of(o)
        anchor = self.anchor(o)
        key = (str(o), str(anchor), fingerprint(scut), self.draws, self.seed, self.horizon, self.levels,
               repr(make_models()))
        if key in _MEMO:
            _MEMO.move_to_end(key)
            return _MEMO[key]
        grid = _grid(self.levels)
        models = make_models().fit(scut, o, reuse=_shared_fit(sub, anchor, make_models))
        live = scut.projects.loc[scut.projects["cancelled_date"].isna()]
        live = live.sort_values(["zone_id", "project_id"], kind="stable")
        groups = live.groupby("zone_id", sort=False).indices
        z, m, h = len(self.zones_), len(METRICS), self.horizon
        Q = np.zeros((len(SOURCES), z, m, h, self.levels))
        for i, zone in enumerate(self.zones_):
            projects = live.iloc[groups[zone]] if zone in groups else live.iloc[:0]
            s = zone_draws(models, scut, projects, zone, h, self.draws, self.seed)
            for j, metric in enumerate(METRICS):
                Q[0, i, j] = np.quantile(s[metric], grid, axis=0).T
        y = zone_series(scut, self.zones_)[0].reshape(z * m, -1)
        Q[1:] = baseline_grid(y, h, grid).reshape(len(SOURCES) - 1, z, m, h, self.levels)
        out = {"Q": Q, "scale": mase_scale(y).reshape(z, m)}
        _MEMO[key] = out
        while len(_MEMO) > _MEMO_SIZE:
            _MEMO.popitem(last=False)
        return out

    def _score(self, Q: np.ndarray, y: np.ndarray, scale: np.ndarray, half: float, w: np.ndarray,
               spread: float) -> tuple[float, float, np.ndarray, np.ndarray]:
        """Backtest MASE (of the median, summed over cases) and mean CRPS of the
        blend ``w`` widened by ``spread`` and mapped by its own PIT CDF; the CDF
        and the blend before mapping."""
        grid = _grid(self.levels)
        mid = self.levels // 2
        blend = np.einsum("s,nsl->nl", w, Q)
        if spread != 1.0:
            centre = blend[:, mid - 1: mid + 1].mean(axis=1, keepdims=True)
            blend = np.maximum(centre + spread * (blend - centre), 0.0)
        g = pit_cdf(blend, y, half, self.prior_weight)
        final = _at(blend, positions(g, self.levels))
        ok = np.isfinite(scale) & (scale > 0)
        loss = float(np.sum(np.abs(_median(final) - y)[ok] / scale[ok])) if ok.any() else 0.0
        diff = y[:, None] - final
        crps = float(np.mean(2.0 * np.maximum(grid * diff, (grid - 1.0) * diff).mean(axis=1))) if len(y) else 0.0
        return loss, crps, g, blend

    def _pick(self, results: dict[Any, tuple[float, float]]) -> Any:
        """The key whose loss is within ``tolerance`` of the smallest and whose
        CRPS is the smallest among those (the first of equal CRPS: keys come
        structural-heavy first)."""
        floor = min(r[0] for r in results.values())
        near = [key for key, r in results.items() if r[0] <= floor * (1.0 + self.tolerance) + 1e-12]
        return min(near, key=lambda key: results[key][1])

    def _fit_cells(self, Q: np.ndarray, y: np.ndarray, scale: np.ndarray, k: np.ndarray,
                   integer: bool) -> dict[int, dict[str, Any]]:
        """The cells of one metric, forecast quarter ``k`` = 1..``horizon``,
        from its backtest rows (``k`` the forecast quarter of each row).

        One weight vector for all forecast quarters: the backtest MASE of the
        median (the figure the product prints), per case of each quarter and
        summed over quarters, then CRPS, chooses it with one spread. Chosen
        per quarter on a few dozen cases each, the weights followed whichever
        baseline was lucky at one origin. The spread and the PIT mapping are
        then fitted per quarter (the spread by the same rule given the weights).
        """
        half = 0.5 if integer else 0.0
        ks = range(1, self.horizon + 1)
        rows = {h: k == h for h in ks}
        count = {h: max(int((rows[h] & np.isfinite(scale) & (scale > 0)).sum()), 1) for h in ks}
        done: dict[tuple[int, float], dict[int, tuple]] = {}

        def run(indices: np.ndarray) -> None:
            for i in indices:
                for f in SPREADS:
                    if (i, f) not in done:
                        done[(i, f)] = {h: self._score(Q[rows[h]], y[rows[h]], scale[rows[h]], half, WEIGHTS[i], f)
                                        for h in ks}

        def pooled(keys: list[tuple[int, float]]) -> dict[tuple[int, float], tuple[float, float]]:
            # in grid order, so that ties go to the most structural
            keys = sorted(keys, key=lambda t: (t[0], SPREADS.index(t[1])))
            return {key: (sum(done[key][h][0] / count[h] for h in ks), sum(done[key][h][1] for h in ks))
                    for key in keys}

        # Coarse to fine: the grid of quarters (35 points), then with the
        # eighths next to its best (about a third of the whole grid of eighths).
        run(np.flatnonzero(np.all(np.isclose(WEIGHTS * 4, np.round(WEIGHTS * 4)), axis=1)))
        best_w = WEIGHTS[self._pick(pooled(list(done)))[0]]
        run(np.flatnonzero(np.abs(WEIGHTS - best_w).max(axis=1) <= 1 / 8 + 1e-9))
        scores = pooled(list(done))
        floor = min(r[0] for r in scores.values())
        # A tie is no reason to move the model's median: the model alone is
        # kept when its MASE is within the tolerance of the best (on a ledger
        # the model describes well, blends chosen by a CRPS edge lost out of
        # sample) and its own recalibrated 80% intervals hold in the backtest
        # (a sharp model that no spread mends takes the blend).
        def spread(i: int, h: int) -> float:  # given the weights, by the same rule per quarter
            return self._pick({f: done[(i, f)][h][:2] for f in SPREADS})

        tie = any(key[0] == 0 and r[0] <= floor * (1.0 + self.tolerance) + 1e-12 for key, r in scores.items())
        alone = {h: done[(0, spread(0, h))][h] for h in ks}
        i = 0 if tie and self._holds(alone, rows, y, half) else self._pick(scores)[0]
        out = {}
        for h in ks:
            f = spread(i, h)
            loss, _, g, blend = done[(i, f)][h]
            q, yy, sc = Q[rows[h]], y[rows[h]], scale[rows[h]]
            ok = np.isfinite(sc) & (sc > 0)
            base = [float(np.sum(np.abs(_median(q[:, s]) - yy)[ok] / sc[ok])) if ok.any() else 0.0
                    for s in range(len(SOURCES))]
            out[h] = {
                "weights": WEIGHTS[i], "spread": float(f), "g": g, "n": int(len(yy)),
                "mase": {**dict(zip(SOURCES, np.array(base) / count[h])), "calibrated": loss / count[h]},
                "cov80_before": coverage(q[:, 0], yy, half),
                "cov80_after": coverage(_at(blend, positions(g, self.levels)), yy, half),
            }
        return out

    def _holds(self, alone: dict[int, tuple], rows: dict[int, np.ndarray], y: np.ndarray, half: float) -> bool:
        """Whether the structural forecast alone (``alone``: each quarter's
        ``_score`` with its spread) covers 80% of each quarter's backtest
        outcomes after its mapping to within ``COVERAGE_SLACK`` (or two
        binomial standard errors, for few cases)."""
        for h, (_, _, g, blend) in alone.items():
            n = int(rows[h].sum())
            if n and abs(coverage(_at(blend, positions(g, self.levels)), y[rows[h]], half) - 0.8) > max(
                    COVERAGE_SLACK, 0.8 / np.sqrt(n)):
                return False
        return True

    def _baselines_at(self, cut: Any) -> None:
        """Each zone's baseline quantile grids at ``as_of`` for every forecast
        quarter, when some cell gives the baselines weight."""
        self.zone_index_: dict[str, int] = {}
        self.baselines_: dict[tuple[int, int], np.ndarray] = {}
        # only the (source, metric) pairs some cell gives weight: ETS of every
        # zone and metric was most of the calibration's time on a large ledger
        need = {j: tuple(s for s in range(len(SOURCES) - 1)
                         if any(c["weights"][1 + s] > 0 for (m, _), c in self.cells_.items() if m == metric))
                for j, metric in enumerate(METRICS)}
        if not any(need.values()):
            return
        zones = list(cut.zone_ids)
        y = zone_series(cut, zones)[0]
        for j, sources in need.items():
            if sources:
                grids = baseline_grid(y[:, j], BASELINE_QUARTERS, _grid(self.levels), sources)
                self.baselines_.update({(s, j): grids[s].astype(np.float32) for s in sources})
        self.zone_index_ = {z: i for i, z in enumerate(zones)}

    # --- use ------------------------------------------------------------------------------
    def cell(self, metric: str, k: int) -> dict[str, Any] | None:
        """The fitted cell of ``metric`` for forecast quarter ``k`` (1-based)."""
        self._check_fitted()
        return self.cells_.get((metric, min(k, self.horizon)))

    def adjust(self, zone_id: str, samples: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """A zone's draws recalibrated (see the module docstring); the ``new_``
        allowance and metrics without a cell are returned as they are."""
        self._check_fitted()
        if not self.active_:
            return samples
        out = dict(samples)
        for metric in METRICS:
            if metric not in samples:
                continue
            x = np.asarray(samples[metric], dtype=float)
            d, h = x.shape
            new = np.empty_like(x)
            u = (np.arange(d) + 0.5) / d
            for k in range(h):
                c = self.cell(metric, k + 1)
                order = np.argsort(x[:, k], kind="stable")
                v = np.clip(np.interp(u, c["g"], _TAU), 0.5 / self.levels, 1.0 - 0.5 / self.levels)
                s = x[order, k]
                value = c["weights"][0] * np.interp(v * d - 0.5, np.arange(d), s)
                if c["weights"][0] < 1.0:
                    value = value + self._baseline_values(zone_id, metric, k, v, c["weights"])
                if c["spread"] != 1.0:  # about the blend's median, as fitted
                    centre = c["weights"][0] * np.quantile(s, 0.5)
                    if c["weights"][0] < 1.0:
                        centre += self._baseline_values(zone_id, metric, k, np.array([0.5]), c["weights"])[0]
                    value = np.maximum(centre + c["spread"] * (value - centre), 0.0)
                new[order, k] = value
            # A count is a whole number of projects in every draw: the blend with
            # the baselines and the spread would otherwise print "33.3 projects".
            out[metric] = np.rint(new) if metric in COUNT_METRICS else new
        return out

    def _baseline_values(self, zone_id: str, metric: str, k: int, v: np.ndarray, w: np.ndarray) -> np.ndarray:
        b, i = self.baselines_, self.zone_index_.get(zone_id)
        if b is None or i is None:
            return np.zeros_like(v)
        j = METRICS.index(metric)
        kk = min(k, BASELINE_QUARTERS - 1)
        pos = np.clip(v * self.levels - 0.5, 0.0, self.levels - 1.0)
        # a model set saved before the baselines were kept per (source, metric)
        # holds one array (source, zone, metric, quarter, level)
        grid = (lambda s: b[s, i, j]) if isinstance(b, np.ndarray) else (lambda s: b[(s, j)][i])
        return sum(w[1 + s] * _at(grid(s)[kk], pos) for s in range(len(SOURCES) - 1) if w[1 + s] > 0)

    # --- reading the fit --------------------------------------------------------------------
    def summary(self) -> pd.DataFrame:
        """Per metric and forecast quarter: the weight of each source (the same
        for every quarter of a metric), the spread factor, the backtest MASE of
        each source's median and of the calibrated forecast's (mean over
        backtest cases, zone scale), the 80% coverage before and after (in the
        backtest, PIT-based), the number of cases and the origins used.
        ``note`` says how the weights were chosen. Empty rows
        (``what == "not calibrated"``) say why when inactive."""
        self._check_fitted()
        rows = []
        if not self.active_:
            rows.append({"what": "not calibrated", "metric": "", "k": 0, "estimate": np.nan, "n": 0,
                         "note": self.reason_})
        origins = f"origins {self.origins_[0]}–{self.origins_[-1]}" if self.origins_ else ""
        for (metric, k), c in self.cells_.items():
            base = {"metric": metric, "k": k, "n": c["n"], "note": origins}
            for s, w in zip(SOURCES, c["weights"]):
                rows.append({**base, "what": f"weight_{s}", "estimate": float(w), "note": WEIGHT_RULE})
            rows.append({**base, "what": "spread", "estimate": c["spread"]})
            for s, v in c["mase"].items():
                rows.append({**base, "what": f"mase_{s}", "estimate": float(v)})
            rows.append({**base, "what": "cov80_before", "estimate": c["cov80_before"]})
            rows.append({**base, "what": "cov80_after", "estimate": c["cov80_after"]})
        return summary_frame(rows, ["what", "metric", "k"])

    def plot(self, ax: Any = None) -> Any:
        """Weight of the structural forecast by metric and forecast quarter."""
        self._check_fitted()
        ax = new_axes(ax)
        for metric in METRICS:
            ks = [k for (m, k) in self.cells_ if m == metric]
            ax.plot(ks, [self.cells_[(metric, k)]["weights"][0] for k in ks], marker="o", label=metric)
        ax.set_xlabel("forecast quarter")
        ax.set_ylabel("weight of the structural forecast")
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize="small")
        return ax
