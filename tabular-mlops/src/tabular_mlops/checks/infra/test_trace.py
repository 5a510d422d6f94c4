"""Debugging a single example: `trace` shows one row's journey (ML Test Score infra-5).

The trace is checked against the trained pipeline itself: the vector it shows as the model's
input must give the estimator exactly the pipeline's prediction and probabilities, and it
must show every transformer that the fitted pipeline applies.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.schema import DataSchema, load_schema
from tabular_mlops.features.derived import derived_features
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.registry import load_model
from tabular_mlops.serving.frames import (
    frame_to_records,
    records_to_frame,
)
from tabular_mlops.serving.schemas import build_api_models
from tabular_mlops.tracing.journey import walk

from ..support import run_stage, schema_breach

pytestmark = pytest.mark.ml_test_score("infra-5")


def _trace(workspace: Path, *args: str) -> Any:
    with contextlib.chdir(workspace):  # the command reads params.yaml where it runs
        return run_stage("trace", *args)


@pytest.fixture(scope="module")
def workspace_params(trained_workspace: Path) -> Params:
    return load_params(trained_workspace / "params.yaml")


@pytest.fixture(scope="module")
def test_rows(trained_workspace: Path, workspace_params: Params) -> pd.DataFrame:
    return pd.read_csv(trained_workspace / workspace_params.split.output_dir / "test.csv")


@pytest.fixture(scope="module")
def position(test_rows: pd.DataFrame, workspace_params: Params) -> int:
    """A test row with a gap in an input column when there is one: it shows imputation."""
    gaps = test_rows[workspace_params.data.features.input_columns].isna().any(axis=1)
    return int(np.flatnonzero(gaps.to_numpy())[0]) if gaps.any() else 0


@pytest.fixture(scope="module")
def traced(trained_workspace: Path, position: int) -> dict[str, Any]:
    result = _trace(trained_workspace, f"test:{position}", "--json")
    assert result.exit_code == 0, result.output
    trace: dict[str, Any] = json.loads(result.stdout)
    return trace


@pytest.fixture(scope="module")
def model(trained_workspace: Path, workspace_params: Params) -> Pipeline:
    fitted: Pipeline = load_model(trained_workspace / workspace_params.train.model_path)
    return fitted


def _leaf_transformers(transformer: Any) -> list[str]:
    """The classes of the transformers that a fitted pipeline applies, in order."""
    if isinstance(transformer, Pipeline):
        return [name for _, step in transformer.steps for name in _leaf_transformers(step)]
    if isinstance(transformer, ColumnTransformer):
        return [
            name
            for _, fitted, columns in transformer.transformers_
            if not isinstance(fitted, str) and len(np.atleast_1d(columns))
            for name in _leaf_transformers(fitted)
        ]
    return [] if isinstance(transformer, str) else [type(transformer).__name__]


def test_the_walk_follows_any_pipeline_sparse_output_and_passthrough_columns_included():
    """Not only this project's pipeline: a sparse one-hot block and untouched columns."""
    frame = pd.DataFrame({"c": ["a", "b", "a", "b"], "x": [1.0, 2.0, 3.0, 4.0], "k": [0, 1, 0, 1]})
    columns = ColumnTransformer(
        [("onehot", OneHotEncoder(sparse_output=True), ["c"]), ("scale", StandardScaler(), ["x"])],
        remainder="passthrough",
    )
    model = Pipeline([("columns", columns), ("estimator", LogisticRegression())])
    model.fit(frame, [0, 1, 0, 1])
    row = frame.tail(1)
    steps, vector = walk("", model[:-1], row, list(row.columns))
    names = ["columns/onehot", "columns/scale", "columns/remainder", "columns"]
    assert [step.name for step in steps] == names
    assert steps[2].values == [1]  # passed through as it was
    assert steps[0].columns == ["c_a", "c_b"]
    assert steps[0].values == [0.0, 1.0]
    assert steps[-1].columns == [str(name) for name in model[:-1].get_feature_names_out()]
    assert steps[-1].values == np.asarray(model[:-1].transform(row), dtype=float)[0].tolist()
    assert model[-1].predict(vector)[0] == model.predict(row)[0]


def test_the_trace_starts_from_the_raw_row_and_its_validation(
    traced, test_rows, position, workspace_params
):
    expected = frame_to_records(test_rows.iloc[[position]])[0]
    assert traced["raw"] == expected
    assert traced["validation"]["valid"] is True
    checked = set(traced["validation"]["columns"])
    assert set(workspace_params.data.features.input_columns) <= checked
    truth = expected[workspace_params.data.target]
    classification = workspace_params.problem_type == "classification"
    assert traced["actual"] == (str(truth) if classification else truth)


def test_the_trace_shows_every_transformer_of_the_fitted_pipeline(traced, model):
    shown = [
        step["transformer"]
        for step in traced["steps"]
        if step["transformer"] not in ("Pipeline", "ColumnTransformer")
    ]
    assert shown == _leaf_transformers(model[:-1])
    names = [step["name"] for step in traced["steps"]]
    assert len(names) == len(set(names)), "each step is named by its place in the pipeline"


