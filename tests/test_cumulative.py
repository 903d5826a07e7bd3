import numpy as np
import pandas as pd

from forecast.ledger.cumulative import decumulate


def _frame(ends, values, key="a"):
    return pd.DataFrame(
        {"k": key, "period_end": pd.to_datetime(ends), "cumulative_value": values}
    )


def test_jan_feb_merged_row_keeps_its_cumulative_value():
    d = _frame(["2024-02-29", "2024-03-31", "2024-04-30"], [30.0, 45.0, 70.0])
    out, dec = decumulate(d, ["k"])
    assert out["value"].tolist() == [30.0, 15.0, 25.0]
    assert dec.empty


def test_each_year_restarts_and_series_are_separate():
    d = pd.concat(
        [
            _frame(["2023-11-30", "2023-12-31", "2024-02-29"], [90.0, 100.0, 12.0], "a"),
            _frame(["2023-12-31", "2024-02-29"], [5.0, 7.0], "b"),
        ],
        ignore_index=True,
    )
    out, _ = decumulate(d, ["k"])
    assert out["value"].tolist() == [90.0, 10.0, 12.0, 5.0, 7.0]


def test_row_order_is_kept_and_decreases_reported():
    d = _frame(["2024-04-30", "2024-02-29", "2024-03-31"], [40.0, 30.0, 25.0])
    out, dec = decumulate(d, ["k"])
    # March fell below February: reported, not hidden.
    assert list(out.index) == [0, 1, 2]
    assert out.loc[2, "value"] == -5.0
    assert list(dec.index) == [2]


def test_missing_month_does_not_lose_money():
    d = _frame(["2024-02-29", "2024-03-31", "2024-04-30"], [30.0, np.nan, 70.0])
    out, _ = decumulate(d, ["k"])
    assert np.isnan(out.loc[1, "value"])
    assert out.loc[2, "value"] == 40.0
    assert np.nansum(out["value"]) == 70.0
