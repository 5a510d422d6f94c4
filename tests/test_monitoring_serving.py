"""The serving side of monitoring in a rendered project: Prometheus's configuration and
alert rules, and a real Prometheus server that scrapes the running API.

promtool checks `deploy/prometheus.yml` and `deploy/alerts.yml` and runs the rules' unit
tests (`deploy/alerts.test.yml`: each alert fires on a series that breaks it and stays
silent on a healthy one). The slow test serves a trained project on loopback, sends it
requests with missing values, starts Debian's Prometheus with the shipped configuration
(pointed at that server, scraping every second, loading the shipped rules) and reads the
model's metrics back through Prometheus's HTTP query API. .ci/run installs Prometheus; where
it is absent the tests skip and say so.
"""

from __future__ import annotations

import json
import shutil
import time
import urllib.parse
import urllib.request
from typing import Any

import pytest
import yaml

from .helpers import copy_installed, project_env, read_answers, run
from .server import free_port, running_server

PROMTOOL = shutil.which("promtool")
PROMETHEUS = shutil.which("prometheus")
needs_promtool = pytest.mark.skipif(
    PROMTOOL is None, reason="promtool is not installed (Debian: apt-get install prometheus)"
)
needs_prometheus = pytest.mark.skipif(
    PROMETHEUS is None, reason="prometheus is not installed (Debian: apt-get install prometheus)"
)
ALERTS = {
    "PredictLatencyHigh",
    "ServerErrorRateHigh",
    "RefusedRequestRateHigh",
    "InputMissingRateHigh",
    "ModelStale",
    "ModelNotReady",
    "PredictionLogLosingRecords",
}
MISSING_RECORDS = 3  # records sent with one feature missing


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
        return json.loads(response.read())


def _post(url: str, payload: Any, request_id: str) -> tuple[Any, str]:
    request = urllib.request.Request(  # noqa: S310 - loopback URL built here
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", "X-Request-ID": request_id},
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read()), response.headers["X-Request-ID"]


@needs_promtool
def test_promtool_accepts_the_config_and_the_rules_and_their_unit_tests_pass(rendered):
    deploy = rendered("defaults") / "deploy"
    config = yaml.safe_load((deploy / "prometheus.yml").read_text())
    assert config["rule_files"] == ["alerts.yml"]
    result = run([PROMTOOL, "check", "config", "prometheus.yml"], deploy)
    assert "SUCCESS: 1 rule files found" in result.stdout + result.stderr
    result = run([PROMTOOL, "check", "rules", "alerts.yml"], deploy)
    assert f"SUCCESS: {len(ALERTS)} rules found" in result.stdout + result.stderr
    groups = yaml.safe_load((deploy / "alerts.yml").read_text())["groups"]
    assert {rule["alert"] for group in groups for rule in group["rules"]} == ALERTS
    tested = {
        case["alertname"]
        for test in yaml.safe_load((deploy / "alerts.test.yml").read_text())["tests"]
        for case in test["alert_rule_test"]
    }
    assert tested == ALERTS, "every alert has a unit test"
    run([PROMTOOL, "test", "rules", "alerts.test.yml"], deploy)


def _query(prometheus: str, expression: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"query": expression})
    answer = _get(f"{prometheus}/api/v1/query?{query}")
    assert answer["status"] == "success", answer
    return answer["data"]["result"]


def _wait_for(prometheus: str, expression: str, timeout: float = 60) -> list[dict[str, Any]]:
    """The result of ``expression`` once it is not empty (scrapes come every second)."""
    deadline = time.monotonic() + timeout
    while not (result := _query(prometheus, expression)):
        assert time.monotonic() < deadline, f"Prometheus never answered {expression}"
        time.sleep(0.5)
    return result


def _evaluated_rules(prometheus: str, timeout: float = 60) -> dict[str, str]:
    """Each alert rule's health once Prometheus has evaluated them all."""
    deadline = time.monotonic() + timeout
    while True:
        groups = _get(f"{prometheus}/api/v1/rules?type=alert")["data"]["groups"]
        health = {rule["name"]: rule["health"] for group in groups for rule in group["rules"]}
        if health and "unknown" not in health.values():
            return health
        assert time.monotonic() < deadline, f"the rules were not evaluated: {health}"
        time.sleep(0.5)


@pytest.mark.slow
@needs_prometheus
def test_prometheus_scrapes_the_model_metrics_of_the_running_api(built, tmp_path):
    # A copy: the server writes its prediction log into the project it serves.
    project = copy_installed(built("defaults")[0], tmp_path / "project")
    slug = read_answers(project)["project_slug"]
    api_port, prometheus_port = free_port(), free_port()
    serve = [str(project / ".venv" / "bin" / slug), "serve", "--port", str(api_port)]
    with running_server(serve, project, project_env(), api_port, timeout=120) as api:
        document = _get(f"{api}/openapi.json")
        record_schema = document["components"]["schemas"]["Record"]
        example = record_schema["examples"][0]
        nullable = [
            name
            for name, field in record_schema["properties"].items()
            if {"type": "null"} in field.get("anyOf", [])
        ]
        feature = nullable[0]
        _post(f"{api}/predict/batch", [{**example, feature: None}] * MISSING_RECORDS, "batch-1")
        _, request_id = _post(f"{api}/predict", example, "single-1")
        assert request_id == "single-1"

        # The shipped configuration and rules, pointed at this server, scraping every second.
        config = yaml.safe_load((project / "deploy" / "prometheus.yml").read_text())
        config["global"].update({"scrape_interval": "1s", "evaluation_interval": "1s"})
        config["scrape_configs"][0]["static_configs"] = [{"targets": [f"127.0.0.1:{api_port}"]}]
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        shutil.copy(project / "deploy" / "alerts.yml", tmp_path / "alerts.yml")
        command = [
            str(PROMETHEUS),
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{prometheus_port}",
        ]
        with running_server(
            command, tmp_path, project_env(), prometheus_port, ready_path="/-/ready", timeout=60
        ) as prometheus:
            [ready] = _wait_for(prometheus, f'model_ready{{job="{slug}"}}')
            assert float(ready["value"][1]) == 1
            [missing] = _wait_for(prometheus, f'model_input_missing_total{{feature="{feature}"}}')
            assert float(missing["value"][1]) == MISSING_RECORDS
            [trained] = _wait_for(prometheus, "model_trained_timestamp_seconds")
            model_file = project / "models" / "model.pkl"
            assert float(trained["value"][1]) == pytest.approx(model_file.stat().st_mtime)
            written = 'prediction_log_records_total{outcome="written"}'
            _wait_for(prometheus, f"{written} == {MISSING_RECORDS + 1}")
            predictions = _wait_for(prometheus, "sum(model_predictions_total)")
            assert float(predictions[0]["value"][1]) == MISSING_RECORDS + 1
            assert _evaluated_rules(prometheus) == dict.fromkeys(ALERTS, "ok")

    # The served predictions were recorded, under the ids the client sent.
    log = project / "logs" / "predictions" / "predictions.jsonl"
    ids = [json.loads(line)["request_id"] for line in log.read_text().splitlines()]
    sent = [*(f"batch-1:{index}" for index in range(MISSING_RECORDS)), "single-1"]
    assert ids[-len(sent) :] == sent
