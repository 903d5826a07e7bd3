"""Reports: figures and tables as pure functions, zh/en labels, offline HTML.

The report notebook's kernel imports this package, so it stays light: the
rendering side (papermill, nbconvert) loads only when ``render_report`` or
``notebook_to_html`` is first used.
"""

from __future__ import annotations

from typing import Any

from .fonts import use_cjk_font
from .labels import LANGS, t

__all__ = ["LANGS", "notebook_to_html", "render_report", "t", "use_cjk_font"]


def __getattr__(name: str) -> Any:
    if name == "notebook_to_html":
        from .export import notebook_to_html

        return notebook_to_html
    if name == "render_report":
        from .render import render_report

        return render_report
    raise AttributeError(f"module 'forecast.report' has no attribute {name!r}")
