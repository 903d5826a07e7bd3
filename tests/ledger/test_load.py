"""Loading: the good ledger, its Chinese / traditional / GBK / XLSX spellings, cumulative figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from ledger_helpers import GOOD, TABLE_NAMES, assert_ledgers_equal

from forecast.exceptions import LedgerError
from forecast.ledger import load, validate
from forecast.ledger.ledger import INDICATOR_COLUMNS, PROGRESS_COLUMNS, PROJECT_COLUMNS, ZONE_COLUMNS
from forecast.vocab import CATEGORY_ZH, INDICATOR_ZH, METRIC_ZH, ZONE_LEVEL_ZH


def _raw(table: str) -> pd.DataFrame:
    return pd.read_csv(GOOD / f"{table}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def good():
    return load(GOOD)


def test_good_ledger_has_no_problems() -> None:
    assert validate(GOOD) == []


def test_canonical_columns_and_dtypes(good) -> None:
    assert tuple(good.zones.columns) == ZONE_COLUMNS
    assert tuple(good.projects.columns) == PROJECT_COLUMNS
    assert tuple(good.progress.columns) == PROGRESS_COLUMNS
    assert tuple(good.indicators.columns) == INDICATOR_COLUMNS
    dates = good.projects.select_dtypes("datetime64[ns]").columns
    assert set(dates) == {c for c in PROJECT_COLUMNS if c.endswith("_date")}
    assert good.progress["quarter"].dtype == pd.PeriodDtype("Q-DEC")
    assert good.progress["period_end"].dtype == "datetime64[ns]"
    assert good.targets["year"].dtype == "int64"
    assert good.progress["investment"].dtype == good.projects["planned_investment"].dtype == "float64"


def test_counts_and_values_of_the_fixture(good) -> None:
    assert (len(good.zones), len(good.projects), len(good.progress)) == (2, 12, 49)
    p01 = good.progress.loc[(good.progress["project_id"] == "P01") & (good.progress["period"] == "2024-02")]
    assert p01[["freq", "period_end", "quarter"]].iloc[0].tolist() == ["M", pd.Timestamp("2024-02-29"),
                                                                       pd.Period("2024Q1", "Q-DEC")]


def test_indicators_year_to_date_become_per_period(good) -> None:
    ind = good.indicators.set_index(["zone_id", "metric", "period"])["value"].sort_index()
    # Jan-Feb reported together: February keeps its year-to-date figure.
    fai = ind.loc[("my", "fixed_asset_investment")]
    assert fai.tolist() == [52000.0, 81000 - 52000, 110500 - 81000, 140000 - 110500, 172000 - 140000]
    assert ind.loc[("dy", "fixed_asset_investment")].tolist() == [61000.0, 69000.0, 68000.0, 62000.0]


def test_indicator_revision_is_a_warning(good_copy: Path) -> None:
    path = good_copy / "indicators.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("dy,2024Q2,fixed_asset_investment,130000",
                                                             "dy,2024Q2,fixed_asset_investment,60000"))
    ledger = load(good_copy)
    assert [(w.severity, w.row, w.check) for w in ledger.warnings] == [("warning", 11, "cumulative revision")]
    assert ledger.indicators["value"].iloc[9] == 60000 - 61000


def test_cumulative_investment_equals_per_period(good_copy: Path, good) -> None:
    prog = _raw("progress")
    inv = pd.to_numeric(prog["investment"])
    # A project's total since it began, blank where the period reports none.
    cum = inv.fillna(0).groupby(prog["project_id"]).cumsum().where(inv.notna())
    prog = prog.drop(columns="investment").assign(累计完成投资=cum)
    prog.to_csv(good_copy / "progress.csv", index=False)
    pd.testing.assert_frame_equal(load(good_copy).progress, good.progress)


def test_status_that_agrees_is_checked_and_dropped(good_copy: Path, good) -> None:
    projects = _raw("projects")
    projects["status"] = ["达产", "在建", "签约", "储备", "投产", "终止", "投产", "开工", "终止", "started", "储备", "在建"]
    projects.to_csv(good_copy / "projects.csv", index=False)
    pd.testing.assert_frame_equal(load(good_copy).projects, good.projects)


def test_extra_columns_are_kept(good_copy: Path) -> None:
    projects = _raw("projects").assign(备注=[f"note {i}" for i in range(12)])
    projects.to_csv(good_copy / "projects.csv", index=False)
    ledger = load(good_copy)
    assert ledger.projects.columns[-1] == "备注" and ledger.projects["备注"].iloc[3] == "note 3"


def test_strict_raises_with_every_problem(good_copy: Path) -> None:
    projects = _raw("projects")
    projects.loc[0, "planned_investment"] = "-1"
    projects.loc[5, "registered_date"] = "soon"
    projects.to_csv(good_copy / "projects.csv", index=False)
    with pytest.raises(LedgerError, match="2 error") as info:
        load(good_copy)
    assert {(p.row, p.column) for p in info.value.problems} == {(2, "planned_investment"), (7, "registered_date")}


# --- the same data, spelled otherwise ------------------------------------------------
ZH_HEADERS = {
    "zones": {"zone_id": "园区编号", "name": "园区名称", "province": "省份", "city": "城市", "level": "级别"},
    "projects": {
        "project_id": "项目编号", "zone_id": "所属园区", "name": "项目名称", "category": "项目库",
        "industry": "产业", "planned_investment": "计划总投资(亿元)", "registered_date": "入库时间",
        "land_mu": "占地面积(亩)", "signed_date": "签约时间", "start_date": "开工时间",
        "planned_completion_date": "计划竣工时间", "completion_date": "竣工时间", "production_date": "投产时间",
        "full_production_date": "达产时间", "cancelled_date": "终止时间", "designed_output": "达产年产值（亿元）",
        "responsible_unit": "责任单位", "officer": "项目专员",
    },
    "progress": {"project_id": "项目编号", "period": "期间", "investment": "完成投资(亿元)", "output_value": "产值"},
    "targets": {"zone_id": "园区编号", "year": "年度", "metric": "指标", "value": "目标值（亿元）"},
    "indicators": {"zone_id": "园区编号", "period": "月份", "metric": "指标", "cumulative_value": "累计值(亿元)"},
}
YI = {"projects": ["planned_investment", "designed_output"], "progress": ["investment"],
      "indicators": ["cumulative_value"]}


def _in_yi(values: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(values.replace("", np.nan)) / 10_000
    return numbers.map(lambda v: "" if pd.isna(v) else repr(v))


def _zh_date(text: str, i: int) -> str:
    if not text:
        return ""
    y, m, d = (int(x) for x in text.split("-"))
    return [f"{y}年{m}月{d}日", f"{y}/{m}/{d}", f"{y}.{m}.{d}"][i % 3]


def _zh_period(text: str) -> str:
    return text if "Q" in text else f"{text[:4]}年{int(text[5:])}月"


def chinese_gbk_ledger(out: Path) -> Path:
    """The good ledger with Chinese headers, money in 亿元, Chinese codes and dates, GBK."""
    out.mkdir()
    for table in TABLE_NAMES:
        df = _raw(table)
        for col in YI.get(table, []):
            df[col] = _in_yi(df[col])
        if table == "projects":
            df["category"] = df["category"].map(CATEGORY_ZH)
            for j, col in enumerate(c for c in df.columns if c.endswith("_date")):
                df[col] = [_zh_date(v, i + j) for i, v in enumerate(df[col])]
        if table == "zones":
            df["level"] = df["level"].map(ZONE_LEVEL_ZH)
        if table in ("progress", "indicators"):
            df["period"] = df["period"].map(_zh_period)
        if table == "targets":
            money = df["metric"] == "investment"
            df.loc[money, "value"] = _in_yi(df.loc[money, "value"])
            df["metric"] = df["metric"].map(METRIC_ZH)
        if table == "indicators":
            df["metric"] = df["metric"].map(INDICATOR_ZH)
        df = df.rename(columns=ZH_HEADERS[table])
        (out / f"{table}.csv").write_bytes(df.to_csv(index=False).encode("gbk"))
    return out


def test_chinese_headers_yi_gbk_equal_canonical(tmp_path: Path, good) -> None:
    path = chinese_gbk_ledger(tmp_path / "zh")
    with pytest.raises(UnicodeDecodeError):  # really GBK, not UTF-8
        (path / "projects.csv").read_bytes().decode("utf-8")
    assert_ledgers_equal(load(path), good)


TRADITIONAL_SHEETS = {"zones": "園區", "projects": "項目", "progress": "進度", "targets": "目標", "indicators": "指標"}
TRADITIONAL = {
    "zones": ["園區編號", "園區名稱", "省份", "城市", "級別"],
    "projects": ["項目編號", "所屬園區", "項目名稱", "項目類別", "產業", "計劃總投資（萬元）", "入庫日期",
                 "佔地面積（畝）", "簽約時間", "開工時間", "計劃竣工時間", "竣工時間", "投產時間", "達產時間",
                 "終止時間", "預計年產值", "責任單位", "項目專員"],
    "progress": ["項目編號", "期間", "完成投資", "產值"],
    "targets": ["園區編號", "年度", "指標", "目標值"],
    "indicators": ["園區編號", "期間", "指標", "累計值"],
}
_T = str.maketrans("业贸务会与农设产级国", "業貿務會與農設產級國")


def traditional_xlsx(out: Path) -> Path:
    """The good ledger as a workbook: traditional headers and codes, real date and number cells."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for table in TABLE_NAMES:
        df = _raw(table)
        ws = wb.create_sheet(TRADITIONAL_SHEETS[table])
        ws.append(TRADITIONAL[table])
        for _, row in df.iterrows():
            cells = []
            for col, v in row.items():
                if v == "":
                    cells.append(None)
                elif col.endswith("_date"):
                    cells.append(pd.Timestamp(v).to_pydatetime())
                elif col == "period" and "Q" not in v:
                    cells.append(pd.Timestamp(v + "-01").to_pydatetime())  # as Excel stores a typed 2024-03
                elif col in ("category", "level"):
                    cells.append({**CATEGORY_ZH, **ZONE_LEVEL_ZH}[v].translate(_T))
                elif col in ("planned_investment", "designed_output", "investment", "output_value", "land_mu",
                             "value", "cumulative_value", "year"):
                    cells.append(float(v) if col != "year" else int(v))
                else:
                    cells.append(v)
            ws.append(cells)
    path = out / "ledger.xlsx"
    wb.save(path)
    return path


