"""Choose the estimator's hyperparameters by cross-validation on the training split.

A seeded random search (scikit-learn's ``RandomizedSearchCV``) scores ``tune.budget``
candidates from ``tune.space`` on ``gate.metric``. Only the training split is read: the
validation and test splits stay unseen, so their metrics still estimate unseen data.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import pandas as pd
from sklearn.model_selection import KFold, ParameterGrid, RandomizedSearchCV, StratifiedKFold
from threadpoolctl import threadpool_limits

from tabular_mlops.atomic import write_json
from tabular_mlops.config import Params
from tabular_mlops.modeling.metrics import LOWER_IS_BETTER
from tabular_mlops.modeling.pipeline import build_model
from tabular_mlops.sampling import at_most

from ..data.split import read_split
from ..errors import ProjectError
from .train import features_and_target

# gate.metric -> scikit-learn scorer (an error is negated: scikit-learn maximises scores)
SCORERS = {
    "accuracy": "accuracy",
    "precision_macro": "precision_macro",
    "recall_macro": "recall_macro",
    "f1_macro": "f1_macro",
    "roc_auc": "roc_auc_ovr",
    "mae": "neg_mean_absolute_error",
    "rmse": "neg_root_mean_squared_error",
    "r2": "r2",
}
PREFIX = "estimator__"  # the estimator's step name in the pipeline build_model returns


class TuneError(ProjectError, ValueError):
    """The search cannot run as configured, or its output does not fit params.yaml."""


def search(params: Params, features: pd.DataFrame, target: pd.Series) -> RandomizedSearchCV:
    """Run the search on ``features`` and ``target`` and return it (fitted, not refitted)."""
    estimator = params.train.estimator
    space = params.tune.space.get(estimator)
    if not space:
        raise TuneError(f"tune.space has no '{estimator}' entry: list candidates or disable tune")
    if params.gate.metric not in SCORERS:
        raise TuneError(f"gate.metric '{params.gate.metric}' is not one of {sorted(SCORERS)}")
    model = build_model(params)  # exactly train's pipeline, with train.hyperparameters
    accepted = model.named_steps["estimator"].get_params()
    unknown = sorted(set(space) - set(accepted))
    if unknown:
        raise TuneError(f"tune.space.{estimator} names unknown hyperparameter(s) {unknown}")
    grid = {PREFIX + name: list(values) for name, values in space.items()}
    folds_class = StratifiedKFold if params.problem_type == "classification" else KFold
    folds = folds_class(n_splits=params.tune.cv_folds, shuffle=True, random_state=params.seed)
    searcher = RandomizedSearchCV(
        model,
        grid,
        # A space smaller than the budget is searched whole (scikit-learn would warn).
        n_iter=min(params.tune.budget, len(ParameterGrid(grid))),
        scoring=SCORERS[params.gate.metric],
        cv=folds,
        refit=False,  # train refits on the whole training split
        random_state=params.seed,
        error_score="raise",
        # One process per core, one thread per fit: many small fits are several times
        # faster this way than one fit at a time on every core (178 s -> 28 s, 8x3 fits).
        n_jobs=params.tune.n_jobs,
    )
    # In this process, one thread per fit too (on 240 rows: 8 s, against 37 s on two
    # threads); the scores are the same whatever the processes and threads.
    one_thread = params.tune.n_jobs == 1
    with threadpool_limits(limits=1, user_api="openmp") if one_thread else nullcontext():
        return searcher.fit(features, target)


def _plain(value: Any) -> Any:
    """A numpy scalar as the Python value JSON and params.yaml hold."""
    return value.item() if hasattr(value, "item") else value


def tune(params: Params) -> dict[str, Any]:
    """Run the search (or record that it is disabled) and write ``tune.output_path``."""
    result: dict[str, Any] = {"enabled": params.tune.enabled, "estimator": params.train.estimator}
    if not params.tune.enabled:
        result["hyperparameters"] = {}
        result["note"] = "tune.enabled is false: train uses train.hyperparameters unchanged"
    else:
        # The training split only: checks/modeling/test_tune.py checks that nothing else is read.
        frame = read_split(params.split.output_dir, "train")
        # A seeded sample of a large split: the search only ranks candidates, and 24 fits on
        # all of 200,000 rows took minutes where train's one fit on them takes seconds.
        labels = frame[params.data.target].astype(str)
        searched = at_most(
            frame,
            params.tune.max_rows,
            params.seed,
            labels=labels if params.problem_type == "classification" else None,
            min_per_label=params.tune.cv_folds,
        )
        searcher = search(params, *features_and_target(searched, params))
        best = searcher.best_params_
        score = float(searcher.best_score_)
        metric = params.gate.metric
        result |= {
            "hyperparameters": {k.removeprefix(PREFIX): _plain(v) for k, v in best.items()},
            "metric": metric,
            "cv_score": round(-score if metric in LOWER_IS_BETTER else score, 6),
            "cv_folds": params.tune.cv_folds,
            "candidates": len(searcher.cv_results_["params"]),
            "train_rows": len(frame),
            "searched_rows": len(searched),
        }
    write_json(params.tune.output_path, result)
    return result
