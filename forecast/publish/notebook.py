"""Run a report notebook: papermill runs it, nbconvert makes the page.

papermill and nbconvert are called as libraries (a command per report would
re-import them every time, see shared/PERFORMANCE.md). A failing cell raises
:class:`~forecast.exceptions.ReportError` naming the notebook and the cell, and
no page is written: a report that silently lost a section is worse than none.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Final, Mapping

import pandas as pd

from ..exceptions import ForecastError, ReportError
from ..report.export import notebook_to_html, source_cell_index, write_text_atomic
from ..run.spec import RunSpec, check_parameters

#: The report notebook: package data (``notebooks/report/`` in a checkout points here).
NOTEBOOK: Final = Path(__file__).resolve().parents[1] / "notebooks" / "zone_report.ipynb"
KERNEL: Final = "python3"
#: Seconds a single cell may run before the report fails.
CELL_TIMEOUT: Final = 600

_TYPES: Final = {"str": str, "int": int, "float": (int, float), "bool": bool}


def default_notebook() -> Path:
    """The report notebook (:data:`NOTEBOOK`).

    Raises
    ------
    ForecastError
        When it is missing (pass ``notebook=PATH``).
    """
    if NOTEBOOK.is_file():
        return NOTEBOOK
    raise ForecastError(f"No report notebook found ({NOTEBOOK}); pass notebook=PATH.")


def notebook_parameters(notebook: str | os.PathLike[str] = NOTEBOOK) -> dict[str, dict[str, Any]]:
    """The parameters the notebook's ``parameters`` cell declares (papermill's
    ``inspect_notebook``): name → ``{name, inferred_type_name, default, help}``."""
    import papermill

    return papermill.inspect_notebook(str(notebook))


def check_notebook_parameters(parameters: Mapping[str, Any],
                              notebook: str | os.PathLike[str] = NOTEBOOK) -> None:
    """Reject names the notebook does not declare and values of the wrong type.

    papermill only logs a warning for an unknown parameter and then runs the
    notebook with its default, which would produce a report for the wrong
    zone or quarter without anyone noticing.

    Raises
    ------
    ReportError
        Naming every unknown parameter, or the first mistyped one.
    """
    declared = notebook_parameters(notebook)
    name = Path(notebook).name
    unknown = sorted(set(parameters) - set(declared))
    if unknown:
        raise ReportError(
            name, None,
            f"unknown parameter(s) {', '.join(unknown)}; the notebook takes "
            f"{', '.join(declared)}",
        )
    for key, value in parameters.items():
        expected = _TYPES.get(declared[key]["inferred_type_name"])
        if expected is not None and (
            not isinstance(value, expected) or (expected is int and isinstance(value, bool))
        ):
            raise ReportError(
                name, None,
                f"parameter {key} must be {declared[key]['inferred_type_name']}; got {value!r}",
            )


def _source_cell_index(notebook: str | os.PathLike[str], parameters: Mapping[str, Any],
                       index: int, kernel_name: str) -> int:
    """Index in the notebook file of executed cell ``index``: the notebook is
    parameterised the way papermill did it, and its injected cell not counted."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    nb = load_notebook_node(str(notebook))
    in_file = len(nb.cells)
    nb = parameterize_notebook(nb, dict(parameters), kernel_name=kernel_name)
    # A file that already holds an injected cell (a saved run) got it replaced.
    return source_cell_index(nb.cells, index) if len(nb.cells) > in_file else index


def execute_report(parameters: Mapping[str, Any], notebook: str | os.PathLike[str] = NOTEBOOK,
                   *, kernel_name: str = KERNEL) -> Any:
    """Run the report notebook with ``parameters`` and return the executed notebook.

    Raises
    ------
    ReportError
        For an unknown or mistyped parameter, or a cell that fails (naming the
        cell's index in the notebook file, its first line and the error).
    """
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    check_notebook_parameters(parameters, notebook)
    name = Path(notebook).name
    try:
        return papermill.execute_notebook(
            str(notebook),
            None,  # keep the executed notebook in memory only
            parameters=dict(parameters),
            kernel_name=kernel_name,
            progress_bar=False,
            request_save_on_cell_execute=False,
            execution_timeout=CELL_TIMEOUT,
            # A report kernel holds nothing worth a graceful shutdown (~1 s saved).
            shutdown_kernel="immediate",
        )
    except PapermillExecutionError as err:
        first = (err.source or "").strip().splitlines()[:1]
        raise ReportError(
            name, _source_cell_index(notebook, parameters, err.cell_index, kernel_name),
            f"{err.ename}: {err.evalue}" + (f" (in `{first[0]}`)" if first else ""),
        ) from err
    except (CellTimeoutError, DeadKernelError) as err:
        # The kernel died or a cell ran past CELL_TIMEOUT: no cell output says so.
        raise ReportError(name, None, f"{type(err).__name__}: {err}") from err


def render_report(ledger_path: str | os.PathLike[str], zone_id: str, as_of: str | pd.Period,
                  out: str | os.PathLike[str], lang: str = "zh", horizon: int = 8,
                  draws: int = 1000, seed: int = 0,
                  modelset_path: str | os.PathLike[str] = "", *,
                  notebook: str | os.PathLike[str] = NOTEBOOK) -> Path:
    """Render one zone's report as a self-contained HTML file.

    Parameters
    ----------
    ledger_path : path
        A ledger folder or .xlsx workbook; ``""`` = the sample ledger.
    zone_id : str
        The zone to report on.
    as_of : str
        Last quarter of data, e.g. ``"2025Q3"``.
    out : path
        The HTML file to write (atomically; folders are created).
    lang : {"zh", "en"}
    horizon, draws, seed : int
        Forecast quarters, Monte Carlo draws, random seed.
    modelset_path : path
        A saved ``ModelSet``; ``""`` = fit the models in the report.
    notebook : path
        The report notebook (default :data:`NOTEBOOK`, ``forecast/notebooks/zone_report.ipynb``).

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    ForecastError
        For a bad parameter (before anything runs).
    ReportError
        When a notebook cell fails; ``out`` is then left as it was.

    Examples
    --------
    >>> render_report("data/sample", "Z01", "2025Q3", "reports/2025Q3/Z01.html")  # doctest: +SKIP
    PosixPath('reports/2025Q3/Z01.html')
    """
    check_parameters(zone_id, as_of, horizon, lang, draws, seed)
    spec = RunSpec.parse(ledger_path, as_of, horizon, draws, seed)
    nb = execute_report(spec.notebook_parameters(zone_id, lang, modelset_path), notebook)
    return write_text_atomic(notebook_to_html(nb), out)
