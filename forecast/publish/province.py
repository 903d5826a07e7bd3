"""Province reports: one page per province, alone or in a batch.

The province notebook (``forecast/notebooks/province_report.ipynb``, package
data) takes the zone report's parameters with ``province`` in place of ``zone_id`` (and the batch's
``report_id``); its page is written as the zone report's is.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final

import pandas as pd

from ..report.export import notebook_to_html, write_text_atomic
from ..run.spec import RunSpec, check_parameters
from .notebook import NOTEBOOK, execute_report

__all__ = ["PROVINCE_NOTEBOOK", "province_parameters", "render_province_report"]

#: The province report notebook, beside the zone report's.
PROVINCE_NOTEBOOK: Final = NOTEBOOK.with_name("province_report.ipynb")


def province_parameters(spec: RunSpec, province: str, lang: str,
                        modelset_path: str | os.PathLike[str] = "", report_id: str = "") -> dict[str, Any]:
    """The province notebook's parameters for one report."""
    params = spec.notebook_parameters("", lang, modelset_path)
    del params["zone_id"]
    return {**params, "province": str(province), "report_id": report_id}


def render_province_report(ledger_path: str | os.PathLike[str], province: str, as_of: str | pd.Period,
                           out: str | os.PathLike[str], lang: str = "zh", horizon: int = 8,
                           draws: int = 1000, seed: int = 0,
                           modelset_path: str | os.PathLike[str] = "", *,
                           notebook: str | os.PathLike[str] = PROVINCE_NOTEBOOK) -> Path:
    """Render one province's report as a self-contained HTML file.

    Parameters as for :func:`forecast.publish.notebook.render_report`, with
    ``province`` (a value of the zones table's ``province`` column) for the zone.

    Raises
    ------
    ForecastError
        For a bad parameter (before anything runs).
    ReportError
        When a notebook cell fails (an unknown province among them); ``out``
        is then left as it was.

    Examples
    --------
    >>> render_province_report("data/sample", "四川省", "2025Q3", "reports/四川省.html")  # doctest: +SKIP
    """
    check_parameters("", as_of, horizon, lang, draws, seed)
    spec = RunSpec.parse(ledger_path, as_of, horizon, draws, seed)
    nb = execute_report(province_parameters(spec, province, lang, modelset_path), notebook)
    return write_text_atomic(notebook_to_html(nb), out)
