"""The province report: its data from the joint draws, its sections, the
command, and its pages in the batch with the province totals on the index."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from _forecast_fixtures import SAMPLE_AS_OF, sample_ledger, sample_models
from forecast.exceptions import ForecastError
from forecast.report import province as sections
from forecast.run.province import load_province_data, province_stem, provinces
from forecast.vocab import ZONE_ID_PATTERN

HERE = Path(__file__).parent
H, DRAWS = 2, 150


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The sample ledger on disk with one hostile province name, and its saved models."""
    from forecast.ledger import save

    folder = tmp_path_factory.mktemp("province")
    led = sample_ledger()
    save(led, folder / "ledger")
    zones = pd.read_csv(folder / "ledger" / "zones.csv", dtype=str)
    zones.loc[zones.index[-1], "province"] = "<b>江</b>苏&省"  # the last zone alone, a name that is data
    zones.to_csv(folder / "ledger" / "zones.csv", index=False)
    return folder / "ledger", sample_models().save(folder / "ms.pkl")


@pytest.fixture(scope="module")
def sichuan(saved: tuple[Path, Path]) -> sections.ProvinceData:
    ledger, ms = saved
    return load_province_data(str(ledger), "四川省", SAMPLE_AS_OF, horizon=H, draws=DRAWS, seed=2,
                              modelset_path=str(ms))


def test_the_total_is_summed_from_its_zones(sichuan: sections.ProvinceData) -> None:
    from forecast.simulate import forecast_table

    members = sichuan.total.members
    assert len(members) == len(sample_ledger().zone_ids) - 1 and len(sichuan.zones) == len(members)
    zones = forecast_table(sample_ledger(), SAMPLE_AS_OF, H, DRAWS, 2, models=sample_models(), zones=members)
    inv = zones.loc[zones["metric"] == "investment"].groupby("period")[["mean", "p10", "p90"]].sum()
    tot = sichuan.total.table.loc[sichuan.total.table["metric"] == "investment"].set_index("period")
    np.testing.assert_allclose(tot.loc[inv.index, "mean"], inv["mean"], rtol=0, atol=len(members) * 1e-4)
    assert (tot.loc[inv.index, "p10"] > inv["p10"]).all() and (tot.loc[inv.index, "p90"] < inv["p90"]).all()


def test_zones_ranked_by_their_chance_of_meeting_the_target(sichuan: sections.ProvinceData) -> None:
    z = sichuan.zones
    assert z["p_meet"].notna().all()
    assert list(z["p_meet"]) == sorted(z["p_meet"], reverse=True)
    row = sichuan.total.targets.set_index("metric").loc["investment"]
    assert row["target"] == pytest.approx(z["target"].sum())  # the province target: its zones' sum


def test_the_page_shows_total_rates_ranking_and_board(sichuan: sections.ProvinceData) -> None:
    html = sections.page(sichuan)
    for title in ("经开区投资预测汇总", "全省目标完成率预测", "各园区完成目标的可能性", "红榜", "黑榜"):
        assert title in html
    best, worst = sichuan.zones.sort_values("rate_p50")["zone_name"].iloc[[-1, 0]]
    red, black = html.split("<h3>红榜</h3>")[1].split("<h3>黑榜</h3>")
    assert best in red and worst in black and worst not in red
    assert html.count("<img") == 1  # the fan chart


def test_a_one_zone_province_and_a_hostile_name(saved: tuple[Path, Path]) -> None:
    ledger, ms = saved
    name = "<b>江</b>苏&省"
    d = load_province_data(str(ledger), name, SAMPLE_AS_OF, horizon=H, draws=DRAWS, seed=2, modelset_path=str(ms),
                           lang="en")
    (zone,) = d.total.members
    html = sections.page(d)
    assert "<b>江</b>" not in html and "&lt;b&gt;江&lt;/b&gt;苏&amp;省" in html
    assert "No zone has an investment target" in html  # one zone: nothing to rank against
    from forecast.simulate import forecast_table

    t = forecast_table(sample_ledger(), SAMPLE_AS_OF, H, DRAWS, 2, models=sample_models(), zones=[zone])
    cols = ["mean", "p10", "p50", "p90"]
    np.testing.assert_allclose(d.total.table[cols].to_numpy(), t[cols].to_numpy(), rtol=0, atol=2e-4)


def test_an_unknown_province_names_the_known_ones(saved: tuple[Path, Path]) -> None:
    with pytest.raises(ForecastError, match="四川省"):
        load_province_data(str(saved[0]), "湖北省", SAMPLE_AS_OF, horizon=H, draws=DRAWS,
                           modelset_path=str(saved[1]))


def test_province_stems_are_safe_file_names() -> None:
    for name in ("四川省", "../../etc", "<script>", "a b"):
        assert re.match(ZONE_ID_PATTERN, province_stem(name))
    assert province_stem("四川省") != province_stem("四川")
    assert provinces(pd.DataFrame({"zone_id": ["a", "b", "c"], "province": ["X", None, " X "]})) == ["X"]


