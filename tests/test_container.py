"""The serving image of a rendered project: its Dockerfile, and the image it builds.

Static checks run on every combination: hadolint on the Dockerfile, the shape of the
serving image and the .dockerignore.

The slow check uses the projects that test_project_runs.py built (`make all`, so a trained
model exists). No container engine runs here, so the Dockerfile's own build commands are
executed in a fresh folder (tests/dockerfile.py reads them from the file, see the `served`
fixture), the server is started with the Dockerfile's CMD, and its HEALTHCHECK is run.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from . import dockerfile
from .combinations import EVERY_COMBINATION, EVERY_RUN_COMBINATION
from .helpers import read_answers, run

NOT_IN_THE_IMAGE = (
    *("pytest", "mypy", "ruff", "dvc", "ipykernel", "pre_commit", "nbstripout"),
    "plotly",  # the monitoring group: `monitor`'s HTML report, never served
)
IN_THE_IMAGE = ("fastapi", "uvicorn", "sklearn", "pandas", "prometheus_client")


@EVERY_COMBINATION
def test_dockerfile_passes_hadolint(rendered, name):
    project = rendered(name)
    result = run(["hadolint", "--no-color", "Dockerfile"], project, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@EVERY_COMBINATION
def test_serving_image_is_slim_non_root_healthchecked_and_runtime_only(rendered, name):
    project = rendered(name)
    answers = read_answers(project)
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


@EVERY_COMBINATION
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


@pytest.mark.slow
@EVERY_RUN_COMBINATION
def test_dockerfile_commands_build_a_runtime_only_image_whose_healthcheck_passes(served, name):
    server = served(name)
    app = server.image.app
    assert not (app / "src").exists(), "the package is installed, not copied"
    site_packages = next(app.glob(".venv/lib/python3*/site-packages"))
    installed = {path.name.lower() for path in site_packages.iterdir()}
    for package in NOT_IN_THE_IMAGE:
        assert package not in installed, f"{package} must not be in the serving image"
    for package in IN_THE_IMAGE:
        assert package in installed, package

    health = subprocess.run(
        server.image.healthcheck, cwd=app, env=server.env, capture_output=True, check=False
    )
    assert health.returncode == 0, health.stderr
