"""Paths and helpers shared by the ledger tests (imported by name: tests are not a package)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from forecast.ledger import Ledger

LEDGERS = Path(__file__).resolve().parents[1] / "data" / "ledgers"
GOOD = LEDGERS / "good"
#: ``shared/`` beside the checkout (CI: ../shared; a worktree under wt/: ../../shared), or None.
SHARED = next((p / "shared" for p in Path(__file__).resolve().parents[3:5] if (p / "shared" / "SCHEMA.md").exists()),
              None)
#: The files of the good fixture (it has no plan.csv; test_plan.py adds one).
TABLE_NAMES = ("zones", "projects", "progress", "targets", "indicators")


def assert_ledgers_equal(a: Ledger, b: Ledger) -> None:
    """Every table equal, dtypes included."""
    for table in (*TABLE_NAMES, "plan"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table), obj=table)
