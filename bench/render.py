"""Median render time of `copier copy --defaults` and the number of files generated.

Two figures: the render alone (`--skip-tasks`), and the render with the copy tasks
(`git init` and `uv lock`, warm uv cache), since a user runs both.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench._common import clone_working_tree, copier_copy_command, run, summary, timed

RUNS = 5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=RUNS)
    runs = parser.parse_args().runs
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        template = clone_working_tree(scratch_path / "template")

        def render(index: int, *extra: str) -> Path:
            destination = scratch_path / f"project-{index}{'-'.join(extra)}"
            run(copier_copy_command(template, destination, "--quiet", *extra), scratch_path)
            return destination

        bare = [timed(lambda i=i: render(i, "--skip-tasks")) for i in range(runs)]
        with_tasks = [timed(lambda i=i: render(i)) for i in range(runs)]
        project = scratch_path / "project-0--skip-tasks"
        files = [p for p in project.rglob("*") if p.is_file() and ".git" not in p.parts]
    print(f"render only (--skip-tasks):       {summary(bare)}")
    print(f"render + tasks (git init, uv lock): {summary(with_tasks)}")
    print(f"files generated (defaults, before tasks): {len(files)}")


if __name__ == "__main__":
    main()
