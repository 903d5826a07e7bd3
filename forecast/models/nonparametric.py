"""Non-parametric references for the transition model: Aalen-Johansen cumulative
incidence with a competing outcome, and sampling from it.

lifelines has ``AalenJohansenFitter``, but it jitters tied times with the
global ``numpy.random`` state (ledgers are dated to the day, so ties are the
rule) and its variance step is slow on 100k rows. The estimator itself is a few
lines, and the tests check it against lifelines on tie-free data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class AJCurve:
    """Cumulative incidence of advancing (``f_adv``) and cancelling
    (``f_cancel``) at the distinct event ``times``, with the number at risk.

    Mass not reached by the last time (follow-up ran out) is treated as
    "not within the data": :meth:`sample` returns ``inf`` for it.

    Examples
    --------
    >>> import numpy as np
    >>> c = aalen_johansen(np.array([1.0, 2.0, 3.0, 4.0]), np.array([1, 2, 1, 0]))
    >>> c.f_adv.round(2).tolist(), c.f_cancel.round(2).tolist()
    ([0.25, 0.25, 0.5], [0.0, 0.25, 0.25])
    """

    times: np.ndarray
    f_adv: np.ndarray
    f_cancel: np.ndarray
    at_risk: np.ndarray
    n: int

    def at(self, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Both incidences at times ``t`` (right-continuous step functions)."""
        i = np.searchsorted(self.times, t, side="right") - 1
        fa = np.where(i >= 0, self.f_adv[np.maximum(i, 0)], 0.0)
        fc = np.where(i >= 0, self.f_cancel[np.maximum(i, 0)], 0.0)
        return fa, fc

    def conditional_cif(self, e: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """P(advance by ``t``), P(cancel by ``t``) given nothing happened by ``e``."""
        fa_e, fc_e = self.at(e)
        fa_t, fc_t = self.at(t)
        surv = np.maximum(1.0 - fa_e - fc_e, 1e-12)
        return (fa_t - fa_e) / surv, (fc_t - fc_e) / surv

    def sample(self, e: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Time of the next event after elapsed ``e`` and its kind (1 advance,
        2 cancel); ``inf`` where the draw falls beyond the data."""
        e = np.asarray(e, dtype="float64")
        fa_e, fc_e = self.at(e)
        total = self.f_adv + self.f_cancel
        target = fa_e + fc_e + rng.random(e.shape) * (1.0 - fa_e - fc_e)
        j = np.searchsorted(total, target, side="left")
        inside = j < len(self.times)
        jj = np.minimum(j, len(self.times) - 1)
        t = np.where(inside, self.times[jj], np.inf)
        # Which outcome: by the two jumps at that time.
        da = self.f_adv[jj] - np.where(jj > 0, self.f_adv[np.maximum(jj - 1, 0)], 0.0)
        dc = self.f_cancel[jj] - np.where(jj > 0, self.f_cancel[np.maximum(jj - 1, 0)], 0.0)
        kind = np.where(rng.random(e.shape) * np.maximum(da + dc, 1e-300) < dc, 2, 1)
        return np.maximum(t, e), kind.astype(np.int8)


def aalen_johansen(t: np.ndarray, status: np.ndarray, entry: np.ndarray | None = None) -> AJCurve:
    """Aalen-Johansen estimate from durations ``t`` and ``status`` (0 censored,
    1 advanced, 2 cancelled), with optional delayed ``entry`` (a row is at risk
    on ``(entry, t]``). Tied times are handled exactly: all events at a time
    leave the risk set together, censoring at that time after them."""
    t = np.asarray(t, dtype="float64")
    status = np.asarray(status)
    times, inv = np.unique(t, return_inverse=True)
    d1 = np.bincount(inv, weights=status == 1, minlength=len(times))
    d2 = np.bincount(inv, weights=status == 2, minlength=len(times))
    entered = len(t) if entry is None else np.searchsorted(np.sort(entry), times, side="left")
    at_risk = entered - np.searchsorted(np.sort(t), times, side="left")
    hazard = (d1 + d2) / np.maximum(at_risk, 1.0)
    surv_before = np.concatenate([[1.0], np.cumprod(1.0 - hazard)[:-1]])
    fa = np.cumsum(surv_before * d1 / np.maximum(at_risk, 1.0))
    fc = np.cumsum(surv_before * d2 / np.maximum(at_risk, 1.0))
    keep = (d1 + d2) > 0
    return AJCurve(times[keep], fa[keep], fc[keep], np.asarray(at_risk, float)[keep], int(len(t)))


def kaplan_meier_median(t: np.ndarray, event: np.ndarray, entry: np.ndarray | None = None) -> float:
    """Median of the Kaplan-Meier estimate (``inf`` if never below one half)."""
    c = aalen_johansen(t, np.where(event, 1, 0), entry)
    below = np.flatnonzero(c.f_adv >= 0.5)
    return float(c.times[below[0]]) if below.size else float("inf")
