"""Log a training run to MLflow too: the params, the validation metrics, what was trained.

The run goes to the tracking server that ``MLFLOW_TRACKING_URI`` names when it is set (a
team's shared server), else to the SQLite store at ``mlflow.store`` in ``params.yaml``
(gitignored; ``make mlflow-ui`` browses it). The model file is not uploaded: DVC already
versions it, and a copy per run would grow the store by a model each time. The run records
the model's SHA-256 and the DVC experiment instead, which name the exact DVC version.

Only :func:`record_run` imports this module, so the CLI and the server never load MLflow.
"""

from __future__ import annotations

import os
from typing import Any

import mlflow

from tabular_mlops.atomic import file_sha256
from tabular_mlops.config import MlflowParams, Params

TRACKING_URI_VARIABLE = "MLFLOW_TRACKING_URI"


def tracking_uri(settings: MlflowParams) -> str:
    """The server in ``MLFLOW_TRACKING_URI``, else the project's local SQLite store."""
    return os.environ.get(TRACKING_URI_VARIABLE) or f"sqlite:///{settings.store.resolve()}"


def flatten(values: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested keys joined with dots, as ``dvc exp show`` names its columns."""
    flat: dict[str, Any] = {}
    for key, value in values.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def log_run(params: Params, run_params: dict[str, Any], metrics: dict[str, Any]) -> str:
    """Log one run; return its MLflow run id."""
    if params.mlflow is None:
        raise ValueError(
            "params.yaml has no 'mlflow' section: add it back (store: mlflow.db, "
            "experiment: a name), as the template wrote it"
        )
    mlflow.set_tracking_uri(tracking_uri(params.mlflow))
    mlflow.set_experiment(params.mlflow.experiment)
    tags = {
        "model_sha256": file_sha256(params.train.model_path),
        # set by `dvc exp run`; empty under `dvc repro`
        "dvc_experiment": os.environ.get("DVC_EXP_NAME", ""),
        "dvc_baseline_rev": os.environ.get("DVC_EXP_BASELINE_REV", ""),
    }
    with mlflow.start_run(tags=tags) as run:
        mlflow.log_params(flatten(run_params))
        mlflow.log_metrics(flatten(metrics))
        run_id: str = run.info.run_id
    return run_id
