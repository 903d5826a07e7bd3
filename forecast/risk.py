"""The 推进滞后项目 list: projects likely to miss their start or completion, or to
be cancelled, with the reason the model sees, and the 龙虎榜 board per 责任单位.

Probabilities come from the simulated paths (``forecast.simulate`` hands a
per-project table over); the reasons come from the ledger at ``as_of``:

* ``overdue`` — a project under construction is past its planned completion
  date (months overdue);
* ``slow_spending`` — the share of planned investment spent is well below what
  the spend S-curve expects at this point of the planned construction period;
* ``long_wait`` — a signed project has waited longer since signing than the
  category's typical signing-to-start time (median in the ledger at ``as_of``);
* ``due`` — its planned completion is on or before the as-of day and it is
  not complete, without months overdue to count (due that very day, or not
  yet started): late because its day has come;
* ``model`` — none of the above stands out; the probability is the model's.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pandas as pd

from .ledger import stage_at
from .periods import DAYS_PER_MONTH, months_between, quarter_end

RISK_COLUMNS = (
    "zone_id",
    "project_id",
    "name",
    "stage",
    "category",
    "planned_investment",
    "responsible_unit",
    "officer",
    "risk",
    "probability",
    "reason_code",
    "reason_zh",
    "reason_en",
    "planned_date",
    "months_overdue",
    "months_late",
    "months_late_bound",
    "investment_at_stake",
)
BOARD_COLUMNS = (
    "zone_id",
    "responsible_unit",
    "projects",
    "at_risk",
    "share_at_risk",
    "planned_investment_at_risk",
    "rank",
    "flag",
    "flag_zh",
)
#: Spend share this far below the S-curve (in share of planned investment) counts as slow.
SLOW_SPEND_GAP = 0.15
#: A wait this many times the category's typical wait counts as long.
LONG_WAIT_RATIO = 1.5
#: Probability from which a project counts as at risk on the board.
AT_RISK = 0.5
#: Share of draws with no event by the end of the simulation (cancelled, or
#: later than the paths reach) from which ``months_late`` is shown as a lower
#: bound: those draws count only the delay up to that end.
BOUND_SHARE = 0.1


def s_curve(t: np.ndarray) -> np.ndarray:
    """Default S-curve of cumulative spend share at elapsed fraction ``t`` of the
    planned construction period (smoothstep: slow start, fast middle, slow end).

    >>> s_curve(np.array([0.0, 0.5, 1.0, 2.0])).tolist()
    [0.0, 0.5, 1.0, 1.0]
    """
    t = np.clip(t, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def typical_waits(projects: pd.DataFrame, as_of: pd.Period, years: int = 5) -> pd.Series:
    """Median months from signing to start per category, among projects that
    started in the ``years`` years up to ``as_of`` (all started projects if a
    category has none then)."""
    end = quarter_end(as_of)
    started = projects.loc[projects["start_date"].notna() & projects["signed_date"].notna()]
    wait = months_between(started["signed_date"], started["start_date"])
    recent = started["start_date"] > end - pd.DateOffset(years=years)
    med_recent = wait[recent].groupby(started.loc[recent, "category"]).median()
    med_all = wait.groupby(started["category"]).median()
    return med_recent.combine_first(med_all)


def planned_starts(projects: pd.DataFrame, rows: pd.DataFrame, as_of: pd.Period) -> pd.Series:
    """The date each of ``rows`` is due to start: its signing plus its
    category's typical wait (:func:`typical_waits` over ``projects``); NaT
    for a project not signed."""
    wait = rows["category"].map(typical_waits(projects, as_of))
    return (rows["signed_date"] + pd.to_timedelta(wait * DAYS_PER_MONTH, unit="D")).dt.round("D")


def _spent(cut: Any, ids: pd.Series) -> pd.Series:
    """Investment reported per project up to the cut (万元)."""
    prog = cut.progress
    return prog.loc[prog["project_id"].isin(ids)].groupby("project_id")["investment"].sum()


def risk_table(
    cut: Any,
    probs: pd.DataFrame,
    as_of: pd.Period,
    expected_share: Callable[[np.ndarray], np.ndarray] | None = None,
) -> pd.DataFrame:
    """Risk rows for the active projects of a cut ledger.

    Parameters
    ----------
    cut : Ledger
        The ledger at ``as_of``.
    probs : DataFrame
        One row per simulated project (``simulate.zone._project_probs``), all within
        the risk window: ``project_id``, ``p_cancel`` (cancelled),
        ``p_late`` / ``months_late`` (completion after the planned date, and
        the expected months between the two; overdue projects are late for
        certain) and ``p_late_start`` / ``months_late_start`` (the same for a
        signed project's start against its category's usual wait); NaN where
        the plan falls after the window. Optional ``months_late_censored`` /
        ``months_late_start_censored``: the share of draws whose delay is
        counted only to the end of the simulation.
    as_of : quarter
    expected_share : callable, optional
        Expected cumulative spend share at an elapsed fraction of the planned
        construction period; :func:`s_curve` by default.

    Returns
    -------
    DataFrame
        ``RISK_COLUMNS``, one row per project and applicable risk: the
        lateness rows first, most expected months late first (ties: more
        investment at stake, 万元 planned and not yet spent), then the
        cancellation rows by probability. ``months_late_bound`` is True where
        ``months_late`` is a lower bound (a share of at least
        :data:`BOUND_SHARE` of draws censored).

    Examples
    --------
    >>> from forecast.sample import generate            # doctest: +SKIP
    >>> zf = forecast_zones(generate(zones=2, seed=1), "2023Q4")  # doctest: +SKIP
    >>> zf[...].risk.head()                            # doctest: +SKIP
    """
    q = as_of
    end = quarter_end(q)
    curve = expected_share or s_curve
    p = cut.projects.loc[cut.projects["project_id"].isin(probs["project_id"])].copy()
    p["stage"] = stage_at(p, end)
    p = p.merge(probs, on="project_id", how="left")

    overdue = months_between(p["planned_completion_date"], pd.Series(end, index=p.index))
    p["months_overdue"] = overdue.where(p["stage"] == "started").clip(lower=0.0)
    spent = _spent(cut, p["project_id"]).reindex(p["project_id"]).fillna(0.0).to_numpy()
    p["spend_share"] = spent / p["planned_investment"].to_numpy(dtype=float)
    planned_months = months_between(p["start_date"], p["planned_completion_date"])
    elapsed = months_between(p["start_date"], pd.Series(end, index=p.index))
    frac = (elapsed / planned_months.where(planned_months > 0)).to_numpy(dtype=float)
    expected = np.where(np.isfinite(frac), curve(np.nan_to_num(frac)), np.nan)
    p["spend_gap"] = expected - p["spend_share"]
    p["wait"] = months_between(p["signed_date"], pd.Series(end, index=p.index)).where(
        p["stage"] == "signed"
    )
    p["typical_wait"] = p["category"].map(typical_waits(cut.projects, q))

    p["investment_at_stake"] = np.clip(p["planned_investment"].to_numpy(float) - spent, 0.0, None)
    if "p_late_start" not in p or p["p_late_start"].isna().all():  # probabilities without start plans
        p["p_late_start"], p["months_late_start"] = p.get("p_no_start"), np.nan
    rows = []
    for risk, col, months, stages in (
        ("completion", "p_late", "months_late", ("started",)),
        ("start", "p_late_start", "months_late_start", ("signed",)),
        ("cancel", "p_cancel", None, ("reserve", "signed", "started")),
    ):
        sub = p.loc[p["stage"].isin(stages) & p[col].notna()].copy()
        sub["risk"] = risk
        sub["probability"] = sub[col].astype(float)
        censored = sub.get(f"{months}_censored", pd.Series(np.nan, index=sub.index)).astype(float)
        sub["months_late"] = sub[months].astype(float) if months in sub else np.nan
        sub["months_late_bound"] = sub["months_late"].notna() & (censored >= BOUND_SHARE)
        if risk == "completion":
            sub["planned_date"] = sub["planned_completion_date"]
        elif risk == "start":
            sub["planned_date"] = sub["signed_date"] + pd.to_timedelta(
                sub["typical_wait"] * DAYS_PER_MONTH, unit="D"
            ).dt.round("D")
        else:
            sub["planned_date"] = pd.NaT
        rows.append(sub)
    out = pd.concat(rows, ignore_index=True)
    codes, zh, en = _reasons(out, end)
    out["reason_code"], out["reason_zh"], out["reason_en"] = codes, zh, en
    out["planned_date"] = pd.to_datetime(out["planned_date"])
    return ranked(out)[list(RISK_COLUMNS)]


def ranked(risk: pd.DataFrame) -> pd.DataFrame:
    """Risk rows in the report's order: lateness (start, completion) by
    expected months late, then probability and investment at stake;
    cancellations after them, by probability. A list of several zones keeps
    each zone's own order (rows that tie stay in the order given)."""
    nan = pd.Series(np.nan, index=risk.index)
    # a table saved before a column existed still ranks (without it)
    key = pd.DataFrame({"_cancel": risk["risk"] == "cancel", "months_late": risk.get("months_late", nan),
                        "probability": risk["probability"],
                        "investment_at_stake": risk.get("investment_at_stake", nan)})
    key = key.sort_values(list(key.columns), ascending=[True, False, False, False], na_position="last",
                          kind="stable")
    return risk.loc[key.index].reset_index(drop=True)


