"""Run git in the project: the registry and the delivery metrics read everything from it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import ProjectError


class GitError(ProjectError, RuntimeError):
    """git is missing or a git command failed; the message carries git's own error."""


def git(root: Path, *args: str) -> str:
    """The standard output of ``git args`` run in ``root``."""
    executable = shutil.which("git")
    if executable is None:
        raise GitError("git is not installed or not on PATH")
    completed = subprocess.run(  # noqa: S603 - fixed executable, arguments from this package
        [executable, *args], cwd=root, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise GitError(f"git {' '.join(args)} failed: {completed.stderr.strip()}")
    return completed.stdout


def has_commits(root: Path) -> bool:
    """Whether ``root`` is in a Git repository with at least one commit."""
    try:
        git(root, "rev-parse", "--verify", "--quiet", "HEAD")
    except GitError:
        return False
    return True


def repository_and_prefix(root: Path) -> tuple[Path, str]:
    """The repository's top folder and ``root``'s path in it ("" at the top, else "sub/").

    A project may live in a subfolder of a larger repository; DVC and ``git show`` then
    name its files from the top.
    """
    top = Path(git(root, "rev-parse", "--show-toplevel").strip())
    return top, git(root, "rev-parse", "--show-prefix").strip()
