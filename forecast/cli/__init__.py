"""The ``forecast`` command: a thin shell over the library functions.

Exit codes: 0 ok (warnings allowed), 1 bad data or a failed run, 2 bad usage.
Each command group lives in its own module and registers on ``main``.
"""

from ._app import main
from . import batch_cmds, forecast_cmds, ledger_cmds, report_cmds, sample_cmd, workbench_cmds  # noqa: F401  (register commands)

__all__ = ["main"]
