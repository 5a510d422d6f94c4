"""The serving side of a rendered project: image, manifests, and the API running for real.

Static checks run on every combination: hadolint on the Dockerfile, the shape of the
serving image, the .dockerignore, every Kubernetes manifest against the Kubernetes JSON
schemas (kubernetes-validate ships them, so this runs offline) and the compose file
against the compose specification's schema (vendored in check-jsonschema).

The slow checks use the projects that test_project_runs.py built (`make all`, so a trained
model exists). No container engine runs here, so the Dockerfile's own build commands are
executed in a fresh folder (tests/dockerfile.py reads them from the file), the server is
started with the Dockerfile's CMD, its HEALTHCHECK is run, and schemathesis fuzzes the
server's own OpenAPI document: no request may get a 5xx.
"""

from __future__ import annotations

import json
import re
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from . import dockerfile
from .combinations import COMBINATIONS, RUN_COMBINATIONS
from .conftest import FIRST_TAG
from .helpers import project_env, run

ALL = pytest.mark.parametrize("name", sorted(COMBINATIONS))
RUNS = pytest.mark.parametrize("name", RUN_COMBINATIONS)
FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"
NOT_IN_THE_IMAGE = ("pytest", "mypy", "ruff", "dvc", "ipykernel", "pre_commit", "nbstripout")
IN_THE_IMAGE = ("fastapi", "uvicorn", "sklearn", "pandas", "prometheus_client")


def _answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


# ---------------------------------------------------------------- container, static


