"""The examples in the package's docstrings are run: an example that no longer
holds is documentation that lies."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import forecast


def _modules_with_examples() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(forecast.__path__, "forecast."):
        spec = importlib.util.find_spec(info.name)
        origin = getattr(spec, "origin", None) or ""
        if origin.endswith(".py") and ">>> " in open(origin, encoding="utf-8").read():
            names.append(info.name)
    return names


MODULES = _modules_with_examples()


def test_examples_are_found() -> None:
    assert "forecast.scoring" in MODULES and len(MODULES) > 20


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_hold(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples fail in {name}"
