"""The size of the default generated project: files, and lines of Python in src/ and tests/.

    uv run python -m bench.project_size [--ref REF ...]

Renders the working tree and each ``--ref`` (a commit of this repository, e.g. d7bb71d, the
main of issue 19's measurements) with ``copier copy --defaults --skip-tasks``, in the same
run, and prints one line each. Files are counted as rendered (before `git init`, the lock
and the library's wheel that the copy tasks add).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from bench._common import checkout_ref, clone_working_tree, copier_copy_command, run


def _python_lines(folder: Path) -> tuple[int, int]:
    files = list(folder.rglob("*.py"))
    return len(files), sum(len(f.read_text(encoding="utf-8").splitlines()) for f in files)


def measure(template: Path, destination: Path) -> str:
    run(copier_copy_command(template, destination, "--quiet", "--skip-tasks"), destination.parent)
    files = [p for p in destination.rglob("*") if p.is_file() and ".git" not in p.parts]
    src_files, src_lines = _python_lines(destination / "src")
    test_files, test_lines = _python_lines(destination / "tests")
    return (
        f"{len(files)} files; Python: src/ {src_files} files, {src_lines} lines; "
        f"tests/ {test_files} files, {test_lines} lines; together {src_lines + test_lines} lines"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--ref", action="append", default=[])
    refs = parser.parse_args().ref
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        templates = {"working tree": clone_working_tree(folder / "template")}
        for ref in refs:
            templates[ref] = checkout_ref(ref, folder / f"template-{ref}")
        for index, (name, template) in enumerate(templates.items()):
            print(f"{name:14s} {measure(template, folder / f'project-{index}')}")


if __name__ == "__main__":
    main()
