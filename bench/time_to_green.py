"""Time from `copier copy --defaults` to a green `make all`, with a warm package cache.

`make all` installs the locked dependencies, lints, type-checks, runs the project's tests,
runs the whole DVC pipeline and shows the metrics. A warm-up run first fills uv's cache
so the figure measures the project, not the network.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench._common import clone_working_tree, copier_copy_command, run


def copy_and_make_all(template: Path, destination: Path) -> dict[str, float]:
    phases: dict[str, float] = {}
    start = time.perf_counter()
    run(copier_copy_command(template, destination, "--quiet"), destination.parent)
    phases["copier copy (with git init, uv lock)"] = time.perf_counter() - start
    mark = time.perf_counter()
    run(["make", "all"], destination)
    phases["make all"] = time.perf_counter() - mark
    phases["total (time to green)"] = time.perf_counter() - start
    return phases


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        template = clone_working_tree(scratch_path / "template")
        copy_and_make_all(template, scratch_path / "warm-up")
        phases = copy_and_make_all(template, scratch_path / "measured")
    for name, seconds in phases.items():
        print(f"{name:40s} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
