"""The training reference: what the monitor compares served traffic with.

``train`` writes it beside the model (``<train.model_dir>/reference.json``, part of the same DVC
output), so every model version carries the reference it must be judged against and a restored
version brings its own. It holds a seeded sample of at most ``monitoring.reference.max_rows``
training rows (the model's input columns only), each column's missing share over the whole
training split, and the model's predictions on the validation split: predictions on rows it
was fitted on would be more confident than on new traffic, so they are not the yardstick for
prediction drift. The monitor then needs neither the training data nor the model to run.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabular_mlops.atomic import write_text
from tabular_mlops.config import Params
from tabular_mlops.monitoring.checks import MonitorInputError
from tabular_mlops.sampling import at_most

from ..errors import ProjectError

REFERENCE_FILE = "reference.json"


class ReferenceDataError(ProjectError, ValueError):
    """The training split lacks what ``params.yaml`` asks the reference to record."""


@dataclass(frozen=True)
class Reference:
    model_version: str  # first 12 hex digits of the model's SHA-256, as the API records it
    problem_type: str
    numeric: list[str]
    categorical: list[str]
    boolean: list[str]
    sample: pd.DataFrame  # object columns, None = missing
    train_rows: int
    missing_share: dict[str, float]
    predictions: list[Any]  # on the validation split
    classes: list[str]  # a classifier's classes, in the order of its probabilities
    newest_data_time: str | None  # the newest value of monitoring.staleness.time_column

    @property
    def columns(self) -> list[str]:
        return [*self.numeric, *self.categorical, *self.boolean]

    def kind(self, column: str) -> str:
        if column in self.numeric:
            return "numeric"
        return "categorical" if column in self.categorical else "boolean"


def reference_path(params: Params) -> Path:
    return params.train.model_dir / REFERENCE_FILE


def plain(value: Any) -> Any:
    """A JSON-ready Python value: NaN and pandas' missing values become None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    return value


def _newest_time(frame: pd.DataFrame, column: str | None) -> str | None:
    """The newest moment in ``column``: dates and times, or whole years (2024)."""
    if column is None:
        return None
    if column not in frame:
        raise ReferenceDataError(
            f"monitoring.staleness.time_column '{column}' is not a column of the training split"
        )
    values = frame[column].dropna()
    if pd.api.types.is_numeric_dtype(values) and values.between(1000, 9999).all():
        years = pd.to_datetime(values.astype(int).astype(str) + "-12-31", utc=True)
        newest = years.max()
    else:
        # format="mixed": dates such as 11/11/07 parse without pandas' guessing warning
        newest = pd.to_datetime(values, utc=True, errors="coerce", format="mixed").max()
    return None if pd.isna(newest) else pd.Timestamp(newest).isoformat()


def build_reference(
    params: Params, train_frame: pd.DataFrame, val_predictions: Any, classes: list[str], sha256: str
) -> dict[str, Any]:
    """The reference as a JSON-ready dict; seeded, so a rerun writes the same bytes."""
    features = params.data.features
    inputs = train_frame[features.input_columns]
    limit = params.monitoring.reference.max_rows
    sample = at_most(inputs, limit, params.seed)
    return {
        "model_version": sha256[:12],
        "problem_type": params.problem_type,
        "features": {
            "numeric": features.numeric,
            "categorical": features.categorical,
            "boolean": features.boolean,
        },
        "train_rows": len(train_frame),
        "missing_share": {
            column: round(float(inputs[column].isna().mean()), 6) for column in inputs.columns
        },
        "newest_data_time": _newest_time(train_frame, params.monitoring.staleness.time_column),
        "classes": [str(name) for name in classes],
        "predictions": [plain(value) for value in np.asarray(val_predictions).tolist()],
        "sample": {column: [plain(value) for value in sample[column]] for column in sample},
    }


def write_reference(params: Params, reference: dict[str, Any]) -> Path:
    path = reference_path(params)
    write_text(path, json.dumps(reference, sort_keys=True, separators=(",", ":")) + "\n")
    return path


def load_reference(path: Path) -> Reference:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MonitorInputError(
            f"no training reference {path}: run the pipeline (dvc repro train) to write it "
            "beside the model, or `dvc pull` it"
        ) from None
    return reference_from_dict(raw)


def reference_from_dict(raw: dict[str, Any]) -> Reference:
    """The :class:`Reference` that :func:`build_reference` describes."""
    features = raw["features"]
    return Reference(
        model_version=str(raw["model_version"]),
        problem_type=str(raw["problem_type"]),
        numeric=list(features["numeric"]),
        categorical=list(features["categorical"]),
        boolean=list(features["boolean"]),
        sample=pd.DataFrame(raw["sample"], dtype=object),
        train_rows=int(raw["train_rows"]),
        missing_share={str(k): float(v) for k, v in raw["missing_share"].items()},
        predictions=list(raw["predictions"]),
        classes=list(raw["classes"]),
        newest_data_time=raw.get("newest_data_time"),
    )
