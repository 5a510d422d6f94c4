"""The API of a rendered project, running for real (slow).

The tests use the projects that test_project_runs.py built (`make all`, so a trained model
exists) and the server that the emulated serving image starts (the `served` fixture: the
Dockerfile's commands and CMD, see tests/test_container.py). The canary stage of the
pipeline passed; the server answers `/openapi.json`, `/predict`, `/predict/batch` and
`/metadata`; schemathesis fuzzes the server's own OpenAPI document: no request may get a 5xx.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

from .combinations import EVERY_RUN_COMBINATION
from .helpers import FIRST_TAG, run

pytestmark = [pytest.mark.slow, EVERY_RUN_COMBINATION]


def _call(url: str, payload: object = None) -> tuple[int, object]:
    data = None if payload is None else json.dumps(payload).encode()
    request = urllib.request.Request(  # noqa: S310 - loopback URL built by the test
        url, data=data, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            body = response.read()
            kind = response.headers.get("content-type", "")
            return response.status, json.loads(body) if "json" in kind else body.decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_pipeline_ran_the_canary_stage(built, name):
    project, _ = built(name)
    report = json.loads((project / "reports" / "canary.json").read_text())
    assert report["passed"] is True, report
    assert report["rows"] == report["batch_matches"] > 0


def test_server_predicts_and_reports_its_build(served, name):
    server = served(name)
    status, document = _call(f"{server.base_url}/openapi.json")
    assert status == 200
    example = document["components"]["schemas"]["Record"]["examples"][0]
    status, answer = _call(f"{server.base_url}/predict", example)
    assert status == 200, answer
    assert answer["prediction"] is not None
    status, answer = _call(f"{server.base_url}/predict/batch", [example] * 3)
    assert status == 200, answer
    assert len(answer["predictions"]) == 3

    status, metadata = _call(f"{server.base_url}/metadata")
    assert status == 200, metadata
    assert metadata["git_commit"] == server.git_commit  # the GIT_COMMIT build argument
    assert metadata["template_version"] == FIRST_TAG  # from the copied .copier-answers.yml
    assert len(metadata["model_sha256"]) == 64


def test_schemathesis_finds_no_server_error(served, name, tmp_path):
    server = served(name)
    # A batch over the size limit gets 413, which schemathesis must accept as a rejection.
    config = tmp_path / "schemathesis.toml"
    config.write_text(
        '[checks.negative_data_rejection]\nexpected-statuses = ["400", "413", "422"]\n'
    )
    result = run(
        [
            "schemathesis",
            "--config-file",
            str(config),
            "--no-color",
            "run",
            f"{server.base_url}/openapi.json",
            "--checks",
            "all",
            "--max-examples",
            "100",
            "--seed",
            "20251129",
            "--generation-database",
            "none",
            "--workers",
            "1",
            "--request-timeout",
            "30",
        ],
        tmp_path,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-6000:]
    status, metrics = _call(f"{server.base_url}/metrics")
    assert status == 200
    assert 'path="/predict"' in metrics
    server_errors = re.findall(r'http_requests_total\{[^}]*status="5\d\d"\} ([0-9.]+)', metrics)
    assert not server_errors, server_errors
