"""Fixtures for the monitoring tests: traffic written in the API's record format.

The records are made from the project's own data (rows of the training split, which is what the
reference was sampled from) and the trained model's own predictions, so the tests hold after
``adopt`` switches the data. A test changes the rows (shifts a feature, makes a category
dominant, injects NaN) before they are written, then runs the monitor on them.
"""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.split import read_split
from tabular_mlops.ml_test_score.applicability import not_applicable
from tabular_mlops.modeling.registry import (
    load_verified_model,
    model_version,
)
from tabular_mlops.monitoring.monitor import (
    MonitorOptions,
    MonitorReport,
    run_monitor,
)
from tabular_mlops.monitoring.records import Window, read_window
from tabular_mlops.monitoring.reference import (
    Reference,
    load_reference,
    reference_path,
)
from tabular_mlops.serving.frames import frame_to_records

START = datetime(2025, 1, 6, tzinfo=UTC)
SEED = 7


@pytest.fixture(scope="session")
def monitored_params(trained_workspace: Path) -> Params:
    return load_params(trained_workspace / "params.yaml")


@pytest.fixture(scope="session")
def trained_model(trained_workspace: Path, monitored_params: Params) -> tuple[Any, str]:
    model, metadata = load_verified_model(trained_workspace / monitored_params.train.model_path)
    return model, model_version(metadata)


@pytest.fixture(scope="session")
def reference_rows(trained_workspace: Path, monitored_params: Params) -> pd.DataFrame:
    """A window's worth of training rows (as many as the default window holds), drawn
    without replacement from the split the reference was sampled from."""
    train = read_split(trained_workspace / monitored_params.split.output_dir, "train")
    size = min(monitored_params.monitoring.window.last, len(train))
    return train.sample(size, random_state=SEED).reset_index(drop=True)


def drift_testable(rows: pd.DataFrame, params: Params) -> bool:
    """Whether a window of ``rows`` is large enough for the drift tests to run at all.

    With fewer than ``monitoring.drift.min_values`` values on a side the monitor reports a
    feature as untested instead of testing it (a small training split gives a small reference).
    """
    return len(rows) >= params.monitoring.drift.min_values


def skip_unless_drift_testable(rows: pd.DataFrame, params: Params) -> None:
    if not drift_testable(rows, params):
        not_applicable(
            f"the training split gives windows of {len(rows)} rows, fewer than "
            f"monitoring.drift.min_values ({params.monitoring.drift.min_values}): the monitor "
            "reports drift as untested at this size"
        )


def records_for(
    rows: pd.DataFrame, params: Params, model: Any, version: str, latency_ms: float = 2.0
) -> list[dict[str, Any]]:
    """The records the API writes for ``rows``, one minute apart (the contract's format)."""
    features = rows[params.data.features.input_columns]
    predictions = model.predict(features).tolist()
    probabilities: list[Any] = [None] * len(rows)
    if params.problem_type == "classification":
        probabilities = [
            dict(zip(map(str, model.classes_), row, strict=True))
            for row in model.predict_proba(features).tolist()
        ]
    return [
        {
            "timestamp": (START + timedelta(minutes=index)).isoformat(),
            "request_id": f"req-{index}",
            "model_version": version,
            "latency_ms": latency_ms,
            "endpoint": "/predict",
            "inputs": inputs,
            "prediction": prediction,
            "probabilities": probability,
        }
        for index, (inputs, prediction, probability) in enumerate(
            zip(frame_to_records(features), predictions, probabilities, strict=True)
        )
    ]


def write_records(log_dir: Path, records: list[dict[str, Any]]) -> Path:
    """Write ``records`` as the API does (NaN written as JSON's NaN token, as json.dumps does)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(record) + "\n" for record in records)
    (log_dir / "predictions.jsonl").write_text(lines, encoding="utf-8")
    return log_dir


def nan_in(records: list[dict[str, Any]], column: str, every: int = 5) -> list[dict[str, Any]]:
    """``records`` with NaN in ``column`` of every ``every``-th record."""
    return [
        {**record, "inputs": {**record["inputs"], column: math.nan}}
        if index % every == 0
        else record
        for index, record in enumerate(records)
    ]


@pytest.fixture
def monitor(
    trained_workspace: Path,
    monitored_params: Params,
    trained_model: tuple[Any, str],
    tmp_path: Path,
) -> Callable[..., MonitorReport]:
    """Write records for rows and run the monitor on them: ``monitor(rows, **options)``."""
    model, version = trained_model

    def run(
        rows: pd.DataFrame,
        *,
        records: list[dict[str, Any]] | None = None,
        root: Path = trained_workspace,
        **options: Any,
    ) -> MonitorReport:
        log_dir = write_records(
            tmp_path / "logs", records or records_for(rows, monitored_params, model, version)
        )
        report, _, _ = run_monitor(
            monitored_params, root, MonitorOptions(log_dir=log_dir, now=START, **options)
        )
        return report

    return run


@pytest.fixture
def window_of(monitored_params: Params, tmp_path: Path) -> Callable[[list[dict[str, Any]]], Window]:
    """Records written and read back as the monitor reads them, to run one check on."""

    def read(records: list[dict[str, Any]]) -> Window:
        log_dir = write_records(tmp_path / "window", records)
        return read_window(log_dir, monitored_params.data.features.input_columns, last=None)

    return read


@pytest.fixture(scope="session")
def monitored_reference(trained_workspace: Path, monitored_params: Params) -> Reference:
    return load_reference(trained_workspace / reference_path(monitored_params))


def project_copy(workspace: Path, params: Params, destination: Path) -> Path:
    """The files the monitor reads, copied: params, schema, model folder, test metrics."""
    for relative in (Path("params.yaml"), params.schema_.path, params.evaluate.metrics_path):
        (destination / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(workspace / relative, destination / relative)
    shutil.copytree(workspace / params.train.model_dir, destination / params.train.model_dir)
    assert (destination / reference_path(params)).is_file()
    return destination


def alerted(report: MonitorReport, check: str) -> set[str]:
    """The subjects (features, '<prediction>', ...) that ``check`` raised alerts about."""
    return {alert.subject for alert in report.alerts if alert.check == check}
