"""Draws of quarterly investment per project for :meth:`SpendModel.sample_investment`.

The work is done on *entries* (one project in one draw) that spend inside the
horizon — started and not finished or cancelled by the cut, or starting in the
draw — in blocks of at most ``_BLOCK`` entries, which bounds memory. Each
entry's S-curve is read at the month boundaries from up to ``_EXACT_PAST``
months before the cut (no earlier than its block's earliest start) to the
end of the horizon once (a month's weight is the difference of two
neighbouring boundaries).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.special import betainc

from ._base import Paths
from ._cutcache import cut_cache, cut_clock
from ._sampling import normal32
from ._spend_curve import GRID as _GRID
from ._stages import category_codes, log_size
from .survival import month_clock

#: Floor of the log-sd of the total implied by spend to date (model error).
_RATIO_FLOOR = 0.05
#: Herfindahl of the S-curve's monthly weights relative to equal weights.
_HERFINDAHL = 1.3
#: Months before the cut whose seasonal weights are summed exactly.
_EXACT_PAST = 24
#: Width (months) of the classes of start month the entries are grouped in.
_PAST_STEP = 6
#: Entries drawn at once (memory: about 60 doubles each per temporary).
_BLOCK = 1 << 12


def _project_arrays(model: Any, cut: Any) -> dict[str, np.ndarray]:
    """Per project of the cut: start (months before the cut), category, log
    size, planned investment, spend to date, the overrun prior (mean and
    variance of the log total) and the curve's Beta parameters."""

    cc = cut_cache(cut)

    def build() -> dict[str, np.ndarray]:
        P = cc.projects
        X = cut_clock(cut.cut)
        xs = month_clock(P["start_date"]) - X
        codes, lsize = category_codes(P["category"]), log_size(P)
        planned = P["planned_investment"].to_numpy(float)
        from .spend import overrun_design

        ov = model.overrun_
        Xo = overrun_design(ov, codes, lsize, model.centre_, xs + X, X)
        with np.errstate(divide="ignore", invalid="ignore"):
            m0 = np.log(planned) + Xo @ ov["beta"]
        v0 = ov["sigma"] ** 2 * (1.0 + np.einsum("ij,jk,ik->i", Xo, ov["xtx_inv"], Xo))
        # projects of one category and planned size share a curve: tabulated
        # once per distinct (a, b) (or empirical curve) and cut, when a zone
        # first needs it
        ab, curve = np.unique(model.curve_keys(codes, lsize), axis=0, return_inverse=True)
        return {"xs": xs, "codes": codes, "full": np.isfinite(xs) & (xs + X >= model.origin_),
                "m0": m0, "v0": v0, "curve": curve.ravel(), "spent": cc.spent(),
                "_table": _CurveTable(ab, model.empirical_table())}

    return cc.memo(model, "spend", build)


