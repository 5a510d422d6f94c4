"""The computed ML Test Score in a rendered, trained project (the defaults).

`make all` has run the project's tests once (`built`), and `make test` recorded their
outcomes: `make ml-test-score FROM=...` must score exactly those outcomes under the rules of
docs/ml_test_score.md, and cover every item the tests' markers name. Then a failing test is
planted for model-5 in a copy of the project, and `make ml-test-score` (which runs the whole
suite: the one suite run of this module) must drop that item, and only it, to 0.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from .helpers import run

pytestmark = pytest.mark.slow

NAME = "defaults"
RESULTS = "reports/ml_test_score/tests.json"
SECTIONS = {"data": "data", "model": "model", "infrastructure": "infra", "monitoring": "monitor"}
PLANTED = """

@pytest.mark.ml_test_score("model-5")
def test_planted_failure_of_model_5():
    raise AssertionError("planted by the template's tests")
"""


def _expected_points(outcomes: list[str]) -> float:
    """The rules of docs/ml_test_score.md, written again here (no manual record ships)."""
    if any(outcome in ("failed", "error") for outcome in outcomes):
        return 0.0
    return 1.0 if "passed" in outcomes else 0.0


def _pytest_counts(make_output: str) -> dict[str, int]:
    """The counts in the summary line of the project's pytest run inside `make all`."""
    line = next(
        line
        for line in reversed(make_output.splitlines())
        if re.search(r"\d+ passed.* in [\d.]+s", line)
    )
    return {kind: int(n) for n, kind in re.findall(r"(\d+) (passed|failed|skipped|error)", line)}


def _score(project, *make_args: str) -> tuple[int, dict, str]:
    command = ["make", "-s", "ml-test-score", "FORMAT=json", *make_args]
    made = run(command, project, check=False, timeout=1200)
    return made.returncode, json.loads(made.stdout), made.stderr


@pytest.fixture(scope="module")
def project_and_score(built):
    project, make_output = built(NAME)
    code, report, stderr = _score(project, f"FROM={RESULTS}")
    assert code == 0, stderr
    return project, make_output, report


def test_the_score_of_the_recorded_run_follows_the_rules(project_and_score):
    project, make_output, report = project_and_score
    recorded = json.loads((project / RESULTS).read_text())["tests"]
    # The results file is the run `make all` printed: same number of tests per outcome.
    counts = _pytest_counts(make_output)
    for outcome in ("passed", "failed", "skipped"):
        assert sum(t["outcome"] == outcome for t in recorded) == counts.get(outcome, 0), counts
    assert report["tests"]["passed"] == counts["passed"]

    assert len(report["items"]) == 28
    for key, points in report["items"].items():
        covering = {t["nodeid"]: t["outcome"] for t in recorded if key in t["items"]}
        assert report["details"][key]["tests"] == covering, key
        assert points == _expected_points(list(covering.values())), (key, covering)
    for section, prefix in SECTIONS.items():
        items = [points for key, points in report["items"].items() if key.startswith(prefix)]
        assert len(items) == 7
        assert report["sections"][section] == sum(items), section
    assert report["score"] == min(report["sections"].values())

    # Every item a marker in the tests names is covered by a test that ran (the tests of the
    # command itself hold made-up markers in strings: left out).
    sources = "\n".join(
        path.read_text()
        for path in (project / "tests").rglob("test_*.py")
        if path.name != "test_ml_test_score.py"
    )
    for key in set(re.findall(r"""ml_test_score\(["']([a-z]+-\d)["']""", sources)):
        assert report["details"][key]["tests"], key

    # params.yaml's min_score is what the project scores: CI is green, and a lost point fails it.
    params = yaml.safe_load((project / "params.yaml").read_text())
    assert report["score"] == params["ml_test_score"]["min_score"], (
        f"the default project scores {report['score']}: set ml_test_score.min_score in "
        "params.yaml.jinja to it"
    )


def test_a_planted_failing_test_costs_exactly_its_item(project_and_score, tmp_path):
    project, _, before = project_and_score
    assert "model" in before["lowest_sections"], before["sections"]  # else the score cannot fall
    planted = tmp_path / "project"
    shutil.copytree(project, planted, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    run(["uv", "sync", "--frozen"], planted)
    target = planted / "tests" / "modeling" / "test_train.py"
    target.write_text(target.read_text() + PLANTED)

    # The recorded run no longer matches the tests: it is refused, not scored.
    stale = run(["make", "-s", "ml-test-score", f"FROM={RESULTS}"], planted, check=False)
    assert stale.returncode != 0
    assert "changed: tests/modeling/test_train.py" in stale.stderr

    code, after, stderr = _score(planted)  # runs the whole suite
    assert code != 0
    assert "Error 3" in stderr  # make's report of the command's exit code: below min_score
    assert after["items"]["model-5"] == 0
    assert after["details"]["model-5"]["status"] == "failed"
    nodeid = "tests/modeling/test_train.py::test_planted_failure_of_model_5"
    assert after["details"]["model-5"]["tests"][nodeid] == "failed"
    assert before["items"]["model-5"] == 1
    changed = {key for key in before["items"] if before["items"][key] != after["items"][key]}
    assert changed == {"model-5"}
    assert after["sections"] == {**before["sections"], "model": before["sections"]["model"] - 1}
    assert after["score"] < before["score"]
