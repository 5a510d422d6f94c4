"""The model serves every group of a sensitive attribute alike (ML Test Score model-7): its
metric and its error rate are close across the groups of ``evaluate.inclusion.attribute``."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.resampling import holm
from tabular_mlops.modeling.slices import (
    GroupSettingError,
    error_flags,
    groups_of,
    inclusion_report,
)


def _groups(report, metric):
    return "; ".join(
        f"{name}: {metric} {entry[metric]}, error rate {entry['error_rate']} ({entry['rows']} rows"
        + ("" if entry["judged"] else ", not judged")
        + ")"
        for name, entry in report["groups"].items()
    )


@pytest.mark.ml_test_score("model-7")
def test_quality_and_error_rate_are_at_parity_across_the_attribute(trained_workspace, params):
    settings = params.evaluate.inclusion
    if settings.attribute is None:
        # Not applicable to this data until a person names a column: it scores 0, visibly.
        not_applicable(f"evaluate.inclusion.attribute is null: {settings.reason}")
    report = json.loads((trained_workspace / settings.metrics_path).read_text(encoding="utf-8"))
    assert report["attribute"] == settings.attribute
    metric = report["metric"]
    judged = {
        name: entry
        for name, entry in report["groups"].items()
        if min(entry["rows"], report["rows"] - entry["rows"]) >= settings.min_rows
        and not entry.get("no_shared_class")  # no class in common: nothing to compare
    }
    if not judged:
        # Data-dependent: parity needs groups large enough to compare with the other rows.
        not_applicable(
            f"no group of '{settings.attribute}' has evaluate.inclusion.min_rows "
            f"({settings.min_rows}) test rows and leaves as many: {_groups(report, metric)}"
        )
    # Holm at params.yaml's alpha over both comparisons of every group, not the file's verdict.
    tests = [(name, rule) for name in judged for rule in RULES]
    p_values = np.array([judged[name][f"p_{rule}"] for name, rule in tests])
    rejected = holm(p_values, params.evaluate.slices.alpha)
    problems = [
        f"{name}: {RULES[rule]} {judged[name][rule]} "
        f"(max {getattr(settings, SETTINGS[rule])}, p={judged[name][f'p_{rule}']})"
        for (name, rule), failed in zip(tests, rejected, strict=True)
        if failed
    ]
    assert not problems, (
        f"groups of '{settings.attribute}' are not served alike: worse than the other rows "
        f"beyond chance (Holm at alpha {params.evaluate.slices.alpha}): {'; '.join(problems)}. "
        f"Groups: {_groups(report, metric)}"
    )


RULES = {"gap": "metric gap", "error_rate_gap": "error-rate gap"}
SETTINGS = {"gap": "max_metric_gap", "error_rate_gap": "max_error_rate_gap"}


def _rows(raw_frame, params):
    """The data's rows with the attribute set and a perfect prediction of their target."""
    attribute = params.evaluate.inclusion.attribute
    if attribute is None:  # no sensitive attribute in this data: nothing to check parity of
        not_applicable(f"evaluate.inclusion.attribute is null: {params.evaluate.inclusion.reason}")
    frame = raw_frame.dropna(subset=[params.data.target]).reset_index(drop=True)
    dtype = float if params.problem_type == "regression" else object
    target = frame[params.data.target]
    truth = (target if dtype is float else target.astype(str)).to_numpy(dtype=dtype)
    return frame, truth, attribute


def test_a_group_the_model_fails_opens_both_gaps(raw_frame, params):
    frame, truth, attribute = _rows(raw_frame, params)
    names, _ = groups_of(frame[attribute], params.evaluate.inclusion.bins)
    counts = names.value_counts()
    min_rows = params.evaluate.inclusion.min_rows
    judged = counts[(counts >= min_rows) & (len(frame) - counts >= min_rows)]
    if not len(judged):  # a gap needs a group and other rows large enough to be judged
        not_applicable(f"fewer than two groups of '{attribute}' have min_rows rows in the data")
    failed_group = judged.index[-1]  # the smallest judged group
    predicted = truth.copy()
    mask = (names == failed_group).to_numpy()
    if params.problem_type == "regression":
        predicted[mask] = truth[mask] + 10 * float(np.nanstd(truth))
    else:
        classes = np.unique(truth)
        predicted[mask] = [
            classes[(list(classes).index(v) + 1) % len(classes)] for v in truth[mask]
        ]
    report = inclusion_report(frame, truth, predicted, params)
    group = report["groups"][failed_group]
    assert group["error_rate"] == 1.0
    assert group["judged"] is True
    assert group["passed"] is False
    assert group["error_rate_gap"] > params.evaluate.inclusion.max_error_rate_gap
    # None: infinitely worse, the other rows' predictions being exact
    assert group["gap"] is None or group["gap"] > params.evaluate.inclusion.max_metric_gap
    assert report["failed"] >= 1
    fair = inclusion_report(frame, truth, truth.copy(), params)
    assert fair["metric_gap"] == 0
    assert fair["error_rate_gap"] == 0
    assert fair["failed"] == 0


def test_an_attribute_that_is_not_a_column_is_refused_with_the_columns(raw_frame, params):
    frame, truth, attribute = _rows(raw_frame, params)
    settings = params.evaluate.inclusion.model_copy(update={"attribute": attribute + "_"})
    bad = params.model_copy(
        update={"evaluate": params.evaluate.model_copy(update={"inclusion": settings})}
    )
    expected = re.escape(f"'{attribute}_'") + ".*" + re.escape(f"did you mean '{attribute}'")
    with pytest.raises(GroupSettingError, match=expected):
        inclusion_report(frame, truth, truth.copy(), bad)


def test_a_regression_error_is_one_far_beyond_the_median_error():
    truth = np.arange(10, dtype=float)
    predicted = truth + np.array([1, -1, 1, -1, 1, -1, 2, -3, 3.5, 5], dtype=float)
    assert list(error_flags("regression", truth, predicted, 3.0)) == [False] * 8 + [True] * 2
    labels = np.array(["a", "b"], dtype=object)
    assert list(error_flags("classification", labels, labels[::-1].copy(), 0.9)) == [True, True]


def test_a_null_attribute_needs_a_reason(params):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="reason must say why"):
        params.evaluate.inclusion.model_validate({"attribute": None, "reason": " "})
