"""The batch and email commands: what they pass to the library, exit codes, one real run each."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import forecast.publish.batch
import forecast.publish.mail
from forecast.cli import main
from forecast.publish.results import BatchResult, JobResult, MailResult

HERE = Path(__file__).parent
LEDGER = HERE / "data" / "ledger"
FORECAST = str(Path(sys.executable).with_name("forecast"))


def _fake_batch(calls, failed=False):
    def run_batch(*args, **kw):
        calls.append((args, kw))
        out = Path(args[2] or "reports/2023Q3")
        res = BatchResult(out=out, as_of="2023Q3", langs=tuple(kw["langs"]))
        res.results.append(JobResult("Z1", "Z1", "zh", "Z1", "failed" if failed else "ok",
                                     error="ValueError: boom" if failed else None))
        return res
    return run_batch


def test_batch_passes_options_to_run_batch(monkeypatch, tmp_path):
    calls = []
    monkeypatch.setattr(forecast.publish.batch, "run_batch", _fake_batch(calls))
    out = tmp_path / "o"
    r = CliRunner().invoke(main, ["batch", str(LEDGER), "--as-of", "2023q3", "--out", str(out), "--workers", "3",
                                  "--force", "--lang", "en", "--zones", "Z1, Z3", "--draws", "50", "--no-fit"])
    assert r.exit_code == 0, r.output
    (args, kw), = calls
    assert args == (str(LEDGER), pd.Period("2023Q3", "Q-DEC"), str(out))  # parsed once, by the CLI
    assert kw["workers"] == 3 and kw["force"] is True and kw["langs"] == ("en",)
    assert kw["zones"] == ["Z1", "Z3"] and kw["draws"] == 50 and kw["fit_models"] is False
    assert r.stdout.strip().splitlines()[-1] == str(out / "index.html")


def test_batch_defaults_and_exit_code_on_a_failed_zone(monkeypatch):
    calls = []
    monkeypatch.setattr(forecast.publish.batch, "run_batch", _fake_batch(calls, failed=True))
    r = CliRunner().invoke(main, ["batch", str(LEDGER)])
    assert r.exit_code == 1
    (args, kw), = calls
    assert args == (str(LEDGER), None, None) and kw["langs"] == ("zh", "en") and kw["fit_models"] is True
    assert "failed: Z1: ValueError: boom" in r.stderr


@pytest.mark.parametrize("given, passed", [(None, "absent"), ("2", 2), ("all", None), ("ALL", None)])
def test_track_years_option(monkeypatch, given, passed):
    calls = []
    monkeypatch.setattr(forecast.publish.batch, "run_batch", _fake_batch(calls))
    r = CliRunner().invoke(main, ["batch", str(LEDGER), *(["--track-years", given] if given else [])])
    assert r.exit_code == 0, r.output
    (_, kw), = calls
    assert kw.get("track_years", "absent") == passed  # absent: run_batch's own default


@pytest.mark.parametrize("bad", ["0", "-1", "two", "1.5"])
def test_track_years_refuses_what_is_not_a_number_of_years(bad):
    r = CliRunner().invoke(main, ["batch", str(LEDGER), "--track-years", bad])
    assert r.exit_code == 2 and "--track-years" in r.output and repr(bad) in r.output


def test_track_years_help_states_the_library_default():
    from forecast.run.track import TRACK_YEARS

    r = CliRunner().invoke(main, ["batch", "--help"])
    assert f"[default: {TRACK_YEARS}]" in " ".join(r.output.split())


def test_batch_rejects_a_bad_quarter():
    r = CliRunner().invoke(main, ["batch", str(LEDGER), "--as-of", "2023Q5"])
    assert r.exit_code == 2 and "2024Q3" in r.output


def test_email_passes_options_and_fails_on_missing_zones(monkeypatch, tmp_path):
    calls = []

    def send_reports(folder, recipients, **kw):
        calls.append((folder, recipients, kw))
        return MailResult(sent=["a@example.cn"], warnings={"a@example.cn": "no report for zone(s) X"})

    monkeypatch.setattr(forecast.publish.mail, "send_reports", send_reports)
    to = tmp_path / "to.csv"
    to.write_text("email,name,zones\na@example.cn,A,Z1;X\n", encoding="utf-8")
    r = CliRunner().invoke(main, ["email", str(tmp_path), "--recipients", str(to), "--smtp", "127.0.0.1:2525",
                                  "--starttls"])
    assert r.exit_code == 1 and "incomplete: a@example.cn" in r.stderr
    (folder, rcpts, kw), = calls
    assert folder == str(tmp_path) and rcpts[0].zones == ("Z1", "X")
    assert kw == {"smtp": "127.0.0.1:2525", "starttls": True, "dry_run": False, "outbox": None, "sender": None,
                  "resend": False, "retries": 3, "retry_wait": 5.0}


def test_real_batch_then_email_dry_run(tmp_path):
    out = tmp_path / "2023Q3"
    cmd = [FORECAST, "batch", str(LEDGER), "--as-of", "2023Q3", "--out", str(out), "--lang", "zh",
           "--zones", "Z1,Z3", "--workers", "1", "--no-fit", "--notebook", str(HERE / "notebooks" / "good.ipynb")]
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip().splitlines()[-1] == str(out / "index.html")
    assert (out / "Z1.html").is_file() and (out / "Z3.html").is_file()
    again = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "0 rendered, 2 already done" in again.stderr

    to = tmp_path / "to.csv"
    to.write_text("email,name,zones\nli@example.cn,李娜,all\n", encoding="utf-8")
    mail = subprocess.run([FORECAST, "email", str(out), "--recipients", str(to), "--dry-run"],
                          capture_output=True, text=True, timeout=120)
    assert mail.returncode == 0, mail.stderr
    eml = Path(mail.stdout.strip().splitlines()[-1])
    assert eml.parent == out / "_outbox" and eml.read_bytes().startswith(b"Subject:")
