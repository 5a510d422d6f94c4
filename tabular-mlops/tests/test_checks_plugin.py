"""The pytest plugin that collects the standard checks (tabular_mlops.checks.plugin).

Run in throw-away folders with pytester: where the setting is absent it does nothing, a
misspelt area stops pytest naming the choices, and the listed areas are collected beside the
folder's own tests only when pytest is given no path. (The checks themselves run against a
rendered project in the template's tests.)
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tabular_mlops.checks import plugin
from tabular_mlops.checks.plugin import AREAS, SETTING

# A stand-in for a project's own test: these tests check what pytest collects and which
# fixtures it offers, so its body only has to pass.
OWN_TEST = """
def test_own():
    assert True
"""


def _settings(pytester: pytest.Pytester, areas: list[str]) -> None:
    listed = ", ".join(f'"{area}"' for area in areas)
    pytester.makepyprojecttoml(
        f'[tool.pytest.ini_options]\ntestpaths = ["tests"]\n{SETTING} = [{listed}]\n'
    )
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_own.py").write_text(OWN_TEST)


def test_without_the_setting_nothing_is_added(pytester: pytest.Pytester) -> None:
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n')
    pytester.mkdir("tests")
    (pytester.path / "tests" / "test_own.py").write_text(
        OWN_TEST + "\ndef test_needs_params(params):\n    pass\n"
    )
    result = pytester.runpytest("-q")
    result.assert_outcomes(passed=1, errors=1)  # no checks, and no fixtures either
    result.stdout.fnmatch_lines(["*fixture 'params' not found*"])


def test_an_unknown_area_is_refused_naming_the_choices(pytester: pytest.Pytester) -> None:
    _settings(pytester, ["serving", "servng"])
    result = pytester.runpytest("-q")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*{SETTING} names unknown area(s) servng: choose among*"])
    assert ", ".join(AREAS) in result.stderr.str()


def test_the_listed_areas_are_collected_beside_the_projects_tests(
    pytester: pytest.Pytester,
) -> None:
    _settings(pytester, ["commands"])
    result = pytester.runpytest(
        "--collect-only", "-q", "-W", "error::pytest.PytestUnknownMarkWarning"
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    collected = [line for line in result.stdout.lines if "::" in line]
    assert "tests/test_own.py::test_own" in collected
    modules = {line.split("::")[0].rsplit("/", 1)[-1] for line in collected}
    area = Path(plugin.__file__).parent / "commands"
    assert modules == {"test_own.py"} | {path.name for path in area.glob("test_*.py")}


def test_a_path_given_runs_only_that_path(pytester: pytest.Pytester) -> None:
    _settings(pytester, ["commands"])
    result = pytester.runpytest("--collect-only", "-q", "tests")
    collected = [line for line in result.stdout.lines if "::" in line]
    assert collected == ["tests/test_own.py::test_own"]


# Where the standard checks' fixtures were imported: written by each process at its end.
WHERE_FIXTURES_ARE = """
import sys
from types import SimpleNamespace

import pytest

@pytest.fixture(scope="session")
def params():  # what the checks' autouse fixtures read, without a project's params.yaml
    return SimpleNamespace(mlflow=None)

def pytest_sessionfinish(session):
    role = getattr(session.config, "workerinput", {}).get("workerid", "controller")
    imported = "tabular_mlops.checks.fixtures" in sys.modules
    (session.config.rootpath / f"{role}.txt").write_text(str(imported))
"""

FIXTURES_REGISTERED = """
def test_fixtures_registered(request):
    assert request.config.pluginmanager.has_plugin("tabular_mlops.checks.fixtures")
"""


@pytest.mark.parametrize("workers", [0, 2])
def test_only_a_process_that_runs_tests_imports_the_fixtures(
    pytester: pytest.Pytester, workers: int
) -> None:
    _settings(pytester, ["commands"])
    (pytester.path / "conftest.py").write_text(WHERE_FIXTURES_ARE)
    (pytester.path / "tests" / "test_own.py").write_text(FIXTURES_REGISTERED)
    result = pytester.runpytest_subprocess("-n", str(workers), "tests")
    result.assert_outcomes(passed=1)
    # The xdist controller runs no test: importing the serving stack there was wasted time.
    assert (pytester.path / "controller.txt").read_text() == str(workers == 0)
    for worker in range(workers):
        assert (pytester.path / f"gw{worker}.txt").read_text() == "True"
