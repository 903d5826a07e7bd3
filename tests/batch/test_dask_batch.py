"""The batch on a real Dask cluster (scheduler and worker processes on
127.0.0.1): every zone rendered, resumable, and a worker killed mid-batch
costs nothing but time."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("distributed")
sys.path.insert(0, str(Path(__file__).parents[1]))  # tests/_cluster.py

from _cluster import dask_cluster  # noqa: E402

from forecast.publish.batch import run_batch  # noqa: E402

LEDGER = Path(__file__).parent / "data" / "ledger"
STEMS = {f"{z}.{lang}" for z in ("Z1", "Z2", "Z3") for lang in ("zh", "en")}


def _batch(out: Path, notebook: Path, address: str, **kw):  # noqa: ANN202
    return run_batch(LEDGER, "2023Q3", out, notebook=notebook, fit_models=False, code_version="test",
                     timeout=120, scheduler=address, **kw)


def _complete(out: Path, stem: str) -> bool:
    html = (out / f"{stem}.html").read_text(encoding="utf-8")
    head = json.loads((out / "_data" / f"{stem}.json").read_text(encoding="utf-8"))
    return html.rstrip().endswith("</html>") and head["zone_id"] == stem[:2]


def test_the_batch_renders_every_zone_on_the_cluster_and_resumes(tmp_path: Path, notebook_path) -> None:
    with dask_cluster(tmp_path / "dask", workers=2) as cluster:
        res = _batch(tmp_path / "out", notebook_path("good"), cluster.address)
        assert res.ok and res.count("ok") == 6
        assert {r.stem for r in res.results} == STEMS
        assert all(_complete(res.out, s) for s in STEMS)
        # the workers ran them, on warm kernels named after the worker
        assert {r.kernel.split("/")[0] for r in res.results} <= {"w0", "w1"}
        assert "Z3" in res.index_path.read_text(encoding="utf-8")
        again = _batch(tmp_path / "out", notebook_path("good"), cluster.address)
        assert again.count("skipped") == 6 and again.count("ok") == 0


@pytest.mark.slow
def test_a_worker_killed_mid_batch_has_its_zones_redone_elsewhere(tmp_path: Path, notebook_path) -> None:
    import threading

    from distributed import Client

    out = tmp_path / "out"
    with dask_cluster(tmp_path / "dask", workers=2) as cluster:
        killed: dict[str, object] = {}

        def kill_one_mid_report() -> None:
            # once the first report is written, kill a worker that is running another
            with Client(cluster.address, timeout=30, set_as_default=False) as c:
                deadline = time.monotonic() + 180
                while time.monotonic() < deadline:
                    if list((out / "_data").glob("*.json")) if (out / "_data").is_dir() else []:
                        busy = {a: ks for a, ks in c.processing().items() if ks}
                        if busy:
                            addr, keys = next(iter(busy.items()))
                            name = c.scheduler_info()["workers"][addr]["name"]
                            proc = cluster.workers[int(str(name)[1:])]
                            killed.update(name=str(name), keys=[str(k) for k in keys])
                            os.kill(proc.pid, signal.SIGKILL)
                            return
                    time.sleep(0.05)

        killer = threading.Thread(target=kill_one_mid_report)
        killer.start()
        res = _batch(out, notebook_path("slow"), cluster.address)
        killer.join()
    assert killed, "no worker was busy to be killed"
    assert res.ok and res.count("ok") == 6, [r.error for r in res.failed]
    assert all(_complete(out, s) for s in STEMS)
    # the reports of the killed worker's task came from the survivor
    zone = killed["keys"][0].split("-")[1].split(".")[0]
    survivor = {"w0", "w1"} - {killed["name"]}
    assert {r.kernel.split("/")[0] for r in res.results if r.zone_id == zone} == survivor
    # nothing half written: no temporary files left behind
    assert not [p for p in out.rglob("*") if p.name.startswith(".") or p.suffix == ".tmp"]
