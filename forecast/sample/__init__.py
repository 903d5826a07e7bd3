"""The sample generator: a realistic ledger and its documented ground truth.

>>> from forecast.sample import generate, derived_truth, DEFAULT_TRUTH
"""

from .derived import complete_data_truth, derived_truth
from .generate import generate, write_sample
from .truth import DEFAULT_TRUTH, GroundTruth

__all__ = ["DEFAULT_TRUTH", "GroundTruth", "complete_data_truth", "derived_truth", "generate", "write_sample"]
