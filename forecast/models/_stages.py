"""From a ledger cut to the rows and design matrices of each stage transition.

A project's entry into a stage is the date of that stage's milestone, or of the
first later milestone when the ledger skipped one (a project with a start date
and no signing date was signed by the time it started). Durations are on the
calendar month clock of :func:`forecast.models.survival.month_clock`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..vocab import CANCELLABLE_STAGES, CATEGORIES, STAGE_DATE, TRANSITIONS
from .survival import MixtureData, month_clock

#: Stages that have a next milestone, in life-cycle order.
FROM_STAGES = tuple(a for a, _ in TRANSITIONS)
MILESTONE_STAGES = FROM_STAGES + (TRANSITIONS[-1][1],)
#: Transition whose duration is measured against the planned completion date.
PLANNED = ("started", "completed")
N_CAT = len(CATEGORIES)


@dataclass(frozen=True)
class Centres:
    """Centring constants fixed at fit time so designs are comparable later."""

    log_size: float
    log_plan: float = float(np.log(24.0))


def ledger_origin(ledger, start: str | pd.Timestamp | None) -> float:
    """Clock at which the ledger began to be kept: ``start`` if given, else the
    start of its first progress period (a ledger lists older projects only if
    they were still active then); ``-inf`` when neither is known."""
    if start is not None:
        return float(month_clock(pd.DatetimeIndex([pd.Timestamp(start)]))[0])
    prog = ledger.progress
    ends = prog["period_end"].to_numpy()
    nat = np.isnat(ends)
    if ends.size and not nat.all():
        # the first earliest row (a Series.idxmin was 0.4 s on a large ledger)
        i = int(np.argmin(ends)) if not nat.any() else int(np.flatnonzero(~nat)[np.argmin(ends[~nat])])
        begin = (pd.Period(ends[i], freq=prog["freq"].iloc[i] or "M")).start_time
        return float(month_clock(pd.DatetimeIndex([begin]))[0])
    return -np.inf


def cut_clock(cut: pd.Period) -> float:
    """Month clock of the first instant after quarter ``cut``."""
    return float(month_clock(pd.DatetimeIndex([(cut + 1).start_time]))[0])


def entry_clocks(projects: pd.DataFrame) -> np.ndarray:
    """``(n, 6)`` entry clocks into reserve .. full_production (NaN = not yet),
    back-filled from later milestones when one was skipped."""
    cols = [STAGE_DATE[s] for s in MILESTONE_STAGES]
    x = np.column_stack([month_clock(projects[c]) for c in cols])
    for j in range(x.shape[1] - 2, -1, -1):
        x[:, j] = np.where(np.isnan(x[:, j]), x[:, j + 1], x[:, j])
    return x


def stage_index(entries: np.ndarray, cancel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Index (0..5) of the last milestone stage reached, and whether the project
    is cancelled (cancellation counts only before completion)."""
    reached = np.isfinite(entries)
    idx = np.where(reached.any(axis=1), reached.shape[1] - 1 - np.argmax(reached[:, ::-1], axis=1), -1)
    cancelled = np.isfinite(cancel) & (idx < MILESTONE_STAGES.index("completed"))
    return idx, cancelled


def category_codes(cat: pd.Series) -> np.ndarray:
    """Index into ``vocab.CATEGORIES``; unknown categories get -1 (no deviation)."""
    return pd.Categorical(cat, categories=list(CATEGORIES)).codes.astype(np.int64)


