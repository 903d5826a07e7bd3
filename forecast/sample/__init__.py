"""The sample generator: a realistic ledger and its documented ground truth.

>>> from forecast.sample import generate, derived_truth, DEFAULT_TRUTH

``SAMPLE_LEDGER`` is the generated sample written out (12 zones, seed 2025;
``data/sample`` in a checkout points at it): package data, so the embedded
default ledger is there in an installed wheel too.
"""

from pathlib import Path

from .derived import complete_data_truth, derived_truth
from .generate import generate, write_sample
from .truth import DEFAULT_TRUTH, GroundTruth

#: The sample ledger shipped with the package (``write_sample(..., zones=12, seed=2025)``).
SAMPLE_LEDGER = Path(__file__).resolve().parent / "data"

__all__ = ["DEFAULT_TRUTH", "SAMPLE_LEDGER", "GroundTruth", "complete_data_truth", "derived_truth", "generate", "write_sample"]
