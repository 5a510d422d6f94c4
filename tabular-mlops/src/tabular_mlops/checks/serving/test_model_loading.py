"""A missing, corrupt or tampered model is never unpickled, and nothing is served.

The service still starts (liveness holds), but ``/ready`` and the prediction endpoints
answer 503 with the reason, and the reason is logged.
"""

from __future__ import annotations

import logging
import shutil

import pytest
from fastapi.testclient import TestClient

from tabular_mlops.modeling.registry import metadata_path
from tabular_mlops.serving.app import create_app

from ..support import copy_configuration


@pytest.fixture
def workspace_copy(trained_workspace, served_params, tmp_path):
    workspace = copy_configuration(tmp_path / "workspace")
    model = served_params.train.model_path
    (workspace / model.parent).mkdir(parents=True, exist_ok=True)
    shutil.copy(trained_workspace / model, workspace / model)
    shutil.copy(metadata_path(trained_workspace / model), metadata_path(workspace / model))
    return workspace, workspace / model


def _tamper(model_file):
    model_file.write_bytes(model_file.read_bytes() + b"tampered")


def _truncate(model_file):
    model_file.write_bytes(model_file.read_bytes()[:100])


def _remove(model_file):
    model_file.unlink()


def _remove_metadata(model_file):
    metadata_path(model_file).unlink()


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (_tamper, "refusing to load"),
        (_truncate, "refusing to load"),
        (_remove, "not found"),
        (_remove_metadata, "no metadata"),
    ],
)
def test_bad_model_keeps_ready_failing_and_serves_nothing(
    workspace_copy, valid_record, caplog, damage, reason
):
    workspace, model_file = workspace_copy
    damage(model_file)
    caplog.set_level(logging.ERROR)
    with TestClient(create_app(workspace / "params.yaml")) as client:
        assert client.get("/health").status_code == 200
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert reason in ready.json()["detail"]
        for path, body in (("/predict", valid_record), ("/predict/batch", [valid_record])):
            response = client.post(path, json=body)
            assert response.status_code == 503, response.text
        assert client.get("/metadata").status_code == 503
        assert "model_ready 0.0" in client.get("/metrics").text
    logged = [record.getMessage() for record in caplog.records]
    assert any("model not loaded" in line and reason in line for line in logged), logged
