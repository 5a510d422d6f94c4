"""Does every feature earn its place? (ML Test Score data-2)

Each feature's values are shuffled across the validation rows, ``n_repeats`` times with
the project's seed, and the gate metric of the trained model is measured again: the mean
loss is the feature's permutation importance. Derived features are shuffled after they
are computed, so a derived feature and the raw columns it reads are judged apart.

A feature whose importance, less two standard errors, is below ``tolerance`` times the
model's lead over the baseline is *not beneficial*. The standard error counts both what
varies over the shuffles and what varies over the validation rows (``bootstrap.py``): on
a small or noisy split, a column that lines up with a few labels by chance must not pass.
Not being beneficial alone is not a fault: a feature whose information another one also
carries scores about zero too.
It is *pure noise* when, in addition, the training and validation rows show no relation
between it and the target (``association.py``): such a feature costs upkeep and invites
overfitting for nothing, and the check fails.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from sklearn import metrics
from sklearn.pipeline import Pipeline

from tabular_mlops.config import Params
from tabular_mlops.features.derived import add_derived_features
from tabular_mlops.features_check.association import ColumnKind, associations
from tabular_mlops.features_check.bootstrap import resample_weights, weighted_metric
from tabular_mlops.modeling.metrics import LOWER_IS_BETTER, model_output, most_probable, score
from tabular_mlops.sampling import at_most

from ..modeling.train import features_and_target

Verdict = Literal["beneficial", "redundant", "noise"]


def _after_derivation(model: Any) -> Pipeline:
    """The fitted model without its first step: it reads rows whose derived features are
    already columns, so that one of them can be shuffled on its own."""
    features = model.named_steps["features"]
    return Pipeline(
        [
            ("columns", features.named_steps["columns"]),
            ("estimator", model.named_steps["estimator"]),
        ]
    )


@dataclass(frozen=True)
class FeatureImportance:
    """One feature: what shuffling it costs the model, and whether it relates to the target."""

    feature: str
    kind: ColumnKind
    importance: float  # mean loss of the gate metric when shuffled; > 0: the model uses it
    importance_std: float  # over the shuffles
    importance_error: float  # standard error over the shuffles and the validation rows
    share_of_lead: float  # importance / the model's lead over the baseline
    beneficial: bool
    # Tested only when not beneficial: the test that found the strongest relation, its
    # p-value (Bonferroni over the feature's tests), that p-value after Holm's adjustment
    # over the features tested, and whether it is below alpha
    association_test: str | None = None
    p_value: float | None = None
    adjusted_p_value: float | None = None
    associated: bool | None = None

    @property
    def verdict(self) -> Verdict:
        if self.beneficial:
            return "beneficial"
        return "redundant" if self.associated else "noise"


@dataclass(frozen=True)
class ImportanceReport:
    """Every feature's importance on the validation split, and the settings that judged it."""

    metric: str
    model_score: float
    baseline_score: float
    lead: float  # how much better the model is than the baseline (in the metric's units)
    validation_rows: int
    association_rows: int  # training and validation rows the association tests read
    tolerance: float
    alpha: float
    features: list[FeatureImportance]

    @property
    def noise(self) -> list[FeatureImportance]:
        """The features that neither help the model nor relate to the target."""
        return [feature for feature in self.features if feature.verdict == "noise"]

    def to_dict(self) -> dict[str, Any]:
        result = asdict(self)
        for row, feature in zip(result["features"], self.features, strict=True):
            row["verdict"] = feature.verdict
        return result


def feature_kinds(params: Params) -> dict[str, ColumnKind]:
    """Every model feature, raw and derived, in the pipeline's order, with how it is tested."""
    features = params.data.features
    kinds: dict[str, ColumnKind] = dict.fromkeys(features.numeric, "numeric")
    kinds.update(dict.fromkeys([*features.categorical, *features.boolean], "categorical"))
    # A date's kind here is a placeholder: associations() tests it as its calendar parts.
    kinds.update(dict.fromkeys(features.datetime, "numeric"))
    kinds.update(dict.fromkeys(features.derived, "numeric"))
    return kinds


