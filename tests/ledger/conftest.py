"""Fixtures of the ledger tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ledger_helpers import GOOD


@pytest.fixture
def good_copy(tmp_path: Path) -> Path:
    """A writable copy of the good fixture ledger."""
    out = tmp_path / "ledger"
    shutil.copytree(GOOD, out)
    return out
