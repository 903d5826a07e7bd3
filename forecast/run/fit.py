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

__all__ = ["BACKTEST_DRAWS", "BACKTEST_ORIGINS", "fit_models"]

#: Origins of the reports' backtest: a report without a saved one runs this
#: small one itself (each refits every model: about 3-8 s an origin on the
#: sample ledger).
BACKTEST_ORIGINS = 2
#: Draws of that backtest: enough for P10/P90 of one quarter.
BACKTEST_DRAWS = 200


def fit_models(ledger: Any, as_of: pd.Period, path: Path, *, seed: int, backtest: bool,
               zones: list[str] | None, workers: int = 1, scheduler: str | None = None) -> None:
    """Fit the model set once and save it to ``path``; with ``backtest``, also
    run the reports' track record once into ``RunFolder.of_models(path).backtest``.

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
    # The reports' track record, run once for all zones where the report
    # looks for it (forecast.run.zone.saved_backtest) instead of once a report.
    from ..backtest import run_backtest

    origins = [as_of - k for k in range(BACKTEST_ORIGINS, 0, -1)]
    try:
        run_backtest(ledger.as_of(as_of), origins, horizon=1, draws=BACKTEST_DRAWS, seed=seed,
                     zones=zones, workers=workers, scheduler=scheduler).save(RunFolder.of_models(path).backtest)
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
