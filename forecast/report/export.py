"""Executed notebook → one self-contained HTML page.

The page has no code, no prompts, no parameters cell, no script and no
reference to anything outside itself: images are inline PNG data URIs, the CSS
is inline, and the Chinese glyphs the page uses are embedded as a small subset
of Noto Sans CJK SC (so a phone, a mail client or a bare Linux box without
Chinese fonts shows the same page). nbconvert's ``lab`` and ``classic``
templates load require.js and MathJax from a CDN; ours
(``templates/forecast_report``) extends ``lab`` and replaces its whole head.
"""

from __future__ import annotations

import copy
import functools
import os
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Final, Sequence

from .._io import atomic_write
from ..exceptions import ReportError

TEMPLATE_DIR: Final = Path(__file__).parent / "templates"
TEMPLATE_NAME: Final = "forecast_report"

#: The tag of the cell papermill inserts with a run's parameter values.
INJECTED_TAG: Final = "injected-parameters"
#: Cells with these tags never reach the page: the papermill parameters (the
#: defaults and the injected values) and notes meant for notebook readers.
DROP_TAGS: Final = frozenset({"parameters", INJECTED_TAG, "remove-cell"})
#: What the page can show; an output with none of these (e.g. the batch's
#: headline, ``application/vnd.forecast.headline+json``) is dropped.
SHOWN_TYPES: Final = frozenset({"text/html", "text/markdown", "text/plain", "text/latex",
                                "image/png", "image/jpeg", "image/svg+xml"})
#: Display metadata key that section outputs use to tell the exporter the page
#: title and language (see ``forecast.report.sections``).
META_KEY: Final = "forecast_report"

# Attributes through which a page fetches something.
_URL_ATTRS = frozenset({"src", "href", "srcset", "poster", "data", "action", "background",
                        "formaction", "xlink:href"})
_CSS_URL = re.compile(r"""url\(\s*["']?\s*([^"')\s]+)""", re.IGNORECASE)
_IMPORT = re.compile(r"""@import\s+["']([^"']+)""", re.IGNORECASE)


