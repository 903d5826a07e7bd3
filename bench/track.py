"""What the batch's track record costs: its fit phase now against the old two-origin backtest.

Usage: .venv/bin/python bench/track.py [--ledger data/sample] [--as-of 2025Q4] [--workers 2]

Both in the same run, on the same machine load:

* floor — what the batch's fit phase did before the track record: the model set
  fitted in a forked process beside a two-origin, one-quarter-ahead backtest
  (``run_backtest`` at ``as_of - 2``, ``as_of - 1``, 200 draws);
* track — ``forecast.run.fit_models`` as the batch calls it now: the sweep over
  ``TRACK_YEARS`` years of origins in two halves, then the model set.

Prints wall and CPU seconds (this process and its children) and the ratio to the
floor. The calibration's memo is cleared before each, so neither reuses the other.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cpu() -> float:
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def floor(ledger, q, workers: int, out: Path) -> None:  # noqa: ANN001
    from forecast.backtest import run_backtest
    from forecast.run.fit import _fit_and_save, fork_call

    child = fork_call(_fit_and_save, ledger, q, out / "_models.pkl") if workers > 1 else None
    if child is None:
        _fit_and_save(ledger, q, out / "_models.pkl")
    run_backtest(ledger.as_of(q), [q - 2, q - 1], horizon=1, draws=200, seed=0,
                 workers=workers).save(out / "backtest")
    if child is not None:
        child.result()


def track(ledger, q, workers: int, out: Path) -> None:  # noqa: ANN001
    from forecast.run.fit import fit_models

    fit_models(ledger, q, out / "_models.pkl", seed=0, backtest=True, zones=None, workers=workers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--ledger", type=Path, default=ROOT / "data" / "sample")
    ap.add_argument("--as-of", default="2025Q4")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    from forecast.ledger import load
    from forecast.models import calibration
    from forecast.periods import quarter
    from forecast.run.track import TRACK_YEARS, track_origins

    ledger, q = load(args.ledger), quarter(args.as_of)
    n = len(track_origins(ledger.as_of(q), q, years=TRACK_YEARS))
    print(f"ledger {args.ledger.name}: {len(ledger.zone_ids)} zones, as of {q}; "
          f"track record: {TRACK_YEARS} years, {n} origins; {args.workers} workers")
    figures = {}
    for name, run in (("floor", floor), ("track", track)):
        calibration._MEMO.clear()
        with tempfile.TemporaryDirectory() as tmp:
            t0, c0 = time.perf_counter(), cpu()
            run(ledger, q, args.workers, Path(tmp))
            figures[name] = (time.perf_counter() - t0, cpu() - c0)
        wall, used = figures[name]
        print(f"{name:6s} wall {wall:7.1f} s   cpu {used:7.1f} s   "
              f"({wall / figures['floor'][0]:.2f}x floor wall, {used / figures['floor'][1]:.2f}x cpu)")


if __name__ == "__main__":
    main()
