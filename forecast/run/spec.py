"""A run's parameters (:class:`RunSpec`) and a batch folder's layout (:class:`RunFolder`).

``RunSpec`` holds what every report of a run shares: the ledger, the quarter
(parsed once, here), the horizon, the draws and the seed. They are the report
notebook's parameters together with the per-report ``zone_id``, ``lang`` and
``modelset_path`` (:data:`NOTEBOOK_PARAMETERS`; a test reads the notebook's
``parameters`` cell and checks both agree, names and defaults).

``RunFolder`` spells the batch folder's layout once; the batch writes it, the
mail and the report notebooks read it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import pandas as pd

from ..exceptions import ForecastError
from ..periods import quarter
from ..report.labels import check_lang
from ..vocab import ZONE_ID_PATTERN

__all__ = ["NOTEBOOK_PARAMETERS", "PER_REPORT", "RunFolder", "RunSpec", "check_parameters",
           "default_ledger_path"]

#: The report notebook's parameters that change from one report to the next.
PER_REPORT: Final = ("zone_id", "lang", "modelset_path")


def _whole(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ForecastError(f"{name} must be a whole number >= {low}. Got: {value!r}")
    return value


def check_parameters(zone_id: str, as_of: str | pd.Period, horizon: int, lang: str, draws: int,
                     seed: int) -> pd.Period:
    """Reject report parameters that are out of range, with the fix; return the quarter."""
    check_lang(lang)
    q = quarter(as_of)
    if zone_id and not re.match(ZONE_ID_PATTERN, zone_id):
        raise ForecastError(f"A zone_id must match {ZONE_ID_PATTERN}. Got: {zone_id!r}")
    for name, value, low in (("horizon", horizon, 1), ("draws", draws, 1), ("seed", seed, 0)):
        _whole(name, value, low)
    return q


def default_ledger_path() -> Path:
    """The embedded sample ledger (package data, ``forecast.sample.SAMPLE_LEDGER``)."""
    from ..sample import SAMPLE_LEDGER

    if not (SAMPLE_LEDGER / "zones.csv").is_file():
        raise ForecastError(
            f"No ledger path was given and the sample ledger is missing at {SAMPLE_LEDGER}; "
            "pass ledger_path, or write a sample with: forecast sample --out DIR"
        )
    return SAMPLE_LEDGER


@dataclass(frozen=True)
class RunSpec:
    """What every report of one run shares.

    Build it with :meth:`parse` at an edge (CLI, notebook parameters, Python
    API): the quarter is parsed and every value checked there, once.

    Attributes
    ----------
    ledger_path : Path or None
        The ledger (folder or workbook), absolute; ``None`` = the sample ledger.
    as_of : Period
        The last quarter of data.
    horizon, draws, seed : int
        Forecast quarters, Monte Carlo draws, random seed.
    """

    ledger_path: Path | None
    as_of: pd.Period
    horizon: int = 8
    draws: int = 1000
    seed: int = 0

    @classmethod
    def parse(cls, ledger_path: str | os.PathLike[str] | None, as_of: str | pd.Period,
              horizon: int = 8, draws: int = 1000, seed: int = 0) -> "RunSpec":
        """Check and parse the parameters (``""`` / ``None`` ledger = the sample).

        Raises
        ------
        ForecastError
            For a quarter not written like ``2025Q3`` or a count out of range.
        """
        q = quarter(as_of)
        _whole("horizon", horizon, 1)
        _whole("draws", draws, 1)
        _whole("seed", seed, 0)
        path = Path(ledger_path).resolve() if ledger_path not in (None, "") else None
        return cls(path, q, horizon, draws, seed)

    @property
    def ledger(self) -> Path:
        """The ledger to load: ``ledger_path`` or the embedded sample."""
        return self.ledger_path if self.ledger_path is not None else default_ledger_path()

    def notebook_parameters(self, zone_id: str, lang: str, modelset_path: str | os.PathLike[str] = ""
                            ) -> dict[str, Any]:
        """The report notebook's parameters for one report (plain scalars, absolute paths:
        the kernel may run in another folder)."""
        return {
            "ledger_path": str(self.ledger_path) if self.ledger_path is not None else "",
            "zone_id": zone_id,
            "as_of": str(self.as_of),
            "horizon": self.horizon,
            "lang": lang,
            "draws": self.draws,
            "seed": self.seed,
            "modelset_path": str(Path(modelset_path).resolve()) if str(modelset_path) else "",
        }


#: Every parameter the report notebook declares, in its order.
NOTEBOOK_PARAMETERS: Final = ("ledger_path", "zone_id", "as_of", "horizon", "lang", "draws", "seed",
                              "modelset_path")


@dataclass(frozen=True)
class RunFolder:
    """The layout of a batch's output folder (``reports/<quarter>/`` by default)::

        index.html            every zone, its headline numbers, failures marked
        summary.csv           one row per zone and language
        <stem>.html           a report (``<zone>.<lang>.html`` with several languages)
        <stem>.failed.ipynb   the executed notebook of a failed report, with the error
        _manifest.json        what was rendered from which inputs (for resuming)
        _progress.jsonl       each report's outcome since the manifest was last written
        _lock                 the batch (or mailing) working here: PID, host, start
        _delivery.jsonl       every mail message's outcome (forecast email)
        _models.pkl           the model set every report used
        backtest/             the reports' track record, run once (forecast.run.track):
                              the backtest's files and probabilities.csv
        _data/<stem>.json     a report's headline, its key charts as PNG
        _notebooks/<stem>.ipynb  the executed notebook of a good report
    """

    path: Path

    # Plain class attributes (not fields): the names inside the folder.
    MANIFEST = "_manifest.json"
    MODELS = "_models.pkl"
    BACKTEST = "backtest"
    DATA = "_data"
    NOTEBOOKS = "_notebooks"

    @classmethod
    def of_models(cls, modelset_path: str | os.PathLike[str]) -> "RunFolder":
        """The folder a saved model set (``_models.pkl``) sits in."""
        return cls(Path(modelset_path).parent)

    @property
    def index(self) -> Path:
        return self.path / "index.html"

    @property
    def summary(self) -> Path:
        return self.path / "summary.csv"

    @property
    def manifest(self) -> Path:
        return self.path / self.MANIFEST

    @property
    def models(self) -> Path:
        return self.path / self.MODELS

    @property
    def backtest(self) -> Path:
        return self.path / self.BACKTEST

    @property
    def data(self) -> Path:
        return self.path / self.DATA

    @property
    def notebooks(self) -> Path:
        return self.path / self.NOTEBOOKS

    def html(self, stem: str) -> Path:
        """A report's page."""
        return self.path / f"{stem}.html"

    def failed(self, stem: str) -> Path:
        """The executed notebook a failed report leaves."""
        return self.path / f"{stem}.failed.ipynb"

    def headline(self, stem: str) -> Path:
        """A report's headline sidecar; its presence marks the report complete."""
        return self.data / f"{stem}.json"

    def executed(self, stem: str) -> Path:
        """The executed notebook of a good report."""
        return self.notebooks / f"{stem}.ipynb"

    def chart(self, stem: str, i: int) -> Path:
        """A report's ``i``-th key chart (from 1)."""
        return self.data / f"{stem}.chart-{i}.png"

    def saved_backtest(self) -> Path | None:
        """The backtest saved here (``Backtest.save``), if complete."""
        folder = self.backtest
        ok = all((folder / f).is_file() for f in ("forecasts.csv", "scores.csv", "probabilities.csv"))
        return folder if ok else None
