"""The API answers valid requests, and refuses bad ones with a 4xx naming the field and rule.

No input may cause a 500: the request models come from the data schema, so a value the
pipeline's validation would refuse is refused at the door (ML Test Score monitor-2 for
serving inputs).
"""

from __future__ import annotations

import json

import pytest
from tabular_mlops.checks.support import UNKNOWN_CATEGORY, check_statistics, out_of_range
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.registry import load_metadata, model_version

pytestmark = pytest.mark.ml_test_score("monitor-2")


def _post(client, path: str, content: str):
    return client.post(path, content=content, headers={"Content-Type": "application/json"})


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json()["ready"] is True


def test_predict_one_record_names_the_model_version(
    client, valid_record, trained_workspace, served_params, data_schema
):
    response = client.post("/predict", json=valid_record)
    assert response.status_code == 200, response.text
    recorded = load_metadata(trained_workspace / served_params.train.model_path)
    assert response.json()["model_version"] == model_version(recorded)
    prediction = response.json()["prediction"]
    if served_params.problem_type == "classification":
        labels = check_statistics(data_schema, served_params.data.target, "isin")
        assert prediction in labels["allowed_values"]
    else:
        assert isinstance(prediction, float)


def test_predict_batch_answers_in_order(client, valid_record):
    response = client.post("/predict/batch", json=[valid_record, valid_record])
    assert response.status_code == 200, response.text
    predictions = response.json()["predictions"]
    assert len(predictions) == 2
    assert predictions[0] == predictions[1]


def test_openapi_describes_the_model_inputs(client, served_params, data_schema):
    document = client.get("/openapi.json").json()
    record = document["components"]["schemas"]["Record"]
    assert list(record["properties"]) == served_params.data.features.input_columns
    assert record["additionalProperties"] is False
    for name, column in data_schema.columns.columns.items():
        if name not in record["properties"]:
            continue
        described = json.dumps(record["properties"][name])
        for check in column.checks:
            if check.name == "isin":
                for category in check.statistics["allowed_values"]:
                    assert json.dumps(category) in described, (name, category)
            if check.name == "in_range":
                assert '"minimum"' in described, name
                assert '"maximum"' in described, name


def _first(columns, *kinds, nullable=None, ranged_in=None):
    """The first input column of one of ``kinds``; skip the case when the data has none."""
    for column in columns:
        if column.kind not in kinds or (nullable is not None and column.nullable != nullable):
            continue
        if ranged_in is None or check_statistics(ranged_in, column.name, "in_range"):
            return column
    not_applicable(f"the model has no {'/'.join(kinds)} input column for this case")


# Each mutation breaks one rule in a valid record and returns (field, expected error type).


def missing_field(record, columns, schema):
    del record[columns[0].name]
    return columns[0].name, "missing"


def text_in_a_number(record, columns, schema):
    column = _first(columns, "float", "int")
    record[column.name] = "forty"
    return column.name, f"{column.kind}_type"


def not_a_number(record, columns, schema):
    column = _first(columns, "float")
    record[column.name] = float("nan")
    return column.name, "finite_number"


def infinity(record, columns, schema):
    column = _first(columns, "float")
    record[column.name] = float("inf")
    return column.name, "finite_number"


def beyond_the_range(record, columns, schema):
    column = _first(columns, "float", "int", ranged_in=schema)
    record[column.name] = out_of_range(schema, column.name)
    return column.name, "less_than_equal"


def unknown_category(record, columns, schema):
    column = _first(columns, "category")
    record[column.name] = UNKNOWN_CATEGORY
    return column.name, "literal_error"


def not_true_or_false(record, columns, schema):
    column = _first(columns, "bool")
    record[column.name] = "maybe"
    return column.name, "bool_type"


def null_where_the_schema_forbids_it(record, columns, schema):
    column = _first(columns, "float", "int", "bool", "category", nullable=False)
    record[column.name] = None
    expected = {"category": "literal_error"}.get(column.kind, f"{column.kind}_type")
    return column.name, expected


def unexpected_field(record, columns, schema):
    record["unexpected_column"] = "blue"
    return "unexpected_column", "extra_forbidden"


@pytest.mark.parametrize(
    "mutate",
    [
        missing_field,
        text_in_a_number,
        not_a_number,
        infinity,
        beyond_the_range,
        unknown_category,
        not_true_or_false,
        null_where_the_schema_forbids_it,
        unexpected_field,
    ],
)
def test_bad_record_gets_422_naming_the_field_and_rule(
    client, valid_record, input_columns, data_schema, mutate
):
    record = dict(valid_record)
    field, expected_type = mutate(record, input_columns, data_schema)
    # json.dumps writes NaN and Infinity literals, which Python's JSON parser accepts.
    for path, body in (("/predict", record), ("/predict/batch", [record])):
        response = _post(client, path, json.dumps(body))
        assert response.status_code == 422, response.text
        problems = response.json()["detail"]
        assert any(
            p["loc"][-1] == field and p["type"] == expected_type and p["msg"] for p in problems
        ), problems


BAD_BODIES = {
    "truncated record": lambda record: json.dumps(record)[:-1],
    "not JSON": lambda _: "not json",
    "unclosed list": lambda _: "[1, 2",
    "a string": lambda _: '"a string"',
    "a number": lambda _: "42",
    "null": lambda _: "null",
    "empty object": lambda _: "{}",
}


@pytest.mark.parametrize("make_body", BAD_BODIES.values(), ids=list(BAD_BODIES))
def test_malformed_json_or_wrong_shape_gets_422(client, valid_record, make_body):
    body = make_body(valid_record)
    for path in ("/predict", "/predict/batch"):
        response = _post(client, path, body)
        assert response.status_code == 422, (path, body, response.text)
        assert response.json()["detail"]


def test_oversized_batch_gets_413_and_empty_batch_422(client, valid_record, served_params):
    limit = served_params.serving.max_batch_size
    response = client.post("/predict/batch", json=[valid_record] * (limit + 1))
    assert response.status_code == 413
    assert str(limit) in response.json()["detail"]
    assert client.post("/predict/batch", json=[valid_record] * limit).status_code == 200
    assert client.post("/predict/batch", json=[]).status_code == 422


def test_metadata_reports_the_model_data_and_code(client, trained_workspace, served_params):
    metadata = client.get("/metadata").json()
    recorded = load_metadata(trained_workspace / served_params.train.model_path)
    assert metadata["model_sha256"] == recorded["sha256"]
    assert metadata["model_version"] == model_version(recorded)
    assert metadata["train_data_sha256"] == recorded["train_data_sha256"]
    assert metadata["metrics"]["validation"] == recorded["validation_metrics"]
    assert metadata["metrics"]["test"]
    for key in ("git_commit", "template_version"):  # known or null, never missing
        assert key in metadata


def test_metrics_count_requests_errors_latency_and_predictions(client, valid_record):
    client.post("/predict", json=valid_record)
    client.post("/predict", json={})
    text = client.get("/metrics").text
    assert 'http_requests_total{method="POST",path="/predict",status="200"}' in text
    assert 'http_request_errors_total{path="/predict",status="422"}' in text
    assert "http_request_duration_seconds_bucket" in text
    assert "model_batch_rows_count" in text
    assert "model_predictions_total" in text or "model_prediction_value_count" in text
    assert "model_ready 1.0" in text
