"""Every feature earns its place (ML Test Score data-2) and none costs too much (data-3).

The checks run on the model the pipeline trained (``trained_workspace``); ``make
feature-report`` writes the same figures to a file. Each check also gets a feature that
must fail it, so a check that stopped biting would show here.
"""

from __future__ import annotations

import time
from functools import partial

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.split import read_split
from tabular_mlops.features.derived import (
    DerivedFeature,
    derived_features,
)
from tabular_mlops.features_check.association import (
    ColumnKind,
    associations,
    holm_adjusted,
)
from tabular_mlops.features_check.bootstrap import (
    resample_weights,
    weighted_metric,
)
from tabular_mlops.features_check.cost import measure_cost
from tabular_mlops.features_check.importance import (
    feature_kinds,
    measure_importance,
)
from tabular_mlops.modeling.pipeline import build_baseline, build_model
from tabular_mlops.modeling.registry import load_model
from tabular_mlops.modeling.train import features_and_target

PLANTED = "planted_noise"
SLOW = "planted_slow_lookup"
# Rows the tests that train a model of their own fit on: enough to learn from, few enough
# to stay quick on a large data set.
FIT_ROWS = 500


@pytest.fixture
def workspace_params(trained_workspace, monkeypatch) -> Params:
    monkeypatch.chdir(trained_workspace)  # params.yaml's paths are relative to the project
    return load_params("params.yaml")


def _splits(params: Params) -> tuple[pd.DataFrame, pd.DataFrame]:
    return (
        read_split(params.split.output_dir, "train"),
        read_split(params.split.output_dir, "val"),
    )


@pytest.mark.ml_test_score("data-2")
def test_no_feature_is_pure_noise(workspace_params):
    params = workspace_params
    train, val = _splits(params)
    report = measure_importance(
        params,
        load_model(params.train.model_path),
        load_model(params.train.baseline_path),
        train,
        val,
    )
    assert [row.feature for row in report.features] == list(feature_kinds(params))
    noise = [
        f"{row.feature}: importance {row.importance:+.4g} ({row.share_of_lead:.2%} of the lead "
        f"{report.lead:.4g} over the baseline), association p {row.adjusted_p_value:.3g} "
        f"(Holm; best test: {row.association_test})"
        for row in report.noise
    ]
    assert not noise, (
        f"pure-noise feature(s): shuffling them does not hurt {report.metric} by more than "
        f"features_check.importance.tolerance ({report.tolerance:g} of the lead) and nothing "
        f"relates them to the target at alpha {report.alpha:g}: drop them from data.features "
        f"(`make feature-report` shows every feature). " + "; ".join(noise)
    )


def _with_planted_noise(params: Params, frame: pd.DataFrame, draw: int) -> pd.DataFrame:
    generator = np.random.default_rng([params.seed, draw])
    return frame.assign(**{PLANTED: generator.normal(size=len(frame)).round(4)})


def _quick_params(params: Params, **features: list[str]) -> Params:
    """``params`` with a linear model (quick to fit) over other features."""
    data = params.data.model_copy(
        update={"features": params.data.features.model_copy(update=features)}
    )
    train = params.train.model_copy(update={"estimator": "linear"})
    return params.model_copy(update={"data": data, "train": train})


def _fitted(params: Params, train: pd.DataFrame) -> tuple[object, object]:
    rows = train.sample(n=min(FIT_ROWS, len(train)), random_state=params.seed)
    features, target = features_and_target(rows, params)
    model = build_model(params).fit(features, target)
    return model, build_baseline(params.problem_type).fit(features, target)


