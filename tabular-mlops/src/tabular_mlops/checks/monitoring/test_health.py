"""Numerical stability (monitor-5), serving performance (monitor-6) and dependency drift
(monitor-1): each planted fault is named, and asks for attention (exit 11), not retraining."""

from __future__ import annotations

import json
import math

import pytest

from tabular_mlops.environment import runtime_environment
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.registry import load_metadata
from tabular_mlops.monitoring.checks import PREDICTION
from tabular_mlops.monitoring.dependencies import (
    SERVING_ENVIRONMENT,
    check_dependencies,
)
from tabular_mlops.monitoring.monitor import EXIT_ATTENTION, EXIT_RETRAIN
from tabular_mlops.monitoring.performance import (
    _version_alerts,
    check_performance,
)
from tabular_mlops.monitoring.stability import PROBABILITIES

from .conftest import alerted, nan_in, project_copy, records_for


@pytest.mark.ml_test_score("monitor-5")
def test_injected_nans_are_named(monitor, reference_rows, monitored_params, trained_model):
    column = (
        monitored_params.data.features.numeric[0]
        if monitored_params.data.features.numeric
        else None
    )
    if column is None:  # adopted data may be all categories; NaNs in those are missing values
        not_applicable("no numeric feature to put NaN in")
    records = nan_in(records_for(reference_rows, monitored_params, *trained_model), column)
    report = monitor(reference_rows, records=records)
    assert alerted(report, "stability") == {column}, report.alerts
    # NaN is a missing value to the schema and the drift tests: only this feature is named
    assert {a.subject for a in report.alerts} <= {column, PREDICTION}, report.alerts
    assert report.exit_code in (EXIT_ATTENTION, EXIT_RETRAIN)


@pytest.mark.ml_test_score("monitor-5")
def test_non_finite_predictions_and_bad_probabilities_are_named(
    monitor, reference_rows, monitored_params, trained_model
):
    records = records_for(reference_rows, monitored_params, *trained_model)
    if monitored_params.problem_type == "classification":
        first = records[0]["probabilities"]
        records[0] = {**records[0], "probabilities": {k: v * 1.5 for k, v in first.items()}}
        expected = {PROBABILITIES}
    else:
        records[0] = {**records[0], "prediction": math.inf}
        expected = {PREDICTION}
    report = monitor(reference_rows, records=records)
    assert alerted(report, "stability") == expected, report.alerts
    assert report.exit_code == EXIT_ATTENTION


@pytest.mark.ml_test_score("monitor-1")
def test_other_library_versions_when_serving_are_named(
    trained_workspace, monitored_params, tmp_path
):
    metadata = load_metadata(trained_workspace / monitored_params.train.model_path)
    served = runtime_environment()
    assert metadata["environment"] == served  # trained here, served here: the same
    (tmp_path / SERVING_ENVIRONMENT).write_text(json.dumps(served))
    assert check_dependencies(metadata, tmp_path).status == "ok"
    package = next(iter(served["packages"]))
    served["packages"][package] = "0.0.1"
    served["python"] = "3.0.0"
    (tmp_path / SERVING_ENVIRONMENT).write_text(json.dumps(served))
    result = check_dependencies(metadata, tmp_path)
    assert {alert.subject for alert in result.alerts} == {package, "python"}, result.alerts
    assert {alert.action for alert in result.alerts} == {"investigate"}  # exit 11, not 10


@pytest.mark.ml_test_score("monitor-6")
def test_served_latency_far_above_the_benchmark_is_named(
    monitor, window_of, reference_rows, monitored_params, trained_model, trained_workspace, tmp_path
):
    root = project_copy(trained_workspace, monitored_params, tmp_path / "project")
    settings = monitored_params.monitoring.performance
    bench = {"model_version": trained_model[1], "latency_ms": {"p50": 1.0, "p95": 2.0, "p99": 3.0}}
    (root / settings.bench_path).parent.mkdir(parents=True, exist_ok=True)
    (root / settings.bench_path).write_text(json.dumps(bench))
    fast = records_for(reference_rows, monitored_params, *trained_model)
    checked = check_performance(window_of(fast), root, monitored_params, trained_model[1])
    assert checked.status == "ok", checked
    slow_latency = 2.0 * settings.max_latency_ratio * 2
    model, version = trained_model
    records = records_for(reference_rows, monitored_params, model, version, latency_ms=slow_latency)
    slow = monitor(reference_rows, records=records, root=root)
    assert alerted(slow, "performance") == {"latency"}, slow.alerts
    assert slow.exit_code == EXIT_ATTENTION


@pytest.mark.ml_test_score("monitor-6")
def test_a_jump_and_a_creep_across_versions_are_told_apart(monitored_params):
    settings = monitored_params.monitoring.performance

    def bench(version, p50, rows_per_s=1000.0):
        return {"version": version, "latency_ms": {"p50": p50}, "throughput_rows_per_s": rows_per_s}

    steady = [bench(f"v1.{i}.0", 10.0) for i in range(3)]
    assert _version_alerts(steady, monitored_params) == []
    jump = [*steady, bench("v1.3.0", 10.0 * settings.max_jump * 1.1)]
    assert [a.subject for a in _version_alerts(jump, monitored_params)] == ["median latency"]
    assert "times worse than v1.2.0" in _version_alerts(jump, monitored_params)[0].message
    # each step below the jump limit, together above the creep limit
    step = (settings.max_creep * 1.05) ** (1 / 3)
    creep = [bench(f"v2.{i}.0", 10.0 * step**i) for i in range(4)]
    alerts = _version_alerts(creep, monitored_params)
    assert [a.subject for a in alerts] == ["median latency"]
    assert "crept" in alerts[0].message
    slower = [
        bench("v1.0.0", 10.0, 1000.0),
        bench("v1.1.0", 10.0, 1000.0 / (settings.max_jump * 1.1)),
    ]
    assert [a.subject for a in _version_alerts(slower, monitored_params)] == ["batch throughput"]
