"""The predict and backtest commands: what they pass to the library, their
errors and exit codes, and one real run of each as a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from _forecast_fixtures import SAMPLE_AS_OF, sample_ledger, sample_models, tiny_ledger
from forecast import backtest as backtest_mod
from forecast import simulate as simulate_mod
from forecast.cli import forecast_cmds, main
from forecast.vocab import FORECAST_COLUMNS

FORECAST = [sys.executable, "-c", "from forecast.cli import main; main()"]


class Recorder:
    """Stands in for a library function and remembers how it was called."""

    def __init__(self, result) -> None:  # noqa: ANN001
        self.result = result
        self.calls: list[tuple[tuple, dict]] = []

    def __call__(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN204
        self.calls.append((args, kwargs))
        progress = kwargs.get("progress")
        if progress is not None:
            progress(1)
        return self.result


@pytest.fixture()
def fakes(monkeypatch: pytest.MonkeyPatch):
    from forecast.models import modelset

    led = tiny_ledger(n_zones=2, per_zone=3)
    table = pd.DataFrame({c: [0.0] for c in FORECAST_COLUMNS}).assign(zone_id="Z0", period="2024Q1",
                                                                    metric="investment")
    rec = Recorder(table)
    monkeypatch.setattr(forecast_cmds, "_load", lambda path: led)
    monkeypatch.setattr(simulate_mod, "forecast_table", rec)

    class FakeSet:
        def fit(self, ledger, as_of, workers=1):  # noqa: ANN001, ANN201
            self.as_of_, self.workers = as_of, workers
            return self

    monkeypatch.setattr(modelset, "ModelSet", FakeSet)
    return led, rec


def test_predict_passes_its_options_to_forecast_table(fakes, tmp_path: Path) -> None:
    led, rec = fakes
    out = tmp_path / "fc.csv"
    res = CliRunner().invoke(main, ["predict", str(tmp_path), "--as-of", "2023Q4", "--horizon", "3",
                                    "--out", str(out), "--draws", "77", "--seed", "9", "--zone", "Z1",
                                    "--workers", "2"])
    assert res.exit_code == 0, res.output
    (args, kwargs), = rec.calls
    # the ledger cut once at --as-of, for the fit and the simulation alike
    assert args[0].cut == pd.Period("2023Q4", "Q-DEC") and set(args[0].zone_ids) == set(led.zone_ids)
    pd.testing.assert_frame_equal(args[0].projects, led.as_of("2023Q4").projects)
    assert str(args[1]) == "2023Q4" and args[2:5] == (3, 77, 9)
    assert kwargs["zones"] == ["Z1"] and kwargs["models"].as_of_ == pd.Period("2023Q4", "Q-DEC")
    assert kwargs["workers"] == 2 and kwargs["models"].workers == 2  # fitting uses them too
    assert list(pd.read_csv(out).columns) == list(FORECAST_COLUMNS)
    assert "wrote 1 rows" in res.output


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--as-of", "2023-12", "--out", "x.csv"], "2024Q3"),
        (["--as-of", "2023Q4", "--out", "x.txt"], ".csv, .xlsx, .parquet"),
        (["--as-of", "2023Q4", "--out", "x.csv", "--horizon", "0"], "horizon"),
        (["--as-of", "2023Q4", "--out", "x.csv", "--draws", "0"], "draws"),
    ],
)
def test_predict_bad_usage_exits_2(fakes, tmp_path: Path, argv: list[str], message: str) -> None:
    res = CliRunner().invoke(main, ["predict", str(tmp_path), *argv])
    assert res.exit_code == 2
    assert message in res.output


def test_predict_bad_zone_exits_1(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    led = tiny_ledger(n_zones=1, per_zone=3)
    monkeypatch.setattr(forecast_cmds, "_load", lambda path: led)
    res = CliRunner().invoke(main, ["predict", str(tmp_path), "--as-of", "2023Q4", "--out",
                                    str(tmp_path / "x.csv"), "--zone", "nope", "--models",
                                    str(_saved_stub_models(led, tmp_path))])
    assert res.exit_code == 1
    assert "nope" in res.output


def _saved_stub_models(led, tmp_path: Path) -> Path:  # noqa: ANN001
    from _forecast_fixtures import stub_models

    return stub_models(led).save(tmp_path / "ms.pkl")


def test_backtest_passes_its_options(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:

    class FakeBacktest:
        def save(self, out):  # noqa: ANN001, ANN201
            self.out = out

        def summary(self):  # noqa: ANN201
            return pd.DataFrame({"metric": ["investment"], "ratio": [0.5]})

    class FakeLedger:
        checked: list = []

        def check_quarter(self, q):  # noqa: ANN001, ANN201
            self.checked.append(str(q))

    led = FakeLedger()
    rec = Recorder(FakeBacktest())
    monkeypatch.setattr(forecast_cmds, "_load", lambda path: led)
    monkeypatch.setattr(backtest_mod, "run_backtest", rec)
    res = CliRunner().invoke(main, ["backtest", str(tmp_path), "--origins", "2020Q4:2021Q2",
                                    "--horizon", "2", "--out", str(tmp_path / "bt"), "--draws", "40"])
    assert res.exit_code == 0, res.output
    (args, kwargs), = rec.calls
    assert args[0] is led and led.checked == ["2020Q4", "2021Q1", "2021Q2"]
    assert [str(q) for q in args[1]] == ["2020Q4", "2021Q1", "2021Q2"]
    assert args[2:5] == (2, 40, 0) and kwargs["workers"] == 1
    assert rec.result.out == str(tmp_path / "bt")
    assert "0.500" in res.output


def test_backtest_bad_origins_exit_2(tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["backtest", str(tmp_path), "--origins", "2020Q4-2021Q2",
                                    "--out", str(tmp_path / "bt")])
    assert res.exit_code == 2
    assert "2020Q4:2024Q4" in res.output


# --- real runs ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ledger_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from forecast.ledger import save

    path = tmp_path_factory.mktemp("ledger") / "sample"
    save(sample_ledger(), path)
    return path


def test_predict_subprocess_writes_the_library_table(ledger_dir: Path, tmp_path: Path) -> None:
    from forecast.ledger import load
    from forecast.simulate import forecast_table

    models = sample_models()
    ms = models.save(tmp_path / "ms.pkl")
    out = tmp_path / "fc.parquet"
    r = subprocess.run([*FORECAST, "predict", str(ledger_dir), "--as-of", SAMPLE_AS_OF, "--horizon", "2",
                        "--out", str(out), "--draws", "50", "--seed", "4", "--models", str(ms)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    t = pd.read_parquet(out)
    assert list(t.columns) == list(FORECAST_COLUMNS)
    assert len(t) == len(sample_ledger().zone_ids) * 2 * 10
    # another process, the same numbers: seeds hash zone ids stably
    here = forecast_table(load(ledger_dir), SAMPLE_AS_OF, 2, 50, 4, models=models)
    pd.testing.assert_frame_equal(t, here)


def test_backtest_subprocess_writes_scores(ledger_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt"
    r = subprocess.run([*FORECAST, "backtest", str(ledger_dir), "--origins", "2023Q4:2023Q4",
                        "--horizon", "1", "--out", str(out), "--draws", "50"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    scores = pd.read_csv(out / "scores.csv")
    assert set(scores["model"]) == {"forecast", "seasonal_naive", "ets"}
    assert "seasonal_naive" in r.stdout and "ratio" in r.stdout


def test_cli_horizon_limit_matches_the_simulator():
    assert forecast_cmds.MAX_HORIZON == simulate_mod.MAX_HORIZON
