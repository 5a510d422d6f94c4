"""Fixtures: a tagged clone of the working tree, projects rendered from it, and servers.

Each project fixture renders a named combination once per session and returns a lookup
function: ``rendered(name)``, ``built(name)``, ``served(name)``.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from . import dockerfile
from .combinations import COMBINATIONS
from .helpers import (
    clone_working_tree,
    copy_installed,
    copy_project,
    git_state,
    project_env,
    project_files,
    run,
)
from .server import free_port, running_server

# The GIT_COMMIT build argument of the emulated serving image.
FAKE_COMMIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="session")
def template_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return clone_working_tree(tmp_path_factory.mktemp("template"))


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
def shared_folder(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """A folder that every xdist worker of this session sees (the session's own without)."""
    base = tmp_path_factory.getbasetemp()
    return base if worker_id == "master" else base.parent


@pytest.fixture(scope="session", autouse=True)
def _one_mypy_cache(shared_folder: Path) -> Iterator[None]:
    """Every rendered project's mypy (make all, CI's lint job, ...) shares one cache.

    Most of a cold run is spent analysing the same third-party packages in every project;
    mypy checks each cached module against its source's hash, so sharing changes no result.
    """
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MYPY_CACHE_DIR", str(shared_folder / "mypy-cache"))
        yield


class BuiltProjects:
    """Each worker's copy of each built project, shared by its tests, and guarded.

    Tests only read a built project (or change it and put every byte back, as
    test_bad_input.py does); a test that needs to change it for good works in a copy of its
    own (``copy_installed``). Which modules share a worker depends on timing, so a change
    left behind would make later tests pass or fail by chance: ``check_unchanged`` runs
    after every test and fails the test that changed a copy, naming what changed, then
    replaces the copy with a clean one so no other test sees the change.
    """

    def __init__(self, template: Path, tmp_path_factory: pytest.TempPathFactory, shared: Path):
        self.template, self.tmp_path_factory, self.shared = template, tmp_path_factory, shared
        self.copies: dict[str, tuple[Path, str, dict[str, str]]] = {}

    def __call__(self, name: str) -> tuple[Path, str]:
        if name not in self.copies:
            self.copies[name] = self._copy(name, self.tmp_path_factory.mktemp(name) / "project")
        project, make_output, _ = self.copies[name]
        return project, make_output

    def _copy(self, name: str, destination: Path) -> tuple[Path, str, dict[str, str]]:
        shared = build_once(self.shared / f"built-{name}", self.template, name)
        project = copy_installed(shared, destination)
        make_output = (shared.parent / MAKE_OUTPUT).read_text(encoding="utf-8")
        return project, make_output, _fingerprint(project)

    def check_unchanged(self, test: str) -> None:
        changed = {}
        for name, (project, _, before) in self.copies.items():
            after = _fingerprint(project)
            if after != before:
                changed[name] = sorted(key for key in before.keys() | after.keys()
                                       if before.get(key) != after.get(key))  # fmt: skip
                shutil.rmtree(project)  # a clean copy in its place, for the tests after it
                self.copies[name] = self._copy(name, project)
        if changed:
            pytest.fail(
                f"{test} changed the shared built project(s) {changed}: tests only read what "
                "built() returns; to change it, work in a copy (tests/helpers.py::copy_installed)",
                pytrace=False,
            )


def _fingerprint(project: Path) -> dict[str, str]:
    """A digest of every file that is part of ``project``'s state, and Git's view of it."""
    state = {name: hashlib.sha256(content).hexdigest()
             for name, content in project_files(project).items()}  # fmt: skip
    state[".git (HEAD and status)"] = git_state(project)
    return state


@pytest.fixture(scope="session")
def built(
    template_clone: Path, tmp_path_factory: pytest.TempPathFactory, shared_folder: Path
) -> BuiltProjects:
    """Render, commit and run `make all` once per combination and session.

    ``built(name)`` gives the project folder and the output of `make all`; the project has a
    trained model, so the container and API tests share it with test_project_runs.py. The
    first worker to need a combination builds it (the others wait for it rather than build
    it again); each worker then gets its own copy, which no test may change (BuiltProjects).
    """
    return BuiltProjects(template_clone, tmp_path_factory, shared_folder)


@pytest.fixture(autouse=True)
def _built_projects_stay_unchanged(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "built" in request.fixturenames:
        request.getfixturevalue("built").check_unchanged(request.node.nodeid)


MAKE_OUTPUT, BUILD_FAILURE = "make-all.out", "build-failed.txt"


def build_once(folder: Path, template: Path, name: str) -> Path:
    """``folder/project``: combination ``name`` rendered, committed and built by `make all`.

    Under a file lock, so that of all the workers only the first builds it; a failed build
    is recorded, and every later caller fails with its message instead of building again.
    The project is never changed afterwards: callers copy it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / "build.lock"):
        if (folder / BUILD_FAILURE).exists():
            pytest.fail(f"building {name} failed earlier in this session:\n"
                        + (folder / BUILD_FAILURE).read_text(encoding="utf-8"))  # fmt: skip
        if not (folder / MAKE_OUTPUT).exists():
            try:
                project = copy_project(
                    template, folder / "project", commit=True, **COMBINATIONS[name]
                )
                # The default combination runs its tests as a user's `make all` does, in
                # pytest-xdist workers (helpers.project_env makes the others use one process).
                workers = ["TEST_WORKERS=2"] if name == "defaults" else []
                make = run(["make", "all", *workers], project, timeout=1200)
            except BaseException as failure:
                (folder / BUILD_FAILURE).write_text(str(failure), encoding="utf-8")
                raise
            (folder / MAKE_OUTPUT).write_text(make.stdout, encoding="utf-8")
    return folder / "project"


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


# The modules that take longest, longest first. With `--dist loadfile` each module runs on
# one worker, and xdist hands out modules in collection order (pyproject.toml turns off its
# reordering by test count): starting the long ones first keeps both workers busy until
# the end instead of leaving one to finish a long module alone.
LONGEST_MODULES = (
    "test_own_data.py",
    "test_workflows.py",
    "test_project_runs.py",
    "test_container.py",
    "test_bad_input.py",
    "test_ml_test_score.py",
    "test_monitoring_loop.py",
    "test_lifecycle.py",
    "test_tracking.py",
    "test_api.py",
    "test_monitoring.py",
    "test_monitoring_serving.py",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--in-given-order",
        action="store_true",
        help="run the modules in the order given on the command line, longest not first "
        "(to reproduce what one order of modules on one worker does)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--in-given-order"):
        return

    def rank(item: pytest.Item) -> int:
        name = item.path.name
        return LONGEST_MODULES.index(name) if name in LONGEST_MODULES else len(LONGEST_MODULES)

    items.sort(key=rank)  # stable: each module's tests keep their order
