"""The schema captures each model column's type, range, categories and missing values (data-1)."""

from __future__ import annotations

import pandas as pd
import pytest
from tabular_mlops.checks.support import check_statistics
from tabular_mlops.data.schema import (
    DATE_FORMAT_PREFIX,
    categorical_model_columns,
    infer_schema,
    load_data_schema,
    load_schema,
    model_columns,
    save_schema,
)

pytestmark = pytest.mark.ml_test_score("data-1")


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "length": [10.0, 20.0, None, 15.0],
            "count": [1, 2, 3, 3],
            "colour": ["red", "blue", "red", "red"],
            "label": [0, 1, 1, 0],
            "note": ["a", None, "c", "d"],
        }
    )


def _infer(params, frame=None, *, margin=0.1, **settings):
    tuned = params.model_copy(
        update={"schema_": params.schema_.model_copy(update={"range_margin": margin, **settings})}
    )
    return infer_schema(
        _frame() if frame is None else frame,
        model_columns=["length", "count", "colour", "label"],
        categorical_columns=["colour", "label"],
        params=tuned,
    )


def test_ranges_are_widened_by_the_margin_and_nullability_recorded(params):
    columns = _infer(params).columns.columns
    assert columns["length"].nullable
    assert check_statistics(_infer(params), "length", "in_range") == {
        "min_value": 9.0,
        "max_value": 21.0,
        "include_min": True,
        "include_max": True,
    }
    assert not columns["count"].nullable
    assert str(columns["count"].dtype) == "int64"


def test_categories_are_recorded_as_text_even_for_numbers(params):
    schema = _infer(params)
    assert check_statistics(schema, "colour", "isin")["allowed_values"] == ["blue", "red"]
    assert check_statistics(schema, "label", "isin")["allowed_values"] == ["0", "1"]


def test_columns_the_model_does_not_use_are_recorded_by_name_only(params):
    note = _infer(params).columns.columns["note"]
    assert note.checks == []
    assert note.nullable
    assert not note.required


def test_quality_rules_add_the_margins_to_the_reference(params):
    duplicated = pd.concat([_frame(), _frame().head(1)], ignore_index=True)  # 1 of 5 repeats
    quality = _infer(
        params, duplicated, missing_margin=0.1, duplicate_margin=0.05, min_rows=7
    ).quality
    assert quality.min_rows == 7
    # Shares are rounded up to 4 decimals, so a limit never falls below its reference.
    assert quality.max_duplicate_fraction == pytest.approx(0.25, abs=1e-4)
    assert quality.max_missing_fraction == {"length": pytest.approx(0.3, abs=1e-4)}


def test_schema_round_trips_through_yaml(params, tmp_path):
    schema = _infer(params)
    path = tmp_path / "schema.yaml"
    save_schema(schema, path)
    assert load_schema(path) == schema.columns
    assert load_data_schema(path).quality == schema.quality


def test_missing_schema_file_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="adopt"):
        load_schema(tmp_path / "absent.yaml")


def test_committed_schema_covers_exactly_the_model_columns_of_params(params, data_schema):
    columns = data_schema.columns.columns
    for name in model_columns(params):
        assert name in columns, f"params.yaml names '{name}', the schema does not"
        unchecked = [*params.data.features.boolean, *params.data.features.datetime]
        assert columns[name].checks or name in unchecked, name
    categorical = categorical_model_columns(params)
    for name in categorical:
        assert check_statistics(data_schema, name, "isin") is not None, name
    for name in params.data.features.numeric:
        assert check_statistics(data_schema, name, "in_range") is not None, name
    for name in params.data.features.datetime:  # text, in the format it was written in
        assert (columns[name].description or "").startswith(DATE_FORMAT_PREFIX), name
    if params.problem_type == "regression":
        assert check_statistics(data_schema, params.data.target, "in_range") is not None
    # the time column is checked too when it holds numbers (a year): the staleness checks read it
    unused = set(columns) - {*model_columns(params), params.time_column}
    assert all(not columns[name].checks for name in unused), sorted(unused)