def sample_investment(model: Any, cut: Any, paths: Paths, rng: np.random.Generator) -> np.ndarray:
    """See :meth:`SpendModel.sample_investment`."""
    H, D, n = paths.horizon, paths.draws, len(paths.project_ids)
    out = np.zeros((D, n, H), dtype=np.float32)
    cc = cut_cache(cut)
    pos = cc.rows(paths.project_ids)
    full_arr = _project_arrays(model, cut)
    arr = {k: v[pos] for k, v in full_arr.items() if not k.startswith("_")}
    xs = arr["xs"]
    started = np.isfinite(xs)
    S = np.where(started, xs, paths.months["start_date"])
    with np.errstate(invalid="ignore"):
        gone = np.isnan(paths.months["completion_date"]) | np.isnan(paths.months["cancelled_date"])
        active = np.isfinite(S) & (S < 3 * H) & ~gone
    # A block reads the curve from the earliest start among its entries (at
    # most _EXACT_PAST months back): before its start an entry's curve is 0.
    # So the entries go in classes of how far back their project started
    # (projects not started by the cut, with no past months at all, first),
    # each class draw by draw (the order the draws are laid out in).
    need = np.clip(np.ceil(-np.where(started, xs, 0.0)), 0, _EXACT_PAST).astype(np.intp)
    klass = -(-need // _PAST_STEP)
    dd, ii = [], []
    for k in np.unique(klass):
        cols_k = np.flatnonzero(klass == k)
        d_k, j_k = np.nonzero(active[:, cols_k])
        dd.append(d_k)
        ii.append(cols_k[j_k])
    dd, ii = np.concatenate(dd), np.concatenate(ii)
    if dd.size == 0:
        return out
    cols = np.flatnonzero(active.any(axis=0))  # projects that spend in some draw
    curve, at = full_arr["_table"].knots(arr["curve"][cols])
    col = np.empty(n, dtype=np.intp)
    col[cols] = at
    col = col[ii]
    X = cut_clock(cut.cut)
    s = model.seasonal()
    moy0 = int(round(X)) % 12
    season = s[(moy0 + np.arange(-_EXACT_PAST, 3 * H)) % 12].astype(np.float32)
    T_all = paths.extras.get("completion_any")
    plan_all = paths.extras.get("planned_duration")
    for lo in range(0, dd.size, _BLOCK):
        d, i, c = dd[lo:lo + _BLOCK], ii[lo:lo + _BLOCK], col[lo:lo + _BLOCK]
        P = int(need[i].max())
        T = np.full(d.size, np.nan) if T_all is None else T_all[d, i].astype(float)
        plan = np.full(d.size, np.nan) if plan_all is None else plan_all[d, i].astype(float)
        out[d, i, :] = _block(model, arr, S[d, i].astype(float), T, plan,
                              paths.months["cancelled_date"][d, i].astype(float), i, c, curve,
                              season[_EXACT_PAST - P:], H, rng)
    return out


def _block(model: Any, arr: dict[str, np.ndarray], S: np.ndarray, T: np.ndarray,
           plan: np.ndarray, cancel: np.ndarray, i: np.ndarray, c: np.ndarray,
           curve: tuple[np.ndarray, np.ndarray], season: np.ndarray, H: int,
           rng: np.random.Generator) -> np.ndarray:
    """Investment per quarter ``(entries, H)`` of entries of projects ``i``
    (rows ``c`` of the tabulated curves) starting at ``S`` months after the cut.
    ``season`` holds the seasonal factors of the months from ``P`` months
    before the cut to the horizon's end, ``P`` at most ``_EXACT_PAST`` and at
    least the months since the earliest start among the entries (if it was
    before the cut), so that the curves are 0 at the first bound."""
    codes = arr["codes"][i]
    started = np.isfinite(arr["xs"][i])
    # Completion month: drawn by the completion model, else (cancelled in the
    # draw) the would-be completion from the plan and the usual delay.
    plan = np.where(np.isfinite(plan) & (plan > 0), plan, model.plan_months_[np.maximum(codes, 0)])
    dl = model.delay_
    would = S + plan * np.exp(dl["mean"] + dl["sd"] * rng.standard_normal(S.shape))
    T = np.where(np.isfinite(T), T, np.where(np.isfinite(would), would, S + 24.0))
    T = np.maximum(T, np.maximum(S, 0.0) + 0.5)
    L = T - S

    # The S-curve at every month boundary from _EXACT_PAST months before the
    # cut to the horizon's end. Expected seasonal weights month by month: the
    # last two years before the cut exactly (a year-end cut follows the Q4
    # rush, so the share already covered is more than the bare curve says),
    # earlier years at mean pace.
    # The curve and the weights in float32 (``_kernels.spend_months``): a
    # share of the total to seven digits is far below the payment noise.
    from ._kernels import spend_months  # numba loads only when a simulation runs

    P = season.size - 3 * H
    sig = model.curve_["sigma"]
    noise = normal32(rng, (S.size, 3 * H))
    noise *= sig
    noise -= 0.5 * sig**2
    np.exp(noise, out=noise)  # each month's payment factor, mean one
    values, steps = curve
    # A cancelled project stops spending; the scale keeps the lost part.
    raw, past, expected_h, beyond, wsum = spend_months(
        S.astype(np.float32), (1.0 / L).astype(np.float32), c, cancel, season, P, H, values, steps,
        _GRID, noise)
    phi = past / np.maximum(past + expected_h + beyond, 1e-12)

    # Total to spend, updated by what has been spent so far: spent / phi
    # estimates it, more sharply the further the project has come.
    spent, m0, v0 = arr["spent"][i], arr["m0"][i], arr["v0"][i]
    use = arr["full"][i] & (spent > 0) & (phi > 0.02)
    v1 = ((1 - phi) ** 2 * _HERFINDAHL * (1 / np.maximum(-S, 1) + 1 / np.maximum(T, 1))
          * np.expm1(sig**2) + _RATIO_FLOOR**2)
    with np.errstate(divide="ignore"):
        m1 = np.log(np.where(use, spent, 1.0)) - np.log(np.maximum(phi, 1e-12))
    # Log total: the prior (planned × an overrun of the ledger's own shape)
    # and the estimate from spend to date weighed by their precisions; with a
    # normal prior this is exactly the normal posterior.
    prior = m0 + np.sqrt(v0) * _overrun_shape(model.overrun_, rng, S.shape)
    w = np.where(use, v1 / (v0 + v1), 1.0)
    total = np.exp(w * prior + (1.0 - w) * (m1 + np.sqrt(v1) * rng.standard_normal(S.shape)))
    # What is left is the uncovered share of the total, not total - spent: late
    # in construction that difference of two large numbers would turn a few
    # percent of error in the total into all of the remainder (or none, for a
    # project already over budget).
    remaining = np.where(started, total * (1.0 - phi), total)
    # A project not started spends exactly its total (noise only moves money
    # between months); for one under construction the total was inferred from
    # the past, so the future payments' noise changes the remainder itself.
    norm = np.where(started, expected_h + beyond, wsum + beyond)
    return raw * (remaining / np.maximum(norm, 1e-12))[:, None]


def _overrun_shape(ov: dict, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Standardised log-overrun draws: the fit's residuals resampled (a
    normal when the ledger had too few projects for them)."""
    resid = ov.get("resid")
    if resid is None or resid.size < 20:
        return rng.standard_normal(shape)
    return resid[rng.integers(resid.size, size=shape)]


def _tabulate(ab: np.ndarray, empirical: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """S-curves of keys ``ab`` (rows ``(a, b)`` of a Beta curve, or ``(-1 - row,
    0)`` of row ``row`` of the ``empirical`` curves) at ``_GRID`` knots
    ``(rows, _GRID)`` float32, and their increments."""
    emp = ab[:, 0] < 0
    with np.errstate(invalid="ignore"):
        Bg = betainc(ab[:, 0, None], ab[:, 1, None], np.linspace(0.0, 1.0, _GRID)[None, :])
    if emp.any():
        Bg[emp] = empirical[(-1 - ab[emp, 0]).astype(np.intp)]
    return Bg.astype(np.float32), np.diff(Bg, axis=1, append=Bg[:, -1:]).astype(np.float32)


class _CurveTable:
    """The S-curves of the distinct curve keys ``ab`` of a cut's projects,
    tabulated as zones first need them (a few thousand curves; far more, as
    when planned sizes are not rounded, are tabulated per zone instead)."""

    #: Most distinct curves kept.
    KEEP = 20000

    def __init__(self, ab: np.ndarray, empirical: np.ndarray) -> None:
        self.ab = ab
        self.empirical = empirical
        self.keep = ab.shape[0] <= self.KEEP
        self.values = np.zeros((ab.shape[0] if self.keep else 0, _GRID), dtype=np.float32)
        self.steps = np.zeros_like(self.values)
        self.done = np.zeros(self.values.shape[0], dtype=bool)

    def knots(self, rows: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], np.ndarray]:
        """Flattened knots and increments holding curves ``rows`` (any
        integers), and the row of each of ``rows`` in them."""
        if not self.keep:
            u, at = np.unique(rows, return_inverse=True)
            v, st = _tabulate(self.ab[u], self.empirical)
            return (v.ravel(), st.ravel()), at.ravel()
        u = np.unique(rows)
        new = u[~self.done[u]]
        if new.size:
            self.values[new], self.steps[new] = _tabulate(self.ab[new], self.empirical)
            self.done[new] = True
        return (self.values.ravel(), self.steps.ravel()), rows