@pytest.mark.slow
def test_report_command_renders_a_province(saved: tuple[Path, Path], tmp_path: Path) -> None:
    from forecast.cli import main

    ledger, ms = saved
    out = tmp_path / "p.html"
    r = CliRunner().invoke(main, ["report", str(ledger), "--province", "四川省", "--as-of", SAMPLE_AS_OF,
                                  "--horizon", "2", "--draws", "100", "--models", str(ms), "--out", str(out)])
    assert r.exit_code == 0, r.output
    page = out.read_text(encoding="utf-8")
    assert "四川省" in page and "红榜" in page and "<script" not in page.split("</head>")[1]
    both = CliRunner().invoke(main, ["report", str(ledger), "--province", "四川省", "--zone", "x", "--as-of",
                                     SAMPLE_AS_OF, "--out", str(out)])
    assert both.exit_code == 2 and "either --zone or --province" in both.output
    unknown = CliRunner().invoke(main, ["report", str(ledger), "--province", "湖北省", "--as-of", SAMPLE_AS_OF,
                                        "--out", str(tmp_path / "q.html")])
    assert unknown.exit_code == 1 and "四川省" in unknown.output and not (tmp_path / "q.html").exists()


@pytest.mark.slow
def test_the_batch_renders_province_pages_and_indexes_their_totals(tmp_path: Path) -> None:
    from forecast.publish.batch import run_batch

    ledger = HERE / "batch" / "data" / "ledger"
    kw = {"notebook": HERE / "batch" / "notebooks" / "good.ipynb", "fit_models": True, "backtest": False,
          "provinces": True, "langs": ("zh", "en"), "code_version": "t", "draws": 100, "horizon": 2}
    res = run_batch(ledger, "2023Q3", tmp_path / "out", workers=2, **kw)
    stem = province_stem("四川")
    assert res.ok and {p.stem for p in res.provinces} == {f"{stem}.zh", f"{stem}.en"}
    assert all(p.status == "ok" for p in res.provinces)
    page = (res.out / f"{stem}.zh.html").read_text(encoding="utf-8")
    assert "四川 经开区投资预测汇总" in page
    index = res.index_path.read_text(encoding="utf-8")
    prov = index.split("省份合计 Province totals")[1].split("各园区 Zones")[0]
    assert f'href="{stem}.zh.html"' in prov and "亿元" in prov  # the total's headline figure
    again = run_batch(ledger, "2023Q3", tmp_path / "out", workers=2, **kw)
    assert [p.status for p in again.provinces] == ["skipped", "skipped"]
    # a batch of part of the province makes no province page
    part = run_batch(ledger, "2023Q3", tmp_path / "part", workers=2, zones=["Z1"], **kw)
    assert part.provinces == []


def test_zone_ranking_prints_the_medians_the_zone_reports_print() -> None:
    # A skewed year total: mean 27, median 24.9. The zone's own page prints the
    # median; the province table must print the same figure, not the mean.
    from types import SimpleNamespace

    def zone(p50: float, mean: float, target: float, p_meet: float) -> SimpleNamespace:
        tg = pd.DataFrame({"year": [2026], "metric": ["investment"], "target": [target], "expected": [mean],
                           "p50": [p50], "p_meet": [p_meet], "rate_expected": [mean / target]})
        return SimpleNamespace(zone_name=f"Z{p50}", targets=tg)

    fc = {"a": zone(249_000.0, 270_000.0, 308_000.0, 0.1), "b": zone(500.0, 480.0, 400.0, 0.9),
          "c": SimpleNamespace(zone_name="C", targets=pd.DataFrame(columns=["year", "metric"]))}
    r = sections.zone_ranking(fc, {"a": "A市"}, 2026).set_index("zone_id")
    assert list(r.index) == ["b", "a", "c"]  # by chance of meeting; no target last
    assert r.loc["a", "p50"] == 249_000.0 and r.loc["a", "rate_p50"] == pytest.approx(249 / 308)
    assert r.loc["a", "city"] == "A市" and np.isnan(r.loc["c", "p50"]) and np.isnan(r.loc["c", "rate_p50"])
    html = sections.zones(SimpleNamespace(zones=r.reset_index(), lang="en", year=2026)).html
    assert "24.9" in html and "27.0" not in html and "100m CNY" in html


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_province_tables_fit_a_phone(saved: tuple[Path, Path], chromium: Path, tmp_path: Path, lang: str) -> None:
    # The page's sections with the report's stylesheet, opened as a 390 px phone:
    # the zone ranking (7 columns, English headings) scrolled sideways before
    # the city moved under the zone's name.
    import sys

    sys.path.insert(0, str(HERE / "report"))
    from _cdp import PHONE, visit

    ledger, ms = saved
    d = load_province_data(str(ledger), "四川省", SAMPLE_AS_OF, horizon=H, draws=DRAWS, seed=2,
                           modelset_path=str(ms), lang=lang)
    css = (Path(sections.__file__).parent / "templates" / "forecast_report" / "static" / "report.css").read_text(
        encoding="utf-8")
    page = tmp_path / "province.html"
    page.write_text('<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" '
                    f'content="width=device-width, initial-scale=1"><style>{css}</style></head>'
                    f'<body class="fc-report"><main>{sections.page(d)}</main></body></html>', encoding="utf-8")
    m = visit(chromium, page.as_uri(), tmp_path / "profile").metrics
    assert m["innerWidth"] == PHONE["width"] and m["scrollWidth"] <= PHONE["width"]
    assert len(m["tables"]) == 4  # rates, zones, red list, black list
    wide = [t["head"] for t in m["tables"] if t["scrolls"]]
    assert not wide, f"tables that scroll sideways at 390 px: {wide}"
