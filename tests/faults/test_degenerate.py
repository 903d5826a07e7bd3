"""Degenerate data: a zone with no projects gets a report that says so;
implausible amounts and control characters are caught at validation."""

from __future__ import annotations

import shutil

import pytest
from faults_helpers import LEDGER

from forecast.exceptions import LedgerError
from forecast.ledger import load


def _ledger(tmp_path, edit=None, empty_zone=False):
    led = tmp_path / "ledger"
    shutil.copytree(LEDGER, led)
    if empty_zone:
        with open(led / "zones.csv", "a", encoding="utf-8") as fh:
            fh.write("Z4,空园区,四川,成都,provincial\n")
    if edit:
        rows = (led / "projects.csv").read_text(encoding="utf-8").splitlines()
        row, col, value = edit
        cells = rows[row].split(",")
        cells[col] = value
        rows[row] = ",".join(cells)
        (led / "projects.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return led


def test_zone_without_projects_gets_a_report_that_says_so(tmp_path, forecast_cli):
    led = _ledger(tmp_path, empty_zone=True)
    out = tmp_path / "Z4.html"
    run = forecast_cli("report", led, "--zone", "Z4", "--as-of", "2023Q3", "--out", out, "--draws", "50",
                       "--horizon", "4", timeout=600)
    assert run.returncode == 0, run.stderr  # before: KeyError: 'p_late'
    page = out.read_text(encoding="utf-8")
    assert "台账中本园区没有任何项目" in page and "空园区" in page


@pytest.mark.parametrize("edit, check, value", [
    ((1, 5, "1e15"), "implausible amount", "'1e15'"),           # planned_investment
    ((2, 2, "创新\x00药基地"), "control character", "'创新\\x00药基地'"),  # a NUL in a name
    ((3, 2, "物流\x1b[31m园"), "control character", "'物流\\x1b[31m园'"),
])
def test_implausible_amounts_and_control_characters_fail_validation(tmp_path, edit, check, value):
    with pytest.raises(LedgerError) as err:
        load(_ledger(tmp_path, edit))
    problem, = err.value.problems
    assert problem.check == check and problem.file == "projects.csv" and problem.row == edit[0] + 1
    assert f"Got: {value}" in str(problem)


def test_plausible_large_amounts_and_line_breaks_pass(tmp_path):
    led = _ledger(tmp_path, (1, 5, "9e8"))  # 9 万亿元: huge, but possible in total
    rows = (led / "projects.csv").read_text(encoding="utf-8").splitlines()
    rows[2] = rows[2].replace("创新药基地", '"创新药\n基地"')
    (led / "projects.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert load(led).projects["planned_investment"].max() == 9e8
