"""Gathering a report's data: parameters, this zone's problems, the backtest
(saved or run here), the headline year; and the CLI's call into the library."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from _report_fixtures import AS_OF, make_report_data
from forecast.exceptions import ForecastError, Problem
from forecast.ledger import load
from forecast.report import data as report_data
from forecast.report.data import check_parameters, load_report_data, zone_problems


@pytest.mark.parametrize("kwargs,match", [
    ({"lang": "fr"}, "must be one of zh, en"),
    ({"as_of": "2025-09"}, "A quarter must be written like '2024Q3'"),
    ({"zone_id": "../etc"}, r"zone_id must match"),
    ({"horizon": 0}, "horizon must be a whole number >= 1. Got: 0"),
    ({"draws": 2.5}, "draws must be a whole number >= 1. Got: 2.5"),
    ({"seed": True}, "seed must be a whole number >= 0. Got: True"),
])
def test_bad_parameters_are_rejected_with_the_rule(kwargs: dict, match: str) -> None:
    args = {"zone_id": "Z01", "as_of": "2025Q3", "horizon": 8, "lang": "zh", "draws": 10, "seed": 0}
    with pytest.raises(ForecastError, match=match):
        check_parameters(**{**args, **kwargs})


def test_problems_are_traced_to_their_zone(report_ledger: tuple[Path, str]) -> None:
    ledger = load(report_ledger[0])
    zone, other = ledger.zone_ids
    mine = ledger.projects.index[ledger.projects["zone_id"] == zone][0]
    theirs = ledger.projects.index[ledger.projects["zone_id"] == other][0]
    prog_theirs = ledger.progress.index[ledger.progress["project_id"].isin(
        ledger.projects.loc[ledger.projects["zone_id"] == other, "project_id"])][0]
    problems = [
        Problem("projects.csv", int(mine) + 2, "计划竣工时间", "planned before start", "x", "y", "warning"),
        Problem("ledger.xlsx[projects]", int(theirs) + 2, "x", "c", "v", "e", "warning"),
        Problem("progress.csv", int(prog_theirs) + 2, "x", "c", "v", "e", "warning"),
        Problem("zones.csv", 2, "name", "c", "v", "e", "warning"),  # row 2 = the first zone
        Problem("projects.csv", None, None, "c", ledger.projects.loc[mine, "project_id"], "e"),
        Problem("projects.csv", None, None, "c", "5 more rows", "e", "warning"),
    ]
    kept = zone_problems(problems, ledger, zone)
    assert [problems.index(p) for p in kept] == [0, 3, 4]
    assert [problems.index(p) for p in zone_problems(problems, ledger, other)] == [1, 2]


def test_headline_year_follows_the_targets() -> None:
    rd = make_report_data("zh", as_of="2025Q2")
    assert rd.year == 2025  # the next quarter is still in 2025
    q4 = make_report_data("zh", as_of="2025Q4")
    # Targets only for 2026 (the next quarter's year): 2026.
    assert q4.year == 2026
    only_2025 = replace(q4.forecast, targets=q4.forecast.targets.assign(year=2025))
    assert replace(q4, forecast=only_2025).year == 2025


def test_saved_backtest_is_used_only_within_as_of(saved_models: Path,
                                                  report_ledger: tuple[Path, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = report_data.saved_backtest(str(saved_models))
    assert folder == saved_models.parent / "backtest"
    ledger = load(report_ledger[0])
    zone = report_ledger[1]
    q = pd.Period(AS_OF, freq="Q-DEC")
    f, s = report_data._track_record(ledger, zone, q, str(saved_models), 0)
    assert set(f["period"]) == {str(q)} and set(f["origin"]) == {str(q - 1)}
    assert set(f["zone_id"]) == {zone} and set(s["zone_id"]) == {zone}
    # The batch's backtest reaches AS_OF: a report a quarter earlier must not
    # use it, and runs its own (here: with no origin, so no backtest at all).
    monkeypatch.setattr(report_data, "BACKTEST_ORIGINS", 0)
    early, _ = report_data._track_record(ledger, zone, q - 1, str(saved_models), 0)
    assert early is None
    assert report_data.saved_backtest("") is None


def test_fitting_here_runs_a_small_backtest(report_ledger: tuple[Path, str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_path, zone = report_ledger
    # One origin instead of BACKTEST_ORIGINS: each one refits every model.
    monkeypatch.setattr(report_data, "BACKTEST_ORIGINS", 1)
    rd = load_report_data(str(ledger_path), zone, AS_OF, lang="en", horizon=4, draws=50, seed=2)
    q = pd.Period(AS_OF, freq="Q-DEC")
    assert rd.models_source == ""
    assert sorted(set(rd.backtest_forecasts["origin"])) == [str(q - 1)]
    assert rd.backtest_forecasts["actual"].notna().all()
    assert set(rd.forecast.table["period"]) == {str(q + h) for h in range(1, 5)}
    assert rd.pipeline["zone_id"].eq(zone).all() and len(rd.pipeline) == 7
    assert rd.zone_name.startswith("<script>")


def test_model_set_fitted_at_another_quarter_is_refused(report_ledger: tuple[Path, str],
                                                        saved_models: Path) -> None:
    with pytest.raises(ForecastError, match=r"was fitted at 2025Q3, not at 2025Q2"):
        load_report_data(str(report_ledger[0]), report_ledger[1], "2025Q2",
                         modelset_path=str(saved_models))


def test_report_command_passes_its_options_to_render_report(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    from forecast.cli import main
    from forecast.report import render

    calls = []

    def fake(*args: object, **kwargs: object) -> Path:
        calls.append((args, kwargs))
        out = Path(str(args[3]))
        out.write_text("<html></html>")
        return out

    monkeypatch.setattr(render, "render_report", fake)
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--zone", "Z01", "--as-of",
                                       "2025q3", "--lang", "en", "--horizon", "4", "--draws",
                                       "50", "--seed", "9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert calls == [((str(tmp_path), "Z01", "2025Q3", str(out)),
                      {"lang": "en", "horizon": 4, "draws": 50, "seed": 9, "modelset_path": ""})]
    assert "wrote" in result.output


@pytest.mark.parametrize("args,code,match", [
    (["--zone", "Z01", "--as-of", "2025-3", "--out", "x.html"], 2, "A quarter must be written"),
    (["--zone", "Z01", "--as-of", "2025Q3", "--out", "x.html", "--lang", "fr"], 2, "'fr' is not"),
])
def test_report_command_rejects_bad_usage(tmp_path: Path, args: list, code: int, match: str) -> None:
    from forecast.cli import main

    result = CliRunner().invoke(main, ["report", str(tmp_path), *args])
    assert result.exit_code == code
    assert match in result.output


def test_report_command_turns_a_report_error_into_exit_1(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    from forecast.cli import main
    from forecast.exceptions import ReportError
    from forecast.report import render

    def failing(*args: object, **kwargs: object) -> Path:
        raise ReportError("zone_report.ipynb", 7, "ValueError: boom")

    monkeypatch.setattr(render, "render_report", failing)
    result = CliRunner().invoke(main, ["report", str(tmp_path), "--zone", "Z01", "--as-of",
                                       "2025Q3", "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "zone_report.ipynb, cell 7: ValueError: boom" in result.output


def test_ledger_is_read_again_only_when_its_files_change(report_ledger: tuple[Path, str],
                                                         tmp_path: Path) -> None:
    import shutil

    from forecast.report.data import load_ledger

    copy = tmp_path / "ledger"
    shutil.copytree(report_ledger[0], copy)
    first = load_ledger(copy)
    assert load_ledger(str(copy)) is first
    zones = copy / "zones.csv"
    zones.write_text(zones.read_text(encoding="utf-8").replace("德阳", "德阳新"), encoding="utf-8")
    again = load_ledger(copy)
    assert again is not first
    assert "德阳新经开区" in set(again.zones["name"])
