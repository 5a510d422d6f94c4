"""The model registry: versions and stages as Git tags, the gate against prod, rollback.

Each test builds a small Git repository with GTO tags (no pipeline run), so the rules are
checked in seconds; the template's own tests run the whole flow on a trained project.
"""

from __future__ import annotations

import json
from pathlib import Path

import gto.api
import pytest
import yaml
from typer.testing import CliRunner

from tabular_mlops.cli import app
from tabular_mlops.config import Params
from tabular_mlops.lifecycle import registry
from tabular_mlops.lifecycle.actions import (
    gate,
    production_reference,
    promote,
    register,
)
from tabular_mlops.lifecycle.registry import (
    RegistryError,
    artifact_name,
    rollback_target,
)
from tabular_mlops.modeling.metrics import LOWER_IS_BETTER

from ..support import PROJECT_ROOT
from .conftest import History

ARTIFACT = artifact_name(PROJECT_ROOT)
NO_DIGEST = "0" * 64


@pytest.fixture
def repo(tmp_path: Path) -> History:
    return History(tmp_path / "repo", ARTIFACT)


def _metrics(params: Params, model: float, baseline: float) -> str:
    metric = params.gate.metric
    return json.dumps({"model": {metric: model}, "baseline": {metric: baseline}})


def _scores(params: Params) -> tuple[float, float, float]:
    """(good, worse, baseline): worse loses more than the allowed regression to good, and
    both beat the baseline by more than the required margin."""
    gate_params = params.gate
    step = 2 * gate_params.max_regression_vs_production + 0.01
    margin = 2 * gate_params.min_improvement_over_baseline + 0.01
    if gate_params.metric in LOWER_IS_BETTER:
        return 1.0, 1.0 + step, 1.0 + step + margin
    return 1.0, 1.0 - step, 1.0 - step - margin


def _register(repo: History, version: str, when: str, files: dict[str, str] | None = None) -> str:
    commit = repo.commit(when, files)
    registry.register(repo.root, ARTIFACT, version=version, sha256=NO_DIGEST, summary="test")
    return commit


def test_the_registered_artifact_is_the_trained_model(params):
    declared = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))
    assert Path(declared["artifacts"][ARTIFACT]["path"]) == params.train.model_path


@pytest.mark.parametrize(
    ("existing", "bump", "expected"),
    [
        ([], "minor", "v1.0.0"),
        (["v1.0.0"], "minor", "v1.1.0"),
        (["v1.0.0", "v1.4.2"], "patch", "v1.4.3"),
        (["v1.10.0", "v1.9.0"], "major", "v2.0.0"),
    ],
)
def test_the_next_version_follows_semantic_versioning(existing, bump, expected):
    assert registry.next_version(existing, bump) == expected


@pytest.mark.ml_test_score("infra-4")
def test_the_gate_compares_with_the_metrics_recorded_with_the_version_in_prod(
    repo, params, tmp_path, monkeypatch
):
    good, worse, baseline = _scores(params)
    metrics_path = params.evaluate.metrics_path.as_posix()
    _register(repo, "v1.0.0", "2024-01-01 09:00", {metrics_path: _metrics(params, good, baseline)})
    assert production_reference(params, repo.root) is None  # registered, not in prod yet
    registry.assign(repo.root, ARTIFACT, "prod", "v1.0.0")
    reference = production_reference(params, repo.root)
    assert reference is not None
    assert reference.version == "v1.0.0"
    assert reference.metrics["model"][params.gate.metric] == good

    # A new model, worse than production by more than allowed, in the working tree.
    (repo.root / metrics_path).write_text(_metrics(params, worse, baseline), encoding="utf-8")
    monkeypatch.chdir(repo.root)
    report = params.gate.model_copy(update={"report_path": tmp_path / "gate.json"})
    result = gate(params.model_copy(update={"gate": report}), repo.root)
    assert not result.passed
    (reason,) = result.reasons
    assert "v1.0.0" in reason
    assert "max_regression_vs_production" in reason
    assert result.production_version == "v1.0.0"


def test_register_refuses_a_model_that_fails_the_gate_and_writes_no_tag(
    repo, params, tmp_path, monkeypatch
):
    _, _, baseline = _scores(params)
    # The model only matches the baseline: it does not beat it by the margin.
    files = {params.evaluate.metrics_path.as_posix(): _metrics(params, baseline, baseline)}
    repo.commit("2024-01-01 09:00", files)
    monkeypatch.chdir(repo.root)
    report = params.gate.model_copy(update={"report_path": tmp_path / "gate.json"})
    with pytest.raises(RegistryError, match="does not pass the gate") as refused:
        register(params.model_copy(update={"gate": report}), repo.root, None, "minor")
    assert "min_improvement_over_baseline" in str(refused.value)
    assert repo.git("tag", "--list") == ""


