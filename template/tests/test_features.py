"""All input feature code is tested (ML Test Score data-7).

The preprocessing is tested on small synthetic frames with every kind of column, and on the
configured data with the columns that ``params.yaml`` lists.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from tabular_mlops.features.derived import (
    add_derived_features,
    applicable_derived_features,
    derived_features,
)
from tabular_mlops.features.preprocess import (
    as_float,
    build_preprocessor,
)
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.pipeline import build_model

pytestmark = pytest.mark.ml_test_score("data-7")


def _inputs(feature) -> pd.DataFrame:
    """Rows for a derived feature's input columns: ordinary values, a zero and a gap."""
    return pd.DataFrame({name: [2.0, 0.0, np.nan, -3.5] for name in feature.requires})


@pytest.mark.parametrize("name", sorted(derived_features()))
def test_each_derived_feature_gives_one_value_per_row_and_leaves_its_input(name):
    feature = derived_features()[name]
    frame = _inputs(feature)
    before = frame.copy()
    values = feature.compute(frame)
    assert len(values) == len(frame)
    assert not np.isinf(values.astype(float)).any(), "no infinite value reaches the model"
    pd.testing.assert_frame_equal(frame, before)


def test_bill_ratio_divides_length_by_depth_and_never_divides_by_zero():
    if "bill_ratio" not in derived_features():
        not_applicable("bill_ratio, the demo's derived feature, is no longer registered")
    rows = pd.DataFrame(
        {"bill_length_mm": [40.0, 50.0, np.nan], "bill_depth_mm": [20.0, 0.0, 15.0]}
    )
    ratio = derived_features()["bill_ratio"].compute(rows)
    assert ratio[0] == pytest.approx(2.0)
    assert math.isnan(ratio[1])
    assert math.isnan(ratio[2])


def test_a_derived_feature_applies_only_when_its_columns_are_numeric_features():
    for name, feature in derived_features().items():
        assert name in applicable_derived_features([*feature.requires, "other"])
        assert name not in applicable_derived_features(list(feature.requires)[1:])
    assert applicable_derived_features([]) == []


def test_add_derived_features_appends_in_order_without_touching_the_input():
    names = sorted(derived_features())
    required = sorted({column for name in names for column in derived_features()[name].requires})
    frame = pd.DataFrame({column: [1.0, 2.0] for column in required})
    result = add_derived_features(frame, names)
    assert list(result.columns) == [*required, *names]
    assert list(frame.columns) == required


def test_an_unknown_derived_feature_names_the_known_ones():
    with pytest.raises(KeyError, match="unknown derived feature"):
        add_derived_features(pd.DataFrame({"x": [1.0]}), ["wing_span"])


def _mixed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "size (cm)": [40.0, 50.0, np.nan, 45.0],
            "count/week": [1, 3, 2, 2],
            "colour": ["red", None, "blue", "red"],
            "member": [True, False, None, "true"],
        }
    )


def _mixed_preprocessor():
    return build_preprocessor(
        numeric=["size (cm)", "count/week"], categorical=["colour"], derived=[], boolean=["member"]
    )


def test_preprocessor_imputes_encodes_and_keeps_a_fixed_column_order():
    preprocessor = _mixed_preprocessor()
    matrix = preprocessor.fit_transform(_mixed())
    assert not np.isnan(matrix).any()
    assert list(preprocessor.get_feature_names_out()) == [
        "size (cm)",
        "count/week",
        "colour_blue",
        "colour_red",
        "member",
    ]
    numeric = matrix[:, :2]
    assert numeric.mean(axis=0) == pytest.approx([0.0, 0.0], abs=1e-9)  # scaled


def test_true_false_values_become_one_and_zero_keeping_gaps():
    converted = as_float(pd.DataFrame({"flag": [True, "false", "True", None]}))
    assert converted["flag"].tolist()[:3] == [1.0, 0.0, 1.0]
    assert math.isnan(converted["flag"].iloc[3])


def test_preprocessor_ignores_unseen_categories_at_prediction_time():
    preprocessor = _mixed_preprocessor().fit(_mixed())
    unseen = _mixed().head(1).assign(colour="purple")
    encoded = preprocessor.transform(unseen)
    assert encoded[0, 2:4].tolist() == [0.0, 0.0]


def test_preprocessor_turns_the_configured_data_into_finite_numbers(raw_frame, params):
    features = params.data.features
    preprocessor = build_model(params).named_steps["features"]  # as configured
    # The labelled rows: a category with many levels is encoded by its mean target.
    raw_frame = raw_frame[raw_frame[params.data.target].notna()]
    matrix = preprocessor.fit_transform(
        raw_frame[features.input_columns], raw_frame[params.data.target]
    )
    assert matrix.shape[0] == len(raw_frame)
    assert np.isfinite(matrix).all()
    names = list(preprocessor.get_feature_names_out())
    for name in [*features.numeric, *features.derived, *features.boolean]:
        assert name in names
