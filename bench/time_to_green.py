"""Time from `copier copy --defaults` to a green `make all`, with a warm package cache.

    uv run python -m bench.time_to_green [--ref REF ...]

The working tree, and each ``--ref`` (a commit of this repository, e.g. d7bb71d) in the
same run, one after the other, so that machine noise hits them alike.

`make all` installs the locked dependencies, lints, type-checks, runs the project's tests,
runs the whole DVC pipeline and shows the metrics. A warm-up run first fills uv's cache
so the figure measures the project, not the network. The commands run in a user's
environment: without the template tests' settings that run a project's tests in one process
(until 2026-12-07 the benchmark kept them, so its `make all` ran the tests in one process).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench._common import checkout_ref, clone_working_tree, copier_copy_command, project_env, run

# The template's test environment runs a project's tests in one process, on one OpenMP
# thread (its own workers fill the cores); a user's `make all` has neither setting.
TEST_SUITE_ONLY = ("TEST_WORKERS", "PYTEST_XDIST_AUTO_NUM_WORKERS", "OMP_NUM_THREADS")


def users_environment() -> dict[str, str]:
    return {k: v for k, v in project_env().items() if k not in TEST_SUITE_ONLY}


def copy_and_make_all(template: Path, destination: Path) -> dict[str, float]:
    phases: dict[str, float] = {}
    start = time.perf_counter()
    run(
        copier_copy_command(template, destination, "--quiet"),
        destination.parent,
        users_environment(),
    )
    phases["copier copy (with git init, uv lock)"] = time.perf_counter() - start
    mark = time.perf_counter()
    run(["make", "all"], destination, users_environment())
    phases["make all"] = time.perf_counter() - mark
    phases["total (time to green)"] = time.perf_counter() - start
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", action="append", default=[])
    refs = parser.parse_args().ref
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        templates = {"working tree": clone_working_tree(scratch_path / "template")}
        for ref in refs:
            templates[ref] = checkout_ref(ref, scratch_path / f"template-{ref}")
        for index, (name, template) in enumerate(templates.items()):
            copy_and_make_all(template, scratch_path / f"warm-up-{index}")  # fills uv's cache
            phases = copy_and_make_all(template, scratch_path / f"measured-{index}")
            print(name)
            for phase, seconds in phases.items():
                print(f"  {phase:40s} {seconds:6.1f} s")


if __name__ == "__main__":
    main()
