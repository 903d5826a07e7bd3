"""Report charts: the CJK font is the one actually drawn, no glyph is missing,
money is in 亿元, and every chart copes with thin data."""

from __future__ import annotations

import io
import logging
import re
import warnings
from typing import Any, Callable

import matplotlib
import numpy as np
import pytest
from matplotlib import font_manager
from matplotlib.backends.backend_agg import RendererAgg
from matplotlib.text import Text
from PIL import Image

from forecast.report import figures
from forecast.report.data import ReportData
from forecast.report.fonts import CJK_FAMILY, font_path, use_cjk_font

from _report_fixtures import make_report_data

_CJK = re.compile(r"[\u4e00-\u9fff]")


def _build(name: str, rd: ReportData) -> Any:
    zf = rd.forecast
    return {
        "pipeline": lambda: figures.pipeline_figure(rd.pipeline, rd.lang),
        "investment": lambda: figures.investment_figure(zf.history, zf.table, zf.targets, rd.year,
                                                        rd.lang),
        "events": lambda: figures.events_figure(zf.history, zf.table, rd.lang),
        "output": lambda: figures.output_figure(zf.history, zf.table, rd.lang),
        "backtest": lambda: figures.backtest_figure(rd.backtest_forecasts, rd.lang),
    }[name]()


FIGURES = ("pipeline", "investment", "events", "output", "backtest")


@pytest.fixture
def drawn_fonts(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(text, font file) of every string the Agg renderer draws."""
    seen: list[tuple[str, str]] = []
    original: Callable[..., Any] = RendererAgg.draw_text

    def spy(self: RendererAgg, gc: Any, x: float, y: float, s: str, prop: Any, angle: float,
            ismath: bool = False, mtext: Any = None) -> Any:
        seen.append((s, self._prepare_font(prop).fname))
        return original(self, gc, x, y, s, prop, angle, ismath, mtext)

    monkeypatch.setattr(RendererAgg, "draw_text", spy)
    return seen


@pytest.mark.parametrize("name", FIGURES)
def test_chinese_chart_text_is_drawn_with_noto_sans_cjk(
        name: str, drawn_fonts: list[tuple[str, str]], caplog: pytest.LogCaptureFixture) -> None:
    rd = make_report_data("zh")
    with warnings.catch_warnings():
        # "Glyph ... missing from font(s)" is a UserWarning: make it fail the test.
        warnings.simplefilter("error")
        with caplog.at_level(logging.WARNING, logger="matplotlib"):
            png = figures.to_png(_build(name, rd))
    assert not [r for r in caplog.records if "findfont" in r.getMessage()]
    chinese = [(s, f) for s, f in drawn_fonts if _CJK.search(s)]
    assert chinese, "the zh chart drew no Chinese text"
    wrong = [(s, f) for s, f in chinese if not f.endswith("NotoSansCJKsc-Regular.otf")]
    assert wrong == []
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("name", FIGURES)
def test_font_properties_resolve_to_the_cjk_file(name: str) -> None:
    fig = _build(name, make_report_data("zh"))
    texts = [t for t in fig.findobj(Text) if _CJK.search(t.get_text())]
    assert texts
    with figures.style():
        files = {str(font_manager.findfont(t.get_fontproperties(), fallback_to_default=False))
                 for t in texts}
    assert files == {str(font_path())}


@pytest.mark.parametrize("name", FIGURES)
def test_english_charts_have_no_chinese_labels(name: str, drawn_fonts: list) -> None:
    figures.to_png(_build(name, make_report_data("en", zone_name="Mianyang ETDZ")))
    assert drawn_fonts
    assert [s for s, _ in drawn_fonts if _CJK.search(s)] == []


def test_use_cjk_font_sets_the_global_default() -> None:
    with matplotlib.rc_context():
        assert use_cjk_font() == CJK_FAMILY
        assert matplotlib.rcParams["font.sans-serif"][0] == CJK_FAMILY
        prop = font_manager.FontProperties(family=["sans-serif"])
        assert str(font_manager.findfont(prop)) == str(font_path())


def test_missing_font_package_raises_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    from forecast.exceptions import ForecastError

    def missing(name: str) -> Any:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    with pytest.raises(ForecastError, match="pip install 'mplfonts"):
        font_path()


def test_investment_is_drawn_in_yi_yuan() -> None:
    rd = make_report_data("zh")
    zf = rd.forecast
    fig = figures.investment_figure(zf.history, zf.table, zf.targets, rd.year, "zh")
    ax = fig.axes[0]
    bars = [p.get_height() for p in ax.patches]
    expected = zf.history["investment"].to_numpy()[-figures.HISTORY_QUARTERS:] / 10_000
    np.testing.assert_allclose(bars[:len(expected)], expected)
    median = ax.lines[0].get_ydata()
    fc = zf.table.loc[zf.table["metric"] == "investment", "p50"].to_numpy() / 10_000
    np.testing.assert_allclose(median, fc)
    assert "亿元" in ax.get_title(loc="left")


def test_pipeline_counts_full_production_as_producing() -> None:
    rd = make_report_data("en")
    fig = figures.pipeline_figure(rd.pipeline, "en")
    counts = [p.get_width() for p in fig.axes[0].patches]
    # reserve, signed, started, completed, producing (30 + 5 in full production)
    assert counts == [14, 9, 22, 6, 35]
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()][-1] == "In production"


def test_charts_cope_with_no_targets_and_short_history() -> None:
    rd = make_report_data("zh", targets=False)
    zf = rd.forecast
    short = zf.history.iloc[-2:]
    one_panel = figures.investment_figure(short, zf.table, zf.targets, rd.year, "zh")
    assert len(one_panel.axes) == 1
    for fig in (figures.events_figure(short.iloc[0:0], zf.table, "zh"),
                figures.output_figure(short, zf.table.iloc[0:0], "zh"),
                figures.backtest_figure(rd.backtest_forecasts.iloc[:10], "zh")):
        assert len(figures.to_png(fig)) > 1000


def test_png_is_phone_sized_and_not_blank() -> None:
    rd = make_report_data("zh")
    fig = _build("events", rd)
    png = figures.to_png(fig)
    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    assert img.shape[::-1] == figures.size_px(fig)
    assert img.shape[1] == 800
    assert img.std() > 10


def test_figure_html_escapes_alt_text() -> None:
    html = figures.figure_html(_build("output", make_report_data("en")), '"><script>x</script>')
    assert "<script>" not in html
    assert 'alt="&quot;&gt;&lt;script&gt;x&lt;/script&gt;"' in html
