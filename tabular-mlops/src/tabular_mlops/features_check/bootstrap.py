"""How much a feature's importance owes to the particular validation rows.

Shuffling a feature many times shows how much the importance varies over the shuffles, not
over the rows it was measured on: on a small or noisy validation split, a random column
that happens to line up with a few hard-to-predict labels looks useful on every shuffle.
Resampling the validation rows (a bootstrap) measures that variation too.

Each resample is a row of multinomial weights, so every resample's metric comes from a
few matrix products of those weights with per-row indicators, one pass for all of them:
the same value scikit-learn gives with ``sample_weight`` (``tests`` check it), without a
call per resample.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from tabular_mlops.config import ProblemType

Weights = np.ndarray  # (resamples, rows): how often each row is drawn in each resample
# truth, predicted labels or values, weights -> the metric on each resample
WeightedMetric = Callable[[pd.Series, np.ndarray, Weights], np.ndarray]


def resample_weights(rows: int, resamples: int, seed: int) -> Weights:
    """Bootstrap resamples of ``rows`` rows, as draw counts per row."""
    generator = np.random.default_rng([seed, rows])
    drawn = generator.integers(0, rows, size=(resamples, rows))
    weights = np.zeros((resamples, rows))
    np.add.at(weights, (np.arange(resamples)[:, None], drawn), 1.0)
    return weights


def _divide(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, 0 where the denominator is 0 (scikit-learn's zero_division=0)."""
    result: np.ndarray = np.divide(
        numerator, denominator, out=np.zeros_like(numerator), where=denominator > 0
    )
    return result


def _mean(weights: Weights, values: np.ndarray) -> np.ndarray:
    result: np.ndarray = (weights @ values) / weights.sum(axis=1)
    return result


def _class_counts(
    truth: pd.Series, predicted: np.ndarray, weights: Weights
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per resample and class: true rows, predicted rows, hits; and whether the resample
    holds the class (macro averages run over those classes, as scikit-learn's do)."""
    classes = np.union1d(truth.astype(str), predicted.astype(str))
    actual = (truth.astype(str).to_numpy()[:, None] == classes).astype(float)
    guessed = (predicted.astype(str)[:, None] == classes).astype(float)
    true_count, guessed_count = weights @ actual, weights @ guessed
    return true_count, guessed_count, weights @ (actual * guessed), true_count + guessed_count > 0


def _macro(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    result: np.ndarray = np.where(present, values, 0.0).sum(axis=1) / present.sum(axis=1)
    return result


def _accuracy(truth: pd.Series, predicted: np.ndarray, weights: Weights) -> np.ndarray:
    return _mean(weights, (truth.astype(str).to_numpy() == predicted.astype(str)).astype(float))


def _f1_macro(truth: pd.Series, predicted: np.ndarray, weights: Weights) -> np.ndarray:
    true_count, guessed_count, hits, present = _class_counts(truth, predicted, weights)
    return _macro(_divide(2 * hits, true_count + guessed_count), present)


def _precision_macro(truth: pd.Series, predicted: np.ndarray, weights: Weights) -> np.ndarray:
    _, guessed_count, hits, present = _class_counts(truth, predicted, weights)
    return _macro(_divide(hits, guessed_count), present)


def _recall_macro(truth: pd.Series, predicted: np.ndarray, weights: Weights) -> np.ndarray:
    true_count, _, hits, present = _class_counts(truth, predicted, weights)
    return _macro(_divide(hits, true_count), present)


def _error(truth: pd.Series, predicted: np.ndarray) -> np.ndarray:
    error: np.ndarray = truth.to_numpy(dtype=float) - predicted.astype(float)
    return error


def _mae(truth: pd.Series, predicted: np.ndarray, weights: Weights) -> np.ndarray:
    return _mean(weights, np.abs(_error(truth, predicted)))


def _rmse(truth: pd.Series, predicted: np.ndarray, weights: Weights) -> np.ndarray:
    result: np.ndarray = np.sqrt(_mean(weights, _error(truth, predicted) ** 2))
    return result


def _r2(truth: pd.Series, predicted: np.ndarray, weights: Weights) -> np.ndarray:
    actual = truth.to_numpy(dtype=float)
    spread = _mean(weights, actual**2) - _mean(weights, actual) ** 2
    return 1.0 - _divide(_mean(weights, _error(truth, predicted) ** 2), spread)


# roc_auc ranks probabilities: no product of counts gives it, so it has no entry.
_WEIGHTED: dict[ProblemType, dict[str, WeightedMetric]] = {
    "classification": {
        "accuracy": _accuracy,
        "f1_macro": _f1_macro,
        "precision_macro": _precision_macro,
        "recall_macro": _recall_macro,
    },
    "regression": {"mae": _mae, "rmse": _rmse, "r2": _r2},
}


def weighted_metric(name: str, problem_type: ProblemType) -> WeightedMetric | None:
    """The metric ``name`` under each row of weights, from predicted labels (a
    classification) or values (a regression); None for a metric counts cannot give."""
    return _WEIGHTED[problem_type].get(name)
