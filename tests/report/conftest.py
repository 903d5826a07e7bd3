"""Fixtures of the report tests (helpers live in _report_fixtures.py).

The expensive inputs (a small generated ledger with markup in its names, a
fitted and saved ModelSet with the backtest a batch saves beside it, and two
rendered reports) are built once per test run and shared by the xdist
workers through a lock file, so test_notebooks and test_browser do not each
pay for them.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

import pytest

from _report_fixtures import AS_OF, DRAWS, EVIL_ZONE, ROOT, make_report_data
from forecast.report.data import ReportData


@pytest.fixture(params=["zh", "en"])
def report_data(request: pytest.FixtureRequest) -> ReportData:
    """Report data in each language."""
    return make_report_data(request.param)


@pytest.fixture(scope="session")
def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run sees."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = root / "report-shared"
    path.mkdir(exist_ok=True)
    return path


def once(shared: Path, name: str, build: Callable[[Path], Any]) -> Path:
    """Run ``build(folder)`` once per test run, whichever worker asks first."""
    folder = shared / name
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / ".done").exists():
            folder.mkdir(exist_ok=True)
            build(folder)
            (folder / ".done").touch()
    return folder


def _build_ledger(folder: Path) -> None:
    from forecast.ledger import save
    from forecast.sample import generate

    ledger = generate(zones=2, seed=11, start_year=2019, end_year=2025)
    zone = ledger.zone_ids[0]
    zones = ledger.zones.copy()
    zones.loc[0, "name"] = EVIL_ZONE
    projects = ledger.projects.copy()
    mine = projects["zone_id"] == zone
    # Markup and ampersands in every project name of the report's zone, so the
    # risk list of a real report is full of them.
    projects.loc[mine, "name"] = [f"<script>alert({i})</script>项目{i} A&B"
                                  for i in range(int(mine.sum()))]
    # Markup in the responsible units too: the 龙虎榜 lists every one.
    named = mine & projects["responsible_unit"].notna()
    projects.loc[named, "responsible_unit"] = projects.loc[named, "responsible_unit"] + "<b>&</b>"
    save(replace(ledger, zones=zones, projects=projects), folder / "ledger")
    (folder / "zone.txt").write_text(zone)


@pytest.fixture(scope="session")
def report_ledger(shared_dir: Path) -> tuple[Path, str]:
    """(ledger folder, zone id): 2 zones 2019–2025 from the sample generator."""
    folder = once(shared_dir, "ledger", _build_ledger)
    return folder / "ledger", (folder / "zone.txt").read_text()


@pytest.fixture(scope="session")
def saved_models(shared_dir: Path, report_ledger: tuple[Path, str]) -> Path:
    """A ModelSet fitted at AS_OF, and beside it the backtest a batch saves."""
    ledger_path, zone = report_ledger

    def build(folder: Path) -> None:
        import warnings

        from forecast.ledger import load
        from forecast.models.modelset import ModelSet
        from forecast.periods import quarter

        q = quarter(AS_OF)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # interim-model notices
            ledger = load(ledger_path)
            ModelSet().fit(ledger, q).save(folder / "models.pkl")
            # Two origins of 2024 keep the fixture quick (the section reads any
            # number): 2024 has ended at AS_OF, so its target chances are scored.
            from forecast.run.track import run_track_record

            run_track_record(ledger.as_of(q), q, draws=100, seed=0,
                             origins=[quarter("2024Q2"), quarter("2024Q3")]).save(folder / "backtest")

    return once(shared_dir, "models", build) / "models.pkl"


@pytest.fixture(scope="session")
def rendered(shared_dir: Path, report_ledger: tuple[Path, str], saved_models: Path) -> dict:
    """Two real reports of the test ledger with the saved models: zh through the
    ``forecast report`` command (a subprocess), en through the library calls
    ``render_report`` makes (keeping the executed notebook for its timings)."""
    ledger_path, zone = report_ledger

    def build(folder: Path) -> None:
        import nbformat

        from forecast.report.export import notebook_to_html, write_text_atomic
        from forecast.publish.notebook import execute_report

        t0 = time.perf_counter()
        cmd = [str(Path(sys.executable).with_name("forecast")), "report", str(ledger_path), "--zone", zone,
               "--as-of", AS_OF, "--lang", "zh", "--draws", str(DRAWS), "--seed", "3",
               "--models", str(saved_models), "--out", str(folder / "zh.html")]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600,
                              env={**os.environ, "PYTHONWARNINGS": "ignore"})
        zh_seconds = time.perf_counter() - t0
        t0 = time.perf_counter()
        nb = execute_report({"ledger_path": str(ledger_path), "zone_id": zone, "as_of": AS_OF,
                             "lang": "en", "draws": DRAWS, "seed": 3,
                             "modelset_path": str(saved_models)})
        write_text_atomic(notebook_to_html(nb), folder / "en.html")
        nbformat.write(nb, folder / "en.ipynb")
        (folder / "meta.json").write_text(json.dumps({
            "returncode": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr[-4000:],
            "zh_seconds": zh_seconds, "en_seconds": time.perf_counter() - t0,
        }))

    folder = once(shared_dir, "rendered", build)
    meta = json.loads((folder / "meta.json").read_text())
    return {"zh": folder / "zh.html", "en": folder / "en.html", "en_nb": folder / "en.ipynb",
            "zone": zone, **meta}
