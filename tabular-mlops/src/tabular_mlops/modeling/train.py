"""Train the candidate model and the baseline on the training split.

Metrics on the validation split are written for model selection; the test split is not
read here, so it stays untouched until the final evaluation.
"""

from __future__ import annotations

import json
import platform
from typing import Any

import numpy as np
import pandas as pd
import sklearn

from tabular_mlops.atomic import file_sha256
from tabular_mlops.config import Params
from tabular_mlops.modeling.metrics import model_output, most_probable, rounded, score
from tabular_mlops.modeling.pipeline import build_baseline, build_model
from tabular_mlops.modeling.registry import save_model
from tabular_mlops.monitoring.reference import build_reference, write_reference

from ..data.split import read_split
from ..environment import runtime_environment
from ..errors import ProjectError
from .tracking import record_run


def features_and_target(frame: pd.DataFrame, params: Params) -> tuple[pd.DataFrame, pd.Series]:
    """Select the model's input columns (in the configured order) and the label.

    A classifier's labels are text, whatever their type in the file, so that the classes
    the model predicts are exactly the categories recorded in the schema and served by the API.
    """
    target = frame[params.data.target]
    if params.problem_type == "classification":
        target = target.astype(str)
    return frame[params.data.features.input_columns], target


class TunedFileError(ProjectError, ValueError):
    """The tune stage's output is missing or was made for another estimator."""


def tuned_hyperparameters(params: Params) -> dict[str, Any]:
    """The values the tune stage chose (none when it is disabled)."""
    path = params.tune.output_path
    try:
        tuned = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise TunedFileError(f"{path} not found: run the 'tune' stage first") from error
    if tuned.get("estimator") != params.train.estimator:
        raise TunedFileError(
            f"{path} was tuned for '{tuned.get('estimator')}', not train.estimator "
            f"'{params.train.estimator}': run the 'tune' stage again"
        )
    return dict(tuned.get("hyperparameters", {}))


def with_tuned(params: Params, tuned: dict[str, Any]) -> Params:
    """``params`` with ``tuned`` over the estimator's hyperparameters (tuned values win)."""
    estimator = params.train.estimator
    merged = {**params.train.hyperparameters.get(estimator, {}), **tuned}
    hyperparameters = {**params.train.hyperparameters, estimator: merged}
    train_params = params.train.model_copy(update={"hyperparameters": hyperparameters})
    return params.model_copy(update={"train": train_params})


def train(params: Params) -> dict[str, Any]:
    """Fit, save and score the model and the baseline; return the validation metrics."""
    params = with_tuned(params, tuned_hyperparameters(params))
    train_frame = read_split(params.split.output_dir, "train")
    val_frame = read_split(params.split.output_dir, "val")
    features, target = features_and_target(train_frame, params)
    val_features, val_target = features_and_target(val_frame, params)

    model = build_model(params).fit(features, target)
    baseline = build_baseline(params.problem_type).fit(features, target)

    output = model_output(params.problem_type, model, val_features)  # metrics and plot
    validation = {
        "model": rounded(score(params.problem_type, model, val_features, val_target, output)),
        "baseline": rounded(score(params.problem_type, baseline, val_features, val_target)),
    }
    hyperparameters = params.train.hyperparameters.get(params.train.estimator, {})
    metadata = {
        "problem_type": params.problem_type,
        "estimator": params.train.estimator,
        "hyperparameters": hyperparameters,
        "features": params.data.features.model_dump(),
        "target": params.data.target,
        "seed": params.seed,
        "train_data_sha256": file_sha256(params.split.output_dir / "train.csv"),
        "train_rows": len(train_frame),
        "validation_metrics": validation["model"],
        "python": platform.python_version(),
        "scikit_learn": sklearn.__version__,
        # what the monitor compares the serving environment with (dependency drift, monitor-1)
        "environment": runtime_environment(),
    }
    digest = save_model(model, params.train.model_path, metadata)
    save_model(baseline, params.train.baseline_path, {**metadata, "estimator": "baseline"})
    record_run(params, hyperparameters, validation, _predictions(params, model, output, val_target))
    # Beside the model, what the monitor compares served traffic with (monitoring/reference.py)
    predicted = most_probable(model, output) if params.problem_type == "classification" else output
    classes = list(getattr(model, "classes_", []))
    write_reference(params, build_reference(params, train_frame, predicted, classes, digest))
    return validation


def _predictions(params: Params, model: Any, output: np.ndarray, target: pd.Series) -> pd.DataFrame:
    """The validation rows' actual and predicted values, for the run's predictions plot."""
    if params.problem_type == "classification":
        predicted = most_probable(model, output)
        return pd.DataFrame({"actual": target.to_numpy(), "predicted": predicted})
    predicted = output.round(4)
    actual = target.to_numpy(dtype=float)
    residual = (actual - predicted).round(4)
    return pd.DataFrame({"actual": actual, "predicted": predicted, "residual": residual})
