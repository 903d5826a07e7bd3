"""Benchmark of `forecast predict`: time and peak memory of 1,000 draws × 8 quarters
on the sample ledger and on a large generated ledger (2,500 zones, ~200k projects).

Each case runs in a fresh child process so its memory is its own. Peak memory
is the largest proportional set size (PSS) of the case and its forked workers,
sampled every half second while fitting and simulating; ``RSS-sum`` adds the
peak resident sizes of the process and of each worker (ru_maxrss), an upper
bound that counts pages the workers share with the parent more than once.
``fit s`` is the ledger's cut at as_of and the model set's fit (``--workers``
processes), ``sim s`` the
simulation of every zone, ``fit+sim s`` what ``forecast predict`` spends
between loading the ledger and writing the table.
``fit cpu s`` and ``sim cpu s`` are CPU seconds of the process and its workers.
Each case runs with the model set's self-calibration and without (``--calibration``),
and their ratio is printed. ``cpu ms/zone`` is the simulation's CPU time (the process and its workers) per
zone. Figures are printed with ratios to a floor measured in the same run: the
time of a bare numpy Monte Carlo of the same size (one uniform draw and one sum
per project, draw and quarter — the least any simulator of these paths must do)
and the memory of the process once the ledger is loaded, before any model.

    .venv/bin/python bench/predict.py                 # sample and 2,500 zones
    .venv/bin/python bench/predict.py --large-zones 0 # sample only
    .venv/bin/python bench/predict.py --dask          # then local vs Dask clusters of 1 and 2 workers

``--dask`` (issue 17) fits the largest case once, then simulates every zone on
one and two local processes and on Dask clusters of one and of two single-thread
workers (bench/_dask.py), and checks that every table is the same, byte for byte.

The 2,500-zone ledger is generated once (about a minute) and kept in --cache.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import sys
import threading
import time
from pathlib import Path

import numpy as np


def _rss_mib() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:  # the process has just ended
        pass
    return 0


def _children(pid: int) -> list[int]:
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as fh:
                    if int(fh.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except OSError:
                continue
    return out


class PssPeak(threading.Thread):
    """Samples the proportional set size (shared pages split between the
    processes that share them) of this process and its workers: the memory the
    run really takes, where summed RSS counts forked pages twice."""

    def __init__(self, every: float = 0.5) -> None:
        super().__init__(daemon=True)
        self.every, self.peak, self._halt = every, 0, threading.Event()

    def run(self) -> None:
        me = os.getpid()
        while not self._halt.is_set():
            self.peak = max(self.peak, sum(_pss_kib(p) for p in [me, *_children(me)]))
            self._halt.wait(self.every)

    def stop(self) -> float:
        self._halt.set()
        self.join()
        return self.peak / 1024


def _cpu_s() -> float:
    """CPU seconds of this process and its finished workers (a busy shared
    machine stretches wall time; CPU time says what the run itself cost)."""
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_mib(workers: int) -> float:
    """Peak resident memory of this process plus ``workers`` times the largest
    forked worker's (an upper bound: forked workers share pages with the parent)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if workers > 1 else 0
    return (own + workers * child) / 1024


def _case(source: str, zones: int, seed: int, start_year: int, draws: int, horizon: int, as_of: str,
          workers: int, cache: str, calibrate: bool, out: mp.Queue) -> None:
    import warnings

    from forecast.ledger import load, save
    from forecast.models import ModelSet
    from forecast.sample import generate
    from forecast.simulate import forecast_table

    warnings.simplefilter("ignore")  # fit chatter is not what this measures
    t0 = time.perf_counter()
    path = Path(source) if source else Path(cache) / f"ledger-{zones}-{seed}-{start_year}"
    if path.exists():
        led = load(path)
    else:
        led = generate(zones=zones, seed=seed, start_year=start_year)
        save(led, path)
    t_ledger = time.perf_counter() - t0
    cut = led.as_of(as_of)
    live = int(cut.projects["cancelled_date"].isna().sum())
    rss_loaded = _rss_mib()

    # floor: the least work of a Monte Carlo this size, in the same process
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    chunk = 2000
    for start in range(0, live, chunk):
        n = min(chunk, live - start)
        for _ in range(horizon):
            rng.random((draws, n), dtype=np.float32).sum(axis=1)
    t_floor = time.perf_counter() - t0

    pss = PssPeak()
    pss.start()
    t0, c0 = time.perf_counter(), _cpu_s()
    cut = led.as_of(as_of)  # once, for the fit and the simulation (as `forecast predict` does)
    models = ModelSet(fit_indicators=False, calibrate=calibrate).fit(cut, as_of, workers=workers)
    t_fit, c_fit = time.perf_counter() - t0, _cpu_s() - c0
    t0, c0 = time.perf_counter(), _cpu_s()
    table = forecast_table(cut, as_of, horizon, draws, seed=0, models=models, workers=workers)
    t_sim, c_sim = time.perf_counter() - t0, _cpu_s() - c0
    out.put({
        "zones": len(led.zones), "projects": len(led.projects), "live_at_as_of": live,
        "ledger_s": t_ledger, "fit_s": t_fit, "fit_cpu_s": c_fit, "simulate_s": t_sim, "simulate_cpu_s": c_sim,
        "calibrated": bool(models.calibration_ is not None and models.calibration_.active_),
        "floor_s": t_floor,
        "rows": len(table), "rss_loaded_mib": rss_loaded, "peak_mib": _peak_mib(workers),
        "peak_pss_mib": pss.stop(),
    })


