"""pytest plugin: checks every ``ml_test_score`` marker and records how each test ended.

pyproject.toml loads it into every run (``-p``), so a marker naming no rubric item stops the
run at collection, before any test, with the test and the id named. With
``--ml-test-score-results PATH`` it also writes, per test, the items its markers name and its
outcome (passed, failed, error, not applicable, skipped, not run, deselected) with the
fingerprint of the code it ran on; ``ml-test-score --from PATH`` scores that file.

Under pytest-xdist (``-n``) the workers collect and run the tests: each sends the controller
the items it collected and deselected when it ends, and the controller, which receives every
test's report, writes the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from .applicability import is_not_applicable
from .results import RESULTS_OPTION, Outcome, TestResult, fingerprint, write_results
from .rubric import ID_FORMAT, unknown_ids

MARKER = "ml_test_score"
# A module that cannot be imported has no markers to read: its source still names its items.
_MARKER_IN_SOURCE = re.compile(r"""ml_test_score\(\s*["']([^"']+)["']""")
# The phases of one test, worst first: its outcome is the worst of them.
_WORST_FIRST: tuple[Outcome, ...] = ("error", "failed", "skipped", "not applicable", "passed")
_NOTHING_RAN = (pytest.ExitCode.INTERNAL_ERROR, pytest.ExitCode.USAGE_ERROR)
# What a pytest-xdist worker sends the controller (in ``config.workeroutput``).
_WORKER_OUTPUT = "ml_test_score"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        RESULTS_OPTION,
        metavar="PATH",
        default=None,
        help="write each test's outcome and the ML Test Score items it covers to PATH (JSON), "
        "for `ml-test-score --from PATH`",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(Recorder(config), "ml_test_score_recorder")


def marked_items(item: pytest.Item) -> tuple[list[str], list[str]]:
    """The rubric ids a test's ``ml_test_score`` markers name, and what is wrong with them."""
    ids: list[str] = []
    problems: list[str] = []
    for mark in item.iter_markers(MARKER):
        if not mark.args or mark.kwargs or not all(isinstance(arg, str) for arg in mark.args):
            problems.append(f"{mark} must name rubric ids as strings, e.g. {MARKER}('data-1')")
            continue
        ids.extend(mark.args)
    unknown = unknown_ids(ids)
    if unknown:
        problems.append(f"unknown ML Test Score item(s) {', '.join(unknown)} ({ID_FORMAT})")
    return sorted(set(ids) - set(unknown)), problems


def _skipped_as_not_applicable(report: pytest.TestReport) -> bool:
    # An xfail is a skip with ``wasxfail``: a known failure, not a case the data lacks.
    if hasattr(report, "wasxfail") or not isinstance(report.longrepr, tuple):
        return False
    return is_not_applicable(str(report.longrepr[2]))


class Recorder:
    """Collects the outcome of every collected test; writes them when the session ends."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.path: str | None = config.getoption(RESULTS_OPTION)
        self.items: dict[str, list[str]] = {}
        self.outcomes: dict[str, Outcome] = {}
        self.broken_modules: dict[str, list[str]] = {}
        self.files: dict[str, str] = {}
        self.wrong_markers: dict[str, str] = {}  # nodeid -> what is wrong with its markers

    @property
    def _is_xdist_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

    def pytest_sessionstart(self) -> None:
        if self.path and not self._is_xdist_worker:  # the code as the tests started on it
            self.files = fingerprint(self.config.rootpath)

    @pytest.hookimpl(tryfirst=True)  # before -m, -k and --deselect take tests away
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        problems: list[str] = []
        for item in items:
            ids, wrong = marked_items(item)
            self.items[item.nodeid] = ids
            problems.extend(f"{item.nodeid}: {problem}" for problem in wrong)
            if wrong:
                self.wrong_markers[item.nodeid] = "; ".join(wrong)
        # A pytest-xdist worker that stopped here would take the message down with it (the
        # controller reports a crash): there each such test errors instead, naming it.
        if problems and not self._is_xdist_worker:
            raise pytest.UsageError("\n".join(problems))

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if item.nodeid in self.wrong_markers:
            raise pytest.UsageError(self.wrong_markers[item.nodeid])

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        for item in items:
            self.outcomes[item.nodeid] = "deselected"

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            source = self.config.rootpath / report.nodeid.split("::")[0]
            text = source.read_text(encoding="utf-8") if source.is_file() else ""
            found = set(_MARKER_IN_SOURCE.findall(text))
            self.broken_modules[report.nodeid] = sorted(found - set(unknown_ids(found)))

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        phase: Outcome
        if report.skipped:  # in the test or in a fixture's setup
            phase = "not applicable" if _skipped_as_not_applicable(report) else "skipped"
        elif report.when == "call":
            phase = "passed" if report.passed else "failed"
        elif report.failed:  # in a fixture's setup or teardown
            phase = "error"
        else:
            return
        known = self.outcomes.get(report.nodeid, "passed")
        self.outcomes[report.nodeid] = min(known, phase, key=_WORST_FIRST.index)

    @pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook, called in the controller
    def pytest_testnodedown(self, node: Any, error: object) -> None:
        seen = getattr(node, "workeroutput", {}).get(_WORKER_OUTPUT)
        if not seen:  # a worker that crashed before it finished sends nothing
            return
        self.items.update(seen["items"])
        for nodeid in seen["deselected"]:
            self.outcomes.setdefault(nodeid, "deselected")
        self.broken_modules.update(seen["broken_modules"])

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self._is_xdist_worker:
            self.config.workeroutput[_WORKER_OUTPUT] = {  # type: ignore[attr-defined]
                "items": self.items,
                "deselected": [id_ for id_, seen in self.outcomes.items() if seen == "deselected"],
                "broken_modules": self.broken_modules,
            }
            return
        # A usage error (a wrong marker, option or -m expression) or an internal error ran
        # nothing worth recording; an interrupted run records what ran, the rest "not run".
        if not self.path or exitstatus in _NOTHING_RAN:
            return
        tests = [
            TestResult(nodeid, tuple(ids), self.outcomes.get(nodeid, "not run"))
            for nodeid, ids in self.items.items()
        ]
        tests.extend(
            TestResult(nodeid, tuple(ids), "error") for nodeid, ids in self.broken_modules.items()
        )
        args = list(session.config.invocation_params.args)
        write_results(Path(self.path), tests, self.files, args)
