"""The HTML page: self-contained, no code, escaped data, atomic writes."""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_output

from _report_fixtures import make_report_data, section_notebook
from forecast.exceptions import ReportError
from forecast.report.export import external_references, notebook_to_html, write_text_atomic


@functools.cache
def _sections(lang: str):  # noqa: ANN202 - drawing the charts is the slow part: once per language
    return section_notebook(make_report_data(lang))


def _nb(lang: str, extra: list | None = None):  # noqa: ANN202
    nb = copy.deepcopy(_sections(lang))
    nb.cells += list(extra or [])
    return nb


@functools.cache
def _page(lang: str) -> str:
    extra = [
        new_markdown_cell("notes for maintainers only", metadata={"tags": ["remove-cell"]}),
        new_code_cell("print('debug')", outputs=[new_output("stream", name="stdout", text="DEBUG-OUT")]),
        new_code_cell("publish(h)", outputs=[new_output(
            "display_data", data={"application/vnd.forecast.headline+json": {"zone_id": "HEADLINE-JSON"}})]),
    ]
    return notebook_to_html(_nb(lang, extra))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_page_is_self_contained(lang: str) -> None:
    html = _page(lang)
    assert external_references(html) == []
    assert re.search(r"https?://", html) is None
    assert "<script" not in html.lower()
    assert "<link" not in html.lower()
    assert "require.js" not in html and "mathjax" not in html.lower()
    imgs = re.findall(r'<img [^>]*src="([^"]{0,40})', html)
    # five charts and the accuracy section's reliability chart
    assert len(imgs) == 6 and all(src.startswith("data:image/png;base64,") for src in imgs)
    assert len(html.encode("utf-8")) < 2 * 1024 * 1024


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_code_prompts_parameters_notes_or_prints(lang: str) -> None:
    html = _page(lang)
    for gone in ("SECRET_CODE_MARKER", 'zone_id: str = "Z01"', 'zone_id = "Z01"', "In&nbsp;[",
                 "Out[", "notes for maintainers", "DEBUG-OUT", "HEADLINE-JSON", "jp-InputArea"):
        assert gone not in html, gone


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_ledger_strings_are_escaped(lang: str) -> None:
    html = _page(lang)
    # Nothing from the data became markup ...
    assert "<script>alert" not in html
    assert "<b>产业园</b>" not in html and "<i>一科</i>" not in html
    assert "<img src=x" not in html and "6 months overdue <b>" not in html
    # ... and all of it is still there, as text.
    assert "&lt;script&gt;alert(1)&lt;/script&gt;绵阳A&amp;B经开区" in html
    assert "电子&amp;信息&lt;b&gt;产业园&lt;/b&gt;" in html
    assert "张三 &amp; 李四" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "招商局 &lt;i&gt;一科&lt;/i&gt; &amp; 二科" in html  # the 龙虎榜's unit
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "<" not in title and "&lt;script&gt;" in title


def test_page_language_title_and_font() -> None:
    zh, en = _page("zh"), _page("en")
    assert '<html lang="zh">' in zh and '<html lang="en">' in en
    assert "投资项目预测报告" in zh and "investment project forecast" in en
    assert "年能否完成计划" in zh and "on track?" in en
    assert "2025Q2" in zh.split("</title>")[0]  # the page title names the quarter
    # zh embeds the Chinese glyphs it uses; en still has the zone's Chinese name.
    for html in (zh, en):
        assert re.search(r'@font-face\{font-family:"fc-cjk".*?src:url\(data:font/woff;base64,', html)
    assert 'font-family' in zh and "fc-cjk" in zh


def _embedded_font(html: str):  # noqa: ANN202
    import base64
    import io

    from fontTools.ttLib import TTFont

    b64 = re.search(r"base64,([A-Za-z0-9+/=]+)\) format\(\"woff\"\)", html).group(1)
    return TTFont(io.BytesIO(base64.b64decode(b64))), b64


def test_font_subset_covers_the_page_and_stays_small() -> None:
    html = _page("zh")
    font, b64 = _embedded_font(html)
    cmap = font.getBestCmap()
    text = re.sub(r"<[^>]+>", "", html.split("</head>", 1)[1])
    needed = {ord(c) for c in text if "\u4e00" <= c <= "\u9fff"}
    assert needed and needed <= set(cmap)
    assert len(b64) < 120_000


def test_error_output_fails_the_export_naming_the_cell_as_in_the_file() -> None:
    bad = new_code_cell("1/0", outputs=[new_output("error", ename="ZeroDivisionError",
                                                   evalue="division by zero", traceback=[])])
    nb = _nb("en", [bad])
    # The executed notebook holds papermill's injected cell, the file does not.
    in_file = [c for c in nb.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    assert len(in_file) == len(nb.cells) - 1
    with pytest.raises(ReportError, match=rf"cell {len(in_file) - 1}: ZeroDivisionError: division by zero"):
        notebook_to_html(nb)


def test_export_does_not_change_the_notebook() -> None:
    nb = _nb("en")
    before = repr(nb)
    notebook_to_html(nb, embed_font=False)
    assert repr(nb) == before


@pytest.mark.parametrize("snippet,url", [
    ('<script src="https://cdn.x/require.js"></script>', "https://cdn.x/require.js"),
    ('<link rel="stylesheet" href="//cdn.x/a.css">', "//cdn.x/a.css"),
    ("<style>@import 'http://x/y.css';</style>", "http://x/y.css"),
    ("<style>body{background:url(http://x/b.png)}</style>", "http://x/b.png"),
    ('<div style="background: url(\'img.png\')"></div>', "img.png"),
    ('<img srcset="a.png 2x">', "a.png 2x"),
])
def test_external_references_are_found(snippet: str, url: str) -> None:
    assert external_references(snippet) == [url]


@pytest.mark.parametrize("snippet", [
    "<p>&lt;img src=x onerror=alert(1)&gt;</p>",
    "<p>see https://example.org</p>",
    '<a href="#top">top</a><img src="data:image/png;base64,AAAA">',
])
def test_text_and_inline_data_are_not_references(snippet: str) -> None:
    assert external_references(snippet) == []


def test_atomic_write_replaces_whole_file_and_leaves_no_temp(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "r.html"
    write_text_atomic("old", out)
    write_text_atomic("新的", out)
    assert out.read_text(encoding="utf-8") == "新的"
    with pytest.raises(TypeError):
        write_text_atomic(None, out)  # type: ignore[arg-type]
    assert out.read_text(encoding="utf-8") == "新的"
    assert sorted(p.name for p in out.parent.iterdir()) == ["r.html"]
