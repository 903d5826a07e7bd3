"""The exception tree of `forecast`.

``ForecastError`` is the base; ``LedgerError`` carries every problem found in a
ledger at once (pandera's ``SchemaErrors`` habit); ``NotFittedError`` says to call
``fit`` first; ``ReportError`` names the notebook and the failing cell.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

#: ``info`` reports what the loader did for the user (title rows skipped), not a fault.
Severity = Literal["error", "warning", "info"]


class ForecastError(Exception):
    """Base class of every error `forecast` raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One failed check in a ledger.

    ``row`` is the row number the user sees in the spreadsheet (the header is
    row 1, the first data row is row 2); ``None`` when the problem concerns a
    whole file or column. ``column`` is the header as written in the file.
    """

    file: str
    row: int | None
    column: str | None
    check: str
    value: str | None
    expected: str
    severity: Severity = "error"
    #: The zone of the problem's row, where the row names one (directly or by its project).
    zone_id: str | None = None
    #: ``expected`` in Chinese (``forecast.ledger.messages`` renders a problem in either language).
    expected_zh: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        got = "" if self.value is None else f" Got: {self.value!r}."
        return f"{self.severity.upper()} {where}: {self.check}: expected {self.expected}.{got}"


def problems_frame(problems: list[Problem] | tuple[Problem, ...]) -> pd.DataFrame:
    """Problems as a table: file, row, column, check, value, expected, severity, zone_id."""
    cols = ["file", "row", "column", "check", "value", "expected", "severity", "zone_id"]
    return pd.DataFrame([asdict(p) for p in problems], columns=cols)


class LedgerError(ForecastError):
    """A ledger failed validation; ``problems`` lists every failure at once."""

    def __init__(self, problems: list[Problem], source: str | None = None, lang: str = "en") -> None:
        self.problems = list(problems)
        self.source = source
        #: The language of the ledger's headers: messages to its user in it (``zh`` / ``en``).
        self.lang = lang
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"{len(errors)} error(s) in ledger {source or ''}".rstrip()
        lines = [str(p) for p in self.problems[:50]]
        if len(self.problems) > 50:
            lines.append(f"... and {len(self.problems) - 50} more (see .failure_cases)")
        super().__init__(head + ":\n" + "\n".join(lines))

    @property
    def failure_cases(self) -> pd.DataFrame:
        """Every problem as a DataFrame, one row each."""
        return problems_frame(self.problems)


class NotFittedError(ForecastError, ValueError):
    """A model was used before ``fit``."""

    def __init__(self, model: object) -> None:
        super().__init__(
            f"This {type(model).__name__} is not fitted yet: call fit first."
        )


class ReportError(ForecastError):
    """A report notebook failed; names the notebook and the failing cell."""

    def __init__(self, notebook: str, cell_index: int | None, message: str) -> None:
        self.notebook = notebook
        self.cell_index = cell_index
        where = f"{notebook}" + (f", cell {cell_index}" if cell_index is not None else "")
        super().__init__(f"Report failed in {where}: {message}")
