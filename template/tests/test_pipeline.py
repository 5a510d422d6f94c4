"""The whole pipeline runs end to end (infra-3), reproducibly (infra-1), and bad data stops it.

Each stage is run through the command line, exactly as ``dvc.yaml`` runs it, inside a
temporary copy of the project's configuration.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from tabular_mlops.checks.support import (
    PROJECT_ROOT,
    STAGES,
    absolute_source,
    copy_configuration,
    run_stage,
    run_stages,
    schema_breach,
    stages_until,
)
from tabular_mlops.config import load_params
from tabular_mlops.modeling.metrics import regression_of
from tabular_mlops.modeling.registry import load_metadata


@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory: pytest.TempPathFactory, trained_workspace: Path) -> Path:
    """A second run of the stages up to the gate (the gate may refuse), in a fresh workspace.

    All but the search, whose result is copied from the trained workspace: it is the costliest
    stage, and tabular-mlops's checks of `tune` run a search twice and compare the bytes.
    """
    workspace = copy_configuration(tmp_path_factory.mktemp("pipeline"))
    stages = stages_until("evaluate")
    search = stages.index("tune")
    run_stages(workspace, stages[:search])
    tuned = load_params(workspace / "params.yaml").tune.output_path
    (workspace / tuned).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(trained_workspace / tuned, workspace / tuned)
    run_stages(workspace, stages[search + 1 :])
    previous = Path.cwd()
    os.chdir(workspace)
    try:
        gate = run_stage("gate")
    finally:
        os.chdir(previous)
    assert gate.exit_code == 0 or gate.output.startswith("error: model gate failed"), gate.output
    return workspace


def _as_the_pipeline_runs(workspace: Path, params) -> bool:
    """Whether ``workspace`` trains what `dvc repro` trains: all the rows, the whole search."""
    tested = load_params(workspace / "params.yaml")
    same_rows = tested.data.source == absolute_source(params.data.source)
    return same_rows and tested.tune.budget == params.tune.budget


def _outcome(workspace: Path) -> dict:
    params = load_params(workspace / "params.yaml")
    return {
        "model_sha256": load_metadata(workspace / params.train.model_path)["sha256"],
        "test_metrics": json.loads((workspace / params.evaluate.metrics_path).read_text()),
        "splits": {
            path.name: path.read_bytes()
            for path in sorted((workspace / params.split.output_dir).glob("*.csv"))
        },
    }


def test_the_stages_are_those_of_dvc_yaml():
    stages = yaml.safe_load((PROJECT_ROOT / "dvc.yaml").read_text(encoding="utf-8"))["stages"]
    assert tuple(stages) == STAGES


@pytest.mark.ml_test_score("infra-3")
def test_pipeline_trains_a_model_that_beats_its_baseline(pipeline_run, params):
    gate = json.loads((pipeline_run / params.gate.report_path).read_text())
    metric = params.gate.metric
    if _as_the_pipeline_runs(pipeline_run, params):
        assert gate["passed"], gate["reasons"]  # the very model, so the pipeline's verdict
    else:
        # A sample of the rows (tests.max_rows) or a smaller search than params.yaml's: the
        # margin is for `dvc repro`'s gate to judge; this model must still beat the baseline.
        assert regression_of(metric, gate["model"], gate["baseline"]) < 0, gate
    metrics = json.loads((pipeline_run / params.evaluate.metrics_path).read_text())
    assert metrics["model"][metric] != metrics["baseline"][metric]
    assert metrics["test_rows"] > 0
    for output in (
        params.data.raw_path,
        params.ingest.report_path,
        params.validate_.report_path,
        params.train.model_path,
        params.train.baseline_path,
        params.train.metrics_path,
        params.evaluate.plots_dir / "predictions.csv",
        params.evaluate.plots_dir / "curve.csv",
    ):
        assert (pipeline_run / output).stat().st_size > 0, output
    for split in ("train", "val", "test"):
        assert len(pd.read_csv(pipeline_run / params.split.output_dir / f"{split}.csv")) > 0


@pytest.mark.ml_test_score("infra-1")
def test_two_runs_give_the_same_splits_model_bytes_and_metrics(pipeline_run, trained_workspace):
    assert _outcome(pipeline_run) == _outcome(trained_workspace)


@pytest.mark.ml_test_score("data-1")
def test_corrupted_data_stops_the_pipeline_before_training(
    tmp_path, monkeypatch, params, data_schema, raw_frame
):
    column, value, check = schema_breach(params, data_schema)
    corrupted = raw_frame.copy()
    corrupted[column] = corrupted[column].astype(object)
    corrupted.loc[corrupted.index[len(corrupted) // 2], column] = value
    corrupted.to_csv(tmp_path / "corrupted.csv", index=False)
    copy_configuration(tmp_path, source=str(tmp_path / "corrupted.csv"))
    monkeypatch.chdir(tmp_path)
    assert run_stage("ingest").exit_code == 0
    validation = run_stage("validate")
    assert validation.exit_code == 1
    assert validation.output.startswith("error: data validation failed")
    assert f"column '{column}': {check}" in validation.output
    assert json.loads(params.validate_.report_path.read_text())["valid"] is False
    split = run_stage("split")
    assert split.exit_code == 1
    assert "invalid" in split.output
    assert not (params.split.output_dir / "train.csv").exists()
    assert not params.train.model_path.exists()
    assert len(pd.read_csv(params.data.raw_path)) == len(corrupted)


def test_a_header_only_source_stops_ingest_with_one_line(tmp_path, monkeypatch, params, raw_frame):
    raw_frame.head(0).to_csv(tmp_path / "header.csv", index=False)
    copy_configuration(tmp_path, source=str(tmp_path / "header.csv"))
    monkeypatch.chdir(tmp_path)
    result = run_stage("ingest")
    assert result.exit_code == 1
    assert result.output.startswith("error: ")
    assert "no rows" in result.output
    assert not params.data.raw_path.exists()


@pytest.mark.parametrize("command", ["validate", "infer-schema"])
def test_a_misspelt_feature_is_caught_before_training(tmp_path, monkeypatch, params, command):
    features = params.data.features.model_dump()
    kind = next(kind for kind in ("numeric", "categorical", "boolean") if features[kind])
    right = features[kind][0]
    features[kind][0] = right + "x"
    copy_configuration(tmp_path, features=features)
    monkeypatch.chdir(tmp_path)
    assert run_stage("ingest").exit_code == 0
    result = run_stage(command)
    assert result.exit_code == 1
    assert f"'{right}x' (did you mean '{right}'?)" in result.output


def test_infer_schema_writes_the_schema_the_validation_then_accepts(tmp_path, monkeypatch, params):
    copy_configuration(tmp_path)
    monkeypatch.chdir(tmp_path)
    params.schema_.path.unlink()
    assert run_stage("ingest").exit_code == 0
    assert "adopt" in run_stage("validate").output  # no schema yet: says how to make one
    inferred = run_stage("infer-schema")
    assert inferred.exit_code == 0, inferred.output
    assert params.schema_.path.exists()
    assert run_stage("validate").exit_code == 0


def test_predict_names_the_problem_instead_of_a_traceback(tmp_path, monkeypatch, params, raw_frame):
    copy_configuration(tmp_path)
    monkeypatch.chdir(tmp_path)
    rows = raw_frame.head(3)
    rows.to_csv("rows.csv", index=False)
    no_model = run_stage("predict", "rows.csv")
    assert no_model.exit_code == 1
    assert "not found" in no_model.output
    first = params.data.features.input_columns[0]
    rows.drop(columns=[first]).to_csv("partial.csv", index=False)
    partial = run_stage("predict", "partial.csv")
    assert partial.exit_code == 1
    assert first in partial.output
    absent = run_stage("predict", "absent.csv")
    assert absent.exit_code == 1
    assert absent.output.startswith("error: absent.csv not found")
