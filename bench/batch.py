"""Seconds per report of ``forecast batch``, against a floor measured in the same run.

Floor (PERFORMANCE.md): papermill's Python API with a fresh kernel per notebook,
then the HTML export, one report after another, for a notebook that imports
pandas, matplotlib and statsmodels and draws 4 figures and a table from saved
data. Then the same notebook through ``run_batch`` (warm kernel pool), with 1
worker (same conditions as the floor) and with 2 workers (wall time / reports),
and finally the real report notebook for a few sample zones.

Prints seconds per report, the ratio to the floor, and projections for 230 and
2,500 zones at 2 workers (two languages each, so 460 and 5,000 reports).

Run: ``.venv/bin/python bench/batch.py [--floor-runs 5] [--pool-zones 12] [--real-zones 4] [--no-real]``
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
import warnings
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out" / "batch"
SAMPLE = ROOT / "data" / "sample"
sys.path.insert(0, str(ROOT))

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


def measure_floor(nb_path: Path, runs: int) -> list[float]:
    """papermill (fresh kernel each) + HTML export, one report at a time."""
    import papermill

    from forecast.report.export import notebook_to_html

    times = []
    for i in range(runs):
        t0 = time.perf_counter()
        nb = papermill.execute_notebook(str(nb_path), str(OUT / "floor_out.ipynb"),
                                        parameters={"zone_id": f"Z{i}"}, progress_bar=False, kernel_name="python3")
        (OUT / "floor_out.html").write_text(notebook_to_html(nb), encoding="utf-8")
        times.append(time.perf_counter() - t0)
    return times


def measure_pool(nb_path: Path, zones: list[str], workers: int, ledger: Path, **kw) -> tuple[float, int, object]:
    from forecast.batch import run_batch

    out = OUT / f"pool_{nb_path.stem}_{workers}"
    shutil.rmtree(out, ignore_errors=True)
    t0 = time.perf_counter()
    res = run_batch(ledger, "2025Q4", out, workers=workers, zones=zones, notebook=nb_path,
                    code_version="bench", **kw)
    wall = time.perf_counter() - t0
    return wall, res.count("ok") + res.count("failed"), res


def _split(res: object, floor: float) -> None:
    ok = [r for r in res.results if r.status == "ok"]
    if ok:
        k = statistics.median(r.kernel_seconds for r in ok)
        t = statistics.median(r.seconds for r in ok)
        print(f"       per report: median {t:.2f} s ({t / floor:.2f}x floor), of which {k:.2f} s in the warm kernel "
              f"(reset + cells) and {t - k:.2f} s export and writes in the driver")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--floor-runs", type=int, default=5)
    ap.add_argument("--pool-zones", type=int, default=12)
    ap.add_argument("--real-zones", type=int, default=4)
    ap.add_argument("--no-real", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    OUT.mkdir(parents=True, exist_ok=True)
    nb_path = _floor_notebook(OUT / "floor_data.csv")
    sample_zones = pd.read_csv(SAMPLE / "zones.csv")["zone_id"].astype(str).tolist()

    floor = measure_floor(nb_path, args.floor_runs)
    f = statistics.median(floor)
    print(f"floor  papermill+export, fresh kernel: {f:.2f} s/report (median of {len(floor)}: "
          + ", ".join(f"{t:.2f}" for t in floor) + ")")

    zones = (sample_zones * 10)[: args.pool_zones]
    zones = list(dict.fromkeys(zones))
    rows = []
    for workers in (1, 2):
        wall, n, res = measure_pool(nb_path, zones, workers, SAMPLE, fit_models=False, langs=("zh", "en"))
        per = wall / n
        rows.append((workers, per))
        _split(res, f)
        print(f"pool   same notebook, {workers} worker(s): {n} reports in {wall:.1f} s = {per:.2f} s/report "
              f"(ratio to floor {per / f:.2f}x; includes pool start and ledger load)")
    per2 = rows[-1][1]
    for n_zones in (230, 2500):
        print(f"       projected {n_zones} zones x 2 languages at 2 workers: {n_zones * 2 * per2 / 60:.1f} min "
              f"({n_zones * per2 / 60:.1f} min for one language)")

    if not args.no_real:
        from forecast.batch import default_notebook

        real = default_notebook()
        zones = sample_zones[: args.real_zones]
        wall, n, res = measure_pool(real, zones, 2, SAMPLE, langs=("zh", "en"), draws=1000)
        per = wall / n
        print(f"real   zone_report.ipynb, {len(zones)} zones x 2 languages, 2 workers: {n} reports "
              f"({res.count('failed')} failed) in {wall:.1f} s = {per:.2f} s/report incl. fitting "
              f"and the backtest once ({per / f:.2f}x floor)")
        _split(res, f)
        secs = [r.seconds for r in res.results if r.status == "ok"]
        if secs:
            med = statistics.median(secs)
            print(f"       per report in a warm kernel (execute + export): median {med:.2f} s "
                  f"({med / f:.2f}x floor); at 2 workers 230 zones x 2 languages = {460 * med / 2 / 60:.1f} min, "
                  f"2,500 zones = {5000 * med / 2 / 60:.1f} min, plus fitting and the backtest")


if __name__ == "__main__":
    main()
