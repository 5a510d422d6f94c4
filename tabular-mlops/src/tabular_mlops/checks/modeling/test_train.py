"""Training smoke tests: the model spec builds, trains and beats the baseline (infra-2, model-5).

They train on the configured data, split as the pipeline splits it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tabular_mlops.data.split import split_as_configured
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.metrics import regression_of, score
from tabular_mlops.modeling.pipeline import build_baseline, build_model
from tabular_mlops.modeling.train import features_and_target
from tabular_mlops.project import declared_estimators

# Smoke tests train on at most this many rows, so they stay quick on a large data set.
SMOKE_ROWS = 1000


@pytest.fixture(scope="module")
def splits(raw_frame, params):
    return split_as_configured(raw_frame, params)


def _with_estimator(params, estimator):
    return params.model_copy(
        update={"train": params.train.model_copy(update={"estimator": estimator})}
    )


@pytest.mark.ml_test_score("infra-2")
@pytest.mark.parametrize("estimator", sorted({name for _, name in declared_estimators()}))
def test_each_estimator_trains_and_predicts_one_value_per_row(splits, params, estimator):
    features, target = features_and_target(splits.train.head(SMOKE_ROWS), params)
    held_out, _ = features_and_target(splits.test, params)
    model = build_model(_with_estimator(params, estimator)).fit(features, target)
    predictions = model.predict(held_out)
    assert len(predictions) == len(held_out)
    if params.problem_type == "classification":
        assert set(predictions) <= set(target)


@pytest.mark.ml_test_score("infra-2")
@pytest.mark.parametrize("estimator", sorted({name for _, name in declared_estimators()}))
def test_a_feature_empty_in_every_training_row_is_kept(splits, params, estimator):
    # A column can be empty in a whole training part (a flag that did not exist in the
    # oldest seasons): the model keeps it, so the columns after it keep their positions.
    features, target = features_and_target(splits.train.head(SMOKE_ROWS), params)
    held_out, _ = features_and_target(splits.test, params)
    kinds = params.data.features
    emptied = [names[0] for names in (kinds.numeric, kinds.categorical, kinds.boolean) if names]
    features = features.assign(**dict.fromkeys(emptied))
    model = build_model(_with_estimator(params, estimator)).fit(features, target)
    assert len(model.predict(held_out)) == len(held_out)
    kept = model[:-1].get_feature_names_out()
    assert all(any(out.startswith(name) for out in kept) for name in emptied), (emptied, kept)


@pytest.mark.ml_test_score("infra-2")
def test_a_classifier_learns_its_labels_as_text(splits, params):
    if params.problem_type != "classification":
        not_applicable("a regression target is numeric, not a set of labels")
    _, target = features_and_target(splits.train, params)
    assert target.map(lambda label: type(label) is str).all()  # str itself, no subclass


@pytest.mark.ml_test_score("infra-2")
def test_training_is_deterministic_for_a_fixed_seed(splits, params):
    features, target = features_and_target(splits.train.head(SMOKE_ROWS), params)
    first = build_model(params).fit(features, target).predict(features)
    second = build_model(params).fit(features, target).predict(features)
    assert (first == second).all()


@pytest.mark.ml_test_score("model-5")
def test_model_beats_the_trivial_baseline_on_held_out_rows(splits, params):
    features, target = features_and_target(splits.train, params)
    held_out, truth = features_and_target(splits.test, params)
    model = build_model(params).fit(features, target)
    baseline = build_baseline(params.problem_type).fit(features, target)
    metric = params.gate.metric
    model_score = score(params.problem_type, model, held_out, truth)[metric]
    baseline_score = score(params.problem_type, baseline, held_out, truth)[metric]
    # Strictly better: a model that only matches the trivial baseline has learnt nothing.
    assert regression_of(metric, model_score, baseline_score) < 0, (model_score, baseline_score)


@pytest.mark.ml_test_score("infra-2")
def test_unknown_hyperparameter_is_refused_with_its_name(params):
    bad = params.model_copy(
        update={
            "train": params.train.model_copy(
                update={"hyperparameters": {params.train.estimator: {"learning_speed": 3}}}
            )
        }
    )
    with pytest.raises(ValueError, match="learning_speed"):
        build_model(bad)


def test_roc_auc_averages_the_classes_a_window_holds():
    # A window of served rows holding 2 of 3 classes: scikit-learn warns (an error here) and
    # counts the missing class as 0; the mean runs over the classes present.
    class Model:
        classes_ = np.array(["a", "b", "c"])

    probabilities = np.array([[0.8, 0.1, 0.1], [0.6, 0.3, 0.1], [0.2, 0.7, 0.1], [0.3, 0.6, 0.1]])

    def roc_auc(truth, rows):
        return score("classification", Model(), pd.DataFrame(), pd.Series(truth), rows)["roc_auc"]

    assert roc_auc(["a", "a", "b", "b"], probabilities) == 1.0
    assert np.isnan(roc_auc(["a", "a"], probabilities[:2]))  # no class against another
