"""Fixtures: a tagged clone of the working tree, projects rendered from it, and servers.

Each project fixture renders a named combination once per session and returns a lookup
function: ``rendered(name)``, ``built(name)``, ``served(name)``.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import dockerfile
from .combinations import COMBINATIONS
from .helpers import clone_working_tree, copy_project, project_env, run
from .server import free_port, running_server

# The GIT_COMMIT build argument of the emulated serving image.
FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="session")
def template_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_working_tree(tmp_path_factory.mktemp("template"))


@pytest.fixture
def fresh_template_clone(template_clone: Path, tmp_path: Path) -> Path:
    """A private copy of the clone that a test may change and tag again."""
    copy = tmp_path / "template"
    shutil.copytree(template_clone, copy, symlinks=True)
    return copy


@pytest.fixture(scope="session")
def rendered(
    template_clone: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], Path]:
    """Render each named combination once per session; returns a lookup function."""

    @functools.cache
    def get(name: str) -> Path:
        destination = tmp_path_factory.mktemp(name) / "project"
        return copy_project(template_clone, destination, **COMBINATIONS[name])

    return get


@pytest.fixture(scope="session")
def built(
    template_clone: Path, tmp_path_factory: pytest.TempPathFactory
) -> Callable[[str], tuple[Path, str]]:
    """Render, commit and run `make all` once per combination and session.

    Returns a lookup function giving the project folder and the output of `make all`; the
    project has a trained model, so the container and API tests share it with
    test_project_runs.py.
    """

    @functools.cache
    def get(name: str) -> tuple[Path, str]:
        destination = tmp_path_factory.mktemp(name) / "project"
        project = copy_project(template_clone, destination, commit=True, **COMBINATIONS[name])
        make = run(["make", "all"], project, timeout=1200)
        return project, make.stdout

    return get


@dataclass(frozen=True)
class Server:
    """The serving image emulated from a built project's Dockerfile, and its server."""

    image: dockerfile.Emulated
    base_url: str
    env: dict[str, str]
    git_commit: str  # the GIT_COMMIT build argument the image was built with


@pytest.fixture(scope="session")
def served(
    built: Callable[[str], tuple[Path, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Server]]:
    """Per combination: the serving image emulated from the Dockerfile, and its server.

    The image's own commands build it (tests/dockerfile.py) and its CMD starts the server,
    which runs until the session ends.
    """
    with ExitStack() as servers:

        @functools.cache
        def get(name: str) -> Server:
            project, _ = built(name)
            root = tmp_path_factory.mktemp(f"image-{name}")
            emulator = dockerfile.DockerfileEmulator(
                project, project_env(), {"GIT_COMMIT": FAKE_COMMIT}
            )
            image = emulator.build(root)
            port = free_port()
            # Listen on loopback only (the image says 0.0.0.0), on a free port.
            env = {**image.env, "SERVING_HOST": "127.0.0.1", "SERVING_PORT": str(port)}
            base_url = servers.enter_context(
                running_server(
                    image.cmd, image.app, env, port, timeout=120, log=root / "server.log"
                )
            )
            return Server(image, base_url, env, FAKE_COMMIT)

        yield get