@pytest.mark.ml_test_score("infra-7")
def test_rollback_returns_to_the_previous_production_version(repo):
    for number, version in enumerate(("v1.0.0", "v1.1.0", "v1.2.0"), start=1):
        _register(repo, version, f"2024-01-0{number} 09:00")
        registry.assign(repo.root, ARTIFACT, "prod", version)
    assert rollback_target(repo.root, ARTIFACT) == "v1.1.0"
    assert rollback_target(repo.root, ARTIFACT, to="v1.0.0") == "v1.0.0"
    registry.assign(repo.root, ARTIFACT, "prod", "v1.1.0")  # the rollback itself
    serving = registry.current(repo.root, ARTIFACT, "prod")
    assert serving is not None
    assert serving.version == "v1.1.0"
    # Rolling back again returns to the version the rollback replaced.
    assert rollback_target(repo.root, ARTIFACT) == "v1.2.0"


@pytest.mark.ml_test_score("infra-7")
def test_rollback_refuses_clearly_when_there_is_nothing_to_return_to(repo):
    with pytest.raises(RegistryError, match="was ever in prod: nothing to roll back"):
        rollback_target(repo.root, ARTIFACT)
    _register(repo, "v1.0.0", "2024-01-01 09:00")
    registry.assign(repo.root, ARTIFACT, "prod", "v1.0.0")
    with pytest.raises(RegistryError, match="no earlier version"):
        rollback_target(repo.root, ARTIFACT)
    with pytest.raises(RegistryError, match="already in prod"):
        rollback_target(repo.root, ARTIFACT, to="v1.0.0")
    with pytest.raises(RegistryError, match=r"v9\.9\.9 is not registered"):
        rollback_target(repo.root, ARTIFACT, to="v9.9.9")


def test_promote_names_what_is_missing(repo):
    with pytest.raises(RegistryError, match=r"no version of \S+ is registered"):
        promote(repo.root, "prod", None)
    _register(repo, "v1.0.0", "2024-01-01 09:00")
    with pytest.raises(RegistryError, match=r"v2\.0\.0 is not registered; registered: v1\.0\.0"):
        promote(repo.root, "prod", "v2.0.0")
    with pytest.raises(RegistryError, match="unknown stage 'production'"):
        promote(repo.root, "production", "v1.0.0")
    assert promote(repo.root, "staging", None).version == "v1.0.0"
    with pytest.raises(RegistryError, match="already in staging"):
        promote(repo.root, "staging", "v1.0.0")


def test_the_registry_command_lists_versions_and_their_stages(repo, monkeypatch):
    _register(repo, "v1.0.0", "2024-01-01 09:00")
    _register(repo, "v1.1.0", "2024-01-02 09:00")
    registry.assign(repo.root, ARTIFACT, "prod", "v1.0.0")
    registry.assign(repo.root, ARTIFACT, "staging", "v1.1.0")
    monkeypatch.chdir(repo.root)
    result = CliRunner().invoke(app, ["registry", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.output)
    assert listed["artifact"] == ARTIFACT
    assert [(row["version"], row["stages"]) for row in listed["versions"]] == [
        ("v1.0.0", ["prod"]),
        ("v1.1.0", ["staging"]),
    ]
    assert all(row["sha256"] == NO_DIGEST for row in listed["versions"])


def test_a_version_whose_stage_was_taken_away_is_no_longer_in_prod(repo, params):
    """`gto deprecate <artifact> <version> prod` (e.g. after adopting other data)."""
    good, _, baseline = _scores(params)
    files = {params.evaluate.metrics_path.as_posix(): _metrics(params, good, baseline)}
    _register(repo, "v1.0.0", "2024-01-01 09:00", files)
    registry.assign(repo.root, ARTIFACT, "prod", "v1.0.0")
    assert production_reference(params, repo.root) is not None
    gto.api.unassign(str(repo.root), ARTIFACT, version="v1.0.0", stage="prod")
    assert registry.current(repo.root, ARTIFACT, "prod") is None
    assert production_reference(params, repo.root) is None


@pytest.mark.parametrize("version", ["1.2.0", "v1.2", "latest"])
def test_a_version_not_written_as_semver_is_refused_before_any_tag(repo, version):
    repo.commit("2024-01-01 09:00")
    with pytest.raises(RegistryError, match=r"vMAJOR\.MINOR\.PATCH, e\.g\. v1\.2\.0"):
        registry.register(repo.root, ARTIFACT, version=version, sha256=NO_DIGEST, summary="")
    assert repo.git("tag", "--list") == ""
