"""The ML Test Score's rules on made-up outcomes, its manual records and results files, and
its pytest recorder on a small module of its own, in one process and in pytest-xdist workers.

Library code on inputs of its own: the same verdict in every project, so it runs here once
(the command in a project, the shipped manual file and the docs' table are checked in each
project by tabular_mlops/checks/infra/test_ml_test_score.py).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import cast

import pytest

from tabular_mlops.ml_test_score import plugin
from tabular_mlops.ml_test_score.manual import (
    ManualError,
    ManualRecord,
    Verdict,
    judge,
    load_records,
)
from tabular_mlops.ml_test_score.results import (
    Outcome,
    Results,
    ResultsError,
    TestResult,
    fingerprint,
    read_results,
    write_results,
)
from tabular_mlops.ml_test_score.rubric import ITEMS, SECTIONS
from tabular_mlops.ml_test_score.scoring import compute_score, score_item

TODAY = dt.date(2025, 6, 30)
ITEM = ITEMS["model-5"]


def _tests(*outcomes: Outcome, item: str = "model-5") -> list[TestResult]:
    return [TestResult(f"tests/test_x.py::t{n}", (item,), o) for n, o in enumerate(outcomes)]


def _record(**fields: object) -> ManualRecord:
    values = {"item": "model-5", "date": TODAY, "who": "Ada", "evidence": "notes/review.md"}
    return ManualRecord.model_validate({**values, **fields})


def _judged(**fields: object) -> list[Verdict]:
    return [judge(_record(**fields), TODAY, max_age_days=365)]


# ------------------------------------------------------------------------- the rules


def test_an_item_whose_covering_tests_all_passed_scores_one() -> None:
    scored = score_item(ITEM, _tests("passed", "passed"), [])
    assert (scored.points, scored.status) == (1.0, "automated")


@pytest.mark.parametrize("bad", ["failed", "error"])
def test_one_failed_covering_test_scores_zero_even_with_a_manual_record(bad: Outcome) -> None:
    scored = score_item(ITEM, _tests("passed", bad, "passed"), _judged())
    assert (scored.points, scored.status) == (0.0, "failed")
    assert "tests/test_x.py::t1" in scored.reason
    assert "does not count over it" in scored.reason


@pytest.mark.parametrize("idle", ["skipped", "deselected", "not run"])
def test_an_item_whose_only_tests_did_not_run_scores_zero(idle: Outcome) -> None:
    scored = score_item(ITEM, _tests(idle, idle), [])
    assert (scored.points, scored.status) == (0.0, "not run")
    assert idle in scored.reason


@pytest.mark.parametrize("idle", ["skipped", "deselected", "not run"])
def test_a_test_that_did_not_run_beside_a_passing_one_costs_the_point(idle: Outcome) -> None:
    scored = score_item(ITEM, _tests("passed", idle), [])
    assert (scored.points, scored.status) == (0.0, "incomplete")
    assert f"1 did not run ({idle})" in scored.reason


def test_a_test_not_applicable_to_the_data_beside_a_passing_one_keeps_the_point() -> None:
    scored = score_item(ITEM, _tests("passed", "not applicable"), [])
    assert (scored.points, scored.status) == (1.0, "automated")
    assert "1 not applicable to the data" in scored.reason


def test_an_item_whose_tests_are_all_not_applicable_scores_zero() -> None:
    scored = score_item(ITEM, _tests("not applicable", "not applicable"), [])
    assert (scored.points, scored.status) == (0.0, "not applicable")


def test_no_covering_test_scores_zero() -> None:
    scored = score_item(ITEM, [], [])
    assert (scored.points, scored.status) == (0.0, "uncovered")


def test_a_dated_manual_record_scores_half_a_point() -> None:
    scored = score_item(ITEM, [], _judged())
    assert (scored.points, scored.status) == (0.5, "manual")
    assert str(TODAY) in scored.reason
    assert score_item(ITEM, _tests("skipped"), _judged()).points == 0.5


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"date": None}, "has no date"),
        ({"who": None, "evidence": ""}, "has no who and no evidence"),
        ({"date": TODAY + dt.timedelta(days=1)}, "in the future"),
        ({"date": TODAY - dt.timedelta(days=366)}, "manual_max_age_days"),
    ],
)
def test_an_incomplete_or_outdated_manual_record_scores_zero_and_says_why(
    fields: dict[str, object], message: str
) -> None:
    scored = score_item(ITEM, [], _judged(**fields))
    assert (scored.points, scored.status) == (0.0, "uncovered")
    assert message in scored.reason


def test_the_score_is_the_lowest_section_and_each_section_sums_its_items() -> None:
    tests = [
        TestResult(f"tests/t.py::{key}", (key,), "passed")
        for key in ("data-1", "data-2", "data-3", "model-1", "infra-1", "infra-2", "monitor-1")
    ]
    records = [_record(item="monitor-2"), _record(item="monitor-3", date=None)]
    score = compute_score(
        Results(tuple(tests), ("r.json",), ("now",)),
        records,
        min_score=1,
        max_age_days=365,
        today=TODAY,
    )
    assert score.sections == {"data": 3.0, "model": 1.0, "infrastructure": 2.0, "monitoring": 1.5}
    assert score.score == 1.0
    assert score.lowest == ["model"]
    assert score.passed
    assert set(score.items) == set(ITEMS)
    assert len(ITEMS) == 28
    assert all(sum(i.section == s for i in ITEMS.values()) == 7 for s in SECTIONS)


# ------------------------------------------------------------------------- manual records


def test_manual_records_are_read_and_an_unknown_item_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "manual.yaml"
    assert load_records(path) == []  # no file: no records
    path.write_text("records:\n  - {item: model-1, date: 2025-01-31, who: A, evidence: B}\n")
    expected = _record(item="model-1", date=dt.date(2025, 1, 31), who="A", evidence="B")
    assert load_records(path) == [expected]
    path.write_text("records:\n  - {item: model-9, date: 2025-01-31, who: A, evidence: B}\n")
    with pytest.raises(ManualError, match=r"unknown item.*model-9"):
        load_records(path)
    path.write_text("records:\n  - {item: model-1, date: 31/01/2025}\n")
    with pytest.raises(ManualError, match=r"records\.0\.date"):
        load_records(path)


# ------------------------------------------------------------------------- results files


def _workspace(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "code.py").write_text("x = 1\n")
    (tmp_path / "params.yaml").write_text("seed: 1\n")
    return tmp_path


def test_results_of_several_runs_merge_and_a_failure_wins(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    first, second = root / "unit.json", root / "pipeline.json"
    # CI's two jobs: each deselects what the other runs; a failure in either must show.
    for path, outcomes in (
        (first, "passed deselected passed"),
        (second, "deselected passed failed"),
    ):
        tests = [
            TestResult(nodeid, ("data-1",), cast(Outcome, o))
            for nodeid, o in zip("abc", outcomes.split(), strict=True)
        ]
        write_results(path, tests, fingerprint(root), [])
    merged = read_results([first, second], root)
    assert {test.nodeid: test.outcome for test in merged.tests} == {
        "a": "passed",
        "b": "passed",
        "c": "failed",
    }
    assert merged.counts()["passed"] == 2


def test_results_recorded_before_the_code_changed_are_refused(tmp_path: Path) -> None:
    root = _workspace(tmp_path)
    path = root / "results.json"
    write_results(path, [TestResult("a", ("data-1",), "passed")], fingerprint(root), [])
    (root / "src" / "__pycache__").mkdir()
    (root / "src" / "__pycache__" / "code.cpython.pyc").write_bytes(b"ignored")
    assert read_results([path], root).tests  # a bytecode cache is not a change
    (root / "params.yaml").write_text("seed: 2\n")
    (root / "src" / "new.py").write_text("")
    expected = r"older than the code.*changed: params\.yaml; added: src/new\.py"
    with pytest.raises(ResultsError, match=expected):
        read_results([path], root)
    with pytest.raises(ResultsError, match="not found"):
        read_results([root / "missing.json"], root)


# ------------------------------------------------------------------------- the recorder

# A made-up test module with one test per outcome the recorder must tell apart: its
# skip, xfail and failing tests are samples for the recorder, not unfinished tests.
SYNTHETIC_TESTS = """
import pytest

