"""Time from `copier copy --defaults` to a green `make all`, with a warm package cache.

    uv run python -m bench.time_to_green [--ref REF ...]

The working tree, and each ``--ref`` (a commit of this repository, e.g. d7bb71d) in the
same run, one after the other, so that machine noise hits them alike.

`make all` installs the locked dependencies, lints, type-checks, runs the project's tests,
runs the whole DVC pipeline and shows the metrics. A warm-up run first fills uv's cache
so the figure measures the project, not the network.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench._common import checkout_ref, clone_working_tree, copier_copy_command, run


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
