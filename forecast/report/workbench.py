"""The economist's workbench (``notebooks/explore.ipynb``): tables and charts
that answer "which zones will miss the target?" and "what if ...?".

Pure functions of the forecasts (``forecast.simulate.forecast_zones``) and of a
:class:`~forecast.scenario.ScenarioRun`; money in 亿元, every label in one
language (an English chart names zones by id, as their names are Chinese), and
the JupyterLab widgets (a zone picker and a scenario builder) that call the
same functions.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..crosszone import risk_list, year_totals, zones_at_risk
from ..exceptions import ForecastError
from ..scenario import Scenario, ScenarioRun, select
from ..vocab import STAGES, WAN_PER_YI
from . import figures
from .labels import t
from .tables import months_late_column

_TEXT = {
    "risk.title": ("{year} 年完成投资：预计与目标（亿元）", "{year} investment: expected and target (100m CNY)"),
    "risk.expected": ("预计（P10–P90）", "Expected (P10–P90)"),
    "risk.target": ("目标", "Target"),
    "change.title": ("{zone}：{year} 年完成投资的变化（亿元）", "{zone}: change in {year} investment (100m CNY)"),
    "change.draws": ("模拟次数", "Draws"),
    "change.mean": ("均值", "Mean"),
    "col.rank": ("风险排名", "Risk rank"), "col.zone": ("园区", "Zone"), "col.target": ("目标（亿元）", "Target"),
    "col.done": ("已完成（亿元）", "Done"), "col.expected": ("预计全年（亿元）", "Expected"),
    "col.p10": ("P10（亿元）", "P10"), "col.p90": ("P90（亿元）", "P90"),
    "col.p_meet": ("完成目标概率", "Chance of meeting it"), "col.gap": ("预计缺口（亿元）", "Expected gap"),
    "col.baseline": ("基准（亿元）", "Baseline"), "col.scenario": ("情景（亿元）", "Scenario"),
    "col.change": ("变化均值（亿元）", "Mean change"), "col.change_p10": ("变化 P10（亿元）", "Change P10"),
    "col.change_p90": ("变化 P90（亿元）", "Change P90"),
    "col.p_before": ("基准完成概率", "Chance before"), "col.p_after": ("情景完成概率", "Chance after"),
    "col.stage": ("阶段", "Stage"),
}


def _t(key: str, lang: str, **kw: Any) -> str:
    if lang not in ("zh", "en"):
        raise ForecastError(f"lang must be zh or en. Got: {lang!r}")
    return _TEXT[key][0 if lang == "zh" else 1].format(**kw)


def zone_label(zf: Any, lang: str) -> str:
    """A zone as a label in ``lang``: its name in Chinese, its id in English."""
    return str(zf.zone_name) if lang == "zh" else str(zf.zone_id)


# --- which zones will miss the investment target? -----------------------------------------
def at_risk_table(forecasts: Mapping[str, Any], year: int, lang: str = "zh",
                  metric: str = "investment") -> pd.DataFrame:
    """The zones by their chance of meeting the ``metric`` target, least likely
    first, money in 亿元 and the chance as a share (0–1), headers in ``lang``."""
    t_ = zones_at_risk(forecasts, year, metric)
    lead = {_t("col.rank", lang): t_["rank"].to_numpy()}
    return _view(t_, forecasts, lang, metric, lead,
                 [("target", "target"), ("done", "done"), ("expected", "expected"), ("p10", "p10"),
                  ("p90", "p90"), ("p_meet", "p_meet"), ("gap", "gap")]).round(2)


def at_risk_figure(forecasts: Mapping[str, Any], year: int, lang: str = "zh") -> Figure:
    """Each zone's expected investment for ``year`` (P10–P90 bar) against its
    target, in 亿元, the least likely to meet it on top, its chance written beside."""
    t_ = zones_at_risk(forecasts, year, "investment")
    y = np.arange(len(t_))[::-1]
    with figures.style():
        fig, axes = figures.new_figure(1, 0.5 + 0.32 * max(len(t_), 1), left=1.1, right=0.5)
        ax = axes[0]
        exp, lo, hi, tgt = (t_[c].to_numpy() / WAN_PER_YI for c in ("expected", "p10", "p90", "target"))
        ax.barh(y, hi - lo, left=lo, height=0.5, color=figures.FORECAST, alpha=0.35,
                label=_t("risk.expected", lang))
        ax.plot(exp, y, "o", color=figures.FORECAST, markersize=4)
        ax.plot(tgt, y, "|", color=figures.TARGET, markersize=14, markeredgewidth=2,
                label=_t("risk.target", lang))
        for yi, x, p in zip(y, np.maximum(hi, tgt), t_["p_meet"]):
            ax.text(x, yi, f" {p:.0%}", va="center", fontsize=7)
        ax.set_yticks(y)
        ax.set_yticklabels([zone_label(forecasts[z], lang) for z in t_["zone_id"]])
        ax.set_title(_t("risk.title", lang, year=year))
        ax.set_xlim(left=0)
        ax.margins(x=0.12)
        ax.legend(loc="lower right", fontsize=7)
    return fig


def projects_at_risk(forecasts: Mapping[str, Any], zone: str, lang: str = "zh", top: int = 10) -> pd.DataFrame:
    """The zone's ``top`` projects at risk in its report's order (the longest
    expected delays first), in ``lang``, planned investment in 亿元."""
    r = risk_list(forecasts, zone).head(top)
    if r.empty:
        return pd.DataFrame()
    return pd.DataFrame({
        t("risk.project", lang): r["name"] if lang == "zh" else r["project_id"],
        _t("col.stage", lang): [t(f"stage.{s}", lang) for s in r["stage"]],
        t("risk.investment", lang): (r["planned_investment"] / WAN_PER_YI).round(2),
        t("risk.kind", lang): [t(f"risk.kind.{k}", lang) for k in r["risk"]],
        t("risk.months_late", lang): months_late_column(r, lang),
        t("risk.probability", lang): r["probability"].round(3),
        t("risk.reason", lang): r["reason_zh" if lang == "zh" else "reason_en"],
        t("risk.unit", lang): r["responsible_unit"],
    })


# --- what if ...? ---------------------------------------------------------------------------
def build_scenario(ledger: Any, as_of: pd.Period, *, action: str = "delay", value: str = "2",
                   stage: str = "signed", top: int = 10, zone: str = "", category: str = "",
                   file: str = "") -> Scenario:
    """A scenario from the notebook's plain parameters: a file, or ``action``
    (``value``: quarters or a date) on the ``top`` biggest projects of ``stage``
    (in ``zone`` and ``category`` when given)."""
    if file:
        return Scenario.read(file)
    chosen = select(ledger, as_of, zones=zone or None, categories=category or None,
                    stages=stage or None, top=top or None)
    s = Scenario()
    if action == "delay":
        try:
            quarters = int(value)
        except ValueError as err:
            raise ForecastError(f"A delay is a whole number of quarters. Got: {value!r}") from err
        return s.delay(chosen, quarters)
    if action == "cancel":
        return s.cancel(chosen)
    if action in ("start", "complete"):
        return getattr(s, action)(chosen, value)
    raise ForecastError(f"action must be delay, cancel, start or complete. Got: {action!r}")


def comparison_table(result: ScenarioRun, lang: str = "zh", metric: str = "investment") -> pd.DataFrame:
    """The touched zones' ``metric`` for the year before and after, money in 亿元."""
    c = result.comparison
    c = c.loc[c["zone_id"].isin(result.touched) & (c["metric"] == metric)]
    return _view(c, result.baseline, lang, metric, {},
                 [("baseline", "baseline"), ("scenario", "scenario"), ("change", "change_mean"),
                  ("change_p10", "change_p10"), ("change_p90", "change_p90"),
                  ("p_before", "p_meet_baseline"), ("p_after", "p_meet_scenario")]).round(3)


