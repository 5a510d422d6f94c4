"""Corrupted data is refused with a report naming each column and rule (data-1, monitor-2).

The corruptions are chosen from ``params.yaml`` and the committed schema, so they apply to
whatever data the project has adopted; the quality rules are also checked on small frames.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pytest

from tabular_mlops.data.schema import DataSchema, QualityRules
from tabular_mlops.data.validation import check_frame, missing_columns
from tabular_mlops.ml_test_score.applicability import not_applicable

from ..support import UNKNOWN_CATEGORY, check_statistics, schema_breach, with_values

pytestmark = [pytest.mark.ml_test_score("data-1"), pytest.mark.ml_test_score("monitor-2")]


def _columns_with(schema: DataSchema, names: list[str], check_name: str) -> list[str]:
    return [name for name in names if check_statistics(schema, name, check_name) is not None]


def test_the_configured_data_is_valid(raw_frame, data_schema):
    report = check_frame(raw_frame, data_schema)
    assert report.valid, report.describe()
    assert report.rows == len(raw_frame)


def test_a_value_the_schema_forbids_is_reported_with_column_and_rule(
    raw_frame, data_schema, params
):
    column, value, check = schema_breach(params, data_schema)
    report = check_frame(with_values(raw_frame, column, 0, value), data_schema)
    assert not report.valid
    (violation,) = report.violations
    assert violation.column == column
    assert check in violation.check
    assert violation.failing_rows == 1
    assert str(value) in violation.examples[0]


def test_an_unknown_category_is_reported(raw_frame, data_schema, params):
    candidates = [*params.data.features.categorical, params.data.target]
    categorical = _columns_with(data_schema, candidates, "isin")
    if not categorical:
        not_applicable("no categorical feature and a numeric target: no column has categories")
    column = categorical[0]
    report = check_frame(with_values(raw_frame, column, [0, 1], UNKNOWN_CATEGORY), data_schema)
    (violation,) = report.violations
    assert (violation.column, violation.failing_rows) == (column, 2)
    assert "isin" in violation.check
    assert UNKNOWN_CATEGORY in report.describe()


def test_text_in_a_numeric_column_is_reported_once(raw_frame, data_schema, params):
    numeric = _columns_with(data_schema, params.data.features.numeric, "in_range")
    if not numeric:
        not_applicable("the model has no numeric feature")
    column = numeric[0]
    report = check_frame(with_values(raw_frame, column, 2, "last year"), data_schema)
    (violation,) = report.violations
    assert violation.column == column
    assert violation.check.startswith("coerce_dtype")
    assert violation.failing_rows == 1
    assert violation.examples == ["'last year'"]


def test_missing_and_unexpected_columns_are_both_reported(raw_frame, data_schema, params):
    dropped = params.data.features.input_columns[0]
    corrupted = raw_frame.drop(columns=[dropped]).assign(unexpected_column=1)
    report = check_frame(corrupted, data_schema)
    checks = {(violation.column, violation.check) for violation in report.violations}
    assert (dropped, "column_in_dataframe") in checks, report.describe()
    assert ("unexpected_column", "column_in_schema") in checks, report.describe()


def test_a_missing_value_where_the_schema_forbids_one_is_reported(raw_frame, data_schema, params):
    columns = data_schema.columns.columns
    required = [
        name
        for name in [*params.data.features.input_columns, params.data.target]
        if not columns[name].nullable
    ]
    if not required:
        not_applicable("every model column may be missing in the reference data")
    column = required[0]
    report = check_frame(with_values(raw_frame, column, 1, None), data_schema)
    (violation,) = report.violations
    assert violation.column == column
    # A whole-number column cannot even hold a missing value: its type check fails first.
    expected = "coerce_dtype" if "int" in str(columns[column].dtype) else "not_nullable"
    assert violation.check.startswith(expected), violation


def test_too_few_rows_are_reported(raw_frame, data_schema):
    minimum = data_schema.quality.min_rows
    report = check_frame(raw_frame.head(minimum - 1), data_schema)
    assert any("quality.min_rows" in violation.check for violation in report.violations)
    assert check_frame(raw_frame.head(0), data_schema).valid is False


def test_a_data_set_of_repeated_rows_is_reported(raw_frame, data_schema):
    repeated = pd.concat([raw_frame] * 5, ignore_index=True)
    report = check_frame(repeated, data_schema)
    (violation,) = report.violations
    assert "quality.max_duplicate_fraction" in violation.check
    assert violation.failing_rows == report.duplicate_rows >= 4 * len(raw_frame)


def test_a_mostly_empty_column_is_reported(raw_frame, data_schema, params):
    limits = data_schema.quality.max_missing_fraction
    if not limits:
        not_applicable("no model column has missing values in the reference data: no limit to test")
    limits = {name: limit for name, limit in limits.items() if limit < 1}
    if not limits:
        not_applicable("every missing-value limit in the schema is 100%: no share breaks it")
    column, limit = sorted(limits.items())[0]
    emptied = with_values(
        raw_frame, column, raw_frame.index[: int(len(raw_frame) * limit) + 2], None
    )
    report = check_frame(emptied, data_schema)
    assert any(
        violation.column == column and "quality.max_missing_fraction" in violation.check
        for violation in report.violations
    ), report.describe()


# The quality rules on small frames, so they are tested whatever the project's data is like.


def _rules_only(rules: QualityRules) -> DataSchema:
    return DataSchema(pa.DataFrameSchema({}, strict=False), rules)


def test_quality_rules_on_a_small_frame():
    frame = pd.DataFrame({"a": [1.0, None, None, 4.0, 4.0], "b": ["x", "y", "z", "w", "w"]})
    generous = QualityRules(min_rows=5, max_duplicate_fraction=0.2, max_missing_fraction={"a": 0.4})
    assert check_frame(frame, _rules_only(generous)).valid
    strict = QualityRules(min_rows=6, max_duplicate_fraction=0.1, max_missing_fraction={"a": 0.2})
    report = check_frame(frame, _rules_only(strict))
    found = {(violation.column, violation.check.split(" (")[-1]) for violation in report.violations}
    assert found == {
        ("<dataframe>", "schema quality.min_rows)"),
        ("<dataframe>", "schema quality.max_duplicate_fraction)"),
        ("a", "schema quality.max_missing_fraction)"),
    }
    assert report.duplicate_rows == 1


def test_missing_columns_suggest_the_closest_name():
    assert missing_columns(["bill_lenght", "colour", "kept"], ["bill_length", "kept"]) == [
        "'bill_lenght' (did you mean 'bill_length'?)",
        "'colour'",
    ]
