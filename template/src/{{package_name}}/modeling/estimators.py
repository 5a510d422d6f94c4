"""The candidate estimators: ``train.estimator`` in ``params.yaml`` chooses one of them.

Each is named for each problem type it serves, by the import path of its class (resolved
only when a model is built, so that commands which never build one stay quick). To add a
candidate, add it here, and its hyperparameters under ``train.hyperparameters.<name>`` (and
``tune.space.<name>`` to search them). tabular-mlops builds the model from this mapping
(preprocessing, then the estimator: ``tabular_mlops.modeling.pipeline``); pyproject.toml
declares it there.
"""

from __future__ import annotations

ESTIMATORS: dict[tuple[str, str], str] = {
    ("classification", "hist_gradient_boosting"): "sklearn.ensemble.HistGradientBoostingClassifier",
    ("classification", "random_forest"): "sklearn.ensemble.RandomForestClassifier",
    ("classification", "linear"): "sklearn.linear_model.LogisticRegression",
    ("regression", "hist_gradient_boosting"): "sklearn.ensemble.HistGradientBoostingRegressor",
    ("regression", "random_forest"): "sklearn.ensemble.RandomForestRegressor",
    ("regression", "linear"): "sklearn.linear_model.Ridge",
}
