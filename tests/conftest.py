"""Fixtures: a tagged clone of the working tree, and projects rendered from it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .combinations import COMBINATIONS
from .helpers import TEMPLATE_ROOT, commit_all, git, render, run

FIRST_TAG = "v1.0.0"


def _clone_working_tree(destination: Path) -> Path:
    """Copy tracked and untracked-but-not-ignored files into a new repo tagged FIRST_TAG.

    Tests therefore see uncommitted changes, and ``copier update`` can be tested between
    two tags that only exist in this clone.
    """
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


@pytest.fixture(scope="session")
def template_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _clone_working_tree(tmp_path_factory.mktemp("template"))


@pytest.fixture
def fresh_template_clone(template_clone: Path, tmp_path: Path) -> Path:
    """A private copy of the clone that a test may change and tag again."""
    copy = tmp_path / "template"
    shutil.copytree(template_clone, copy, symlinks=True)
    return copy


@pytest.fixture(scope="session")
def rendered(template_clone: Path, tmp_path_factory: pytest.TempPathFactory):
    """Render each named combination once per session; returns a lookup function."""
    cache: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in cache:
            destination = tmp_path_factory.mktemp(name) / "project"
            cache[name] = render(template_clone, destination, COMBINATIONS[name], vcs_ref=FIRST_TAG)
        return cache[name]

    return get
