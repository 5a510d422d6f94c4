"""Drift and data invariants of served inputs (monitor-2): undrifted traffic raises nothing, and
each planted change is named, by feature, and only that feature.

Each window holds as many training rows as the default window (``monitoring.window.last``); a
change a test plants can move the model's predictions too, so an alert about the predictions is
allowed beside the feature's own.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tabular_mlops.config import Params
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.monitoring.checks import PREDICTION
from tabular_mlops.monitoring.drift import compare, numbers
from tabular_mlops.monitoring.monitor import EXIT_HEALTHY, EXIT_RETRAIN

from .conftest import alerted, drift_testable, skip_unless_drift_testable

pytestmark = pytest.mark.ml_test_score("monitor-2")


def test_a_window_drawn_from_the_reference_raises_no_alert(
    monitor, reference_rows, monitored_params, monitored_reference
):
    """One seeded healthy window: the drift tests raise a false alarm in at most
    monitoring.drift.alpha of such windows (docs/monitoring.md quotes the measured rate)."""
    report = monitor(reference_rows)
    assert report.alerts == []
    assert report.exit_code == EXIT_HEALTHY
    drift = next(check for check in report.checks if check.name == "drift")
    untested = " ".join(drift.details["untested"])
    if not drift_testable(reference_rows, monitored_params):
        # too little data to test: said so, feature by feature, rather than passed silently
        assert drift.details["tests"] == [], drift.details
        assert drift.details["untested"], drift.details
        return
    tested = {test["subject"] for test in drift.details["tests"]}
    assert tested - {PREDICTION}, drift.details
    # The predictions' reference is the validation split's: a small data set gives one too
    # small to test, and the monitor says so instead of testing it.
    if len(monitored_reference.predictions) >= monitored_params.monitoring.drift.min_values:
        assert PREDICTION in tested, drift.details
    else:
        assert PREDICTION not in tested, drift.details
        assert f"{PREDICTION}: " in untested, drift.details


def _continuous(params: Params, rows: pd.DataFrame) -> str:
    """A numeric feature the monitor tests as continuous in a window of ``rows``: more than
    max_discrete_values distinct values, and min_values of them present (a column missing
    in most rows, such as the id of a replied-to account, is reported untested instead)."""
    settings = params.monitoring.drift
    for column in params.data.features.numeric:
        values = numbers(rows[column])
        if len(values) >= settings.min_values and len(set(values)) > settings.max_discrete_values:
            return column
    not_applicable(
        "no numeric feature with many distinct values, present in monitoring.drift.min_values "
        f"({settings.min_values}) rows of a window, to shift"
    )


def test_a_shifted_numeric_feature_is_named(monitor, reference_rows, monitored_params):
    skip_unless_drift_testable(reference_rows, monitored_params)
    column = _continuous(monitored_params, reference_rows)
    shifted = reference_rows.assign(
        **{column: reference_rows[column] + reference_rows[column].std()}
    )
    report = monitor(shifted)
    assert alerted(report, "drift") - {PREDICTION} == {column}, report.alerts
    # a value shifted past the schema's range is named too, and only that feature
    assert alerted(report, "invariants") <= {column}, report.alerts
    assert report.exit_code == EXIT_RETRAIN


def test_a_category_that_became_dominant_is_named(monitor, reference_rows, monitored_params):
    skip_unless_drift_testable(reference_rows, monitored_params)
    features = monitored_params.data.features
    candidates = [*features.categorical, *features.boolean]
    column = next((c for c in candidates if reference_rows[c].nunique() > 1), None)
    if column is None:
        not_applicable("no categorical or true/false feature with two or more values")
    rarest = reference_rows[column].value_counts().index[-1]
    dominant = reference_rows.copy()
    dominant.loc[dominant.index[: len(dominant) * 9 // 10], column] = rarest
    report = monitor(dominant)
    assert alerted(report, "drift") - {PREDICTION} == {column}, report.alerts
    assert alerted(report, "invariants") == set(), report.alerts
    assert report.exit_code == EXIT_RETRAIN


def test_a_column_without_a_value_in_the_window_is_compared_with_nothing():
    # A window whose records all lack a column (3 records of survey answers) crashed the
    # monitor in scipy's chi-square test; it is left untested by its count (min_values).
    for kind, reference in (("categorical", ["a", "b"] * 20), ("numeric", list(range(40)))):
        test = compare("x", kind, reference, [None, None, None], max_discrete=20)
        assert (test.p_value, test.current_count, test.reference_count) == (1.0, 0, 40)
