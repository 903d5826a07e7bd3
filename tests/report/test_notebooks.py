"""Both notebooks run with papermill on a real kernel; a failing cell fails the run."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import papermill
import pytest

from _report_fixtures import AS_OF, ROOT
from forecast.exceptions import ReportError
from forecast.report.export import external_references
from forecast.report.labels import t
from forecast.publish.notebook import NOTEBOOK, check_notebook_parameters, render_report

#: docs/DESIGN.md, "Reports": the parameters of the report notebook, in order.
DESIGN_PARAMETERS = ["ledger_path", "zone_id", "as_of", "horizon", "lang", "draws", "seed",
                     "modelset_path"]
SECTIONS = ("batch", "bulletin", "pipeline", "investment", "events", "output", "risk", "board", "backtest",
            "quality", "method")
BROKEN = Path(__file__).parent / "notebooks" / "broken_report.ipynb"


def test_parameters_cell_is_the_design_contract() -> None:
    params = papermill.inspect_notebook(str(NOTEBOOK))
    assert list(params) == DESIGN_PARAMETERS
    types = {k: v["inferred_type_name"] for k, v in params.items()}
    assert types == {"ledger_path": "str", "zone_id": "str", "as_of": "str", "horizon": "int",
                     "lang": "str", "draws": "int", "seed": "int", "modelset_path": "str"}
    assert all(v["help"] for v in params.values())
    nb = nbformat.read(NOTEBOOK, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and len(tagged[0].source.splitlines()) == len(DESIGN_PARAMETERS)


def test_report_notebook_is_thin() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert len(code) <= 16
    # Every code cell is an import, the data call or one section call: no logic.
    assert all(len(src.splitlines()) <= 6 for src in code[1:])
    assert not any(re.search(r"\b(for|while|if|def|class)\b", src) for src in code[1:])


@pytest.mark.parametrize("params,match", [
    ({"zone": "Z01"}, r"unknown parameter\(s\) zone; the notebook takes ledger_path"),
    ({"zone_id": "Z01", "horizon": "8"}, r"parameter horizon must be int; got '8'"),
    ({"draws": True}, r"parameter draws must be int; got True"),
])
def test_unknown_or_mistyped_parameters_are_rejected(params: dict, match: str) -> None:
    with pytest.raises(ReportError, match=match):
        check_notebook_parameters(params)


def test_all_design_parameters_are_accepted() -> None:
    check_notebook_parameters({"ledger_path": "", "zone_id": "Z01", "as_of": "2025Q3",
                               "horizon": 8, "lang": "zh", "draws": 10, "seed": 0,
                               "modelset_path": ""})


def test_command_renders_a_report(rendered: dict) -> None:
    assert rendered["returncode"] == 0, rendered["stderr"]
    assert re.search(r"wrote .*zh\.html \(\d+ KB\) in [\d.]+ s", rendered["stdout"])
    print(f"report render: zh {rendered['zh_seconds']:.1f} s (command), "
          f"en {rendered['en_seconds']:.1f} s (library)")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rendered_report_has_every_section(rendered: dict, lang: str) -> None:
    html = Path(rendered[lang]).read_text(encoding="utf-8")
    for section in SECTIONS:
        assert f"<h2>{t(f'{section}.title', lang)}</h2>" in html, section
    # the first screen: is next year on track (the report is at a Q3: the same year)
    assert f"<h2>{t('overview.title', lang, year=2025)}</h2>" in html
    assert f'<html lang="{lang}">' in html
    assert len(html.encode()) < 2 * 1024 * 1024
    assert external_references(html) == [] and "<script" not in html
    # five charts and the accuracy section's reliability chart
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) == 6
    print(f"report size {lang}: {len(html.encode()) / 1024:.0f} KB")


def test_ledger_markup_in_a_real_report_is_escaped(rendered: dict) -> None:
    html = Path(rendered["zh"]).read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;绵阳A&amp;B经开区" in html
    # The zone's project names all carry markup, so the risk list shows some.
    assert re.search(r"&lt;script&gt;alert\(\d+\)&lt;/script&gt;项目\d+ A&amp;B", html)
    assert "<script>" not in html
    # The 龙虎榜 names the zone's units, markup and all, as text.
    board = html.split(f"<h2>{t('board.title', 'zh')}</h2>", 1)[1].split("</section>", 1)[0]
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in board and "<b>&</b>" not in html


def test_report_time_with_a_saved_model_set(rendered: dict) -> None:
    nb = nbformat.read(rendered["en_nb"], as_version=4)
    durations = [c.metadata["papermill"]["duration"] for c in nb.cells if c.cell_type == "code"]
    # After the parameters, the injected parameters and the imports cell.
    own = sum(durations[3:])
    print(f"report computation without kernel start and imports: {own:.2f} s "
          f"(imports {durations[2]:.2f} s)")
    assert all(c.metadata["papermill"]["status"] == "completed" for c in nb.cells
               if c.cell_type == "code")
    assert own < 30


def test_failing_cell_fails_the_run_and_writes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    out.write_text("previous report")
    with pytest.raises(ReportError, match=r"broken_report\.ipynb, cell 2: ValueError: section lost for "
                                          r"Z01 \(in `raise ValueError"):
        render_report("", "Z01", "2025Q3", out, notebook=BROKEN)
    assert out.read_text() == "previous report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_unknown_zone_fails_the_report_cell(report_ledger: tuple[Path, str], tmp_path: Path) -> None:
    ledger_path, _ = report_ledger
    with pytest.raises(ReportError, match=r"zone_report\.ipynb, cell 4: ForecastError: Zone 'nowhere' "
                                          r"is not in this ledger"):
        render_report(ledger_path, "nowhere", AS_OF, tmp_path / "x.html", draws=10)
    assert not (tmp_path / "x.html").exists()


def test_dying_kernel_fails_the_run(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match=r"dying_report\.ipynb: DeadKernelError"):
        render_report("", "Z01", "2025Q3", tmp_path / "r.html",
                      notebook=BROKEN.with_name("dying_report.ipynb"))
    assert not (tmp_path / "r.html").exists()
