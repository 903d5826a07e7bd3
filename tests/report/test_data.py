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
from forecast.run import zone as report_data
from forecast.run import check_parameters, load_report_data, zone_problems


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


def test_the_report_year_is_that_of_the_next_quarter() -> None:
    assert make_report_data("zh", as_of="2025Q2").year == 2025  # the next quarter is still in 2025
    assert make_report_data("zh", as_of="2025Q4").year == 2026  # a Q4 report looks ahead


def test_saved_backtest_is_used_only_within_as_of(saved_models: Path,
                                                  report_ledger: tuple[Path, str],
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    folder = report_data.saved_backtest(str(saved_models))
    assert folder == saved_models.parent / "backtest"
    ledger = load(report_ledger[0])
    zone = report_ledger[1]
    q = pd.Period(AS_OF, freq="Q-DEC")
    f, s, p = report_data._track_record(ledger, zone, q, str(saved_models), 0)
    assert set(f["origin"]) == {"2024Q2", "2024Q3"} and set(f["horizon"]) == {1, 2, 3, 4}
    assert set(f["zone_id"]) == {zone} and set(s["zone_id"]) == {zone}
    # every zone's target chances of 2024 (ended at AS_OF), with their outcomes
    assert set(p["year"]) == {2024} and p["zone_id"].nunique() == 2 and p["met"].dtype == bool
    # The saved record has actuals up to AS_OF: a report a quarter earlier must
    # not use it, and runs its own (here: with no origin, so no record at all).
    monkeypatch.setattr(report_data, "track_origins", lambda *a, **k: [])
    early = report_data._track_record(ledger, zone, q - 1, str(saved_models), 0)
    assert early == (None, None, None)
    assert report_data.saved_backtest("") is None


def test_fitting_here_runs_a_small_backtest(report_ledger: tuple[Path, str],
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    ledger_path, zone = report_ledger
    q = pd.Period(AS_OF, freq="Q-DEC")
    # One origin instead of REPORT_YEARS' sweep: each one refits every model.
    monkeypatch.setattr(report_data, "track_origins", lambda *a, **k: [q - 1])
    rd = load_report_data(str(ledger_path), zone, AS_OF, lang="en", horizon=4, draws=50, seed=2)
    assert rd.models_source == ""
    f = rd.backtest_forecasts
    assert sorted(set(f["origin"])) == [str(q - 1)]
    # the quarter after the origin is known at AS_OF, the later ones are not
    assert f.loc[f["period"] == str(q), "actual"].notna().all()
    assert f.loc[f["period"] > str(q), "actual"].isna().all()
    # from 2025Q2, the year 2025 has not ended at AS_OF: no outcome to score yet
    assert rd.track_probabilities is not None and len(rd.track_probabilities) == 0
    assert rd.calibration is not None and "what" in rd.calibration
    assert set(rd.forecast.table["period"]) == {str(q + h) for h in range(1, 5)}
    assert rd.pipeline["zone_id"].eq(zone).all() and len(rd.pipeline) == 7
    assert rd.zone_name.startswith("<script>")


def test_model_set_fitted_at_another_quarter_is_refused(report_ledger: tuple[Path, str],
                                                        saved_models: Path) -> None:
    with pytest.raises(ForecastError, match=r"was fitted at 2025Q3, not at 2025Q2"):
        load_report_data(str(report_ledger[0]), report_ledger[1], "2025Q2",
                         modelset_path=str(saved_models))


def test_report_command_passes_its_options_to_render_report(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path,
                                                            report_ledger: tuple[Path, str]) -> None:
    from forecast.cli import main
    from forecast.publish import notebook as render

    calls = []

    def fake(*args: object, **kwargs: object) -> Path:
        calls.append((args, kwargs))
        out = Path(str(args[3]))
        out.write_text("<html></html>")
        return out

    monkeypatch.setattr(render, "render_report", fake)
    out = tmp_path / "r.html"
    ledger = str(report_ledger[0])  # the command checks the quarter against the ledger's data
    result = CliRunner().invoke(main, ["report", ledger, "--zone", "Z01", "--as-of",
                                       "2025q3", "--lang", "en", "--horizon", "4", "--draws",
                                       "50", "--seed", "9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert calls == [((ledger, "Z01", pd.Period("2025Q3", "Q-DEC"), str(out)),  # parsed once, here
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
                                                         tmp_path: Path,
                                                         report_ledger: tuple[Path, str]) -> None:
    from forecast.cli import main
    from forecast.exceptions import ReportError
    from forecast.publish import notebook as render

    def failing(*args: object, **kwargs: object) -> Path:
        raise ReportError("zone_report.ipynb", 7, "ValueError: boom")

    monkeypatch.setattr(render, "render_report", failing)
    result = CliRunner().invoke(main, ["report", str(report_ledger[0]), "--zone", "Z01",
                                       "--as-of", "2025Q3", "--out", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert "zone_report.ipynb, cell 7: ValueError: boom" in result.output


def test_ledger_is_read_again_only_when_its_files_change(report_ledger: tuple[Path, str],
                                                         tmp_path: Path) -> None:
    import shutil

    from forecast.run import load_ledger

    copy = tmp_path / "ledger"
    shutil.copytree(report_ledger[0], copy)
    first = load_ledger(copy)
    assert load_ledger(str(copy)) is first
    zones = copy / "zones.csv"
    zones.write_text(zones.read_text(encoding="utf-8").replace("德阳", "德阳新"), encoding="utf-8")
    again = load_ledger(copy)
    assert again is not first
    assert "德阳新经开区" in set(again.zones["name"])


def test_languages_share_one_forecast_and_other_inputs_simulate_again(
        report_ledger: tuple[Path, str], saved_models: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import forecast.simulate as simulate

    calls = []
    real = simulate.forecast_zones

    def counting(*args: object, **kwargs: object) -> object:
        calls.append(kwargs.get("seed"))
        return real(*args, **kwargs)

    monkeypatch.setattr(simulate, "forecast_zones", counting)
    report_data.clear_cache()
    ledger_path, zone = report_ledger
    args = (str(ledger_path), zone, AS_OF)
    kw = {"draws": 50, "modelset_path": str(saved_models)}
    zh = load_report_data(*args, lang="zh", seed=1, **kw)
    en = load_report_data(*args, lang="en", seed=1, **kw)
    assert calls == [1]
    assert en.forecast is zh.forecast and (zh.lang, en.lang) == ("zh", "en")
    assert en.pipeline is zh.pipeline
    other = load_report_data(*args, lang="en", seed=2, **kw)
    assert calls == [1, 2] and other.forecast is not zh.forecast
    report_data.clear_cache()
    load_report_data(*args, lang="zh", seed=1, **kw)
    assert calls == [1, 2, 1]


def test_zone_view_gives_the_forecast_of_the_whole_ledger(report_ledger: tuple[Path, str],
                                                          saved_models: Path) -> None:
    from forecast.ledger.aggregate import pipeline
    from forecast.models.modelset import ModelSet
    from forecast.periods import quarter, quarter_end
    from forecast.simulate import forecast_zones

    ledger_path, zone = report_ledger
    ledger = load(ledger_path)
    q = quarter(AS_OF)
    whole = forecast_zones(ledger, q, draws=100, seed=4, models=ModelSet.load(saved_models),
                           zones=[zone])[zone]
    report_data.clear_cache()
    rd = load_report_data(str(ledger_path), zone, AS_OF, draws=100, seed=4,
                          modelset_path=str(saved_models))
    assert len(rd.forecast.risk) and len(rd.forecast.history)
    for part in ("table", "targets", "risk", "history", "board"):
        pd.testing.assert_frame_equal(getattr(rd.forecast, part), getattr(whole, part))
    pipe = pipeline(ledger.as_of(q), quarter_end(q))
    pd.testing.assert_frame_equal(rd.pipeline, pipe.loc[pipe["zone_id"] == zone].reset_index(drop=True))
    # The view holds the zone's progress only, every project of the cut.
    cut, rows = report_data._ledger_state(ledger_path)[0].cut(q)
    view = report_data.zone_view(cut, rows[zone])
    zone_projects = set(cut.projects.loc[cut.projects["zone_id"] == zone, "project_id"])
    assert set(view.progress["project_id"]) <= zone_projects
    assert len(view.progress) == cut.progress["project_id"].isin(zone_projects).sum()
    assert len(view.projects) == len(cut.projects) > len(zone_projects)


def test_saved_backtest_is_read_once_per_batch(saved_models: Path, report_ledger: tuple[Path, str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    reads = []
    real = pd.read_csv
    monkeypatch.setattr(pd, "read_csv", lambda *a, **k: reads.append(a[0]) or real(*a, **k))
    report_data.clear_cache()
    ledger = load(report_ledger[0])
    q = pd.Period(AS_OF, freq="Q-DEC")
    first = report_data._track_record(ledger, report_ledger[1], q, str(saved_models), 0)
    again = report_data._track_record(ledger, report_ledger[1], q, str(saved_models), 0)
    assert len(reads) == 3  # forecasts.csv, scores.csv and probabilities.csv, once
    pd.testing.assert_frame_equal(first[0], again[0])
    pd.testing.assert_frame_equal(first[1], again[1])


def test_loader_problems_carry_their_zone_even_past_blank_lines(tmp_path: Path) -> None:
    """A blank line shifts spreadsheet rows against the loaded table's positions;
    the zone the loader records on the problem stays right."""
    import shutil

    from forecast.ledger import validate

    src = Path(__file__).resolve().parents[1] / "data" / "ledgers" / "good"
    out = tmp_path / "ledger"
    shutil.copytree(src, out)
    lines = (out / "projects.csv").read_text(encoding="utf-8").splitlines()
    head, rows = lines[0], lines[1:]
    cols = head.split(",")
    last = rows[-1].split(",")
    last[cols.index("planned_investment")] = "-5"  # the last project gets a bad value
    text = "\n".join([head, rows[0], ""] + rows[1:-1] + [",".join(last)]) + "\n"
    (out / "projects.csv").write_text(text, encoding="utf-8")
    bad = [p for p in validate(out) if p.file == "projects.csv" and p.severity == "error"]
    assert len(bad) == 1 and bad[0].row == len(rows) + 2  # one row further down
    assert bad[0].zone_id == last[cols.index("zone_id")]
    ledger = load(src)
    others = [z for z in ledger.zone_ids if z != bad[0].zone_id]
    assert zone_problems(bad, ledger, bad[0].zone_id) == (bad[0],)
    assert all(zone_problems(bad, ledger, z) == () for z in others)
