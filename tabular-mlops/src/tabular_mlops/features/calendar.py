"""Calendar features: a column of dates or times as numbers a model can use.

Each date column becomes its year, month, day of the week and hour (0-23), keeping the
parts that vary in the training rows: a column of dates at midnight has no hour, a year's
data no year. The column's format is learnt when the pipeline is fitted; a value in another
real format (ISO 8601, say, from an API client) is read too, and one that is no date
becomes missing, which the pipeline's imputer fills.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from tabular_mlops.data.dates import datetime_format, parse_dates

PARTS = ("year", "month", "day_of_week", "hour")


def _part(stamps: pd.Series, part: str) -> np.ndarray:
    values = {
        "year": stamps.dt.year,
        "month": stamps.dt.month,
        "day_of_week": stamps.dt.day_of_week,
        "hour": stamps.dt.hour,
    }[part]
    return np.asarray(values.astype("float64"), dtype=np.float64)  # NaT -> NaN


def calendar_parts(values: pd.Series) -> dict[str, np.ndarray]:
    """The parts of a date column that vary (its year at least), as the model reads them
    (NaN where missing or no date): what a statistical test of the column should read."""
    stamps = parse_dates(values, datetime_format(values))
    parts = {part: _part(stamps, part) for part in PARTS}
    varying = {part: found for part, found in parts.items() if pd.Series(found).nunique() > 1}
    return varying or {"year": parts["year"]}


class CalendarFeatures(TransformerMixin, BaseEstimator):  # type: ignore[misc]
    """Date columns -> their varying calendar parts, named ``<column>_<part>``."""

    def fit(self, frame: pd.DataFrame, y: Any = None) -> CalendarFeatures:
        self.feature_names_in_ = np.asarray([str(name) for name in frame.columns], dtype=object)
        self.formats_: dict[str, str | None] = {}
        self.parts_: dict[str, list[str]] = {}
        for name in self.feature_names_in_:
            self.formats_[name] = datetime_format(frame[name])
            stamps = parse_dates(frame[name], self.formats_[name])
            varying = [part for part in PARTS if pd.Series(_part(stamps, part)).nunique() > 1]
            self.parts_[name] = varying or ["year"]  # one column even for a lone date
        self.n_features_in_ = len(self.feature_names_in_)
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        columns = []
        for name in self.feature_names_in_:
            stamps = parse_dates(frame[name], self.formats_[name])
            columns += [_part(stamps, part) for part in self.parts_[name]]
        if not columns:
            return np.empty((len(frame), 0))
        return np.column_stack(columns)

    def get_feature_names_out(self, input_features: Sequence[str] | None = None) -> np.ndarray:
        return np.asarray(
            [f"{name}_{part}" for name in self.feature_names_in_ for part in self.parts_[name]],
            dtype=object,
        )
