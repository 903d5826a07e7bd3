"""The sample generator: determinism, schema, date order, calibration, ground truth, CLI."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from forecast.cli import main
from forecast.exceptions import ForecastError
from forecast.ledger import load
from forecast.ledger.ledger import INDICATOR_COLUMNS, PROGRESS_COLUMNS, PROJECT_COLUMNS, ZONE_COLUMNS
from forecast.sample import DEFAULT_TRUTH, GroundTruth, complete_data_truth, derived_truth, generate, write_sample
from forecast.sample.calibration import TARGETS, calibration, seasonality
from forecast.sample.markdown import SECTIONS, render_doc
from forecast.sample.places import zone_rows
from forecast.vocab import CANCELLABLE_STAGES, CATEGORIES, MILESTONE_DATES, STAGE_DATE, TARGET_METRICS, TRANSITIONS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
TABLES = ("zones", "projects", "progress", "targets", "indicators")
END = pd.Timestamp("2025-12-31")


@pytest.fixture(scope="module")
def ledger():
    return generate()


@pytest.fixture(scope="module")
def truth():
    return derived_truth()


@pytest.fixture(scope="module")
def figures(ledger):
    return calibration(ledger, 2024)


# --- determinism ------------------------------------------------------------------


@pytest.mark.parametrize("table", TABLES)
def test_same_seed_same_frames(table):
    a, b = generate(zones=3, seed=5), generate(zones=3, seed=5)
    pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))


@pytest.mark.parametrize("table", ["projects", "progress", "targets", "indicators"])
def test_other_seed_other_frames(table):
    a, b = generate(zones=3, seed=5), generate(zones=3, seed=6)
    assert not getattr(a, table).equals(getattr(b, table))


def test_same_seed_byte_identical_files(tmp_path):
    write_sample(tmp_path / "a", zones=2, seed=11)
    write_sample(tmp_path / "b", zones=2, seed=11)
    for t in TABLES:
        assert (tmp_path / "a" / f"{t}.csv").read_bytes() == (tmp_path / "b" / f"{t}.csv").read_bytes()


def test_committed_sample_is_generate_output(tmp_path):
    write_sample(tmp_path, zones=12, seed=2025)
    for t in TABLES:
        assert (SAMPLE / f"{t}.csv").read_bytes() == (tmp_path / f"{t}.csv").read_bytes(), (
            f"data/sample/{t}.csv drifted from generate(); rerun `forecast sample --out data/sample`"
        )


def test_committed_sample_small_and_loads_back_equal(ledger):
    assert sum(f.stat().st_size for f in SAMPLE.iterdir()) < 10 * 2**20
    loaded = load(SAMPLE)
    assert loaded.warnings == ()
    for t in TABLES:
        pd.testing.assert_frame_equal(getattr(loaded, t), getattr(ledger, t), check_exact=False, rtol=1e-12)


# --- schema -------------------------------------------------------------------------


def test_every_schema_column_present(ledger):
    assert tuple(ledger.zones.columns) == ZONE_COLUMNS
    assert tuple(ledger.projects.columns) == PROJECT_COLUMNS
    assert tuple(ledger.progress.columns) == PROGRESS_COLUMNS
    assert tuple(ledger.indicators.columns) == INDICATOR_COLUMNS
    assert list(ledger.targets.columns) == ["zone_id", "year", "metric", "value"]


def test_zones_named_like_real_zones(ledger):
    z = ledger.zones
    assert len(z) == 12 and z["zone_id"].str.fullmatch(r"[a-z]+").all()
    assert z["name"].str.endswith("经开区").all() and (z["name"] == "绵阳经开区").any()
    assert z[["province", "city", "level"]].notna().all().all()


def test_zone_ids_unique_for_many_zones():
    rows = zone_rows(2500, DEFAULT_TRUTH.national_zones)
    ids = [r[0] for r in rows]
    assert len(set(ids)) == 2500 and all(re.fullmatch(r"[A-Za-z0-9_-]{1,64}", i) for i in ids)
    assert len({r[1] for r in rows}) == 2500


@pytest.mark.parametrize("column", ["project_id", "zone_id", "name", "category", "planned_investment",
                                    "registered_date"])
def test_required_project_fields_filled(ledger, column):
    assert ledger.projects[column].notna().all()


@pytest.mark.parametrize("column,low,high", [
    ("industry", 0.90, 0.99), ("land_mu", 0.6, 0.95), ("responsible_unit", 0.93, 0.995),
    ("officer", 0.85, 0.98), ("signed_date", 0.7, 0.99),
])
def test_optional_fields_mostly_filled_some_blank(ledger, column, low, high):
    share = ledger.projects[column].notna().mean()
    assert low <= share <= high


def test_project_ids_unique_and_text_realistic(ledger):
    p = ledger.projects
    assert p["project_id"].is_unique
    assert p["category"].isin(CATEGORIES).all()
    assert p["name"].str.contains(r"[\u4e00-\u9fff]").all() and p["name"].nunique() > len(p) / 4
    units = set(p["responsible_unit"].dropna())
    assert {"经信局", "商务局", "住建局", "招商一局", "自然资源局"} <= units
    assert p["officer"].dropna().str.fullmatch(r"[\u4e00-\u9fff]{2,3}").all()
    # One officer follows several projects, as in a real zone.
    assert p["officer"].value_counts().median() >= 3


def test_output_fields_by_category(ledger):
    p = ledger.projects
    has = p.groupby("category")["designed_output"].apply(lambda s: s.notna().mean())
    assert has["industrial"] > 0.85
    assert has["social"] < 0.15 and has["transport_urban"] < 0.15
    producing = p.loc[p["production_date"].notna(), "category"].value_counts(normalize=True)
    assert producing.get("transport_urban", 0) < 0.05


def test_pipeline_before_2015(ledger):
    p = ledger.projects
    old = p["registered_date"] < "2015-01-01"
    assert old.sum() > 100
    # Each of them was still active in 2015 or later.
    last = p.loc[old, list(MILESTONE_DATES[1:]) + ["cancelled_date"]].max(axis=1)
    prog_last = ledger.progress.groupby("project_id")["period_end"].max()
    active = (last >= "2015-01-01") | p.loc[old, "project_id"].map(prog_last).notna().to_numpy()
    assert active.all()


def test_cancellations_at_every_stage(ledger):
    p = ledger.projects.loc[ledger.projects["cancelled_date"].notna()]
    before = p["signed_date"].isna(), p["signed_date"].notna() & p["start_date"].isna(), p["start_date"].notna()
    assert all(m.sum() >= 10 for m in before)


# --- dates ----------------------------------------------------------------------------


@pytest.mark.parametrize("earlier,later", list(zip(MILESTONE_DATES, MILESTONE_DATES[1:]))
                         + [("registered_date", "cancelled_date"), ("start_date", "planned_completion_date")])
def test_dates_ordered(ledger, earlier, later):
    p = ledger.projects
    both = p[earlier].notna() & p[later].notna()
    assert both.sum() > 50
    assert (p.loc[both, earlier] <= p.loc[both, later]).all()


def test_milestones_need_their_predecessor(ledger):
    p = ledger.projects
    for earlier, later in zip(MILESTONE_DATES, MILESTONE_DATES[1:]):
        assert not (p[later].notna() & p[earlier].isna()).any()
    assert not (p["cancelled_date"].notna() & p["completion_date"].notna()).any()


def test_nothing_after_the_ledger_end_but_plans(ledger):
    p = ledger.projects
    for col in list(MILESTONE_DATES) + ["cancelled_date"]:
        assert (p[col].dropna() <= END).all()
    assert (p["planned_completion_date"].dropna() > END).any()
    assert ledger.progress["period"].min() == "2015-01" and ledger.progress["period"].max() == "2025-12"


def test_some_completions_exactly_on_plan(ledger):
    p = ledger.projects.dropna(subset=["completion_date", "planned_completion_date"])
    share = (p["completion_date"] == p["planned_completion_date"]).mean()
    assert 0.15 < share < 0.45


# --- progress rows ------------------------------------------------------------------


def test_progress_rows_only_for_activity(ledger):
    prog = ledger.progress.merge(ledger.projects, on="project_id")
    assert (prog["investment"].notna() | prog["output_value"].notna()).all()
    assert (prog["investment"].dropna() >= 0).all() and (prog["output_value"].dropna() >= 0).all()
    inv = prog.loc[prog["investment"].notna()]
    end = inv["completion_date"].fillna(inv["cancelled_date"]).fillna(END)
    month = inv["period_end"].dt.to_period("M")
    assert (month >= inv["start_date"].dt.to_period("M")).all()
    assert (month <= end.dt.to_period("M")).all()
    out = prog.loc[prog["output_value"].notna()]
    assert (out["period_end"].dt.to_period("M") >= out["production_date"].dt.to_period("M")).all()
    assert ledger.progress.duplicated(["project_id", "period"]).sum() == 0


def test_cancelled_under_construction_spend_part(ledger):
    p = ledger.projects
    cut = p.loc[p["cancelled_date"].notna() & p["start_date"].ge("2015-01-01")].set_index("project_id")
    spent = ledger.progress.groupby("project_id")["investment"].sum().reindex(cut.index)
    ratio = spent / cut["planned_investment"]
    assert len(ratio) >= 5 and 0 < ratio.median() < 0.9


# --- targets and indicators ------------------------------------------------------------


def test_targets_every_zone_year_metric(ledger):
    t = ledger.targets
    # 2015-2025 and the plan for 2026, set from 2025's actual.
    assert len(t) == 12 * 12 * len(TARGET_METRICS)
    assert set(t["metric"]) == set(TARGET_METRICS) and set(t["year"]) == set(range(2015, 2027))
    assert (t["value"] >= 0).all()
    counts = t.loc[t["metric"].str.startswith("projects_"), "value"]
    assert (counts == counts.round()).all()


def test_indicators_published_cumulative_without_january(ledger):
    ind = ledger.indicators
    assert {"fixed_asset_investment", "industrial_output"} <= set(ind["metric"])
    assert not ind["period"].str.endswith("-01").any()
    assert len(ind) == 12 * 2 * 11 * 11
    header = (SAMPLE / "indicators.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header == "zone_id,period,metric,cumulative_value"
    raw = pd.read_csv(SAMPLE / "indicators.csv")
    raw["year"] = raw["period"].str[:4]
    assert (raw.groupby(["zone_id", "metric", "year"])["cumulative_value"].diff().dropna() > 0).all()
    # January–February is a small part of the year, as the NBS series shows.
    feb = ind.loc[ind["period"].str.endswith("-02") & (ind["metric"] == "fixed_asset_investment"), "value"].sum()
    year = ind.loc[ind["metric"] == "fixed_asset_investment", "value"].sum() / 11
    assert 0.03 < feb / 11 / year < 0.12


def test_ledger_is_most_of_zone_investment(ledger):
    fai = ledger.indicators.loc[ledger.indicators["metric"] == "fixed_asset_investment"]
    fai = fai.groupby("zone_id")["value"].sum()
    spent = ledger.progress.merge(ledger.projects[["project_id", "zone_id"]]).groupby("zone_id")["investment"].sum()
    share = (spent / fai).median()
    assert 0.5 < share < 0.8  # outside_fai: ledger projects are about two thirds of zone FAI


# --- calibration -----------------------------------------------------------------------


@pytest.mark.parametrize("figure", list(TARGETS))
def test_calibration(figures, figure):
    _, low, high = TARGETS[figure]
    assert low <= figures[figure] <= high, f"{figure} = {figures[figure]:.3g} outside [{low}, {high}]"


def test_zone_sizes_heavy_tailed(ledger):
    n = ledger.projects.groupby("zone_id").size()
    assert n.max() / n.min() > 4.0


def test_seasonality_in_the_ledger(ledger, truth):
    s = seasonality(ledger)
    inv = s["investment"]
    assert inv[:3].sum() < inv[9:].sum() and inv[1] < inv[11]  # slow Q1, Q4 rush
    starts = s["start_date"]
    assert starts[2] > 2 * (starts[0] + starts[1]) / 2 and starts[2] == starts.max()  # 集中开工 in March
    done = s["completion_date"]
    assert done[5] > 1.5 / 12 and done[11] > 1.5 / 12  # June and December
    for event in ("start_date", "completion_date"):
        measured = 4 * np.add.reduceat(s[event], [0, 3, 6, 9])
        expected = np.array([truth["event_quarter_factor"][event][q] for q in range(1, 5)])
        assert np.abs(measured - expected).max() < 0.25


# --- ground truth --------------------------------------------------------------------------


def test_derived_truth_keys(truth):
    assert set(truth) == {"median_months", "cancel_share", "spend_quarter_factor", "event_quarter_factor",
                          "overrun_median", "output_ratio", "realisation", "months_to_90"}
    assert set(truth["median_months"]) == set(TRANSITIONS)
    assert set(truth["cancel_share"]) == set(CANCELLABLE_STAGES)
    assert set(truth["spend_quarter_factor"]) == {1, 2, 3, 4}
    assert set(truth["event_quarter_factor"]) == {"start_date", "completion_date", "production_date"}
    for key in ("overrun_median", "output_ratio", "realisation", "months_to_90"):
        assert set(truth[key]) == set(CATEGORIES)


def test_derived_truth_sanity(truth):
    assert 20 <= truth["median_months"][("started", "completed")]["industrial"] <= 28  # about 2 years
    assert 18 <= truth["months_to_90"]["industrial"] <= 30
    assert 2.7 <= truth["output_ratio"]["industrial"] <= 3.5
    assert all(0.7 <= v <= 0.85 for v in truth["realisation"].values())
    assert all(1.05 <= v <= 1.15 for v in truth["overrun_median"].values())
    assert np.mean(list(truth["spend_quarter_factor"].values())) == pytest.approx(1.0)
    q = truth["spend_quarter_factor"]
    assert q[1] < 0.7 and q[4] > 1.15
    for event, f in truth["event_quarter_factor"].items():
        assert sum(f.values()) == pytest.approx(4.0)
    assert truth["event_quarter_factor"]["start_date"][1] > truth["event_quarter_factor"]["start_date"][4]


@pytest.mark.parametrize("stage", CANCELLABLE_STAGES)
def test_cancel_share_is_the_parameter(truth, stage):
    for cat in CATEGORIES:
        assert truth["cancel_share"][stage][cat] == pytest.approx(DEFAULT_TRUTH.cancel_share[stage][cat], abs=0.01)


def test_derived_truth_follows_parameters():
    slow = dataclasses.replace(DEFAULT_TRUTH, delay_median={c: 1.5 for c in CATEGORIES}, on_time_share={
        c: 0.0 for c in CATEGORIES})
    base = derived_truth(n=20_000)["median_months"][("started", "completed")]["industrial"]
    slower = derived_truth(slow, n=20_000)["median_months"][("started", "completed")]["industrial"]
    assert slower > 1.2 * base


def test_ledger_overrun_matches_truth(ledger, truth):
    p = ledger.projects
    done = p.loc[(p["start_date"] >= "2015-01-01") & p["completion_date"].notna()].set_index("project_id")
    spent = ledger.progress.groupby("project_id")["investment"].sum().reindex(done.index)
    ratio = (spent / done["planned_investment"]).groupby(done["category"]).median()
    assert ratio["industrial"] == pytest.approx(truth["overrun_median"]["industrial"], rel=0.03)


def test_every_parameter_documented():
    rows = GroundTruth().describe()
    assert len(rows) == len(dataclasses.fields(GroundTruth)) and all(r["meaning"] for r in rows)
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_TRUTH.planned_sigma = 1.0  # type: ignore[misc]


def test_doc_tables_come_from_the_code():
    doc = (ROOT / "docs" / "sample.md").read_text(encoding="utf-8")
    assert doc.count("<!-- BEGIN generated:") == len(SECTIONS)
    assert "| `planned_sigma` | 0.75 |" in doc and "| median_months started→completed |" in doc
    assert render_doc(doc) == doc, "docs/sample.md is stale; run python -m forecast.sample --doc docs/sample.md"


@pytest.mark.parametrize("kwargs", [{"zones": 0}, {"start_year": 2026, "end_year": 2025}])
def test_bad_arguments_raise(kwargs):
    with pytest.raises(ForecastError):
        generate(**kwargs)


# --- command line ---------------------------------------------------------------------------


def test_cli_passes_options_to_write_sample(monkeypatch, tmp_path):
    calls = []

    def fake(out, zones, seed):
        calls.append((Path(out), zones, seed))
        return generate(zones=1, seed=1)

    monkeypatch.setattr("forecast.cli.sample_cmd.write_sample", fake)
    result = CliRunner().invoke(main, ["sample", "--zones", "4", "--seed", "9", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert calls == [(tmp_path, 4, 9)]


def test_cli_writes_loadable_ledger(tmp_path):
    result = CliRunner().invoke(main, ["sample", "--zones", "2", "--seed", "3", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    ledger = load(tmp_path / "s")
    assert len(ledger.zones) == 2 and len(ledger.projects) > 0


def test_cli_rejects_zero_zones(tmp_path):
    result = CliRunner().invoke(main, ["sample", "--zones", "0", "--out", str(tmp_path)])
    assert result.exit_code == 2


def test_cli_subprocess(tmp_path):
    exe = Path(sys.executable).parent / "forecast"
    run = subprocess.run([str(exe), "sample", "--zones", "1", "--seed", "4", "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert "1 zones" in run.stdout
    assert load(tmp_path).zones["zone_id"].tolist() == ["mianyang"]


def test_complete_data_truth_is_the_ledgers_own_projects(ledger):
    """The complete-data values come from the very projects of the ledger:
    censored at 2025, the latent world's moves are the ledger's, one for one."""
    from forecast.sample.derived import _stage_dates
    from forecast.sample.generate import in_ledger_window, latent_world

    w = latent_world()
    kept = in_ledger_window(w, 2015, 2025)
    dates = _stage_dates(w.registered, w.life)
    first, last = pd.Timestamp("2015-01-01"), pd.Timestamp("2025-12-31")
    day = lambda ts: (ts - pd.Timestamp("1970-01-01")).days  # noqa: E731
    p = ledger.projects
    cats = np.asarray(CATEGORIES)
    c = complete_data_truth()
    for a, b in TRANSITIONS:
        start, end = p[STAGE_DATE[a]], p[STAGE_DATE[b]]
        seen = p.loc[start.between(first, last) & end.notna(), "category"].value_counts()
        moved = kept & (dates[a] >= day(first)) & (dates[a] <= day(last)) & (dates[b] <= day(last))
        latent = pd.Series(cats[w.attrs.category[moved]]).value_counts()
        assert seen.sort_index().to_dict() == latent.sort_index().to_dict(), (a, b)
        # the complete data add the moves after 2025 of projects that entered by then
        assert all(c["n_events"][(a, b)][k] >= v for k, v in seen.items())
    events = p["completion_date"].dropna()
    events = events[events.between(first, last)]
    share = events.dt.quarter.value_counts(normalize=True).sort_index()
    assert np.allclose(4 * share.to_numpy(), [c["event_quarter_factor"]["completion_date"][q] for q in range(1, 5)])


# --- a lasting change of pace -----------------------------------------------------------------


def test_slowdown_stretches_durations_after_its_date_only():
    base = generate(zones=3, seed=5).projects.set_index("project_id")
    slow = generate(zones=3, seed=5, slowdown=1.6, slowdown_from="2023-07-01").projects.set_index("project_id")
    both = base.index.intersection(slow.index)
    b, s = base.loc[both], slow.loc[both]
    pivot = pd.Timestamp("2023-07-01")
    # events before the pivot are the same: the shift draws no random numbers
    early = b["completion_date"] < pivot
    assert early.sum() > 50
    assert (b.loc[early, "completion_date"] == s.loc[early, "completion_date"]).all()
    # a signing (or cancellation) after a registration past the pivot takes 1.6 times as long (days floored)
    late = (b["registered_date"] > pivot) & s["signed_date"].notna() & b["signed_date"].notna()
    assert late.sum() > 20
    days = (s["signed_date"] - s["registered_date"]).dt.days / (b["signed_date"] - b["registered_date"]).dt.days
    assert days[late & ((b["signed_date"] - b["registered_date"]).dt.days > 30)].between(1.55, 1.65).all()
    # and fewer of the projects under way are done by the end of the ledger
    assert s["completion_date"].notna().sum() < b["completion_date"].notna().sum()


def test_slowdown_needs_a_date_and_a_positive_factor():
    with pytest.raises(ForecastError, match="slowdown_from"):
        generate(zones=1, seed=1, slowdown=1.6)
    with pytest.raises(ForecastError, match="positive"):
        generate(zones=1, seed=1, slowdown=0.0, slowdown_from="2023-07-01")


def test_cli_writes_a_slowed_sample(tmp_path):
    result = CliRunner().invoke(main, ["sample", "--zones", "2", "--seed", "3", "--slowdown", "1.6",
                                       "--slowdown-from", "2023-07-01", "--out", str(tmp_path / "s")])
    assert result.exit_code == 0, result.output
    slow = load(tmp_path / "s").projects
    base = generate(zones=2, seed=3).projects
    assert slow["completion_date"].max() <= base["completion_date"].max()
    assert slow["completion_date"].notna().sum() < base["completion_date"].notna().sum()
