"""Seconds per report of ``forecast batch``, against a floor measured in the same run.

Floor (PERFORMANCE.md): papermill's Python API with a fresh kernel per notebook,
then the HTML export, one report after another, for a notebook that imports
pandas, matplotlib and statsmodels and draws 4 figures and a table from saved
data. The machine is shared and its speed changes by up to 2x from minute to
minute: compare the ratios, not the seconds, and read the CPU seconds beside them.

Then the real report notebook through ``run_batch`` (2 warm kernels, both
languages of a zone back to back):

1. ``sample``: a few zones of ``data/sample`` (12 zones). Per report: latency
   (execute + export), throughput (wall of the rendering phase / reports), the
   steady-state throughput once every kernel has its ledger, CPU seconds
   (driver + kernels), the page size; each against the floor.
2. ``scale``: a subset of zones of a large generated ledger (230 zones by
   default, written once to ``bench/out/zones230``; add ``--scale-ledger
   bench/out/zones2500`` for 2,500). The whole batch is projected from
   measured parts: the model-set fit, the backtest's fixed cost per origin
   (a fit at the origin) and per zone (simulation and baselines, timed on two
   zone subsets), and the steady-state seconds per report at that ledger size.

3. ``--dask`` (issue 17): the same zones rendered locally (2 kernels) and on
   Dask clusters of one and of two single-thread workers (bench/_dask.py), on
   ``--dask-ledger`` (default the sample); from one worker's measured cost of a
   report, the workers a national quarter (2,500 zones x 2 languages) needs to
   finish within 15 minutes, the driver's read and fit and the backtest's
   per-zone cost measured on ``--dask-ledger`` when it is a large one.

Run: ``.venv/bin/python bench/batch.py [--floor-runs 5] [--zones 6]
[--scale-ledger bench/out/zones230 ...] [--scale-zones 6] [--no-scale]
[--dask [--dask-ledger PATH] [--dask-zones 6]]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "batch"
SAMPLE = ROOT / "data" / "sample"
ZONES230 = ROOT / "bench" / "out" / "zones230"
sys.path.insert(0, str(ROOT))

from forecast.publish.batch import cpu_seconds  # noqa: E402

AS_OF = "2025Q4"
#: Kernels of the batch (one per core).
WORKERS = 2

PARAMS = """ledger_path: str = ""  # ledger
zone_id: str = "Z1"  # zone
as_of: str = "2025Q4"  # quarter
horizon: int = 8  # quarters ahead
lang: str = "zh"  # language
draws: int = 1000  # draws
seed: int = 0  # seed
modelset_path: str = ""  # models"""

FLOOR_CELLS = [
    "import pandas as pd\nimport numpy as np\nimport matplotlib.pyplot as plt\nimport statsmodels.api as sm",
    "df = pd.read_csv(DATA)\nz = df.loc[df['zone'] == (hash(zone_id) % 12)]",
    "fig, ax = plt.subplots(figsize=(7, 3.5))\nax.plot(z['q'], z['investment'])\n"
    "ax.fill_between(z['q'], z['investment'] * 0.8, z['investment'] * 1.2, alpha=0.3)\nplt.show()",
    "fig, ax = plt.subplots(figsize=(7, 3.5))\nax.bar(z['q'], z['started'])\nplt.show()",
    "fig, ax = plt.subplots(figsize=(7, 3.5))\nax.plot(z['q'], z['output'])\nplt.show()",
    "fit = sm.tsa.ExponentialSmoothing(z['investment'].to_numpy(), trend='add').fit()\n"
    "fig, ax = plt.subplots(figsize=(7, 3.5))\nax.plot(fit.fittedvalues)\nplt.show()",
    "z.describe().round(1)",
]