def f1_macro(truth: pd.Series | np.ndarray, predicted: np.ndarray) -> float:
    """scikit-learn's ``f1_score(truth, predicted, average="macro", zero_division=0)``, the
    same float, from three label counts: the importance of each feature scores every
    shuffle (n_repeats per feature), and scikit-learn's input checks took 5 ms a call.

    The classes are those present in either array, sorted, as scikit-learn takes them; each
    one's F1 is 2 tp / (true + predicted) in float64, and the macro average their mean.
    (tests/test_importance_f1.py compares the two on many label sets.)
    """
    truth_values, predicted_values = np.asarray(truth), np.asarray(predicted)
    rows = len(truth_values)
    if not rows:
        return float(metrics.f1_score(truth, predicted, average="macro", zero_division=0))
    _, codes = np.unique(np.concatenate([truth_values, predicted_values]), return_inverse=True)
    codes = codes.ravel()
    true_codes, predicted_codes = codes[:rows], codes[rows:]
    size = int(codes.max()) + 1
    true_sum = np.bincount(true_codes, minlength=size).astype(np.float64)
    predicted_sum = np.bincount(predicted_codes, minlength=size).astype(np.float64)
    right = true_codes[true_codes == predicted_codes]
    true_positives = np.bincount(right, minlength=size).astype(np.float64)
    # Every class listed is present on one side at least: no denominator is 0.
    return float(np.mean(2.0 * true_positives / (true_sum + predicted_sum)))


# The gate metrics computed from predicted labels or values alone: one metric per call is
# several times faster than score(), which computes them all; the others go through score().
_FROM_PREDICTIONS: dict[str, Callable[[pd.Series, np.ndarray], float]] = {
    "accuracy": lambda truth, predicted: metrics.accuracy_score(truth, predicted),
    "f1_macro": f1_macro,
    "mae": lambda truth, predicted: metrics.mean_absolute_error(truth, predicted),
    "rmse": lambda truth, predicted: np.sqrt(metrics.mean_squared_error(truth, predicted)),
    "r2": lambda truth, predicted: metrics.r2_score(truth, predicted),
}


def _gate_metric(params: Params, model: Any) -> Callable[[pd.Series, np.ndarray], float]:
    """The gate metric from the model's output (:func:`model_output`), signed so that
    larger is better."""
    metric, problem_type = params.gate.metric, params.problem_type
    sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
    direct = _FROM_PREDICTIONS.get(metric)

    def value(target: pd.Series, output: np.ndarray) -> float:
        if direct is None:
            return sign * score(problem_type, model, pd.DataFrame(), target, output)[metric]
        predicted = most_probable(model, output) if problem_type == "classification" else output
        return sign * float(direct(target, predicted))

    return value


@dataclass(frozen=True)
class _Shuffled:
    """One column's loss of the metric when it is shuffled."""

    mean: float
    std: float  # over the shuffles
    error: float  # standard error of the mean, over the shuffles and the validation rows


def _predicted(params: Params, model: Any, output: np.ndarray) -> np.ndarray:
    if params.problem_type == "classification":
        return most_probable(model, output)
    return output


def _error_over_rows(
    params: Params, model: Any, target: pd.Series, reference: np.ndarray, weights: np.ndarray
) -> Callable[[list[np.ndarray]], float]:
    """A function of one column's shuffled outputs: the standard error, over the bootstrap
    resamples ``weights`` of the rows, of their mean loss against ``reference``. It gives 0
    for a metric with no weighted form (roc_auc) or fewer than two resamples: then only the
    shuffles count."""
    metric = weighted_metric(params.gate.metric, params.problem_type)
    if metric is None or len(weights) < 2:
        return lambda shuffles: 0.0

    def resampled(output: np.ndarray) -> np.ndarray:
        return metric(target, _predicted(params, model, output), weights)

    unshuffled = resampled(reference)  # once for every column

    def error(shuffles: list[np.ndarray]) -> float:
        losses = unshuffled - np.mean([resampled(block) for block in shuffles], axis=0)
        return float(np.std(losses, ddof=1))

    return error


