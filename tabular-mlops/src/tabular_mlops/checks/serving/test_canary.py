"""The canary serves the model from a real server process and checks it (infra-6)."""

from __future__ import annotations

import json

import pytest

from tabular_mlops.config import load_params
from tabular_mlops.serving.canary import CanaryError, run_canary

pytestmark = [pytest.mark.ml_test_score("infra-6"), pytest.mark.canary]


def test_canary_passes_and_writes_a_reproducible_report(trained_workspace):
    params_path = trained_workspace / "params.yaml"
    params = load_params(params_path)
    report = run_canary(params, params_path, trained_workspace)
    assert report.passed, report.problems
    assert report.rows == report.batch_matches > 0
    assert report.single_matches == report.single_requests > 0
    written = json.loads((trained_workspace / params.canary.report_path).read_text())
    assert written["passed"] is True
    assert "port" not in json.dumps(written)  # nothing that changes between runs
    # the timings go to a file of their own, with the model's version (monitor-6)
    bench = json.loads((trained_workspace / params.monitoring.performance.bench_path).read_text())
    assert bench["model_version"] == (report.model_sha256 or "")[:12]
    assert bench["requests"] == params.monitoring.performance.bench_requests
    assert 0 < bench["latency_ms"]["p50"] <= bench["latency_ms"]["p95"]
    assert bench["throughput_rows_per_s"] > 0


def test_canary_fails_and_stops_the_server_when_it_is_not_ready_in_time(trained_workspace):
    params_path = trained_workspace / "params.yaml"
    params = load_params(params_path)
    impatient = params.model_copy(
        update={"canary": params.canary.model_copy(update={"startup_timeout_s": 0.05})}
    )
    with pytest.raises(CanaryError, match="not ready"):
        run_canary(impatient, params_path, trained_workspace)