def _view(src: pd.DataFrame, forecasts: Mapping[str, Any], lang: str, metric: str, lead: dict[str, Any],
          columns: list[tuple[str, str]]) -> pd.DataFrame:
    """A table for reading: ``lead`` columns, the zone, then ``columns``
    (label key, source column) under ``lang`` headers; money in 亿元 (shares,
    ``p_*`` columns, as they are)."""
    scale = WAN_PER_YI if metric in ("investment", "output_value") else 1.0
    out = dict(lead)
    out[_t("col.zone", lang)] = [zone_label(forecasts[z], lang) for z in src["zone_id"]]
    for key, col in columns:
        v = src[col].to_numpy(dtype=float)
        out[_t(f"col.{key}", lang)] = v if col.startswith("p_") else v / scale
    return pd.DataFrame(out)


def biggest_change(result: ScenarioRun, metric: str = "investment") -> str | None:
    """The touched zone whose ``metric`` moves most (by the mean change)."""
    c = result.comparison
    c = c.loc[c["zone_id"].isin(result.touched) & (c["metric"] == metric)]
    return None if c.empty else str(c.loc[c["change_mean"].abs().idxmax(), "zone_id"])


def change_figure(result: ScenarioRun, zone: str, lang: str = "zh") -> Figure:
    """The distribution of the change in the zone's investment for the year
    (scenario − baseline, draw by draw), in 亿元."""
    d = (year_totals(result.scenario[zone], "investment", result.year)
         - year_totals(result.baseline[zone], "investment", result.year)) / WAN_PER_YI
    with figures.style():
        fig, axes = figures.new_figure(1, 2.8)
        ax = axes[0]
        ax.hist(d, bins=30, color=figures.FORECAST, alpha=0.8)
        ax.axvline(d.mean(), color=figures.TARGET, linewidth=1.5,
                   label=f"{_t('change.mean', lang)} {d.mean():+.2f}")
        ax.axvline(0.0, color=figures.ACTUAL, linewidth=1)
        ax.set_title(_t("change.title", lang, zone=zone_label(result.baseline[zone], lang), year=result.year))
        ax.set_ylabel(_t("change.draws", lang))
        ax.legend(loc="upper left", fontsize=7)
    return fig


