"""What asks for retraining besides drift: an aged model (monitor-4) and lower quality on
labelled traffic (monitor-7). The model's age comes from Git (the first commit of its hash in
dvc.lock), so the aged model is a copy of the project committed with an old date."""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml

from tabular_mlops.data.split import read_split
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.monitoring.monitor import EXIT_HEALTHY, EXIT_RETRAIN
from tabular_mlops.monitoring.quality import (
    check_quality,
    load_labels,
)

from .conftest import SEED, START, alerted, project_copy, records_for

MODEL_HASH = "0123456789abcdef0123456789abcdef.dir"


def _commit_lock(root, params, days_before_start: float) -> None:
    """A dvc.lock that records the model folder's hash, committed ``days_before_start`` ago."""
    output = {"path": params.train.model_dir.as_posix(), "hash": "md5", "md5": MODEL_HASH}
    lock = {"schema": "2.0", "stages": {"train": {"outs": [output]}}}
    (root / "dvc.lock").write_text(yaml.safe_dump(lock))
    when = (START - timedelta(days=days_before_start)).isoformat()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.com",
        "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when,
    }  # fmt: skip
    for command in (["init", "--quiet"], ["add", "dvc.lock"], ["commit", "--quiet", "-m", "lock"]):
        subprocess.run(["git", *command], cwd=root, env=env, check=True)  # noqa: S603, S607


@pytest.mark.ml_test_score("monitor-4")
@pytest.mark.parametrize("age_factor", [0.5, 2.0], ids=["young", "aged"])
def test_a_model_older_than_the_limit_needs_retraining(
    monitor, reference_rows, monitored_params, trained_workspace, tmp_path, age_factor
):
    root = project_copy(trained_workspace, monitored_params, tmp_path / "project")
    limit = monitored_params.monitoring.staleness.max_model_age_days
    _commit_lock(root, monitored_params, days_before_start=limit * age_factor)
    report = monitor(reference_rows, root=root)
    staleness = next(check for check in report.checks if check.name == "staleness")
    assert staleness.details["model"]["age_days"] == pytest.approx(limit * age_factor, abs=0.01)
    if age_factor < 1:
        assert report.exit_code == EXIT_HEALTHY, report.alerts
    else:
        assert alerted(report, "staleness") == {"model"}, report.alerts
        assert report.exit_code == EXIT_RETRAIN


def _labels(
    rows: pd.DataFrame, params, predictions: list[Any], classes: list[str], wrong: bool
) -> pd.DataFrame:
    """The true targets of ``rows`` by request id. ``wrong`` plants a defect any model that
    passed the gate is measurably worse on, whatever the data: every label disagrees with the
    served prediction (a classifier's next class after the predicted one; a regressor's
    prediction plus three standard deviations of the target), as if the world had turned."""
    truth = rows[params.data.target].reset_index(drop=True)
    if wrong and params.problem_type == "classification":
        if len(classes) < 2:
            not_applicable("the model knows one class: no label can be wrong")
        truth = pd.Series(
            [classes[(classes.index(str(value)) + 1) % len(classes)] for value in predictions]
        )
    elif wrong:
        spread = float(truth.std())
        if not spread > 0:
            not_applicable("the target is constant in these rows: no label can be wrong")
        truth = pd.Series(np.asarray(predictions, dtype=float) + 3 * spread)
    return pd.DataFrame(
        {"request_id": [f"req-{i}" for i in range(len(rows))], params.data.target: truth}
    )


@pytest.fixture
def held_out_rows(trained_workspace, monitored_params) -> pd.DataFrame:
    """Healthy labelled traffic: rows the model never fitted (the validation and test splits,
    as the calibration draws them), as many as the default window holds."""
    folder = trained_workspace / monitored_params.split.output_dir
    held_out = pd.concat([read_split(folder, name) for name in ("val", "test")])
    size = min(monitored_params.monitoring.window.last, len(held_out))
    return held_out.sample(size, random_state=SEED).reset_index(drop=True)


@pytest.mark.ml_test_score("monitor-7")
def test_lower_quality_on_labelled_traffic_needs_retraining(
    monitor,
    window_of,
    held_out_rows,
    monitored_params,
    monitored_reference,
    trained_model,
    trained_workspace,
    tmp_path,
):
    """A healthy window raises an alert in at most monitoring.quality.alpha of windows
    (docs/monitoring.md quotes the measured rate); the planted defect always does."""
    settings = monitored_params.monitoring.quality
    if len(held_out_rows) < settings.min_labels:
        not_applicable(
            f"the validation and test splits hold {len(held_out_rows)} rows, fewer than "
            f"monitoring.quality.min_labels ({settings.min_labels}): quality is not judged"
        )
    metric = monitored_params.gate.metric
    records = records_for(held_out_rows, monitored_params, *trained_model)
    predictions = [record["prediction"] for record in records]
    classes = monitored_reference.classes
    good = tmp_path / "good.csv"
    _labels(held_out_rows, monitored_params, predictions, classes, wrong=False).to_csv(
        good, index=False
    )
    labels = load_labels(trained_workspace, monitored_params, good)
    quality = check_quality(
        monitored_reference, window_of(records), trained_workspace, monitored_params, labels
    )
    assert quality.status == "ok", quality
    assert quality.details["labelled"] == len(held_out_rows), quality
    assert metric in quality.details["window"], quality
    assert quality.details["periods"], quality

    spoilt = tmp_path / "spoilt.jsonl"  # JSON Lines are read too
    _labels(held_out_rows, monitored_params, predictions, classes, wrong=True).to_json(
        spoilt, orient="records", lines=True
    )
    report = monitor(held_out_rows, labels=spoilt)
    assert alerted(report, "quality") == {metric}, report.alerts
    assert report.exit_code == EXIT_RETRAIN
