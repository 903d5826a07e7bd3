"""The batch's summary.csv: tidy (one column per quantity), ledger text neutralised."""

from __future__ import annotations

import pandas as pd

from forecast.publish.index import summary_table, write_summary
from forecast.publish.results import BatchResult, JobResult


def _result(tmp_path) -> BatchResult:  # noqa: ANN001
    headline = {
        "figures": [{"key": "investment_next", "value": 12.5, "low": 9.1, "high": 16.0},
                    {"key": "projects_started_next", "value": 4.0, "low": 2.0, "high": 6.0}],
        "targets": [{"label": "2026年 完成投资", "p_meet": 0.25, "metric": "investment", "year": 2026},
                    {"label": "2026年 开工项目数", "p_meet": 0.8, "metric": "projects_started", "year": 2026}],
        "risks": [{"project": "=HYPERLINK(\"http://x\")", "risk": "start", "probability": 0.7}],
    }
    return BatchResult(out=tmp_path, as_of="2025Q4", langs=("zh",), results=[
        JobResult("Z1", "@甲经开区", "zh", "Z1.zh", "ok", seconds=1.234, headline=headline),
        JobResult("Z2", "乙经开区", "zh", "Z2.zh", "failed", error="ValueError: boom"),
    ])


def test_one_column_per_quantity(tmp_path) -> None:
    t = summary_table(_result(tmp_path))
    assert list(t.columns) == [
        "zone_id", "zone_name", "lang", "status", "report", "error", "seconds",
        "investment_next_yi", "investment_next_p10_yi", "investment_next_p90_yi",
        "projects_started_next", "projects_started_next_p10", "projects_started_next_p90",
        "p_meet_investment_2026", "p_meet_projects_started_2026",
        "top_risk_project", "top_risk_kind", "top_risk_probability"]
    z1 = t.set_index("zone_id").loc["Z1"]
    assert (z1["investment_next_yi"], z1["investment_next_p10_yi"], z1["p_meet_investment_2026"]) == (12.5, 9.1, 0.25)
    assert t.sort_values("p_meet_investment_2026")["zone_id"].tolist()[0] == "Z1"  # sortable
    assert pd.isna(t.set_index("zone_id").loc["Z2", "p_meet_investment_2026"])


def test_written_csv_neutralises_ledger_text(tmp_path) -> None:
    res = _result(tmp_path)
    write_summary(res)
    back = pd.read_csv(res.summary_path, encoding="utf-8-sig", dtype=str)
    z1 = back.set_index("zone_id").loc["Z1"]
    assert z1["zone_name"] == "'@甲经开区"
    assert z1["top_risk_project"] == "'=HYPERLINK(\"http://x\")"
    assert float(z1["top_risk_probability"]) == 0.7
