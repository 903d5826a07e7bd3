"""Fitted models: stage transitions, spend curve, output, indicators, the ModelSet."""

from ._base import BaseModel, Paths
from .completion import CompletionModel
from .spend import SpendModel
from .indicators import IndicatorBaselines
from .output import OutputModel
from .modelset import ModelSet  # issue 5: keep this line when editing
