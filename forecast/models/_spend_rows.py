"""The spend fit's data rows: each progress row's months, and its expected
weight under trial curve parameters (the fit's inner loop)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.special import betainc

from .survival import month_clock, speeds


def progress_rows(cut: Any, P: pd.DataFrame) -> dict[str, np.ndarray]:
    """Positive-or-zero investment rows: project position, first and last month
    clock covered, amount."""
    prog = cut.progress
    # columns as arrays, masked once (a masked copy of the whole frame was
    # most of this on a large ledger)
    investment = prog["investment"].to_numpy(float, na_value=np.nan)
    pidx = pd.Index(P["project_id"]).get_indexer(prog["project_id"])
    keep = np.flatnonzero(~np.isnan(investment) & (pidx >= 0))
    last = np.floor(month_clock(prog["period_end"].iloc[keep]))
    span = np.where(prog["freq"].astype(str).to_numpy()[keep] == "Q", 3, 1)
    return {"pidx": pidx[keep], "first": last - span + 1, "last": last, "investment": investment[keep]}


class RowWeights:
    """Expected weight of each progress row, ``w(par)``: the sum over its
    months of ΔB × s.

    The least-squares fit calls this at every trial point and once per
    parameter for each Jacobian, with the same rows; the Beta CDF ``B`` is
    nearly all of its time. So each ``B`` is computed once per call at each
    distinct (project, month boundary) (a month's end is the next month's
    start), and a call that moves one parameter (a Jacobian column: a
    category's deviation moves that category's rows only) takes ``B`` from
    a remembered point wherever a row's Beta ``(a, b)`` is bitwise the same.
    Only bitwise-equal inputs share a value: the weights are those of a
    direct computation to the last bit.
    """

    def __init__(self, k: int, X: np.ndarray, xs: np.ndarray, xc: np.ndarray, first: np.ndarray,
                 span: np.ndarray, moy: np.ndarray, project: np.ndarray) -> None:
        self.k, self.X, self.moy = k, X, moy
        n = len(xs)
        length = xc + 1.0 / 30.0 - xs  # the completion day spends too
        # boundary j of row r (its months' starts, then its last month's end),
        # rows with month j listed per j
        self.rows: list[np.ndarray] = []
        row, u = [np.arange(n)], [np.clip((first - xs) / length, 0.0, 1.0)]
        for j in range(int(span.max()) if n else 0):
            r = np.flatnonzero(span > j)
            self.rows.append(r)
            row.append(r)
            u.append(np.clip((first[r] + j + 1 - xs[r]) / length[r], 0.0, 1.0))
        self.at = np.cumsum([0] + [x.size for x in row])  # boundary j of self.rows[j-1] from at[j]
        self.row, self.u = np.concatenate(row), np.concatenate(u)
        # each boundary's first twin: same project, bitwise the same u
        order = np.lexsort((self.u.view(np.int64), project[self.row]))
        key_p, key_u = project[self.row][order], self.u.view(np.int64)[order]
        new = np.r_[True, (key_p[1:] != key_p[:-1]) | (key_u[1:] != key_u[:-1])]
        self.rep = np.empty(self.row.size, np.intp)
        self.rep[order] = order[np.flatnonzero(new)[np.cumsum(new) - 1]]
        self.refs: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []

    def __call__(self, par: np.ndarray) -> np.ndarray:
        k = self.k
        a = np.exp(self.X @ par[:k])
        b = np.exp(self.X @ par[k:2 * k])
        s = speeds(np.r_[0.0, par[2 * k:]])
        ae, be = a[self.row], b[self.row]
        B, need = np.empty(self.row.size), np.ones(self.row.size, bool)
        best = max(self.refs, key=lambda ref: int(((a == ref[1]) & (b == ref[2])).sum()), default=None)
        if best is not None:
            same = ((a == best[1]) & (b == best[2]))[self.row]
            B[same], need = best[3][same], ~same
        twin = (ae == ae[self.rep]) & (be == be[self.rep])
        own = need & (~twin | (self.rep == np.arange(self.row.size)))
        B[own] = betainc(ae[own], be[own], self.u[own])
        copy = need & ~own
        B[copy] = B[self.rep[copy]]
        if all(np.count_nonzero(par != ref[0]) > 1 for ref in self.refs):  # a new point, not a column
            self.refs = [(par.copy(), a, b, B), *self.refs][:2]
        out = np.zeros(len(self.moy))
        for j, r in enumerate(self.rows):  # month j: from boundary j (block j) to j + 1
            start = B[self.at[j]:self.at[j + 1]]
            start = start[r] if j == 0 else start[np.searchsorted(self.rows[j - 1], r)]
            out[r] += (B[self.at[j + 1]:self.at[j + 2]] - start) * s[(self.moy[r] + j) % 12]
        return out
