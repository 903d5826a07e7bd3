"""Summary table of a fitted :class:`SpendModel`.

Intervals (90%) come from parameter vectors drawn from the fits' asymptotic
normals: the least-squares covariance of the curve and seasonal factors, and
the regression covariance of the log overrun; a category on the empirical
curve gets ±1.645 sampling sd of its mean share. ``spend_curve_empirical`` is
1 for a category whose Beta curve failed the goodness-of-fit check and that
spends along the ledger's empirical curve.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betainc

from ..vocab import CATEGORIES
from ._base import summary_frame
from ._spend_curve import read
from ._stages import size_design
from .spend import overrun_design
from .survival import speeds

KEYS = ["what", "category", "at"]


def _iv(v: np.ndarray) -> dict[str, float]:
    return {"lo": float(np.quantile(v, 0.05)), "hi": float(np.quantile(v, 0.95))}


def build_summary(model: Any, draws: int = 200) -> pd.DataFrame:
    """Rows of :meth:`SpendModel.summary`."""

    rng = np.random.default_rng(model.seed + 1)
    c = model.curve_
    pars = rng.multivariate_normal(c["par"], c["cov"], size=draws, method="eigh")
    rows: list[dict[str, Any]] = []
    k = c["k"]
    for ci, cat in enumerate(CATEGORIES):
        X = size_design(np.array([ci]), np.array([model.centre_]), model.centre_)
        a0, b0 = np.exp(X @ c["par"][:k])[0], np.exp(X @ c["par"][k:2 * k])[0]
        a, b = np.exp(pars[:, :k] @ X[0]), np.exp(pars[:, k:2 * k] @ X[0])
        emp = c.get("use_empirical")
        if emp is not None and emp[ci]:
            # the category spends along the ledger's empirical curve
            e = c["empirical"]
            for u in (0.25, 0.5, 0.75):
                est, se = float(model.curve_at(ci, np.array(u))), float(read(e["se"][ci], np.array(u)))
                rows.append({"what": "spend_curve", "category": cat, "at": u, "estimate": est,
                             "lo": est - 1.645 * se, "hi": est + 1.645 * se, "n": e["n_projects"]})
        else:
            for u in (0.25, 0.5, 0.75):
                rows.append({"what": "spend_curve", "category": cat, "at": u,
                             "estimate": float(betainc(a0, b0, u)), **_iv(betainc(a, b, u)),
                             "n": c["n_projects"]})
        rows.append({"what": "spend_curve_empirical", "category": cat,
                     "estimate": float(emp is not None and emp[ci])})
        rows.append({"what": "beta_a", "category": cat, "estimate": a0, **_iv(a), "n": c["n_projects"]})
        rows.append({"what": "beta_b", "category": cat, "estimate": b0, **_iv(b), "n": c["n_projects"]})
    rows.append({"what": "size_slope_log_a", "estimate": c["par"][k - 1], **_iv(pars[:, k - 1])})
    rows.append({"what": "size_slope_log_b", "estimate": c["par"][2 * k - 1], **_iv(pars[:, 2 * k - 1])})
    s0 = model.seasonal()
    s = speeds(np.hstack([np.zeros((draws, 1)), pars[:, 2 * k:]]))
    for q in range(4):
        rows.append({"what": "spend_quarter_factor", "at": q + 1,
                     "estimate": float(s0[3 * q:3 * q + 3].mean()),
                     **_iv(s[:, 3 * q:3 * q + 3].mean(axis=1)), "n": c["n_rows"]})
    rows += _overrun_rows(model, rng, draws)
    rows.append({"what": "payment_noise_sd", "estimate": c["sigma"], "n": c["n_rows"]})
    dl = model.delay_
    rows.append({"what": "delay_ratio_median", "estimate": float(np.exp(dl["mean"])), "n": dl["n"]})
    return summary_frame(rows, KEYS)


def _overrun_rows(model: Any, rng: np.random.Generator, draws: int) -> list[dict[str, Any]]:
    """Median of total / planned by category over the completed projects the
    overrun was fitted on (so it mixes over their sizes), and the spread."""

    ov = model.overrun_
    codes, lsize, start = model.overrun_codes_, model.overrun_lsize_, model.overrun_start_
    betas = rng.multivariate_normal(ov["beta"], ov["sigma"] ** 2 * ov["xtx_inv"], size=draws,
                                    method="eigh")
    z = rng.standard_normal(64)
    rows = []
    for ci, cat in enumerate(CATEGORIES):
        sel = codes == ci
        if not sel.any():
            continue
        X = overrun_design(ov, codes[sel], lsize[sel], model.centre_, start[sel], np.nan)

        def median(beta: np.ndarray) -> float:
            return float(np.exp(np.median((X @ beta)[:, None] + ov["sigma"] * z[None, :])))

        est = median(ov["beta"])
        rows.append({"what": "overrun_median", "category": cat, "estimate": est,
                     **_iv(np.array([median(bb) for bb in betas])), "n": int(sel.sum())})
    rows.append({"what": "overrun_log_sd", "estimate": ov["sigma"], "n": ov["n"]})
    return rows