def test_each_derived_feature_shows_the_value_its_code_computes(
    traced, test_rows, position, workspace_params
):
    derived = workspace_params.data.features.derived
    if not derived:
        not_applicable("data.features.derived is empty: no derived feature to show")
    row = test_rows.iloc[[position]].reset_index(drop=True)
    first = traced["steps"][0]["values"]  # the derived features are computed first
    for name in derived:
        expected = derived_features()[name].compute(row).astype(float).iloc[0]
        if np.isnan(expected):
            assert first[name] is None
        else:
            assert first[name] == pytest.approx(expected)


def test_the_model_input_gives_exactly_the_pipelines_prediction(
    traced, model, test_rows, position, workspace_params
):
    features = test_rows.iloc[[position]][workspace_params.data.features.input_columns]
    model_input = traced["model_input"]
    assert model_input["columns"] == [str(name) for name in model[:-1].get_feature_names_out()]
    vector = np.array([model_input["values"]], dtype=float)  # None (a gap left) becomes NaN
    np.testing.assert_array_equal(vector, np.asarray(model[:-1].transform(features), dtype=float))
    estimator = model[-1]
    expected = model.predict(features)[0]
    assert estimator.predict(vector)[0] == expected
    assert traced["prediction"] == expected
    assert traced["consistent"] is True
    if workspace_params.problem_type == "classification":
        probabilities = model.predict_proba(features)[0]
        np.testing.assert_array_equal(estimator.predict_proba(vector)[0], probabilities)
        shown = traced["probabilities"]
        assert list(shown) == [str(label) for label in model.classes_]
        assert list(shown.values()) == probabilities.tolist()
    else:
        assert traced["probabilities"] is None


def test_the_joined_output_is_the_blocks_outputs_side_by_side(traced):
    steps = traced["steps"]
    joined = [step for step in steps if step["transformer"] == "ColumnTransformer"]
    assert joined, "the pipeline's column transformer is shown"
    for step in joined:
        blocks: dict[str, Any] = {}
        for inner in steps:  # the last step of each block under this column transformer
            prefix = inner["name"].removeprefix(step["name"] + "/")
            if prefix != inner["name"]:
                blocks[prefix.split("/")[0]] = inner["values"]
        side_by_side = [value for values in blocks.values() for value in values.values()]
        assert side_by_side == list(step["values"].values())


def test_a_json_record_is_traced_as_the_api_serves_it(
    trained_workspace, model, test_rows, position, workspace_params
):
    inputs = workspace_params.data.features.input_columns
    record = frame_to_records(test_rows.iloc[[position]][inputs])[0]
    result = _trace(trained_workspace, json.dumps(record), "--json")
    assert result.exit_code == 0, result.output
    traced = json.loads(result.stdout)
    # The frame the API builds for this record (whether it equals the split's row is the
    # training/serving skew test's business, monitor-3).
    schema = load_schema(trained_workspace / workspace_params.schema_.path)
    api = build_api_models(schema, workspace_params)
    served = records_to_frame([api.record.model_validate(record)], api.columns)
    vector = np.array([traced["model_input"]["values"]], dtype=float)
    np.testing.assert_array_equal(vector, np.asarray(model[:-1].transform(served), dtype=float))
    assert traced["prediction"] == model.predict(served)[0]
    assert traced["raw"] == record
    assert traced["actual"] is None, "a record without the target has no actual value"


def test_the_text_trace_numbers_every_step_down_to_the_prediction(trained_workspace, traced):
    result = _trace(trained_workspace, "test:0")
    assert result.exit_code == 0, result.output
    for step in traced["steps"]:
        assert f". {step['name']} ({step['transformer']})" in result.stdout
    assert ". model input of " in result.stdout
    assert f". prediction of {traced['target']}: " in result.stdout


def test_a_record_that_breaks_the_schema_is_refused_naming_the_column_and_rule(
    trained_workspace, test_rows, workspace_params, data_schema: DataSchema
):
    column, value, check = schema_breach(workspace_params, data_schema)
    inputs = workspace_params.data.features.input_columns
    record = frame_to_records(test_rows.head(1)[[*inputs, workspace_params.data.target]])[0]
    record[column] = value
    result = _trace(trained_workspace, json.dumps(record))
    assert result.exit_code == 1
    assert f"column '{column}': {check}" in result.output


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("drop", "lacks the model's input column(s) '{column}'"),
        ("misspell", "the data does not have: '{column}x' (did you mean '{column}'?)"),
    ],
)
def test_a_record_with_a_missing_or_unknown_column_is_refused_naming_it(
    trained_workspace, test_rows, workspace_params, change, message
):
    inputs = workspace_params.data.features.input_columns
    record = frame_to_records(test_rows.head(1)[inputs])[0]
    column = inputs[0]
    value = record.pop(column)
    if change == "misspell":
        record[f"{column}x"] = value
    result = _trace(trained_workspace, json.dumps(record))
    assert result.exit_code == 1
    assert message.format(column=column) in result.output


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("test:100000000", "is not a row of"),
        ("holdout:0", "no split 'holdout': use one of train, val, test"),
        ("not-a-row", "is not SPLIT:POSITION"),
        ('{"a": ', "is not valid JSON"),
    ],
)
def test_a_row_that_cannot_be_found_is_refused_saying_what_would_work(
    trained_workspace, row, message
):
    result = _trace(trained_workspace, row)
    assert result.exit_code == 1
    assert message in result.output
