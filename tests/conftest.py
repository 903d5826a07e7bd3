"""Fixtures every test folder may use, and the suite's header.

- ``chromium``: the headless browser of the page tests. Without one on the PATH
  those tests skip, saying so in the header and in the summary, so ``make test``
  passes on any machine; with ``CI`` set they fail instead (``.ci/run`` installs
  Debian's package, so CI always runs them).
- ``shipped_sample``: the sample ledger shipped with the package, loaded once per
  test process (tests that need a ledger with known truth generate their own).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_BROWSERS = ("chromium", "chromium-browser")


def find_chromium() -> Path | None:
    """Headless Chromium on the PATH, or ``None``."""
    for name in _BROWSERS:
        found = shutil.which(name)
        if found:
            return Path(found)
    return None


def pytest_report_header(config: pytest.Config) -> str:
    found = find_chromium()
    if found:
        return f"browser tests: {found}"
    if os.environ.get("CI"):
        return "browser tests: NO CHROMIUM ON PATH and CI is set: they will FAIL"
    return ("browser tests: SKIPPED - no chromium on PATH "
            "(apt-get install -y chromium runs them; required when CI is set)")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """The browser, or a loud skip (a failure when ``CI`` is set)."""
    found = find_chromium()
    if found is None:
        why = ("no chromium on the PATH; install Debian's package "
               "(apt-get install -y chromium; .ci/run does this in CI)")
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and the browser tests are required: {why}")
        pytest.skip(f"BROWSER TESTS SKIPPED: {why}")
    return found


@pytest.fixture(scope="session")
def shipped_sample():  # noqa: ANN201 - a Ledger
    """``forecast.sample.SAMPLE_LEDGER`` loaded (12 zones, seed 2025)."""
    from forecast.ledger import load
    from forecast.sample import SAMPLE_LEDGER

    return load(SAMPLE_LEDGER)


#: Tests marked ``slow`` here, by file or by test (node id prefix), so that
#: ``pytest -m "not slow"`` is a quick loop: each ran 20 s or more (most of them a
#: whole batch, a notebook end to end, a cluster or a subprocess) in a full run
#: (``--durations``, 2 cores). A test may also carry ``@pytest.mark.slow`` itself.
SLOW = (
    "tests/test_wheel.py",
    "tests/faults/test_batch_faults.py",
    "tests/faults/test_mail_faults.py::test_dropped_connection_then_rerun",
    "tests/batch/test_batch.py",
    "tests/batch/test_dask_batch.py",
    "tests/batch/test_cli_batch.py::test_real_batch_then_email_dry_run",
    "tests/report/test_notebooks.py",
    "tests/report/test_explore_notebook.py",
    "tests/report/test_browser.py",
    "tests/report/test_data.py::test_saved_backtest_is_used_only_within_as_of",
    "tests/report/test_data.py::test_fitting_here_runs_a_small_backtest",
    "tests/test_province.py",
    "tests/test_cluster.py",
    "tests/test_scenario.py",
    "tests/test_backtest.py::test_small_backtest_on_sample",
    "tests/test_cli_forecast.py::test_backtest_subprocess_writes_scores",
    "tests/test_cli_forecast.py::test_predict_subprocess_writes_the_library_table",
    "tests/test_simulate.py::test_no_leakage_full_ledger_as_of_equals_physically_cut_ledger",
    "tests/test_simulate.py::test_modelset_fitted_in_workers_is_the_same",
    "tests/test_simulate.py::test_arrival_rate_interval_covers_the_true_rate",
    "tests/models/test_completion.py",
    "tests/models/test_indicators.py::test_ets_beats_seasonal_naive_on_growing_nbs_series",
    "tests/ledger/test_properties.py",
    "tests/faults/test_errors.py::test_out_below_a_file_and_out_that_is_a_folder",
    "tests/faults/test_errors.py::test_a_cell_too_big_for_the_reader",
)


#: The longest files (``--durations`` summed by file, longest first) run first:
#: ``-n 2 --dist loadfile`` hands out whole files in collection order, so a long
#: file collected last (test_wheel.py, alphabetically) ran alone at the end.
LONGEST_FIRST = (
    "tests/test_wheel.py",
    "tests/faults/test_batch_faults.py",
    "tests/batch/test_batch.py",
    "tests/test_simulate.py",
    "tests/test_cli_forecast.py",
    "tests/report/test_data.py",
    "tests/test_backtest.py",
    "tests/test_cluster.py",
)


def _rank(item: pytest.Item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
    items.sort(key=_rank)  # stable: within a rank, the collected order
