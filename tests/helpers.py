"""Render the template and run commands in what it rendered.

Every test renders from a tagged clone of the working tree (see ``conftest.py``), never
from the last published tag, so uncommitted template changes are what gets tested.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import copier
import yaml
from plumbum import local

TEMPLATE_ROOT = Path(__file__).resolve().parents[1]
COPIER_CONFIG = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text(encoding="utf-8"))
QUESTIONS = frozenset(key for key in COPIER_CONFIG if not key.startswith("_"))

# Only one interpreter is guaranteed on the machines that run these tests. A project
# generated for 3.12 or 3.13 pins that version in .python-version (used by CI and Docker);
# here uv is pointed at the interpreter running the tests instead, and never downloads one.
LOCAL_PYTHON = os.path.realpath(sys.executable)


def project_env() -> dict[str, str]:
    """Environment for commands run inside a rendered project."""
    env = dict(os.environ)
    env.update(
        {
            "UV_PYTHON": LOCAL_PYTHON,
            "UV_PYTHON_DOWNLOADS": "never",
            # The uv installed in this test environment, not a shell shim that may read
            # the project's .python-version and refuse to start.
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
            "GIT_AUTHOR_NAME": "Template Test",
            "GIT_AUTHOR_EMAIL": "template-test@example.com",
            "GIT_COMMITTER_NAME": "Template Test",
            "GIT_COMMITTER_EMAIL": "template-test@example.com",
            "NO_COLOR": "1",
        }
    )
    env.pop("VIRTUAL_ENV", None)
    return env


def check_answers_are_questions(answers: Mapping[str, Any]) -> None:
    """Copier silently ignores unknown data keys; a typo in a test must fail loudly instead."""
    unknown = sorted(set(answers) - QUESTIONS)
    assert not unknown, f"not questions in copier.yml: {unknown}"


def render(
    template: Path,
    destination: Path,
    answers: Mapping[str, Any],
    *,
    vcs_ref: str | None = None,
    skip_tasks: bool = False,
) -> Path:
    """Render ``template`` into ``destination`` non-interactively with ``answers``."""
    check_answers_are_questions(answers)
    # Copier runs its tasks (git init, uv lock) with plumbum's environment, not os.environ.
    with local.env(**project_env()):
        copier.run_copy(
            str(template),
            destination,
            data=dict(answers),
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref=vcs_ref,
            skip_tasks=skip_tasks,
        )
    return destination


def copier_copy_command(template: Path, destination: Path, *options: str) -> list[str]:
    """`copier copy --defaults --trust` from the command line, as a user types it."""
    return [
        sys.executable, "-m", "copier", "copy", "--defaults", "--trust", *options,
        str(template), str(destination),
    ]  # fmt: skip


def run(
    command: Sequence[str], cwd: Path, *, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in ``cwd``; on failure, show its output in the assertion message."""
    result = subprocess.run(
        list(command),
        cwd=cwd,
        env=project_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert result.returncode == 0, (
            f"{' '.join(command)} exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result


def git(cwd: Path, *args: str) -> str:
    return run(["git", *args], cwd).stdout.strip()


def commit_all(cwd: Path, message: str) -> None:
    git(cwd, "add", "-A")
    git(cwd, "commit", "--quiet", "--no-verify", "-m", message)


def rendered_files(project: Path) -> list[Path]:
    """Every file copier wrote (the .git and .venv folders excluded)."""
    skip = {".git", ".venv"}
    return [
        path
        for path in project.rglob("*")
        if path.is_file() and not skip.intersection(path.relative_to(project).parts)
    ]
