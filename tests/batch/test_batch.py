"""run_batch: every zone rendered, failures isolated, reruns resume, index escaped."""

from __future__ import annotations

import base64
import csv
import json
import re
from pathlib import Path

import nbformat
import pytest

from forecast.exceptions import ForecastError, ReportError
from forecast.publish.batch import BatchResult, JobResult, run_batch, stem_for
from forecast.publish.headline import MIME_TYPE
from forecast.publish.index import render_index
from forecast.publish.rendering import _headline_and_charts
from forecast.run.fit import fit_models as _fit_models
from forecast.run.fit import fork_call as _fork_call

LEDGER = Path(__file__).parent / "data" / "ledger"
BROKEN = Path(__file__).parents[1] / "report" / "notebooks" / "broken_report.ipynb"


def _kernel_pid(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    return re.search(r"in kernel (\d+)", text).group(1)


def _batch(tmp_path, notebook_path, **kw):
    kw.setdefault("langs", ("zh", "en"))
    return run_batch(LEDGER, "2023Q3", tmp_path / "out", workers=2, notebook=notebook_path("good"),
                     fit_models=False, code_version="test", timeout=120, **kw)


def test_failure_is_isolated_and_a_rerun_renders_only_the_failed_zone(tmp_path, notebook_path, monkeypatch):
    monkeypatch.setenv("FORECAST_TEST_FAIL_ZONES", "Z2")
    first = _batch(tmp_path, notebook_path)
    out = first.out
    assert (first.count("ok"), first.count("failed"), first.count("skipped")) == (4, 2, 0)
    assert not first.ok
    assert {r.stem for r in first.failed} == {"Z2.zh", "Z2.en"}
    assert "zone Z2 was told to fail" in first.failed[0].error
    for stem in ("Z1.zh", "Z1.en", "Z3.zh", "Z3.en"):
        assert (out / f"{stem}.html").is_file()
        assert json.loads((out / "_data" / f"{stem}.json").read_text())["zone_id"] == stem[:2]
        assert (out / "_notebooks" / f"{stem}.ipynb").is_file()
    failed_nb = nbformat.read(out / "Z2.zh.failed.ipynb", as_version=4)
    assert failed_nb.metadata.papermill["exception"] is True
    assert not (out / "Z2.zh.html").exists()
    index = first.index_path.read_text(encoding="utf-8")
    assert "zone Z2 was told to fail" in index and "Z2.zh.failed.ipynb" in index
    rows = list(csv.DictReader(first.summary_path.open(encoding="utf-8-sig")))
    assert len(rows) == 6 and {r["status"] for r in rows} == {"ok", "failed"}
    assert [r["investment_next_yi"] for r in rows if r["zone_id"] == "Z1"] == ["12.5", "12.5"]
    kept = (out / "Z1.zh.html").stat().st_mtime_ns
    # A zone's languages ran one after the other in the same kernel.
    for zone in ("Z1", "Z3"):
        pids = {_kernel_pid(out / "_notebooks" / f"{zone}.{lang}.ipynb") for lang in ("zh", "en")}
        assert len(pids) == 1

    monkeypatch.delenv("FORECAST_TEST_FAIL_ZONES")
    second = _batch(tmp_path, notebook_path)
    assert second.ok
    assert {r.stem for r in second.results if r.status == "ok"} == {"Z2.zh", "Z2.en"}
    assert second.count("skipped") == 4
    assert (out / "Z1.zh.html").stat().st_mtime_ns == kept
    assert (out / "Z2.en.html").is_file() and not (out / "Z2.en.failed.ipynb").exists()
    assert "failed" not in {r["status"] for r in csv.DictReader(second.summary_path.open(encoding="utf-8-sig"))}

    forced = _batch(tmp_path, notebook_path, force=True, zones=["Z1"])
    assert forced.count("ok") == 2 and forced.count("skipped") == 0
    assert (out / "Z1.zh.html").stat().st_mtime_ns != kept


def test_changed_inputs_make_a_report_stale(tmp_path, notebook_path):
    one = _batch(tmp_path, notebook_path, langs=("zh",), zones=["Z3"])
    same = _batch(tmp_path, notebook_path, langs=("zh",), zones=["Z3"])
    other = _batch(tmp_path, notebook_path, langs=("zh",), zones=["Z3"], seed=7)
    assert (one.count("ok"), same.count("skipped"), other.count("ok")) == (1, 1, 1)
    # One language: no suffix.
    assert (one.out / "Z3.html").is_file()
    page = one.index_path.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;" in page


@pytest.mark.parametrize("zone_id", ["../etc", "a/b", "", "x" * 65, "中文", "a b", None])
def test_unsafe_zone_ids_never_become_paths(zone_id):
    with pytest.raises(ForecastError, match="zone_id must match"):
        stem_for(zone_id, "zh", ("zh",))


def test_stem_has_a_language_suffix_only_with_several_languages():
    assert stem_for("Z1", "zh", ("zh",)) == "Z1"
    assert stem_for("Z1", "en", ("zh", "en")) == "Z1.en"
    with pytest.raises(ForecastError, match="language"):
        stem_for("Z1", "../x", ("zh", "../x"))


def _png(n: int) -> str:
    return base64.b64encode(b"\x89PNG fake " + bytes([n])).decode()


def test_headline_is_taken_out_and_key_charts_preferred():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("a", outputs=[nbformat.v4.new_output("display_data", data={"image/png": _png(0)})]),
        nbformat.v4.new_code_cell("b", outputs=[nbformat.v4.new_output("display_data", data={"image/png": _png(1)})]),
        nbformat.v4.new_code_cell("c", outputs=[nbformat.v4.new_output("display_data", data={MIME_TYPE: {"zone_id": "Z1"}})]),
    ])
    nb.cells[1].metadata["tags"] = ["key-chart"]
    headline, charts = _headline_and_charts(nb)
    assert headline == {"zone_id": "Z1"}
    assert charts == [b"\x89PNG fake \x01", b"\x89PNG fake \x00"]
    assert nb.cells[2].outputs == []


