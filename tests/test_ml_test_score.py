"""The computed ML Test Score in a rendered, trained project (the defaults).

`make all` has run the project's tests once (`built`), and `make test` recorded their
outcomes: `make ml-test-score FROM=...` must score exactly those outcomes under the rules of
docs/ml_test_score.md, and cover every item the tests' markers name. Then defects are
planted, one per copy of the project (tests/plants.py): after the covering tests run again,
exactly the items each defect breaks must drop to 0, and the section and score with them.
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from . import plants
from .helpers import copy_installed, run

pytestmark = pytest.mark.slow

NAME = "defaults"
RESULTS = "reports/ml_test_score/tests.json"
SECTIONS = {"data": "data", "model": "model", "infrastructure": "infra", "monitoring": "monitor"}


def _expected_points(outcomes: list[str]) -> float:
    """The rules of docs/ml_test_score.md, written again here (no manual record ships)."""
    ran = [outcome for outcome in outcomes if outcome != "not applicable"]
    return 1.0 if ran and all(outcome == "passed" for outcome in ran) else 0.0


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
    # pytest counts a test that is not applicable to the data as skipped.
    pytest_outcome = {"not applicable": "skipped"}
    for outcome in ("passed", "failed", "skipped"):
        found = sum(pytest_outcome.get(t["outcome"], t["outcome"]) == outcome for t in recorded)
        assert found == counts.get(outcome, 0), counts
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

    # Every item a marker in the tests (the project's and the library's standard checks)
    # names is covered by a test that ran (the tests of the command itself hold made-up
    # markers in strings: left out).
    (checks,) = project.glob(".venv/lib/python3*/site-packages/tabular_mlops/checks")
    sources = "\n".join(
        path.read_text()
        for path in [*(project / "tests").rglob("test_*.py"), *checks.rglob("test_*.py")]
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


def _planted_copy(project, folder):
    return copy_installed(project, folder / "project")


def test_results_recorded_before_a_change_are_refused(project_and_score, tmp_path):
    project, _, _ = project_and_score
    planted = _planted_copy(project, tmp_path)
    target = planted / "tests" / "test_pipeline.py"
    target.write_text(target.read_text() + "\n# changed\n")
    stale = run(["make", "-s", "ml-test-score", f"FROM={RESULTS}"], planted, check=False)
    assert stale.returncode != 0
    assert "changed: tests/test_pipeline.py" in stale.stderr


# Each defect of tests/plants.py and the items it must cost, no more and no fewer. A server
# that answers differently from the pipeline also fails the canary, which exists to stop
# exactly that before production (infra-6), and makes the served metric differ from the
# offline one (model-2): all three compare the server with the pipeline.
PLANTED = {
    "pure-noise feature": (plants.plant_noise_feature, {"data-2"}),
    "personal column fed to the model": (plants.plant_personal_feature, {"data-4", "data-5"}),
    "slice with destroyed quality": (plants.plant_bad_slice, {"model-6"}),
    # A model no better than the baseline is a defect every check of model quality sees: the
    # gate refuses the pipeline run of infra-3, and a degraded model cannot score worse
    # (model-2). Two runs still give the same bytes (infra-1): its fixture accepts the gate's
    # refusal, and reproducibility is not what broke. The quality monitor (monitor-7) still
    # works: labels that disagree with every served prediction lower even this model's score
    # (it used to fail on a scikit-learn warning: ROC AUC of a class the window lacked).
    "model no better than the baseline": (
        plants.plant_model_no_better_than_baseline,
        {"model-5", "model-2", "infra-3"},
    ),
    "unseeded split": (plants.plant_unseeded_split, {"infra-1"}),
    "server skewed from the pipeline": (
        plants.plant_serving_skew,
        {"monitor-3", "infra-6", "model-2"},
    ),
}


@pytest.mark.parametrize("defect", PLANTED)
def test_a_planted_defect_costs_exactly_its_items(project_and_score, tmp_path, defect):
    project, _, before = project_and_score
    plant, lost = PLANTED[defect]
    planted = _planted_copy(project, tmp_path)
    plant(planted)
    # Only the tests that cover an item decide the score: the rest are deselected.
    tests = run(
        ["uv", "run", "--frozen", "pytest", "-m", "ml_test_score", "-q", "-p", "no:cacheprovider",
         "--ml-test-score-results", "reports/planted.json"],
        planted, check=False, timeout=1200,
    )  # fmt: skip
    assert tests.returncode == 1, tests.stdout[-4000:] + tests.stderr[-2000:]
    code, after, stderr = _score(planted, "FROM=reports/planted.json")

    changed = {key for key in before["items"] if before["items"][key] != after["items"][key]}
    reasons = "\n".join(f"{key}: {after['details'][key]['reason']}" for key in changed | lost)
    assert changed == lost, f"changed: {sorted(changed)}, expected: {sorted(lost)}\n{reasons}"
    for key in lost:
        assert before["items"][key] == 1
        assert after["items"][key] == 0
        assert after["details"][key]["status"] == "failed", after["details"][key]
    for section, prefix in SECTIONS.items():
        dropped = sum(key.startswith(prefix) for key in lost)
        assert after["sections"][section] == before["sections"][section] - dropped, section
    if any(after["sections"][s] < before["score"] for s in after["sections"]):
        # The lowest section fell: so does the score, below min_score, and the command fails.
        assert after["score"] < before["score"]
        assert code != 0
        assert "Error 3" in stderr  # make's report of the command's exit code
    else:  # a section above the lowest lost a point: the minimum is unchanged
        assert after["score"] == before["score"]
