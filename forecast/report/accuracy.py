"""The report's accuracy section: were the target chances and the quarterly forecasts right?

Two parts, from what ``forecast.run.track`` computed (``ReportData``):

1. The annual target chances. Every past estimate of a zone's chance of
   meeting a target (all zones pooled: one zone has too few) is put in its
   probability band, 0–10%, …, 90–100% (:func:`reliability`); the table and a
   small chart show how often the targets of each band were met, the
   sentences how often the "likely" (≥ 70%) and "unlikely" (< 30%) ones were.
2. The quarterly backtest over several origins: the chart and table as before,
   and one plain sentence for every metric where the model did worse than a
   simple method in this zone, with what the product did about it (the
   self-calibration's blend with the simple methods, ``Calibration.summary()``).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
from markupsafe import Markup

from ..vocab import METRICS
from . import figures, tables
from .labels import pct, t

#: Probability bands of the reliability table: [0, 0.1), …, [0.9, 1.0].
BANDS: Final = 10
RELIABILITY_COLUMNS: Final = ("band", "low", "high", "n", "met", "share_met", "mean_p")
#: "Likely" and "unlikely" in the section's sentences.
LIKELY, UNLIKELY = 0.7, 0.3
#: The simple methods the backtest compares with, in the order sentences name them.
BASELINES: Final = ("seasonal_naive", "ets")
#: A simple method "did better" only when its MASE is lower by more than this
#: share (the self-calibration's own tolerance): 1.46 against 1.45 is a tie.
TIE: Final = 0.02
#: Backtest origins drawn in the chart (the most recent).
CHART_ORIGINS: Final = 12


def reliability(probabilities: pd.DataFrame, bands: int = BANDS) -> pd.DataFrame:
    """Cases by probability band: how many, how many targets were met, the
    share met and the mean probability given.

    ``probabilities`` has ``p_meet`` (0..1) and ``met`` (bool). A probability of
    exactly 1 falls in the last band; every band is listed, an empty one with
    ``n == 0`` and NaN shares.

    >>> p = pd.DataFrame({"p_meet": [0.05, 0.07, 0.95, 1.0], "met": [False, True, True, True]})
    >>> r = reliability(p).set_index("band")
    >>> r.loc[[0, 9], ["n", "met"]].to_numpy().tolist()
    [[2, 1], [2, 2]]
    """
    p = probabilities["p_meet"].to_numpy(float)
    if np.isnan(p).any() or (p < 0).any() or (p > 1).any():
        raise ValueError("p_meet must lie in [0, 1]")
    band = np.minimum((p * bands).astype(int), bands - 1)
    met = probabilities["met"].to_numpy(bool)
    n = np.bincount(band, minlength=bands)
    hits = np.bincount(band, weights=met, minlength=bands).astype(int)
    sum_p = np.bincount(band, weights=p, minlength=bands)
    with np.errstate(invalid="ignore", divide="ignore"):
        share, mean_p = hits / n, sum_p / n
    return pd.DataFrame({"band": np.arange(bands), "low": np.arange(bands) / bands,
                         "high": np.arange(1, bands + 1) / bands, "n": n, "met": hits,
                         "share_met": share, "mean_p": mean_p}, columns=list(RELIABILITY_COLUMNS))


def _band(low: float, high: float) -> str:
    return f"{low:.0%}–{high:.0%}".replace("%–", "–")


def reliability_table(pooled: pd.DataFrame, mine: pd.DataFrame, lang: str) -> Markup:
    """The bands with their estimates, targets met and share met (all zones),
    and this zone's own ``met/estimates``."""
    rows = pooled.assign(
        label=[_band(lo, hi) for lo, hi in zip(pooled["low"], pooled["high"])],
        mine=[f"{k}/{n}" if n else "—" for k, n in zip(mine["met"], mine["n"])])
    return tables.html_table(rows, [
        tables.Column("label", t("track.band", lang)),
        tables.Column("n", t("track.n", lang), str, "fc-num"),
        tables.Column("met", t("track.met", lang), str, "fc-num"),
        tables.Column("share_met", t("track.share", lang), pct, "fc-num"),
        tables.Column("mine", t("track.mine", lang), str, "fc-num"),
    ])


def reliability_figure(pooled: pd.DataFrame, lang: str) -> figures.Figure:
    """Share of targets met against the mean chance given, one point per
    non-empty band (area by estimates), beside the diagonal of exact chances."""
    r = pooled.loc[pooled["n"] > 0]
    with figures.style():
        # room on the right for half of the "100%" tick label at the axis' end
        fig, axes = figures.new_figure(1, 3.2, left=0.6, bottom=0.55, right=0.3)
        ax = axes[0]
        ax.plot([0, 1], [0, 1], color=figures.ACTUAL, linewidth=1, linestyle="--",
                label=t("track.ideal", lang))
        size = 12 + 160 * r["n"].to_numpy(float) / max(1.0, float(r["n"].max()))
        ax.scatter(r["mean_p"], r["share_met"], s=size, color=figures.FORECAST, alpha=0.8, zorder=3,
                   label=t("track.points", lang))
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.05)
        ticks = np.linspace(0, 1, 6)
        ax.set_xticks(ticks, [f"{v:.0%}" for v in ticks])
        ax.set_yticks(ticks, [f"{v:.0%}" for v in ticks])
        ax.set_xlabel(t("track.axis.x", lang))
        ax.set_ylabel(t("track.axis.y", lang))
        ax.set_title(t("track.chart", lang))
        ax.legend(loc="upper left")
    return fig


