"""Commands on ledgers: validate, summary (issue 2).

``forecast validate LEDGER`` lists every problem and exits 1 when any is an
error (0 with warnings only); ``forecast summary LEDGER`` prints each zone's
pipeline, latest quarter and the rates of the latest year.
"""

from __future__ import annotations

import sys

import click
import pandas as pd

from .._io import neutralise_frame
from ..exceptions import problems_frame
from ..ledger import load, validate
from ..ledger.aggregate import RATES, pipeline, quarterly, rates
from ..periods import quarter, quarter_end
from ..vocab import STAGE_ZH, STAGES, WAN_PER_YI
from ._app import EXIT_DATA, EXIT_OK, handle_errors, main

_LEDGER = click.argument("ledger", type=click.Path(exists=True, path_type=str))


@main.command("validate")
@_LEDGER
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True,
              help="table: one readable line per problem; csv: file,row,column,check,value,expected,severity.")
@handle_errors
def validate_cmd(ledger: str, fmt: str) -> None:
    """Check LEDGER (a folder of CSVs or an .xlsx) and list every problem.

    Rows are numbered as a spreadsheet shows them (header = row 1), columns
    named as written. Exit 1 when any problem is an error, 0 otherwise.
    """
    problems = validate(ledger)
    if fmt == "csv":
        # The values are ledger text: neutralised so a spreadsheet cannot run them.
        neutralise_frame(problems_frame(problems)).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        for p in problems:
            click.echo(str(p))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    click.echo(f"{errors} error(s), {warnings} warning(s) in {ledger}", err=fmt == "csv")
    sys.exit(EXIT_DATA if errors else EXIT_OK)


def _yi(wan: float) -> str:
    return f"{wan / WAN_PER_YI:,.2f} 亿元"


def _rate_text(row: pd.Series, rate: str) -> str:
    num, den, value = row[f"{rate}_num"], row[f"{rate}_den"], row[rate]
    if rate == "investment_rate":
        if pd.isna(den):
            return f"{RATES[rate]} {_yi(num)} (no target)"
        frac = f"{_yi(num)} / {_yi(den)}"
    else:
        frac = f"{int(num)}/{int(den)}"
    return f"{RATES[rate]} {frac} = {'-' if pd.isna(value) else f'{value:.1%}'}"


@main.command("summary")
@_LEDGER
@click.option("--as-of", "as_of", default=None, metavar="QUARTER",
              help="Summarise what was known at the end of this quarter, e.g. 2024Q4 (default: the ledger's last).")
@click.option("--zone", "zones", multiple=True, metavar="ZONE_ID", help="Only this zone (repeatable).")
@handle_errors
def summary_cmd(ledger: str, as_of: str | None, zones: tuple[str, ...]) -> None:
    """Print each zone's projects by stage, planned investment, latest quarter and rates."""
    led = load(ledger)
    if as_of is not None:
        led = led.as_of(quarter(as_of))
    q = led.last_quarter
    stages = pipeline(led, quarter_end(q)).set_index(["zone_id", "stage"])
    latest = quarterly(led).set_index(["zone_id", "quarter"])
    year_rates = rates(led, q.year).set_index("zone_id")
    names = led.zones.set_index("zone_id")["name"]
    for zone_id in zones or led.zone_ids:
        if zone_id not in names.index:
            raise click.BadParameter(f"{zone_id!r} is not a zone of {ledger}", param_hint="--zone")
        click.echo(f"{names[zone_id]} ({zone_id}) — as of {q}")
        total = stages.loc[zone_id]
        for stage in STAGES:
            row = total.loc[stage]
            click.echo(f"  {STAGE_ZH[stage]} {stage:<16} {int(row['projects']):>6} projects  "
                       f"{_yi(row['planned_investment']):>14}")
        live = total.drop(index="cancelled")
        click.echo(f"  planned investment (not cancelled): {_yi(live['planned_investment'].sum())} "
                   f"in {int(live['projects'].sum())} projects")
        last = latest.loc[(zone_id, q)]
        click.echo(f"  {q}: started {last['projects_started']:.0f}, completed {last['projects_completed']:.0f}, "
                   f"producing {last['projects_producing']:.0f}, investment {_yi(last['investment'])}, "
                   f"output {_yi(last['output_value'])}")
        r = year_rates.loc[zone_id]
        click.echo(f"  {q.year} to {r['date'].date()}: " + " · ".join(_rate_text(r, k) for k in RATES))
    if led.warnings:
        click.echo(f"{len(led.warnings)} warning(s); run `forecast validate {ledger}` to list them", err=True)