@pytest.mark.ml_test_score("data-2")
def test_a_column_of_random_numbers_is_called_pure_noise(workspace_params):
    # By design one random column in 1/alpha looks related to the target by chance (data-2's
    # tests hold their false alarms to alpha): so three seeded draws, and two must be noise.
    params = workspace_params
    planted = _quick_params(params, numeric=[*params.data.features.numeric, PLANTED])
    judged = []
    for draw in range(3):
        train, val = (_with_planted_noise(params, frame, draw) for frame in _splits(params))
        model, baseline = _fitted(planted, train)
        report = measure_importance(planted, model, baseline, train, val, judged=[PLANTED])
        (row,) = report.features
        tested = "not tested" if row.adjusted_p_value is None else f"{row.adjusted_p_value:.3g}"
        judged.append(
            f"{row.verdict} (importance {row.importance:+.4g}, lead {report.lead:.4g}, "
            f"association p {tested})"
        )
    noise = sum(verdict.startswith("noise ") for verdict in judged)
    assert noise >= 2, f"seeded random columns were judged: {judged}"


@pytest.mark.parametrize(
    ("problem_type", "name", "sklearn_metric"),
    [
        ("classification", "accuracy", metrics.accuracy_score),
        ("classification", "f1_macro", partial(metrics.f1_score, average="macro")),
        ("classification", "precision_macro", partial(metrics.precision_score, average="macro")),
        ("classification", "recall_macro", partial(metrics.recall_score, average="macro")),
        ("regression", "mae", metrics.mean_absolute_error),
        ("regression", "rmse", metrics.root_mean_squared_error),
        ("regression", "r2", metrics.r2_score),
    ],
)
def test_bootstrap_metrics_equal_scikit_learns_with_the_same_weights(
    problem_type, name, sklearn_metric
):
    generator = np.random.default_rng(3)
    rows = 40
    if problem_type == "classification":
        # A rare class, so that some resamples hold none of it.
        truth = pd.Series(generator.choice(["a", "b", "c"], size=rows, p=[0.6, 0.35, 0.05]))
        predicted = np.where(generator.random(rows) < 0.7, truth, generator.choice(["a", "b"]))
    else:
        truth = pd.Series(generator.normal(size=rows))
        predicted = truth.to_numpy() + generator.normal(scale=0.5, size=rows)
    weights = resample_weights(rows, 30, seed=0)
    weighted = weighted_metric(name, problem_type)
    assert weighted is not None
    expected = []
    for row in weights:
        kept = row > 0  # scikit-learn's macro averages run over the classes the rows hold
        options = {"zero_division": 0} if "macro" in name else {}
        expected.append(
            sklearn_metric(truth[kept], predicted[kept], sample_weight=row[kept], **options)
        )
    np.testing.assert_allclose(weighted(truth, predicted, weights), expected, rtol=1e-9)
    assert weighted_metric("roc_auc", problem_type) is None


def test_association_tells_noise_from_redundant_and_interacting_features():
    generator = np.random.default_rng(0)
    rows = 400
    size = generator.normal(size=rows)
    group = generator.choice(["a", "b"], size=rows)
    # The class depends on size, and on group only through size: group alone says nothing.
    label = np.where(size + np.where(group == "a", 1.0, -1.0) * 0.8 > 0, "yes", "no")
    frame = pd.DataFrame(
        {
            "size": size,
            "size_copy": size + generator.normal(scale=0.1, size=rows),
            "group": group,
            "noise": generator.normal(size=rows),
        }
    )
    kinds: dict[str, ColumnKind] = {
        "size": "numeric",
        "size_copy": "numeric",
        "group": "categorical",
        "noise": "numeric",
    }
    found = associations(frame, pd.Series(label), kinds, "classification", list(kinds))
    assert found["size_copy"].adjusted_p_value < 0.001
    assert found["group"].adjusted_p_value < 0.001, found["group"]
    assert found["group"].test.startswith("given ")
    assert found["noise"].adjusted_p_value > 0.05, found["noise"]


def test_association_of_numbers_finds_a_u_shape_and_ignores_noise():
    generator = np.random.default_rng(1)
    rows = 400
    x = generator.uniform(-1, 1, size=rows)
    frame = pd.DataFrame({"x": x, "noise": generator.normal(size=rows)})
    target = pd.Series(x**2 + generator.normal(scale=0.05, size=rows))
    kinds: dict[str, ColumnKind] = {"x": "numeric", "noise": "numeric"}
    found = associations(frame, target, kinds, "regression", list(kinds))
    assert found["x"].adjusted_p_value < 0.001  # Spearman alone would miss it
    assert found["noise"].adjusted_p_value > 0.05


