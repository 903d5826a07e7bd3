"""Commands for the quarterly batch and its delivery: batch, email (issue 6).

Thin adapters over :func:`forecast.publish.batch.run_batch` and
:func:`forecast.publish.mail.send_reports`, imported only when a command runs.
"""

from __future__ import annotations

import sys

import click

from ._app import EXIT_DATA, handle_errors, main, parse_quarter, scheduler_option


_DEFAULT = object()  # run_batch's own default (forecast.run.track.TRACK_YEARS), not imported here


def _track_years(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    if value is None:
        return _DEFAULT
    if value.strip().lower() == "all":
        return None
    if value.strip().isdigit() and int(value) >= 1:
        return int(value)
    raise click.BadParameter(f"{value!r}: give a whole number of years (1 or more), or 'all'")


@main.command("batch")
@click.argument("ledger", type=click.Path(exists=True, path_type=str))
@click.option("--as-of", "as_of", callback=parse_quarter, metavar="QUARTER",
              help="Last quarter of data, e.g. 2025Q3. Default: the ledger's latest quarter.")
@click.option("--out", type=click.Path(file_okay=False, path_type=str),
              help="Output folder. Default: reports/<quarter>.")
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Kernels rendering side by side (one per core).")
@click.option("--force", is_flag=True, help="Render every report again, even those already done.")
@click.option("--lang", "langs", multiple=True, type=click.Choice(["zh", "en"]), default=("zh", "en"),
              show_default=True, help="Report language; repeat for several.")
@click.option("--zones", metavar="ID,ID", help="Only these zones (comma-separated zone_ids).")
@click.option("--horizon", type=click.IntRange(1, 16), default=8, show_default=True,
              help="Quarters to forecast after --as-of.")
@click.option("--draws", type=click.IntRange(1), default=1000, show_default=True, help="Monte Carlo draws.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True, help="Random seed.")
@click.option("--timeout", type=click.FloatRange(1), default=900.0, show_default=True,
              help="Seconds per report before it fails.")
@click.option("--fit/--no-fit", "fit_models", default=True, show_default=True,
              help="Fit the models once for all reports (--no-fit: each report fits its own).")
@click.option("--backtest/--no-backtest", default=True, show_default=True,
              help="Run the reports' backtest once for all zones (else each report runs its own).")
@click.option("--track-years", metavar="N|all", callback=_track_years,
              help="Years of past forecasts the reports' accuracy section checks (about four model fits "
                   "a year); 'all': every year the ledger allows.  [default: 3]")
@click.option("--notebook", type=click.Path(exists=True, dir_okay=False, path_type=str),
              help="Report notebook. Default: the package's forecast/notebooks/zone_report.ipynb.")
@scheduler_option
@handle_errors
def batch_cmd(ledger: str, as_of: str | None, out: str | None, workers: int, force: bool,
              langs: tuple[str, ...], zones: str | None, horizon: int, draws: int, seed: int,
              timeout: float, fit_models: bool, backtest: bool, track_years: object,
              notebook: str | None, scheduler: str | None) -> None:
    """Render every zone's report of LEDGER for one quarter, then index.html.

    Reports already rendered from the same inputs are skipped (rerun after a
    failure renders only what failed). A failing zone leaves
    <zone>.failed.ipynb and a line in the index; the others finish, and the
    command exits 1. The last line printed is the path of index.html.
    """
    from ..publish.batch import run_batch

    try:
        res = run_batch(
            ledger, as_of, out, workers=workers, force=force, langs=langs,
            horizon=horizon, draws=draws, seed=seed,
            zones=[z.strip() for z in zones.split(",") if z.strip()] if zones else None,
            notebook=notebook, timeout=timeout, fit_models=fit_models, backtest=backtest, progress=True,
            **({} if track_years is _DEFAULT else {"track_years": track_years}),
            scheduler=scheduler or None,
        )
    except KeyboardInterrupt:
        # Ctrl-C or SIGTERM: every finished report is recorded; a rerun does the rest.
        click.echo("stopped: the reports finished so far are kept; run the same command again to "
                   "render the rest", err=True)
        sys.exit(EXIT_DATA)
    click.echo(f"{res.as_of}: {res.count('ok')} rendered, {res.count('skipped')} already done, "
               f"{res.count('failed')} failed in {res.seconds:.1f} s", err=True)
    for r in res.failed:
        click.echo(f"failed: {r.stem or r.zone_id}: {r.error}", err=True)
    click.echo(str(res.index_path))
    if not res.ok:
        sys.exit(EXIT_DATA)


@main.command("email")
@click.argument("reports", type=click.Path(exists=True, file_okay=False, path_type=str))
@click.option("--recipients", required=True, type=click.Path(exists=True, dir_okay=False, path_type=str),
              help="CSV with columns email, name, zones ('all' or ids separated by ';'), lang (optional).")
@click.option("--smtp", default="localhost:25", show_default=True, metavar="HOST:PORT",
              envvar="FORECAST_SMTP", help="SMTP server (env FORECAST_SMTP).")
@click.option("--starttls", is_flag=True, help="Encrypt with STARTTLS (certificate checked) before login.")
@click.option("--dry-run", is_flag=True, help="Write .eml files instead of sending.")
@click.option("--outbox", type=click.Path(file_okay=False, path_type=str),
              help="Folder for --dry-run files. Default: REPORTS/_outbox.")
@click.option("--sender", metavar="ADDRESS", help="From address. Default: env FORECAST_SMTP_FROM.")
@click.option("--resend", is_flag=True, help="Send every message again, even those the delivery log records as sent.")
@click.option("--retries", type=click.IntRange(0, 10), default=3, show_default=True,
              help="Tries again per message after a dropped connection or a temporary refusal.")
@click.option("--retry-wait", type=click.FloatRange(0), default=5.0, show_default=True, metavar="SECONDS",
              help="Wait before the first retry (doubled for each next one).")
@handle_errors
def email_cmd(reports: str, recipients: str, smtp: str, starttls: bool, dry_run: bool,
              outbox: str | None, sender: str | None, resend: bool, retries: int, retry_wait: float) -> None:
    """Mail each recipient a summary of their zones with the full reports attached.

    REPORTS is a folder written by `forecast batch`. Login credentials come only
    from the environment: FORECAST_SMTP_USER and FORECAST_SMTP_PASSWORD.
    Exits 1 when any recipient did not get every zone asked for.
    """
    from ..publish.mail import read_recipients, send_reports

    res = send_reports(reports, read_recipients(recipients), smtp=smtp, starttls=starttls,
                       dry_run=dry_run, outbox=outbox, sender=sender, resend=resend, retries=retries,
                       retry_wait=retry_wait)
    for path in res.files:
        click.echo(str(path))
    # At the end, who got mail, who had it already, who did not and why.
    for who in res.sent:
        click.echo(f"{'written' if dry_run else 'delivered'}: {who}", err=True)
    for who, when in res.already.items():
        click.echo(f"already delivered: {who} ({when}); --resend sends it again", err=True)
    for who, why in {**res.warnings, **res.failed}.items():
        click.echo(f"{'not delivered' if who in res.failed else 'incomplete'}: {who}: {why}", err=True)
    verb = "wrote" if dry_run else "sent"
    click.echo(f"{verb} {len(res.sent)} message(s), {len(res.already)} already delivered, "
               f"{len(res.failed)} not delivered" + (f"; delivery log: {res.log}" if res.log else ""), err=True)
    if not res.ok:
        sys.exit(EXIT_DATA)
