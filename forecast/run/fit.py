"""Fit once, backtest once: the model set and the track record every report of a run shares.

A batch fits the models once, saves them in its folder (``RunFolder.models``)
and runs the reports' backtest once into ``RunFolder.backtest``; every report
notebook then loads both instead of fitting its own.
"""

from __future__ import annotations

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
               zones: list[str] | None, workers: int = 1, scheduler: str | None = None) -> None:
    """Fit the model set once and save it to ``path``; with ``backtest``, also
    run the reports' track record (``forecast.run.track``: the past years'
    target probabilities and the quarterly backtest over ``TRACK_YEARS``) once
    into ``RunFolder.of_models(path).backtest``.

    The two are independent: with more than one worker the model set is
    fitted in a forked process while this one runs the backtest (whose
    simulation also uses ``workers`` processes), so a 2-core machine has both
    cores busy (230 zones: about 17 s to fit, 200 s of backtest CPU). With a
    Dask ``scheduler`` the backtest's zones are simulated on that cluster.
    """
    from ..models import ModelSet

    if not backtest:
        ModelSet().fit(ledger, as_of, workers=workers).save(path)
        return
    child = fork_call(_fit_and_save, ledger, as_of, path) if workers > 1 else None
    if child is None:
        _fit_and_save(ledger, as_of, path)
    # The reports' track record (past target probabilities and the quarterly
    # backtest, forecast.run.track), run once for all zones where the report
    # looks for it (forecast.run.zone.saved_backtest) instead of once a report.
    from . import track

    try:
        cut = ledger.as_of(as_of)
        origins = track.track_origins(cut, as_of, years=track.TRACK_YEARS)
        # Too little history: nothing saved, and each report finds the same at once.
        if origins:
            track.run_track_record(cut, as_of, draws=TRACK_DRAWS, seed=seed, zones=zones, origins=origins,
                                   workers=workers, scheduler=scheduler).save(RunFolder.of_models(path).backtest)
    finally:
        if child is not None:
            child.result()


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
