"""Time and peak memory of ``forecast.ledger.load`` (which validates).

Measures, each in a fresh subprocess so peak RSS belongs to one step:
- the sample ledger ``data/sample`` (if present);
- a 2,500-zone ledger written once to ``bench/out/zones2500`` (git-ignored) and
  reused: made by ``forecast.sample.write_sample`` when that module exists,
  otherwise by replicating the tiny fixture ledger's projects with monthly progress;
and, as a floor from the same run, plain ``pandas.read_csv`` of the same files.

Then the same large ledger as one workbook (``bench/out/zones2500.xlsx``, written
once with date cells; progress on as many sheets as Excel's 1,048,576 rows need)
is loaded against its CSVs (the issue's bar: the workbook within 2x; beside them
python-calamine alone reading every cell, and fastexcel alone reading every sheet
into Arrow: the floors of a load through either reader), and the sample as a
workbook is read cell by cell by openpyxl and by python-calamine, and loaded with
and without fastexcel's part (small ledgers must not be slower). CPU seconds
include the worker processes that read long sheets.

Run: ``.venv/bin/python bench/load.py [--zones 2500] [--rebuild] [--no-xlsx] [--out DIR]``;
the issue's figure alone, CSV and workbook in turn: ``bench/load.py --only-xlsx --repeat 3``.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
FIXTURE = ROOT / "tests" / "data" / "ledgers" / "good"

_CHILD = r"""
import json, os, sys, time
t0 = time.perf_counter()
kind, path = sys.argv[1], sys.argv[2]
if kind in ("load", "load-whole"):
    from forecast.ledger import load
    if kind == "load-whole":  # every sheet read whole by python-calamine, as before fastexcel read long ones
        import forecast.ledger.workbook as workbook
        workbook._SPLIT_SUFFIXES = ()
    ledger = load(path)
    rows = len(ledger.projects) + len(ledger.progress)
    n_warn = len(ledger.warnings)
elif kind == "openpyxl":  # every cell of every sheet as Python values: the reader alone
    from openpyxl import load_workbook
    wb = load_workbook(path, read_only=True, data_only=True)
    rows = sum(sum(1 for _ in ws.iter_rows(values_only=True)) for ws in wb.worksheets)
    n_warn = 0
elif kind == "fastexcel":  # every cell of every sheet into Arrow columns: the reader alone
    import fastexcel, logging
    logging.getLogger("fastexcel").setLevel(logging.ERROR)
    book = fastexcel.read_excel(path)
    rows = sum(book.load_sheet(n, header_row=None).to_arrow().num_rows for n in book.sheet_names)
    n_warn = 0
elif kind == "calamine":
    import gc
    from python_calamine import CalamineWorkbook
    gc.disable()  # as the loader reads: millions of new cells, no cycles
    wb = CalamineWorkbook.from_path(path)
    rows = sum(len(wb.get_sheet_by_name(n).to_python()) for n in wb.sheet_names)
    n_warn = 0
else:
    import pandas as pd
    from pathlib import Path
    frames = [pd.read_csv(p, engine=kind) for p in sorted(Path(path).glob("*.csv"))]
    rows, n_warn = sum(map(len, frames)), 0
secs = time.perf_counter() - t0
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the forking parent.
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1]
cpu = sum(os.times()[:4])  # user + system, with worker processes ended: steadier than wall time on a shared machine
print(json.dumps({"secs": secs, "cpu": cpu, "rss_mb": int(hwm) / 1024,
                  "rows": rows, "warnings": n_warn}))
