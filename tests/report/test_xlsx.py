"""Tables for people: .xlsx formatted for reading and free of formulas, .csv neutralised."""

from __future__ import annotations

import zipfile

import openpyxl
import pandas as pd
import pytest

from forecast.exceptions import ForecastError
from forecast.report.xlsx import write_table, write_xlsx

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+cmd|' /C calc'!A0", "-2+3+cmd|'/C calc'!A0", "@SUM(1+1)*cmd",
           "\t=1+1", "正常园区"]


def _forecast() -> pd.DataFrame:
    return pd.DataFrame({
        "zone_id": HOSTILE[:2] * 2, "period": ["2026Q1"] * 4,
        "metric": ["investment", "projects_started", "output_value", "new_investment"],
        "mean": [25_000.0, 3.5, 12_345.0, 100.0], "p10": [20_000.0, 2.0, 10_000.0, 0.0],
    })


def _risk() -> pd.DataFrame:
    return pd.DataFrame({
        "zone_id": ["z"] * len(HOSTILE), "project_id": [f"p{i}" for i in range(len(HOSTILE))],
        "name": HOSTILE, "planned_investment": [150_000.0] * len(HOSTILE),
        "probability": [0.5] * len(HOSTILE), "planned_date": pd.to_datetime(["2026-03-31"] * len(HOSTILE)),
        "months_overdue": [1.5] * len(HOSTILE), "year": [2026] * len(HOSTILE),
    })


def _cells(path, sheet):  # noqa: ANN001, ANN202
    ws = openpyxl.load_workbook(path)[sheet]
    return ws, [list(r) for r in ws.iter_rows()]


def test_money_in_yi_with_a_number_format_and_counts_as_counts(tmp_path) -> None:
    f = write_table(_forecast(), tmp_path / "f.xlsx", lang="zh")
    ws, rows = _cells(f, "forecast")
    head = [c.value for c in rows[0]]
    assert head == ["园区编号", "季度", "指标", "均值", "P10"]
    inv, started, out, new = rows[1:]
    assert inv[2].value == "完成投资" and inv[3].value == pytest.approx(2.5)
    assert inv[3].data_type == "n" and "亿元" in inv[3].number_format
    assert out[3].value == pytest.approx(1.2345)
    assert new[2].value == "完成投资（新项目）" and new[3].value == pytest.approx(0.01)
    assert started[3].value == pytest.approx(3.5) and "亿" not in started[3].number_format
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E5"
    assert all(ws.column_dimensions[c].width >= 8 for c in "ABCDE")


def test_english_headers_and_unit(tmp_path) -> None:
    f = write_table(_forecast(), tmp_path / "f.xlsx", lang="en")
    _, rows = _cells(f, "forecast")
    assert [c.value for c in rows[0]][:4] == ["Zone ID", "Quarter", "Metric", "Mean"]
    assert rows[1][2].value == "Investment completed"
    assert "100m CNY" in rows[1][3].number_format


def test_percentages_dates_and_money_columns(tmp_path) -> None:
    f = write_xlsx({"risk": _risk()}, tmp_path / "r.xlsx", lang="zh")
    _, rows = _cells(f, "risk")
    head = [c.value for c in rows[0]]
    assert head[3] == "计划总投资 (亿元)"
    r = dict(zip(head, rows[1]))
    assert r["计划总投资 (亿元)"].value == pytest.approx(15.0)
    assert r["概率"].value == 0.5 and r["概率"].number_format == "0.0%"
    assert r["计划日期"].is_date and r["计划日期"].number_format == "yyyy-mm-dd"
    assert r["年度"].value == 2026 and r["年度"].data_type == "n"


def test_ledger_text_never_becomes_a_formula(tmp_path) -> None:
    f = write_xlsx({"risk": _risk()}, tmp_path / "r.xlsx")
    _, rows = _cells(f, "risk")
    names = [r[2] for r in rows[1:]]
    assert [c.value for c in names] == HOSTILE  # the text itself, as typed
    assert all(c.data_type == "s" for c in names)
    assert all(c.quotePrefix for c in names[:5])
    with zipfile.ZipFile(f) as z:
        xml = "".join(z.read(n).decode("utf-8") for n in z.namelist() if n.startswith("xl/worksheets/"))
    assert "<f>" not in xml and "<f " not in xml


