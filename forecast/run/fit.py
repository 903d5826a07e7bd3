"""Fit once, backtest once: the model set and the track record every report of a run shares.

A batch fits the models once, saves them in its folder (``RunFolder.models``)
and runs the reports' backtest once into ``RunFolder.backtest``; every report
notebook then loads both instead of fitting its own.
"""

from __future__ import annotations

import pickle
import tempfile
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from ..exceptions import ForecastError
from .spec import RunFolder
from .track import TRACK_DRAWS, TRACK_YEARS

__all__ = ["BACKTEST_DRAWS", "BACKTEST_ORIGINS", "fit_models"]

#: Origins a batch's track record sweeps at a Q4 (``forecast.run.track``: the
#: quarters of its ``TRACK_YEARS`` years); each costs about one model fit
#: (3-8 s on the sample ledger) and a simulation of every zone. For bench/batch.py.
BACKTEST_ORIGINS = 4 * TRACK_YEARS
#: Draws per zone and origin of that sweep.
BACKTEST_DRAWS = TRACK_DRAWS


def fit_models(ledger: Any, as_of: pd.Period, path: Path, *, seed: int, backtest: bool,
               zones: list[str] | None, workers: int = 1, scheduler: str | None = None,
               track_years: int | None = TRACK_YEARS) -> None:
    """Fit the model set once and save it to ``path``; with ``backtest``, also
    run the reports' track record (``forecast.run.track``: the past years'
    target probabilities and the quarterly backtest over the last ``track_years``
    years, every year the ledger allows with ``None``) once into
    ``RunFolder.of_models(path).backtest``.

    The track record's sweep of origins is the long part (each origin a model
    fit and a calibration). With more than one worker and no Dask scheduler it
    is cut in two: a forked process sweeps the earlier half while this one
    sweeps the later half and then fits the model set (whose calibration finds
    most of its backtests in this process's memo), so a 2-core machine has both
    cores busy. With a ``scheduler`` the zones are simulated on that cluster
    and the model set is fitted in a forked process beside the sweep.
    """
    from ..models import ModelSet
    from . import track

    if not backtest:
        ModelSet().fit(ledger, as_of, workers=workers).save(path)
        return
    cut = ledger.as_of(as_of)
    # The reports' track record, run once for all zones where the report looks
    # for it (forecast.run.zone.saved_backtest) instead of once a report; with
    # too little history nothing is saved, and each report finds the same at once.
    origins = track.track_origins(cut, as_of, years=track_years)
    kw = dict(draws=TRACK_DRAWS, seed=seed, zones=zones, scheduler=scheduler)
    out = RunFolder.of_models(path).backtest
    split = workers > 1 and scheduler is None and len(origins) >= 2
    if split:
        half = len(origins) // 2
        with tempfile.TemporaryDirectory() as tmp:
            early = Path(tmp) / "early.pkl"
            child = fork_call(_sweep_to_file, cut, as_of, origins[:half], kw, early)
            try:
                later = track.run_track_record(cut, as_of, origins=origins[half:], workers=1, **kw)
                _fit_and_save(ledger, as_of, path)
            finally:
                if child is not None:
                    child.result()
            if child is None:  # no fork here: the earlier half in this process
                _sweep_to_file(cut, as_of, origins[:half], kw, early)
            with open(early, "rb") as fh:
                first = pickle.load(fh)
        track.TrackRecord.combine([first, later]).save(out)
        return
    child = fork_call(_fit_and_save, ledger, as_of, path) if workers > 1 else None
    if child is None:
        _fit_and_save(ledger, as_of, path)
    try:
        if origins:
            track.run_track_record(cut, as_of, origins=origins, workers=workers, **kw).save(out)
    finally:
        if child is not None:
            child.result()


def _sweep_to_file(cut: Any, as_of: pd.Period, origins: list[pd.Period], kw: dict[str, Any],
                   out: Path) -> None:
    """One part of the track record's sweep, pickled to ``out`` (atomically)."""
    from .._io import atomic_path
    from .track import run_track_record

    record = run_track_record(cut, as_of, origins=origins, workers=1, **kw)
    with atomic_path(out) as tmp, open(tmp, "wb") as fh:
        pickle.dump(record, fh, protocol=5)


def _fit_and_save(ledger: Any, as_of: pd.Period, path: Path) -> None:
    from ..models import ModelSet

    ModelSet().fit(ledger, as_of).save(path)


class Forked:
    """A function running in a forked process; :meth:`result` waits for it
    and raises its error here."""

    def __init__(self, process: Any, conn: Any) -> None:
        self.process, self.conn = process, conn

    def result(self) -> None:
        try:
            error = self.conn.recv() if self.conn.poll(None) else None
        except EOFError:
            error = None
        self.process.join()
        if error is not None:
            raise ForecastError(error)
        if self.process.exitcode != 0:
            raise ForecastError(f"fitting the model set stopped with exit code {self.process.exitcode}")


def fork_call(func: Callable[..., None], *args: Any) -> Forked | None:
    """Start ``func(*args)`` in a forked process (it inherits the ledger, nothing
    is pickled); ``None`` where fork is not available."""
    import multiprocessing as mp

    if "fork" not in mp.get_all_start_methods():
        return None
    ctx = mp.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)

    def run() -> None:
        try:
            func(*args)
            child.send(None)
        except BaseException as err:  # noqa: BLE001 - reported to the parent, which raises
            child.send(f"{type(err).__name__}: {err}")

    process = ctx.Process(target=run, daemon=True)
    process.start()
    child.close()
    return Forked(process, parent)
