"""``forecast targets``, ``forecast risk`` and ``forecast predict --scenario``."""

from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from _forecast_fixtures import SAMPLE_AS_OF, sample_ledger, sample_models
from forecast.cli import main
from forecast.ledger import save
from forecast.report.tables import months_late
from forecast.scenario import select


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("wb")
    save(sample_ledger(), d / "ledger")
    sample_models().save(d / "models.pkl")
    return d


def _invoke(*args: str):  # noqa: ANN202
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_targets_table_sorted_by_risk(files) -> None:
    out = files / "targets.xlsx"
    r = _invoke("targets", files / "ledger", "--as-of", SAMPLE_AS_OF, "--models", files / "models.pkl",
                "--draws", 100, "--out", out, "--lang", "en")
    assert r.exit_code == 0, r.output
    ws = openpyxl.load_workbook(out)["table"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    head = rows[0]
    assert head[:4] == ["Zone ID", "Zone", "Year", "Metric"]
    t = pd.DataFrame(rows[1:], columns=head)
    inv = t.loc[t["Metric"] == "Investment completed"]
    zones = sample_ledger().targets.query("year == 2024 and metric == 'investment'")["zone_id"]
    assert sorted(inv["Zone ID"]) == sorted(zones)
    assert inv["Chance of meeting target"].is_monotonic_increasing
    csv = files / "targets.csv"
    r = _invoke("targets", files / "ledger", "--as-of", SAMPLE_AS_OF, "--models", files / "models.pkl",
                "--draws", 100, "--out", csv)
    back = pd.read_csv(csv)
    assert list(back.columns) == ["zone_id", "zone_name", "year", "metric", "target", "done", "expected",
                                  "p10", "p50", "p90", "p_meet", "gap"]
    assert ((back["p10"] <= back["p50"]) & (back["p50"] <= back["p90"])).all()
    assert back["p_meet"].between(0, 1).all()


def test_risk_list_of_one_zone(files) -> None:
    z = sample_ledger().zone_ids[1]
    out = files / "risk.csv"
    r = _invoke("risk", files / "ledger", "--as-of", SAMPLE_AS_OF, "--models", files / "models.pkl",
                "--draws", 100, "--zone", z, "--out", out)
    assert r.exit_code == 0, r.output
    t = pd.read_csv(out)
    assert len(t) and (t["zone_id"] == z).all()
    # in the zone report's order: the longest expected delays first, cancellations last
    late = t.loc[t["risk"] != "cancel"]
    assert list(t["risk"] == "cancel") == sorted(t["risk"] == "cancel")
    assert late["months_late"].dropna().is_monotonic_decreasing
    assert t.loc[t["risk"] == "cancel", "probability"].is_monotonic_decreasing
    if len(late):  # printed as the report prints it
        first = late.iloc[0]
        assert months_late(first["months_late"], first["months_late_bound"], "zh") in r.output


def test_predict_with_a_scenario(files) -> None:
    led = sample_ledger().as_of(SAMPLE_AS_OF)
    big = select(led, SAMPLE_AS_OF, stages="signed", top=3)
    scen = files / "late.csv"
    pd.DataFrame({"project_id": big["project_id"], "action": "delay", "value": 2}).to_csv(scen, index=False)
    out, cmp = files / "f.xlsx", files / "cmp.csv"
    r = _invoke("predict", files / "ledger", "--as-of", SAMPLE_AS_OF, "--horizon", 6, "--draws", 100,
                "--models", files / "models.pkl", "--scenario", scen, "--out", out, "--compare-out", cmp)
    assert r.exit_code == 0, r.output
    assert "zones touched" in r.output
    c = pd.read_csv(cmp)
    touched = set(big["zone_id"])
    inv = c.loc[c["metric"] == "investment"].set_index("zone_id")
    assert (inv.loc[sorted(touched), "change_mean"] < 0).all()
    untouched = sorted(set(led.zone_ids) - touched)
    assert inv.loc[untouched, "identical"].all()
    assert openpyxl.load_workbook(out)["forecast"].max_row > 1


def test_a_bad_scenario_stops_before_fitting(files) -> None:
    scen = files / "bad.csv"
    scen.write_text("project_id,action,value\nNOPE,delay,x\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["predict", str(files / "ledger"), "--as-of", SAMPLE_AS_OF,
                                  "--out", str(files / "x.csv"), "--scenario", str(scen)])
    assert r.exit_code == 1
    assert "bad.csv, row 2, column 'value'" in r.output and "fitting" not in r.output
