"""Report charts: pure functions from forecast objects to matplotlib figures.

Every function takes plain DataFrames (the shapes of docs/DESIGN.md), a report
language and returns a :class:`matplotlib.figure.Figure` built without pyplot,
so nothing is shown twice in a notebook and no global figure list grows in a
long-lived batch kernel. Money is drawn in 亿元. Text uses Noto Sans CJK SC
(:mod:`forecast.report.fonts`) whatever the global rcParams say: the style is
applied while a figure is built and again while it is saved, because tick
labels are only created at draw time.

Sizes are chosen for a phone: 4 inches wide at 200 dpi (800 px, sharp on a
high-density screen), shown at the width of the screen (about 360 px, 90 px
an inch), so 9-10 pt text reads as 11-12 px.
"""

from __future__ import annotations

import base64
import contextlib
import html
import io
from typing import Any, Iterator

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..periods import quarter
from ..vocab import WAN_PER_YI
from .fonts import cjk_rc
from .labels import t

WIDTH = 4.0  # inches
DPI = 200
#: zlib level of the PNGs: 1 instead of Pillow's 6 saves 0.03 s of CPU a
#: report (of about 0.45 s drawing 5 charts) for 12% larger images (about
#: 30 KB a page). 150 dpi would save barely more (0.04 s) and blur text on
#: phones, which show 2-3 device pixels a CSS pixel.
PNG_COMPRESS_LEVEL = 1
ACTUAL = "#7b8794"
FORECAST = "#1f5fa8"
TARGET = "#b42318"
NEW = "#b7791f"
#: Quarters of history drawn before the forecast.
HISTORY_QUARTERS = 8
#: The five stages of the pipeline chart (达产 counts as 投产, 终止 is left out).
PIPELINE_STAGES = ("reserve", "signed", "started", "completed", "producing")

_STYLE = {
    "font.size": 9.5,
    "axes.titlesize": 10,
    # The embedded CJK font has one weight; asking for bold would log a
    # findfont fallback for every title.
    "axes.titleweight": "normal",
    "axes.titlelocation": "left",
    "axes.labelsize": 9,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.grid.axis": "y",
    "grid.color": "#e4e7eb",
    "grid.linewidth": 0.8,
    "axes.axisbelow": True,
    "figure.dpi": DPI,
    "savefig.dpi": DPI,
    "figure.facecolor": "white",
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """The report style (CJK font included) for building or saving a figure."""
    import matplotlib

    with matplotlib.rc_context({**_STYLE, **cjk_rc()}):
        yield


def new_figure(rows: int = 1, height: float = 3.0, *, cols: int = 1, left: float = 0.5,
         right: float = 0.12, top: float = 0.3, bottom: float = 0.3, hgap: float = 0.5,
         wgap: float = 0.15, **kw: Any) -> tuple[Figure, np.ndarray]:
    """A figure ``WIDTH`` × ``height`` inches with margins and gaps in inches.

    Fixed margins instead of constrained layout: the labels here are short and
    known, and laying out by measuring every text twice made each chart about
    40% slower to draw.
    """
    fig = Figure(figsize=(WIDTH, height))
    plot_h = height - top - bottom
    plot_w = WIDTH - left - right
    ax_h = (plot_h - (rows - 1) * hgap) / rows
    ax_w = (plot_w - (cols - 1) * wgap) / cols
    grid = {
        "left": left / WIDTH, "right": 1 - right / WIDTH,
        "bottom": bottom / height, "top": 1 - top / height,
        "hspace": hgap / ax_h if rows > 1 else 0.0,
        "wspace": wgap / ax_w if cols > 1 else 0.0,
        **kw.pop("gridspec_kw", {}),
    }
    axes = fig.subplots(rows, cols, squeeze=False, gridspec_kw=grid, **kw)
    return fig, axes[:, 0] if cols == 1 else axes[0]


def headroom(ax: Any, share: float = 0.4) -> None:
    """Raise the top of the y axis so an in-axes legend clears the data."""
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, hi + (hi - lo) * share)


def quarter_label(q: pd.Period) -> str:
    # '24Q3' keeps 12 quarters legible on a phone.
    return f"{q.year % 100:02d}Q{q.quarter}"


