"""A run: its parameters, its folder, the models fitted once and one zone's report data.

Between the forecasting side (ledger, models, simulate, backtest) and the
delivery side (:mod:`forecast.publish`): :class:`RunSpec` holds the notebook's
parameters, parsed once; :class:`RunFolder` spells a batch folder's layout;
:func:`fit_models` fits and backtests once for a batch; :func:`load_report_data`
gathers what one report shows.
"""

from .fit import BACKTEST_DRAWS, BACKTEST_ORIGINS, fit_models
from .spec import NOTEBOOK_PARAMETERS, RunFolder, RunSpec, check_parameters, default_ledger_path
from .zone import clear_cache, load_ledger, load_models, load_report_data, zone_problems

__all__ = ["BACKTEST_DRAWS", "BACKTEST_ORIGINS", "NOTEBOOK_PARAMETERS", "RunFolder", "RunSpec",
           "check_parameters", "clear_cache", "default_ledger_path", "fit_models", "load_ledger",
           "load_models", "load_report_data", "zone_problems"]
