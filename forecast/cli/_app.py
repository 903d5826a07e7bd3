"""The root click group and the shared error handling of every command."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable

import click

from .. import __version__
from ..exceptions import ForecastError, LedgerError

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="forecast")
def main() -> None:
    """Forecast investment, starts, completions and output of development zones.

    Exit codes: 0 ok, 1 bad data or a failed run, 2 bad usage.
    """


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn `ForecastError` into a readable message and exit code 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LedgerError as err:
            for p in err.problems:
                click.echo(str(p), err=True)
            n = sum(p.severity == "error" for p in err.problems)
            click.echo(f"{n} error(s) in {err.source}", err=True)
            sys.exit(EXIT_DATA)
        except ForecastError as err:
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_DATA)

    return wrapper
