"""Shared fixtures of the batch tests: the small test notebooks."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from papermill.iorw import load_notebook_node

NOTEBOOKS = Path(__file__).parent / "notebooks"


@pytest.fixture
def notebook_path():
    """Path of a test notebook by stem: good, raises, sleeps, dies."""
    return lambda stem: NOTEBOOKS / f"{stem}.ipynb"


@pytest.fixture
def load_nb():
    """A fresh NotebookNode of a test notebook, with papermill's metadata slots."""

    def load(stem: str) -> nbformat.NotebookNode:
        return load_notebook_node(str(NOTEBOOKS / f"{stem}.ipynb"))

    return load