from tabular_mlops.ml_test_score.applicability import not_applicable

@pytest.fixture
def broken():
    raise RuntimeError("setup fails")

@pytest.fixture
def bad_teardown():
    yield
    raise RuntimeError("teardown fails")

@pytest.mark.ml_test_score("data-1")
def test_passes():
    pass

@pytest.mark.ml_test_score("data-1", "model-5")
def test_fails():
    assert False

@pytest.mark.ml_test_score("model-5")
def test_errors(broken):
    pass

@pytest.mark.ml_test_score("infra-1")
def test_fails_in_teardown(bad_teardown):
    pass

@pytest.mark.ml_test_score("infra-2")
def test_skips():
    pytest.skip("a plain skip")

@pytest.mark.ml_test_score("infra-4")
def test_is_not_applicable():
    not_applicable("the data has no such column")

@pytest.mark.ml_test_score("infra-3")
@pytest.mark.xfail(reason="known bug", strict=True)
def test_expected_failure():
    assert False

@pytest.mark.ml_test_score("monitor-1")
@pytest.mark.heavy
def test_deselected():
    pass

def test_unmarked():
    pass
"""


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """pytest in ``folder`` with the recorder and the folder's own settings only."""
    (folder / "pytest.ini").write_text(
        "[pytest]\naddopts = --strict-markers -p no:cacheprovider\n"
        "markers =\n    ml_test_score(*items): items\n    heavy: deselected here\n"
    )
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        # the plugin's name from its module: a long package name keeps this line short
        [sys.executable, "-m", "pytest", "-p", plugin.__name__, *args],
        cwd=folder,
        # without the plugins other packages install (Hydra's takes seconds to import)
        env={**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"},
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


# pytest-xdist: two workers collect and run the tests, the controller writes the results.
IN_TWO_WORKERS = ("-p", "xdist.plugin", "-n", "2")


@pytest.mark.parametrize("workers", [(), IN_TWO_WORKERS], ids=["one process", "xdist"])
def test_the_recorder_writes_every_test_with_its_items_and_outcome(
    tmp_path: Path, workers: tuple[str, ...]
) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_synthetic.py").write_text(SYNTHETIC_TESTS)
    run = _pytest(
        tmp_path, *workers, "-m", "not heavy", "--ml-test-score-results", "out/results.json"
    )
    assert run.returncode == 1, run.stdout + run.stderr
    written = json.loads((tmp_path / "out" / "results.json").read_text())
    outcomes = {t["nodeid"].split("::")[1]: (t["outcome"], t["items"]) for t in written["tests"]}
    assert outcomes == {
        "test_passes": ("passed", ["data-1"]),
        "test_fails": ("failed", ["data-1", "model-5"]),
        "test_errors": ("error", ["model-5"]),
        "test_fails_in_teardown": ("error", ["infra-1"]),
        "test_skips": ("skipped", ["infra-2"]),
        "test_is_not_applicable": ("not applicable", ["infra-4"]),
        "test_expected_failure": ("skipped", ["infra-3"]),
        "test_deselected": ("deselected", ["monitor-1"]),
        "test_unmarked": ("passed", []),
    }
    assert set(written["fingerprint"]) == {"tests/test_synthetic.py"}
    assert written["fingerprint"] == fingerprint(tmp_path)


def test_a_marker_naming_no_rubric_item_stops_the_run_and_names_it(tmp_path: Path) -> None:
    (tmp_path / "test_typo.py").write_text(
        "import pytest\n\n@pytest.mark.ml_test_score('data-8')\ndef test_typo():\n    pass\n"
    )
    run = _pytest(tmp_path, "--ml-test-score-results", "results.json")
    assert run.returncode == pytest.ExitCode.USAGE_ERROR, run.stdout + run.stderr
    assert "test_typo.py::test_typo: unknown ML Test Score item(s) data-8" in run.stderr
    assert not (tmp_path / "results.json").exists()


def test_in_xdist_workers_a_marker_naming_no_rubric_item_errors_its_test_naming_it(
    tmp_path: Path,
) -> None:
    """A worker that stopped the run would take the message down with it (xdist reports a
    crash): the test errors instead, and the others run."""
    (tmp_path / "test_typo.py").write_text(
        "import pytest\n\n@pytest.mark.ml_test_score('data-8')\ndef test_typo():\n    pass\n"
    )
    (tmp_path / "test_fine.py").write_text("def test_fine():\n    pass\n")
    run = _pytest(tmp_path, *IN_TWO_WORKERS, "-rE", "--ml-test-score-results", "results.json")
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    assert "unknown ML Test Score item(s) data-8" in run.stdout, run.stdout
    written = json.loads((tmp_path / "results.json").read_text())
    assert {(t["nodeid"], t["outcome"]) for t in written["tests"]} == {
        ("test_typo.py::test_typo", "error"),
        ("test_fine.py::test_fine", "passed"),
    }


def test_a_module_that_cannot_be_imported_is_recorded_as_an_error_of_its_items(
    tmp_path: Path,
) -> None:
    (tmp_path / "test_broken.py").write_text(
        "import pytest\nimport not_a_module\n\n"
        "@pytest.mark.ml_test_score('data-7')\ndef test_never_collected():\n    pass\n"
    )
    (tmp_path / "test_fine.py").write_text("def test_fine():\n    pass\n")
    run = _pytest(tmp_path, "--ml-test-score-results", "results.json")
    assert run.returncode == pytest.ExitCode.INTERRUPTED, run.stdout + run.stderr
    written = json.loads((tmp_path / "results.json").read_text())
    assert {(t["nodeid"], t["outcome"], tuple(t["items"])) for t in written["tests"]} == {
        ("test_broken.py", "error", ("data-7",)),
        ("test_fine.py::test_fine", "not run", ()),
    }
    # pytest-xdist runs the modules that import (so test_fine passes); the error is recorded.
    run = _pytest(tmp_path, *IN_TWO_WORKERS, "--ml-test-score-results", "results.json")
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    written = json.loads((tmp_path / "results.json").read_text())
    assert {(t["nodeid"], t["outcome"], tuple(t["items"])) for t in written["tests"]} == {
        ("test_broken.py", "error", ("data-7",)),
        ("test_fine.py::test_fine", "passed", ()),
    }
