"""Roll-ups: group totals from the zones' joint draws (forecast.rollup)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from _forecast_fixtures import SAMPLE_AS_OF, sample_ledger, sample_models
from forecast import rollup
from forecast.exceptions import ForecastError
from forecast.vocab import FORECAST_COLUMNS, METRICS

H, DRAWS = 3, 400
QCOLS = ["mean", "p05", "p10", "p25", "p50", "p75", "p90", "p95"]


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return rollup.rollup_table(sample_ledger(), SAMPLE_AS_OF, H, DRAWS, 3, models=sample_models())


def _rows(t: pd.DataFrame, level: str, name: str | None = None) -> pd.DataFrame:
    r = t.loc[t["level"] == level]
    if name is not None:
        r = r.loc[r["zone_id"] == name]
    return r.set_index(["zone_id", "period", "metric"]).sort_index()


def test_levels_and_columns(table: pd.DataFrame) -> None:
    led = sample_ledger()
    assert list(table.columns) == ["level", *FORECAST_COLUMNS]
    n = 2 * len(METRICS) * H  # totals and new_ allowance, per quarter
    cities, provinces = led.zones["city"].nunique(), led.zones["province"].nunique()
    assert table["level"].value_counts().to_dict() == {
        "zone": len(led.zone_ids) * n, "city": cities * n, "province": provinces * n, "all": n}
    assert set(table.loc[table["level"] == "province", "zone_id"]) == set(led.zones["province"])
    assert set(table.loc[table["level"] == "all", "zone_id"]) == {rollup.ALL_NAME}


def test_zone_rows_are_the_plain_table(table: pd.DataFrame) -> None:
    from forecast.simulate import forecast_table

    plain = forecast_table(sample_ledger(), SAMPLE_AS_OF, H, DRAWS, 3, models=sample_models())
    zones = table.loc[table["level"] == "zone"].drop(columns="level").reset_index(drop=True)
    pd.testing.assert_frame_equal(zones, plain)


def test_group_mean_is_the_sum_of_its_zones_means(table: pd.DataFrame) -> None:
    zones = _rows(table, "zone")["mean"].groupby(["period", "metric"]).sum()
    total = _rows(table, "all", rollup.ALL_NAME)["mean"].droplevel("zone_id")
    n = len(sample_ledger().zone_ids)
    # each figure is rounded to 1e-4; the sums are exact in fixed point
    np.testing.assert_allclose(total.loc[zones.index], zones, rtol=0, atol=n * 1e-4)
    assert (zones.loc[(slice(None), "investment")] > 0).all()


def test_group_interval_lies_strictly_inside_the_summed_zone_intervals(table: pd.DataFrame) -> None:
    zones = _rows(table, "zone")
    total = _rows(table, "all", rollup.ALL_NAME).droplevel("zone_id")
    summed = zones[["p10", "p90"]].groupby(["period", "metric"]).sum()
    # independent zones with spread: money totals are continuous
    money = [(p, m) for p, m in summed.index if m in ("investment", "output_value")]
    assert len(money) == 2 * H
    spread = zones["p90"] - zones["p10"]
    assert (spread.loc[(slice(None), slice(None), ["investment", "output_value"])] > 0).all()
    assert (total.loc[money, "p10"] > summed.loc[money, "p10"]).all()
    assert (total.loc[money, "p90"] < summed.loc[money, "p90"]).all()
    # and the interval is still an interval around the mean
    assert (total.loc[money, "p10"] < total.loc[money, "mean"]).all()
    assert (total.loc[money, "mean"] < total.loc[money, "p90"]).all()


def test_a_one_zone_group_equals_its_zone(table: pd.DataFrame) -> None:
    zones = sample_ledger().zones
    assert zones["city"].is_unique  # every city of the sample holds one zone
    for zone_id, city in zip(zones["zone_id"], zones["city"]):
        z = _rows(table, "zone", zone_id).droplevel("zone_id")[QCOLS]
        c = _rows(table, "city", city).droplevel("zone_id")[QCOLS]
        # the group's draws are kept to 1e-4 (the table's own precision)
        np.testing.assert_allclose(c.to_numpy(), z.loc[c.index].to_numpy(), rtol=0, atol=2e-4)


def test_a_group_does_not_depend_on_the_other_zones(table: pd.DataFrame) -> None:
    led = sample_ledger()
    some = list(led.zone_ids[:2])
    part = rollup.rollup_table(led, SAMPLE_AS_OF, H, DRAWS, 3, models=sample_models(), zones=some,
                               levels="city")
    city = led.zones.set_index("zone_id").at[some[0], "city"]
    pd.testing.assert_frame_equal(_rows(part, "city", city), _rows(table, "city", city))


def test_a_pool_gives_the_same_table(table: pd.DataFrame) -> None:
    pooled = rollup.rollup_table(sample_ledger(), SAMPLE_AS_OF, H, DRAWS, 3, models=sample_models(),
                                 workers=2)
    assert pooled.to_csv(index=False) == table.to_csv(index=False)


def test_sums_are_exact_in_any_order() -> None:
    rng = np.random.default_rng(0)
    draws = {z: {"investment": rng.gamma(2.0, 1e4, (50, 2))} for z in "abcd"}
    groups = {z: (("all", "all"),) for z in draws}
    one, two = rollup.GroupSums(groups), rollup.GroupSums(groups)
    for z in "abcd":
        one.add(z, draws[z])
    left, right = two.empty(), two.empty()
    for z in "db":
        left.add(z, draws[z])
    for z in "ca":
        right.add(z, draws[z])
    two.merge(right)
    two.merge(left)
    key = ("all", "all")
    assert np.array_equal(one.sums[key]["investment"], two.sums[key]["investment"])
    np.testing.assert_allclose(one.samples(key)["investment"], sum(d["investment"] for d in draws.values()),
                               rtol=0, atol=4 * 1e-4)
    assert sorted(two.members[key]) == list("abcd")


def test_zone_groups_split_a_city_name_shared_by_two_provinces() -> None:
    zones = pd.DataFrame({"zone_id": ["a", "b", "c", "d"], "province": ["P1", "P2", "P2", "P2"],
                          "city": ["朝阳", "朝阳", "X", None]})
    g = rollup.zone_groups(zones, ["a", "b", "c", "d"], ["city", "province"])
    assert g["a"] == (("city", "P1/朝阳"), ("province", "P1"))
    assert g["b"] == (("city", "P2/朝阳"), ("province", "P2"))
    assert g["c"] == (("city", "X"), ("province", "P2"))
    assert g["d"] == (("province", "P2"),)  # no city: in no city's total


def test_levels_are_checked() -> None:
    with pytest.raises(ForecastError, match="county"):
        rollup.parse_levels("province,county")
    with pytest.raises(ForecastError, match="'city' column"):
        rollup.zone_groups(pd.DataFrame({"zone_id": ["a"]}), ["a"], ["city"])


def test_group_target_is_the_sum_only_when_every_zone_has_one() -> None:
    t = pd.DataFrame({"zone_id": ["a", "b", "a", "a", "b"], "year": [2024, 2024, 2024, 2025, 2025],
                      "metric": ["investment", "investment", "projects_started", "investment", "investment"],
                      "value": [100.0, 50.0, 3.0, 10.0, 20.0]})
    g = rollup.group_targets(t, ["a", "b"], "P")
    assert g.sort_values("year")[["year", "metric", "value"]].values.tolist() == [
        [2024, "investment", 150.0], [2025, "investment", 30.0]]  # b has no start target
    given = pd.DataFrame({"zone_id": ["P"], "year": [2024], "metric": ["investment"], "value": [999.0]})
    assert rollup.group_targets(t, ["a", "b"], "P", given)["value"].tolist() == [999.0]


def test_group_targets_probabilities_come_from_the_group_draws() -> None:
    led, models = sample_ledger(), sample_models()
    fc, groups = rollup.forecast_groups(led, SAMPLE_AS_OF, 2, 300, 1, models=models, levels="province")
    (key, g), = groups.items()
    assert key == ("province", led.zones["province"].iloc[0]) and g.members == list(led.zone_ids)
    inv = g.targets.set_index("metric").loc["investment"]
    zone_targets = sum(f.targets.set_index("metric").at["investment", "target"] for f in fc.values())
    assert inv["target"] == pytest.approx(zone_targets)
    assert inv["actual_to_date"] == pytest.approx(sum(
        f.targets.set_index("metric").at["investment", "actual_to_date"] for f in fc.values()))
    year_total = g.samples["investment"].sum(axis=1) + inv["actual_to_date"]
    assert inv["p_meet"] == pytest.approx(np.mean(year_total >= inv["target"]))
    assert inv["rate_expected"] == pytest.approx(year_total.mean() / inv["target"])


def test_predict_rollup_option(tmp_path) -> None:  # noqa: ANN001
    from forecast.cli import forecast_cmds, main

    led = sample_ledger()
    ms = sample_models().save(tmp_path / "ms.pkl")
    out = tmp_path / "fc.csv"
    mp = pytest.MonkeyPatch()
    mp.setattr(forecast_cmds, "_load", lambda path: led)
    try:
        res = CliRunner().invoke(main, ["predict", str(tmp_path), "--as-of", SAMPLE_AS_OF, "--horizon", "2",
                                        "--out", str(out), "--draws", "50", "--models", str(ms),
                                        "--rollup", "all,province"])
        bad = CliRunner().invoke(main, ["predict", str(tmp_path), "--as-of", SAMPLE_AS_OF, "--out",
                                        str(out), "--rollup", "town"])
    finally:
        mp.undo()
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out)
    assert list(t.columns) == ["level", *FORECAST_COLUMNS]
    assert list(dict.fromkeys(t["level"])) == ["zone", "province", "all"]
    assert bad.exit_code == 2 and "town" in bad.output


def test_a_province_is_summed_only_when_all_its_zones_run() -> None:
    zones = pd.DataFrame({"zone_id": ["a", "b", "c"], "province": ["P", "P", "Q"], "city": ["x", "y", "z"]})
    g = rollup.zone_groups(zones, ["a", "c"], "city,province,all")
    # P's total would miss b: no P row, though a's city and Q are whole
    assert g == {"a": (("city", "x"), ("all", "all")), "c": (("city", "z"), ("province", "Q"), ("all", "all"))}
