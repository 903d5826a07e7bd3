"""The package's shape: the layer contract of pyproject.toml holds, and modules stay small."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
#: A module longer than this says why at its top (STYLE.md: one concern, a few hundred lines).
MAX_LINES = 500
#: The phrase a long module's docstring uses to give its reason.
REASON = "Why this module is long:"


def test_import_layers_and_forbidden_imports_hold() -> None:
    run = subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "0 broken" in run.stdout


def test_every_top_level_module_has_a_layer() -> None:
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"] if c["type"] == "layers")
    named = {m.strip().strip("()") for row in contract["layers"] for m in row.split("|")}
    package = ROOT / "forecast"
    modules = {p.stem for p in package.glob("*.py") if p.name != "__init__.py"}
    modules |= {p.name for p in package.iterdir() if (p / "__init__.py").is_file()}
    assert modules - named == set(), "add these to the layers of pyproject.toml and docs/DESIGN.md"


def test_no_module_is_long_without_a_reason_at_its_top() -> None:
    long = {}
    for path in sorted((ROOT / "forecast").rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        n = text.count("\n")
        rel = path.relative_to(ROOT).as_posix()
        if n > MAX_LINES and REASON not in text[:3000]:
            long[rel] = n
    assert not long, f"modules over {MAX_LINES} lines without '{REASON}' in their docstring: {long}"
