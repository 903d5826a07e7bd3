"""RunSpec (the notebook's parameters, parsed once) and RunFolder (a batch folder's layout)."""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import pandas as pd
import pytest

from forecast.exceptions import ForecastError
from forecast.publish.notebook import NOTEBOOK, check_notebook_parameters, notebook_parameters
from forecast.run import NOTEBOOK_PARAMETERS, RunFolder, RunSpec
from forecast.run.spec import PER_REPORT


def test_run_spec_is_the_notebooks_parameters_cell() -> None:
    declared = notebook_parameters(NOTEBOOK)
    # Names and order: the notebook's cell, RunSpec's fields plus the per-report ones.
    assert tuple(declared) == NOTEBOOK_PARAMETERS
    assert {f.name for f in fields(RunSpec)} | set(PER_REPORT) == set(NOTEBOOK_PARAMETERS)
    # Defaults: the same numbers in the notebook and in RunSpec.
    for f in fields(RunSpec):
        if f.name in ("ledger_path", "as_of"):
            continue
        assert ast.literal_eval(declared[f.name]["default"]) == f.default, f.name
    assert ast.literal_eval(declared["ledger_path"]["default"]) == ""  # "" = the sample = None


def test_run_spec_parses_the_quarter_once_and_checks_counts(tmp_path: Path) -> None:
    spec = RunSpec.parse(tmp_path, "2025q3", horizon=4, draws=50, seed=9)
    assert spec.as_of == pd.Period("2025Q3", "Q-DEC") and spec.ledger_path == tmp_path.resolve()
    assert RunSpec.parse("", spec.as_of).ledger_path is None
    params = spec.notebook_parameters("Z01", "en", tmp_path / "_models.pkl")
    assert params == {"ledger_path": str(tmp_path.resolve()), "zone_id": "Z01", "as_of": "2025Q3",
                      "horizon": 4, "lang": "en", "draws": 50, "seed": 9,
                      "modelset_path": str((tmp_path / "_models.pkl").resolve())}
    check_notebook_parameters(params, NOTEBOOK)  # names and types the notebook accepts
    with pytest.raises(ForecastError, match="A quarter must be written like '2024Q3'"):
        RunSpec.parse("", "2025-09")
    with pytest.raises(ForecastError, match="draws must be a whole number >= 1. Got: 0"):
        RunSpec.parse("", "2025Q3", draws=0)


def test_run_folder_spells_the_layout_once(tmp_path: Path) -> None:
    folder = RunFolder.of_models(tmp_path / "_models.pkl")
    assert folder.path == tmp_path and folder.models == tmp_path / "_models.pkl"
    assert folder.headline("Z1.en") == tmp_path / "_data" / "Z1.en.json"
    assert folder.chart("Z1", 2) == tmp_path / "_data" / "Z1.chart-2.png"
    assert folder.saved_backtest() is None
    folder.backtest.mkdir()
    (folder.backtest / "forecasts.csv").write_text("x")
    assert folder.saved_backtest() is None  # half a backtest is none
    (folder.backtest / "scores.csv").write_text("x")
    assert folder.saved_backtest() is None  # no target chances yet
    (folder.backtest / "probabilities.csv").write_text("x")
    assert folder.saved_backtest() == tmp_path / "backtest"
