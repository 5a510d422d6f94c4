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

from ..config import ProblemType

Weights = np.ndarray  # (resamples, rows): how often each row is drawn in each resample
WeightedMetric = Callable[[Weights], np.ndarray]  # one value per resample


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


def _class_metric(name: str, truth: pd.Series, predicted: np.ndarray) -> WeightedMetric | None:
    classes = np.union1d(truth.astype(str), predicted.astype(str))
    actual = (truth.astype(str).to_numpy()[:, None] == classes).astype(float)
    guessed = (predicted.astype(str)[:, None] == classes).astype(float)
    hits = actual * guessed

    def per_class(weights: Weights) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        true_count, guessed_count, hit_count = weights @ actual, weights @ guessed, weights @ hits
        # Macro averages run over the classes a resample holds, as scikit-learn's do.
        present = (true_count + guessed_count) > 0
        return true_count, guessed_count, hit_count, present

    def macro(values: np.ndarray, present: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.where(present, values, 0.0).sum(axis=1) / present.sum(axis=1)
        return result

    if name == "accuracy":
        return lambda weights: (weights @ hits.sum(axis=1)) / weights.sum(axis=1)
    if name == "f1_macro":

        def f1(weights: Weights) -> np.ndarray:
            true_count, guessed_count, hit_count, present = per_class(weights)
            return macro(_divide(2 * hit_count, true_count + guessed_count), present)

        return f1
    if name in {"precision_macro", "recall_macro"}:

        def precision_or_recall(weights: Weights) -> np.ndarray:
            true_count, guessed_count, hit_count, present = per_class(weights)
            base = guessed_count if name == "precision_macro" else true_count
            return macro(_divide(hit_count, base), present)

        return precision_or_recall
    return None  # roc_auc ranks probabilities: no product of counts gives it


def _value_metric(name: str, truth: pd.Series, predicted: np.ndarray) -> WeightedMetric | None:
    actual = truth.to_numpy(dtype=float)
    error = actual - predicted.astype(float)

    def mean(weights: Weights, values: np.ndarray) -> np.ndarray:
        result: np.ndarray = (weights @ values) / weights.sum(axis=1)
        return result

    if name == "mae":
        return lambda weights: mean(weights, np.abs(error))
    if name == "rmse":
        return lambda weights: np.sqrt(mean(weights, error**2))
    if name == "r2":

        def r2(weights: Weights) -> np.ndarray:
            spread = mean(weights, actual**2) - mean(weights, actual) ** 2
            return 1.0 - _divide(mean(weights, error**2), spread)

        return r2
    return None


def weighted_metric(
    name: str, problem_type: ProblemType, truth: pd.Series, predicted: np.ndarray
) -> WeightedMetric | None:
    """The metric ``name`` of ``predicted`` against ``truth`` under each row of weights.

    ``predicted`` holds labels for a classification, values for a regression. None for a
    metric that counts cannot give (roc_auc).
    """
    if problem_type == "classification":
        return _class_metric(name, truth, predicted)
    return _value_metric(name, truth, predicted)
