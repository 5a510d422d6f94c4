"""Render the template and run commands in what it rendered.

Every test renders from a tagged clone of the working tree (``clone_working_tree``), never
from the last published tag, so uncommitted template changes are what gets tested. Every
render starts from the answers in ``answers/baseline.yml`` (``copy_project``).
"""

from __future__ import annotations

import os
import shutil
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
# The one tag of the template clone; a test that needs a second one adds it.
FIRST_TAG = "v1.0.0"
# The answers every render starts from; a combination or a test overrides some of them.
BASELINE_ANSWERS_FILE = Path(__file__).resolve().parent / "answers" / "baseline.yml"
BASELINE_ANSWERS: dict[str, Any] = yaml.safe_load(BASELINE_ANSWERS_FILE.read_text(encoding="utf-8"))
# The metrics for which a lower value is better. The generated package has its own set
# (modeling/metrics.py); the tests keep theirs, so that a wrong direction there is caught.
LOWER_IS_BETTER = frozenset({"mae", "rmse"})

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
    # A rendered project's many processes (DVC stages, CLI calls, its own pytest) each
    # import pandas and scikit-learn: without bytecode caches every one of them compiles
    # them again (6 s instead of 2 s each), so let Python write them, as it does for users.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    # The suite runs two workers on two cores: a rendered project's scikit-learn would
    # start two OpenMP threads per fit on top, and on small data contended OpenMP threads
    # are several times slower than one (the digits search: 178 s with two, 36 s with one).
    env.setdefault("OMP_NUM_THREADS", "1")
    # Likewise a rendered project's tests run in one process here (`make test`'s
    # TEST_WORKERS; `-n auto` in its CI workflow takes one worker): pytest-xdist workers of
    # its own would each build the session's fixtures again on cores the suite already fills.
    # conftest.py's `built` runs the default combination's `make all` with two workers.
    env.setdefault("TEST_WORKERS", "0")
    env.setdefault("PYTEST_XDIST_AUTO_NUM_WORKERS", "1")
    # This suite's own xdist worker variables (PYTEST_XDIST_WORKER, ...) describe this run,
    # not a project's: a project's pytest must not read them as its own.
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        env.pop(name, None)
    return env


def check_answers_are_questions(answers: Mapping[str, Any]) -> None:
    """Copier silently ignores unknown data keys; a typo in a test must fail loudly instead."""
    unknown = sorted(set(answers) - QUESTIONS)
    assert not unknown, f"not questions in copier.yml: {unknown}"


def clone_working_tree(destination: Path) -> Path:
    """Copy tracked and untracked-but-not-ignored files into a new repo tagged FIRST_TAG.

    Tests therefore see uncommitted changes, and ``copier update`` can be tested between
    two tags that only exist in this clone.
    """
    destination.mkdir(parents=True, exist_ok=True)
    listed = run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], TEMPLATE_ROOT
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = TEMPLATE_ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    git(destination, "init", "--quiet", "--initial-branch=main")
    commit_all(destination, "Template under test")
    git(destination, "tag", FIRST_TAG)
    return destination


def copy_project(
    template: Path,
    destination: Path,
    *,
    commit: bool = False,
    vcs_ref: str | None = FIRST_TAG,
    skip_tasks: bool = False,
    **answer_overrides: Any,
) -> Path:
    """Render ``template`` into ``destination``: the baseline answers, then the overrides.

    With ``commit``, what copier wrote is committed (its task made the folder a repository).
    """
    answers = {**BASELINE_ANSWERS, **answer_overrides}
    check_answers_are_questions(answers)
    # Copier runs its tasks (git init, uv lock) with plumbum's environment, not os.environ.
    environment = project_env()
    with local.env(**environment):
        for name in set(local.env.keys()) - set(environment):  # what project_env() removed
            local.env.pop(name)
        copier.run_copy(
            str(template),
            destination,
            data=answers,
            defaults=True,
            unsafe=True,
            quiet=True,
            vcs_ref=vcs_ref,
            skip_tasks=skip_tasks,
        )
    if commit:
        git(destination, "rev-parse", "--git-dir")  # copier's task made it a repository
        commit_all(destination, "Generated by copier-mlops")
    return destination


def copier_copy_command(template: Path, destination: Path, *options: str) -> list[str]:
    """`copier copy --defaults --trust` from the command line, as a user types it.

    The answers come from the same baseline file as ``copy_project``; ``--data`` in
    ``options`` overrides them.
    """
    return [
        sys.executable, "-m", "copier", "copy", "--defaults", "--trust",
        "--data-file", str(BASELINE_ANSWERS_FILE), *options, str(template), str(destination),
    ]  # fmt: skip


def copy_installed(project: Path, destination: Path) -> Path:
    """A working copy of an installed ``project`` at ``destination``, installed again.

    Everything but the environment, which holds absolute paths: uv makes a new one from its
    cache in seconds.
    """
    shutil.copytree(project, destination, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    run(["uv", "sync", "--frozen"], destination)
    return destination


# Not part of a project's state: its environment, Git's objects, DVC's cache and tool caches.
STATELESS_DIRS = frozenset(
    {".venv", ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
)
STATELESS_PATHS = frozenset({".dvc/cache", ".dvc/tmp"})


def project_files(project: Path) -> dict[str, bytes]:
    """Every file of ``project`` that is part of its state, by relative path: its content.

    Leaves out what only caches or the environment hold (``STATELESS_DIRS`` and
    ``STATELESS_PATHS``); Git's state is ``git_state``.
    """
    found: dict[str, bytes] = {}
    for folder, dirs, names in os.walk(project):
        relative = Path(folder).relative_to(project)
        dirs[:] = [
            name
            for name in dirs
            if name not in STATELESS_DIRS and (relative / name).as_posix() not in STATELESS_PATHS
        ]
        for name in names:
            path = Path(folder) / name
            if path.is_file() and not path.is_symlink():
                found[(relative / name).as_posix()] = path.read_bytes()
    return found


def git_state(project: Path) -> str:
    """The commit ``project`` has checked out and what Git sees changed since."""
    head = git(project, "rev-parse", "HEAD")
    return f"{head}\n" + git(project, "status", "--porcelain", "--untracked-files=all")


def read_answers(project: Path) -> dict[str, Any]:
    """The answers a rendered project recorded in its ``.copier-answers.yml``."""
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


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
