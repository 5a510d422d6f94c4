"""Metrics for each problem type, and which direction is better for each."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from tabular_mlops.config import ProblemType

if TYPE_CHECKING:
    import pandas as pd

LOWER_IS_BETTER = frozenset({"mae", "rmse"})


def is_improvement(metric: str, candidate: float, reference: float, margin: float) -> bool:
    """True when ``candidate`` beats ``reference`` by at least ``margin`` on ``metric``."""
    if metric in LOWER_IS_BETTER:
        return candidate <= reference - margin
    return candidate >= reference + margin


def regression_of(metric: str, candidate: float, reference: float) -> float:
    """How much worse ``candidate`` is than ``reference`` (negative when it is better)."""
    return candidate - reference if metric in LOWER_IS_BETTER else reference - candidate


def most_probable(model: Any, probabilities: np.ndarray) -> np.ndarray:
    """The class ``predict`` returns, from probabilities already computed: one pass, not two."""
    predicted: np.ndarray = np.asarray(model.classes_)[probabilities.argmax(axis=1)]
    return predicted


def model_output(problem_type: ProblemType, model: Any, features: pd.DataFrame) -> np.ndarray:
    """What the metrics read: a classifier's class probabilities, a regressor's predictions."""
    if problem_type == "regression":
        return np.asarray(model.predict(features))
    return np.asarray(model.predict_proba(features))


def score(
    problem_type: ProblemType,
    model: Any,
    features: pd.DataFrame,
    target: pd.Series,
    output: np.ndarray | None = None,
) -> dict[str, float]:
    """Compute the problem type's metrics for ``model`` on one data set.

    ``output`` is :func:`model_output` for ``features`` when the caller already has it, so
    a large test set goes through the model once for the metrics and the plots.
    """
    from sklearn import metrics  # here: the gate and the summary import this module too

    if output is None:
        output = model_output(problem_type, model, features)
    if problem_type == "regression":
        predictions = output
        return {
            "mae": float(metrics.mean_absolute_error(target, predictions)),
            "rmse": float(np.sqrt(metrics.mean_squared_error(target, predictions))),
            "r2": float(metrics.r2_score(target, predictions)),
        }
    probabilities = output
    classes = list(model.classes_)
    predictions = most_probable(model, probabilities)
    return {
        "accuracy": float(metrics.accuracy_score(target, predictions)),
        "precision_macro": float(
            metrics.precision_score(target, predictions, average="macro", zero_division=0)
        ),
        "recall_macro": float(
            metrics.recall_score(target, predictions, average="macro", zero_division=0)
        ),
        "f1_macro": float(metrics.f1_score(target, predictions, average="macro", zero_division=0)),
        "roc_auc": _roc_auc(target, probabilities, classes),
    }


def _roc_auc(target: pd.Series, probabilities: np.ndarray, classes: list[Any]) -> float:
    """ROC AUC: binary, or each class against the rest averaged (macro) over the classes the
    rows hold. A window of served rows may lack some of 40 species, and a class without a
    positive row has no AUC (scikit-learn warns and counts it as 0); NaN when no class has
    both positive and negative rows."""
    from sklearn import metrics

    if len(classes) == 2:
        if target.nunique() < 2:
            return float("nan")
        return float(metrics.roc_auc_score(target, probabilities[:, 1]))
    present = set(target)
    if present >= set(classes):
        return float(
            metrics.roc_auc_score(
                target, probabilities, multi_class="ovr", average="macro", labels=classes
            )
        )
    truth = target.to_numpy()
    scores = [
        metrics.roc_auc_score(truth == label, probabilities[:, column])
        for column, label in enumerate(classes)
        if label in present and (truth != label).any()
    ]
    return float(np.mean(scores)) if scores else float("nan")


def rounded(values: dict[str, float], digits: int = 6) -> dict[str, float]:
    """Round metrics so that reruns write byte-identical metric files."""
    return {name: round(value, digits) for name, value in values.items()}
