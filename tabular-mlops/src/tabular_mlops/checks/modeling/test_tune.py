"""Hyperparameter search (model-3): reproducible, within budget, on the training split only.

The searches here use at most the tests' budget (``TEST_TUNE_BUDGET``): what is checked does
not depend on its size.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import yaml

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.split import read_split
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.pipeline import build_model
from tabular_mlops.modeling.registry import load_metadata, load_model
from tabular_mlops.modeling.train import features_and_target
from tabular_mlops.modeling.tune import search
from tabular_mlops.sampling import at_most

from ..support import PROJECT_ROOT, run_stages, set_tune

# The reproducibility check's search: two candidates, on at most this many training rows.
REPRODUCED_BUDGET, REPRODUCED_MAX_ROWS = 2, 2000


def _tuned_bytes(workspace: Path) -> bytes:
    run_stages(workspace, ("tune",))
    params = load_params(workspace / "params.yaml")
    return (workspace / params.tune.output_path).read_bytes()


@pytest.mark.ml_test_score("model-3")
def test_tuning_is_reproducible_and_never_reads_the_validation_or_test_split(
    trained_workspace, tmp_path
):
    workspace = shutil.copytree(trained_workspace, tmp_path / "workspace")
    # A smaller search than the workspace's (what is checked does not depend on its size),
    # run twice with the same seed: both runs must write the same bytes.
    params = set_tune(workspace, budget=REPRODUCED_BUDGET, max_rows=REPRODUCED_MAX_ROWS)
    # Removed, so that any read of them fails the stage.
    for name in ("val.csv", "test.csv"):
        (workspace / params.split.output_dir / name).unlink()
    first = _tuned_bytes(workspace)
    if params.tune.enabled:  # the smaller search ran
        assert json.loads(first)["candidates"] <= REPRODUCED_BUDGET
    assert _tuned_bytes(workspace) == first


def test_the_tune_stage_depends_on_the_training_split_only():
    stage = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    data = [dep for dep in stage["tune"]["deps"] if dep.startswith("${split.output_dir}")]
    assert data == ["${split.output_dir}/train.csv"]


@pytest.mark.ml_test_score("model-3")
@pytest.mark.parametrize("budget", [1, 3])
def test_the_search_evaluates_exactly_budget_candidates(trained_workspace, params, budget):
    tuned = params.model_copy(update={"tune": params.tune.model_copy(update={"budget": budget})})
    frame = read_split(trained_workspace / params.split.output_dir, "train")
    searcher = search(tuned, *features_and_target(frame, tuned))
    space = params.tune.space[params.train.estimator]
    expected = min(budget, math.prod(len(values) for values in space.values()))
    candidates = searcher.cv_results_["params"]
    assert len(candidates) == expected
    assert len({json.dumps(candidate, sort_keys=True) for candidate in candidates}) == expected
    assert searcher.n_splits_ == params.tune.cv_folds


def _fitted(workspace: Path, params: Params) -> dict[str, object]:
    model = load_model(workspace / params.train.model_path)
    return dict(model.named_steps["estimator"].get_params())


@pytest.mark.ml_test_score("model-3")
def test_train_fits_the_tuned_values_over_params_yaml(trained_workspace, tmp_path, params):
    workspace = shutil.copytree(trained_workspace, tmp_path / "workspace")
    estimator = params.train.estimator
    configured = build_model(params).named_steps["estimator"].get_params()
    # For each tuned hyperparameter a candidate unlike the configured value, so that the
    # test fails if train ignores the tuned file.
    tuned = {
        name: next(value for value in values if value != configured[name])
        for name, values in params.tune.space.get(estimator, {}).items()
        if any(value != configured[name] for value in values)
    }
    if not tuned:
        not_applicable(f"tune.space.{estimator} offers no value unlike the configured ones")
    output = workspace / params.tune.output_path
    output.parent.mkdir(parents=True, exist_ok=True)
    written = {"enabled": True, "estimator": estimator, "hyperparameters": tuned}
    output.write_text(json.dumps(written), encoding="utf-8")
    run_stages(workspace, ("train",))
    fitted = _fitted(workspace, params)
    assert {name: fitted[name] for name in tuned} == tuned
    metadata = load_metadata(workspace / params.train.model_path)
    configured_values = params.train.hyperparameters.get(estimator, {})
    assert metadata["hyperparameters"] == {**configured_values, **tuned}


@pytest.mark.ml_test_score("model-3")
def test_with_tuning_disabled_train_uses_params_yaml(trained_workspace, tmp_path):
    workspace = shutil.copytree(trained_workspace, tmp_path / "workspace")
    params = set_tune(workspace, enabled=False)
    run_stages(workspace, ("tune", "train"))
    written = json.loads((workspace / params.tune.output_path).read_text(encoding="utf-8"))
    assert written["enabled"] is False
    assert written["hyperparameters"] == {}
    configured = params.train.hyperparameters.get(params.train.estimator, {})
    fitted = _fitted(workspace, params)
    assert {name: fitted[name] for name in configured} == configured


def test_a_training_split_above_max_rows_is_searched_on_a_sample_keeping_every_class(
    trained_workspace, tmp_path, params
):
    """The search only ranks candidates: a large split is searched on a seeded sample,
    every class keeping its share and at least tune.cv_folds rows; train fits on all."""
    workspace = shutil.copytree(trained_workspace, tmp_path / "workspace")
    frame = read_split(workspace / params.split.output_dir, "train")
    max_rows = max(100, len(frame) // 2)
    if len(frame) <= max_rows:
        not_applicable(f"the training split has {len(frame)} rows: too few to sample from")
    tuned = set_tune(workspace, max_rows=max_rows, budget=1)  # what is sampled is checked
    run_stages(workspace, ("tune",))
    written = json.loads((workspace / tuned.tune.output_path).read_text(encoding="utf-8"))
    assert written["train_rows"] == len(frame)
    assert written["searched_rows"] <= max_rows + frame[params.data.target].nunique()
    if params.problem_type != "classification":
        assert written["searched_rows"] == max_rows
        return
    labels = frame[params.data.target].astype(str)
    folds = params.tune.cv_folds
    sample = at_most(frame, max_rows, params.seed, labels=labels, min_per_label=folds)
    assert len(sample) == written["searched_rows"]
    kept = sample[params.data.target].astype(str).value_counts()
    assert set(kept.index) == set(labels)
    assert kept.min() >= min(folds, labels.value_counts().min())
