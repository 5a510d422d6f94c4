"""The ML Test Score in this project: its command on results files written for a scratch
folder with this project's params.yaml, the shipped manual record, and the docs' table.

Nothing here runs the project's own suite (that would run these tests again). The rules,
the manual records, the results files and the pytest recorder are library code on inputs
of their own: the library's suite tests them (tabular-mlops/tests/test_ml_test_score.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from tabular_mlops.cli import app
from tabular_mlops.ml_test_score.manual import load_records
from tabular_mlops.ml_test_score.results import Outcome, TestResult, fingerprint, write_results
from tabular_mlops.ml_test_score.rubric import ITEMS, SECTIONS

from ..support import PROJECT_ROOT


def test_the_shipped_manual_file_is_valid():
    params = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text(encoding="utf-8"))
    load_records(PROJECT_ROOT / params["ml_test_score"]["manual_path"])


# ------------------------------------------------------------------------- the command


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with the project's params.yaml to run the command in, as its root."""
    raw = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text(encoding="utf-8"))
    raw["ml_test_score"] = {**raw["ml_test_score"], "min_score": 1, "manual_path": "manual.yaml"}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _results_covering(root: Path, per_section: int, outcome: Outcome = "passed") -> Path:
    """A results file in which the first ``per_section`` items of each section are tested."""
    tests = [
        TestResult(f"tests/test_{key}.py::test_it", (key,), outcome)
        for key, item in ITEMS.items()
        if int(key.rsplit("-", 1)[1]) <= per_section
    ]
    path = root / "results.json"
    write_results(path, tests, fingerprint(root), [])
    return path


def _score(*args: str):
    return CliRunner().invoke(app, ["ml-test-score", *args])


def test_the_command_prints_json_and_exits_by_min_score(scratch):
    results = _results_covering(scratch, per_section=2)
    run = _score("--from", str(results), "--json")
    assert run.exit_code == 0, run.output
    report = json.loads(run.output)
    assert report["score"] == 2.0
    assert report["sections"] == dict.fromkeys(SECTIONS, 2.0)
    assert set(report["items"]) == set(ITEMS)
    assert report["items"]["data-2"] == 1.0
    assert report["items"]["data-3"] == 0.0
    assert report["details"]["data-1"]["tests"] == {"tests/test_data-1.py::test_it": "passed"}
    assert report["passed"] is True
    assert report["min_score"] == 1

    (scratch / "results.json").unlink()
    results = _results_covering(scratch, per_section=0)
    run = _score("--from", str(results), "--json")
    assert run.exit_code == 3, run.output
    assert json.loads(run.stdout)["score"] == 0.0
    assert "below ml_test_score.min_score 1" in run.stderr


def test_the_command_counts_a_dated_manual_record(scratch):
    results = _results_covering(scratch, per_section=1)
    (scratch / "manual.yaml").write_text(
        yaml.safe_dump(
            {"records": [{"item": "model-2", "date": dt.date.today(), "who": "A", "evidence": "B"}]}
        )
    )
    report = json.loads(_score("--from", str(results), "--json").stdout)
    assert report["items"]["model-2"] == 0.5
    assert report["sections"]["model"] == 1.5
    assert report["details"]["model-2"]["manual"]["counts"] is True


def test_the_command_prints_markdown_and_a_table(scratch):
    results = _results_covering(scratch, per_section=1, outcome="failed")
    markdown = _score("--from", str(results), "--markdown")
    assert markdown.exit_code == 3
    assert markdown.stdout.startswith("## ML Test Score: 0\n")
    rows = [line for line in markdown.stdout.splitlines() if line.startswith("| ")]
    assert len(rows) == 2 + len(SECTIONS) + len(ITEMS)  # two header rows
    assert "| data-1 | 0 | failed |" in markdown.stdout
    table = _score("--from", str(results))
    lowest = "lowest section: data, model, infrastructure, monitoring"
    assert f"ML Test Score: 0 ({lowest})" in table.stdout
    assert "covering test(s) failed: tests/test_data-1.py::test_it" in table.stdout


def test_the_command_refuses_stale_results_and_contradictory_options(scratch):
    results = _results_covering(scratch, per_section=1)
    assert _score("--from", str(results), "--json", "--markdown").exit_code == 1
    assert _score("--from", str(results), "--", "-x").exit_code == 1
    params = scratch / "params.yaml"
    params.write_text(params.read_text() + "\n")
    stale = _score("--from", str(results))
    assert stale.exit_code == 1
    assert "older than the code and parameters it would score" in stale.stderr
    assert "changed: params.yaml" in stale.stderr
    (scratch / "manual.yaml").write_text("records:\n  - {item: infra-8}\n")
    params.write_text(params.read_text().rstrip("\n") + "\n")  # as it was: fresh again
    bad_manual = _score("--from", str(results))
    assert bad_manual.exit_code == 1
    assert "unknown item(s) infra-8" in bad_manual.stderr


# ------------------------------------------------------------------------- the documentation

DOC_ROW = re.compile(r"^\| ((?:data|model|infra|monitor)-\d) \|(.*)\|$", re.MULTILINE)
# A file the docs name: the project's own (tests/...) or a standard check of this library
# (tabular_mlops/checks/...).
TEST_FILE = re.compile(r"`((?:tests|tabular_mlops/checks)/[\w/]+\.py)`")
CHECKS = Path(__file__).resolve().parents[1]


def _marked_files(item: str) -> set[str]:
    """The test files with a marker naming ``item`` (this one's markers are made up), named
    as the docs name them."""
    marker = re.compile(rf"""ml_test_score\([^)]*["']{item}["']""")
    files = {
        path: path.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / "tests").rglob("test_*.py")
    }
    files.update(
        (path, path.relative_to(CHECKS.parents[1]).as_posix()) for path in CHECKS.rglob("test_*.py")
    )
    return {
        name
        for path, name in files.items()
        if path.name != Path(__file__).name and marker.search(path.read_text(encoding="utf-8"))
    }


def test_the_docs_explain_every_item_and_name_its_real_tests():
    """docs/ml_test_score.md has one row per item, and its rows cannot drift from the tests:
    each test file a row names carries the item's marker, and an item with marked tests
    names at least one of their files."""
    rows = DOC_ROW.findall((PROJECT_ROOT / "docs" / "ml_test_score.md").read_text())
    assert sorted(key for key, _ in rows) == sorted(ITEMS)
    for key, text in rows:
        named, marked = set(TEST_FILE.findall(text)), _marked_files(key)
        assert named <= marked, f"{key}: {sorted(named - marked)} carry no {key} marker"
        assert named or not marked, f"{key}: name one of {sorted(marked)} in its row"
