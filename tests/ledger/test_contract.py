"""The ledger contract: docs/ledger.md, the code's declaration and shared/SCHEMA.md agree."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from ledger_helpers import SHARED

from forecast.ledger.columns import COLUMNS

ROOT = Path(__file__).resolve().parents[2]


def contract(text: str) -> dict[str, dict[str, bool]]:
    """table -> column -> required, from the ``## <table>.csv`` sections' tables."""
    out: dict[str, dict[str, bool]] = {}
    for section in re.split(r"^## ", text, flags=re.M)[1:]:
        m = re.match(r"(\w+)\.csv", section)
        if not m:
            continue
        rows = [line for line in section.splitlines() if line.startswith("|")]
        head = [c.strip() for c in rows[0].strip("|").split("|")]
        name, required = head.index("column"), head.index("required")
        out[m.group(1)] = {
            cells[name]: cells[required] == "yes"
            for cells in ([c.strip() for c in r.strip("|").split("|")] for r in rows[2:])
        }
    return out


def test_docs_ledger_md_is_the_codes_declaration() -> None:
    declared = {t: {c: s.required for c, s in specs.items()} for t, specs in COLUMNS.items()}
    assert contract((ROOT / "docs" / "ledger.md").read_text(encoding="utf-8")) == declared


@pytest.mark.skipif(SHARED is None and not os.environ.get("CI"),
                    reason="no shared/SCHEMA.md beside the checkout (required under CI)")
def test_docs_ledger_md_agrees_with_shared_schema() -> None:
    assert SHARED is not None, "CI: ../shared/SCHEMA.md must sit beside the checkout"
    ours = contract((ROOT / "docs" / "ledger.md").read_text(encoding="utf-8"))
    theirs = contract((SHARED / "SCHEMA.md").read_text(encoding="utf-8"))
    assert ours == theirs


def test_readme_links_the_contract_in_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "](docs/ledger.md)" in readme and "../shared/SCHEMA.md" not in readme