def whole_months(start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Whole calendar months from ``start`` to ``end`` (0 when under a month):
    the months a reader counts on a calendar, month ends matching month ends.

    >>> T = pd.Timestamp
    >>> whole_months(T("2024-12-31"), T("2025-09-30")), whole_months(T("2025-06-30"), T("2025-09-30"))
    (9, 3)
    >>> whole_months(T("2025-09-15"), T("2025-09-30")), whole_months(T("2025-08-31"), T("2025-09-29"))
    (0, 0)
    """
    n = (end.year - start.year) * 12 + end.month - start.month
    # a date past the month's last day rolls back to it (Dec 31 + 9 months = Sep 30)
    return n - 1 if start + pd.DateOffset(months=n) > end else n


def _months_zh(n: int) -> str:
    """``n`` whole months in Chinese ("不足1个月" for 0)."""
    return f"{n}个月" if n else "不足1个月"


def _months_en(n: int) -> str:
    """``n`` whole months in English ("under a month" for 0)."""
    return "under a month" if n == 0 else f"{n} month" + ("" if n == 1 else "s")


def _reasons(df: pd.DataFrame, end: pd.Timestamp) -> tuple[list[str], list[str], list[str]]:
    """The strongest signal for each row, in zh and en, with its numbers
    (months overdue, and since signing, in whole calendar months to ``end``,
    as the 台账 counts them: a fraction of a month counted from dates would be
    false precision, and rounding up would say a month that has not passed)."""
    codes, zh, en = [], [], []
    for risk, od, gap, share, wait, typ, planned, late, bound, p, signed in zip(
        df["risk"], df["months_overdue"], df["spend_gap"], df["spend_share"], df["wait"],
        df["typical_wait"], df["planned_completion_date"], df["months_late"],
        df["months_late_bound"], df["probability"], df.get("signed_date", pd.Series(pd.NaT, index=df.index)),
    ):
        if od > 0:
            d = planned.date().isoformat()
            codes.append("overdue")
            n = whole_months(planned, end)
            zh.append(f"超过计划竣工时间（{d}）{_months_zh(n)}仍未竣工")
            en.append(f"{_months_en(n)} past its planned completion ({d}) and not completed")
        elif gap > SLOW_SPEND_GAP:
            codes.append("slow_spending")
            zh.append(f"投资进度滞后：已完成计划总投资的{share:.0%}，按工期应达{share + gap:.0%}")
            en.append(f"Slow spending: {share:.0%} of planned investment spent, "
                      f"{share + gap:.0%} expected at this point of construction")
        elif wait > LONG_WAIT_RATIO * typ:
            codes.append("long_wait")
            n = whole_months(signed, end)  # wait is known, so is the signing date
            zh.append(f"签约后{_months_zh(n)}仍未开工（同类项目通常{typ:.0f}个月）")
            en.append(f"Signed {_months_en(n)} ago and not started (typically {typ:.0f} months)")
        elif risk == "completion" and late == late and pd.notna(planned) and planned <= end:
            # due on (or just before) the as-of day and not complete: late for
            # certain because its day has come, not because of projects like it
            d, e = planned.date().isoformat(), end.date().isoformat()
            codes.append("due")
            zh.append(f"计划{d}竣工，截至{e}尚未竣工" + (f"；预计平均推迟{late:.1f}个月" if late >= 0.5 else ""))
            en.append(f"Due to complete on {d} and not completed by {e}"
                      + (f"; expected {late:.1f} months late on average" if late >= 0.5 else ""))
        elif risk == "completion" and late == late and pd.notna(planned):
            d = planned.date().isoformat()
            codes.append("model")
            at_least = ("至少", "at least ") if bound else ("", "")
            zh.append(f"计划{d}竣工；按同类项目进度，推迟的概率{p:.0%}"
                      + (f"，预计平均推迟{at_least[0]}{late:.1f}个月" if late >= 0.5 else ""))
            en.append(f"Due to complete on {d}; projects like it finish late {p:.0%} of the time"
                      + (f", by {at_least[1]}{late:.1f} months on average" if late >= 0.5 else ""))
        elif risk == "start" and wait == wait and typ == typ:
            codes.append("model")
            n = whole_months(signed, end)
            zh.append(f"签约{_months_zh(n)}未开工（同类项目通常{typ:.0f}个月）；推迟开工的概率{p:.0%}")
            en.append(f"Signed {_months_en(n)} ago, not started (typically {typ:.0f} months); "
                      f"chance of a late start {p:.0%}")
        else:
            codes.append("model")
            zh.append(f"按同类项目的终止比例，{p:.0%}的可能在预测期内终止" if risk == "cancel"
                      else "模型根据同类项目进度估计的风险")
            en.append(f"Projects like it are cancelled: {p:.0%} chance within the window" if risk == "cancel"
                      else "Risk estimated by the model from similar projects")
    return codes, zh, en


def unit_board(risk: pd.DataFrame, at_risk: float = AT_RISK, min_projects: int = 3) -> pd.DataFrame:
    """The 龙虎榜 per 责任单位: active projects, projects at risk, share, flag.

    A project is at risk when any of its risks has probability ≥ ``at_risk``.
    In each zone, units are ranked by share at risk, lowest first; equal
    shares share a rank (1, 1, 3). Among units
    answerable for at least ``min_projects`` active projects (fewer says little),
    those with the lowest share get the red flag (红旗) and those with the
    highest the black flag (黑旗), when the two differ. Projects with no
    responsible unit are left out (the board speaks of units the ledger names).

    >>> r = pd.DataFrame({"zone_id": ["z"] * 6, "project_id": list("abcdef"),
    ...     "responsible_unit": ["招商局"] * 3 + ["建设局"] * 3,
    ...     "probability": [0.9, 0.1, 0.2, 0.1, 0.1, 0.1], "planned_investment": [1.0] * 6})
    >>> unit_board(r)[["responsible_unit", "share_at_risk", "flag"]].round(2).values.tolist()
    [['建设局', 0.0, 'red'], ['招商局', 0.33, 'black']]
    """
    named = risk.loc[risk["responsible_unit"].notna() & (risk["responsible_unit"].astype(str) != "")]
    if named.empty:
        return pd.DataFrame(columns=list(BOARD_COLUMNS))
    per = named.groupby(["zone_id", "responsible_unit", "project_id"], sort=False).agg(
        probability=("probability", "max"), planned_investment=("planned_investment", "first")
    )
    per["hit"] = per["probability"] >= at_risk
    per["inv_hit"] = per["planned_investment"].where(per["hit"], 0.0)
    board = per.groupby(level=["zone_id", "responsible_unit"]).agg(
        projects=("hit", "size"), at_risk=("hit", "sum"), planned_investment_at_risk=("inv_hit", "sum")
    ).reset_index()
    board["share_at_risk"] = board["at_risk"] / board["projects"]
    board = board.sort_values(["zone_id", "share_at_risk", "at_risk"], kind="stable")
    board["rank"] = board.groupby("zone_id")["share_at_risk"].rank(method="min").astype("int64")
    share = board["share_at_risk"].where(board["projects"] >= min_projects)
    best = share.groupby(board["zone_id"]).transform("min")
    worst = share.groupby(board["zone_id"]).transform("max")
    differ = worst > best
    board["flag"] = np.select([differ & (share == best), differ & (share == worst)], ["red", "black"], "")
    board["flag_zh"] = board["flag"].map({"red": "红旗", "black": "黑旗", "": ""})
    return board.reset_index(drop=True)[list(BOARD_COLUMNS)]
