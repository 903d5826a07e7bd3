"""forecast template: the workbook an office fills in, and a filled one loads as the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from ledger_helpers import GOOD, assert_ledgers_equal
from office_style import Style, office_rows

from forecast.cli import main
from forecast.ledger import load, validate
from forecast.ledger.columns import COLUMNS, TABLE_ZH
from forecast.ledger.template import header

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "sample"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_template_sheets_headers_lists_dates_notes(tmp_path: Path, lang: str) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "台账模板.xlsx"
    result = CliRunner().invoke(main, ["template", "--lang", lang, "--out", str(out)])
    assert result.exit_code == 0, result.output
    wb = load_workbook(out)
    names = [TABLE_ZH[t] if lang == "zh" else t for t in COLUMNS]
    assert wb.sheetnames == ["说明" if lang == "zh" else "notes", *names]
    projects = wb[names[1]]
    heads = [c.value for c in projects[1]]
    assert heads == [header(n, s, lang) for n, s in COLUMNS["projects"].items()]
    assert ("计划总投资(万元)" if lang == "zh" else "planned_investment (万元)") in heads
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in projects.data_validations.dataValidation}
    category = heads.index(header("category", COLUMNS["projects"]["category"], lang))
    assert ("工业" if lang == "zh" else "industrial") in lists["ABCDEFGHIJKLMNOPQR"[category]]
    plan = wb[names[-1]]
    assert any(("新开工" if lang == "zh" else "new_start") in dv.formula1 for dv in plan.data_validations.dataValidation)
    registered = heads.index(header("registered_date", COLUMNS["projects"]["registered_date"], lang)) + 1
    assert projects.cell(2, registered).is_date and projects.cell(500, registered).number_format == "yyyy-mm-dd"
    notes = wb.worksheets[0]
    described = {row[1] for row in notes.iter_rows(values_only=True)}
    assert all(header(n, s, lang) in described for t in COLUMNS for n, s in COLUMNS[t].items())
    # the empty template: the example rows are skipped (notes), and zones/projects are reported empty
    problems = validate(out)
    assert {p.check for p in problems if p.severity == "info"} == {"template example row skipped"}
    assert {p.check for p in problems if p.severity == "error"} == {"no rows"}
    assert not [p for p in problems if p.severity == "warning"]


@pytest.mark.parametrize("source", ["good", "sample-zone"])
def test_filled_template_loads_equal_without_warnings(tmp_path: Path, source: str) -> None:
    from openpyxl import load_workbook

    ledger = load(GOOD) if source == "good" else load(SAMPLE).zone("mianyang")
    out = tmp_path / "台账.xlsx"
    assert CliRunner().invoke(main, ["template", "--out", str(out)]).exit_code == 0
    wb = load_workbook(out)
    for table in COLUMNS:
        if table == "plan" and ledger.plan.empty:
            continue
        ws = wb[TABLE_ZH[table]]
        heads, rows = office_rows(ledger, table, Style())
        assert heads == [c.value for c in ws[1]]
        for row in rows:  # below the example row, which the office left in place
            ws.append(row)
    wb.save(out)
    loaded = load(out)
    assert [p for p in loaded.warnings if p.severity != "info"] == []
    assert {p.check for p in loaded.warnings} <= {"template example row skipped"}
    assert_ledgers_equal(loaded, ledger)
