"""Write the bad fixture ledgers: each a copy of ``good`` with one thing broken.

Run from the repository root after changing ``good``:
``.venv/bin/python tests/data/ledgers/make_bad.py``. The list of what each
fixture breaks, and where, is ``BAD`` in ``tests/ledger/test_bad_ledgers.py``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).parent
GOOD = HERE / "good"


def _edit(folder: Path, file: str, old: str, new: str) -> None:
    path = folder / file
    text = path.read_text(encoding="utf-8")
    if old not in text:
        raise SystemExit(f"{file}: {old!r} not found")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _status(folder: Path) -> None:
    """A 项目状态 column, right for every project but P02 (under construction)."""
    stages = ["达产", "竣工", "签约", "储备", "投产", "终止", "投产", "在建", "终止", "在建", "储备", "在建"]
    path = folder / "projects.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",项目状态"] + [f"{line},{s}" for line, s in zip(lines[1:], stages)]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _cumulative(folder: Path) -> None:
    """累计完成投资 over each project's life instead of investment; P02 falls in 2024Q1."""
    path = folder / "progress.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = ["project_id,period,累计完成投资,output_value"]
    totals: dict[str, float] = {}
    for line in lines[1:]:
        pid, period, inv, outv = line.split(",")
        if inv:
            totals[pid] = totals.get(pid, 0.0) + float(inv)
        cum = f"{totals[pid]:g}" if inv else ""
        if (pid, period) == ("P02", "2024Q1"):
            cum = "9000"  # below 2023Q4's 10000
        out.append(f"{pid},{period},{cum},{outv}")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def _drop_column(folder: Path, file: str, column: str) -> None:
    path = folder / file
    rows = [line.split(",") for line in path.read_text(encoding="utf-8").splitlines()]
    i = rows[0].index(column)
    path.write_text("\n".join(",".join(r[:i] + r[i + 1:]) for r in rows) + "\n", encoding="utf-8")


def _rename_zone(folder: Path, old: str, new: str) -> None:
    for path in folder.glob("*.csv"):
        lines = path.read_text(encoding="utf-8").splitlines()
        fixed = [",".join(new if cell == old else cell for cell in line.split(",")) for line in lines]
        path.write_text("\n".join(fixed) + "\n", encoding="utf-8")


def _bad_bytes(folder: Path) -> None:
    path = folder / "projects.csv"
    data = path.read_bytes().replace("商贸综合体".encode(), b"\xff\xfe\x80", 1)
    path.write_bytes(data)


BROKEN = {
    "missing_file": lambda f: (f / "progress.csv").unlink(),
    "missing_column": lambda f: _drop_column(f, "projects.csv", "planned_investment"),
    "empty_file": lambda f: (f / "projects.csv").write_bytes(b""),
    "undecodable": _bad_bytes,
    "unknown_zone": lambda f: _edit(f, "projects.csv", "P03,my,", "P03,zz,"),
    "unknown_project": lambda f: _edit(f, "progress.csv", "P08,2023Q4,", "P88,2023Q4,"),
    "duplicate_id": lambda f: _edit(f, "projects.csv", "P11,dy,", "P10,dy,"),
    "unreadable_date": lambda f: _edit(f, "projects.csv", "2023-04-20", "2023-04-31"),
    "unreadable_number": lambda f: _edit(f, "projects.csv", "商贸,8000,", "商贸,8千,"),
    "negative_money": lambda f: _edit(f, "progress.csv", "P07,2023Q2,8000,", "P07,2023Q2,-8000,"),
    "planned_not_positive": lambda f: _edit(f, "projects.csv", "道路,15000,", "道路,0,"),
    "date_order": lambda f: _edit(f, "projects.csv", "2023-03-10,2023-06-15", "2023-03-10,2023-03-01"),
    "cancelled_before_registered": lambda f: _edit(f, "projects.csv", "2023-11-30", "2023-05-01"),
    "cancelled_after_completion": lambda f: _edit(f, "projects.csv", "2024-02-01,,,6000", "2024-02-01,,2024-06-01,6000"),
    "status_mismatch": _status,
    "cumulative_decrease": _cumulative,
    "unknown_category": lambda f: _edit(f, "projects.csv", "物流园,services", "物流园,物流业"),
    "zone_id_pattern": lambda f: _rename_zone(f, "dy", "德阳"),
    "unreadable_period": lambda f: _edit(f, "progress.csv", "P05,2023Q1,", "P05,2023Q5,"),
    "unknown_target_metric": lambda f: _edit(f, "targets.csv", "my,2024,projects_started", "my,2024,利润"),
    "unknown_indicator_metric": lambda f: _edit(f, "indicators.csv", "my,2024-03,fixed_asset_investment", "my,2024-03,gdp"),
    "unknown_unit": lambda f: _edit(f, "projects.csv", ",planned_investment,", ",计划总投资(美元),"),
    "extra_values": lambda f: _edit(f, "zones.csv", "my,绵阳经开区,四川,绵阳,national", "my,绵阳经开区,四川,绵阳,national,extra"),
}


def main() -> None:
    for name, broken in BROKEN.items():
        folder = HERE / f"bad_{name}"
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(GOOD, folder)
        broken(folder)


if __name__ == "__main__":
    main()