def run(*args: object) -> dict:
    ctx = mp.get_context("spawn")  # a fresh interpreter: its own peak memory
    q: mp.Queue = ctx.Queue()
    p = ctx.Process(target=_case, args=(*args, q))
    p.start()
    res = q.get()
    p.join()
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", default=str(Path(__file__).resolve().parents[1] / "data" / "sample"),
                    help="the sample ledger folder")
    ap.add_argument("--sample-as-of", default="2024Q4")
    ap.add_argument("--large-zones", type=int, default=2500)
    ap.add_argument("--large-start-year", type=int, default=2015,
                    help="first year of the generated ledger (2015: the generator's default span)")
    ap.add_argument("--large-as-of", default="2024Q4")
    ap.add_argument("--draws", type=int, default=1000)
    ap.add_argument("--horizon", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--cache", default="/tmp/forecast-bench", help="where generated ledgers are kept")
    ap.add_argument("--calibration", choices=("both", "on", "off"), default="both",
                    help="fit the model set with its self-calibration, without, or both (their ratio)")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    ap.add_argument("--dask", action="store_true",
                    help="also compare a local run with Dask clusters of 1 and 2 single-thread workers")
    ap.add_argument("--only-dask", action="store_true", help="only the Dask comparison (of the largest case)")
    a = ap.parse_args()
    Path(a.cache).mkdir(parents=True, exist_ok=True)
    cases = [("sample", (a.sample, 0, 0, 0, a.draws, a.horizon, a.sample_as_of))]
    if a.large_zones:
        cases.append(("large", ("", a.large_zones, 11, a.large_start_year, a.draws, a.horizon, a.large_as_of)))
    if a.only_dask:
        dask_compare(*cases[-1][1], a.workers, a.cache)
        return
    print(f"predict: {a.draws} draws x {a.horizon} quarters, {a.workers} worker(s)")
    print(f"{'case':<7}{'cal':>4}{'zones':>7}{'projects':>10}{'live':>9}{'fit s':>8}{'sim s':>8}{'fit+sim s':>10}"
          f"{'fit cpu s':>10}{'sim cpu s':>10}"
          f"{'cpu ms/zone':>12}{'floor s':>9}{'sim/floor':>10}{'PSS MiB':>9}{'/loaded':>9}{'RSS-sum MiB':>12}")
    calibrate = {"both": (False, True), "on": (True,), "off": (False,)}[a.calibration]
    for name, args in cases:
        done = {}
        for cal in calibrate:  # plain first: the figure the calibrated run is compared with
            r = done[cal] = run(*args, a.workers, a.cache, cal)
            print(f"{name:<7}{'on' if r['calibrated'] else 'off':>4}{r['zones']:>7}{r['projects']:>10}"
                  f"{r['live_at_as_of']:>9}{r['fit_s']:>8.1f}"
                  f"{r['simulate_s']:>8.1f}{r['fit_s'] + r['simulate_s']:>10.1f}{r['fit_cpu_s']:>10.1f}"
                  f"{r['simulate_cpu_s']:>10.1f}{1000 * r['simulate_cpu_s'] / r['zones']:>12.1f}"
                  f"{r['floor_s']:>9.2f}{r['simulate_s'] / r['floor_s']:>10.1f}"
                  f"{r['peak_pss_mib']:>9.0f}{r['peak_pss_mib'] / r['rss_loaded_mib']:>9.1f}"
                  f"{r['peak_mib']:>12.0f}")
            if a.json:
                print(json.dumps(r))
            sys.stdout.flush()
        if len(done) == 2:
            off, on = done[False], done[True]
            print(f"{name}: calibrated / plain fit+sim {(on['fit_s'] + on['simulate_s']) / (off['fit_s'] + off['simulate_s']):.2f}x wall, "
                  f"{(on['fit_cpu_s'] + on['simulate_cpu_s']) / (off['fit_cpu_s'] + off['simulate_cpu_s']):.2f}x CPU "
                  f"(fit {on['fit_cpu_s'] / off['fit_cpu_s']:.2f}x, simulation {on['simulate_cpu_s'] / off['simulate_cpu_s']:.2f}x CPU; "
                  f"load average {os.getloadavg()[0]:.1f})")
    if a.dask:
        name, args = cases[-1]
        dask_compare(*args, a.workers, a.cache)


def dask_compare(source: str, zones: int, seed: int, start_year: int, draws: int, horizon: int,
                 as_of: str, workers: int, cache: str) -> None:
    """Local processes against Dask clusters, on the ledger of one case."""
    import warnings

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _dask import compare_predict

    from forecast.ledger import load
    from forecast.models import ModelSet
    from forecast.simulate import forecast_table

    warnings.simplefilter("ignore")
    path = Path(source) if source else Path(cache) / f"ledger-{zones}-{seed}-{start_year}"
    cut = load(path).as_of(as_of)
    compare_predict(lambda: ModelSet(fit_indicators=False).fit(cut, as_of, workers=workers),
                    lambda models, local, address: forecast_table(
                        cut, as_of, horizon, draws, seed=0, models=models, workers=local, scheduler=address),
                    len(cut.zone_ids))


if __name__ == "__main__":
    main()
