"""Commands that forecast: predict, backtest (issue 5).

Thin adapters: parse, call ``forecast.simulate`` / ``forecast.backtest``, write,
print. Progress bars go to stderr so stdout stays clean for pipes.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from .._io import check_writable, check_writable_file
from ..exceptions import ForecastError
from ..periods import parse_quarter_range
from ._app import handle_errors, main, parse_quarter, scheduler_option
from ._app import load_ledger as _load
from ._app import progress_bar as _progress

# The models, scipy and statsmodels are imported inside the commands: every other
# command (validate, summary, ...) would otherwise pay seconds of imports at start.
MAX_HORIZON = 16  # forecast.simulate.MAX_HORIZON; a test keeps the two equal


@main.command()
@click.argument("ledger", type=click.Path(exists=True))
@click.option("--as-of", "as_of", required=True, callback=parse_quarter,
              help="Last quarter of data, e.g. 2023Q4; nothing later is used.")
@click.option("--horizon", type=click.IntRange(1, MAX_HORIZON), default=8, show_default=True,
              help="Quarters to forecast after --as-of.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False),
              help="Forecast table to write: .csv, .xlsx (formatted, 亿元) or .parquet.")
@click.option("--draws", type=click.IntRange(1), default=1000, show_default=True,
              help="Monte Carlo draws per zone.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Seed; with the zone id it fixes every draw.")
@click.option("--zone", "zones", multiple=True, help="Only this zone (repeatable).")
@click.option("--models", "models_path", type=click.Path(exists=True, dir_okay=False),
              help="A ModelSet saved at the same --as-of (skips fitting).")
@click.option("--save-models", type=click.Path(dir_okay=False),
              help="Save the fitted ModelSet here for reuse.")
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="Processes fitting models and simulating zones at once; the numbers do not "
                   "depend on it.")
@click.option("--rollup", default=None, metavar="LEVELS",
              help="Add totals from the joint draws: any of city,province,all (comma-separated); "
                   "the table gains a 'level' column and each group's name in zone_id.")
@scheduler_option
@click.option("--scenario", "scenario_path", type=click.Path(dir_okay=False),
              help="A scenario table (.csv or .xlsx: project_id, action, value) to apply; its "
                   "change against the baseline (same random streams) is printed.")
@click.option("--compare-out", type=click.Path(dir_okay=False),
              help="With --scenario: write the comparison (.csv, .xlsx or .parquet) here too.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Headers and metric names of an .xlsx output.")
@handle_errors
def predict(ledger: str, as_of, horizon: int, out: str, draws: int, seed: int,  # noqa: ANN001
            zones: tuple[str, ...], models_path: str | None, save_models: str | None,
            workers: int, rollup: str | None, scheduler: str | None, scenario_path: str | None,
            compare_out: str | None, lang: str) -> None:
    """Forecast every zone of LEDGER from --as-of and write the forecast table.

    The table has one row per zone, quarter and metric (investment,
    projects_started, projects_completed, projects_producing, output_value, and
    the new-project allowance as new_*), with mean and quantiles p05..p95.
    """
    from ..report.xlsx import TABLE_EXTENSIONS, write_table

    for hint, path in (("--out", out), ("--compare-out", compare_out)):
        if path is not None and Path(path).suffix.lower() not in TABLE_EXTENSIONS:
            raise click.BadParameter(f"must end in {', '.join(TABLE_EXTENSIONS)}", param_hint=hint)
    if compare_out and not scenario_path:
        raise click.BadParameter("needs --scenario", param_hint="--compare-out")
    if scenario_path and (rollup or scheduler):
        raise click.BadParameter("--scenario runs on this machine, without --rollup",
                                 param_hint="--scenario")
    scen = None
    if scenario_path:
        from ..scenario import Scenario

        scen = Scenario.read(scenario_path)  # a bad scenario fails before the fit
    levels: tuple[str, ...] = ()
    if rollup:
        from ..rollup import parse_levels

        try:
            levels = parse_levels(rollup)
        except ForecastError as err:
            raise click.BadParameter(str(err), param_hint="--rollup") from err
    # Before any fitting: a bad --out fails in a second, not after the simulation.
    for path in (out, save_models):
        if path:
            check_writable_file(path)
    from ..models.modelset import ModelSet

    t0 = time.perf_counter()
    led = _load(ledger)
    led.check_quarter(as_of)
    led = led.as_of(as_of)  # once, for the fit and the simulation (both would cut it)
    if models_path:
        models = ModelSet.load(models_path)
    else:
        click.echo(f"fitting models at {as_of} ...", err=True)
        models = ModelSet().fit(led, as_of, workers=workers)
    if save_models:
        models.save(save_models)
    zone_list = list(zones) or None
    n = len(zone_list) if zone_list else len(led.zone_ids)
    from .. import simulate

    if scen is not None:
        from .workbench_cmds import predict_scenario

        predict_scenario(led, scen, as_of, horizon, draws, seed, models, zone_list, workers, out,
                         compare_out, lang)
        click.echo(f"wrote the scenario's forecast for {n} zone(s) to {out} "
                   f"in {time.perf_counter() - t0:.1f} s")
        return
    kw = {"models": models, "zones": zone_list, "workers": workers, "scheduler": scheduler or None}
    with _progress(n, "zones") as bar:
        if levels:
            from ..rollup import rollup_table

            table = rollup_table(led, as_of, horizon, draws, seed, levels=levels, progress=bar.update, **kw)
        else:
            table = simulate.forecast_table(led, as_of, horizon, draws, seed, progress=bar.update, **kw)
    write_table(table, out, lang)
    click.echo(f"wrote {len(table)} rows for {n} zone(s), {horizon} quarter(s) after {as_of} "
               f"to {out} in {time.perf_counter() - t0:.1f} s")


@main.command()
@click.argument("ledger", type=click.Path(exists=True))
@click.option("--origins", required=True,
              help="Forecast origins as a quarter range, e.g. 2020Q4:2024Q4.")
@click.option("--horizon", type=click.IntRange(1, MAX_HORIZON), default=4, show_default=True)
@click.option("--out", "out", required=True, type=click.Path(),
              help="Folder for scores.csv, summary.csv, forecasts.csv, backtest.png; or an .xlsx "
                   "workbook of the three tables, formatted for reading.")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
              help="Headers and metric names of an .xlsx output.")
@click.option("--draws", type=click.IntRange(1), default=300, show_default=True)
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True)
@click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
              help="Processes simulating zones at once; the numbers do not depend on it.")
@scheduler_option
@handle_errors
def backtest(ledger: str, origins: str, horizon: int, out: str, lang: str, draws: int, seed: int,
             workers: int, scheduler: str | None) -> None:
    """Rolling-origin backtest of LEDGER against seasonal naive and ETS.

    At each origin the models see only the ledger as of that quarter.
    """
    try:
        quarters = parse_quarter_range(origins)
    except ForecastError as err:
        raise click.BadParameter(str(err), param_hint="--origins") from err
    check_writable(out)
    t0 = time.perf_counter()
    led = _load(ledger)
    for origin in quarters:
        led.check_quarter(origin)
    from .. import backtest as backtest_mod

    with _progress(len(quarters), "origins") as bar:
        bt = backtest_mod.run_backtest(led, quarters, horizon, draws, seed, progress=bar.update,
                                       workers=workers, scheduler=scheduler or None)
    summary = bt.summary()
    if Path(out).suffix.lower() == ".xlsx":
        from ..report.xlsx import write_xlsx

        write_xlsx({"summary": summary, "scores": bt.scores, "forecasts": bt.forecasts}, out, lang)
    else:
        bt.save(out)
    click.echo(summary.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    click.echo(f"backtest of {len(quarters)} origin(s) written to {out} "
               f"in {time.perf_counter() - t0:.0f} s")
