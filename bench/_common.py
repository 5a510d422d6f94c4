"""Shared helpers for the benchmarks: a tagged clone of the working tree, and a timer."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import _clone_working_tree  # noqa: E402 - needs ROOT on sys.path
from tests.helpers import copier_copy_command, project_env  # noqa: E402, F401 - re-exported


def clone_template(destination: Path) -> Path:
    """The same tagged clone of the working tree that the tests render from."""
    destination.mkdir(parents=True, exist_ok=True)
    return _clone_working_tree(destination)


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
