"""forecast: investment and completion forecasts for development zones (经开区)."""

from .exceptions import ForecastError, LedgerError, NotFittedError, Problem, ReportError
from .ledger import Ledger

__version__ = "0.1.0"
__all__ = ["ForecastError", "Ledger", "LedgerError", "NotFittedError", "Problem", "ReportError"]