def _permutation_importance(
    params: Params, model: Any, frame: pd.DataFrame, target: pd.Series, columns: list[str]
) -> dict[str, _Shuffled]:
    """Each of ``columns``' loss of the metric when it is shuffled.

    The same as scikit-learn's ``permutation_importance``, but each column's shuffled
    copies go through the model in one call: with a few hundred rows a prediction costs
    mostly the pipeline's fixed overhead, so this is about ``n_repeats`` times faster.
    """
    repeats = params.features_check.importance.n_repeats
    metric = _gate_metric(params, model)
    weights = resample_weights(len(frame), params.features_check.importance.resamples, params.seed)
    reference_output = model_output(params.problem_type, model, frame)
    reference = metric(target, reference_output)
    error_over_rows = _error_over_rows(params, model, target, reference_output, weights)
    generator = np.random.default_rng(params.seed)
    shuffled_columns = {}
    for column in columns:
        copies = pd.concat([frame] * repeats, ignore_index=True)
        shuffled = np.concatenate([generator.permutation(len(frame)) for _ in range(repeats)])
        copies[column] = frame[column].to_numpy()[shuffled]
        blocks = np.split(model_output(params.problem_type, model, copies), repeats)
        losses = [reference - metric(target, block) for block in blocks]
        over_rows = error_over_rows(blocks)
        over_shuffles = float(np.std(losses)) / np.sqrt(repeats)
        shuffled_columns[column] = _Shuffled(
            mean=float(np.mean(losses)),
            std=float(np.std(losses)),
            error=float(np.hypot(over_shuffles, over_rows)),
        )
    return shuffled_columns


def _significant(value: float) -> float:
    return float(f"{value:.4g}")


def measure_importance(
    params: Params,
    model: Any,
    baseline: Any,
    train_frame: pd.DataFrame,
    val_frame: pd.DataFrame,
    judged: Collection[str] | None = None,
) -> ImportanceReport:
    """Judge the features of the fitted ``model`` (and ``baseline``) on the given splits:
    every feature, or only those in ``judged``."""
    settings = params.features_check.importance
    derived = params.data.features.derived
    kinds = feature_kinds(params)
    judged_kinds = {name: kind for name, kind in kinds.items() if judged is None or name in judged}
    val_features, val_target = features_and_target(
        at_most(val_frame, settings.max_rows, params.seed), params
    )
    model_score = _gate_metric(params, model)(
        val_target, model_output(params.problem_type, model, val_features)
    )
    baseline_score = _gate_metric(params, baseline)(
        val_target, model_output(params.problem_type, baseline, val_features)
    )
    lead = model_score - baseline_score
    shuffled = _permutation_importance(
        params,
        _after_derivation(model),
        add_derived_features(val_features, derived)[list(kinds)],
        val_target,
        list(judged_kinds),
    )
    # With no lead over the baseline, nothing the model does is a benefit.
    # Beneficial when even the mean loss less two standard errors clears the tolerance: a
    # model that fitted a noise column by chance gains on some shuffles and loses on others,
    # or gains on these validation rows only, and neither must pass for a benefit.
    beneficial = {
        name: bool(lead > 0 and loss.mean - 2 * loss.error > settings.tolerance * lead)
        for name, loss in shuffled.items()
    }
    # The relation to the target is a question about the data, not the model: every
    # labelled row outside the test split answers it (more rows find a weak relation).
    labelled = pd.concat([train_frame, val_frame], ignore_index=True)
    labelled_features, labelled_target = features_and_target(labelled, params)
    related = associations(
        add_derived_features(labelled_features, derived),
        labelled_target,
        kinds,
        params.problem_type,
        tested=[name for name in judged_kinds if not beneficial[name]],
        dates=params.data.features.datetime,
    )
    rows = []
    for name, kind in judged_kinds.items():
        test = related.get(name)
        rows.append(
            FeatureImportance(
                feature=name,
                kind=kind,
                importance=round(shuffled[name].mean, 6),
                importance_std=round(shuffled[name].std, 6),
                importance_error=round(shuffled[name].error, 6),
                share_of_lead=round(shuffled[name].mean / lead, 4) if lead > 0 else 0.0,
                beneficial=beneficial[name],
                association_test=test.test if test else None,
                p_value=_significant(test.p_value) if test else None,
                adjusted_p_value=_significant(test.adjusted_p_value) if test else None,
                associated=test.adjusted_p_value < settings.alpha if test else None,
            )
        )
    sign = -1.0 if params.gate.metric in LOWER_IS_BETTER else 1.0
    return ImportanceReport(
        metric=params.gate.metric,
        model_score=round(sign * model_score, 6),
        baseline_score=round(sign * baseline_score, 6),
        lead=round(lead, 6),
        validation_rows=len(val_features),
        association_rows=len(labelled_features),
        tolerance=settings.tolerance,
        alpha=settings.alpha,
        features=rows,
    )