def answers(forecasts: Mapping[str, Any], year: int, result: ScenarioRun | None = None) -> dict[str, Any]:
    """The two questions' answers as plain numbers (万元, shares), for the
    notebook's closing output and its tests."""
    risk = zones_at_risk(forecasts, year)
    out: dict[str, Any] = {"year": int(year), "zones_at_risk": [
        {"zone_id": r.zone_id, "p_meet": float(r.p_meet), "expected": float(r.expected),
         "target": float(r.target)} for r in risk.itertuples(index=False)]}
    if result is not None:
        c = result.comparison.loc[result.comparison["metric"] == "investment"]
        out["scenario"] = {"touched": list(result.touched), "zones": {
            r.zone_id: {"baseline": float(r.baseline), "scenario": float(r.scenario),
                        "change_mean": float(r.change_mean), "change_p10": float(r.change_p10),
                        "change_p90": float(r.change_p90), "p_meet_baseline": _num(r.p_meet_baseline),
                        "p_meet_scenario": _num(r.p_meet_scenario), "identical": bool(r.identical)}
            for r in c.itertuples(index=False)}}
    return out


def _num(x: float) -> float | None:
    return None if pd.isna(x) else float(x)


# --- JupyterLab: a zone picker and a scenario builder -------------------------------------------
def widgets(ledger: Any, as_of: pd.Period, forecasts: Mapping[str, Any], models: Any, year: int,
            lang: str = "zh", *, draws: int, seed: int, horizon: int) -> Any:
    """A zone picker (its projects at risk) and a scenario builder (run against
    the baseline on a click), for JupyterLab; the same functions as the
    notebook's plain-parameter cells."""
    import ipywidgets as w
    from IPython.display import display

    from ..scenario import run
    from ..vocab import CATEGORIES

    zones = list(forecasts)
    zone = w.Dropdown(options=[(zone_label(forecasts[z], lang), z) for z in zones],
                      description=_t("col.zone", lang))
    stage = w.Dropdown(options=[s for s in STAGES if s != "cancelled"], value="signed", description="stage")
    category = w.Dropdown(options=[""] + list(CATEGORIES), value="", description="category")
    in_zone = w.Dropdown(options=[""] + zones, value="", description="zone")
    top = w.IntSlider(value=10, min=1, max=50, description="top")
    action = w.Dropdown(options=["delay", "cancel", "start", "complete"], value="delay", description="action")
    value = w.Text(value="2", description="value")
    go = w.Button(description="run", button_style="primary")
    zone_out, scen_out = w.Output(), w.Output()

    def show_zone(_: Any = None) -> None:
        zone_out.clear_output()
        with zone_out:
            display(projects_at_risk(forecasts, zone.value, lang))

    def run_scenario(_: Any = None) -> None:
        scen_out.clear_output()
        with scen_out:
            s = build_scenario(ledger, as_of, action=action.value, value=value.value, stage=stage.value,
                               top=top.value, zone=in_zone.value, category=category.value)
            res = run(ledger, s, as_of, horizon, draws, seed, models=models, year=year, baseline=forecasts)
            display(comparison_table(res, lang))
            z = biggest_change(res)
            if z is not None:
                display(change_figure(res, z, lang))

    zone.observe(show_zone, names="value")
    go.on_click(run_scenario)
    show_zone()
    builder = w.VBox([w.HBox([action, value]), w.HBox([stage, top]), w.HBox([in_zone, category]), go, scen_out])
    return w.Tab(children=[w.VBox([zone, zone_out]), builder], titles=(_t("col.zone", lang), "what if"))


__all__ = ["answers", "at_risk_figure", "at_risk_table", "biggest_change", "build_scenario",
           "change_figure", "comparison_table", "projects_at_risk", "widgets", "zone_label"]
