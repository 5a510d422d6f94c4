"""Each training run is recorded where `dvc exp show` and `dvc plots diff` read it, and in
MLflow too when ``params.yaml`` has an ``mlflow`` section (the project was made with MLflow)."""

from __future__ import annotations

import json
import subprocess

import pandas as pd
import pytest
import yaml

from tabular_mlops.modeling.tracking import (
    PREDICTIONS_PLOT,
    record_run,
    run_params,
)

from ..support import PROJECT_ROOT

VALIDATION = {"model": {"score": 0.9}, "baseline": {"score": 0.5}}
HYPERPARAMETERS = {"max_depth": 3}


@pytest.fixture
def recorded(params, tmp_path, monkeypatch):
    """Params whose DVCLive folder is in ``tmp_path``, after one recorded run."""
    monkeypatch.chdir(tmp_path)  # outside the project: DVCLive finds no DVC repository
    folders = {"live_dir": tmp_path / "live", "model_dir": tmp_path / "models"}
    local = params.model_copy(update={"train": params.train.model_copy(update=folders)})
    if local.mlflow is not None:
        local.train.model_dir.mkdir()
        local.train.model_path.write_bytes(b"model")  # MLflow records its SHA-256
    predictions = pd.DataFrame({"actual": ["a", "b"], "predicted": ["a", "a"]})
    record_run(local, HYPERPARAMETERS, VALIDATION, predictions)
    return local


def test_a_run_is_recorded_in_a_git_repository_with_no_commit_yet(params, tmp_path, monkeypatch):
    # a project just generated: `make all` trains before the first commit
    subprocess.run(["git", "init", "--quiet"], cwd=tmp_path, check=True)  # noqa: S607
    monkeypatch.chdir(tmp_path)
    train = params.train.model_copy(update={"live_dir": tmp_path / "live"})
    local = params.model_copy(update={"train": train})
    if local.mlflow is not None:
        local.train.model_dir.mkdir()
        local.train.model_path.write_bytes(b"model")  # MLflow records its SHA-256
    record_run(local, HYPERPARAMETERS, VALIDATION, pd.DataFrame({"actual": [1], "predicted": [1]}))
    assert json.loads(local.train.metrics_path.read_text()) == VALIDATION
    assert not (tmp_path / ".dvc").exists()  # DVCLive did not run `dvc init`


def test_dvc_yaml_declares_the_files_dvclive_writes(params):
    dvc_yaml = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    train = dvc_yaml["stages"]["train"]
    assert dvc_yaml["params"] == [str(params.train.live_dir / "params.yaml")]
    assert "${train.live_dir}/metrics.json" in train["metrics"][0]
    plot = "${train.live_dir}/plots/custom/" + PREDICTIONS_PLOT + ".json"
    assert plot in train["plots"][0]


def test_a_run_writes_its_metrics_params_and_plot_and_no_dvc_yaml(recorded, params, tmp_path):
    live_dir = recorded.train.live_dir
    assert json.loads(recorded.train.metrics_path.read_text()) == VALIDATION
    logged = yaml.safe_load((live_dir / "params.yaml").read_text())
    assert logged == run_params(params, HYPERPARAMETERS)
    plot = json.loads((live_dir / "plots" / "custom" / f"{PREDICTIONS_PLOT}.json").read_text())
    assert plot == [
        {"actual": "a", "predicted": "a"},
        {"actual": "b", "predicted": "a"},
    ]
    assert not list(tmp_path.rglob("dvc.yaml"))  # dvc.yaml declares these files, not DVCLive


def test_a_run_is_logged_to_mlflow_with_the_same_params_and_metrics(recorded, params):
    if params.mlflow is None:
        # A project made without MLflow logs nowhere else: there is nothing to compare, and
        # the skip says so (the DVCLive checks above still run).
        pytest.skip("params.yaml has no mlflow section: runs are recorded by DVCLive only")
    from mlflow.tracking import MlflowClient

    from tabular_mlops.modeling.mlflow_run import flatten

    client = MlflowClient()  # the tests' store (conftest sets MLFLOW_TRACKING_URI)
    experiment = client.get_experiment_by_name(params.mlflow.experiment)
    assert experiment is not None  # the recorded run created it
    runs = client.search_runs([experiment.experiment_id], order_by=["start_time DESC"])
    run = runs[0]
    logged = flatten(run_params(params, HYPERPARAMETERS))
    assert run.data.params == {key: str(value) for key, value in logged.items()}  # text in MLflow
    assert run.data.metrics == flatten(VALIDATION)
    assert run.data.tags["model_sha256"]
