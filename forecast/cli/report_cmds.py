"""Commands that render one report: report (issue 6).

``forecast report LEDGER --zone Z --as-of Q --out FILE.html`` runs the report
notebook for one zone and writes one self-contained HTML page. A thin adapter
over :func:`forecast.publish.notebook.render_report`, which is imported only when
the command runs (papermill and nbconvert take a second to import).
"""

from __future__ import annotations

import time

import click

from ..exceptions import ForecastError
from ..report.labels import LANGS
from ._app import handle_errors, main, parse_quarter


@main.command("report")
@click.argument("ledger", type=click.Path(exists=True, path_type=str))
@click.option("--zone", "zone_id", default=None, metavar="ZONE_ID", help="The zone to report on.")
@click.option("--province", default=None, metavar="NAME",
              help="Instead of --zone: the province's report (its zones' total and the zones side by "
                   "side), NAME as in zones.csv's province column.")
@click.option("--as-of", "as_of", required=True, callback=parse_quarter, metavar="QUARTER",
              help="Last quarter of data, e.g. 2025Q3; nothing later is used.")
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=str),
              help="HTML file to write (folders are created; written atomically).")
@click.option("--lang", type=click.Choice(LANGS), default="zh", show_default=True,
              help="Report language.")
@click.option("--horizon", type=click.IntRange(1, 16), default=8, show_default=True,
              help="Quarters to forecast after --as-of.")
@click.option("--draws", type=click.IntRange(1), default=1000, show_default=True,
              help="Monte Carlo draws.")
@click.option("--seed", type=click.IntRange(0), default=0, show_default=True,
              help="Random seed: same seed, same numbers.")
@click.option("--models", "models_path", default="", type=click.Path(dir_okay=False, path_type=str),
              help="A ModelSet saved at the same --as-of (skips fitting).")
@handle_errors
def report_cmd(ledger: str, zone_id: str | None, province: str | None, as_of: str, out: str, lang: str,
               horizon: int, draws: int, seed: int, models_path: str) -> None:
    """Render the forecast report of one zone of LEDGER as one HTML page.

    The page is self-contained (no code, no scripts, nothing loaded from the
    web) and readable on a phone. A failing notebook cell fails the command
    (exit 1) and names the cell; no page is written then.
    """
    if (zone_id is None) == (province is None):
        raise click.UsageError("Give either --zone or --province.")
    from .._io import check_writable_file
    from ..ledger import load

    check_writable_file(out)  # before any fitting: a bad --out fails in a second
    t0 = time.perf_counter()
    # Refused here, before a kernel starts, with the ledger's own last quarter.
    led = load(ledger)
    led.check_quarter(as_of)
    if province is not None:
        from ..publish.province import render_province_report
        from ..run.province import provinces

        if province.strip() not in provinces(led.zones):
            raise ForecastError(f"No zone of {ledger} is in the province {province!r}; its provinces "
                                f"are: {', '.join(provinces(led.zones)) or 'none'}.")
        path = render_province_report(ledger, province, as_of, out, lang=lang, horizon=horizon,
                                      draws=draws, seed=seed, modelset_path=models_path)
    else:
        from ..publish.notebook import render_report

        path = render_report(ledger, zone_id, as_of, out, lang=lang, horizon=horizon, draws=draws,
                             seed=seed, modelset_path=models_path)
    size = path.stat().st_size / 1024
    click.echo(f"wrote {path} ({size:,.0f} KB) in {time.perf_counter() - t0:.1f} s")
