"""Category levels that look like numbers, and dates, from the schema to the model.

Shaped like the data of issue 18: a cylinder column holding 3, 4, 5, 6, 8 and "rotary" is a
category whose levels are text; a client that sends the number 4 for the level "4" is
right, and so is a split of the data whose rows happen to hold only numbers (pandas then
reads the column as numbers). A date column reaches the model as its calendar parts.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from tabular_mlops.config import FeatureParams, Params
from tabular_mlops.data.schema import infer_schema
from tabular_mlops.features.preprocess import build_preprocessor
from tabular_mlops.monitoring.drift import category
from tabular_mlops.serving.frames import records_to_frame
from tabular_mlops.serving.schemas import build_api_models

CYLINDERS = ["4", "6", "8", "3", "5", "rotary"]
ROWS = 120


def _frame() -> pd.DataFrame:
    generator = np.random.default_rng(0)
    cylinders = [CYLINDERS[index % 3] for index in range(ROWS - 6)] + CYLINDERS
    days = pd.date_range("2007-11-09", periods=ROWS, freq="37h")
    return pd.DataFrame(
        {
            "cylinders": cylinders,
            "observed": [day.strftime("%m/%d/%Y %H:%M") for day in days],  # not ISO 8601
            "flag": ["True", "False"] * (ROWS // 2),
            "weight": generator.normal(3000, 300, ROWS).round(),
            "price": generator.normal(20, 5, ROWS),
        }
    )


@pytest.fixture(scope="module")
def cars_params(params: Params) -> Params:
    features = FeatureParams(numeric=["weight"], categorical=["cylinders"], datetime=["observed"])
    data = params.data.model_copy(update={"features": features, "target": "price"})
    return params.model_copy(update={"data": data, "problem_type": "regression"})


def _api_for(frame: pd.DataFrame, cars_params: Params):
    """The API's request models for the schema inferred from ``frame``."""
    schema = infer_schema(
        frame,
        model_columns=[*cars_params.data.features.input_columns, "price"],
        categorical_columns=["cylinders"],
        params=cars_params,
    )
    return build_api_models(schema.columns, cars_params)


@pytest.fixture(scope="module")
def api(cars_params: Params):
    return _api_for(_frame(), cars_params)


def _record(**values):
    return {"weight": 3000, "cylinders": "4", "observed": "11/13/2007 08:00", **values}


@pytest.mark.parametrize(
    ("sent", "level"),
    [(4, "4"), (4.0, "4"), ("4", "4"), (3, "3"), ("rotary", "rotary")],
)
def test_a_number_is_accepted_for_the_level_it_spells(api, sent, level):
    record = api.record.model_validate(_record(cylinders=sent))
    assert record.cylinders == level
    # What the monitor compares with the reference is the same text.
    assert category(sent) == level


@pytest.mark.parametrize("sent", [7, 4.5, True, "four", None])
def test_a_value_that_is_no_level_is_refused_with_the_levels(api, sent):
    with pytest.raises(ValidationError) as error:
        api.record.model_validate(_record(cylinders=sent))
    problem = error.value.errors()[0]
    assert problem["loc"] == ("cylinders",)
    assert "'rotary'" in problem["msg"]


def test_a_date_column_takes_dates_and_refuses_anything_else(api):
    kinds = {column.name: column.kind for column in api.columns}
    assert kinds["observed"] == "datetime"
    example = api.record.model_validate(api.example)  # written in the data's own format
    assert example.observed == "01/31/2024 12:00"
    for date in ("11/13/2007 08:00", "2007-11-13", "2007-11-13T08:00:00Z"):
        assert api.record.model_validate(_record(observed=date)).observed == date
    for bad in ("1st", "soon", "10-20"):
        with pytest.raises(ValidationError) as error:
            api.record.model_validate(_record(observed=bad))
        assert error.value.errors()[0]["loc"] == ("observed",)
        assert "not a date or time" in error.value.errors()[0]["msg"]


