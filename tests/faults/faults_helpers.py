"""Paths the fault-injection tests share."""

from __future__ import annotations

import sys
from pathlib import Path

FORECAST = str(Path(sys.executable).with_name("forecast"))
BATCH_DATA = Path(__file__).parents[1] / "batch"
LEDGER = BATCH_DATA / "data" / "ledger"
GOOD_NB = BATCH_DATA / "notebooks" / "good.ipynb"
