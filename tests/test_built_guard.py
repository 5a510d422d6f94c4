"""The guard that keeps each worker's built project unchanged (tests/conftest.py, issue 20).

Tests share a worker's copy of a built project; which modules share a worker depends on
timing. A test that changed the copy for good would make later tests pass or fail by chance,
so the guard fails that test, naming what changed, and gives the tests after it a clean copy.
Checked here on a tiny committed project standing in for a built one (no `make all`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from . import conftest
from .helpers import commit_all, git


@pytest.fixture
def projects(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> conftest.BuiltProjects:
    # What build_once finds when another worker already built the combination.
    shared = tmp_path / "shared"
    built = shared / "built-tiny" / "project"
    built.mkdir(parents=True)
    (built.parent / conftest.MAKE_OUTPUT).write_text("1 passed\n", encoding="utf-8")
    (built / "params.yaml").write_text("alpha: 1\n", encoding="utf-8")
    (built / ".gitignore").write_text("/models/\n", encoding="utf-8")  # DVC's outputs
    (built / "models").mkdir()
    (built / "models" / "model.pkl").write_bytes(b"trained")
    git(built, "init", "--quiet", "--initial-branch=main")
    commit_all(built, "Built")
    # A tiny project has no environment to install: a plain copy stands for copy_installed.
    monkeypatch.setattr(conftest, "copy_installed", lambda source, to: shutil.copytree(source, to))
    return conftest.BuiltProjects(tmp_path / "template", tmp_path_factory, shared)


def test_reading_or_putting_every_byte_back_passes(projects: conftest.BuiltProjects) -> None:
    project, output = projects("tiny")
    assert output == "1 passed\n"
    model = project / "models" / "model.pkl"
    model.write_bytes(b"changed for a moment")
    model.write_bytes(b"trained")  # as test_bad_input.py does after each case
    projects.check_unchanged("test_reads")
    assert projects("tiny")[0] == project


def test_a_commit_fails_the_test_that_made_it_and_the_next_test_gets_a_clean_copy(
    projects: conftest.BuiltProjects,
) -> None:
    project, _ = projects("tiny")
    head = git(project, "rev-parse", "HEAD")
    (project / "params.yaml").write_text("alpha: 2\n", encoding="utf-8")
    commit_all(project, "Run the pipeline")  # what broke test_tracking.py's fixture

    with pytest.raises(pytest.fail.Exception) as failure:
        projects.check_unchanged("tests/test_x.py::test_commits")
    message = str(failure.value)
    assert "tests/test_x.py::test_commits changed the shared built project(s)" in message
    assert "'tiny': ['.git (HEAD and status)', 'params.yaml']" in message
    assert "copy_installed" in message

    again, _ = projects("tiny")
    assert again == project  # the same path, so fixtures that hold it keep working
    assert git(again, "rev-parse", "HEAD") == head
    assert (again / "params.yaml").read_text(encoding="utf-8") == "alpha: 1\n"
    projects.check_unchanged("the next test")


def _retrain(project: Path) -> str:
    (project / "models" / "model.pkl").write_bytes(b"retrained")  # ignored by Git
    return "models/model.pkl"


def _add_report(project: Path) -> str:
    (project / "reports").mkdir()
    (project / "reports" / "new.json").write_text("{}", encoding="utf-8")
    return "reports/new.json"


def _remove_params(project: Path) -> str:
    (project / "params.yaml").unlink()
    return "params.yaml"


@pytest.mark.parametrize("change", [_retrain, _add_report, _remove_params])
def test_every_kind_of_file_change_is_named(projects: conftest.BuiltProjects, change) -> None:
    project, _ = projects("tiny")
    named = change(project)
    with pytest.raises(pytest.fail.Exception, match=named):
        projects.check_unchanged("test_changes")
