"""The prediction log and the monitoring metrics of the API.

The API records served predictions as JSON lines for the monitor (serving/recording.py):
the fields of the contract with their types, one line per record of a batch, the client's
X-Request-ID (or a new one when it is missing or invalid), only the model's input columns,
rotation of the file, sampling, and a broken sink or a full queue that cost records, never
a request. Its metrics export what the alert rules of deploy/alerts.yml need: missing
inputs per feature, the model's training time, the log's lost records.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import numpy as np
import orjson
import pandas as pd
import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from tabular_mlops.config import PredictionLogParams
from tabular_mlops.data.split import read_split
from tabular_mlops.environment import runtime_environment
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.pipeline import build_model
from tabular_mlops.modeling.registry import save_model
from tabular_mlops.monitoring.drift import category
from tabular_mlops.serving.app import create_app
from tabular_mlops.serving.frames import frame_to_records
from tabular_mlops.serving.loading import ModelHolder
from tabular_mlops.serving.metadata import trained_at
from tabular_mlops.serving.metrics import ServingMetrics
from tabular_mlops.serving.recording import (
    PredictionRecorder,
    Served,
    ServedPrediction,
)
from tabular_mlops.serving.service import Service
from tabular_mlops.serving.sinks import ENVIRONMENT_FILE, RECORDS_FILE

MAX_BYTES = 2048  # small, so that a few requests rotate the file
BACKUP_COUNT = 2
GENERATED_ID = re.compile(r"[0-9a-f]{32}")


class FailingSink:
    """A sink whose every write fails, as a full disk or an unreachable store would."""

    def start(self, environment: dict[str, Any]) -> None:
        pass

    def write(self, lines: bytes) -> None:
        raise OSError("no space left on device")

    def close(self) -> None:
        pass


def failing_sink(params: PredictionLogParams, root: Path) -> FailingSink:
    """The factory that monitoring.log.sink names in the failing app."""
    return FailingSink()


def _app(trained_workspace: Path, folder: Path, **log: Any) -> TestClient:
    """The API over the trained model, recording to ``folder`` with ``log`` settings."""
    raw = yaml.safe_load((trained_workspace / "params.yaml").read_text(encoding="utf-8"))
    raw["monitoring"]["log"].update({"dir": str(folder / "logs"), **log})
    params_path = folder / "params.yaml"
    params_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return TestClient(create_app(params_path, root=trained_workspace))


@pytest.fixture(scope="module")
def recording(
    trained_workspace: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("recording")
    with _app(
        trained_workspace, folder, max_bytes=MAX_BYTES, backup_count=BACKUP_COUNT, sample_rate=1.0
    ) as client:
        yield client


def _service(client: TestClient) -> Service:
    """The API's service. Starlette types ``client.app`` as any ASGI app; create_app's is
    FastAPI, whose ``state`` holds the service."""
    service: Service = cast(FastAPI, client.app).state.service
    return service


def _log_dir(client: TestClient) -> Path:
    service = _service(client)
    return Path(service.root / service.params.monitoring.log.dir)


def _files(client: TestClient) -> list[Path]:
    """The log's files, oldest first: predictions.jsonl.3, .2, .1, then predictions.jsonl."""

    def rotations(path: Path) -> int:
        return int(path.name.removeprefix(RECORDS_FILE).lstrip(".") or 0)

    return sorted(_log_dir(client).glob(f"{RECORDS_FILE}*"), key=rotations, reverse=True)


def _recorded(client: TestClient) -> list[dict[str, Any]]:
    """Every line written so far, oldest first, once the queue is written out."""
    assert _service(client).recorder.flush(timeout_s=10)
    lines = [line for path in _files(client) for line in path.read_bytes().splitlines()]
    return [orjson.loads(line) for line in lines]


def _by_id(client: TestClient, request_id: str) -> list[dict[str, Any]]:
    return [line for line in _recorded(client) if line["request_id"].split(":")[0] == request_id]


