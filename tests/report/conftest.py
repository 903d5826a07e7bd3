"""Fixtures of the report tests (helpers live in _report_fixtures.py)."""

from __future__ import annotations

import pytest

from _report_fixtures import make_report_data
from forecast.report.data import ReportData


@pytest.fixture(params=["zh", "en"])
def report_data(request: pytest.FixtureRequest) -> ReportData:
    """Report data in each language."""
    return make_report_data(request.param)
