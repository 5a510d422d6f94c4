"""The outcome of each test of a pytest run, the items it covers, and what code it ran on.

A results file is only as good as its freshness: a test that passed on yesterday's code says
nothing about today's. So each file records a SHA-256 of every file that decides what the
tests do (the package, the tests, the schema, params.yaml, the dependency lock), and a file
is read only while all of them are unchanged. Content, not modification times: a checkout or
an artifact download in CI changes the times of files whose content is the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from ..errors import ProjectError

Outcome = Literal["passed", "failed", "error", "not applicable", "skipped", "not run", "deselected"]
# When runs of the same code disagree about a test (CI runs the suite in two jobs, each
# deselecting what the other runs), the first outcome in this order wins: a failure is
# never hidden, and a test that ran is worth more than one that was skipped or deselected.
PRECEDENCE: tuple[Outcome, ...] = (
    "error",
    "failed",
    "passed",
    "not applicable",
    "skipped",
    "not run",
    "deselected",
)
FORMAT = 1
# The pytest option that writes a results file (plugin.py), and where `make test` writes it.
RESULTS_OPTION = "--ml-test-score-results"
DEFAULT_RESULTS_PATH = Path("reports/ml_test_score/tests.json")
# What the tests' outcome depends on, relative to the project root.
FINGERPRINTED_FILES = ("params.yaml", "pyproject.toml", "uv.lock", "dvc.yaml")
FINGERPRINTED_FOLDERS = ("src", "tests", "schemas")
_IGNORED_PARTS = frozenset({"__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"})


class ResultsError(ProjectError, ValueError):
    """A results file is missing, unreadable, or was recorded for other code."""


@dataclass(frozen=True)
class TestResult:
    nodeid: str
    items: tuple[str, ...]  # the rubric items its ml_test_score markers name
    outcome: Outcome

    __test__ = False  # a data class, not a test: pytest must not collect it


@dataclass(frozen=True)
class Results:
    tests: tuple[TestResult, ...]
    sources: tuple[str, ...]  # the files they were read from
    recorded: tuple[str, ...]  # when each file was written (ISO 8601, UTC)

    def counts(self) -> dict[str, int]:
        """How many tests ended each way."""
        return {
            outcome: sum(test.outcome == outcome for test in self.tests) for outcome in PRECEDENCE
        }


def fingerprint(root: Path) -> dict[str, str]:
    """SHA-256 of every file the tests' outcome depends on, by path relative to ``root``."""
    paths = [root / name for name in FINGERPRINTED_FILES if (root / name).is_file()]
    for folder in FINGERPRINTED_FOLDERS:
        paths.extend(
            path
            for path in (root / folder).rglob("*")
            if path.is_file()
            and path.suffix != ".pyc"
            and not _IGNORED_PARTS.intersection(path.relative_to(root).parts)
        )
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(paths)
    }


def write_results(
    path: Path, tests: Iterable[TestResult], files: Mapping[str, str], args: list[str]
) -> None:
    """Write one run's outcomes with the fingerprint of the code it ran on."""
    document = {
        "format": FORMAT,
        "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
        "args": args,
        "fingerprint": dict(files),
        "tests": [
            {"nodeid": test.nodeid, "items": list(test.items), "outcome": test.outcome}
            for test in tests
        ],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    partial.replace(path)  # never a half-written file for a later --from to read


def _changes(recorded: Mapping[str, str], current: Mapping[str, str]) -> list[str]:
    common = recorded.keys() & current.keys()
    changed = sorted(name for name in common if recorded[name] != current[name])
    added = sorted(current.keys() - recorded.keys())
    removed = sorted(recorded.keys() - current.keys())
    parts = []
    for label, names in (("changed", changed), ("added", added), ("removed", removed)):
        if names:
            shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
            parts.append(f"{label}: {shown}")
    return parts


def _read_one(path: Path, current: Mapping[str, str]) -> tuple[list[TestResult], str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ResultsError(
            f"{path} not found: write it with `pytest --ml-test-score-results {path}`"
        ) from error
    except (OSError, ValueError) as error:
        raise ResultsError(f"{path} is not a results file of this project: {error}") from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ResultsError(
            f"{path} is not a results file of format {FORMAT}: write it again with "
            f"`pytest --ml-test-score-results {path}`"
        )
    try:
        changes = _changes(document["fingerprint"], current)
        tests = [
            TestResult(str(test["nodeid"]), tuple(test["items"]), test["outcome"])
            for test in document["tests"]
        ]
        when = str(document["recorded"])
    except (KeyError, TypeError) as error:
        raise ResultsError(f"{path} is incomplete ({error!r} is wrong or missing)") from error
    if changes:
        raise ResultsError(
            f"{path} (recorded {when}) is older than the code and parameters it would score; "
            f"since then {'; '.join(changes)}. Run the tests again (`make ml-test-score` runs "
            "them and scores the result)"
        )
    unknown = sorted({test.outcome for test in tests} - set(PRECEDENCE))
    if unknown:
        raise ResultsError(f"{path} has unknown outcome(s) {unknown}: expected {PRECEDENCE}")
    return tests, when


def read_results(paths: Iterable[Path], root: Path) -> Results:
    """Read and merge results files, refusing any recorded for code other than ``root``'s."""
    current = fingerprint(root)
    merged: dict[str, TestResult] = {}
    sources, recorded = [], []
    for path in paths:
        tests, when = _read_one(path, current)
        sources.append(str(path))
        recorded.append(when)
        for test in tests:
            known = merged.get(test.nodeid)
            if known is None or PRECEDENCE.index(test.outcome) < PRECEDENCE.index(known.outcome):
                merged[test.nodeid] = test
    return Results(tuple(merged.values()), tuple(sources), tuple(recorded))