def test_a_date_is_related_through_its_hour_though_not_through_time():
    """Searches likelier at night, on any day of two years: the moment a stop was made
    (seconds since 1970) shows no trend, its hour a strong relation. A date of random
    moments is noise either way."""
    generator = np.random.default_rng(2)
    rows = 2000
    moments = pd.Timestamp("2017-01-01", tz="UTC") + pd.to_timedelta(
        generator.uniform(0, 730 * 24 * 3600, rows), unit="s"
    )
    night = (moments.hour >= 22) | (moments.hour < 4)
    searched = np.where(generator.random(rows) < np.where(night, 0.3, 0.1), "yes", "no")
    shuffled = moments.to_series().sample(frac=1, random_state=0)
    frame = pd.DataFrame(
        {
            "stopped": moments.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "noted": shuffled.dt.strftime("%Y-%m-%d %H:%M").to_numpy(),
            "weight": generator.normal(size=rows),
        }
    )
    kinds: dict[str, ColumnKind] = {"stopped": "numeric", "noted": "numeric", "weight": "numeric"}
    found = associations(
        frame, pd.Series(searched), kinds, "classification", list(kinds), ["stopped", "noted"]
    )
    assert found["stopped"].adjusted_p_value < 0.001, found["stopped"]
    assert found["stopped"].test.startswith("hour: ")
    assert found["noted"].adjusted_p_value > 0.05, found["noted"]
    seconds = (moments - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    as_moment = associations(
        frame.assign(stopped=seconds.to_numpy()), pd.Series(searched),
        {"stopped": "numeric", "weight": "numeric"}, "classification", ["stopped"],
    )  # fmt: skip
    assert as_moment["stopped"].p_value > 0.01  # the trend test alone misses it


def test_holm_adjustment_multiplies_by_rank_and_stays_monotone():
    assert holm_adjusted([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm_adjusted([]) == []


@pytest.mark.ml_test_score("data-3")
def test_no_feature_takes_too_much_of_the_prediction_time(workspace_params):
    params = workspace_params
    _, val = _splits(params)
    report = measure_cost(params, load_model(params.train.model_path), val)
    assert [row.feature for row in report.features] == list(feature_kinds(params))
    assert report.prediction_seconds > 0
    slow = [
        f"{row.feature}: {row.share_of_prediction:.0%} ({row.seconds * 1000:.3g} ms)"
        for row in report.over_budget
    ]
    assert not slow, (
        f"feature(s) over features_check.cost.max_share ({report.max_share:.0%}) of the "
        f"{report.prediction_seconds * 1000:.3g} ms it takes to predict {report.batch_rows} "
        "rows: " + "; ".join(slow)
    )


def _slow_lookup(column: str):
    """A feature fetched row by row, as from a remote service: 0.2 ms a row."""

    def lookup(frame: pd.DataFrame) -> pd.Series:
        def one(_value: object) -> float:
            time.sleep(0.0002)
            return 1.0

        return frame[column].map(one).astype(float)

    return lookup


@pytest.mark.ml_test_score("data-3")
def test_a_feature_looked_up_row_by_row_is_over_budget(workspace_params, monkeypatch):
    params = workspace_params
    column = params.data.features.input_columns[0]
    monkeypatch.setitem(derived_features(), SLOW, DerivedFeature(_slow_lookup(column), (column,)))
    planted = _quick_params(params, derived=[*params.data.features.derived, SLOW])
    settings = planted.features_check.model_copy(
        update={"cost": planted.features_check.cost.model_copy(update={"batch_rows": 200})}
    )
    planted = planted.model_copy(update={"features_check": settings})
    train, val = _splits(params)
    model, _ = _fitted(planted, train)
    report = measure_cost(planted, model, val)
    assert [row.feature for row in report.over_budget] == [SLOW], report