@ALL
def test_dockerfile_passes_hadolint(rendered, name):
    project = rendered(name)
    result = run(["hadolint", "--no-color", "Dockerfile"], project, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@ALL
def test_serving_image_is_slim_non_root_healthchecked_and_runtime_only(rendered, name):
    project = rendered(name)
    answers = _answers(project)
    global_args, stages = dockerfile.parse((project / "Dockerfile").read_text())
    assert global_args["PYTHON_VERSION"] == answers["python_version"]
    names = [stage.name for stage in stages]
    assert names[-1] == "runtime", "docker build . must give the serving image"
    assert {"builder", "pipeline"} <= set(names)
    runtime = stages[-1]
    assert runtime.base == "python:${PYTHON_VERSION}-slim"
    assert re.fullmatch(r"[1-9][0-9]*(:[0-9]+)?", runtime.values("USER")[-1]), "numeric non-root"
    assert dockerfile.exec_form(runtime.values("CMD")[-1])[:2] == [answers["project_slug"], "serve"]
    assert len(runtime.values("HEALTHCHECK")) == 1
    syncs = [v for v in dockerfile.parse_runs(stages, "builder") if "uv sync" in v]
    assert syncs, "the builder installs with uv sync"
    for command in syncs:
        # Project dependencies only: no dev, test, pipeline or notebook group.
        assert "--frozen" in command
        assert "--no-default-groups" in command
        assert "--group" not in command
    pipeline_syncs = [v for v in dockerfile.parse_runs(stages, "pipeline") if "uv sync" in v]
    assert any("--group pipeline" in command for command in pipeline_syncs)


@ALL
def test_dockerignore_keeps_data_caches_secrets_and_history_out(rendered, name):
    project = rendered(name)
    ignored = {
        line.strip()
        for line in (project / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for entry in (".git", ".venv", "data", ".dvc/cache", ".dvc/config.local", ".env"):
        assert entry in ignored, entry
    assert {".pytest_cache", ".ruff_cache", ".mypy_cache", "**/__pycache__"} <= ignored
    assert not any(entry.startswith("models") for entry in ignored), "the model is baked in"


# ---------------------------------------------------------------- deployment, static


def _manifests(project: Path) -> dict[str, dict]:
    documents = {}
    for path in sorted((project / "deploy" / "k8s").glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            documents[document["kind"]] = document
    return documents


@ALL
def test_kubernetes_manifests_match_the_kubernetes_schemas(rendered, name):
    project = rendered(name)
    manifests = sorted(str(p) for p in (project / "deploy" / "k8s").glob("*.yaml"))
    result = run(["kubernetes-validate", "--strict", *manifests], project, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == len(manifests), result.stdout


@ALL
def test_kubernetes_manifests_probe_limit_and_drop_root(rendered, name):
    project = rendered(name)
    slug = _answers(project)["project_slug"]
    kinds = _manifests(project)
    assert {"Deployment", "Service", "HorizontalPodAutoscaler", "Job", "CronJob"} <= set(kinds)
    deployment = kinds["Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    api = pod["containers"][0]
    assert api["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert api["livenessProbe"]["httpGet"]["path"] == "/health"
    assert {"cpu", "memory"} <= set(api["resources"]["requests"])
    assert {"cpu", "memory"} <= set(api["resources"]["limits"])
    assert api["securityContext"]["allowPrivilegeEscalation"] is False
    assert api["securityContext"]["readOnlyRootFilesystem"] is True
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert kinds["Service"]["spec"]["selector"].items() <= labels.items()
    assert kinds["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]["name"] == slug
    jobs = [kinds["Job"]["spec"], kinds["CronJob"]["spec"]["jobTemplate"]["spec"]]
    for pod_spec in [pod] + [job["template"]["spec"] for job in jobs]:
        assert pod_spec["securityContext"]["runAsNonRoot"] is True
        assert pod_spec["securityContext"]["runAsUser"] > 0
    for job in jobs:
        container = job["template"]["spec"]["containers"][0]
        assert container["image"].split(":")[0].endswith(f"/{slug}-pipeline")
        assert "dvc" in " ".join(container["command"])


@ALL
def test_compose_file_matches_the_compose_spec_and_prometheus_scrapes_the_api(rendered, name):
    project = rendered(name)
    deploy = project / "deploy"
    result = run(
        ["check-jsonschema", "--builtin-schema", "vendor.compose-spec", "compose.yaml"],
        deploy,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    compose = yaml.safe_load((deploy / "compose.yaml").read_text())
    api = compose["services"]["api"]
    assert (deploy / api["build"]["context"] / "Dockerfile").is_file()
    _, stages = dockerfile.parse((project / "Dockerfile").read_text())
    assert api["build"]["target"] == stages[-1].name
    port = dockerfile.env_of(stages[-1])["SERVING_PORT"]
    assert any(mapping.endswith(f":{port}") for mapping in api["ports"])
    prometheus = compose["services"]["prometheus"]
    config_file = prometheus["volumes"][0].split(":")[0]
    scrape = yaml.safe_load((deploy / config_file).read_text())["scrape_configs"][0]
    assert scrape["metrics_path"] == "/metrics"
    assert scrape["static_configs"][0]["targets"] == [f"api:{port}"]


# ---------------------------------------------------------------- running for real


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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


@dataclass
class Server:
    image: dockerfile.Emulated
    base_url: str
    env: dict[str, str]
    process: subprocess.Popen


@pytest.fixture(scope="module")
def served(built, tmp_path_factory) -> Iterator:
    """Per combination: the serving image emulated from the Dockerfile, and its server."""
    servers: dict[str, Server] = {}
    logs = []

    def get(name: str) -> Server:
        if name not in servers:
            project, _ = built(name)
            root = tmp_path_factory.mktemp(f"image-{name}")
            emulator = dockerfile.DockerfileEmulator(
                project, project_env(), {"GIT_COMMIT": FAKE_COMMIT}
            )
            image = emulator.build(root)
            port = _free_port()
            # Listen on loopback only (the image says 0.0.0.0), on a free port.
            env = {**image.env, "SERVING_HOST": "127.0.0.1", "SERVING_PORT": str(port)}
            log = (root / "server.log").open("w")
            logs.append(log)
            process = subprocess.Popen(
                image.cmd, cwd=image.app, env=env, stdout=log, stderr=subprocess.STDOUT
            )
            server = Server(image, f"http://127.0.0.1:{port}", env, process)
            servers[name] = server
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                assert process.poll() is None, (root / "server.log").read_text()[-3000:]
                try:
                    if _call(f"{server.base_url}/ready")[0] == 200:
                        break
                except OSError:
                    pass
                time.sleep(0.3)
            else:
                pytest.fail(f"not ready in 120 s:\n{(root / 'server.log').read_text()[-3000:]}")
        return servers[name]

    yield get
    for server in servers.values():
        server.process.terminate()
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
    for log in logs:
        log.close()


@pytest.mark.slow
@RUNS
def test_pipeline_ran_the_canary_stage(built, name):
    project, _ = built(name)
    report = json.loads((project / "reports" / "canary.json").read_text())
    assert report["passed"] is True, report
    assert report["rows"] == report["batch_matches"] > 0


@pytest.mark.slow
@RUNS
def test_dockerfile_commands_build_and_start_a_server_that_predicts(served, name):
    server = served(name)
    app = server.image.app
    assert not (app / "src").exists(), "the package is installed, not copied"
    site_packages = next(app.glob(".venv/lib/python3*/site-packages"))
    installed = {path.name.lower() for path in site_packages.iterdir()}
    for package in NOT_IN_THE_IMAGE:
        assert package not in installed, f"{package} must not be in the serving image"
    for package in IN_THE_IMAGE:
        assert package in installed, package

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
    assert metadata["git_commit"] == FAKE_COMMIT  # the GIT_COMMIT build argument
    assert metadata["template_version"] == FIRST_TAG  # from the copied .copier-answers.yml
    assert len(metadata["model_sha256"]) == 64

    health = subprocess.run(
        server.image.healthcheck, cwd=app, env=server.env, capture_output=True, check=False
    )
    assert health.returncode == 0, health.stderr


@pytest.mark.slow
@RUNS
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
