"""Final evaluation on the held-out test split: metrics and plot data for DVC.

Plots are written as CSV so that ``dvc plots show`` and ``dvc plots diff`` can render and
compare them across commits. Both problem types write the same two files, ``predictions.csv``
and ``curve.csv`` (a ROC curve for a classifier, residuals for a regressor), so ``dvc.yaml``
does not change with the problem type; ``evaluate.plots`` in ``params.yaml`` says how to draw them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import roc_curve
from sklearn.preprocessing import label_binarize

from tabular_mlops.atomic import write_csv, write_json
from tabular_mlops.config import Params
from tabular_mlops.modeling.metrics import model_output, most_probable, rounded, score
from tabular_mlops.modeling.registry import load_model
from tabular_mlops.modeling.slices import write_group_reports

from ..data.split import read_split
from .train import features_and_target

PREDICTIONS_FILE = "predictions.csv"
CURVE_FILE = "curve.csv"


def _classification_plots(
    model: Any, probabilities: np.ndarray, target: pd.Series, out: Path
) -> None:
    predicted = most_probable(model, probabilities)
    write_csv(out / PREDICTIONS_FILE, pd.DataFrame({"actual": target, "predicted": predicted}))
    classes = list(model.classes_)
    if len(classes) == 2:
        truth, scores = (np.asarray(target) == classes[1]).astype(int), probabilities[:, 1]
    else:  # micro-averaged one-vs-rest curve for several classes
        truth = label_binarize(target, classes=classes).ravel()
        scores = probabilities.ravel()
    fpr, tpr, _ = roc_curve(truth, scores)
    write_csv(out / CURVE_FILE, pd.DataFrame({"fpr": fpr.round(6), "tpr": tpr.round(6)}))


def _regression_plots(model: Any, predictions: np.ndarray, target: pd.Series, out: Path) -> None:
    predicted = np.round(predictions, 4)
    actual = np.asarray(target, dtype=float)
    residual = np.round(actual - predicted, 4)
    write_csv(
        out / PREDICTIONS_FILE,
        pd.DataFrame({"actual": actual, "predicted": predicted, "residual": residual}),
    )
    write_csv(out / CURVE_FILE, pd.DataFrame({"predicted": predicted, "residual": residual}))


def evaluate(params: Params) -> dict[str, Any]:
    """Score the model and the baseline on the test split; write metrics and plot data."""
    test_frame = read_split(params.split.output_dir, "test")
    features, target = features_and_target(test_frame, params)
    model = load_model(params.train.model_path)
    baseline = load_model(params.train.baseline_path)
    output = model_output(params.problem_type, model, features)  # for the metrics and the plots
    results = {
        "model": rounded(score(params.problem_type, model, features, target, output)),
        "baseline": rounded(score(params.problem_type, baseline, features, target)),
        "test_rows": len(test_frame),
    }
    write_json(params.evaluate.metrics_path, results)
    plots = _classification_plots if params.problem_type == "classification" else _regression_plots
    plots(model, output, target, params.evaluate.plots_dir)
    predicted = output if params.problem_type == "regression" else most_probable(model, output)
    write_group_reports(test_frame, target, predicted, params)  # per slice, per group
    return results