def _metric(client: TestClient, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(client.get("/metrics").text):
        for sample in family.samples:
            if sample.name == name and labels.items() <= sample.labels.items():
                return float(sample.value)
    raise AssertionError(f"/metrics has no {name}{labels}")


def _as_recorded(client: TestClient, record: dict[str, Any]) -> dict[str, Any]:
    """``record`` as the log holds it: a category's level as its text (a client may send the
    number 4 for the level "4"), as the schema and the monitor spell it."""
    columns = _service(client).api.columns
    return {
        column.name: category(value) if column.kind == "category" else value
        for column in columns
        for value in [record[column.name]]
    }


def test_a_prediction_is_recorded_with_the_contract_fields(recording, valid_record, served_params):
    response = recording.post("/predict", json=valid_record, headers={"X-Request-ID": "order-17"})
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "order-17"
    [line] = _by_id(recording, "order-17")
    assert set(line) == {
        "timestamp", "request_id", "model_version", "latency_ms", "endpoint", "inputs",
        "prediction", "probabilities",
    }  # fmt: skip
    assert datetime.fromisoformat(line["timestamp"]).utcoffset() is not None
    assert line["request_id"] == "order-17"
    assert line["model_version"] == response.json()["model_version"]
    assert isinstance(line["latency_ms"], float)
    assert line["latency_ms"] > 0
    assert line["endpoint"] == "/predict"
    # only the model's input columns, with the values sent
    assert line["inputs"] == _as_recorded(recording, valid_record)
    assert list(line["inputs"]) == served_params.data.features.input_columns
    assert line["prediction"] == response.json()["prediction"]
    if served_params.problem_type == "classification":
        probabilities = line["probabilities"]
        assert list(probabilities) == recording.app.state.service.holder.classes
        assert math.isclose(sum(probabilities.values()), 1.0, rel_tol=1e-9)
        assert max(probabilities, key=probabilities.get) == line["prediction"]
    else:
        assert line["probabilities"] is None


def test_a_batch_gives_one_line_per_record_with_indexed_ids(recording, test_features):
    records = frame_to_records(test_features.head(3))
    response = recording.post("/predict/batch", json=records, headers={"X-Request-ID": "b-7"})
    assert response.status_code == 200, response.text
    lines = _by_id(recording, "b-7")
    assert [line["request_id"] for line in lines] == ["b-7:0", "b-7:1", "b-7:2"]
    assert [line["inputs"] for line in lines] == [_as_recorded(recording, r) for r in records]
    assert [line["prediction"] for line in lines] == response.json()["predictions"]
    assert {line["endpoint"] for line in lines} == {"/predict/batch"}


@pytest.mark.parametrize("sent", [None, "", "has space", "x" * 129, "semi;colon"])
def test_a_missing_or_invalid_request_id_is_replaced_not_refused(recording, valid_record, sent):
    headers = {} if sent is None else {"X-Request-ID": sent}
    response = recording.post("/predict", json=valid_record, headers=headers)
    assert response.status_code == 200, response.text
    given = response.headers["x-request-id"]
    assert GENERATED_ID.fullmatch(given), given
    assert len(_by_id(recording, given)) == 1


def test_refused_requests_carry_an_id_and_are_not_recorded(recording):
    before = len(_recorded(recording))
    response = recording.post("/predict", json={"not a column": 1}, headers={"X-Request-ID": "r1"})
    assert response.status_code == 422
    assert response.headers["x-request-id"] == "r1"
    assert recording.get("/health").headers["x-request-id"]
    assert len(_recorded(recording)) == before


def test_sample_rate_zero_records_nothing(recording, valid_record, monkeypatch):
    monkeypatch.setattr(recording.app.state.service.recorder, "sample_rate", 0.0)
    before = len(_recorded(recording))
    assert recording.post("/predict", json=valid_record).status_code == 200
    assert recording.post("/predict/batch", json=[valid_record] * 3).status_code == 200
    assert len(_recorded(recording)) == before


def test_the_file_rotates_and_keeps_backup_count_files(recording, valid_record):
    line_size = len(orjson.dumps(_recorded(recording)[-1])) + 1
    lines_per_file = max(1, MAX_BYTES // line_size)
    for _ in range((BACKUP_COUNT + 1) * lines_per_file + 1):
        assert recording.post("/predict", json=valid_record).status_code == 200
        _recorded(recording)  # one write per request, so each file stays under MAX_BYTES
    files = _files(recording)
    expected = [f"{RECORDS_FILE}.{n}" for n in range(BACKUP_COUNT, 0, -1)] + [RECORDS_FILE]
    assert [path.name for path in files] == expected
    for path in files:
        lines = path.read_bytes().splitlines()
        assert path.stat().st_size <= MAX_BYTES or len(lines) == 1
        assert all(orjson.loads(line)["request_id"] for line in lines)


@pytest.mark.ml_test_score("monitor-1")
def test_the_serving_environment_is_written_beside_the_log(recording, valid_record):
    # The writer thread writes it when it starts, before any record: one prediction written
    # proves it is there, whichever test ran first (or alone, under -m ml_test_score).
    assert recording.post("/predict", json=valid_record).status_code == 200
    assert recording.app.state.service.recorder.flush(timeout_s=10)
    written = orjson.loads((_log_dir(recording) / ENVIRONMENT_FILE).read_bytes())
    assert written == runtime_environment()
    assert {"scikit-learn", "numpy", "pandas"} <= set(written["packages"])


def test_a_failing_sink_costs_records_and_counts_them_never_a_request(
    trained_workspace, tmp_path, valid_record
):
    sink = f"{__name__}:{failing_sink.__name__}"
    with _app(trained_workspace, tmp_path, sink=sink) as client:
        for _ in range(3):
            assert client.post("/predict", json=valid_record).status_code == 200
        assert client.post("/predict/batch", json=[valid_record] * 2).status_code == 200
        assert _service(client).recorder.flush(timeout_s=10)
        assert _metric(client, "prediction_log_records_total", outcome="failed") == 5
        assert _metric(client, "prediction_log_records_total", outcome="written") == 0


def test_a_full_queue_drops_records_and_counts_them(recording, valid_record):
    api = recording.app.state.service.api
    metrics = ServingMetrics(labels=None, target_range=None)
    params = PredictionLogParams(queue_size=2)
    recorder = PredictionRecorder(params, FailingSink(), api.columns, metrics)  # not started
    record = api.record.model_validate(valid_record)
    one = Served("/predict", "v", None, [ServedPrediction(None, record, 1, None)])
    for _ in range(3):
        recorder.record(one, "id", 0.001)  # never blocks, never raises
    counted = metrics.registry.get_sample_value
    assert counted("prediction_log_records_total", {"outcome": "dropped"}) == 1


@pytest.mark.ml_test_score("monitor-2")
def test_missing_inputs_are_counted_per_feature(recording, input_columns, test_features):
    nullable = [column.name for column in input_columns if column.nullable]
    if not nullable:  # the API refuses a missing value outright: nothing to count
        not_applicable("the schema lets no input column be missing")
    feature = nullable[0]
    records = frame_to_records(test_features.head(4).assign(**{feature: None}))
    before = _metric(recording, "model_input_missing_total", feature=feature)
    others = {
        column.name: _metric(recording, "model_input_missing_total", feature=column.name)
        for column in input_columns
        if column.name != feature
    }
    assert recording.post("/predict/batch", json=records).status_code == 200
    assert _metric(recording, "model_input_missing_total", feature=feature) == before + 4
    for name, count in others.items():
        complete = test_features.head(4)[name].notna().all()
        if complete:
            assert _metric(recording, "model_input_missing_total", feature=name) == count


@pytest.mark.ml_test_score("monitor-4")
def test_the_model_training_time_is_exported(recording, trained_workspace, served_params):
    model_file = trained_workspace / served_params.train.model_path
    exported = _metric(recording, "model_trained_timestamp_seconds")
    assert exported == pytest.approx(model_file.stat().st_mtime)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1700000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, 0, tzinfo=UTC)),
        ("yesterday", None),  # unreadable: the file's time
        ("2024-05-01T12:00:00", None),  # no offset: the file's time
    ],
)
def test_model_trained_at_comes_from_the_environment_or_the_file(
    value, expected, tmp_path, monkeypatch
):
    model_file = tmp_path / "model.pkl"
    model_file.write_bytes(b"")
    monkeypatch.setenv("MODEL_TRAINED_AT", value)
    from_file = datetime.fromtimestamp(model_file.stat().st_mtime, UTC)
    assert trained_at(model_file) == (expected or from_file)