def test_index_escapes_names_and_errors(tmp_path):
    res = BatchResult(out=tmp_path, as_of="2025Q3", langs=("zh",), results=[
        JobResult("Z1", "<img src=x onerror=alert(1)>", "zh", "Z1", "ok",
                  headline={"figures": [{"key": "k", "label": "<i>L</i>", "text": "<b>9</b>"}],
                            "targets": [{"label": "T&T", "p_meet": 0.5}]}),
        JobResult("Z2", "Z2", "zh", "Z2", "failed", error="ValueError: <bad> & worse"),
    ])
    page = render_index(res)
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;b&gt;9&lt;/b&gt;" in page and "&lt;i&gt;L&lt;/i&gt;" in page and "T&amp;T: 50%" in page
    assert "ValueError: &lt;bad&gt; &amp; worse" in page


def test_index_rows_are_labelled_cards_on_a_phone(tmp_path):
    """Every cell carries its column's heading (escaped) for the phone card layout."""
    import re

    res = BatchResult(out=tmp_path, as_of="2025Q3", langs=("zh",), results=[
        JobResult("Z1", "甲", "zh", "Z1", "ok",
                  headline={"figures": [{"key": "k", "label": '投资 "<x>"', "text": "9"}], "targets": []}),
    ], provinces=[JobResult("四川", "四川", "zh", "province-sc", "ok",
                            headline={"figures": [{"key": "k", "label": '投资 "<x>"', "text": "90"}]})])
    page = render_index(res)
    rows = re.findall(r"<tr class=\"ok\">(.*?)</tr>", page)
    assert len(rows) == 2  # the province card and the zone card
    for row in rows:
        labels = re.findall(r'<td data-label="([^"]*)"', row)
        assert len(labels) == row.count("<td") == 5
        assert labels[2] == "投资 &quot;&lt;x&gt;&quot;"
    assert "@media (max-width:640px)" in page and "content:attr(data-label)" in page


def test_run_batch_works_inside_a_running_event_loop(tmp_path, notebook_path):
    # Economists call run_batch from JupyterLab, where an event loop is already running.
    import asyncio

    async def inside():
        return _batch(tmp_path, notebook_path, langs=("en",), zones=["Z1"])

    res = asyncio.run(inside())
    assert res.count("ok") == 1 and (res.out / "Z1.html").is_file()