def _forecast(table: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Forecast rows of one metric indexed by quarter, sorted."""
    rows = table.loc[table["metric"] == metric].copy()
    rows.index = pd.PeriodIndex([quarter(str(p)) for p in rows["period"]], freq="Q-DEC")
    return rows.sort_index()


def _history(history: pd.DataFrame, column: str, last: int = HISTORY_QUARTERS) -> pd.Series:
    """The last ``last`` quarters of one history column, indexed by quarter."""
    if history is None or len(history) == 0 or column not in history:
        return pd.Series(dtype="float64")
    s = pd.Series(
        history[column].to_numpy(dtype="float64"),
        index=pd.PeriodIndex([quarter(str(q)) for q in history["quarter"]], freq="Q-DEC"),
    ).sort_index()
    return s.iloc[-last:]


def _axis(ax: object, quarters: list[pd.Period]) -> None:
    step = 1 if len(quarters) <= 12 else 2
    ax.set_xticks(range(0, len(quarters), step))
    ax.set_xticklabels([quarter_label(q) for q in quarters[::step]], rotation=0)
    ax.set_xlim(-0.6, len(quarters) - 0.4)


def _fan(ax: object, x: np.ndarray, rows: pd.DataFrame, scale: float, lang: str) -> None:
    """The forecast fan: the 80% band (P10–P90) and the median, the one
    interval and statistic the whole report uses."""
    ax.fill_between(x, rows["p10"] / scale, rows["p90"] / scale, color=FORECAST, alpha=0.25,
                    linewidth=0, label=t("investment.band80", lang))
    ax.plot(x, rows["p50"] / scale, color=FORECAST, marker="o", markersize=3, linewidth=1.6,
            label=t("investment.forecast", lang))


def _series_with_fan(ax: object, hist: pd.Series, fc: pd.DataFrame, scale: float,
                     lang: str) -> list[pd.Period]:
    quarters = list(hist.index) + [q for q in fc.index if q not in hist.index]
    pos = {q: i for i, q in enumerate(quarters)}
    ax.bar([pos[q] for q in hist.index], hist.to_numpy() / scale, color=ACTUAL, width=0.7,
           label=t("investment.actual", lang))
    if len(fc):
        x = np.array([pos[q] for q in fc.index], dtype=float)
        _fan(ax, x, fc, scale, lang)
    _axis(ax, quarters)
    ax.set_ylim(bottom=0)
    return quarters


def pipeline_figure(pipeline: pd.DataFrame, lang: str) -> Figure:
    """Projects and planned investment (亿元) in each stage, side by side.

    Parameters
    ----------
    pipeline : DataFrame
        One zone's rows of ``aggregate.pipeline``: ``stage``, ``projects``,
        ``planned_investment`` (万元). ``full_production`` is counted as
        ``producing``; ``cancelled`` is left out.
    lang : {"zh", "en"}
    """
    p = pipeline.copy()
    p["stage"] = p["stage"].replace({"full_production": "producing"})
    p = p.groupby("stage")[["projects", "planned_investment"]].sum()
    p = p.reindex(PIPELINE_STAGES, fill_value=0)
    names = [t(f"stage.{s}", lang) for s in PIPELINE_STAGES]
    with style():
        left = 0.6 if lang == "zh" else 1.15  # room for the stage names
        fig, (ax1, ax2) = new_figure(1, 2.4, cols=2, left=left, bottom=0.08, wgap=0.25,
                               sharey=True)
        y = np.arange(len(names))[::-1]
        for ax, values, key, fmt in (
            (ax1, p["projects"].to_numpy(float), "pipeline.projects", "{:,.0f}"),
            (ax2, p["planned_investment"].to_numpy(float) / WAN_PER_YI, "pipeline.investment",
             "{:,.1f}"),
        ):
            bars = ax.barh(y, values, color=FORECAST, height=0.6)
            ax.bar_label(bars, labels=[fmt.format(v) for v in values], padding=2, fontsize=8.5)
            ax.set_title(t(key, lang), fontsize=10)
            ax.grid(False)
            ax.spines["bottom"].set_visible(False)
            ax.set_xticks([])
            ax.set_xlim(0, max(values.max(), 1e-9) * 1.3)
        ax1.set_yticks(y)
        ax1.set_yticklabels(names)
        ax2.tick_params(left=False)
    return fig


def investment_figure(history: pd.DataFrame, table: pd.DataFrame, targets: pd.DataFrame,
                      year: int, lang: str) -> Figure:
    """Quarterly investment with the forecast fan, and the year against its target.

    Parameters
    ----------
    history : DataFrame
        ``aggregate.quarterly`` rows of the zone (``quarter``, ``investment`` 万元).
    table : DataFrame
        The zone's forecast table (``vocab.FORECAST_COLUMNS``).
    targets : DataFrame
        ``ZoneForecast.targets``; the ``investment`` row of ``year`` gives the
        year bar (done so far, expected rest, P10–P90, target). Without that
        row only the quarterly panel is drawn.
    year : int
    lang : {"zh", "en"}
    """
    row = _target_row(targets, year, "investment")
    with style():
        if row is not None:
            fig, axes = new_figure(2, 4.4, hgap=0.75, bottom=0.25,
                             gridspec_kw={"height_ratios": [3, 1]})
        else:
            fig, axes = new_figure(1, 3.0)
        ax = axes[0]
        fc = _forecast(table, "investment")
        quarters = _series_with_fan(ax, _history(history, "investment"), fc, WAN_PER_YI, lang)
        new = _forecast(table, "new_investment")
        if len(new):
            pos = {q: i for i, q in enumerate(quarters)}
            ax.plot([pos[q] for q in new.index], new["mean"] / WAN_PER_YI, color=NEW,
                    linestyle=":", linewidth=1.5, label=t("investment.new", lang))
        ax.set_title(t("investment.quarterly", lang))
        headroom(ax)
        ax.legend(loc="upper left", ncols=2)
        if row is not None:
            _year_bar(axes[1], row, year, lang)
    return fig


def _target_row(targets: pd.DataFrame | None, year: int, metric: str) -> pd.Series | None:
    if targets is None or len(targets) == 0:
        return None
    rows = targets.loc[(targets["year"] == year) & (targets["metric"] == metric)]
    return None if rows.empty else rows.iloc[0]


def _year_bar(ax: object, row: pd.Series, year: int, lang: str) -> None:
    done = float(row["actual_to_date"]) / WAN_PER_YI
    expected = float(row["p50"] if "p50" in row else row["expected"]) / WAN_PER_YI
    ax.barh([0], [done], color=ACTUAL, height=0.5, label=t("investment.done", lang))
    ax.barh([0], [max(expected - done, 0.0)], left=[done], color=FORECAST, alpha=0.55,
            height=0.5, label=t("investment.expected_rest", lang))
    lo, hi = float(row["p10"]) / WAN_PER_YI, float(row["p90"]) / WAN_PER_YI
    ax.errorbar([expected], [0], xerr=[[expected - lo], [hi - expected]], fmt="none",
                ecolor=FORECAST, capsize=4, linewidth=1.2)
    target = float(row["target"]) / WAN_PER_YI if pd.notna(row.get("target")) else np.nan
    top = np.nanmax([hi, target, done]) * 1.12
    if target == target:
        ax.axvline(target, color=TARGET, linewidth=1.6, label=t("investment.target", lang))
    ax.set_xlim(0, top if top > 0 else 1)
    ax.set_yticks([])
    ax.set_ylim(-0.45, 1.05)
    ax.grid(True, axis="x")
    ax.grid(False, axis="y")
    ax.spines["left"].set_visible(False)
    ax.set_title(t("investment.year", lang, year=year))
    ax.legend(loc="upper left", ncols=3, borderaxespad=0.1)


def events_figure(history: pd.DataFrame, table: pd.DataFrame, lang: str) -> Figure:
    """Projects started, completed and starting production each quarter.

    Bars are history, dots the forecast median with an 80% (P10–P90) whisker.
    """
    metrics = ("projects_started", "projects_completed", "projects_producing")
    with style():
        fig, axes = new_figure(3, 5.4, hgap=0.4, sharex=True)
        for ax, metric in zip(axes, metrics):
            hist = _history(history, metric)
            fc = _forecast(table, metric)
            quarters = list(hist.index) + [q for q in fc.index if q not in hist.index]
            pos = {q: i for i, q in enumerate(quarters)}
            ax.bar([pos[q] for q in hist.index], hist.to_numpy(), color=ACTUAL, width=0.7,
                   label=t("investment.actual", lang))
            if len(fc):
                x = np.array([pos[q] for q in fc.index], dtype=float)
                p10, p50, p90 = (fc[c].to_numpy(float) for c in ("p10", "p50", "p90"))
                ax.errorbar(x, p50, yerr=[p50 - p10, p90 - p50],
                            fmt="o", color=FORECAST, markersize=4, capsize=2, linewidth=1,
                            label=t("investment.forecast", lang))
            ax.set_title(t(f"metric.{metric}", lang))
            ax.set_ylim(bottom=0)
            ax.yaxis.get_major_locator().set_params(integer=True)
            _axis(ax, quarters)
        headroom(axes[0])
        axes[0].legend(loc="upper left", ncols=2)
    return fig


def output_figure(history: pd.DataFrame, table: pd.DataFrame, lang: str) -> Figure:
    """Quarterly output value (亿元): history bars and the forecast fan."""
    with style():
        fig, axes = new_figure(1, 3.0)
        _series_with_fan(axes[0], _history(history, "output_value"),
                         _forecast(table, "output_value"), WAN_PER_YI, lang)
        axes[0].set_title(t("output.axis", lang))
        headroom(axes[0])
        axes[0].legend(loc="upper left", ncols=2)
    return fig


def backtest_figure(forecasts: pd.DataFrame, lang: str, metric: str = "investment") -> Figure:
    """Past next-quarter forecasts (P10–P90 and median) against what happened.

    Parameters
    ----------
    forecasts : DataFrame
        ``Backtest.forecasts`` rows of one zone: ``origin``, ``period``,
        ``metric``, quantiles and ``actual`` (rows of other ``model`` than
        ``forecast`` are left out); the first quarter after each origin is drawn.
    """
    f = forecasts.loc[forecasts["metric"] == metric]
    if "model" in f:
        f = f.loc[f["model"] == "forecast"]
    f = f.copy()
    f["origin_q"] = [quarter(str(o)) for o in f["origin"]]
    f["period_q"] = [quarter(str(p)) for p in f["period"]]
    f = f.loc[f["period_q"] == f["origin_q"] + 1].sort_values("period_q")
    quarters = list(f["period_q"])
    x = np.arange(len(quarters), dtype=float)
    with style():
        fig, axes = new_figure(1, 2.8)
        ax = axes[0]
        p10, p50, p90 = (f[c].to_numpy(float) / WAN_PER_YI for c in ("p10", "p50", "p90"))
        ax.errorbar(x, p50, yerr=[p50 - p10, p90 - p50],
                    fmt="o", color=FORECAST, markersize=4, capsize=3, linewidth=1.2,
                    label=t("backtest.interval", lang))
        ax.scatter(x, f["actual"].to_numpy(float) / WAN_PER_YI, marker="D", s=22, color=TARGET, zorder=3,
                   label=t("investment.actual", lang))
        _axis(ax, quarters)
        ax.set_ylim(bottom=0)
        ax.set_title(t("backtest.axis", lang))
        headroom(ax)
        ax.legend(loc="upper left", ncols=2)
    return fig


def to_png(fig: Figure) -> bytes:
    """The figure as PNG bytes, drawn in the report style."""
    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format="png", dpi=DPI, facecolor="white",
                    pil_kwargs={"compress_level": PNG_COMPRESS_LEVEL})
    return buf.getvalue()


def png_html(png: bytes, size_px: tuple[int, int], alt: str) -> str:
    """``<figure>`` showing ``png`` inline as a data URI; ``alt`` is escaped."""
    data = base64.b64encode(png).decode("ascii")
    w, h = size_px
    return (
        f'<figure class="fc-figure"><img src="data:image/png;base64,{data}" '
        f'width="{w}" height="{h}" alt="{html.escape(alt, quote=True)}"></figure>'
    )


def size_px(fig: Figure) -> tuple[int, int]:
    """The pixel size :func:`to_png` gives ``fig``."""
    w, h = fig.get_size_inches()
    return int(round(w * DPI)), int(round(h * DPI))


def figure_html(fig: Figure, alt: str) -> str:
    """``<figure>`` with the chart inline as a PNG data URI; ``alt`` is escaped.

    >>> "data:image/png;base64," in figure_html(Figure(figsize=(1, 1)), "<x>")
    True
    """
    return png_html(to_png(fig), size_px(fig), alt)


__all__ = [
    "backtest_figure",
    "events_figure",
    "figure_html",
    "headroom",
    "new_figure",
    "quarter_label",
    "png_html",
    "size_px",
    "investment_figure",
    "output_figure",
    "pipeline_figure",
    "style",
    "to_png",
]
