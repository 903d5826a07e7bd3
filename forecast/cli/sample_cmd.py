"""The sample command: write a generated ledger (issue 2).

``forecast sample --zones N --seed S --out DIR`` writes a realistic ledger of N
zones (zones.csv, projects.csv, progress.csv, targets.csv, indicators.csv) made
by :func:`forecast.sample.write_sample`; the ground truth behind it is in
docs/sample.md.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..sample import write_sample
from ._app import handle_errors, main


@main.command("sample")
@click.option("--zones", type=click.IntRange(min=1), default=12, show_default=True,
              help="Number of development zones to generate.")
@click.option("--seed", type=int, default=2025, show_default=True,
              help="Seed of the random generator; the same seed writes the same files.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the ledger CSVs into (created if missing).")
@click.option("--slowdown", type=click.FloatRange(min=0.0, min_open=True), default=1.0, show_default=True,
              help="From --slowdown-from on, every duration runs this many times as long (1.6 = 60% "
                   "slower, 0.8 faster); for testing forecasts on changing dynamics.")
@click.option("--slowdown-from", type=str, default=None,
              help="Date the slowdown starts, e.g. 2023-07-01 (required with --slowdown).")
@handle_errors
def sample_cmd(zones: int, seed: int, out: Path, slowdown: float, slowdown_from: str | None) -> None:
    """Write a realistic sample ledger of --zones zones into the folder --out."""
    kw = {} if slowdown == 1.0 else {"slowdown": slowdown, "slowdown_from": slowdown_from}
    ledger = write_sample(out, zones=zones, seed=seed, **kw)
    click.echo(f"{len(ledger.zones)} zones, {len(ledger.projects):,} projects, "
               f"{len(ledger.progress):,} progress rows written to {out}")
