"""Operator errors end in one line naming the path (exit 1), never a traceback,
and an unwritable output folder fails before any fitting."""

from __future__ import annotations

import shutil
import time

import click
import pytest
from click.testing import CliRunner
from faults_helpers import LEDGER

from forecast._io import check_writable, check_writable_file
from forecast.cli._app import DEBUG_ENV, handle_errors
from forecast.exceptions import ForecastError


def _one_error_line(run) -> str:
    lines = [ln for ln in run.stderr.splitlines() if ln.strip()]
    assert "Traceback" not in run.stderr, run.stderr
    errors = [ln for ln in lines if ln.startswith("error:")]
    assert len(errors) == 1, run.stderr
    return errors[0]


@pytest.mark.parametrize("command", [
    ["predict", LEDGER, "--as-of", "2023Q3", "--draws", "10", "--out", "{ro}/sub/f.csv"],
    ["backtest", LEDGER, "--origins", "2023Q2:2023Q3", "--draws", "10", "--out", "{ro}/bt"],
    ["report", LEDGER, "--zone", "Z1", "--as-of", "2023Q3", "--draws", "10", "--out", "{ro}/Z1.html"],
])
def test_read_only_folder_is_one_line_naming_it_before_any_fitting(command, forecast_cli, tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    args = [str(a).format(ro=ro) for a in command]
    t0 = time.monotonic()
    run = forecast_cli(*args, read_only=ro)
    assert run.returncode == 1
    line = _one_error_line(run)
    assert f"cannot write to the output folder {ro}" in line and ".write-test" not in line
    assert "Permission denied" in line or "Read-only file system" in line
    assert "fitting" not in run.stderr and time.monotonic() - t0 < 60


def test_out_below_a_file_and_out_that_is_a_folder(forecast_cli, tmp_path):
    (tmp_path / "afile").write_text("x")
    run = forecast_cli("predict", LEDGER, "--as-of", "2023Q3", "--out", tmp_path / "afile" / "f.csv")
    assert run.returncode == 1 and str(tmp_path / "afile") in _one_error_line(run)
    (tmp_path / "dir.csv").mkdir()
    run = forecast_cli("predict", LEDGER, "--as-of", "2023Q3", "--out", tmp_path / "dir.csv")
    # click's own check: a usage error, one line.
    assert run.returncode == 2 and "is a directory" in run.stderr and "Traceback" not in run.stderr


def test_a_cell_too_big_for_the_reader_is_one_line_naming_the_ledger(forecast_cli, tmp_path):
    ledger = tmp_path / "ledger"
    shutil.copytree(LEDGER, ledger)
    rows = (ledger / "projects.csv").read_text(encoding="utf-8").splitlines()
    cells = rows[1].split(",")
    cells[2] = "x" * 50_000_000  # a 50 MB name: pyarrow's "straddling object" before
    rows[1] = ",".join(cells)
    (ledger / "projects.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    run = forecast_cli("validate", ledger)
    assert run.returncode == 1  # not -6: pyarrow's reader aborted the process at exit
    assert _one_error_line(run).startswith(f"error: {ledger}: csv.Error: field larger than field limit")


@click.command()
@click.argument("ledger")
@click.option("--kind")
@handle_errors
def _failing(ledger: str, kind: str) -> None:
    if kind == "os":
        raise PermissionError(13, "Permission denied", f"{ledger}/zones.csv")
    if kind == "decode":
        b"\xff".decode("utf-8")
    raise RuntimeError("something\nunexpected")


@pytest.mark.parametrize("kind, expected", [
    ("os", "error: {ledger}/zones.csv: Permission denied"),
    ("decode", "error: {ledger}: UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff"),
    ("other", "error: RuntimeError: something unexpected (forecast --debug"),
])
def test_every_error_is_one_line_and_debug_shows_the_traceback(kind, expected, monkeypatch):
    monkeypatch.delenv(DEBUG_ENV, raising=False)
    run = CliRunner().invoke(_failing, ["L", "--kind", kind])
    assert run.exit_code == 1 and run.output.count("\n") == 1
    assert run.output.startswith(expected.format(ledger="L"))
    monkeypatch.setenv(DEBUG_ENV, "1")
    run = CliRunner().invoke(_failing, ["L", "--kind", kind])
    assert run.exit_code == 1 and run.exception is not None and not isinstance(run.exception, SystemExit)


def test_debug_flag_lets_the_traceback_through(forecast_cli, tmp_path):
    (tmp_path / "f").write_text("x")
    run = forecast_cli("--debug", "predict", LEDGER, "--as-of", "2023Q3", "--out", tmp_path / "f" / "o.csv")
    assert run.returncode == 1 and "Traceback" in run.stderr


def test_check_writable_names_what_is_in_the_way(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ForecastError, match=r"cannot write to the output folder .*/f/sub: Not a directory"):
        check_writable(tmp_path / "f" / "sub")
    assert check_writable(tmp_path / "a" / "b").is_dir()
    with pytest.raises(ForecastError, match="it is a folder"):
        check_writable_file(tmp_path / "a")
    assert list((tmp_path / "a" / "b").iterdir()) == []  # the probe leaves nothing