def _floor_notebook(data: Path) -> Path:
    rng = np.random.default_rng(0)
    n = 12 * 40
    pd.DataFrame({"zone": np.repeat(np.arange(12), 40), "q": np.tile(np.arange(40), 12),
                  "investment": rng.gamma(5, 2000, n), "started": rng.poisson(3, n),
                  "output": rng.gamma(4, 5000, n)}).to_csv(data, index=False)
    cells = [nbformat.v4.new_code_cell(PARAMS), nbformat.v4.new_code_cell(f"DATA = {str(data)!r}")]
    cells[0].metadata["tags"] = ["parameters"]
    cells += [nbformat.v4.new_code_cell(c) for c in FLOOR_CELLS]
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    path = OUT / "floor.ipynb"
    nbformat.write(nb, path)
    return path


def measure_floor(nb_path: Path, runs: int) -> tuple[list[float], list[float]]:
    """papermill (fresh kernel each) + HTML export, one report at a time:
    wall seconds and CPU seconds (driver + the kernel) of each."""
    import papermill

    from forecast.report.export import notebook_to_html

    walls, cpus = [], []
    for i in range(runs):
        t0, c0 = time.perf_counter(), cpu_seconds()
        nb = papermill.execute_notebook(str(nb_path), str(OUT / "floor_out.ipynb"),
                                        parameters={"zone_id": f"Z{i}"}, progress_bar=False,
                                        kernel_name="python3")
        (OUT / "floor_out.html").write_text(notebook_to_html(nb), encoding="utf-8")
        walls.append(time.perf_counter() - t0)
        cpus.append(cpu_seconds() - c0)
    return walls, cpus


def run(ledger: Path, zones: list[str], out: Path) -> Any:
    """``run_batch`` of ``zones`` in both languages."""
    from forecast.publish.batch import run_batch

    shutil.rmtree(out, ignore_errors=True)
    return run_batch(ledger, AS_OF, out, workers=WORKERS, zones=zones, langs=("zh", "en"),
                     draws=1000, code_version="bench")


def steady(res: Any) -> tuple[float, float]:
    """Wall seconds per report once every kernel has rendered its first zone
    (both languages: ledger read, quarter cut), and the one-time rest of the
    rendering phase (pool start, first zones)."""
    done = sorted(r.finished for r in res.results if r.status == "ok")
    n = len(done)
    k = min(2 * WORKERS, n - 2)
    per = (done[-1] - done[k - 1]) / (n - k) if k >= 1 else res.render_seconds / max(n, 1)
    return per, max(0.0, res.render_seconds - n * per)


def steady_cpu(res: Any) -> tuple[float, float]:
    """CPU seconds per report once a kernel is warm (its first zone left out):
    the kernel's own, measured in the kernel, and the driver's share."""
    ok = [r for r in res.results if r.status == "ok"]
    warm = [r.kernel_cpu_seconds for r in ok if r.kernel_reports_before >= 2 and r.kernel_cpu_seconds]
    kernel = statistics.mean(warm) if warm else float("nan")
    return kernel, res.driver_cpu_seconds / max(len(ok), 1)


def describe(name: str, res: Any, floor: float, floor_cpu: float) -> tuple[float, float, float]:
    """Print one batch's figures; return its steady seconds per report (wall
    and CPU-bound at WORKERS cores) and the one-time seconds."""
    ok = [r for r in res.results if r.status == "ok"]
    n = len(res.results)
    render_cpu = res.render_cpu_seconds
    lat = statistics.median(r.seconds for r in ok)
    kern = statistics.median(r.kernel_seconds for r in ok)
    per, once = steady(res)
    k_cpu, d_cpu = steady_cpu(res)
    bound = (k_cpu + d_cpu) / WORKERS
    sizes = [(res.out / r.html).stat().st_size / 1024 for r in ok]
    print(f"{name}: {n} reports ({res.count('failed')} failed); fit + backtest {res.fit_seconds:.1f} s "
          f"({res.fit_cpu_seconds:.1f} s CPU); rendering {res.render_seconds:.1f} s")
    print(f"       latency per report (execute + export): median {lat:.2f} s = {lat / floor:.2f}x floor "
          f"(kernel {kern:.2f} s, export and writes {lat - kern:.2f} s)")
    print(f"       throughput at {WORKERS} workers: {res.render_seconds / n:.2f} s/report incl. pool start "
          f"= {res.render_seconds / n / floor:.2f}x floor; steady {per:.2f} s/report = "
          f"{per / floor:.2f}x floor (one-time {once:.1f} s)")
    print(f"       CPU: {render_cpu / n:.2f} s a report incl. kernel start and first zones "
          f"({render_cpu / n / floor_cpu:.2f}x floor CPU); warm: kernel {k_cpu:.2f} s + driver "
          f"{d_cpu:.2f} s a report = {bound:.2f} s/report on {WORKERS} cores "
          f"({bound / floor:.2f}x floor)")
    print(f"       page size median {statistics.median(sizes):.0f} KB, max {max(sizes):.0f} KB")
    return per, bound, once


