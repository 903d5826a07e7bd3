"""A quarter cut once: Ledger.as_of is a no-op at its own cut, and models fit on a cut ledger."""

from __future__ import annotations

import pandas as pd
import pytest

from forecast.exceptions import ForecastError
from forecast.models import ModelSet
from forecast.models.spend import SpendModel
from forecast.sample import generate


@pytest.fixture(scope="module")
def ledger():
    return generate(zones=2, seed=3, start_year=2019, end_year=2024)


def test_cutting_a_cut_ledger_at_its_quarter_returns_it(ledger) -> None:
    cut = ledger.as_of("2023Q4")
    assert cut.cut == pd.Period("2023Q4", "Q-DEC")
    assert cut.as_of("2023Q4") is cut and cut.as_of(cut.cut) is cut
    earlier = cut.as_of("2023Q2")
    assert earlier is not cut and earlier.cut == pd.Period("2023Q2", "Q-DEC")
    assert len(earlier.progress) < len(cut.progress)


def test_a_model_fits_on_a_cut_ledger_as_on_the_ledger_and_its_quarter(ledger) -> None:
    on_cut = SpendModel().fit(ledger.as_of("2023Q4"))
    given = SpendModel().fit(ledger, "2023Q4")
    assert on_cut.as_of_ == given.as_of_ == pd.Period("2023Q4", "Q-DEC")
    pd.testing.assert_frame_equal(on_cut.summary(), given.summary())


def test_fitting_an_uncut_ledger_needs_the_quarter(ledger) -> None:
    with pytest.raises(ForecastError, match=r"Give the quarter to fit at.*ledger.as_of"):
        ModelSet().fit(ledger)
