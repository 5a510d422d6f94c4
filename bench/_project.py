"""The generated project a serving benchmark measures: rendered, trained, and the programs
in bench/in_project/ run with its interpreter."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import yaml

from bench._common import clone_working_tree, copy_project, project_env, read_answers

PROGRAMS = Path(__file__).resolve().parent / "in_project"
LAST_STAGE = "evaluate"  # the model, the test split and the evaluation a server may report


def sh(command: list[str], cwd: Path, timeout: float = 1200) -> str:
    """Run ``command`` in ``cwd`` with the project environment; its stdout, or RuntimeError."""
    result = subprocess.run(
        command, cwd=cwd, env=project_env(), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def render_default_project(scratch: Path) -> Path:
    template = clone_working_tree(scratch / "template")
    return copy_project(template, scratch / "project")


def prepare(project: Path) -> tuple[str, str]:
    """Install the project and, unless it has a model, run its stages up to LAST_STAGE in
    `dvc.yaml` order; returns the project's slug and package name."""
    answers = read_answers(project)
    slug, package = answers["project_slug"], answers["package_name"]
    sh(["uv", "sync", "--frozen"], project)
    params = yaml.safe_load((project / "params.yaml").read_text())
    model_dir = project / params["train"]["model_dir"]
    if not model_dir.is_dir() or not any(model_dir.iterdir()):
        stages = list(yaml.safe_load((project / "dvc.yaml").read_text())["stages"])
        for stage in stages[: stages.index(LAST_STAGE) + 1]:
            sh(["uv", "run", "--frozen", slug, stage], project)
    return slug, package


def run_program(
    project: Path, name: str, *args: str, overlay: tuple[str, ...] = (), timeout: float = 1200
) -> Any:
    """Run bench/in_project/``name``.py with the project's interpreter (plus ``overlay``
    packages, e.g. ``("mlflow",)``); the JSON of its last line of output."""
    with_packages = [option for package in overlay for option in ("--with", package)]
    command = ["uv", "run", "--frozen", *with_packages, "python", str(PROGRAMS / f"{name}.py")]
    output = sh([*command, *args], project, timeout=timeout)
    return json.loads(output.strip().splitlines()[-1])
