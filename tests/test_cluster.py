"""Zone simulations on a real Dask cluster (scheduler and worker processes on
127.0.0.1): the same table as a local run, byte for byte; dask stays out of a
run without --scheduler."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from _cluster import dask_cluster
from _forecast_fixtures import SAMPLE_AS_OF, quick_modelset, sample_ledger, sample_models

pytest.importorskip("distributed")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    with dask_cluster(tmp_path_factory.mktemp("dask"), workers=2) as c:
        yield c


@pytest.fixture(scope="module")
def ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forecast.ledger import save

    path = tmp_path_factory.mktemp("ledger") / "sample"
    save(sample_ledger(), path)
    return path


def _predict(ledger_dir: Path, out: Path, models: Path, *extra: str) -> None:
    from forecast.cli import main

    res = CliRunner().invoke(main, ["predict", str(ledger_dir), "--as-of", SAMPLE_AS_OF, "--horizon", "3",
                                    "--out", str(out), "--draws", "120", "--seed", "5", "--models",
                                    str(models), *extra], env={"FORECAST_SCHEDULER": ""})
    assert res.exit_code == 0, res.output


@pytest.mark.parametrize("rollup", [(), ("--rollup", "city,province,all")])
def test_predict_on_the_cluster_equals_the_local_table(cluster, ledger_dir: Path, tmp_path: Path,
                                                        rollup: tuple[str, ...]) -> None:
    ms = sample_models().save(tmp_path / "ms.pkl")
    _predict(ledger_dir, tmp_path / "local.csv", ms, *rollup)
    _predict(ledger_dir, tmp_path / "dask.csv", ms, "--scheduler", cluster.address, *rollup)
    local, remote = (tmp_path / "local.csv").read_bytes(), (tmp_path / "dask.csv").read_bytes()
    assert local == remote
    t = pd.read_csv(tmp_path / "dask.csv")
    assert set(t["zone_id"]) >= set(sample_ledger().zone_ids) and t["mean"].notna().all()


def test_scheduler_from_the_environment(cluster, ledger_dir: Path, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from forecast import cluster as cluster_mod
    from forecast.cli import main

    seen = []
    real = cluster_mod.map_zones

    def spy(job, batches, address, *args):  # noqa: ANN001, ANN002, ANN202
        seen.append(address)
        return real(job, batches, address, *args)

    monkeypatch.setattr(cluster_mod, "map_zones", spy)
    ms = sample_models().save(tmp_path / "ms.pkl")
    res = CliRunner().invoke(main, ["predict", str(ledger_dir), "--as-of", SAMPLE_AS_OF, "--horizon", "1",
                                    "--out", str(tmp_path / "x.csv"), "--draws", "20", "--models", str(ms)],
                             env={"FORECAST_SCHEDULER": cluster.address})
    assert res.exit_code == 0, res.output
    assert seen == [cluster.address]


def test_backtest_on_the_cluster_equals_the_local_one(cluster) -> None:
    from forecast.backtest import run_backtest

    led = sample_ledger()
    kw = {"horizon": 1, "draws": 40, "seed": 2, "model_factory": lambda: quick_modelset(fit_indicators=False)}
    local = run_backtest(led, "2023Q3:2023Q4", **kw)
    remote = run_backtest(led, "2023Q3:2023Q4", scheduler=cluster.address, **kw)
    pd.testing.assert_frame_equal(local.forecasts, remote.forecasts)


def test_an_unreachable_scheduler_is_a_clear_error(ledger_dir: Path, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from forecast import cluster as cluster_mod

    monkeypatch.setattr(cluster_mod, "CONNECT_TIMEOUT", 2)
    from forecast.cli import main

    ms = sample_models().save(tmp_path / "ms.pkl")
    res = CliRunner().invoke(main, ["predict", str(ledger_dir), "--as-of", SAMPLE_AS_OF, "--horizon", "1",
                                    "--out", str(tmp_path / "x.csv"), "--draws", "20", "--models", str(ms),
                                    "--scheduler", "tcp://127.0.0.1:9"])
    assert res.exit_code == 1
    assert "Cannot reach the Dask scheduler" in res.output and "tcp://127.0.0.1:9" in res.output


def test_without_a_scheduler_dask_is_not_imported(ledger_dir: Path, tmp_path: Path) -> None:
    ms = sample_models().save(tmp_path / "ms.pkl")
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from forecast.cli import main\n"
        f"r = CliRunner().invoke(main, ['predict', {str(ledger_dir)!r}, '--as-of', {SAMPLE_AS_OF!r},"
        f" '--horizon', '1', '--draws', '20', '--workers', '2', '--rollup', 'province,all',"
        f" '--out', {str(tmp_path / 'x.csv')!r}, '--models', {str(ms)!r}])\n"
        "assert r.exit_code == 0, r.output\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "FORECAST_SCHEDULER"}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "x.csv").is_file()


FLAKY = """
def run(job, zones):  # a stand-in for forecast.simulate.run_zones
    with open(job.log, "a", encoding="utf-8") as fh:
        fh.write(",".join(zones) + "\\n")
    if "bad" in zones:
        raise ValueError("bad zone")
    return [(z, ("result", z)) for z in zones], None
"""


def test_a_zone_failing_twice_is_named_and_its_batch_mates_redone(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from forecast import cluster as cluster_mod
    from forecast.exceptions import ForecastError

    (tmp_path / "mods").mkdir()
    (tmp_path / "mods" / "flaky_run.py").write_text(FLAKY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path / "mods"))
    import flaky_run

    job = SimpleNamespace(sums=None, log=str(tmp_path / "calls.txt"))
    got = []
    with dask_cluster(tmp_path / "dask", workers=2, path=str(tmp_path / "mods")) as c:
        with pytest.raises(ForecastError, match=r"1 zone\(s\) failed .*bad: ValueError: bad zone"):
            for zone, result in cluster_mod.map_zones(job, [["a", "bad", "b"], ["c"]], c.address,
                                                      flaky_run.run, None):
                got.append((zone, result))
    assert sorted(got) == [(z, ("result", z)) for z in "abc"]
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    # the batch tried twice (retries=1), then each of its zones alone, the bad one twice
    assert calls.count("a,bad,b") == 2 and calls.count("bad") == 2
    assert calls.count("a") == 1 and calls.count("b") == 1 and calls.count("c") == 1
