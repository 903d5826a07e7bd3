"""Reports: figures and tables as pure functions, zh/en labels, offline HTML.

Pure presentation: a report draws a :class:`~forecast.report.data.ReportData`
(gathered by :mod:`forecast.run`); running the notebook is
:mod:`forecast.publish`'s. The report notebook's kernel imports this package,
so it stays light: nbconvert loads only when ``notebook_to_html`` is first used.
"""

from __future__ import annotations

from typing import Any

from .fonts import use_cjk_font
from .labels import LANGS, t

__all__ = ["LANGS", "notebook_to_html", "t", "use_cjk_font"]


def __getattr__(name: str) -> Any:
    if name == "notebook_to_html":
        from .export import notebook_to_html

        return notebook_to_html
    raise AttributeError(f"module 'forecast.report' has no attribute {name!r}")