def test_a_date_column_whose_data_held_other_text_serves_it_as_the_pipeline_read_it(
    cars_params,
):
    """A date range (12/01/2010-11/21/2011) among the dates of a column: the pipeline read
    it as a missing date, so the API takes it too, and the model gets it as the pipeline
    did; other text is not refused where the data held some, and is where it held none."""
    frame = _frame()
    frame.loc[3, "observed"] = "12/01/2010-11/21/2011"
    api = _api_for(frame, cars_params)
    validated: Any = api.record.model_validate(api.example)  # a model built from the schema
    assert validated.observed == "01/31/2024 12:00"
    features = cars_params.data.features
    fitted = build_preprocessor(
        features.numeric, features.categorical, [], (), features.datetime
    ).fit(frame[features.input_columns], frame["price"])
    sent = _record(observed="12/01/2010-11/21/2011")
    served = records_to_frame([api.record.model_validate(sent)], api.columns)
    as_read = pd.DataFrame([sent, _record(observed=np.nan)])[features.input_columns]
    in_pipeline, missing = fitted.transform(as_read)
    np.testing.assert_array_equal(fitted.transform(served)[0], in_pipeline)
    np.testing.assert_array_equal(in_pipeline, missing)
    clean = _api_for(_frame(), cars_params)
    with pytest.raises(ValidationError):
        clean.record.model_validate(_record(observed="12/01/2010-11/21/2011"))


@pytest.mark.parametrize("native", [False, True])
def test_the_model_reads_a_level_the_same_whatever_its_type(cars_params, api, native):
    frame = _frame()
    features = cars_params.data.features
    preprocessor = build_preprocessor(
        features.numeric, features.categorical, [], (), features.datetime,
        native_categories=native,
    )  # fmt: skip
    fitted = preprocessor.fit(frame[features.input_columns], frame["price"])
    names = list(fitted.get_feature_names_out())
    # The calendar parts that vary (these dates span months, weekdays and hours).
    assert {"observed_year", "observed_month", "observed_day_of_week", "observed_hour"} <= set(
        names
    )
    served = records_to_frame(
        [api.record.model_validate(_record(cylinders=value)) for value in (4, "6", 8.0)],
        api.columns,
    )
    # A split with no "rotary" row is read back as numbers, with a gap as a float.
    as_numbers = served.assign(cylinders=[4.0, 6.0, 8.0])
    np.testing.assert_array_equal(fitted.transform(served), fitted.transform(as_numbers))
    # ... and a level is not unknown to the model: its encoding differs from another level's.
    four, six, _ = fitted.transform(served)
    assert not np.array_equal(four, six)


def test_a_category_with_many_levels_is_one_column_encoded_by_target(cars_params):
    frame = _frame()
    features = cars_params.data.features
    preprocessor = build_preprocessor(
        features.numeric, features.categorical, [], (), features.datetime,
        one_hot_max_levels=3, regression=True,
    )  # fmt: skip
    # A price in whole units: a regression target, not classes, though its values are whole.
    fitted = preprocessor.fit(frame[features.input_columns], frame["price"].round())
    names = list(fitted.get_feature_names_out())
    assert names.count("cylinders") == 1  # not one column per level (nor one per price)
    assert not any(name.startswith("cylinders_") for name in names)
    few = build_preprocessor(features.numeric, features.categorical, [], (), features.datetime)
    one_hot = few.fit(frame[features.input_columns], frame["price"]).get_feature_names_out()
    assert {f"cylinders_{level}" for level in CYLINDERS} <= set(one_hot)


def test_a_category_read_as_numbers_with_gaps_agrees_from_schema_to_model(cars_params):
    # A column of numbers named a category by a person (adopt --categorical): with a gap,
    # pandas reads it as floats and the schema's levels are "4.0", "6.0", "8.0".
    frame = _frame().assign(cylinders=[[4.0, 6.0, 8.0, np.nan][i % 4] for i in range(ROWS)])
    api = _api_for(frame, cars_params)
    validated: Any = api.record.model_validate(_record(cylinders=4))  # built from the schema
    assert validated.cylinders == "4.0"
    features = cars_params.data.features
    fitted = build_preprocessor(
        features.numeric, features.categorical, [], (), features.datetime
    ).fit(frame[features.input_columns], frame["price"])
    served = records_to_frame(
        [api.record.model_validate(_record(cylinders=value)) for value in (4, 6, 8)], api.columns
    )
    trained = served.assign(cylinders=[4.0, 6.0, 8.0])  # as the training rows hold them
    np.testing.assert_array_equal(fitted.transform(served), fitted.transform(trained))
    assert category("4.0") == category(4.0) == "4"  # the monitor counts them as one level
