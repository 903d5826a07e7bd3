"""Hostile spreadsheet cells: ledger text starting with = + - @ tab or CR is
written so that Excel reads text, never a formula; numbers stay numbers."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from forecast._io import neutralise, neutralise_frame

FORECAST = str(Path(sys.executable).with_name("forecast"))
GOOD = Path(__file__).parents[1] / "data" / "ledgers" / "good"
HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\r=1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_text_starting_like_a_formula_is_neutralised(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", [-5, 3.2, "-5", "+3.25", "-1e3", "园区", "a=b", "", None])
def test_numbers_and_plain_text_stay_as_they_are(value):
    assert neutralise(value) is value


def test_a_frame_keeps_numeric_columns_numeric():
    frame = pd.DataFrame({"name": ["=1+1", "ok", None], "value": [-1.0, 2.0, 3.0]})
    out = neutralise_frame(frame)
    assert out["name"].tolist()[:2] == ["'=1+1", "ok"] and pd.isna(out["name"][2])
    assert out["value"].dtype == float and out["value"].tolist() == [-1.0, 2.0, 3.0]
    assert frame["name"][0] == "=1+1"  # the caller's frame is untouched


def test_validate_csv_neutralises_ledger_text(tmp_path):
    ledger = tmp_path / "ledger"
    shutil.copytree(GOOD, ledger)
    projects = (ledger / "projects.csv").read_text(encoding="utf-8").splitlines()
    cells = projects[1].split(",")
    cells[3] = "=1+2"  # category: unknown, so it is echoed back as the problem's value
    projects[1] = ",".join(cells)
    (ledger / "projects.csv").write_text("\n".join(projects) + "\n", encoding="utf-8")
    run = subprocess.run([FORECAST, "validate", "--format", "csv", str(ledger)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 1, run.stderr
    rows = list(csv.DictReader(io.StringIO(run.stdout)))
    values = [r["value"] for r in rows if r["column"] == "category"]
    assert values == ["'=1+2"], rows


def test_summary_csv_neutralises_names_and_errors(tmp_path):
    from forecast.publish.index import write_summary
    from forecast.publish.results import BatchResult, JobResult

    head = {"figures": [{"key": "investment_next", "value": -3.5}],
            "risks": [{"project": "@SUM(A1)", "probability": 0.5}]}
    res = BatchResult(out=tmp_path, as_of="2025Q3", langs=("zh",), results=[
        JobResult("Z1", "=HYPERLINK(\"http://x\")", "zh", "Z1", "ok", headline=head),
        JobResult("Z2", "+园区", "zh", "Z2", "failed", error="-boom")])
    write_summary(res)
    rows = list(csv.DictReader((tmp_path / "summary.csv").open(encoding="utf-8-sig")))
    assert [r["zone_name"] for r in rows] == ["'=HYPERLINK(\"http://x\")", "'+园区"]
    assert rows[1]["error"] == "'-boom" and rows[0]["top_risk_project"] == "'@SUM(A1)"
    assert rows[0]["investment_next_yi"] == "-3.5"  # a number stays a number
