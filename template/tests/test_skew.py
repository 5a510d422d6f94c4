"""Training/serving skew: the API returns exactly what the pipeline computes (monitor-3).

The held-out test rows go through the API, in batches and one record at a time, and so do
rows with missing values (so that imputation is covered too): the raw rows that have gaps,
and test rows with each column that may be missing blanked. Each answer must equal the
fitted pipeline's own prediction for that row, exactly.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.registry import load_model
from tabular_mlops.serving.frames import frame_to_records

pytestmark = [pytest.mark.ml_test_score("monitor-3"), pytest.mark.skew]

# The first rows of the test set, so a large data set stays quick: skew is a matter of code
# paths, not of volume. A single-record request costs a whole model call (tens of
# milliseconds with many columns), so 50 rows take that path.
BATCH_ROWS = 10_000
SINGLE_ROWS = 50


@pytest.fixture(scope="module")
def model(trained_workspace, served_params):
    return load_model(trained_workspace / served_params.train.model_path)


@pytest.fixture(scope="module")
def rows_with_gaps(trained_workspace, served_params, input_columns, test_features):
    """Rows with missing values in the columns the API lets be missing, as the pipeline
    reads them (through a CSV file, so a gap is NaN as in the training data)."""
    nullable = [column.name for column in input_columns if column.nullable]
    if not nullable:
        not_applicable("the schema lets no input column be missing: there is no gap to serve")
    raw = pd.read_csv(trained_workspace / served_params.data.raw_path)
    raw = raw[served_params.data.features.input_columns]
    blanked = [test_features.head(5).assign(**{name: None}) for name in nullable]
    rows = pd.concat([raw[raw.isna().any(axis=1)].head(BATCH_ROWS), *blanked], ignore_index=True)
    return pd.read_csv(io.StringIO(rows.to_csv(index=False)))


def _served_in_batches(client, rows: pd.DataFrame, batch_size: int) -> list:
    records = frame_to_records(rows)
    served = []
    for start in range(0, len(records), batch_size):
        response = client.post("/predict/batch", json=records[start : start + batch_size])
        assert response.status_code == 200, response.text
        served.extend(response.json()["predictions"])
    return served


def _served_one_by_one(client, rows: pd.DataFrame) -> list:
    served = []
    for record in frame_to_records(rows):
        response = client.post("/predict", json=record)
        assert response.status_code == 200, response.text
        served.append(response.json()["prediction"])
    return served


def test_batch_predictions_equal_the_pipeline_exactly(client, model, test_features, served_params):
    rows = test_features.head(BATCH_ROWS)
    served = _served_in_batches(client, rows, served_params.serving.max_batch_size)
    assert served == model.predict(rows).tolist()


def test_single_record_predictions_equal_the_pipeline_exactly(client, model, test_features):
    rows = test_features.head(SINGLE_ROWS)
    assert _served_one_by_one(client, rows) == model.predict(rows).tolist()


def test_rows_with_missing_values_are_served_like_the_pipeline(
    client, model, rows_with_gaps, served_params
):
    expected = model.predict(rows_with_gaps).tolist()
    batch_size = served_params.serving.max_batch_size
    assert _served_in_batches(client, rows_with_gaps, batch_size) == expected
    sample = rows_with_gaps.head(SINGLE_ROWS)
    assert _served_one_by_one(client, sample) == expected[: len(sample)]