def test_csv_is_neutralised(tmp_path) -> None:
    f = write_table(_risk(), tmp_path / "r.csv")
    back = pd.read_csv(f, dtype=str)
    assert back["name"].tolist()[:5] == ["'" + h for h in HOSTILE[:5]]
    assert back["name"].tolist()[5] == "正常园区"
    assert back["planned_investment"].astype(float).tolist()[0] == 150_000.0  # 万元, unchanged


def test_unknown_extension_is_refused(tmp_path) -> None:
    with pytest.raises(ForecastError, match=r"\.xlsx"):
        write_table(_risk(), tmp_path / "r.txt")


def test_rates_table_percent_and_investment_in_yi(tmp_path) -> None:
    r = pd.DataFrame({"zone_id": ["z", "z"], "year": [2025, 2025], "rate": ["start_rate", "investment_rate"],
                      "numerator": [17.0, 260_706.34], "denominator": [19.0, 238_200.0],
                      "value": [17 / 19, 260_706.34 / 238_200.0]})
    f = write_table(r, tmp_path / "rates.xlsx", lang="en")
    _, rows = _cells(f, "table")
    assert [c.value for c in rows[0]] == ["Zone ID", "Year", "Rate", "Numerator", "Denominator", "Value"]
    start, inv = rows[1], rows[2]
    assert start[3].value == 17 and "CNY" not in start[3].number_format
    assert inv[3].value == pytest.approx(26.070634) and "100m CNY" in inv[3].number_format
    assert inv[5].number_format == "0.0%" and inv[5].value == pytest.approx(1.0945, abs=1e-4)


def test_rates_command_writes_xlsx(tmp_path) -> None:
    from click.testing import CliRunner

    from forecast.cli import main
    from _report_fixtures import ROOT

    out = tmp_path / "rates.xlsx"
    res = CliRunner().invoke(main, ["rates", str(ROOT / "data" / "sample"), "--year", "2025", "--out", str(out)])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out)["table"]
    head = [c.value for c in next(ws.iter_rows())]
    assert head[:4] == ["园区编号", "年度", "截至日期", "比率"]
    assert ws.max_row == 1 + 12 * 5


@pytest.mark.parametrize(("lang", "months", "bound", "stake"), [
    ("zh", "预计推迟月数", "推迟月数为下限", "未完成投资 (亿元)"),
    ("en", "Expected months late", "Months late is a lower bound", "Not yet spent (100m CNY)")])
def test_risk_months_late_stay_numbers_with_a_bound_flag(tmp_path, lang: str, months: str, bound: str,
                                                         stake: str) -> None:
    """The risk list's months late export as numbers beside a True/False lower
    bound flag (no "≥" in a numeric column), its money not yet spent in 亿元."""
    risk = pd.DataFrame({"project_id": ["a", "b"], "months_late": [3.44, 0.2],
                         "months_late_bound": [False, True], "investment_at_stake": [24_070.21, 0.0]})
    _, rows = _cells(write_xlsx({"risk": risk}, tmp_path / "r.xlsx", lang=lang), "risk")
    head = [c.value for c in rows[0]]
    assert head[1:] == [months, bound, stake]
    assert [c.value for c in rows[1][1:]] == [pytest.approx(3.44), False, pytest.approx(2.407021)]
    assert rows[2][1].value == pytest.approx(0.2) and rows[2][2].value is True
    back = pd.read_csv(write_table(risk, tmp_path / "r.csv"))
    assert back["months_late"].tolist() == [3.44, 0.2] and back["months_late_bound"].tolist() == [False, True]
    assert back["investment_at_stake"].tolist() == [24_070.21, 0.0]  # 万元 in the CSV, as every money column
