"""A local run against a Dask cluster of one and of two single-thread workers
(issue 17), for ``bench/predict.py --dask`` and ``bench/batch.py --dask``.

The clusters are ``distributed.LocalCluster`` with worker processes on
127.0.0.1, on the same machine as the driver: on 2 shared cores the figures say
what the engine costs (scatter, task overhead, the workers' own imports), not
how fast a real cluster is. A real cluster's speed is projected from the
measured cost of one report on one single-thread worker.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import time
from pathlib import Path
from typing import Any, Callable, Iterator

#: The national quarter: zones and languages, and the time it must fit in.
NATIONAL_ZONES, LANGS, BUDGET_S = 2500, 2, 15 * 60


@contextlib.contextmanager
def cluster(workers: int) -> Iterator[str]:
    """A scheduler and ``workers`` single-thread worker processes: its address."""
    from distributed import LocalCluster

    from forecast.cluster import close_clients

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as c:
        try:
            yield c.scheduler_address
        finally:
            close_clients()


def configs() -> list[tuple[str, int, int]]:
    """``(label, local workers, dask workers)``: local 1 and 2 processes, Dask 1 and 2."""
    return [("local, 1 process", 1, 0), ("local, 2 processes", 2, 0), ("dask, 1 worker", 1, 1),
            ("dask, 2 workers", 1, 2)]


def compare_predict(fit: Callable[[], Any], simulate: Callable[[Any, int, str | None], Any],
                    zones: int) -> None:
    """Fit once (timed), then simulate every zone in each configuration; print
    sim and fit+sim seconds and whether every table equals the first, byte for byte."""
    t0 = time.perf_counter()
    models = fit()
    t_fit = time.perf_counter() - t0
    print(f"dask   predict, {zones:,} zones: fit {t_fit:.1f} s (local, both cores)")
    print(f"       {'engine':<20}{'sim s':>8}{'fit+sim s':>11}{'zones/s':>9}{'same table':>12}")
    first = None
    for label, local, remote in configs():
        ctx = cluster(remote) if remote else contextlib.nullcontext(None)
        with ctx as address:
            t0 = time.perf_counter()
            table = simulate(models, local, address)
            t_sim = time.perf_counter() - t0
        csv = table.to_csv(index=False)
        first = csv if first is None else first
        print(f"       {label:<20}{t_sim:>8.1f}{t_fit + t_sim:>11.1f}{zones / t_sim:>9.1f}"
              f"{'yes' if csv == first else 'NO':>12}", flush=True)


def _reuse_fit(src: Path, dst: Path) -> None:
    """A fresh batch folder holding ``src``'s fitted models and backtest (and
    the manifest's record of them), so that only the rendering is timed."""
    import json

    shutil.rmtree(dst, ignore_errors=True)
    dst.mkdir(parents=True)
    shutil.copy2(src / "_models.pkl", dst / "_models.pkl")
    if (src / "backtest").is_dir():
        shutil.copytree(src / "backtest", dst / "backtest")
    m = json.loads((src / "_manifest.json").read_text(encoding="utf-8"))
    (dst / "_manifest.json").write_text(json.dumps({**m, "entries": {}}), encoding="utf-8")


def compare_batch(run_batch: Callable[..., Any], steady: Callable[[Any], tuple[float, float]],
                  ledger: Path, as_of: str, zones: list[str], out: Path,
                  fixed_s: float | None = None, backtest_zone_s: float | None = None,
                  origins: int = 0) -> None:
    """Render ``zones`` × 2 languages locally (2 kernels, after the fit) and on
    Dask clusters of 1 and 2 single-thread workers (the same fitted models);
    print seconds per report and reports per minute, then the workers a
    national quarter needs to finish within 15 minutes.

    ``fixed_s``: the driver's own time before any report (ledger read, model
    fit); ``backtest_zone_s``: backtest seconds per zone and origin (run as
    Dask tasks with a scheduler); both measured on the large ledger by the caller.
    """
    kw = {"zones": zones, "langs": ("zh", "en"), "draws": 1000, "code_version": "bench"}
    base = out / "local"
    shutil.rmtree(base, ignore_errors=True)
    res = run_batch(ledger, as_of, base, workers=2, **kw)
    rows = [("local, 2 kernels", res, 2)]
    for n in (1, 2):
        dst = out / f"dask{n}"
        _reuse_fit(base, dst)
        with cluster(n) as address:
            rows.append((f"dask, {n} worker{'s' if n > 1 else ''}",
                         run_batch(ledger, as_of, dst, workers=2, scheduler=address, **kw), n))
    n_rep = len(zones) * 2
    print(f"dask   batch, {len(zones)} zones x 2 languages of {ledger.name}: fit + backtest "
          f"{res.fit_seconds:.1f} s (local)")
    print(f"       {'engine':<20}{'reports':>8}{'failed':>7}{'render s':>9}{'s/report':>9}"
          f"{'steady s/rep':>13}{'reports/min':>12}{'s/rep/worker':>13}")
    per_worker = {}
    for label, r, w in rows:
        per, _ = steady(r)
        per_worker[label] = per * w
        print(f"       {label:<20}{n_rep:>8}{r.count('failed'):>7}{r.render_seconds:>9.1f}"
              f"{r.render_seconds / n_rep:>9.2f}{per:>13.2f}{60 / per:>12.1f}{per * w:>13.2f}", flush=True)
    # One worker's steady cost of a report, as measured on a single-worker cluster
    c1 = per_worker["dask, 1 worker"]
    reports = NATIONAL_ZONES * LANGS
    work = reports * c1 + (backtest_zone_s or 0.0) * NATIONAL_ZONES * origins
    fixed = fixed_s or 0.0
    left = BUDGET_S - fixed
    print(f"       national quarter: {reports:,} reports at {c1:.2f} s each on one single-thread worker"
          + (f", backtest {backtest_zone_s:.3f} s a zone x {origins} origins" if backtest_zone_s else "")
          + (f", {fixed:.0f} s on the driver first (read + fit)" if fixed_s else ""))
    if left <= 0:
        print(f"       the driver's own {fixed:.0f} s already exceed 15 minutes: no number of workers is enough")
    else:
        need = math.ceil(work / left)
        print(f"       workers for 15 minutes: {need} single-thread workers "
              f"({work / 60:.0f} worker-minutes of work in {left / 60:.1f} minutes after the driver's part)")
