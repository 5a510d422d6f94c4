"""The rules ``adopt`` uses to pick the problem type and the feature columns, with reasons."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from tabular_mlops.data.profile import (
    MAX_CLASSES_FOR_INTEGER_TARGET,
    MIN_LEVEL_ROWS,
    MIN_ROWS_FOR_IDENTIFIER_RULE,
    infer_problem_type,
    profile_frame,
)

ROWS = max(40, MIN_ROWS_FOR_IDENTIFIER_RULE * 2)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["cat", "dog"] * 20, "classification"),
        ([True, False] * 20, "classification"),
        (["yes", None] * 20, "classification"),
        ([0, 1, 2, 1] * 10, "classification"),
        ([1.0, 2.0, 3.0, np.nan] * 10, "classification"),  # whole numbers, read as floats
        (list(range(MAX_CLASSES_FOR_INTEGER_TARGET + 1)) * 2, "regression"),
        ([0.5, 1.25, 2.0, 3.5] * 10, "regression"),
    ],
)
def test_the_problem_type_follows_the_target(values: Any, expected: Any) -> None:
    problem_type, reason = infer_problem_type(pd.Series(values))
    assert problem_type == expected
    assert reason


def _profile(columns: dict[str, list[Any]], **options: Any) -> Any:
    frame = pd.DataFrame({"target": ["a", "b"] * (ROWS // 2), **columns})
    return profile_frame(
        frame, "target", max_categories=options.pop("max_categories", 10), **options
    )


def _decision(columns: dict[str, list[Any]], name: str, **options: Any) -> Any:
    profile = _profile(columns, **options)
    return next(column for column in profile.columns if column.name == name)


@pytest.mark.parametrize(
    ("values", "kind"),
    [
        ([float(index % 7) + 0.5 for index in range(ROWS)], "numeric"),
        ([index % 5 for index in range(ROWS)], "numeric"),
        (["red", "green", "blue", None] * (ROWS // 4), "categorical"),
        ([True, False] * (ROWS // 2), "boolean"),
        (["true", "false", None, "false"] * (ROWS // 4), "boolean"),
    ],
)
def test_feature_columns_are_chosen_by_type(values: Any, kind: Any) -> None:
    decision = _decision({"column": values}, "column")
    assert decision.kind == kind, decision


@pytest.mark.parametrize(
    ("name", "values", "reason"),
    [
        ("empty", [None] * ROWS, "entirely empty"),
        ("constant", ["same"] * ROWS, "constant"),
        ("row_number", list(range(ROWS)), "identifier-like"),
        ("customer_id", list(np.random.default_rng(0).permutation(ROWS) * 7), "identifier-like"),
        ("rownames", list(np.random.default_rng(1).permutation(ROWS) + 1), "identifier-like"),
        ("Unnamed: 0", list(np.random.default_rng(2).permutation(ROWS)), "identifier-like"),
        ("code", [f"C-{index:05d}x" for index in range(ROWS)], "identifier-like"),
        ("comment", [f"word{index % 15}" for index in range(ROWS)], "free text"),
    ],
)
def test_excluded_columns_carry_their_reason(name: Any, values: Any, reason: Any) -> None:
    decision = _decision({name: values}, name)
    assert decision.kind is None
    assert reason in decision.reason
    assert name in [column.name for column in _profile({name: values}).excluded]


def test_a_shuffled_whole_number_column_without_an_id_name_is_a_feature() -> None:
    values = list(np.random.default_rng(0).permutation(ROWS))
    assert _decision({"age_in_days": values}, "age_in_days").kind == "numeric"


def test_the_target_is_neither_a_feature_nor_excluded() -> None:
    profile = _profile({"x": [1.5, 2.5] * (ROWS // 2)})
    target = next(column for column in profile.columns if column.name == "target")
    assert target.kind is None
    assert "target" not in [column.name for column in profile.excluded]
    assert profile.features("numeric") == ["x"]


def test_a_given_problem_type_overrides_the_inferred_one() -> None:
    frame = pd.DataFrame({"target": [0, 1, 2] * 20, "x": np.arange(60) * 0.5})
    inferred = profile_frame(frame, "target", max_categories=10)
    given = profile_frame(frame, "target", max_categories=10, problem_type="regression")
    assert (inferred.problem_type, given.problem_type) == ("classification", "regression")
    assert given.problem_type_reason == "given (not inferred)"


def test_missing_shares_and_distinct_counts_are_recorded() -> None:
    decision = _decision({"colour": ["red", None, "blue", "red"] * (ROWS // 4)}, "colour")
    assert decision.missing_share == 0.25
    assert decision.distinct == 2


# Shaped like the data that a free-form date parse got wrong (issue 18): the passenger
# class of the Titanic, age bands, and codes. pandas' format="mixed" reads "1st" as the
# first of this month and "10-20" as the 20th of October.
@pytest.mark.parametrize(
    "values",
    [
        ["1st", "2nd", "3rd"],
        ["10-20", "20-30", "30-40", "40-50"],
        ["3", "4", "5", "6", "8", "rotary"],
        ["Q1", "Q2", "Q3", "Q4"],
        ["May", "June", "July"],
        ["2013", "2014", "2015"],  # years as text: ISO 8601 reads "2013", but it is no date
    ],
)
def test_labels_that_a_lenient_parser_reads_as_dates_stay_categories(values: Any) -> None:
    column = (values * ROWS)[:ROWS]
    profile = _profile({"label": column})
    assert profile.features("categorical") == ["label"]
    assert profile.time_column is None


@pytest.mark.parametrize(
    "values",
    [
        [f"2024-01-{day:02d}" for day in range(1, 29)],
        [f"2013-01-{day:02d}T{day % 24:02d}:00:00Z" for day in range(1, 29)],  # flights' time_hour
        [f"{month}/{day}/2007" for month in (11, 12) for day in range(1, 15)],  # penguins' dates
        [f"{day} Mar 2020" for day in range(1, 29)],
        [f"{hour:02d}:{minute:02d}" for hour in range(24) for minute in (0, 30)],
        [f"{month}-20{year}" for year in (17, 18) for month in ("Jan", "Feb", "Mar", "Dec")],
        # two formats in one column (health-data breaches): each value in a real one
        [f"2/{day}/2012" if day % 2 else f"2012-02-{day:02d}" for day in range(1, 29)],
    ],
)
def test_real_dates_and_times_become_calendar_features_and_the_time_column(values: Any) -> None:
    column = (values * ROWS)[:ROWS]
    column[3] = None  # a gap does not change the decision
    profile = _profile({"observed": column})
    decision = next(c for c in profile.columns if c.name == "observed")
    assert (decision.kind, profile.time_column) == ("datetime", "observed"), decision
    assert "year, month, day of week and hour" in decision.reason


def test_a_column_of_words_with_a_few_dates_is_no_date() -> None:
    values = [f"2024-01-{i % 28 + 1:02d}" if i % 10 == 0 else "unknown" for i in range(ROWS)]
    profile = _profile({"note": values})
    assert profile.time_column is None
    assert profile.features("datetime") == []


def test_repeated_codes_are_a_category_however_many_levels() -> None:
    # An airport code: more levels than max_categories, each on many rows.
    codes = [f"A{index % 30:02d}" for index in range(30 * MIN_LEVEL_ROWS * 2)]
    frame = pd.DataFrame({"target": ["a", "b"] * (len(codes) // 2), "dest": codes})
    profile = profile_frame(frame, "target", max_categories=10)
    decision = next(c for c in profile.columns if c.name == "dest")
    assert decision.kind == "categorical", decision
    assert "30 categories that repeat" in decision.reason


def test_values_that_barely_repeat_are_free_text() -> None:
    # A tail number or a ticket: most values on fewer than MIN_LEVEL_ROWS rows.
    rows = 30 * MIN_LEVEL_ROWS * 2
    values = [f"N{index % (rows // 2):04d}" for index in range(rows)]  # each on two rows
    frame = pd.DataFrame({"target": ["a", "b"] * (rows // 2), "tailnum": values})
    profile = profile_frame(frame, "target", max_categories=10)
    decision = next(c for c in profile.columns if c.name == "tailnum")
    assert decision.kind is None
    assert "free text" in decision.reason
    assert "barely repeat" in decision.reason
