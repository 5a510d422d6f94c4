"""Build the candidate model and the trivial baseline from ``params.yaml``.

The candidate is the estimator ``train.estimator`` names, among those the project declares
(its ``modeling/estimators.py``, found through project.py), after the preprocessing. The
baseline predicts without looking at the features (the majority class, or the mean). A
candidate that cannot beat it has learnt nothing useful (ML Test Score model-5).
"""

from __future__ import annotations

import importlib
from typing import Any, cast

from sklearn.base import BaseEstimator
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.pipeline import Pipeline

from ..config import Params, ProblemType
from ..features.preprocess import build_preprocessor
from ..project import ProjectDeclarationError, declared_estimators


def estimator_class(declared: str | type[BaseEstimator]) -> type[BaseEstimator]:
    """The class a project declares, given as a class or as its import path
    ("sklearn.ensemble.RandomForestClassifier")."""
    if not isinstance(declared, str):
        return declared
    module, _, name = declared.replace(":", ".").rpartition(".")
    try:
        found = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ProjectDeclarationError(
            f"the estimator '{declared}' declared in modeling/estimators.py cannot be "
            f"imported ({error}): give a class's import path, e.g. "
            "'sklearn.ensemble.RandomForestClassifier'"
        ) from None
    return cast(type[BaseEstimator], found)


def _seeded(estimator_class: type[BaseEstimator], settings: dict[str, Any], seed: int) -> Any:
    accepted = estimator_class().get_params()
    unknown = sorted(set(settings) - set(accepted))
    if unknown:
        raise ValueError(
            f"{estimator_class.__name__} has no hyperparameter(s) {unknown}; "
            f"valid names include {sorted(accepted)[:12]}"
        )
    if "random_state" in accepted:
        settings = {**settings, "random_state": seed}
    return estimator_class(**settings)


def build_model(params: Params) -> Pipeline:
    """Return the unfitted candidate pipeline: preprocessing then the chosen estimator."""
    features = params.data.features
    name = params.train.estimator
    settings: dict[str, Any] = dict(params.train.hyperparameters.get(name, {}))
    # Gradient boosting splits on categories natively: one column per categorical feature
    # instead of one per level, several times faster on data with many levels.
    native = name == "hist_gradient_boosting"
    if native and features.categorical:
        first = len(features.numeric) + len(features.derived)  # the column order of the output
        settings["categorical_features"] = list(range(first, first + len(features.categorical)))
    candidates = declared_estimators()
    if (params.problem_type, name) not in candidates:
        declared = sorted(n for kind, n in candidates if kind == params.problem_type)
        raise ProjectDeclarationError(
            f"train.estimator '{name}' is not declared for {params.problem_type} in the "
            f"project's modeling/estimators.py (declared: {', '.join(declared) or 'none'})"
        )
    estimator = _seeded(
        estimator_class(candidates[(params.problem_type, name)]), settings, params.seed
    )
    preprocessor = build_preprocessor(
        features.numeric,
        features.categorical,
        features.derived,
        features.boolean,
        features.datetime,
        native_categories=native,
        one_hot_max_levels=params.schema_.max_categories,
        regression=params.problem_type == "regression",
        seed=params.seed,
    )
    return Pipeline([("features", preprocessor), ("estimator", estimator)])


def build_baseline(problem_type: ProblemType) -> BaseEstimator:
    """Return the trivial baseline for ``problem_type``."""
    if problem_type == "classification":
        return DummyClassifier(strategy="prior")
    return DummyRegressor(strategy="mean")
