"""Run the project's test suite once, recording each test's outcome for the score."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from tabular_mlops.config import MlTestScoreParams

from ..errors import ProjectError
from .manual import load_records
from .results import DEFAULT_RESULTS_PATH, RESULTS_OPTION, read_results
from .scoring import Score, compute_score

# pytest's exit codes after which its results file holds the whole run: all passed, some
# failed, none collected. Any other (interrupted, internal error, usage error) leaves no
# trustworthy record.
COMPLETE_RUNS = (0, 1, 5)


class SuiteError(ProjectError, RuntimeError):
    """pytest did not complete a run."""


def run_suite(root: Path, results_path: Path, pytest_args: Sequence[str]) -> None:
    """Run pytest in ``root`` with the recorder on; its report goes to stderr.

    stdout stays free for the score (``--json`` prints one object there).
    """
    command = [
        sys.executable, "-m", "pytest", "-p", f"{__package__}.plugin",
        RESULTS_OPTION, str(results_path), *pytest_args,
    ]  # fmt: skip
    try:
        report: int | None = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # a captured stderr (tests) has no file
        report = None
    completed = subprocess.run(command, cwd=root, stdout=report, check=False)  # noqa: S603 - our own interpreter and arguments
    if completed.returncode not in COMPLETE_RUNS:
        raise SuiteError(
            f"pytest stopped with exit code {completed.returncode} (its output above says why: "
            "a test module that cannot be imported, a wrong marker, a bad option), so there "
            "is no complete run to score"
        )
    if not results_path.is_file():
        raise SuiteError(f"pytest wrote no results to {results_path}")


def score_tests(
    root: Path, settings: MlTestScoreParams, results: Sequence[Path], pytest_args: Sequence[str]
) -> Score:
    """The ML Test Score of the ``results`` files, or, when none is named, of a run of the
    tests made now (with ``pytest_args``), together with the manual records."""
    if not results:
        run_suite(root, DEFAULT_RESULTS_PATH, pytest_args)
        results = [DEFAULT_RESULTS_PATH]
    return compute_score(
        read_results(results, root),
        load_records(settings.manual_path),
        min_score=settings.min_score,
        max_age_days=settings.manual_max_age_days,
        today=date.today(),
    )