def log_size(projects: pd.DataFrame) -> np.ndarray:
    """log planned investment (万元); missing or non-positive gives NaN."""
    v = pd.to_numeric(projects["planned_investment"], errors="coerce").to_numpy(dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(v > 0, np.log(v), np.nan)


def project_clocks(projects: pd.DataFrame) -> dict[str, np.ndarray]:
    """The month clocks :func:`transition_rows` reads: ``entries`` (see
    :func:`entry_clocks`), ``cancelled`` and ``planned`` (planned completion).
    Computed once, they serve every transition."""
    return {"entries": entry_clocks(projects), "cancelled": month_clock(projects["cancelled_date"]),
            "planned": month_clock(projects["planned_completion_date"])}


def transition_rows(projects: pd.DataFrame, cut: float, k: int, origin: float = -np.inf,
                    clocks: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Rows of transition ``k`` (index into ``TRANSITIONS``) known at clock ``cut``.

    ``origin`` is the clock at which the ledger started to be kept: a stage
    episode that ended before it is dropped (the project is listed only
    because it survived that episode), and one running across it enters the
    risk set at ``origin`` (column ``a``, delayed entry).

    Columns: ``row`` (position in ``projects``), ``x0``, ``t``, ``status``
    (0 censored, 1 advanced, 2 cancelled), ``plan`` (planned duration in months
    from entry, NaN unknown), ``a`` (delayed entry, months after ``x0``).
    ``clocks`` are ``project_clocks(projects)`` when already computed.
    """
    clocks = project_clocks(projects) if clocks is None else clocks
    x, xc = clocks["entries"], clocks["cancelled"]
    idx, cancelled = stage_index(x, xc)
    x0 = x[:, k]
    has = np.isfinite(x0)
    adv = np.isfinite(x[:, k + 1])
    cancel_here = cancelled & (idx == k) & ~adv
    if FROM_STAGES[k] not in CANCELLABLE_STAGES:
        cancel_here[:] = False
    end = np.where(adv, x[:, k + 1], np.where(cancel_here, xc, cut))
    status = np.where(adv, 1, np.where(cancel_here, 2, 0))
    plan = np.full(len(projects), np.nan)
    if TRANSITIONS[k] == PLANNED:
        plan = clocks["planned"] - x0
        plan = np.where(plan > 0, plan, np.nan)
    # A project cancelled after this stage started but recorded here only as
    # "cancelled" keeps its true end; rows with no entry are not at risk.
    rows = pd.DataFrame({"row": np.arange(len(projects)), "x0": x0, "t": end - x0,
                         "status": status, "plan": plan, "a": np.maximum(origin - x0, 0.0)})
    return rows.loc[has & (end > origin)].reset_index(drop=True)


def one_hot_dev(codes: np.ndarray) -> np.ndarray:
    """Intercept plus deviations of categories 2..6 from the first: shrinking
    a deviation pulls a small category towards the common level."""
    X = np.zeros((len(codes), N_CAT))
    X[:, 0] = 1.0
    ok = codes > 0
    X[np.flatnonzero(ok), codes[ok]] = 1.0
    return X


def size_design(codes: np.ndarray, lsize: np.ndarray, centre: float) -> np.ndarray:
    """Category deviations and centred log size: the design of the planned
    duration (completion) and of the spend curve and overrun (spend)."""
    return np.hstack([one_hot_dev(codes), np.nan_to_num(lsize - centre)[:, None]])


def design(k: int, codes: np.ndarray, lsize: np.ndarray, x0: np.ndarray, plan: np.ndarray,
           centres: Centres, t: np.ndarray | None = None, status: np.ndarray | None = None,
           a: np.ndarray | None = None) -> MixtureData:
    """Design matrices of transition ``k`` for the given rows.

    Advance location: category, log size, quarter of year of entry, and for
    started → completed log planned duration (with an indicator where unknown).
    Advance log-scale and cancellation location: category. Cancel logit:
    category and log size. Bunching logit: category.
    """
    n = len(codes)
    C = one_hot_dev(codes)
    ls = np.nan_to_num(lsize - centres.log_size)
    q = (np.mod(np.floor(x0), 12) // 3).astype(int)
    Q = np.column_stack([(q == j).astype(float) for j in (1, 2, 3)])
    cols = [C, ls[:, None], Q]
    known = np.isfinite(plan)
    if TRANSITIONS[k] == PLANNED:
        with np.errstate(invalid="ignore", divide="ignore"):
            lp = np.where(known, np.log(np.where(known, plan, 1.0)) - centres.log_plan, 0.0)
        cols += [lp[:, None], (~known).astype(float)[:, None]]
    Xa = np.hstack(cols)
    return MixtureData(
        x0=x0, t=np.ones(n) if t is None else t,
        status=np.zeros(n, dtype=int) if status is None else status,
        Xa=Xa, Za=C, Xp=np.hstack([C, ls[:, None]]), Xc=C,
        Xb=C if TRANSITIONS[k] == PLANNED else None, plan=plan, a=a,
    )