def _years(years: list[int]) -> str:
    years = sorted(set(years))
    return f"{years[0]}–{years[-1]}" if len(years) > 1 else str(years[0])


def target_chances(probabilities: pd.DataFrame | None, zone_id: str, lang: str) -> str:
    """The first part: the annual target chances against the outcomes."""
    heading = t("track.heading", lang)
    if probabilities is None or len(probabilities) == 0:
        return tables.subsection(heading, [t("track.none", lang)])
    p = probabilities
    pooled = reliability(p)
    mine_rows = p.loc[p["zone_id"] == zone_id]
    mine = reliability(mine_rows)
    paras = [t("track.intro", lang, years=_years(p["year"].astype(int).tolist()),
               zones=p["zone_id"].nunique(), n=len(p))]
    for key, sel in (("track.high", p["p_meet"] >= LIKELY), ("track.low", p["p_meet"] < UNLIKELY)):
        n, k = int(sel.sum()), int(p.loc[sel, "met"].sum())
        if n:
            paras.append(t(key, lang, n=n, k=k, share=pct(k / n)))
    notes = [t("track.zone", lang, n=len(mine_rows), k=int(mine_rows["met"].sum()))]
    fig = reliability_figure(pooled, lang)
    return tables.subsection(heading, paras, [
        Markup(figures.figure_html(fig, t("track.chart", lang))),
        reliability_table(pooled, mine, lang)], notes)


def _weights(cal: pd.DataFrame, metric: str, lang: str) -> tuple[str, float] | None:
    """The calibration's blend for ``metric`` one quarter ahead: its words and the
    model's own weight, or ``None`` when it was not calibrated."""
    if cal is None or len(cal) == 0 or "what" not in cal or (cal["what"] == "not calibrated").any():
        return None
    rows = cal.loc[(cal["metric"] == metric) & (cal["k"] == 1) & cal["what"].str.startswith("weight_")]
    if rows.empty:
        return None
    w = dict(zip(rows["what"].str.removeprefix("weight_"), rows["estimate"].astype(float)))
    parts = [t("backtest.weight", lang, model=_inline(t(f"backtest.model.{s}", lang), lang), share=pct(v))
             for s, v in w.items() if v > 0]
    return ("、" if lang == "zh" else ", ").join(parts), float(w.get("structural", 1.0))


def _inline(label: str, lang: str) -> str:
    """A table label inside an English sentence: 'Projects started' -> 'projects started'."""
    return label[:1].lower() + label[1:] if lang == "en" else label


def baseline_sentences(scores: pd.DataFrame, calibration: pd.DataFrame | None, n_origins: int,
                       lang: str) -> list[str]:
    """One sentence per metric where this zone's model did worse than a simple
    method one quarter ahead (MASE, the zone's backtest; within ``TIE`` is a
    tie), each followed by
    what the product did; one sentence when it never did worse."""
    s = scores.loc[scores["horizon"] == 1] if "horizon" in scores else scores
    mase = s.pivot_table(index="metric", columns="model", values="mase", aggfunc="mean")
    out = []
    for metric in METRICS:
        if metric not in mase.index or "forecast" not in mase:
            continue
        m = mase.at[metric, "forecast"]
        worse = [(b, mase.at[metric, b]) for b in BASELINES
                 if b in mase and np.isfinite(m) and np.isfinite(mase.at[metric, b])
                 and mase.at[metric, b] * (1 + TIE) < m]
        if not worse:
            continue
        name = _inline(t(f"metric.{metric}", lang), lang)
        base, b = min(worse, key=lambda x: x[1])
        out.append(t("backtest.worse", lang, metric=name, n=n_origins,
                     baseline=_inline(t(f"backtest.model.{base}", lang), lang), m=f"{m:.2f}", b=f"{b:.2f}"))
        blend = _weights(calibration, metric, lang)
        if blend is None:
            out.append(t("backtest.uncalibrated", lang, metric=name))
        elif blend[1] < 1.0:
            out.append(t("backtest.blend", lang, metric=name, weights=blend[0]))
        else:
            out.append(t("backtest.kept", lang, metric=name))
    return out or [t("backtest.all_beat", lang)]


def quarterly(forecasts: pd.DataFrame | None, scores: pd.DataFrame | None,
              calibration: pd.DataFrame | None, lang: str) -> str:
    """The second part: the quarterly backtest over several origins."""
    heading = t("backtest.heading", lang)
    if forecasts is None or len(forecasts) == 0 or scores is None or len(scores) == 0:
        return tables.subsection(heading, [t("backtest.none", lang)])
    origins = sorted({str(o) for o in forecasts["origin"]})
    span = f"{origins[0]}–{origins[-1]}" if len(origins) > 1 else origins[0]
    recent = forecasts.loc[forecasts["origin"].astype(str).isin(origins[-CHART_ORIGINS:])]
    fig = figures.backtest_figure(recent, lang)
    return tables.subsection(
        heading, [t("backtest.intro", lang, origins=span, n=len(origins)),
                  *baseline_sentences(scores, calibration, len(origins), lang)],
        [Markup(figures.figure_html(fig, t("backtest.title", lang))), tables.backtest_table(scores, lang)])


__all__ = ["BANDS", "RELIABILITY_COLUMNS", "baseline_sentences", "quarterly", "reliability",
           "reliability_figure", "reliability_table", "target_chances"]
