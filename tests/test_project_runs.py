"""Install and run a rendered project the way a user and its CI would.

For each combination in RUN_COMBINATIONS: git init (done by copier's task), `make all`
(uv sync, ruff, mypy, the project's own pytest, `dvc repro`, `dvc plots show`, and a short
summary of the verdicts to end with), a second `dvc repro` that only rereads the source,
and a fresh clone whose `dvc repro` reproduces the same outputs bit for bit.
"""

from __future__ import annotations

import json
import re
import shutil

import pytest
import yaml

from .combinations import EVERY_RUN_COMBINATION
from .helpers import LOWER_IS_BETTER, commit_all, git, read_answers, run

pytestmark = [pytest.mark.slow, EVERY_RUN_COMBINATION]


def test_make_all_is_green_and_leaves_formatting_alone(built, name):
    project, output = built(name)
    assert "passed" in output
    # ruff format --check ran inside `make lint`; the tree must also be untouched by it.
    changed = git(project, "status", "--porcelain", "--untracked-files=no", "--", "src", "tests")
    assert changed == "", changed


def test_make_all_ends_with_a_short_summary_of_the_verdicts(built, name):
    """Not the metrics table (hundreds of columns): a few lines a person reads."""
    project, output = built(name)
    lines = output.rstrip("\n").splitlines()
    assert "Summary" in lines, lines[-5:]
    summary = lines[max(i for i, line in enumerate(lines) if line == "Summary") :]
    assert len(summary) <= 15, summary
    assert all(len(line) <= 100 for line in summary), summary
    shown = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in summary[1:])}
    metric = yaml.safe_load((project / "params.yaml").read_text())["gate"]["metric"]
    metrics = json.loads((project / "metrics" / "test.json").read_text())
    model, baseline = metrics["model"][metric], metrics["baseline"][metric]
    assert shown["model"].startswith(f"{metric} {model:.4f}, baseline {baseline:.4f}"), shown
    assert shown["gate"].startswith("passed"), shown
    assert shown["canary"].startswith("passed"), shown
    score = shown["ML Test Score"]
    assert re.fullmatch(r"\d+(\.5)? \(ml_test_score.min_score \S+ met; .*\)", score), score
    assert shown["plots"] == "dvc_plots/index.html", shown
    assert (project / "dvc_plots" / "index.html").is_file()


def test_the_adopt_checks_left_out_of_the_project_pass_against_its_params_yaml(built, name):
    """The area ``adopt`` (the library's ``adopt`` on synthetic data) is not in a project's
    ``tabular_mlops_checks``: its verdict depends on the library alone, so it runs here."""
    project, _ = built(name)
    collect = ["uv", "run", "--frozen", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    listed = run(collect, project).stdout
    assert "checks/adopt/" not in listed, listed[-2000:]
    result = run(["uv", "run", "--frozen", "pytest", "-q", "-p", "no:cacheprovider",
                  "--pyargs", "tabular_mlops.checks.adopt"], project)  # fmt: skip
    assert re.search(r"\b\d{2,} passed", result.stdout), result.stdout[-2000:]  # and none failed


def test_make_help_lists_the_documented_targets(built, name):
    project, _ = built(name)
    listed = run(["make", "help"], project).stdout
    for target in ("setup", "data", "train", "evaluate", "metrics", "summary", "test", "all"):
        assert f"  {target} " in listed, listed


def test_model_beats_its_baseline_on_the_test_set(built, name):
    project, _ = built(name)
    params = yaml.safe_load((project / "params.yaml").read_text())
    metric = params["gate"]["metric"]
    metrics = json.loads((project / "metrics" / "test.json").read_text())
    model, baseline = metrics["model"][metric], metrics["baseline"][metric]
    if metric in LOWER_IS_BETTER:
        assert model < baseline * 0.8, metrics
    else:
        assert model > baseline + 0.2, metrics
    assert json.loads((project / "reports" / "gate.json").read_text())["passed"] is True


def test_dvc_shows_metrics_and_plots(built, name):
    project, _ = built(name)
    shown = run(["uv", "run", "--frozen", "dvc", "metrics", "show", "--json"], project).stdout
    assert "metrics/test.json" in shown
    assert "metrics/train/metrics.json" in shown  # validation metrics, written by DVCLive
    plots = run(["uv", "run", "--frozen", "dvc", "plots", "show", "--json"], project).stdout
    assert json.loads(plots), plots


def test_second_repro_rereads_the_source_and_reruns_nothing_else(built, name):
    project, _ = built(name)
    lock_before = (project / "dvc.lock").read_bytes()
    # Bytecode written after the run, by importing code the stages depend on, is not a
    # change of that code (.dvcignore leaves __pycache__ out).
    for cache in project.glob("src/*/features/__pycache__"):
        shutil.rmtree(cache)
    package = read_answers(project)["package_name"]
    run(["uv", "run", "--frozen", "python", "-c", f"import {package}.features.derived"], project)
    assert list(project.glob("src/*/features/__pycache__/*.pyc")), "no bytecode was written"
    output = run(["uv", "run", "--frozen", "dvc", "repro"], project).stdout
    # ingest always rereads the source (a URL or a database can change), and the gate
    # always asks the registry (Git tags) which version is in prod; the same bytes and the
    # same answer mean every other stage is skipped.
    assert re.findall(r"Running stage '([^']+)'", output) == ["ingest", "gate"], output
    assert "Stage 'train' didn't change, skipping" in output, output
    assert "Stage 'canary' didn't change, skipping" in output, output
    assert (project / "dvc.lock").read_bytes() == lock_before


def test_fresh_clone_reproduces_the_same_model_bytes_and_metrics(built, name, tmp_path):
    # The commit goes into a copy: the built project is shared and never changed.
    project = tmp_path / "project"
    shutil.copytree(built(name)[0], project, symlinks=True, ignore=shutil.ignore_patterns(".venv"))
    commit_all(project, "Run the pipeline")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(project), str(clone))
    assert not (clone / "models" / "model.pkl").exists()
    run(["uv", "sync", "--frozen"], clone)
    run(["uv", "run", "--frozen", "dvc", "repro"], clone, timeout=900)
    # dvc.lock records the MD5 of every output: unchanged means every byte was reproduced.
    assert git(clone, "diff", "--stat", "--", "dvc.lock") == ""
    for path in ("models/model.pkl", "metrics/test.json", "models/model.meta.json"):
        assert (clone / path).read_bytes() == (project / path).read_bytes(), path
    shutil.rmtree(clone / ".venv")