"""


def measure(kind: str, path: Path) -> dict[str, float]:
    """Run one step in a fresh interpreter; its wall time and peak RSS."""
    out = subprocess.run([sys.executable, "-c", _CHILD, kind, str(path)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def replicate_fixture(out: Path, zones: int, copies: int = 14) -> None:
    """A large ledger from the fixture: every zone a copy, progress made monthly."""
    import pandas as pd

    from forecast.ledger import load, save
    from forecast.ledger.ledger import Ledger

    base = load(FIXTURE)
    z = base.zones
    zone_rows, project_rows, progress_rows, target_rows = [], [], [], []
    # Quarterly rows spread over three months, so progress is monthly like a real 台账.
    prog = base.progress
    monthly = []
    for _, r in prog.iterrows():
        if r["freq"] == "Q":
            for m in range(3):
                month = r["quarter"].asfreq("M", "start") + m
                monthly.append({"project_id": r["project_id"], "period": str(month),
                                "investment": r["investment"] / 3, "output_value": r["output_value"] / 3})
        else:
            monthly.append({k: r[k] for k in ("project_id", "period", "investment", "output_value")})
    monthly = pd.DataFrame(monthly)
    for i in range(zones):
        src = z.iloc[i % len(z)]
        zid = f"z{i:04d}"
        zone_rows.append({**src.to_dict(), "zone_id": zid, "name": f"{src['name']}{i}"})
        p = base.projects.loc[base.projects["zone_id"] == src["zone_id"]]
        for c in range(copies):
            q = p.assign(zone_id=zid, project_id=p["project_id"] + f"-{zid}-{c}")
            project_rows.append(q)
            mm = monthly.loc[monthly["project_id"].isin(p["project_id"])]
            progress_rows.append(mm.assign(project_id=mm["project_id"] + f"-{zid}-{c}"))
        t = base.targets.loc[base.targets["zone_id"] == src["zone_id"]]
        target_rows.append(t.assign(zone_id=zid))
    ledger = Ledger(zones=pd.DataFrame(zone_rows), projects=pd.concat(project_rows, ignore_index=True),
                    progress=pd.concat(progress_rows, ignore_index=True),
                    targets=pd.concat(target_rows, ignore_index=True))
    save(ledger, out)


def build(out: Path, zones: int, rebuild: bool) -> str:
    """Make the large ledger once; says which builder made it."""
    marker = out / ".built_by"
    use_sample = importlib.util.find_spec("forecast.sample") is not None and _has_write_sample()
    wanted = "forecast.sample" if use_sample else "fixture replication"
    if out.exists() and not rebuild and marker.exists() and marker.read_text() == wanted:
        return wanted + " (reused)"
    if use_sample:
        from forecast.sample import write_sample

        write_sample(out, zones, 2025)
    else:
        replicate_fixture(out, zones)
    marker.write_text(wanted)
    return wanted


def build_xlsx(csv_folder: Path, out: Path, rebuild: bool) -> str:
    """The CSV ledger as one workbook, dates as date cells, long tables split over sheets."""
    if out.exists() and not rebuild:
        return "reused"
    import pandas as pd
    from openpyxl import Workbook

    from forecast._io import atomic_path
    from forecast.ledger.columns import COLUMNS

    wb = Workbook(write_only=True)
    for table in COLUMNS:
        path = csv_folder / f"{table}.csv"
        if not path.exists():
            continue
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        cols = []
        for c in df.columns:
            spec = COLUMNS[table].get(c)
            if spec is not None and spec.kind == "date":
                d = pd.to_datetime(df[c], errors="coerce")
                cols.append([None if pd.isna(v) else v.to_pydatetime() for v in d])
            elif spec is not None and spec.kind in ("money", "number", "land", "year"):
                cols.append(pd.to_numeric(df[c], errors="coerce").astype(object).where(df[c] != "", None).tolist())
            else:
                cols.append([v if v != "" else None for v in df[c].tolist()])
        rows = list(zip(*cols))
        step = 1_000_000
        for k in range(0, max(len(rows), 1), step):
            ws = wb.create_sheet(table if k == 0 else f"{table}{k // step + 1}")
            ws.append(list(df.columns))
            for row in rows[k:k + step]:
                ws.append(row)
    with atomic_path(out) as tmp:
        wb.save(tmp)
    return "written"


def _has_write_sample() -> bool:
    import forecast.sample as sample

    return hasattr(sample, "write_sample")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--zones", type=int, default=2500)
    parser.add_argument("--rebuild", action="store_true", help="write the large ledger again")
    parser.add_argument("--no-xlsx", action="store_true", help="skip the workbook comparison")
    parser.add_argument("--out", type=Path, default=OUT,
                        help="folder of the large ledger and its workbook (reused when there)")
    parser.add_argument("--only-xlsx", action="store_true",
                        help="only the large ledger's CSV against its workbook, --repeat times")
    parser.add_argument("--repeat", type=int, default=1,
                        help="with --only-xlsx: CSV and workbook loaded this many times, in turn")
    args = parser.parse_args()
    big = args.out / f"zones{args.zones}"
    how = build(big, args.zones, args.rebuild)
    if args.only_xlsx:
        alternate(big, args.rebuild, args.repeat)
        return
    ledgers = []
    sample = ROOT / "data" / "sample"
    if sample.exists():
        ledgers.append(("data/sample", sample, "as found"))
    ledgers.append((str(big.relative_to(ROOT) if big.is_relative_to(ROOT) else big), big, how))
    print(f"{'ledger':<24} {'rows':>10} {'load s':>8} {'cpu s':>7} {'peak MB':>8} {'read_csv(c) s':>14} "
          f"{'read_csv(pyarrow) s':>20} {'ratio c':>8} {'ratio pa':>9}")
    for name, path, how in ledgers:
        ours = measure("load", path)
        c = measure("c", path)
        pa = measure("pyarrow", path)
        print(f"{name:<24} {ours['rows']:>10,} {ours['secs']:>8.2f} {ours['cpu']:>7.2f} {ours['rss_mb']:>8.0f} "
              f"{c['secs']:>14.2f} "
              f"{pa['secs']:>20.2f} {ours['secs'] / c['secs']:>8.2f} {ours['secs'] / pa['secs']:>9.2f}")
        print(f"  built by {how}; floor cpu s: c {c['cpu']:.2f}, pyarrow {pa['cpu']:.2f}; "
              f"floor peak MB: c {c['rss_mb']:.0f}, pyarrow {pa['rss_mb']:.0f}; "
              f"{ours['warnings']} warning(s)")
    if not args.no_xlsx:
        compare_xlsx(big, args.rebuild)


def compare_readers(sample: Path, rebuild: bool) -> None:
    """openpyxl and python-calamine reading every cell of the sample as a workbook."""
    book = OUT / "sample.xlsx"
    build_xlsx(sample, book, rebuild)
    op, cal, ours = measure("openpyxl", book), measure("calamine", book), measure("load", book)
    whole, csv = measure("load-whole", book), measure("load", sample)
    print(f"\nsample as a workbook ({book.stat().st_size / 2**20:.1f} MB): read every cell: openpyxl "
          f"{op['secs']:.2f} s, calamine {cal['secs']:.2f} s ({op['secs'] / cal['secs']:.1f}x faster); "
          f"forecast.ledger.load {ours['secs']:.2f} s wall {ours['cpu']:.2f} s cpu (every sheet read whole "
          f"by python-calamine: {whole['secs']:.2f} s wall {whole['cpu']:.2f} s cpu; the sample's CSVs: "
          f"{csv['secs']:.2f} s wall {csv['cpu']:.2f} s cpu)")


def compare_xlsx(big: Path, rebuild: bool) -> None:
    """The large ledger loaded from one workbook and from its CSVs, in the same run."""
    if (ROOT / "data" / "sample").exists():
        compare_readers(ROOT / "data" / "sample", rebuild)
    book = big.with_suffix(".xlsx")
    how = build_xlsx(big, book, rebuild)
    csv = measure("load", big)
    xlsx = measure("load", book)
    floor = measure("calamine", book)  # python-calamine alone: every sheet parsed and its cells made Python values
    fast = measure("fastexcel", book)  # fastexcel alone: every sheet parsed into Arrow columns
    print(f"\n{'same ledger':<50} {'rows':>10} {'load s':>8} {'cpu s':>7} {'peak MB':>8}")
    for name, m in ((f"{big.name} (CSV folder)", csv), (f"{book.name} (one workbook, {how})", xlsx),
                    (f"{book.name}: calamine reading its cells only", floor),
                    (f"{book.name}: fastexcel reading its cells only", fast)):
        print(f"{name:<50} {m['rows']:>10,} {m['secs']:>8.2f} {m['cpu']:>7.2f} {m['rss_mb']:>8.0f}")
    print(f"workbook / CSV: {xlsx['secs'] / csv['secs']:.2f}x wall, {xlsx['cpu'] / csv['cpu']:.2f}x cpu "
          f"(bar: 2x); the readers alone: calamine {floor['secs'] / csv['secs']:.2f}x wall, "
          f"{floor['cpu'] / csv['cpu']:.2f}x cpu; fastexcel {fast['secs'] / csv['secs']:.2f}x wall, "
          f"{fast['cpu'] / csv['cpu']:.2f}x cpu; {book.stat().st_size / 2**20:,.0f} MB workbook")


def alternate(big: Path, rebuild: bool, repeat: int) -> None:
    """The large ledger from its CSVs and from its workbook, in turn ``repeat`` times, with the
    machine's load average: on a shared machine the wall ratio of a pair run back to back is the figure."""
    import os
    import statistics

    book = big.with_suffix(".xlsx")
    build_xlsx(big, book, rebuild)
    print(f"{'run':<5} {'CSV s':>7} {'cpu s':>7} {'.xlsx s':>8} {'cpu s':>7} {'wall x':>7} {'cpu x':>6} "
          f"{'load (1 min) before, after':>28}")
    walls, cpus = [], []
    for i in range(repeat):
        before = os.getloadavg()[0]
        csv, xlsx = measure("load", big), measure("load", book)
        walls.append(xlsx["secs"] / csv["secs"])
        cpus.append(xlsx["cpu"] / csv["cpu"])
        print(f"{i + 1:<5} {csv['secs']:>7.2f} {csv['cpu']:>7.2f} {xlsx['secs']:>8.2f} {xlsx['cpu']:>7.2f} "
              f"{walls[-1]:>7.2f} {cpus[-1]:>6.2f} {before:>19.2f}, {os.getloadavg()[0]:.2f}", flush=True)
    print(f"workbook / CSV, median of {repeat}: {statistics.median(walls):.2f}x wall, "
          f"{statistics.median(cpus):.2f}x cpu (bar: 2x wall; 2 cores: wall ratios grow with the load)")


if __name__ == "__main__":
    main()
