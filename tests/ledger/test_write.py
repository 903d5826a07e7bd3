"""save: canonical files, written atomically."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from ledger_helpers import GOOD

from forecast.exceptions import ForecastError
from forecast.ledger import load, save, write


@pytest.fixture(scope="module")
def good():
    return load(GOOD)


def test_csv_is_canonical(tmp_path: Path, good) -> None:
    out = save(good, tmp_path / "l")
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in
                                                           ("zones", "projects", "progress", "targets", "indicators"))
    progress = (out / "progress.csv").read_text(encoding="utf-8").splitlines()
    assert progress[0] == "project_id,period,investment,output_value"  # no derived columns
    projects = (out / "projects.csv").read_bytes()
    assert not projects.startswith(b"\xef\xbb\xbf") and b",2023-01-10," in projects  # UTF-8, ISO dates
    # Indicators are written per period, so they load without the cumulative step.
    assert (out / "indicators.csv").read_text().splitlines()[0] == "zone_id,period,metric,value"


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path, good, monkeypatch: pytest.MonkeyPatch) -> None:
    out = save(good, tmp_path / "l")
    before = (out / "zones.csv").read_bytes()

    def broken(df: pd.DataFrame, path: Path) -> None:
        path.write_text("half a fi")
        raise OSError("disk full")

    monkeypatch.setattr(write, "write_csv", broken)
    with pytest.raises(OSError, match="disk full"):
        save(good, out)
    assert (out / "zones.csv").read_bytes() == before
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []


def test_xlsx_sheets(tmp_path: Path, good) -> None:
    from openpyxl import load_workbook

    path = save(good, tmp_path / "l.xlsx", fmt="xlsx")
    assert load_workbook(path, read_only=True).sheetnames == ["zones", "projects", "progress", "targets", "indicators"]


def test_bad_format_is_refused(tmp_path: Path, good) -> None:
    with pytest.raises(ForecastError, match="fmt must be"):
        save(good, tmp_path / "l", fmt="parquet")  # type: ignore[arg-type]
