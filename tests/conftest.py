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
