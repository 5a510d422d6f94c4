"""A new feature is one change in one place (ML Test Score data-6).

The test writes a derived feature as a user would, with the registry's public ``register``
decorator, switches it on in ``data.features.derived`` of a copy of the configuration, and
runs the pipeline's stages through training: the model must take the feature as an input
and train, with no other file changed. The schema, the API's request model and the
monitoring reference stay as they were, because they describe raw columns only.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.schema import load_schema
from tabular_mlops.data.split import read_split
from tabular_mlops.features.derived import (
    derived_features,
    register,
    unregister,
)
from tabular_mlops.modeling.registry import load_metadata, load_model
from tabular_mlops.serving.frames import (
    frame_to_records,
    records_to_frame,
)
from tabular_mlops.serving.schemas import build_api_models

from ..support import copy_configuration, run_stages, stages_until

pytestmark = pytest.mark.ml_test_score("data-6")

NEW_FEATURE = "added_by_the_data_6_test"


def _new_feature(params: Params) -> tuple[tuple[str, ...], Any]:
    """A feature of this data: the product of two numeric features (a square when there is
    one), or without any numeric feature the number of gaps in the row's input columns."""
    numeric = params.data.features.numeric
    if numeric:
        first, last = numeric[0], numeric[-1]

        def product(frame: pd.DataFrame) -> pd.Series:
            return frame[first].astype(float) * frame[last].astype(float)

        return tuple(dict.fromkeys((first, last))), product
    columns = list(params.data.features.input_columns)

    def gaps(frame: pd.DataFrame) -> pd.Series:
        return frame[columns].isna().sum(axis=1).astype(float)

    return tuple(columns), gaps


@pytest.fixture(scope="module")
def new_feature(params: Params) -> Iterator[Any]:
    """The feature, registered for this module's tests and removed after them."""
    requires, compute = _new_feature(params)
    register(NEW_FEATURE, requires=requires)(compute)
    try:
        yield compute
    finally:
        unregister(NEW_FEATURE)


@pytest.fixture(scope="module")
def workspace(new_feature: Any, params: Params, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The configuration with the new feature listed, trained through the train stage."""
    features = params.data.features.model_dump()
    features["derived"] = [*features["derived"], NEW_FEATURE]
    workspace = copy_configuration(tmp_path_factory.mktemp("new_feature"), features=features)
    params_file = workspace / "params.yaml"
    raw = yaml.safe_load(params_file.read_text(encoding="utf-8"))
    raw["tune"]["enabled"] = False  # the feature, not the search, is under test
    params_file.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    run_stages(workspace, stages_until("train"))
    return workspace


def test_the_registry_lists_the_new_feature_with_its_columns(new_feature, params):
    requires, _ = _new_feature(params)
    assert derived_features()[NEW_FEATURE].requires == requires
    assert derived_features()[NEW_FEATURE].compute is new_feature
    with pytest.raises(ValueError, match="already registered"):
        register(NEW_FEATURE, requires=requires)(new_feature)


def test_the_trained_model_takes_the_new_feature_as_an_input(workspace, new_feature):
    trained = load_params(workspace / "params.yaml")
    model = load_model(workspace / trained.train.model_path)
    assert NEW_FEATURE in load_metadata(workspace / trained.train.model_path)["features"]["derived"]
    names = [str(name) for name in model[:-1].get_feature_names_out()]
    assert NEW_FEATURE in names, "the estimator receives the new feature"
    rows = read_split(workspace / trained.split.output_dir, "val")
    matrix = np.asarray(model[:-1].transform(rows[trained.data.features.input_columns]))
    received = matrix[:, names.index(NEW_FEATURE)].astype(float)
    # What the estimator receives is the feature's value, imputed and scaled: where the value
    # is known, an increasing affine function of it.
    values = new_feature(rows).astype(float).to_numpy()
    known = ~np.isnan(values)
    if np.ptp(values[known]) == 0:
        assert np.ptp(received[known]) == 0
    else:
        assert np.corrcoef(values[known], received[known])[0, 1] == pytest.approx(1.0)


def test_the_model_with_the_new_feature_trains_to_finite_validation_metrics(workspace):
    # Whether the model is good enough is the gate's business (model-5): here, that the
    # training with the new feature went through and scored the model.
    trained = load_params(workspace / "params.yaml")
    metrics = json.loads((workspace / trained.train.metrics_path).read_text(encoding="utf-8"))
    assert trained.gate.metric in metrics["model"]
    assert all(np.isfinite(value) for value in metrics["model"].values()), metrics["model"]


def test_serving_needs_no_change_to_answer_with_the_new_feature(workspace):
    """The API's request model and frame building, without a server (checks/serving has it)."""
    trained = load_params(workspace / "params.yaml")
    inputs = trained.data.features.input_columns
    api = build_api_models(load_schema(workspace / trained.schema_.path), trained)
    assert [column.name for column in api.columns] == inputs, "a request has no new field"
    rows = read_split(workspace / trained.split.output_dir, "val").head(3)
    records = [api.record.model_validate(record) for record in frame_to_records(rows[inputs])]
    model = load_model(workspace / trained.train.model_path)
    served = model.predict(records_to_frame(records, api.columns))
    # Equal to the pipeline's predictions is the skew test's business (monitor-3): here,
    # that the served rows get an answer the target can take.
    if trained.problem_type == "classification":
        assert set(served) <= set(model.classes_)
    else:
        assert np.isfinite(served.astype(float)).all()
