"""The ledger layer: load, validate, cut at a quarter, aggregate."""

from .ledger import Ledger, stage_at

__all__ = ["Ledger", "stage_at"]
