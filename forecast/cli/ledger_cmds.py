"""Commands on ledgers: validate, summary, rates.

``forecast validate LEDGER`` lists every problem and exits 1 when any is an
error (0 with warnings only); ``forecast summary LEDGER`` prints each zone's
pipeline, latest quarter and the rates of the latest year; ``forecast rates``
prints or writes the rates of SCHEMA.md (``forecast.ledger.rates``).
"""

from __future__ import annotations

import sys

import click
import pandas as pd

from .._io import neutralise_frame
from ..ledger import load
from ..ledger.loader import validate_in_language
from ..ledger.messages import LANGS, problem_text, problems_table, summary_line
from ..ledger.template import write_template
from ..ledger.aggregate import pipeline, quarterly
from ..ledger.rates import rates
from ..periods import quarter, quarter_end
from ..report.labels import NA, money, t
from ..vocab import RATE_NAMES, STAGE_ZH, STAGES
from ._app import EXIT_DATA, EXIT_OK, handle_errors, main

_LEDGER = click.argument("ledger", type=click.Path(exists=True, path_type=str))


@main.command("validate")
@_LEDGER
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True,
              help="table: one readable line per problem; csv: file,row,column,check,value,expected,severity.")
@click.option("--lang", type=click.Choice(LANGS), default=None,
              help="Language of the messages (zh: 中文); default: the language of the ledger's headers.")
@handle_errors
def validate_cmd(ledger: str, fmt: str, lang: str | None) -> None:
    """Check LEDGER (a folder of CSVs, or a workbook: .xlsx, .xls, .ods) and list every problem.

    Rows are numbered as a spreadsheet shows them, columns named as written.
    Exit 1 when any problem is an error, 0 otherwise (warnings and notes).
    """
    problems, found = validate_in_language(ledger)
    lang = lang or found
    if fmt == "csv":
        # The values are ledger text: neutralised so a spreadsheet cannot run them.
        neutralise_frame(problems_table(problems, lang)).to_csv(sys.stdout, index=False, lineterminator="\n")
    else:
        for p in problems:
            click.echo(problem_text(p, lang))
    click.echo(summary_line(problems, ledger, lang), err=fmt == "csv")
    sys.exit(EXIT_DATA if any(p.severity == "error" for p in problems) else EXIT_OK)


@main.command("template")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="The workbook to write, e.g. 台账模板.xlsx.")
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Language of the headers, codes and notes.")
@handle_errors
def template_cmd(out: str, lang: str) -> None:
    """Write a ledger template workbook an office can fill in.

    One sheet per table with headers and units, an example row (id 示例, skipped
    when read), drop-down lists for coded columns, date-formatted date columns
    and a 说明 sheet explaining every column.
    """
    path = write_template(out, lang)  # type: ignore[arg-type]
    click.echo(f"{path}: {'台账模板已写入' if lang == 'zh' else 'ledger template written'}")


def _yi(wan: float) -> str:
    return money(wan, "zh", digits=2)


def rate_text(row: pd.Series, lang: str = "zh") -> str:
    """``开复工率 4/6 = 66.7%``; money rates in 亿元; ``—`` when not defined."""
    rate, num, den, value = row["rate"], row["numerator"], row["denominator"], row["value"]
    if rate == "investment_rate":
        frac = f"{money(num, lang, 2)} / {money(den, lang, 2) if pd.notna(den) else NA}"
    else:
        frac = f"{int(num)}/{int(den)}"
    return f"{t('rate.' + rate, lang)} {frac} = {NA if pd.isna(value) else f'{value:.1%}'}"


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
        led = led.as_of(led.check_quarter(as_of))
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
        r = year_rates.loc[[zone_id]]
        click.echo(f"  {q.year} to {r['date'].iloc[0].date()}: "
                   + " · ".join(rate_text(row) for _, row in r.iterrows()))
    if led.warnings:
        click.echo(f"{len(led.warnings)} warning(s); run `forecast validate {ledger}` to list them", err=True)


@main.command("rates")
@_LEDGER
@click.option("--year", type=int, required=True, help="The year of the rates, e.g. 2025.")
@click.option("--as-of", "as_of", default=None, metavar="QUARTER",
              help="Only what was known at the end of this quarter (default: the ledger's last).")
@click.option("--zone", "zones", multiple=True, metavar="ZONE_ID", help="Only this zone (repeatable).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True,
              help="table: a readable table; csv: zone_id,year,date,rate,numerator,denominator,value "
                   "on standard output.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Language of the table (and of an .xlsx's headers).")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None,
              help="Also write the rates: .xlsx (formatted: percentages, 亿元), .csv or .parquet.")
@handle_errors
def rates_cmd(ledger: str, year: int, as_of: str | None, zones: tuple[str, ...], fmt: str,
              lang: str, out: str | None) -> None:
    """The rates of LEDGER for --year: 开复工率, 新开工率, 投资完成率, 竣工投产率, 履约率.

    Each with its numerator and denominator, from plan.csv's lists where the
    zone has a plan for the year and the fallback lists of the ledger contract
    otherwise. A rate with an empty list is not defined ("—"; empty in csv).
    Money (投资完成率) is in 万元 in csv.
    """
    led = load(ledger)
    q = led.check_quarter(as_of) if as_of is not None else None
    unknown = [z for z in zones if z not in led.zone_ids]
    if unknown:
        raise click.BadParameter(f"{', '.join(map(repr, unknown))} not a zone of {ledger}",
                                 param_hint="--zone")
    r = rates(led, year, q)
    if zones:
        r = r.loc[r["zone_id"].isin(zones)]
    if out:  # .xlsx for reading (亿元, percentages), .csv (neutralised) or .parquet
        from ..report.xlsx import write_table

        write_table(r.reset_index(drop=True), out, lang)
    if fmt == "csv":
        counts = r["rate"] != "investment_rate"
        whole = {c: r[c].map(lambda v: "" if pd.isna(v) else f"{v:.0f}").where(counts, r[c])
                 for c in ("numerator", "denominator")}
        out = r.drop(columns="basis").assign(date=r["date"].dt.strftime("%Y-%m-%d"), **whole)
        out.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    names = led.zones.set_index("zone_id")["name"]
    for zone_id, rows in r.groupby("zone_id", sort=False):
        click.echo(f"{names[zone_id]} ({zone_id}) {year} — {rows['date'].iloc[0].date()}")
        for _, row in rows.set_index("rate").loc[list(RATE_NAMES)].reset_index().iterrows():
            basis = t(f"rates.basis.{row['basis']}", lang)
            click.echo(f"  {rate_text(row, lang)}  ({basis})")
