"""Offline metrics track the served model's quality (ML Test Score model-2).

The online path is the one labelled traffic takes: held-out test rows are posted to the API
(the real FastAPI app, with its prediction log on), their true outcomes are joined to the
logged predictions by the request ids the API answered with, and the monitor's quality check
scores them. The offline path is what the evaluation stage computes (``metrics.score``), on
the very same rows: the canary's seeded sample of at most ``canary.max_rows`` test rows.
Compared on the same rows, the two differ only if serving changes the predictions, never by
sampling, so ``canary.metric_tolerance`` can stay tight without false alarms. A model trained
on shuffled labels must score measurably worse on both paths, and the two must agree for it
as well, so that offline evaluation would have caught it before it was served.
"""

from __future__ import annotations

import contextlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.split import read_split
from tabular_mlops.modeling.metrics import regression_of, rounded, score
from tabular_mlops.modeling.pipeline import build_model
from tabular_mlops.modeling.registry import (
    load_metadata,
    load_model,
    save_model,
)
from tabular_mlops.modeling.train import (
    features_and_target,
    tuned_hyperparameters,
    with_tuned,
)
from tabular_mlops.monitoring.quality import check_quality, load_labels
from tabular_mlops.monitoring.records import read_window
from tabular_mlops.monitoring.reference import (
    REFERENCE_FILE,
    load_reference,
)
from tabular_mlops.serving.app import create_app
from tabular_mlops.serving.frames import frame_to_records

pytestmark = [pytest.mark.ml_test_score("model-2"), pytest.mark.canary]

# The offline figure is rounded to this many decimals in the metrics file.
ROUNDING = 1e-6


def _held_out(workspace: Path, params: Params) -> pd.DataFrame:
    """The test rows the canary sends: all of them, or its seeded sample of a large set."""
    test = read_split(workspace / params.split.output_dir, "test")
    if len(test) > params.canary.max_rows:
        test = test.sample(params.canary.max_rows, random_state=params.seed).sort_index()
    return test


def _offline(workspace: Path, params: Params, model_dir: Path, out: Path) -> Path:
    """The evaluation stage's metrics of ``model_dir``'s model on the rows the API is sent
    (not on the whole test split: a sample's metric differs from the whole's by chance)."""
    features, target = features_and_target(_held_out(workspace, params), params)
    model = load_model(model_dir / params.train.model_path.name)
    path = out / "offline.json"
    metrics = rounded(score(params.problem_type, model, features, target))
    path.write_text(json.dumps({"model": metrics}), encoding="utf-8")
    return path


def _online(workspace: Path, model_dir: Path, out: Path) -> dict[str, Any]:
    """Serve the held-out rows from ``model_dir`` through the API, log them, and let the
    monitor score the logged predictions against the true labels, with the offline metrics
    of the same rows as its yardstick."""
    raw = yaml.safe_load((workspace / "params.yaml").read_text(encoding="utf-8"))
    raw["monitoring"]["log"].update(enabled=True, dir=str(out / "log"), sample_rate=1.0, sink=None)
    raw["monitoring"]["quality"]["min_labels"] = 1  # every held-out row counts
    offline_path = _offline(workspace, load_params(workspace / "params.yaml"), model_dir, out)
    raw["evaluate"]["metrics_path"] = str(offline_path)  # the yardstick of this model
    params_path = out / "params.yaml"
    params_path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    params = load_params(params_path)
    rows = _held_out(workspace, params)
    records = frame_to_records(rows[params.data.features.input_columns])
    request_ids: list[str] = []
    batch_size = params.serving.max_batch_size
    app = create_app(params_path, root=workspace, model_dir=model_dir)
    with TestClient(app) as client:  # leaving it stops the app: the log is then written
        for start in range(0, len(records), batch_size):
            batch = records[start : start + batch_size]
            response = client.post("/predict/batch", json=batch)
            assert response.status_code == 200, response.text
            request_id = response.headers["X-Request-ID"]
            request_ids += [f"{request_id}:{index}" for index in range(len(batch))]
    labels_path = out / "labels.csv"
    labels = pd.DataFrame(
        {"request_id": request_ids, params.data.target: rows[params.data.target].to_numpy()}
    )
    labels.to_csv(labels_path, index=False)
    window = read_window(out / "log", params.data.features.input_columns, last=None)
    assert len(window.frame) == len(rows), "the API logged fewer predictions than it served"
    reference = load_reference(model_dir / REFERENCE_FILE)
    checked = check_quality(
        reference, window, workspace, params, load_labels(workspace, params, labels_path)
    )
    assert checked.details.get("labelled") == len(rows), checked.summary
    return checked.details


def _agree(params: Params, details: dict[str, Any]) -> tuple[float, float]:
    """The offline and online gate metric, after checking they agree within the tolerance."""
    metric = params.gate.metric
    offline, online = details["offline"][metric], details["window"][metric]
    allowed = params.canary.metric_tolerance * abs(offline) + ROUNDING
    assert abs(online - offline) <= allowed, (
        f"{metric}: {online} on the served predictions, {offline} offline; more apart than "
        f"canary.metric_tolerance allows ({allowed:.4g})"
    )
    return offline, online


@pytest.fixture(scope="module")
def degraded_model_dir(
    trained_workspace: Path, served_params: Params, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The project's model folder with a model of the same kind trained on shuffled labels."""
    params = served_params
    model_dir = tmp_path_factory.mktemp("degraded") / "models"
    shutil.copytree(trained_workspace / params.train.model_dir, model_dir)
    with contextlib.chdir(trained_workspace):
        tuned = with_tuned(params, tuned_hyperparameters(params))
        features, target = features_and_target(read_split(params.split.output_dir, "train"), params)
    shuffled = pd.Series(np.random.default_rng(params.seed).permutation(target.to_numpy()))
    model = build_model(tuned).fit(features, shuffled)
    metadata = load_metadata(trained_workspace / params.train.model_path)
    save_model(model, model_dir / params.train.model_path.name, metadata | {"note": "shuffled"})
    return model_dir


@pytest.fixture(scope="module")
def trained_model_online(trained_workspace, served_params, tmp_path_factory) -> dict[str, Any]:
    """The trained model's figures on both paths (the monitor's quality details)."""
    return _online(
        trained_workspace,
        trained_workspace / served_params.train.model_dir,
        tmp_path_factory.mktemp("online"),
    )


def test_served_predictions_score_as_the_offline_evaluation(served_params, trained_model_online):
    _agree(served_params, trained_model_online)


def test_a_degraded_model_scores_worse_on_both_paths_and_they_still_agree(
    trained_workspace, served_params, degraded_model_dir, trained_model_online, tmp_path
):
    params = served_params
    metric = params.gate.metric
    degraded = _online(trained_workspace, degraded_model_dir, tmp_path)
    bad_offline, bad_online = _agree(params, degraded)
    good_offline, good_online = _agree(params, trained_model_online)
    # measurably worse: out of the trained model's tolerance band, on each path
    for path, bad, good in (
        ("offline", bad_offline, good_offline),
        ("online", bad_online, good_online),
    ):
        band = 2 * (params.canary.metric_tolerance * abs(good) + ROUNDING)
        assert regression_of(metric, bad, good) > band, (
            f"{path}: the model trained on shuffled labels scores {metric}={bad}, the trained "
            f"model {good}: not measurably worse"
        )
