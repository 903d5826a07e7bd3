"""Cross-zone tables: ``forecast targets`` and ``forecast risk`` (issue 16).

Thin adapters over ``forecast.crosszone``: load, fit (or load a saved
ModelSet), simulate every zone to the end of the year, tabulate, print, write
(``.csv``, ``.xlsx`` formatted for reading, or ``.parquet``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import click

from ._app import handle_errors, main, parse_quarter
from ._app import load_ledger as _load
from ._app import progress_bar as _progress


def _common(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Options every cross-zone table takes."""
    for opt in reversed([
        click.argument("ledger", type=click.Path(exists=True)),
        click.option("--as-of", "as_of", required=True, callback=parse_quarter,
                     help="Last quarter of data, e.g. 2025Q4; nothing later is used."),
        click.option("--out", "out", type=click.Path(dir_okay=False),
                     help="Also write the table: .csv, .xlsx (formatted, 亿元) or .parquet."),
        click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True,
                     help="Headers and names of an .xlsx output."),
        click.option("--draws", type=click.IntRange(1), default=1000, show_default=True,
                     help="Monte Carlo draws per zone."),
        click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
                     help="Seed; with the zone id it fixes every draw."),
        click.option("--models", "models_path", type=click.Path(exists=True, dir_okay=False),
                     help="A ModelSet saved at the same --as-of (skips fitting)."),
        click.option("--workers", type=click.IntRange(1), default=1, show_default=True,
                     help="Processes fitting and simulating at once; the numbers do not depend on it."),
    ]):
        fn = opt(fn)
    return fn


def _check_out(out: str | None) -> None:
    from ..report.xlsx import TABLE_EXTENSIONS

    if out is not None and Path(out).suffix.lower() not in TABLE_EXTENSIONS:
        raise click.BadParameter(f"must end in {', '.join(TABLE_EXTENSIONS)}", param_hint="--out")


def _forecasts(ledger: str, as_of: Any, horizon: int, draws: int, seed: int, models_path: str | None,
               workers: int, zones: list[str] | None = None) -> dict[str, Any]:
    from ..models.modelset import ModelSet
    from ..simulate import forecast_zones

    led = _load(ledger)
    led.check_quarter(as_of)
    led = led.as_of(as_of)
    if models_path:
        models = ModelSet.load(models_path)
    else:
        click.echo(f"fitting models at {as_of} ...", err=True)
        models = ModelSet().fit(led, as_of, workers=workers)
    n = len(zones) if zones else len(led.zone_ids)
    with _progress(n, "zones") as bar:
        return forecast_zones(led, as_of, horizon, draws, seed, models=models, zones=zones,
                              progress=bar.update, workers=workers)


@main.command()
@_common
@click.option("--year", type=int, help="Target year; default the current one (the next after a Q4 --as-of).")
@handle_errors
def targets(ledger: str, as_of: Any, out: str | None, lang: str, draws: int, seed: int,
            models_path: str | None, workers: int, year: int | None) -> None:
    """Every zone's chance of meeting each target of the year, the least likely first.

    One row per zone and target metric: target, done by --as-of, the year's
    total (expected, p10, p50, p90), probability of meeting the target, and
    the expected gap. Money in 万元 in .csv, 亿元 in .xlsx and on screen.
    """
    _check_out(out)
    from ..crosszone import default_year, horizon_for, targets_table

    if as_of is None:  # --as-of latest
        raise click.BadParameter("give a quarter, e.g. 2025Q4 (latest is not taken here).", param_hint="--as-of")
    year = default_year(as_of) if year is None else year
    fc = _forecasts(ledger, as_of, horizon_for(as_of, year), draws, seed, models_path, workers)
    table = targets_table(fc, year)
    shown = table.copy()
    money = shown["metric"].isin(["investment", "output_value"])
    for col in ("target", "done", "expected", "p10", "p50", "p90", "gap"):
        shown[col] = shown[col].astype(float).where(~money, shown[col] / 1e4)
    if out:
        from ..report.xlsx import write_table

        write_table(table, out, lang)
    click.echo(shown.to_string(index=False, float_format=lambda v: f"{v:,.2f}"))
    click.echo(f"{len(table)} zone target(s) for {year} (money in 亿元 above)"
               + (f"; written to {out}" if out else ""))


@main.command()
@_common
@click.option("--zone", "zone", help="Only this zone.")
@click.option("--horizon", type=click.IntRange(1, 16), default=4, show_default=True,
              help="Quarters simulated (the start and cancellation risks look at the next four).")
@handle_errors
def risk(ledger: str, as_of: Any, out: str | None, lang: str, draws: int, seed: int,
         models_path: str | None, workers: int, zone: str | None, horizon: int) -> None:
    """The projects most at risk of slipping, across zones (推进滞后项目).

    One row per project and risk (start, completion, cancel), in the reports'
    order (the longest expected delays first, cancellations last), with the
    expected months late, the reason the model sees and the responsible unit.
    """
    _check_out(out)
    from ..crosszone import risk_list

    fc = _forecasts(ledger, as_of, horizon, draws, seed, models_path, workers,
                    zones=[zone] if zone else None)
    table = risk_list(fc, zone)
    if out:
        from ..report.xlsx import write_table

        write_table(table, out, lang)
    from ..report.tables import months_late_column

    shown = table.head(30)
    if len(shown):  # as the report prints it: "≥ 3.4" where a lower bound
        shown = shown.assign(months_late=months_late_column(shown, lang))
    cols = [c for c in ("zone_id", "project_id", "name", "stage", "risk", "months_late", "probability",
                        "reason_en" if lang == "en" else "reason_zh") if c in shown]
    click.echo(shown[cols].to_string(index=False, float_format=lambda v: f"{v:.0%}"))
    click.echo(f"{len(table)} project risk(s)" + (f"; written to {out}" if out else ""))


def predict_scenario(led: Any, scen: Any, as_of: Any, horizon: int, draws: int, seed: int, models: Any,
                     zone_list: list[str] | None, workers: int, out: str, compare_out: str | None,
                     lang: str) -> None:
    """``predict --scenario``: write the scenario's forecast table, print its change."""
    import pandas as pd

    from ..report.xlsx import write_table
    from ..scenario import run
    from ..targets import years_covered

    years = years_covered(as_of, horizon)
    res = run(led, scen, as_of, horizon, draws, seed, models=models, workers=workers,
              year=years[0] if years else (as_of + 1).year)
    keep = zone_list or list(res.scenario)
    write_table(pd.concat([res.scenario[z].table for z in keep], ignore_index=True), out, lang)
    if compare_out:
        write_table(res.comparison, compare_out, lang)
    click.echo(f"scenario {scen.source}: {len(scen.changes)} change(s), zones touched: "
               f"{', '.join(res.touched) or 'none'}; every other zone as in the baseline")
    cmp = res.comparison
    inv = cmp.loc[cmp["zone_id"].isin(res.touched) & (cmp["metric"] == "investment")]
    for r in inv.itertuples(index=False):
        chance = "-" if pd.isna(r.target) else f"{r.p_meet_baseline:.0%} -> {r.p_meet_scenario:.0%}"
        click.echo(f"  {r.zone_id}: {r.year} investment {r.baseline / 1e4:,.2f} -> {r.scenario / 1e4:,.2f} "
                   f"亿元 (change {r.change_mean / 1e4:+,.2f}, p10..p90 {r.change_p10 / 1e4:+,.2f}.."
                   f"{r.change_p90 / 1e4:+,.2f}); chance of meeting the target {chance}")
