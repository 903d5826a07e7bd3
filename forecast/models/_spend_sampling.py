"""Draws of quarterly investment per project for :meth:`SpendModel.sample_investment`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from scipy.special import betainc

from ._base import Paths
from ._stages import category_codes, cut_clock, log_size
from .survival import month_clock

if TYPE_CHECKING:
    from .spend import SpendModel

_GRID = 257
#: Floor of the log-sd of the total implied by spend to date (model error).
_RATIO_FLOOR = 0.05
#: Herfindahl of the S-curve's monthly weights relative to equal weights.
_HERFINDAHL = 1.3
#: Months before the cut whose seasonal weights are summed exactly.
_EXACT_PAST = 24


def sample_investment(model: "SpendModel", cut: Any, paths: Paths, rng: np.random.Generator) -> np.ndarray:
    """See :meth:`SpendModel.sample_investment`."""
    from .spend import _curve_design

    X = cut_clock(cut.cut)
    H, D, n = paths.horizon, paths.draws, len(paths.project_ids)
    out = np.zeros((D, n, H), dtype=np.float32)
    P = cut.projects.set_index("project_id").reindex(paths.project_ids).reset_index()
    xs = month_clock(P["start_date"]) - X  # months before the cut (negative)
    started = np.isfinite(xs)
    S = np.where(started, xs, paths.months["start_date"])
    with np.errstate(invalid="ignore"):
        gone = np.isnan(paths.months["completion_date"]) | np.isnan(paths.months["cancelled_date"])
        active = np.isfinite(S) & (S < 3 * H) & ~gone
    cols = np.flatnonzero(active.any(axis=0))
    if cols.size == 0:
        return out
    act = active[:, cols]
    S = np.where(act, S[:, cols], 0.0)  # inactive draws get harmless values, zeroed at the end
    codes, lsize = category_codes(P["category"])[cols], log_size(P)[cols]
    planned = P["planned_investment"].to_numpy(float)[cols]
    started, xs = started[cols], xs[cols]

    # Completion month: drawn by the completion model, else (cancelled in the
    # draw) the would-be completion from the plan and the usual delay.
    T = paths.extras.get("completion_any", np.full((D, n), np.nan))[:, cols].astype(float)
    plan = paths.extras.get("planned_duration", np.full((D, n), np.nan))[:, cols].astype(float)
    plan = np.where(np.isfinite(plan) & (plan > 0), plan, model.plan_months_[np.maximum(codes, 0)])
    dl = model.delay_
    would = S + plan * np.exp(dl["mean"] + dl["sd"] * rng.standard_normal(S.shape))
    T = np.where(np.isfinite(T), T, np.where(np.isfinite(would), would, S + 24.0))
    T = np.maximum(T, np.maximum(S, 0.0) + 0.5)
    L = T - S

    # Expected seasonal weights month by month: the last two years before the
    # cut exactly (a year-end cut follows the Q4 rush, so the share already
    # covered is more than the bare curve says), earlier years at mean pace.
    a, b = model._ab(codes, lsize)
    grid = np.linspace(0.0, 1.0, _GRID)
    Bg = betainc(a[:, None], b[:, None], grid[None, :])
    s = model.seasonal()
    moy0 = int(round(X)) % 12
    sig = model.curve_["sigma"]
    cancel = paths.months["cancelled_date"][:, cols].astype(float)
    past = _interp(Bg, np.clip((-_EXACT_PAST - S) / L, 0.0, 1.0))
    expected_h = np.zeros_like(S)
    raw = np.zeros((D, cols.size, H))
    wsum = np.zeros_like(S)
    for mth in range(-_EXACT_PAST, 3 * H):
        u0 = np.clip((mth - S) / L, 0.0, 1.0)
        u1 = np.clip((mth + 1 - S) / L, 0.0, 1.0)
        w = (_interp(Bg, u1) - _interp(Bg, u0)) * s[(moy0 + mth) % 12]
        if mth < 0:
            past += w
            continue
        expected_h += w
        w = w * np.exp(sig * rng.standard_normal(w.shape) - 0.5 * sig**2)  # mean one
        wsum += w
        # A cancelled project stops spending; the scale keeps the lost part.
        raw[:, :, mth // 3] += w * np.clip(np.nan_to_num(cancel, nan=0.0) - mth, 0.0, 1.0)
    beyond = 1.0 - _interp(Bg, np.clip((3 * H - S) / L, 0.0, 1.0))
    phi = past / np.maximum(past + expected_h + beyond, 1e-12)

    # Total to spend, updated by what has been spent so far: spent / phi
    # estimates it, more sharply the further the project has come.
    spent = _spent(cut, P["project_id"].to_numpy()[cols])
    full = started & (xs + X >= model.origin_)
    ov = model.overrun_
    Xo = _curve_design(codes, lsize, model.centre_)
    m0 = np.log(planned) + Xo @ ov["beta"]
    v0 = ov["sigma"] ** 2 * (1.0 + np.einsum("ij,jk,ik->i", Xo, ov["xtx_inv"], Xo))
    use = full & (spent > 0) & (phi > 0.02)
    v1 = ((1 - phi) ** 2 * _HERFINDAHL * (1 / np.maximum(-S, 1) + 1 / np.maximum(T, 1))
          * np.expm1(sig**2) + _RATIO_FLOOR**2)
    with np.errstate(divide="ignore"):
        m1 = np.log(np.where(use, spent, 1.0)) - np.log(np.maximum(phi, 1e-12))
    v = np.where(use, 1.0 / (1.0 / v0 + 1.0 / v1), v0)
    m = np.where(use, v * (m0 / v0 + m1 / v1), m0)
    total = np.exp(m + np.sqrt(v) * rng.standard_normal(S.shape))
    # What is left is the uncovered share of the total, not total - spent: late
    # in construction that difference of two large numbers would turn a few
    # percent of error in the total into all of the remainder (or none, for a
    # project already over budget).
    remaining = np.where(started, total * (1.0 - phi), total)
    # A project not started spends exactly its total (noise only moves money
    # between months); for one under construction the total was inferred from
    # the past, so the future payments' noise changes the remainder itself.
    norm = np.where(started, expected_h + beyond, wsum + beyond)
    share = raw / np.maximum(norm, 1e-12)[:, :, None]
    out[:, cols, :] = np.where(act[:, :, None], remaining[:, :, None] * share, 0.0)
    return out


def _interp(Bg: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Each column's tabulated S-curve at ``u`` (draws, n), linear between knots."""
    pos = u * (Bg.shape[1] - 1)
    i0 = np.minimum(np.floor(pos).astype(np.int64), Bg.shape[1] - 2)
    f = pos - i0
    j = np.arange(Bg.shape[0])[None, :]
    return Bg[j, i0] * (1 - f) + Bg[j, i0 + 1] * f


def _spent(cut: Any, ids: np.ndarray) -> np.ndarray:
    """Investment reported to date per project (万元)."""
    prog = cut.progress
    # Group only the asked projects' rows: summing the whole cut's progress on
    # every call made zone-by-zone simulation grow with the ledger's size.
    prog = prog.loc[prog["project_id"].isin(ids), ["project_id", "investment"]]
    tot = prog.groupby("project_id")["investment"].sum(min_count=1)
    return tot.reindex(ids).fillna(0.0).to_numpy(float)
