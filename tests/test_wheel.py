"""The package as a user gets it: a wheel installed outside the repository runs
``forecast sample`` and ``forecast batch`` from an empty folder.

It proves the report notebook, the templates and the sample ledger are package
data, and that nothing reads the checkout. With ``CI`` set the wheel goes into a
fresh venv with its run-time dependencies only (pinned by ``constraints.txt``):
that also proves no test-only package (lifelines, pytest) is needed at run time,
at the cost of a full install (2-3 minutes from a warm pip cache, 1.2 GB). Elsewhere
the fresh venv borrows this venv's packages through a ``.pth`` file, so the check
of the package itself takes seconds.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def _run(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 900) -> str:
    run = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert run.returncode == 0, f"{' '.join(args)}\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    return run.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """A venv with the wheel installed, and an environment that knows nothing of the checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    home = tmp / "home"
    home.mkdir()
    # No PYTHONPATH, no user site, no user kernels or Jupyter settings from this machine.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "JUPYTER", "VIRTUAL_ENV"))}
    env.update(HOME=str(home), PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)], tmp, env)
    wheel = next(dist.glob("forecast-*.whl"))
    venv = tmp / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    _run([base, "-m", "venv", str(venv)], tmp, env)
    python = venv / "bin" / "python"
    if not os.environ.get("CI"):
        purelib = _run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       tmp, env).strip()
        # A path line only: the .pth files of the borrowed folder (this checkout's
        # editable install among them) are not run, so `forecast` comes from the wheel.
        (Path(purelib) / "_borrowed_packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        # The borrowed packages' data files too (nbconvert's templates live in share/jupyter).
        env["JUPYTER_PATH"] = str(Path(sysconfig.get_paths()["data"]) / "share" / "jupyter")
    _run([str(python), "-m", "pip", "install", "-q", "-c", str(ROOT / "constraints.txt"), str(wheel)],
         tmp, env, timeout=1800)
    return venv, env


def test_the_installed_wheel_runs_sample_and_batch_from_an_empty_folder(installed) -> None:
    venv, env = installed
    work = Path(env["HOME"]) / "empty"
    work.mkdir()
    where = _run([str(venv / "bin" / "python"), "-c",
                  "import forecast, forecast.run as r; print(forecast.__file__); print(r.default_ledger_path())"],
                 work, env).split()
    assert all(Path(p).is_relative_to(venv) for p in where), where  # nothing from the checkout
    forecast = str(venv / "bin" / "forecast")
    _run([forecast, "sample", "--zones", "2", "--seed", "3", "--out", "ledger"], work, env)
    with open(work / "ledger" / "zones.csv", encoding="utf-8-sig", newline="") as fh:
        zone = next(csv.DictReader(fh))["zone_id"]
    out = _run([forecast, "batch", "ledger", "--zones", zone, "--lang", "zh", "--draws", "100",
                "--workers", "1"], work, env)
    index = Path(out.strip().splitlines()[-1])
    folder = work / index.parent
    assert (folder / "index.html").is_file()
    page = (folder / f"{zone}.html").read_text(encoding="utf-8")
    assert "<html" in page and len(page) > 20_000  # a full report, charts embedded
    summary = list(csv.DictReader((folder / "summary.csv").open(encoding="utf-8-sig")))
    assert [(r["zone_id"], r["status"]) for r in summary] == [(zone, "ok")]
