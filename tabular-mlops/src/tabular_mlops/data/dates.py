"""Dates and times written as text: which columns hold them, and reading them.

Only real formats count: one that pandas guesses from a value itself (a year, month and
day in some order, with or without a time, a month's name), a time of day, or ISO 8601. A
free-form parse (``pd.to_datetime(..., format="mixed")``) would read ordinal labels ("1st",
"2nd") as days of the month and ranges ("10-20") as dates. A lone year ("%Y") is a number.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import pandas as pd
from pandas.tseries.api import guess_datetime_format

# The share of a column's values that must be in one date or time format for it to hold dates.
DATETIME_SHARE = 0.95
# Formats pandas does not guess from one value, tried after the guessed ones: times of day,
# months of a year (Mar-2018).
OTHER_FORMATS = ("%H:%M:%S", "%H:%M", "%b-%Y", "%b %Y", "%B %Y", "%b-%y")
_SAMPLE = 200  # values looked at to decide; a column is decided on its first ones


def _texts(values: Any) -> pd.Series:
    """The values as stripped text, None where missing."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, dtype=object)
    texts = series.astype("string").str.strip()
    return texts.astype(object).where(texts.notna(), None)


def _formats(value: str) -> list[str]:
    guessed = guess_datetime_format(value)
    return [*([guessed] if guessed and guessed != "%Y" else []), *OTHER_FORMATS]


def datetime_format(values: pd.Series) -> str | None:
    """The date or time format at least ``DATETIME_SHARE`` of ``values`` are written in."""
    sample = _texts(values).dropna().head(_SAMPLE)
    if sample.empty:
        return None
    candidates = dict.fromkeys(f for value in sample.head(20) for f in _formats(value))
    for candidate in candidates:
        if (_parse(sample, candidate).notna().mean()) >= DATETIME_SHARE:
            return candidate
    return None


def is_datetime(values: pd.Series) -> bool:
    """Whether at least ``DATETIME_SHARE`` of ``values`` are dates or times in a real format:
    most in one format, or each in its own (2/15/2012 beside 2012-02-15)."""
    sample = _texts(values).dropna().head(_SAMPLE)
    if sample.empty or not sample.str.contains(r"\d", regex=True).mean() >= DATETIME_SHARE:
        return False  # every real format holds a digit: words are no dates, quickly
    if datetime_format(sample) is not None:
        return True
    allowed = int((1 - DATETIME_SHARE) * len(sample))  # values that may fail
    failed = 0
    for value in sample:
        failed += parse_one(value) is None
        if failed > allowed:
            return False
    return True


def _parse(texts: pd.Series, date_format: str) -> pd.Series:
    # utc=True: values with different offsets are one instant each, not an error.
    parsed: pd.Series = pd.to_datetime(texts, format=date_format, errors="coerce", utc=True)
    return parsed


def _lone_years(texts: pd.Series) -> pd.Series:
    """Which texts are a lone year: a number (ISO 8601 would read "2013" as a date)."""
    lone: pd.Series = texts.str.isdigit() & (texts.str.len() <= 4)
    return lone


def _parse_each(texts: pd.Series) -> pd.Series:
    """Each text in its own real format, NaT where none reads it: the format pandas guesses
    from it, then ``OTHER_FORMATS``, then ISO 8601, in that order for every value. One parse
    per format, not per value: a column whose ranges (03/09/2013-03/11/2013) fail its format
    is read in milliseconds, where trying each value alone took 4 ms a value."""
    # Timestamps of any resolution (pandas reads 9999-12-31 in microseconds, a time with
    # nanoseconds in nanoseconds): one resolution is chosen at the end.
    parsed = pd.Series(pd.NaT, index=texts.index, dtype=object)
    candidates = texts[~_lone_years(texts)]
    guessed = candidates.map(guess_datetime_format)
    guessed = guessed[guessed.notna() & (guessed != "%Y")]
    for date_format, group in guessed.groupby(guessed):
        parsed[group.index] = _parse(candidates[group.index], str(date_format))
    for date_format in (*OTHER_FORMATS, "ISO8601"):
        missing = parsed.index[parsed.isna()].intersection(candidates.index)
        if missing.empty:
            break
        parsed[missing] = _parse(candidates[missing], date_format)
    return pd.to_datetime(parsed, utc=True)


def parse_one(value: Any) -> pd.Timestamp | None:
    """``value`` as a UTC timestamp when it is a date or time in a real format, else None:
    what :func:`_parse_each` reads it as, in the same order of formats. One value at a time
    (the API checks each record's dates), so no Series: ten times faster."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return _read_text(str(value).strip())


@lru_cache(maxsize=65_536)  # served records repeat their dates (a day, an hour)
def _read_text(text: str) -> pd.Timestamp | None:
    if not text or (text.isdigit() and len(text) <= 4):  # a lone year is a number
        return None
    for date_format in (*_formats(text), "ISO8601"):
        parsed = pd.to_datetime(text, format=date_format, errors="coerce", utc=True)
        if not pd.isna(parsed):
            return pd.Timestamp(parsed)
    return None


def reads_as_date(value: Any, date_format: str | None) -> bool:
    """Whether :func:`parse_dates` reads ``value`` as a date in a column whose format is
    ``date_format``: in that format, or else in its own (:func:`parse_one`). The column's
    format is tried first, as there: it reads most of a column's values, and a format known
    beforehand costs a third of a guessed one (the API checks each record's dates)."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return False
    text = str(value).strip()
    if date_format is not None and _reads_in(text, date_format):
        return True
    return _read_text(text) is not None


@lru_cache(maxsize=65_536)
def _reads_in(text: str, date_format: str) -> bool:
    return not pd.isna(pd.to_datetime(text, format=date_format, errors="coerce", utc=True))


def parse_dates(values: pd.Series, date_format: str | None = None) -> pd.Series:
    """UTC timestamps, NaT where a value is missing or no date: each value is read in
    ``date_format`` (the column's) when it can be, else in its own real format."""
    texts = _texts(values)
    distinct = pd.Series(texts.dropna().unique(), dtype=object)  # dates repeat: read each once
    parsed = _parse(distinct, date_format or "ISO8601")
    if date_format is None:
        parsed[_lone_years(distinct).to_numpy(dtype=bool)] = pd.NaT
    failed = parsed.isna()
    if failed.any():  # as objects: the two reads may differ in resolution (s, us, ns)
        parsed = parsed.astype(object)
        parsed[failed] = _parse_each(distinct[failed].astype(str)).astype(object)
    stamps: pd.Series = texts.map(dict(zip(distinct, parsed, strict=True)))
    return pd.to_datetime(stamps, utc=True)