class _Refs(HTMLParser):
    """Collects the URLs of tags' attributes and of CSS in style elements/attributes.

    Parsing (not a regex over the page) is what tells an attribute from text
    that merely reads like one, e.g. an escaped project name ``&lt;img src=x&gt;``.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []
        self._in_style = False

    def _css(self, css: str) -> None:
        self.urls += _CSS_URL.findall(css) + _IMPORT.findall(css)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in _URL_ATTRS:
                self.urls.append(value.strip())
            elif name == "style":
                self._css(value)
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data)


def external_references(html: str) -> list[str]:
    """Every URL the page would load from outside itself (should be empty).

    ``data:`` URIs and in-page ``#anchors`` are inside the page.

    >>> external_references('<img src="data:image/png;base64,AA"> <a href="#x">')
    []
    >>> external_references('<script src="https://cdn.example/x.js"></script>')
    ['https://cdn.example/x.js']
    >>> external_references('<p>&lt;img src=x&gt;</p>')
    []
    """
    parser = _Refs()
    parser.feed(html)
    parser.close()
    return [u for u in parser.urls if u and not u.startswith(("data:", "#"))]


def source_cell_index(cells: Sequence[Any], index: int) -> int:
    """Where cell ``index`` of an executed notebook sits in the notebook file.

    papermill inserts an ``injected-parameters`` cell that the file does not
    have; error messages count cells as the user sees them in the file
    (0-based), so the injected cells before ``index`` are not counted.

    >>> cells = [{"metadata": {"tags": ["parameters"]}},
    ...          {"metadata": {"tags": ["injected-parameters"]}}, {"metadata": {}}]
    >>> source_cell_index(cells, 2), source_cell_index(cells, 0)
    (1, 0)
    """
    return index - sum(INJECTED_TAG in c.get("metadata", {}).get("tags", [])
                       for c in cells[:index])


def _page_meta(nb: Any) -> dict[str, str]:
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            meta = out.get("metadata", {}).get(META_KEY)
            if isinstance(meta, dict):
                return {k: str(v) for k, v in meta.items()}
    return {}


def _page_text(nb: Any) -> str:
    parts = [str(nb.metadata.get("title", ""))]
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            parts.append(cell.source)
        for out in cell.get("outputs", []):
            for mime in ("text/html", "text/markdown", "text/plain"):
                data = out.get("data", {}).get(mime)
                if data:
                    parts.append(data if isinstance(data, str) else "".join(data))
    return "".join(parts)


def clean_notebook(nb: Any) -> Any:
    """A copy of ``nb`` fit for a reader: parameter and note cells dropped,
    stream output (warnings, prints) and machine-only outputs dropped.

    Raises
    ------
    ReportError
        If any cell holds an error output: a report that silently lost a
        section is worse than none.
    """
    nb = copy.deepcopy(nb)
    name = str(nb.metadata.get("papermill", {}).get("input_path") or "notebook")
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                raise ReportError(
                    Path(name).name, source_cell_index(nb.cells, index),
                    f"{out.get('ename')}: {out.get('evalue')}",
                )
    nb.cells = [c for c in nb.cells if not DROP_TAGS & set(c.get("metadata", {}).get("tags", []))]
    for cell in nb.cells:
        if "outputs" in cell:
            cell.outputs = [o for o in cell.outputs if o.get("output_type") != "stream"
                            and (o.get("output_type") == "error" or SHOWN_TYPES & set(o.get("data", {})))]
    return nb


@functools.cache
def _exporter() -> Any:
    # Building an exporter resolves templates and filters (~50 ms); a batch
    # worker exports many pages with the same one.
    from nbconvert import HTMLExporter
    from traitlets.config import Config

    config = Config()
    # No code is shown, so pygments' 10 KB of highlighting CSS is dead weight.
    config.CSSHTMLHeaderPreprocessor.enabled = False
    return HTMLExporter(
        config=config,
        template_name=TEMPLATE_NAME,
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_raw=True,
        exclude_unknown=True,
        # Our outputs are built with escaping (tables.py); sanitizing again
        # would strip the inline styles of the meters.
        sanitize_html=False,
    )


def notebook_to_html(nb: Any, *, embed_font: bool = True) -> str:
    """Render an executed notebook as one self-contained HTML page.

    Parameters
    ----------
    nb : nbformat.NotebookNode
        An executed notebook (e.g. what ``papermill.execute_notebook`` returns).
        It is not modified.
    embed_font : bool, default True
        Embed the subset of Noto Sans CJK SC covering the page's Chinese
        characters (about 40 KB), used only when the reader's device has no
        Chinese font of its own.

    Returns
    -------
    str
        The page: no code cells, prompts or parameters cell, no ``<script>``,
        no http(s) reference, images inline.

    Raises
    ------
    ReportError
        If a cell holds an error, or if the page would load anything from
        outside itself.

    Examples
    --------
    >>> import nbformat
    >>> nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Hello")])
    >>> html = notebook_to_html(nb, embed_font=False)
    >>> "<script" in html, "Hello" in html
    (False, True)
    """
    nb = clean_notebook(nb)
    meta = _page_meta(nb)
    if "title" in meta:
        nb.metadata["title"] = meta["title"]
    exporter = _exporter()
    exporter.language_code = meta.get("lang", "en")
    font_css = ""
    if embed_font:
        from .fonts import font_face_css

        font_css = font_face_css(_page_text(nb))
    # The template puts fc_font_css in the head, after the stylesheet.
    html, _ = exporter.from_notebook_node(nb, resources={"fc_font_css": font_css})
    bad = external_references(html)
    if bad:
        raise ReportError(
            "export", None, f"the page would load {len(bad)} outside resource(s): {bad[:3]}"
        )
    return html


def write_text_atomic(text: str, out: str | os.PathLike[str]) -> Path:
    """Write ``text`` (UTF-8) to ``out`` atomically (see `forecast._io`)."""
    if not isinstance(text, str):
        raise TypeError(f"write_text_atomic takes str, not {type(text).__name__}")
    return atomic_write(out, text)
