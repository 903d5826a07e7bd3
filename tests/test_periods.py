import pandas as pd
import pytest

from forecast.exceptions import ForecastError
from forecast.periods import (
    next_quarters,
    parse_period,
    parse_quarter_range,
    quarter,
    quarter_end,
    quarter_range,
)


@pytest.mark.parametrize(
    "text, year, q",
    [("2024Q3", 2024, 3), ("2024q1", 2024, 1), (" 2023 Q4 ", 2023, 4)],
)
def test_quarter_parses_schema_spelling(text, year, q):
    p = quarter(text)
    assert (p.year, p.quarter) == (year, q)


@pytest.mark.parametrize("bad", ["2024Q5", "2024-03", "Q3 2024", "", "2024Q"])
def test_quarter_rejects_other_spellings(bad):
    with pytest.raises(ForecastError, match="2024Q3"):
        quarter(bad)


def test_quarter_of_a_date_and_its_end():
    assert str(quarter(pd.Timestamp("2024-02-29"))) == "2024Q1"
    assert quarter_end("2024Q1") == pd.Timestamp("2024-03-31")
    assert quarter_end("2023Q4") == pd.Timestamp("2023-12-31")


def test_next_quarters_cross_the_year():
    assert [str(q) for q in next_quarters("2024Q3", 4)] == ["2024Q4", "2025Q1", "2025Q2", "2025Q3"]


@pytest.mark.parametrize(
    "text, freq, end",
    [
        ("2024-03", "M", "2024-03-31"),
        ("2024/2", "M", "2024-02-29"),
        ("2024年7月", "M", "2024-07-31"),
        ("2024Q2", "Q-DEC", "2024-06-30"),
    ],
)
def test_parse_period(text, freq, end):
    p = parse_period(text)
    assert p.freqstr == freq
    assert p.end_time.normalize() == pd.Timestamp(end)


@pytest.mark.parametrize("bad", ["2024-13", "2024", "March 2024", None, 202403])
def test_parse_period_returns_none_for_bad_text(bad):
    assert parse_period(bad) is None


def test_quarter_range_and_text_range_agree():
    assert list(parse_quarter_range("2020Q4:2021Q3")) == list(quarter_range("2020Q4", "2021Q3"))
    assert len(parse_quarter_range("2020Q4:2024Q4")) == 17
    with pytest.raises(ForecastError, match="2020Q4:2024Q4"):
        parse_quarter_range("2020Q4-2024Q4")
