"""Start-up cost of the generated command line: `<slug> --help` and a whole `dvc repro`.

Renders the default project twice: from the last commit (``git archive HEAD``: before) and
from the working tree (after), so that a change to what the commands import is measured
against its reference in the same run, on the same machine state. For each project:

- `<slug> --help`: wall time of the installed console script, ``--runs`` times;
- `dvc repro --force`: every stage of the pipeline, ``--repro-runs`` times, after one
  untimed run that warms the file cache.

The runs of the two projects alternate. The load average is printed before and after:
other work on the machine slows both figures.

    uv run python -m bench.startup [--runs 9] [--repro-runs 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import tomllib
from pathlib import Path

from bench._common import clone_working_tree, copier_copy_command, run, summary, timed

ROOT = Path(__file__).resolve().parents[1]
RUNS = 9
REPRO_RUNS = 2


def head_archive(destination: Path) -> Path:
    """The template as of the last commit, in a plain folder."""
    destination.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "HEAD"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(destination)], input=archive, check=True)
    return destination


def render(template: Path, destination: Path) -> Path:
    """Render with the copy tasks (git init, uv lock), then install the locked dependencies.

    Compiled, as a user's first run leaves them: with PYTHONDONTWRITEBYTECODE set (as on
    the development machine) every command would otherwise compile pandas again.
    """
    run(copier_copy_command(template, destination, "--quiet"), destination.parent)
    run(["uv", "sync", "--frozen", "--quiet", "--compile-bytecode"], destination)
    return destination


def console_script(project: Path) -> Path:
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    (name,) = pyproject["project"]["scripts"]
    return project / ".venv" / "bin" / name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS, help="--help runs per project")
    parser.add_argument("--repro-runs", type=int, default=REPRO_RUNS)
    options = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as scratch:
        scratch_path = Path(scratch)
        projects = {
            "before (HEAD)": render(head_archive(scratch_path / "head"), scratch_path / "before"),
            "after (working tree)": render(
                clone_working_tree(scratch_path / "tree"), scratch_path / "after"
            ),
        }
        help_times: dict[str, list[float]] = {name: [] for name in projects}
        repro_times: dict[str, list[float]] = {name: [] for name in projects}
        for project in projects.values():
            run(["uv", "run", "--frozen", "dvc", "repro"], project)  # untimed warm-up
        for _ in range(options.runs):
            for name, project in projects.items():
                script = str(console_script(project))
                help_times[name].append(timed(lambda s=script, p=project: run([s, "--help"], p)))
        for _ in range(options.repro_runs):
            for name, project in projects.items():
                command = ["uv", "run", "--frozen", "dvc", "repro", "--force"]
                repro_times[name].append(timed(lambda c=command, p=project: run(c, p)))
    print(f"load average after:  {os.getloadavg()[0]:.2f}")
    for name in projects:
        print(f"{name:22s} --help     {summary(help_times[name])}")
    for name in projects:
        print(f"{name:22s} dvc repro  {summary(repro_times[name])}")


if __name__ == "__main__":
    main()
