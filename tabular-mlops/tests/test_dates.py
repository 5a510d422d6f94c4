"""Reading dates one value at a time (the API's check of each record) as a column is read."""

import pandas as pd
import pytest

from tabular_mlops.data.dates import _parse_each, parse_dates, parse_one, reads_as_date

# Real formats, words and numbers that only look like dates, ranges, offsets, padding.
VALUES = [
    "2013-01-01 05:00:00", "2013-01-01T05:00:00Z", "2013-01-01 05:00:00+05:00", "1st", "2nd",
    "10-20", "2013", "12:30", "12:30:45", "Mar-2018", "March 2018", "Mar 2018", "2/15/2012",
    "15/02/2012", "2012-02-15", "rotary", "4", "  2013-01-01  ", "2013-13-01", "Jan 5, 2020",
    "5 January 2020", "20200105", "2020-01-05 5:00", "nan", "1.5", "99999", "2013-1-1 5:00:00",
    "Tue, 01 Jan 2013 05:00:00", "03/09/2013-03/11/2013", "2013-01-01 05:00:00.123456",
    "05:00 PM", "Q1 2020",
]  # fmt: skip


@pytest.mark.filterwarnings("ignore::UserWarning")  # pandas on day-first guesses
def test_one_value_is_read_as_the_column_reads_it() -> None:
    column = _parse_each(pd.Series(VALUES, dtype=object).str.strip())
    for value, stamp in zip(VALUES, column, strict=True):
        expected = None if pd.isna(stamp) else pd.Timestamp(stamp)
        assert parse_one(value) == expected, value


@pytest.mark.parametrize("value", [None, float("nan"), 5, 5.0, True, "", "   "])
def test_a_missing_or_non_text_value_is_no_date(value: object) -> None:
    assert parse_one(value) is None


def test_dates_beyond_nanosecond_range_and_nanosecond_times_are_read() -> None:
    """9999-12-31 (a common 'no end' sentinel) does not fit pandas' nanoseconds, a time with
    nanoseconds does not fit microseconds: each in a column of another format, where the
    column's second read meets the first's resolution."""
    assert parse_one("9999-12-31") == pd.Timestamp("9999-12-31", tz="UTC")
    ends = parse_dates(pd.Series(["2013-01-01 05:00:00", "9999-12-31"]), "%Y-%m-%d %H:%M:%S")
    assert ends.tolist() == [pd.Timestamp("2013-01-01 05:00", tz="UTC"), parse_one("9999-12-31")]
    fine = parse_dates(pd.Series(["2013-01-01T05:00:00.123456789Z", "2013-01-01 05:00:00"]),
                       "%Y-%m-%d %H:%M:%S")  # fmt: skip
    assert fine[0] == pd.Timestamp("2013-01-01 05:00:00.123456789", tz="UTC")


@pytest.mark.filterwarnings("ignore::UserWarning")  # pandas on day-first guesses
@pytest.mark.parametrize(
    "date_format", [None, "%Y-%m-%d %H:%M:%S", "%d/%m/%Y", "%m/%d/%Y", "%b-%Y", "%H:%M"]
)
def test_the_api_accepts_as_a_date_what_the_column_reads_as_one(date_format: str | None) -> None:
    """The API's check of each record's date (a column's format known) against the reader
    of the whole column in that format: the same values are dates."""
    column = parse_dates(pd.Series(VALUES, dtype=object), date_format)
    for value, stamp in zip(VALUES, column, strict=True):
        assert reads_as_date(value, date_format) == (not pd.isna(stamp)), value
    assert not reads_as_date(None, date_format)
    assert not reads_as_date(float("nan"), date_format)
