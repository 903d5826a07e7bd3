"""plan.csv, the year's plan: read, checked, cut, saved and read back."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from ledger_helpers import assert_ledgers_equal

from forecast.exceptions import LedgerError
from forecast.ledger import Ledger, load, save, validate
from forecast.ledger.ledger import PLAN_COLUMNS

PLAN_ZH = """项目编号,年度,计划类型,年度计划投资(亿元)
P01,2024,竣工投产,1.2
P02,2024,续建,0.8
P03,2024,新开工,
P10,2024,新开工,0.5
P11,2024,预备,
P12,2025,续建,2
"""


def _with_plan(folder: Path, text: str = PLAN_ZH, name: str = "plan.csv") -> Path:
    (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_plan_read_with_chinese_headers_codes_and_unit(good_copy: Path) -> None:
    plan = load(_with_plan(good_copy)).plan
    assert tuple(plan.columns) == PLAN_COLUMNS
    assert plan["plan"].tolist() == ["production", "continuing", "new_start", "new_start", "preparatory", "continuing"]
    # 亿元 in the header: 1.2 亿元 = 12,000 万元
    assert plan["year_investment"].tolist()[:2] == [12_000.0, 8_000.0]
    assert plan["year_investment"].isna().tolist() == [False, False, True, False, True, False]
    assert plan["year"].dtype == "int64" and plan["year"].tolist() == [2024] * 5 + [2025]
    # each row's zone, from its project
    assert plan["zone_id"].tolist() == ["my", "my", "my", "dy", "dy", "dy"]


def test_absent_plan_is_empty_with_the_loaded_dtypes(good_copy: Path) -> None:
    empty = load(good_copy).plan
    assert empty.empty and tuple(empty.columns) == PLAN_COLUMNS
    loaded = load(_with_plan(good_copy)).plan
    assert empty.dtypes.to_dict() == loaded.dtypes.to_dict()
    # a ledger built by hand without a plan has the same empty table
    led = load(good_copy)
    by_hand = Ledger(zones=led.zones, projects=led.projects, progress=led.progress)
    pd.testing.assert_frame_equal(by_hand.plan, empty)


def test_plan_kept_whole_by_as_of_and_split_by_zone(good_copy: Path) -> None:
    led = load(_with_plan(good_copy))
    cut = led.as_of("2023Q4")
    assert "P10" not in set(cut.projects["project_id"])  # registered 2024-01-10
    pd.testing.assert_frame_equal(cut.plan, led.plan)  # plans count as known whatever the cut
    dy = cut.zone("dy").plan
    assert dy["project_id"].tolist() == ["P10", "P11", "P12"]  # P10 kept though the cut has no P10


def test_plan_bad_rows_named(good_copy: Path) -> None:
    text = "project_id,year,plan,year_investment\nP01,2024,production,-5\nPX,2024,continuing,\nP02,2024,maybe,\nP02,2024,continuing,1\n"
    problems = validate(_with_plan(good_copy, text))
    got = {(p.file, p.row, p.column, p.check) for p in problems if p.severity == "error"}
    assert ("plan.csv", 2, "year_investment", "negative money") in got
    assert ("plan.csv", 3, "project_id", "unknown project") in got
    assert ("plan.csv", 4, "plan", "unknown plan type") in got
    assert ("plan.csv", 4, "year", "duplicate row") in got and ("plan.csv", 5, "year", "duplicate row") in got
    with pytest.raises(LedgerError):
        load(good_copy)


def test_plan_sheet_names(good_copy: Path, tmp_path: Path) -> None:
    led = load(_with_plan(good_copy, name="年度计划.csv"))
    assert len(led.plan) == 6


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_save_and_load_back_equal(good_copy: Path, tmp_path: Path, fmt: str) -> None:
    led = load(_with_plan(good_copy))
    out = save(led, tmp_path / ("l.xlsx" if fmt == "xlsx" else "l"), fmt=fmt)  # type: ignore[arg-type]
    back = load(out)
    assert_ledgers_equal(back, led)
    pd.testing.assert_frame_equal(back.plan, led.plan)
    if fmt == "csv":  # derived zone_id is not written
        assert (out / "plan.csv").read_text().splitlines()[0] == "project_id,year,plan,year_investment"


def test_save_without_plan_writes_no_plan_file_and_clears_an_old_one(good_copy: Path, tmp_path: Path) -> None:
    led = load(good_copy)
    out = save(led, tmp_path / "l")
    assert not (out / "plan.csv").exists()
    _with_plan(out)  # a stale plan in the folder must not come back with the ledger
    back = load(save(led, out))
    assert back.plan.empty