@pytest.mark.ml_test_score("monitor-3")
@pytest.mark.parametrize("estimator", ["hist_gradient_boosting", "random_forest", "linear"])
def test_recording_probabilities_leaves_each_classifier_s_predictions_unchanged(
    estimator, trained_workspace, served_params, tmp_path, monkeypatch
):
    """The server takes a classifier's predictions from its probabilities when it records
    them (one pass over the model instead of two): each shipped classifier must predict
    exactly what its predict() does, ties included."""
    if served_params.problem_type != "classification":  # regressors take the predict() path
        not_applicable("a regressor has no probabilities")
    small = {"hist_gradient_boosting": {"max_iter": 20}, "random_forest": {"n_estimators": 20}}
    train = served_params.train.model_copy(
        update={"estimator": estimator, "hyperparameters": {estimator: small.get(estimator, {})}}
    )
    params = served_params.model_copy(update={"train": train})
    columns = params.data.features.input_columns
    split = trained_workspace / params.split.output_dir
    fit_rows = read_split(split, "train").head(2000)
    model = build_model(params).fit(fit_rows[columns], fit_rows[params.data.target])
    save_model(model, tmp_path / "model.pkl", {"estimator": estimator})
    rows = pd.concat([read_split(split, "test"), fit_rows]).head(2000)[columns]
    holder = ModelHolder(tmp_path / "model.pkl")
    assert holder.load(rows.head(1)), holder.error
    predictions, probabilities = holder.predict(rows, range(len(rows)))
    expected = model.predict(rows).tolist()
    assert predictions == expected
    assert probabilities == model.predict_proba(rows).tolist()

    # Every row tied at the top: the first class wins an argmax, so predict() must decide.
    # (A random forest's predict() is the argmax of its predict_proba(), ties included.)
    def tied(features: Any) -> np.ndarray:
        classes = len(holder.classes or [])
        return np.full((len(features), classes), 1 / classes)

    monkeypatch.setattr(holder.model[-1], "predict_proba", tied)
    assert holder.predict(rows, range(len(rows)))[0] == holder.model.predict(rows).tolist()
