"""The ledger layer: load, validate, save, cut at a quarter, aggregate."""

from .ledger import Ledger, stage_at
from .loader import load, validate
from .write import save

__all__ = ["Ledger", "load", "save", "stage_at", "validate"]