def test_batch_and_report_name_the_same_failing_cell(tmp_path):
    from forecast.publish.notebook import render_report

    res = run_batch(LEDGER, "2023Q3", tmp_path / "out", workers=1, notebook=BROKEN, zones=["Z1"],
                    langs=("zh",), fit_models=False, code_version="test", timeout=120)
    (failed,) = res.failed
    batch_cell = int(re.search(r"\(cell (\d+)\)$", failed.error).group(1))
    with pytest.raises(ReportError) as err:
        render_report("", "Z1", "2023Q3", tmp_path / "r.html", notebook=BROKEN)
    # Cell 2 of the file raises; the executed notebook has papermill's injected cell before it.
    assert batch_cell == err.value.cell_index == 2
    assert "ValueError: section lost for Z1" in failed.error


def _boom(zone):
    raise ValueError(f"no fit for {zone}")


def test_forked_helper_hands_back_its_error():
    with pytest.raises(ForecastError, match="ValueError: no fit for Z9"):
        _fork_call(_boom, "Z9").result()
    _fork_call(len, "ok").result()


def test_model_set_is_fitted_beside_the_backtest(tmp_path):
    import pandas as pd

    from forecast.models.modelset import ModelSet
    from forecast.run import track
    from forecast.sample import generate

    # No ended year: the sweep keeps only the quarters after 2024 (two fits, not fourteen)
    ledger = generate(zones=2, seed=11, start_year=2019, end_year=2025)
    path = tmp_path / "_models.pkl"
    _fit_models(ledger, pd.Period("2025Q2", "Q-DEC"), path, seed=0, backtest=True, zones=None, workers=2,
                track_years=0)
    assert str(ModelSet.load(path).as_of_) == "2025Q2"
    forecasts = pd.read_csv(tmp_path / "backtest" / "forecasts.csv", dtype=str)
    assert set(forecasts["origin"]) == {"2024Q4", "2025Q1"}
    assert set(forecasts["zone_id"]) == set(ledger.zone_ids)
    # the track record's target chances sit beside it (none scored: 2025 has not ended)
    probs = pd.read_csv(tmp_path / "backtest" / "probabilities.csv")
    assert list(probs.columns) == list(track.PROBABILITY_COLUMNS) and len(probs) == 0


def test_too_short_a_ledger_fits_without_a_track_record(tmp_path):
    """Two years of ledger: no quarter has three years behind it, so no track record
    is saved (each report says so) and the model set is still fitted."""
    import pandas as pd

    from forecast.models.modelset import ModelSet
    from forecast.sample import generate

    ledger = generate(zones=2, seed=11, start_year=2024, end_year=2025)
    path = tmp_path / "_models.pkl"
    _fit_models(ledger, pd.Period("2025Q2", "Q-DEC"), path, seed=0, backtest=True, zones=None, workers=1)
    assert str(ModelSet.load(path).as_of_) == "2025Q2"
    assert not (tmp_path / "backtest").exists()


def test_track_years_reaches_the_fit_and_a_change_refits(tmp_path, notebook_path, monkeypatch):
    """--track-years is part of what the model set and the reports were made from:
    the same value reuses them, another fits and renders again."""
    import forecast.run.fit
    from forecast.run.track import TRACK_YEARS

    calls, rendered = [], []

    def fit(cut, as_of, path, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(kw["track_years"])
        path.write_bytes(b"models")

    monkeypatch.setattr(forecast.run.fit, "fit_models", fit)
    for years, force in ((None, False), (2, False), (2, True), (2, False), (TRACK_YEARS, False)):
        res = run_batch(LEDGER, "2023Q3", tmp_path / "out", workers=1, notebook=notebook_path("good"),
                        code_version="test", timeout=120, zones=["Z1"], langs=("zh",), track_years=years,
                        force=force)
        rendered.append(res.count("ok"))
    # every year -> 2 (another key) -> forced -> reused -> the default (another key)
    assert calls == [None, 2, 2, TRACK_YEARS] and rendered == [1, 1, 1, 0, 1]
