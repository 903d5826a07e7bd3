"""The root click group and the shared error handling of every command."""

from __future__ import annotations

import functools
import os
import sys
import warnings
from typing import Any, Callable

import click

from .. import __version__
from ..exceptions import ForecastError, LedgerError

EXIT_OK, EXIT_DATA, EXIT_USAGE = 0, 1, 2
#: Set (to anything) to see tracebacks instead of one-line errors, like ``--debug``.
DEBUG_ENV = "FORECAST_DEBUG"
#: Keyword arguments of the commands that name an input file or folder.
_INPUTS = ("ledger", "recipients", "reports", "path")


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="forecast")
@click.option("--debug", is_flag=True, help="Show the full traceback of an error (env FORECAST_DEBUG=1).")
def main(debug: bool) -> None:
    """Forecast investment, starts, completions and output of development zones.

    Exit codes: 0 ok, 1 bad data or a failed run, 2 bad usage.
    """
    if debug:
        os.environ[DEBUG_ENV] = "1"
    else:
        # An operator reads warnings as one line each, not with a source line.
        warnings.formatwarning = _one_line_warning


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                      line: str | None = None) -> str:
    return f"warning: {message}\n"


def _parse_errors() -> tuple[type[BaseException], ...]:
    """Errors raised by the readers of files (CSV, JSON, workbooks, Arrow)."""
    import csv
    import zipfile

    kinds: list[type[BaseException]] = [UnicodeError, csv.Error, zipfile.BadZipFile]
    for module, name in (("pandas.errors", "ParserError"), ("pandas.errors", "EmptyDataError"),
                         ("pyarrow.lib", "ArrowException")):
        mod = sys.modules.get(module)  # only what was imported can have raised
        if mod is not None and hasattr(mod, name):
            kinds.append(getattr(mod, name))
    return tuple(kinds)


def _os_message(err: OSError) -> str:
    what = err.strerror or str(err) or type(err).__name__
    paths = [p for p in (err.filename, getattr(err, "filename2", None)) if p]
    return f"{' -> '.join(map(str, paths))}: {what}" if paths else what


def one_line(err: BaseException, inputs: list[str]) -> str:
    """The message an unexpected exception gets: one line, naming the path."""
    if isinstance(err, OSError):
        return _os_message(err)
    text = " ".join(str(err).split()) or type(err).__name__
    if len(text) > 300:
        text = text[:297] + "..."
    where = f"{inputs[0]}: " if inputs and isinstance(err, _parse_errors()) else ""
    kind = type(err).__name__
    if kind == "Error":  # csv.Error and the like: the module says what kind
        kind = f"{type(err).__module__.lstrip('_')}.{kind}"
    return f"{where}{kind}: {text}"


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn every error into a readable message and exit code 1.

    `ForecastError` prints its own message; a file-system, encoding or parser
    failure prints one line naming the path; anything else one line with the
    exception. ``forecast --debug`` (or env ``FORECAST_DEBUG``) lets the
    traceback through instead.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except LedgerError as err:
            from ..ledger.messages import problem_text, summary_line  # in the ledger's own language

            lang = "zh" if err.lang == "zh" else "en"
            for p in err.problems:
                click.echo(problem_text(p, lang), err=True)
            click.echo(summary_line(err.problems, str(err.source), lang), err=True)
            sys.exit(EXIT_DATA)
        except ForecastError as err:
            if os.environ.get(DEBUG_ENV):
                raise
            click.echo(f"error: {err}", err=True)
            sys.exit(EXIT_DATA)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as err:  # noqa: BLE001 - an operator gets one line, --debug the rest
            if os.environ.get(DEBUG_ENV):
                raise
            inputs = [str(kwargs[k]) for k in _INPUTS if kwargs.get(k)]
            click.echo(f"error: {one_line(err, inputs)} (forecast --debug ... shows the traceback)", err=True)
            sys.exit(EXIT_DATA)

    return wrapper


def load_ledger(path: str) -> Any:
    """``forecast.ledger.load``, imported when a command runs."""
    from ..ledger import load

    return load(path)


def progress_bar(total: int, desc: str) -> Any:
    """A tqdm bar on stderr: drawn on a terminal, silent when stderr is a file or pipe."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="", file=sys.stderr, leave=False, disable=None)


def parse_quarter(ctx: click.Context, param: click.Parameter, value: str | None) -> Any:
    """Click callback: the quarter an option names, parsed once here (the CLI is an
    edge) into a ``pandas.Period``; ``None`` (or ``latest``) stays ``None``."""
    from ..periods import quarter

    if value is None or value == "latest":
        return None
    try:
        return quarter(value)
    except ForecastError as err:
        raise click.BadParameter(str(err)) from err


def scheduler_option(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``--scheduler ADDRESS`` (default ``$FORECAST_SCHEDULER``): run on a Dask cluster."""
    return click.option(
        "--scheduler", envvar="FORECAST_SCHEDULER", default=None, metavar="ADDRESS",
        help="Run the zone simulations (and a batch's reports) on the Dask cluster at this "
             "scheduler address, e.g. tcp://10.0.0.5:8786 (default $FORECAST_SCHEDULER); "
             "same numbers.")(fn)
