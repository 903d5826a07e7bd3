"""Fit benchmarks: time and peak memory of the fitted models.

    .venv/bin/python bench/fit.py                 # sample ledger and 2,500 zones
    .venv/bin/python bench/fit.py --zones 200     # a smaller generated ledger
    .venv/bin/python bench/fit.py --skip-large    # the sample ledger only
    .venv/bin/python bench/fit.py --only modelset_calibration  # calibrated vs plain fit
    .venv/bin/python bench/fit.py --only modelset_calibration --trace-modelset  # and their memory
    git worktree add /tmp/base 4dcd185 && .venv/bin/python bench/fit.py --baseline /tmp/base
        # the same fits with an earlier version's code, on the same ledger: now / then

Each ledger first gets two floors measured in the same run, so figures taken
while the shared machine is busy can still be compared: building the survival
rows and design matrices of every transition (what any duration model has to
do), and a plain lifelines Kaplan-Meier fit of started -> completed. Every
step prints seconds, peak traced memory (``tracemalloc``: numpy and pandas
allocations) and its ratio to each floor; the process's peak RSS closes the
run.

Sections are functions ``(ledger, as_of) -> list[Row]`` in ``SECTIONS``: completion
and spend (issue 3), the output model and indicator baselines (issue 4), then
the whole model set without and with its self-calibration (issue 13; their
ratio closes the ledger's table). ``--baseline`` times the models every
version has (and the model set as a user fits it, calibration included where
the version has one) with this checkout's code and with another's, each fit
in a fresh process on the same ledger, alternating, the faster of two runs
each: the figure for "within 1.3x of an earlier version's times".
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from forecast.ledger import load, save  # noqa: E402
from forecast.models import CompletionModel, SpendModel  # noqa: E402
from forecast.models._stages import (Centres, category_codes, cut_clock, design,  # noqa: E402
                                     ledger_origin, log_size, transition_rows)
from forecast.sample import generate  # noqa: E402
from forecast.vocab import TRANSITIONS  # noqa: E402

AS_OF = "2025Q4"
TARGET_SECONDS, TARGET_GIB = 60.0, 4.0


@dataclass
class Row:
    """One measured step (``peak_mib`` NaN when measured without tracing)."""

    step: str
    seconds: float
    peak_mib: float
    cpu: float = float("nan")


def measure(step: str, fn: Callable[[], Any], trace: bool = True) -> tuple[Any, Row]:
    """Run ``fn`` once; its wall and CPU time (this process: every fit here
    runs in it) and, when ``trace``, its peak traced memory (tracing slows
    numpy- and pandas-heavy code unevenly, so ratios of times are taken
    untraced)."""
    if trace:
        tracemalloc.start()
        tracemalloc.reset_peak()
    t0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = float("nan")
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, Row(step, seconds, peak, cpu)


# --- floors ----------------------------------------------------------------------------
def floor_design(cut: Any, as_of: str) -> None:
    """Survival rows and design matrices of every transition."""
    P = cut.projects
    codes, lsize = category_codes(P["category"]), log_size(P)
    X, origin = cut_clock(pd.Period(as_of)), ledger_origin(cut, None)
    for k in range(len(TRANSITIONS)):
        r = transition_rows(P, X, k, origin)
        i = r["row"].to_numpy()
        design(k, codes[i], lsize[i], r["x0"].to_numpy(), r["plan"].to_numpy(),
               Centres(float(np.nanmedian(lsize))), r["t"].to_numpy(), r["status"].to_numpy(),
               r["a"].to_numpy())


def floor_km(cut: Any, as_of: str) -> None:
    """lifelines Kaplan-Meier on started -> completed (delayed entry)."""
    from lifelines import KaplanMeierFitter

    r = transition_rows(cut.projects, cut_clock(pd.Period(as_of)), 2, ledger_origin(cut, None))
    KaplanMeierFitter().fit(r["t"], r["status"] == 1, entry=r["a"])


# --- sections ----------------------------------------------------------------------------
def completion_and_spend(cut: Any, as_of: str) -> list[Row]:
    """Issue 3: stage transitions and the spend curve."""
    _, a = measure("CompletionModel.fit", lambda: CompletionModel().fit(cut, as_of))
    _, b = measure("SpendModel.fit", lambda: SpendModel().fit(cut, as_of))
    return [a, b, Row("completion + spend", a.seconds + b.seconds, max(a.peak_mib, b.peak_mib), a.cpu + b.cpu)]


#: Each section measures its models on a ledger already cut at ``as_of``.
def output_and_indicators(cut: Any, as_of: str) -> list[Row]:
    """Issue 4: the output model (capacity, realisation, ramp-up) and the zone
    indicator baselines (bench/fit_output.py has the sampling and NBS figures)."""
    from forecast.models import IndicatorBaselines, OutputModel

    _, a = measure("output model", lambda: OutputModel().fit(cut, as_of))
    _, b = measure("indicator baselines (all zones)", lambda: IndicatorBaselines().fit(cut, as_of))
    return [a, b]


#: Whether :func:`modelset_calibration` also measures the fits' memory, in a
#: second, traced pass (``--trace-modelset``).
TRACE_MODELSET = False


def _forked(fn: Callable[[], Any]) -> Any:
    """``fn()`` run in a forked child and its (picklable) result: each fit
    starts from this process's state, so neither inherits what the other
    cached (the per-cut arrays of the ledger, the calibration's memos)."""
    import multiprocessing as mp

    ctx = mp.get_context("fork")
    recv, send = ctx.Pipe(duplex=False)

    def child() -> None:
        send.send(fn())
        send.close()

    proc = ctx.Process(target=child)
    proc.start()
    out = recv.recv()
    proc.join()
    return out


def modelset_calibration(cut: Any, as_of: str) -> list[Row]:
    """Issue 13: the whole model set fitted without and with its
    self-calibration (the backtest at the quarters before ``as_of``), each
    in a fresh forked process (one after the other in one process, the
    second fit reused the first's per-cut arrays: 1.26x where fresh fits
    give 1.35x), untraced (:func:`run` prints their ratios, wall and CPU:
    what the calibration adds, a backtest of at most 40 zones, so a fixed
    cost on a large ledger); with ``TRACE_MODELSET`` again, traced, for their
    memory. Against an earlier version's times: ``--baseline``."""
    import warnings

    from forecast.models import ModelSet

    def fit(calibrate: bool, trace: bool) -> tuple[Row, str]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # fit chatter is not what this measures
            name = "ModelSet.fit, " + ("calibrated" if calibrate else "calibrate=False") + (" (traced)" if trace else "")
            ms, row = measure(name, lambda: ModelSet(fit_indicators=False, calibrate=calibrate).fit(cut, as_of), trace)
        cal = ms.calibration_
        return row, "" if cal is None or cal.active_ else cal.reason_

    rows = []
    for trace in (False, True) if TRACE_MODELSET else (False,):
        (off, _), (on, why) = _forked(lambda: fit(False, trace)), _forked(lambda: fit(True, trace))
        rows += [off, on]
        if why:
            print(f"(calibration inactive: {why})")
    return rows


#: Fits every version has, timed by :func:`against_baseline` in a fresh
#: process with the code at ``sys.argv[1]`` (its own ``forecast``).
_BASELINE_FITS = r"""
import json, sys, time, warnings
sys.path.insert(0, sys.argv[1])
warnings.simplefilter("ignore")
from forecast.ledger import load
from forecast.models import CompletionModel, IndicatorBaselines, ModelSet, OutputModel, SpendModel
as_of = sys.argv[3]
cut = load(sys.argv[2]).as_of(as_of)
out = {}
for name, make in [("CompletionModel.fit", CompletionModel), ("SpendModel.fit", SpendModel),
                   ("OutputModel.fit", OutputModel), ("IndicatorBaselines.fit", IndicatorBaselines),
                   ("ModelSet.fit (as a user fits it)", ModelSet)]:
    t0, c0 = time.perf_counter(), time.process_time()
    make().fit(cut, as_of)
    out[name] = (time.perf_counter() - t0, time.process_time() - c0)
print(json.dumps(out))
"""


def against_baseline(base: Path, ledger_dir: Path, as_of: str, rounds: int = 2) -> None:
    """Print the model fits' CPU and wall seconds with the code at ``base``
    and with this checkout's, on the ledger saved at ``ledger_dir``, and their
    ratio (this ÷ base); each fit's faster run of ``rounds``."""
    import json
    import subprocess

    best: dict[str, dict[str, tuple[float, float]]] = {"base": {}, "this": {}}
    for _ in range(rounds):
        for tag, root in (("base", base), ("this", ROOT)):
            done = subprocess.run([sys.executable, "-c", _BASELINE_FITS, str(root), str(ledger_dir), as_of],
                                  capture_output=True, text=True, check=True)
            for step, (wall, cpu) in json.loads(done.stdout.strip().splitlines()[-1]).items():
                old = best[tag].get(step)
                best[tag][step] = (wall, cpu) if old is None or cpu < old[1] else old

    def plus(*steps: str) -> dict[str, tuple[float, float]]:
        return {tag: tuple(sum(best[tag][st][i] for st in steps) for i in (0, 1)) for tag in best}

    fits = list(best["base"])  # completion, spend, output, indicators, the model set
    table = {step: plus(step) for step in fits[:2]}
    table["completion + spend"] = plus(*fits[:2])
    table.update({step: plus(step) for step in fits[2:4]})
    table["output + indicators"] = plus(*fits[2:4])
    table[fits[4]] = plus(fits[4])
    print(f"\nagainst {base} ({ledger_dir.name}, as_of {as_of}; faster of {rounds} runs, fresh processes)")
    print(f"{'step':36s} {'base cpu s':>10s} {'this cpu s':>10s} {'x cpu':>6s} {'x wall':>7s}")
    for step, t in table.items():
        (bw, bc), (tw, tc) = t["base"], t["this"]
        print(f"{step:36s} {bc:10.1f} {tc:10.1f} {tc / bc:6.2f} {tw / bw:7.2f}")


SECTIONS: list[Callable[[Any, str], list[Row]]] = [completion_and_spend, output_and_indicators,
                                                   modelset_calibration]


def run(name: str, ledger: Any, as_of: str, sections: list[Callable[[Any, str], list[Row]]] = SECTIONS) -> list[Row]:
    """Floors and every section on one ledger; prints and returns the rows."""
    import lifelines  # noqa: F401  (imported once here, not timed in the floor)

    cut, cut_row = measure("Ledger.as_of (not a model)", lambda: ledger.as_of(as_of))
    _, f_design = measure("floor: survival design", lambda: floor_design(cut, as_of))
    _, f_km = measure("floor: Kaplan-Meier (lifelines)", lambda: floor_km(cut, as_of))
    rows = [cut_row, f_design, f_km]
    for section in sections:
        rows += section(cut, as_of)
    print(f"\n{name}: {len(cut.zones):,} zones, {len(cut.projects):,} projects, "
          f"{len(cut.progress):,} progress rows, as_of {as_of}")
    print(f"{'step':43s} {'seconds':>8s} {'cpu s':>8s} {'peak MiB':>9s} {'x design':>9s} {'x KM':>7s}")
    for r in rows:
        print(f"{r.step:43s} {r.seconds:8.2f} {r.cpu:8.2f} {r.peak_mib:9.0f} "
              f"{r.seconds / f_design.seconds:9.1f} {r.seconds / f_km.seconds:7.1f}")
    steps = {r.step: r for r in rows}
    off, on = steps.get("ModelSet.fit, calibrate=False"), steps.get("ModelSet.fit, calibrated")
    if off and on:  # the untraced pass
        print(f"calibrated / plain ModelSet.fit (untraced): {on.seconds / off.seconds:.2f}x wall, "
              f"{on.cpu / off.cpu:.2f}x CPU (calibration {on.cpu - off.cpu:.1f} CPU s; "
              f"load average {os.getloadavg()[0]:.1f})")
    return rows


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--zones", type=int, default=2500, help="zones of the generated ledger")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated ledger")
    parser.add_argument("--skip-large", action="store_true", help="only the sample ledger")
    parser.add_argument("--only", choices=[f.__name__ for f in SECTIONS], action="append",
                        help="run only this section (repeatable)")
    parser.add_argument("--cache", default="",
                        help="folder keeping the generated ledger between runs (none: generated every run)")
    parser.add_argument("--trace-modelset", action="store_true",
                        help="also measure the model set's memory, in a second (traced) pass")
    parser.add_argument("--baseline", type=Path, default=None,
                        help="a checkout of an earlier version: its fits against this one's on the large ledger")
    args = parser.parse_args(argv)
    global TRACE_MODELSET
    TRACE_MODELSET = args.trace_modelset
    sections = [f for f in SECTIONS if not args.only or f.__name__ in args.only]
    print(f"cores: {os.cpu_count()}; targets for the large ledger: under {TARGET_SECONDS:.0f} s "
          f"and {TARGET_GIB:.0f} GiB for completion + spend")
    run("sample ledger (data/sample)", load(ROOT / "data" / "sample"), AS_OF, sections)
    if not args.skip_large:
        cached = Path(args.cache) / f"ledger-{args.zones}-{args.seed}" if args.cache else None
        if cached is not None and cached.exists():
            ledger = load(cached)
            print(f"\n{args.zones} zones read from {cached}")
        else:
            ledger, gen = measure("generate", lambda: generate(zones=args.zones, seed=args.seed))
            print(f"\ngenerated {args.zones} zones in {gen.seconds:.1f} s")
            if cached is not None:
                save(ledger, cached)
        rows = run(f"generated ledger ({args.zones} zones, seed {args.seed})", ledger, AS_OF, sections)
        if args.baseline is not None:
            if cached is None:
                import tempfile

                cached = Path(tempfile.mkdtemp(prefix="bench-fit-")) / f"ledger-{args.zones}-{args.seed}"
                save(ledger, cached)
            against_baseline(args.baseline.resolve(), cached, AS_OF)
        total = next((r for r in rows if r.step == "completion + spend"), None)
        if total is not None:
            ok = total.seconds < TARGET_SECONDS and total.peak_mib / 1024 < TARGET_GIB
            print(f"completion + spend: {total.seconds:.1f} s, {total.peak_mib / 1024:.2f} GiB traced "
                  f"-> {'within' if ok else 'OUTSIDE'} target")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 2**20
    print(f"\npeak RSS of the whole run (ledgers included): {rss:.2f} GiB; of a forked fit: {child:.2f} GiB")


if __name__ == "__main__":
    main()
