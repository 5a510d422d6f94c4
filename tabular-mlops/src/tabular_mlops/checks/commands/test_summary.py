"""The summary command, the end of `make all`: a few lines a person reads, not a table.

Each verdict is read from the file its stage wrote; a missing file is named with the command
that makes it, and a failed verdict says why in the same line.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tabular_mlops.ml_test_score.results import (
    TestResult,
    fingerprint,
    write_results,
)
from tabular_mlops.ml_test_score.rubric import ITEMS
from tabular_mlops.summary import RESULTS_PATH, summary_lines

TODAY = dt.date(2030, 1, 1)
MAX_LINES = 10  # what `make all` may end with; the template's tests check the same


def _write(path, document):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document), encoding="utf-8")


@pytest.fixture
def workspace(params, tmp_path):
    """A project folder holding a passed run: test metrics, gate and canary reports."""
    metric = params.gate.metric
    _write(
        tmp_path / params.evaluate.metrics_path,
        {"model": {metric: 0.9}, "baseline": {metric: 0.25}, "test_rows": 69},
    )
    _write(
        tmp_path / params.gate.report_path,
        {"passed": True, "metric": metric, "model": 0.9, "baseline": 0.25, "reasons": [],
         "production": None, "production_version": None},
    )  # fmt: skip
    _write(tmp_path / params.canary.report_path, {"passed": True, "rows": 69, "problems": []})
    return tmp_path


def _by_label(lines):
    """The lines after the title by their label: {'gate': 'passed (...)', ...}."""
    pairs = (line.strip().split(":", 1) for line in lines[1:])
    return {label: text.strip() for label, text in pairs}


def test_a_passed_run_reads_in_a_few_short_lines(params, workspace):
    lines = summary_lines(params, workspace, TODAY)
    assert len(lines) <= MAX_LINES
    assert all(len(line) <= 100 for line in lines), lines
    shown = _by_label(lines)
    assert shown["model"] == f"{params.gate.metric} 0.9000, baseline 0.2500 on 69 test rows"
    assert shown["gate"].startswith("passed (beats the baseline by at least ")
    assert shown["canary"].startswith("passed (the server answered 69 test rows")
    assert shown["reports"] == "metrics/, reports/"


def test_a_failed_gate_gives_its_first_reason_and_how_many_more(params, workspace):
    reasons = ["f1_macro=0.2 does not beat the baseline", "worse than production v1.0.0"]
    _write(workspace / params.gate.report_path, {"passed": False, "reasons": reasons})
    gate = _by_label(summary_lines(params, workspace, TODAY))["gate"]
    assert gate == f"FAILED: {reasons[0]} (and 1 more, see {params.gate.report_path})"


def test_a_failed_canary_points_at_its_report(params, workspace):
    _write(workspace / params.canary.report_path, {"passed": False, "problems": ["a", "b"]})
    canary = _by_label(summary_lines(params, workspace, TODAY))["canary"]
    assert canary == f"FAILED: 2 problem(s), see {params.canary.report_path}"


def test_an_empty_project_names_the_command_that_makes_each_file(params, tmp_path):
    shown = _by_label(summary_lines(params, tmp_path, TODAY))
    for label in ("model", "gate", "canary"):
        assert shown[label].endswith("run `make pipeline`"), shown[label]
    assert shown["ML Test Score"].endswith("run `make test`")
    assert shown["plots"] == "`make plots` writes dvc_plots/index.html"


def _record_results(root, outcome):
    """A results file of one test per rubric item, recorded for the code now in ``root``."""
    (root / "params.yaml").write_text("seed: 1\n", encoding="utf-8")
    tests = [TestResult(f"tests/test_x.py::test_{key}", (key,), outcome) for key in ITEMS]
    write_results(root / RESULTS_PATH, tests, fingerprint(root), [])


def test_the_ml_test_score_of_the_recorded_run_and_its_minimum(params, tmp_path):
    _record_results(tmp_path, "passed")
    shown = _by_label(summary_lines(params, tmp_path, TODAY))["ML Test Score"]
    assert shown.startswith(f"7 (ml_test_score.min_score {params.ml_test_score.min_score:g} met")
    _record_results(tmp_path, "failed")
    shown = _by_label(summary_lines(params, tmp_path, TODAY))["ML Test Score"]
    assert shown.startswith("0 (")
    assert "NOT met" in shown


def test_results_older_than_the_code_are_not_scored(params, tmp_path):
    _record_results(tmp_path, "passed")
    (tmp_path / "params.yaml").write_text("seed: 2\n", encoding="utf-8")
    shown = _by_label(summary_lines(params, tmp_path, TODAY))["ML Test Score"]
    assert shown == f"{RESULTS_PATH} is older than the code: run `make test`"
