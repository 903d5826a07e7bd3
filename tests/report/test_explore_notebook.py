"""notebooks/explore.ipynb answers its two questions on the sample ledger,
executed headless by papermill; the workbench's charts speak one language."""

from __future__ import annotations

import re
from types import SimpleNamespace

import nbformat
import numpy as np
import pandas as pd
import papermill
import pytest

from _report_fixtures import ROOT
from forecast.ledger import load
from forecast.periods import next_quarters, quarter, quarter_end
from forecast.report import workbench as wb

NOTEBOOK = ROOT / "notebooks" / "explore.ipynb"
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def executed():
    nb = papermill.execute_notebook(
        str(NOTEBOOK), None, kernel_name="python3", progress_bar=False,
        parameters={"ledger_path": str(SAMPLE), "draws": 200, "seed": 3, "lang": "en",
                    "interactive": False})
    answers = [o.data["application/json"] for c in nb.cells if "answers" in c.metadata.get("tags", [])
               for o in c.outputs if "application/json" in o.get("data", {})]
    assert len(answers) == 1
    return nb, answers[0]


def test_the_ten_biggest_signed_projects_two_quarters_late(executed) -> None:
    _, ans = executed
    zones = ans["scenario"]["zones"]
    touched = ans["scenario"]["touched"]
    led = load(SAMPLE)
    cut = led.as_of(led.last_quarter)
    signed = cut.projects.assign(stage=cut.stage_at(quarter_end(led.last_quarter)))
    biggest = signed.loc[signed["stage"] == "signed"].nlargest(10, "planned_investment")
    assert sorted(touched) == sorted(set(biggest["zone_id"]))
    for z in touched:
        assert zones[z]["change_mean"] < 0 and zones[z]["scenario"] < zones[z]["baseline"]
        assert zones[z]["p_meet_scenario"] <= zones[z]["p_meet_baseline"]
        assert not zones[z]["identical"]
    others = set(zones) - set(touched)
    assert others and all(zones[z]["identical"] and zones[z]["change_mean"] == 0 for z in others)


def test_zones_most_at_risk_of_missing_the_investment_target(executed) -> None:
    _, ans = executed
    risk = ans["zones_at_risk"]
    led = load(SAMPLE)
    with_target = led.targets.query(f"year == {ans['year']} and metric == 'investment'")["zone_id"]
    assert sorted(r["zone_id"] for r in risk) == sorted(with_target)
    p = [r["p_meet"] for r in risk]
    assert p == sorted(p) and all(0 <= x <= 1 for x in p)
    # the least likely zone is well short of its target in expectation
    assert risk[0]["expected"] < risk[0]["target"]


def test_sections_are_headed_by_questions_and_charts_render(executed) -> None:
    nb, _ = executed
    heads = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines()
             if line.startswith("## ")]
    questions = [h for h in heads if "?" in h]
    assert len(questions) >= 3
    assert any("most at risk of missing the investment target" in h for h in questions)
    assert any("ten biggest signed projects start two quarters late" in h for h in questions)
    images = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(images) >= 2
    stderr = "".join(o.text for c in nb.cells for o in c.get("outputs", [])
                     if o.output_type == "stream" and o.name == "stderr")
    assert "Glyph" not in stderr and "findfont" not in stderr


def test_parameters_are_typed_and_explained() -> None:
    params = papermill.inspect_notebook(str(NOTEBOOK))
    assert {"ledger_path", "as_of", "year", "zone_id", "lang", "draws", "seed", "scenario_file",
            "scenario_action", "scenario_value", "scenario_stage", "scenario_top", "interactive"} <= set(params)
    assert all(v["help"] for v in params.values())
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"][2:]
    assert all(len(src.splitlines()) <= 6 for src in code)  # thin: the logic is in the package


def _fake(zone: str, name: str, target: float, level: float) -> SimpleNamespace:
    q = quarter("2025Q4")
    rng = np.random.default_rng(len(zone))
    samples = {"investment": rng.normal(level / 4, level / 40, (300, 4))}
    targets = pd.DataFrame({"year": [2026], "metric": ["investment"], "target": [target],
                            "actual_to_date": [0.0], "p_meet": [float((samples["investment"].sum(1)
                                                                       >= target).mean())]})
    return SimpleNamespace(zone_id=zone, zone_name=name, as_of=q, quarters=next_quarters(q, 4),
                           samples=samples, targets=targets, history=pd.DataFrame())


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_and_tables_speak_one_language_in_yi(lang: str) -> None:
    fc = {"a": _fake("a", "甲经开区", 1_000_000.0, 900_000.0), "b": _fake("b", "乙经开区", 500_000.0, 600_000.0)}
    fig = wb.at_risk_figure(fc, 2026, lang)
    ax = fig.axes[0]
    texts = ["".join(ax.get_title(loc) for loc in ("left", "center", "right"))] + [tl.get_text() for tl in ax.get_yticklabels()] + [
        tx.get_text() for tx in ax.get_legend().get_texts()]
    cjk = [s for s in texts if re.search(r"[\u4e00-\u9fff]", s)]
    assert (len(cjk) == len(texts)) if lang == "zh" else not cjk
    assert [tl.get_text() for tl in ax.get_yticklabels()][0] == ("甲经开区" if lang == "zh" else "a")
    assert ax.get_xlim()[1] > 100 and ax.get_xlim()[1] < 200  # 亿元, not 万元
    table = wb.at_risk_table(fc, 2026, lang)
    assert table.iloc[0, 2] == pytest.approx(100.0)  # a's target: 1,000,000 万元 = 100 亿元


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_projects_at_risk_read_as_the_report(lang: str) -> None:
    """The workbench's projects at risk of a zone: its report's order (the
    longest expected delays first) and its months-late column, a lower bound
    with "≥"."""
    from forecast.report.labels import t

    risk = pd.DataFrame({
        "project_id": ["p1", "p2", "p3"], "name": ["甲项目", "乙项目", "丙项目"],
        "stage": ["started", "signed", "started"], "planned_investment": [50_000.0, 20_000.0, 10_000.0],
        "risk": ["completion", "start", "cancel"], "months_late": [3.44, 10.7, np.nan],
        "months_late_bound": [False, True, False], "probability": [0.99, 0.6, 0.8],
        "investment_at_stake": [10_000.0, 20_000.0, 10_000.0], "reason_zh": ["甲", "乙", "丙"],
        "reason_en": ["a", "b", "c"], "responsible_unit": ["招商局", "建设局", "招商局"]})
    fc = {"z": SimpleNamespace(zone_id="z", zone_name="甲经开区", risk=risk)}
    table = wb.projects_at_risk(fc, "z", lang)
    first = table.iloc[:, 0].tolist()
    assert first == (["乙项目", "甲项目", "丙项目"] if lang == "zh" else ["p2", "p1", "p3"])
    assert table[t("risk.months_late", lang)].tolist() == ["≥ 10.7", "3.4", ""]
    assert table[t("risk.investment", lang)].tolist() == [2.0, 5.0, 1.0]  # 亿元
