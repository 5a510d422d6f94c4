"""Prediction quality on served data (monitor-7), once the true outcomes arrive.

Labels come as a CSV or JSON Lines file with a ``request_id`` column (the id the API returned
in ``X-Request-ID``; record ``i`` of a batch request is ``<id>:i``) and the target column. The
labelled records of the window are scored with the problem type's metrics (modeling/metrics.py,
the ones the test set was scored with), over the whole window and per
``monitoring.quality.period``. An alert is raised when the gate's metric over the window is
worse than the offline test metric by more than ``max_regression`` (a share of the test value,
so the rule means the same for F1 and for an RMSE in grams), or worse than ``floor`` when set.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ..config import Params
from ..modeling.metrics import is_improvement, regression_of, rounded, score
from .checks import Alert, CheckResult, MonitorInputError, result, skipped
from .records import Window
from .reference import Reference

ITEM = "monitor-7"
REQUEST_ID = "request_id"


def read_labels(path: Path, target: str) -> pd.DataFrame:
    """The labels file as ``request_id`` and ``target`` columns (the last label of an id wins)."""
    if not path.is_file():
        raise MonitorInputError(
            f"labels file {path} not found: give a CSV or JSON Lines file with the columns "
            f"'{REQUEST_ID}' and '{target}' (--labels or monitoring.quality.labels_path)"
        )
    try:
        if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
            labels = pd.read_json(path, lines=True, dtype=False)
        else:
            labels = pd.read_csv(path, dtype={REQUEST_ID: str})
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as error:
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise MonitorInputError(
            f"labels file {path} is not readable as "
            f"{'JSON Lines' if path.suffix.lower() in ('.jsonl', '.json', '.ndjson') else 'CSV'}: "
            f"{first}"
        ) from error
    absent = [name for name in (REQUEST_ID, target) if name not in labels.columns]
    if absent:
        raise MonitorInputError(
            f"labels file {path} lacks the column(s) {', '.join(absent)} "
            f"(it has: {', '.join(map(str, labels.columns)) or 'none'})"
        )
    labels = labels[[REQUEST_ID, target]].dropna()
    labels[REQUEST_ID] = labels[REQUEST_ID].astype(str)
    return labels.drop_duplicates(REQUEST_ID, keep="last")


def _probabilities(frame: pd.DataFrame, classes: list[str]) -> np.ndarray:
    """A classifier's probabilities in the model's class order; a record that was logged
    without them counts as certain of its prediction."""
    rows = []
    for prediction, given in zip(frame["prediction"], frame["probabilities"], strict=True):
        if isinstance(given, dict) and given:
            rows.append([float(given.get(name, 0.0)) for name in classes])
        else:
            rows.append([1.0 if name == str(prediction) else 0.0 for name in classes])
    return np.asarray(rows, dtype=float)


def metrics_of(frame: pd.DataFrame, reference: Reference, target: str) -> dict[str, float]:
    """The problem type's metrics over labelled records (ValueError if they cannot be computed,
    e.g. a ROC AUC over a single class)."""
    if reference.problem_type == "regression":
        output = frame["prediction"].to_numpy(dtype=float)
        return rounded(score("regression", None, frame, frame[target].astype(float), output))
    model = SimpleNamespace(classes_=np.asarray(reference.classes, dtype=object))
    actual = frame[target].map(lambda value: str(value))
    return rounded(
        score("classification", model, frame, actual, _probabilities(frame, reference.classes))
    )


def _offline(root: Path, params: Params) -> dict[str, float]:
    path = root / params.evaluate.metrics_path
    try:
        return dict(json.loads(path.read_text(encoding="utf-8"))["model"])
    except FileNotFoundError:
        raise MonitorInputError(
            f"{path} not found: the offline test metrics are the yardstick for quality; "
            "run the pipeline (dvc repro evaluate) or `dvc pull`"
        ) from None


def load_labels(root: Path, params: Params, given: Path | None) -> tuple[pd.DataFrame, Path] | None:
    """The labels from ``given`` (--labels), else monitoring.quality.labels_path; None if neither
    names a file. Read before any check runs, so a bad file fails at once."""
    path = given or params.monitoring.quality.labels_path
    if path is None:
        return None
    return read_labels(path if path.is_absolute() else root / path, params.data.target), path


def check_quality(
    reference: Reference,
    window: Window,
    root: Path,
    params: Params,
    labels: tuple[pd.DataFrame, Path] | None,
) -> CheckResult:
    settings = params.monitoring.quality
    if labels is None:
        return skipped("quality", ITEM, "no labels (monitoring.quality.labels_path or --labels)")
    target, metric = params.data.target, params.gate.metric
    frame = window.frame.merge(labels[0], on=REQUEST_ID, how="inner")
    details: dict[str, Any] = {"labels": str(labels[1]), "labelled": len(frame), "metric": metric}
    if len(frame) < settings.min_labels:
        return skipped(
            "quality",
            ITEM,
            f"{len(frame)} labelled record(s) in the window, fewer than "
            f"monitoring.quality.min_labels ({settings.min_labels})",
            details,
        )
    offline = _offline(root, params)
    try:
        live = metrics_of(frame, reference, target)
    except ValueError as error:
        return skipped("quality", ITEM, f"metrics cannot be computed: {error}", details)
    periods = []
    try:
        grouped = frame.groupby(frame["timestamp"].dt.floor(settings.period), sort=True)
    except ValueError as error:
        raise MonitorInputError(
            f"monitoring.quality.period '{settings.period}' is not a pandas frequency "
            "(e.g. 1h, 1D, 7D)"
        ) from error
    for start, group in grouped:
        entry: dict[str, Any] = {"start": pd.Timestamp(start).isoformat(), "labelled": len(group)}
        if len(group) >= settings.min_labels:
            try:
                entry["metrics"] = metrics_of(group, reference, target)
            except ValueError as error:
                entry["error"] = str(error)
        periods.append(entry)
    details.update({"window": live, "offline": offline, "periods": periods})
    alerts = []
    value, test_value = live[metric], offline[metric]
    worse = regression_of(metric, value, test_value) / abs(test_value) if test_value else 0.0
    if worse > settings.max_regression:
        alerts.append(
            Alert(
                "quality",
                metric,
                f"{metric} on {len(frame)} labelled records is {value:.4g}, {worse:.1%} worse than "
                f"the test set's {test_value:.4g} (limit {settings.max_regression:.0%})",
                "retrain",
            )
        )
    if settings.floor is not None and not is_improvement(metric, value, settings.floor, 0.0):
        alerts.append(
            Alert(
                "quality",
                metric,
                f"{metric} on served data is {value:.4g}, worse than the floor {settings.floor:g}",
                "retrain",
            )
        )
    summary = f"{metric} {value:.4g} on {len(frame)} labelled records (test set {test_value:.4g})"
    return result("quality", ITEM, summary, details, alerts)
