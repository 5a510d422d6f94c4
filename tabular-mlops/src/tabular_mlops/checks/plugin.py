"""pytest plugin (entry point ``pytest11``): the standard checks, collected in a project.

A project lists the areas it wants checked in its pyproject.toml::

    [tool.pytest.ini_options]
    tabular_mlops_checks = ["data", "features", "modeling", "serving", ...]

Then a plain ``pytest`` (or ``pytest -m ...``, ``-k ...``: no path given) runs the project's
own tests and the checks of those areas from this package, against the project's
``params.yaml``, schema, data and model; and every test gets the fixtures of
:mod:`tabular_mlops.checks.fixtures` (``params``, ``raw_frame``, ``trained_workspace``,
``client``, ...). Given paths, pytest runs just those: ``pytest --pyargs
tabular_mlops.checks.serving`` runs one area. Anywhere the setting is absent (this
library's own tests, another project) the plugin does nothing.

The area ``adopt`` checks the ``adopt`` command on synthetic data sets, starting from the
project's params.yaml: its verdict depends on this library, not on the project's data or
model, so a generated project does not list it (the template's tests run it in a rendered
project, once per library change); list it to check ``adopt`` against your own params.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SETTING = "tabular_mlops_checks"
AREAS = (
    "commands", "data", "features", "modeling", "serving", "monitoring", "lifecycle", "infra",
    "adopt",
)  # fmt: skip
# The markers the checks carry (a project's pyproject.toml may declare them too).
MARKERS = (
    "ml_test_score(*items): the ML Test Score items a test covers: data-N, model-N, infra-N or "
    "monitor-N, N in 1..7",
    "skew: compares training and serving on the trained model; CI runs it after the pipeline",
    "canary: exercises the trained model through the serving path; CI runs it after the pipeline",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        SETTING,
        type="linelist",
        default=[],
        help=f"the areas of tabular-mlops's standard checks to run: {', '.join(AREAS)}",
    )


def pytest_configure(config: pytest.Config) -> None:
    areas = config.getini(SETTING)
    if not areas:
        return
    unknown = [area for area in areas if area not in AREAS]
    if unknown:
        raise pytest.UsageError(
            f"{SETTING} names unknown area(s) {', '.join(unknown)}: choose among {', '.join(AREAS)}"
        )
    # Imported only in a project: elsewhere the plugin costs no import of the library.
    from . import support

    support.PROJECT_ROOT = config.rootpath
    if not _is_xdist_controller(config):  # the controller runs no test: it needs no fixture
        from . import fixtures  # imports the model and serving stack (3 s of CPU)

        config.pluginmanager.register(fixtures, "tabular_mlops.checks.fixtures")
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    if config.args_source is pytest.Config.ArgsSource.TESTPATHS:
        config.args.extend(str(Path(__file__).parent / area) for area in areas)


def _is_xdist_controller(config: pytest.Config) -> bool:
    """Whether this process hands the tests to pytest-xdist workers (``-n N``, N > 0) instead
    of running them: pytest-xdist's own rule (``is_xdist_controller``), read from the options
    because that function wants a fixture request."""
    options = config.option  # without pytest-xdist installed, neither option exists
    distributing = getattr(options, "dist", "no") != "no" and bool(getattr(options, "tx", None))
    return distributing and not hasattr(config, "workerinput") and not config.option.collectonly
