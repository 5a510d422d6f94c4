"""The environment every command in a rendered project gets (helpers.project_env)."""

from __future__ import annotations

import pytest

from .helpers import project_env

THIS_RUNS_WORKER_VARIABLES = (
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_XDIST_TESTRUNUID",
)


def test_a_project_command_inherits_none_of_this_suites_xdist_worker_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A project's pytest that read them would take itself for a worker of this run: the
    standard checks' shared trained workspace was once shared by projects of different data
    that way (a fresh-clone run went red)."""
    for name in THIS_RUNS_WORKER_VARIABLES:
        monkeypatch.setenv(name, "gw1" if name == "PYTEST_XDIST_WORKER" else "2")
    env = project_env()
    assert [name for name in THIS_RUNS_WORKER_VARIABLES if name in env] == []


def test_a_project_runs_its_tests_in_one_process_here(monkeypatch: pytest.MonkeyPatch) -> None:
    """The suite fills both cores: `make test` (TEST_WORKERS) and CI's `-n auto` take one."""
    monkeypatch.delenv("TEST_WORKERS", raising=False)
    monkeypatch.delenv("PYTEST_XDIST_AUTO_NUM_WORKERS", raising=False)
    env = project_env()
    assert (env["TEST_WORKERS"], env["PYTEST_XDIST_AUTO_NUM_WORKERS"]) == ("0", "1")
