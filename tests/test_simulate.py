"""The simulator: bookkeeping (with stub models of known behaviour), seeding,
the new-project allowance, the forecast table, and no leakage (real models)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from _forecast_fixtures import (
    AS_OF,
    SAMPLE_AS_OF,
    StubCompletion,
    StubOutput,
    StubSpend,
    quick_modelset,
    sample_ledger,
    sample_models,
    stub_models,
    tiny_ledger,
)
from forecast.exceptions import ForecastError
from forecast.periods import quarter
from forecast.simulate import (
    ALL_METRICS,
    forecast_table,
    forecast_zones,
    summarise,
    write_table,
    zone_seed,
)
from forecast.vocab import FORECAST_COLUMNS, METRICS, QUANTILE_COLUMNS, QUANTILES


@pytest.fixture(scope="module")
def tiny():
    led = tiny_ledger(n_zones=3, per_zone=15, seed=3)
    return led, stub_models(led)


def run(tiny, **kw):  # noqa: ANN001, ANN201
    led, ms = tiny
    args = dict(horizon=4, draws=300, seed=11, models=ms, detail=False)
    args.update(kw)
    return forecast_zones(led, AS_OF, **args)


def test_zone_numbers_do_not_depend_on_other_zones(tiny) -> None:
    alone = run(tiny, zones=["Z1"])["Z1"].table
    together = run(tiny)["Z1"].table
    pd.testing.assert_frame_equal(alone, together)


def test_workers_give_the_same_numbers(tiny) -> None:
    serial = run(tiny)
    forked = run(tiny, workers=2)
    for z in serial:
        pd.testing.assert_frame_equal(serial[z].table, forked[z].table)


def test_same_seed_same_numbers_other_seed_other_numbers(tiny) -> None:
    a = run(tiny)["Z0"].table
    b = run(tiny)["Z0"].table
    c = run(tiny, seed=12)["Z0"].table
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["mean"], c["mean"])


def test_zone_seed_is_stable_and_distinct() -> None:
    # fixed words: BLAKE2b of the id, not Python's salted hash()
    assert zone_seed(0, "Z0").entropy == zone_seed(0, "Z0").entropy
    assert zone_seed(0, "Z0").entropy != zone_seed(0, "Z1").entropy
    assert zone_seed(0, "Z0").entropy != zone_seed(1, "Z0").entropy
    with pytest.raises(ForecastError, match="non-negative"):
        zone_seed(-1, "Z0")


def test_totals_are_existing_plus_new_within_each_draw(tiny) -> None:
    zf = run(tiny)["Z0"]
    led = tiny[0]
    cut = led.as_of(AS_OF)
    live = ((cut.projects["zone_id"] == "Z0") & cut.projects["cancelled_date"].isna()).sum()
    # the stub spends exactly 1 per live project and quarter: existing investment is
    # constant, so every quantile of the total is that constant plus the new quantile
    total = zf.metric("investment")
    new = zf.metric("new_investment")
    for col in ("mean", *QUANTILE_COLUMNS):
        np.testing.assert_allclose(total[col], new[col] + live, rtol=1e-6)
    assert (zf.samples["investment"] - zf.samples["new_investment"] == live).all()


def test_table_shape_and_columns(tiny) -> None:
    zf = run(tiny)
    table = pd.concat([f.table for f in zf.values()])
    assert tuple(table.columns) == FORECAST_COLUMNS
    assert set(table["metric"]) == set(ALL_METRICS)
    assert len(table) == 3 * 4 * len(ALL_METRICS)
    q = table[list(QUANTILE_COLUMNS)].to_numpy()
    assert (np.diff(q, axis=1) >= -1e-9).all()  # quantiles in order
    assert set(table["period"]) == {"2024Q1", "2024Q2", "2024Q3", "2024Q4"}


def test_counts_match_the_stub_completion_rate(tiny) -> None:
    # the stub completes each unfinished project with probability 1/2, uniformly over 12 months
    led, _ = tiny
    zf = run(tiny, draws=2000)["Z2"]
    cut = led.as_of(AS_OF)
    p = cut.projects
    open_ = ((p["zone_id"] == "Z2") & p["completion_date"].isna() & p["cancelled_date"].isna()).sum()
    assert open_ > 0
    old = zf.samples["projects_completed"] - zf.samples["new_projects_completed"]
    np.testing.assert_allclose(old.sum(axis=1).mean(), open_ / 2, rtol=0.1)


def test_summarise_takes_quantiles_of_totals_not_sums_of_quantiles() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(5000, 1)), rng.normal(size=(5000, 1))
    t = summarise("z", pd.period_range("2024Q1", periods=1, freq="Q"), {"investment": a + b})
    # the spread of a sum of independent parts is sqrt(2) times each part's, not twice
    width = float(t["p95"].iloc[0] - t["p05"].iloc[0])
    assert width == pytest.approx(2 * 1.645 * np.sqrt(2), rel=0.05)


def test_summarise_gives_counts_whole_quantiles_and_money_linear_ones() -> None:
    # 300 draws of a count: linear quantiles would print "80% interval 2.9–6" (no draw took 2.9)
    rng = np.random.default_rng(1)
    n = rng.poisson(4.0, size=(300, 2)).astype(float)
    money = rng.gamma(2.0, 50.0, size=(300, 2))
    samples = {"projects_completed": n, "new_projects_completed": n // 2, "investment": money}
    t = summarise("z", pd.period_range("2024Q1", periods=2, freq="Q"), samples)
    q = t[list(QUANTILE_COLUMNS)]
    counts = t["metric"].isin(["projects_completed", "new_projects_completed"]).to_numpy()
    assert counts.sum() == 4
    assert (q[counts] == np.round(q[counts])).all().all()
    for metric, draws in samples.items():
        for k in range(2):
            row = t.loc[(t["metric"] == metric) & (t["period"] == t["period"].iloc[k])]
            qs = row[list(QUANTILE_COLUMNS)].to_numpy()[0]
            if metric == "investment":
                np.testing.assert_allclose(qs, np.quantile(draws[:, k], QUANTILES), atol=5e-5)  # table: 4 decimals
            else:
                assert all(np.mean(draws[:, k] <= v) >= lev for lev, v in zip(QUANTILES, qs))
                assert all(np.mean(draws[:, k] < v) < lev for lev, v in zip(QUANTILES, qs))
    assert not (q[~counts] == np.round(q[~counts])).all().all()


def test_no_new_projects_when_switched_off() -> None:
    led = tiny_ledger(n_zones=1, per_zone=10, seed=5)
    ms = stub_models(led, new_projects=False)
    zf = forecast_zones(led, AS_OF, horizon=2, draws=50, models=ms, detail=False)["Z0"]
    new = zf.table.loc[zf.table["metric"].str.startswith("new_"), "mean"]
    assert (new == 0).all()


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"horizon": 0}, "horizon"),
        ({"horizon": 17}, "horizon"),
        ({"draws": 0}, "draws"),
        ({"zones": ["nope"]}, "nope"),
    ],
)
def test_bad_arguments(tiny, kw, match) -> None:
    with pytest.raises(ForecastError, match=match):
        run(tiny, **kw)


def test_models_fitted_at_another_quarter_are_refused(tiny) -> None:
    with pytest.raises(ForecastError, match="fitted at 2023Q4"):
        forecast_zones(tiny[0], "2023Q3", horizon=2, draws=10, models=tiny[1])


@pytest.mark.parametrize("ext", [".csv", ".parquet"])
def test_write_table_round_trip(tiny, tmp_path: Path, ext: str) -> None:
    table = forecast_table(tiny[0], AS_OF, horizon=2, draws=50, models=tiny[1])
    path = tmp_path / f"fc{ext}"
    write_table(table, path)
    back = pd.read_csv(path) if ext == ".csv" else pd.read_parquet(path)
    pd.testing.assert_frame_equal(back, table, check_dtype=False)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_write_table_refuses_other_extensions(tmp_path: Path) -> None:
    with pytest.raises(ForecastError, match=r"\.csv or \.parquet"):
        write_table(pd.DataFrame(), tmp_path / "fc.xlsx")


# --- real models on the sample ledger ---------------------------------------------------
def _physical_cut(src: Path, dst: Path, as_of: str) -> None:
    """Cut ledger files at ``as_of`` by hand, without Ledger.as_of: drop projects
    registered later, blank later dates, drop later progress periods, blank
    the planned completion date of projects not started by then, and drop the
    plan rows of the projects dropped (a later year's plan, not yet written then)."""
    end = pd.Period(as_of, "Q-DEC").end_time.normalize()
    dst.mkdir()
    for f in src.iterdir():
        if f.name not in ("projects.csv", "progress.csv"):
            shutil.copy(f, dst / f.name)
    pr = pd.read_csv(src / "projects.csv", dtype=str, keep_default_na=False)
    dates = [c for c in pr.columns if c.endswith("_date")]
    parsed = {c: pd.to_datetime(pr[c].replace("", None)) for c in dates}
    pr = pr.loc[parsed["registered_date"] <= end]
    for c in dates:
        if c != "planned_completion_date":
            pr.loc[parsed[c].reindex(pr.index) > end, c] = ""
    pr.loc[pr["start_date"] == "", "planned_completion_date"] = ""
    pr.to_csv(dst / "projects.csv", index=False)
    pg = pd.read_csv(src / "progress.csv", dtype=str, keep_default_na=False)
    period = pg["period"].map(lambda s: pd.Period(s, "Q-DEC" if "Q" in s else "M").end_time.normalize())
    pg = pg.loc[(period <= end) & pg["project_id"].isin(pr["project_id"])]
    pg.to_csv(dst / "progress.csv", index=False)
    if (src / "plan.csv").exists():
        pl = pd.read_csv(src / "plan.csv", dtype=str, keep_default_na=False)
        pl.loc[pl["project_id"].isin(pr["project_id"])].to_csv(dst / "plan.csv", index=False)


def test_no_leakage_full_ledger_as_of_equals_physically_cut_ledger(tmp_path: Path) -> None:
    from forecast.ledger import load, save

    save(sample_ledger(), tmp_path / "full")
    _physical_cut(tmp_path / "full", tmp_path / "cut", AS_OF)
    full = load(tmp_path / "full")
    cut = load(tmp_path / "cut")
    assert cut.last_quarter == pd.Period(AS_OF, "Q-DEC")  # the cut really ends there
    # each fitted on its own ledger, as forecast_table does without models (calibrated quickly)
    a = forecast_table(full, AS_OF, horizon=4, draws=100, seed=3, models=quick_modelset().fit(full, AS_OF))
    b = forecast_table(cut, AS_OF, horizon=4, draws=100, seed=3, models=quick_modelset().fit(cut, AS_OF))
    pd.testing.assert_frame_equal(a, b)


def test_real_models_produce_a_sensible_table() -> None:
    led = sample_ledger()
    zf = forecast_zones(led, SAMPLE_AS_OF, horizon=4, draws=200, seed=1, models=sample_models())
    assert set(zf) == set(led.zone_ids)
    for f in zf.values():
        t = f.table
        assert (t[["mean", *QUANTILE_COLUMNS]].to_numpy() >= 0).all()
        inv = f.metric("investment")["mean"]
        new = f.metric("new_investment")["mean"]
        assert (inv >= new).all() and (inv > 0).all()
        assert set(f.targets.columns) >= {"p_meet", "rate_expected"}
        assert len(f.history) > 0 and f.history["quarter"].max() == pd.Period(SAMPLE_AS_OF, "Q-DEC")


# --- the arrivals model (new projects) -----------------------------------------------------
def _flow_ledger(rate: float, seed: int):  # noqa: ANN202
    """Registrations of one zone and category as a Poisson flow of known rate."""
    from forecast.ledger.ledger import Ledger

    led = tiny_ledger(n_zones=1, per_zone=1)
    rng = np.random.default_rng(seed)
    rows = []
    for q in pd.period_range("2015Q1", "2023Q4", freq="Q-DEC"):
        for k in range(rng.poisson(rate)):
            day = q.start_time + pd.Timedelta(days=int(rng.integers(0, 90)))
            rows.append({**led.projects.iloc[0].to_dict(), "project_id": f"{q}-{k}",
                         "registered_date": day, "signed_date": pd.NaT, "start_date": pd.NaT,
                         "planned_completion_date": pd.NaT, "completion_date": pd.NaT,
                         "production_date": pd.NaT, "category": "industrial"})
    return Ledger(zones=led.zones, projects=pd.DataFrame(rows), progress=led.progress.iloc[:0],
                  targets=led.targets)


def test_arrival_rate_interval_covers_the_true_rate() -> None:
    from forecast.models.arrivals import ArrivalsModel

    hits = []
    for seed in range(30):  # a 90% interval should hold the truth about 27 times in 30
        m = ArrivalsModel().fit(_flow_ledger(6.0, seed), AS_OF)
        s = m.summary().set_index(["what", "zone_id", "category"])
        row = s.loc[("arrivals_per_quarter", "Z0", "industrial")]
        hits.append(row["lo"] <= 6.0 <= row["hi"])
        assert s.loc[("arrivals_per_quarter", "Z0", "services"), "estimate"] < 0.1  # none seen
    assert 0.75 <= np.mean(hits) <= 1.0


def test_sampled_arrivals_follow_the_fitted_rate() -> None:
    from forecast.models.arrivals import ArrivalsModel

    m = ArrivalsModel().fit(_flow_ledger(6.0, 4), AS_OF)
    new = m.sample("Z0", 4, 4000, np.random.default_rng(0))
    per_q = new["arrivals"].mean()
    rate = m.rates_.loc[("Z0", "industrial")]
    # industrial at its fitted rate, five unseen categories at the prior's
    assert per_q == pytest.approx((rate["shape"] + 5 * m.prior_shape) / rate["rate"], rel=0.05)
    # none of these projects ever starts: the resampled trajectories carry no starts
    assert new["projects_started"].sum() == 0 and new["investment"].sum() == 0
    with pytest.raises(ForecastError, match="at most 16"):
        m.sample("Z0", 17, 10, np.random.default_rng(0))


# --- the ModelSet file ---------------------------------------------------------------------
def test_modelset_save_load_round_trip(tiny, tmp_path: Path) -> None:
    from forecast.models import ModelSet

    led, ms = tiny
    path = ms.save(tmp_path / "sub" / "models.pkl")
    assert [p.name for p in path.parent.iterdir()] == ["models.pkl"]  # no temporary left
    back = ModelSet.load(path)
    assert back.as_of_ == ms.as_of_
    a = forecast_table(led, AS_OF, horizon=2, draws=40, models=ms)
    b = forecast_table(led, AS_OF, horizon=2, draws=40, models=back)
    pd.testing.assert_frame_equal(a, b)
    s = back.summary()
    assert {"completion", "spend", "output", "arrivals"} <= set(s["model"])


def test_modelset_load_refuses_other_files(tmp_path: Path) -> None:
    import pickle

    from forecast.models import ModelSet

    with pytest.raises(ForecastError, match="No model set"):
        ModelSet.load(tmp_path / "missing.pkl")
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle")
    with pytest.raises(ForecastError, match="not a model set"):
        ModelSet.load(tmp_path / "junk.pkl")
    (tmp_path / "old.pkl").write_bytes(pickle.dumps({"format": 0, "modelset": None}))
    with pytest.raises(ForecastError, match="format 0"):
        ModelSet.load(tmp_path / "old.pkl")


def test_unfitted_modelset_cannot_be_saved(tmp_path: Path) -> None:
    from forecast.exceptions import NotFittedError
    from forecast.models import ModelSet

    with pytest.raises(NotFittedError, match="call fit first"):
        ModelSet().save(tmp_path / "m.pkl")


def test_real_models_zone_numbers_do_not_depend_on_other_zones() -> None:
    # the models keep per-cut arrays for every project (models/_cutcache.py) and
    # draw a zone's entries in one pass: a zone's numbers must still come from
    # its own seed and its own projects only, alone, with others, or forked
    led = sample_ledger()
    ms = sample_models()
    z = led.zone_ids[1]
    args = dict(horizon=4, draws=200, seed=5, models=ms, detail=False)
    alone = forecast_zones(led, SAMPLE_AS_OF, zones=[z], **args)[z].table
    together = forecast_zones(led, SAMPLE_AS_OF, **args)[z].table
    forked = forecast_zones(led, SAMPLE_AS_OF, workers=2, **args)[z].table
    view = forecast_zones(led.as_of(SAMPLE_AS_OF).zone(z), SAMPLE_AS_OF, **args)[z].table
    pd.testing.assert_frame_equal(alone, together)
    pd.testing.assert_frame_equal(alone, forked)
    pd.testing.assert_frame_equal(alone, view)


class _Warns(StubSpend):
    """Fits like the stub, with a warning (relayed from a worker to the caller)."""

    def fit(self, ledger, as_of):  # noqa: ANN001, ANN201
        import warnings

        warnings.warn("stub spend saw something", UserWarning, stacklevel=2)
        return super().fit(ledger, as_of)


class _Unpicklable(StubSpend):
    """A fitted model that cannot be pickled: fitted again in the caller."""

    def fit(self, ledger, as_of):  # noqa: ANN001, ANN201
        self.hook = lambda x: x
        return super().fit(ledger, as_of)


class _Fails(StubOutput):
    def fit(self, ledger, as_of):  # noqa: ANN001, ANN201
        raise ForecastError("stub output cannot be fitted")


def test_modelset_fitted_in_workers_is_the_same() -> None:
    led = sample_ledger()
    one = quick_modelset(fit_indicators=False).fit(led, AS_OF)
    two = quick_modelset(fit_indicators=False).fit(led, AS_OF, workers=2)
    for role in ("completion", "spend", "output", "arrivals"):
        pd.testing.assert_frame_equal(getattr(one, role + "_").summary(), getattr(two, role + "_").summary())
    assert two.calibration_.active_  # fitted in the pool beside the models
    pd.testing.assert_frame_equal(one.calibration_.summary(), two.calibration_.summary())
    zones = led.zone_ids[:2]
    pd.testing.assert_frame_equal(forecast_table(led, AS_OF, 4, 200, 3, models=one, zones=zones),
                                  forecast_table(led, AS_OF, 4, 200, 3, models=two, zones=zones))


def test_modelset_workers_relay_warnings_and_raise_errors(tiny) -> None:
    from forecast.models import ModelSet

    led, _ = tiny
    with pytest.warns(UserWarning, match="stub spend saw something"):
        ms = ModelSet(StubCompletion(), _Warns(), StubOutput()).fit(led, AS_OF, workers=2)
    assert isinstance(ms.spend_, _Warns) and ms.spend_.as_of_ == quarter(AS_OF)
    with pytest.raises(ForecastError, match="stub output cannot be fitted"):
        ModelSet(StubCompletion(), StubSpend(), _Fails()).fit(led, AS_OF, workers=2)
    ms = ModelSet(StubCompletion(), _Unpicklable(), StubOutput()).fit(led, AS_OF, workers=2)
    assert isinstance(ms.spend_, _Unpicklable) and ms.spend_.hook(3) == 3