class _Prefitted:
    """A model factory for ``run_backtest`` that hands back models fitted once."""

    def __init__(self, models: Any) -> None:
        self.models = models

    def __call__(self) -> "_Prefitted":
        return self

    def fit(self, ledger: Any, origin: Any) -> Any:
        return self.models


def backtest_costs(ledger_path: Path, small: int = 4, large: int = 16) -> tuple[float, float]:
    """The batch backtest's cost per origin: a fit at the origin (seconds) and,
    per zone, the simulation and baselines (seconds, one process; from two
    subsets of zones so the fixed part cancels)."""
    from forecast.backtest import run_backtest
    from forecast.models import ModelSet
    from forecast.periods import quarter
    from forecast.run import BACKTEST_DRAWS, load_ledger

    ledger = load_ledger(ledger_path)
    q = quarter(AS_OF)
    cut = ledger.as_of(q)
    origin = q - 1
    t0 = time.perf_counter()
    models = ModelSet(fit_indicators=False).fit(cut, origin)
    fit = time.perf_counter() - t0
    # Zones spread over the ledger: its first zones need not be typical.
    spread = ledger.zone_ids[:: max(1, len(ledger.zone_ids) // large)][:large]
    secs = []
    for k in (small, large):
        t0 = time.perf_counter()
        run_backtest(cut, [origin], horizon=1, draws=BACKTEST_DRAWS, seed=0, zones=spread[:k],
                     model_factory=_Prefitted(models))
        secs.append(time.perf_counter() - t0)
    return fit, (secs[1] - secs[0]) / (large - small)


def project(name: str, n_zones: int, fit_phase: float, per: tuple[float, float, float]) -> None:
    """Print the whole batch's time from its parts: fit phase, one-time, reports
    at the measured steady wall rate and at the CPU-bound rate."""
    wall, bound, once = per
    for label, rate in (("wall rate", wall), ("CPU-bound", bound)):
        total = fit_phase + once + 2 * n_zones * rate
        print(f"       projected {n_zones:,} zones x 2 languages at {WORKERS} workers ({label}): "
              f"{total / 60:.1f} min (fit + backtest {fit_phase / 60:.1f} min, one-time {once:.0f} s, "
              f"reports {2 * n_zones * rate / 60:.1f} min) [{name}]")


def scale(ledger_path: Path, k: int, floor: float, floor_cpu: float) -> None:
    """Project a whole batch of ``ledger_path`` from a subset of ``k`` zones."""
    from forecast.run import BACKTEST_ORIGINS, clear_cache, load_ledger

    t0 = time.perf_counter()
    ledger = load_ledger(ledger_path)
    load = time.perf_counter() - t0
    n = len(ledger.zone_ids)
    zones = ledger.zone_ids[:: max(1, n // k)][:k]
    print(f"scale  {ledger_path.name}: {n:,} zones, {len(ledger.projects):,} projects, "
          f"{len(ledger.progress):,} progress rows; read in {load:.1f} s")
    res = run(ledger_path, zones, OUT / f"scale_{ledger_path.name}")
    per = describe(f"       {k} zones", res, floor, floor_cpu)
    fit_origin, per_zone = backtest_costs(ledger_path)
    clear_cache()
    # The batch fits the model set in a forked process beside the backtest;
    # the backtest's origins run one after the other, each a fit and then the
    # zones simulated by WORKERS processes.
    fit_phase = BACKTEST_ORIGINS * (fit_origin + per_zone * n / WORKERS)
    print(f"       backtest per origin: fit {fit_origin:.1f} s, {per_zone:.3f} s a zone (1 process)")
    project(f"{k}-zone subset of {ledger_path.name}", n, load + fit_phase, per)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--floor-runs", type=int, default=5)
    ap.add_argument("--zones", type=int, default=6, help="sample zones of the real report")
    ap.add_argument("--scale-ledger", type=Path, action="append",
                    help=f"large ledger(s) to project from (default {ZONES230.relative_to(ROOT)})")
    ap.add_argument("--scale-zones", type=int, default=10)
    ap.add_argument("--no-scale", action="store_true")
    ap.add_argument("--dask", action="store_true",
                    help="compare local rendering with Dask clusters of 1 and 2 single-thread workers")
    ap.add_argument("--dask-ledger", type=Path, default=SAMPLE)
    ap.add_argument("--dask-zones", type=int, default=6)
    ap.add_argument("--only-dask", action="store_true", help="skip the floor and the other cases")
    args = ap.parse_args()
    if args.only_dask:
        warnings.simplefilter("ignore")
        dask(args.dask_ledger, args.dask_zones)
        return
    warnings.simplefilter("ignore")
    OUT.mkdir(parents=True, exist_ok=True)
    nb_path = _floor_notebook(OUT / "floor_data.csv")

    walls, cpus = measure_floor(nb_path, args.floor_runs)
    floor, floor_cpu = statistics.median(walls), statistics.median(cpus)
    print(f"floor  papermill+export, fresh kernel: {floor:.2f} s/report, {floor_cpu:.2f} s CPU "
          f"(median of {len(walls)}: " + ", ".join(f"{t:.2f}" for t in walls) + ")")

    sample_zones = pd.read_csv(SAMPLE / "zones.csv")["zone_id"].astype(str).tolist()
    res = run(SAMPLE, sample_zones[: args.zones], OUT / "real_sample")
    per = describe(f"real   zone_report.ipynb, {args.zones} sample zones", res, floor, floor_cpu)
    project("sample-ledger speed; fit and backtest of the large ledgers not included", 230, 0.0, per)

    if not args.no_scale:
        from forecast.run import clear_cache

        clear_cache()
        ledgers = args.scale_ledger or [ZONES230]
        for path in ledgers:
            if path == ZONES230 and not path.is_dir():
                from forecast.sample import write_sample

                write_sample(path, zones=230, seed=2025)
            scale(path, args.scale_zones, floor, floor_cpu)
    if args.dask:
        dask(args.dask_ledger, args.dask_zones)


def dask(ledger_path: Path, k: int) -> None:
    """Local against Dask clusters of 1 and 2 workers, and the national projection."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _dask import compare_batch

    from forecast.publish.batch import run_batch
    from forecast.run import BACKTEST_ORIGINS, clear_cache, load_ledger

    clear_cache()
    t0 = time.perf_counter()
    ledger = load_ledger(ledger_path)
    read = time.perf_counter() - t0
    n = len(ledger.zone_ids)
    zones = ledger.zone_ids[:: max(1, n // k)][:k]
    fixed = per_zone = None
    if n >= 1000:  # a national-size ledger: measure the driver's part and the backtest's
        from forecast.models import ModelSet

        t0 = time.perf_counter()
        ModelSet().fit(ledger.as_of(AS_OF), AS_OF, workers=WORKERS)
        fit_origin, per_zone = backtest_costs(ledger_path)
        # the driver reads, fits the model set and a model set at each backtest origin
        fixed = read + (time.perf_counter() - t0) + BACKTEST_ORIGINS * fit_origin
    compare_batch(run_batch, steady, ledger_path, AS_OF, zones, OUT / f"dask_{ledger_path.name}",
                  fixed, per_zone, BACKTEST_ORIGINS)


if __name__ == "__main__":
    main()