def test_traditional_xlsx_equals_canonical(tmp_path: Path, good) -> None:
    assert_ledgers_equal(load(traditional_xlsx(tmp_path)), good)


def test_xlsx_rows_are_spreadsheet_rows(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = traditional_xlsx(tmp_path)
    wb = load_workbook(path)
    ws = wb["項目"]
    ws.insert_rows(4)  # a blank row 4 shifts P03 to row 5
    ws.cell(row=5, column=6).value = "lots"
    wb.save(path)
    problems = validate(path)
    assert [(p.file, p.row, p.column, p.check) for p in problems] == [
        ("ledger.xlsx[項目]", 5, "計劃總投資（萬元）", "unreadable number")
    ]


# --- other text formats ------------------------------------------------------------
@pytest.mark.parametrize("sep, encoding, suffix", [("\t", "utf-16", ".txt"),  # Excel's "Unicode text"
                                                    ("\t", "utf-8", ".tsv"),
                                                    (";", "gbk", ".csv")])
def test_tab_and_semicolon_text_equal_canonical(tmp_path: Path, good, sep: str, encoding: str, suffix: str) -> None:
    out = tmp_path / "ledger"
    out.mkdir()
    for table in TABLE_NAMES:
        (out / f"{table}{suffix}").write_bytes(_raw(table).to_csv(index=False, sep=sep).encode(encoding))
    assert_ledgers_equal(load(out), good)


def test_commas_inside_tab_separated_cells_are_kept(tmp_path: Path) -> None:
    out = tmp_path / "ledger"
    out.mkdir()
    for table in TABLE_NAMES:
        df = _raw(table)
        if table == "projects":
            df.loc[0, "name"] = "年产10万吨新材料,二期"
        (out / f"{table}.txt").write_bytes(df.to_csv(index=False, sep="\t").encode("utf-16"))
    assert load(out).projects["name"].iloc[0] == "年产10万吨新材料,二期"


def test_second_file_for_a_table_is_named_not_read(good_copy: Path) -> None:
    (good_copy / "项目.txt").write_text("junk\tcolumns\n1\t2\n", encoding="utf-8")
    problems = [p for p in validate(good_copy) if p.check == "second file for a table"]
    assert [(p.file, p.severity) for p in problems] == [("项目.txt", "warning")]
    assert "projects.csv" in problems[0].expected


def test_zone_names_where_ids_belong_read_as_ids(good_copy: Path, good) -> None:
    """所属园区 often holds the zone's name: read as its id, with one warning per file."""
    for table in ("projects", "targets"):
        df = _raw(table)
        df.loc[df["zone_id"] == "my", "zone_id"] = "绵阳经开区"
        df.to_csv(good_copy / f"{table}.csv", index=False)
    problems = [p for p in validate(good_copy) if p.check == "zone named, not its id"]
    assert sorted(p.file for p in problems) == ["projects.csv", "targets.csv"]
    assert all(p.severity == "warning" and "绵阳经开区 → my" in p.value for p in problems)
    assert_ledgers_equal(load(good_copy), good)


def test_unknown_zone_name_is_still_an_error(good_copy: Path) -> None:
    df = _raw("projects")
    df.loc[0, "zone_id"] = "成都经开区"
    df.to_csv(good_copy / "projects.csv", index=False)
    problems = validate(good_copy)
    assert [(p.row, p.check) for p in problems if p.severity == "error"] == [(2, "unknown zone")]
    assert not [p for p in problems if p.check == "zone named, not its id"]
