"""A batch under the faults an operator meets, with real `forecast batch` processes:
two batches on one folder, SIGTERM mid-batch then a rerun, leftover temp files,
an index after runs on different zones, an output path in the way."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from faults_helpers import FORECAST, LEDGER

SLOW_NB = Path(__file__).parent / "notebooks" / "slow.ipynb"


def _args(out: Path, *extra: str, workers: int = 1) -> list[str]:
    return ["batch", str(LEDGER), "--as-of", "2023Q3", "--out", str(out), "--lang", "zh", "--workers", str(workers),
            "--no-fit", "--notebook", str(SLOW_NB), "--timeout", "120", *extra]


def _start(out: Path, *extra: str, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([FORECAST, *_args(out, *extra)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, **(env or {})})


def _wait_for(predicate, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.2)


def _lock_pid(out: Path) -> int | None:
    try:
        return json.loads((out / "_lock").read_text())["pid"]
    except (OSError, ValueError, KeyError):
        return None


def test_second_batch_on_a_folder_is_refused_at_once_and_the_first_completes(tmp_path, forecast_cli):
    out, hold = tmp_path / "out", tmp_path / "hold"
    hold.touch()
    first = _start(out, env={"FORECAST_TEST_HOLD_Z1": str(hold)})
    _wait_for(lambda: _lock_pid(out) == first.pid)
    second = forecast_cli(*_args(out, "--zones", "Z3"))
    assert second.returncode == 1 and "Traceback" not in second.stderr
    assert f"{out} is in use by PID {first.pid} on " in second.stderr and "(batch, started" in second.stderr
    # Refused at once: the first batch is still held in its first report.
    assert first.poll() is None and not (out / "Z1.html").exists()
    hold.unlink()
    stdout, stderr = first.communicate(timeout=300)
    assert first.returncode == 0, stderr
    assert "3 rendered, 0 already done, 0 failed" in stderr
    assert all((out / f"{z}.html").is_file() for z in ("Z1", "Z2", "Z3"))


def test_sigterm_mid_batch_keeps_finished_reports_and_the_rerun_does_only_the_rest(tmp_path):
    out, hold = tmp_path / "out", tmp_path / "hold"
    hold.touch()
    proc = _start(out, env={"FORECAST_TEST_HOLD_Z2": str(hold)})
    # Z1 finished (its headline is the last file a report writes), Z2 sleeping in its kernel.
    _wait_for(lambda: (out / "_data" / "Z1.json").is_file())
    time.sleep(1)
    kept = (out / "Z1.html").stat().st_mtime_ns
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in stderr
    assert "stopped: the reports finished so far are kept" in stderr
    assert not (out / "Z2.html").exists()
    assert _lock_pid(out) is None  # released on the way out
    rerun = subprocess.run([FORECAST, *_args(out)], capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert "2 rendered, 1 already done, 0 failed" in rerun.stderr
    assert (out / "Z1.html").stat().st_mtime_ns == kept


def test_sigkill_leftovers_are_cleaned_and_a_zones_run_keeps_the_index_whole(tmp_path, forecast_cli):
    out = tmp_path / "out"
    run = forecast_cli(*_args(out, "--zones", "Z1,Z2"))
    assert run.returncode == 0, run.stderr
    # What a SIGKILL mid-write leaves: hidden temporary files and a lock naming a dead process.
    (out / ".Z1.html.k2j3.tmp").write_text("half a page")
    (out / "_data" / ".Z2.json.x8.tmp").write_text("{")
    (out / "_lock").write_text(json.dumps({"pid": 999999999, "host": "gone", "purpose": "batch"}))
    again = forecast_cli(*_args(out, "--zones", "Z3"))
    assert again.returncode == 0, again.stderr
    assert "warning: " in again.stderr and "took over a stale lock: PID 999999999 on gone" in again.stderr
    assert not list(out.rglob("*.tmp"))
    rows = list(csv.DictReader((out / "summary.csv").open(encoding="utf-8-sig")))
    assert sorted(r["zone_id"] for r in rows) == ["Z1", "Z2", "Z3"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{z}.html"' in index for z in ("Z1", "Z2", "Z3"))


def test_index_html_that_is_a_folder_fails_before_rendering(tmp_path, forecast_cli):
    out = tmp_path / "out"
    (out / "index.html").mkdir(parents=True)
    run = forecast_cli(*_args(out))
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert f"cannot write {out / 'index.html'}: it is a folder" in run.stderr
    assert not (out / "Z1.html").exists()


def test_read_only_batch_folder_is_one_line_before_anything_else(tmp_path, forecast_cli):
    ro = tmp_path / "ro"
    ro.mkdir()
    run = forecast_cli(*_args(ro / "q"), read_only=ro)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert [ln for ln in run.stderr.splitlines() if ln.startswith("error:")] == [
        ln for ln in run.stderr.splitlines() if ln.strip()]
    assert f"cannot write to the output folder {ro / 'q'}" in run.stderr


def test_truncated_or_foreign_model_set_is_fitted_again_saying_why(tmp_path, forecast_cli):
    from forecast.ledger import load
    from forecast.models import ModelSet

    out = tmp_path / "out"
    fit = [a for a in _args(out) if a != "--no-fit"] + ["--no-backtest"]
    first = forecast_cli(*fit, "--zones", "Z1")
    assert first.returncode == 0, first.stderr
    models = out / "_models.pkl"
    whole = models.read_bytes()
    models.write_bytes(whole[: len(whole) // 2])  # a disk that filled up, a copy cut short
    truncated = forecast_cli(*fit, "--zones", "Z2")
    assert truncated.returncode == 0, truncated.stderr
    assert ("warning: fitting the model set again: _models.pkl is not the file fitted here "
            "(truncated, replaced or unreadable)") in truncated.stderr
    assert str(ModelSet.load(models).as_of_) == "2023Q3"
    # A valid model set of another ledger and quarter, copied over this one.
    other = load(Path(__file__).parents[1] / "data" / "ledgers" / "good")
    ModelSet(new_projects=False, fit_indicators=False).fit(other.as_of("2024Q2")).save(models)
    foreign = forecast_cli(*fit, "--zones", "Z3")
    assert foreign.returncode == 0, foreign.stderr
    assert "fitting the model set again: _models.pkl is not the file fitted here" in foreign.stderr
    refit = ModelSet.load(models)
    assert str(refit.as_of_) == "2023Q3" and Path(refit.source_).name == "ledger"
    # Nothing wrong: used as it is, no line, not rewritten.
    stamp = models.stat().st_mtime_ns
    (out / "Z1.html").unlink()
    again = forecast_cli(*fit, "--zones", "Z1")
    assert again.returncode == 0 and "1 rendered" in again.stderr
    assert "fitting the model set again" not in again.stderr and models.stat().st_mtime_ns == stamp


def test_a_kernel_that_dies_in_its_warm_up_is_started_again(tmp_path, forecast_cli):
    out = tmp_path / "out"
    run = forecast_cli(*_args(out, workers=2), env={"FORECAST_TEST_DIE_ONCE": str(tmp_path / "died")})
    assert (tmp_path / "died").exists()  # one kernel did die importing the notebook's modules
    assert run.returncode == 0, run.stderr
    assert "the kernel died during the warm-up; started again" in run.stderr
    assert "3 rendered, 0 already done, 0 failed" in run.stderr
