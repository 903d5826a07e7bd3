"""Header and coded-value matching: simplified, traditional, brackets, units."""

from __future__ import annotations

import pytest

from forecast.ledger.headers import VALUE_MAPS, match_header, normalise


@pytest.mark.parametrize(
    ("table", "written", "column", "factor"),
    [
        ("projects", "planned_investment", "planned_investment", 1.0),
        ("projects", "Planned Investment", "planned_investment", 1.0),
        ("projects", "计划总投资(亿元)", "planned_investment", 10_000.0),
        ("projects", "计划总投资（亿元）", "planned_investment", 10_000.0),
        ("projects", "計劃總投資（億元）", "planned_investment", 10_000.0),
        ("projects", "planned_investment (亿元)", "planned_investment", 10_000.0),
        ("projects", "计划总投资 ( 万元 )", "planned_investment", 1.0),
        ("projects", "计划总投资(元)", "planned_investment", 1e-4),
        ("projects", " 项目编号 ", "project_id", 1.0),
        ("projects", "占地面积(亩)", "land_mu", 1.0),
        ("projects", "佔地面積（畝）", "land_mu", 1.0),
        ("projects", "用地(畝)", "land_mu", 1.0),
        ("projects", "用地(公顷)", "land_mu", 15.0),
        ("projects", "达产年产值(亿元)", "designed_output", 10_000.0),
        ("progress", "本期完成投资（万元）", "investment", 1.0),
        ("progress", "累計完成投資(億元)", "cumulative_investment", 10_000.0),
        ("indicators", "累计值", "cumulative_value", 1.0),
        ("targets", "目標值", "value", 1.0),
    ],
)
def test_header_and_unit(table: str, written: str, column: str, factor: float) -> None:
    m = match_header(table, written)
    assert (m.column, m.factor, m.unit) == (column, pytest.approx(factor), None)


# The traditional spellings a 台账 from Hong Kong, Macao or Taiwan tools uses.
TRADITIONAL = {
    "projects": {
        "項目編號": "project_id", "計劃總投資": "planned_investment", "開工時間": "start_date",
        "竣工時間": "completion_date", "所屬園區": "zone_id", "園區編號": "zone_id",
        "項目名稱": "name", "項目庫": "category", "項目類別": "category", "產業": "industry",
        "入庫時間": "registered_date", "入庫日期": "registered_date", "簽約時間": "signed_date",
        "計劃竣工時間": "planned_completion_date", "投產時間": "production_date",
        "達產時間": "full_production_date", "終止時間": "cancelled_date",
        "達產年產值": "designed_output", "預計年產值": "designed_output",
        "責任單位": "responsible_unit", "項目專員": "officer", "佔地面積": "land_mu",
        "占地面積(畝)": "land_mu", "用地(畝)": "land_mu", "項目狀態": "status",
    },
    "progress": {
        "項目編號": "project_id", "完成投資": "investment", "累計完成投資": "cumulative_investment",
        "產值": "output_value", "期間": "period", "月份": "period", "季度": "period",
    },
    "targets": {"園區編號": "zone_id", "年度": "year", "指標": "metric", "目標值": "value"},
    "indicators": {"園區編號": "zone_id", "指標": "metric", "累計值": "cumulative_value"},
    "zones": {"園區編號": "zone_id", "園區名稱": "name", "省份": "province", "城市": "city", "級別": "level"},
}


@pytest.mark.parametrize(
    ("table", "written", "column"),
    [(t, w, c) for t, names in TRADITIONAL.items() for w, c in names.items()],
)
def test_traditional_headers(table: str, written: str, column: str) -> None:
    assert match_header(table, written).column == column


def test_unknown_header_is_kept_as_extra() -> None:
    assert match_header("projects", "备注").column is None


def test_unknown_unit_is_reported_not_ignored() -> None:
    m = match_header("projects", "计划总投资(美元)")
    assert (m.column, m.unit) == ("planned_investment", "美元")


@pytest.mark.parametrize(
    ("values", "written", "canonical"),
    [
        ("category", "工业", "industrial"),
        ("category", "工業", "industrial"),
        ("category", "交通、房地產與城市建設", "transport_urban"),
        ("category", "Energy_Infra", "energy_infra"),
        ("level", "国家级", "national"),
        ("level", "省級", "provincial"),
        ("stage", "在建", "started"),
        ("stage", "開工", "started"),
        ("stage", "達產", "full_production"),
        ("target_metric", "开工项目数", "projects_started"),
        ("indicator_metric", "規上工業總產值", "industrial_output"),
    ],
)
def test_coded_values(values: str, written: str, canonical: str) -> None:
    assert VALUE_MAPS[values][normalise(written)] == canonical


def test_normalise_folds_width_case_and_space() -> None:
    assert normalise("  Planned-Investment （億元） ") == "planned_investment(亿元)"
