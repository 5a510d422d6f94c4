"""Measure the drift check on the project's own data: its false-alarm rate and the smallest
shift it detects, at the configured window size.

Rows of the three splits are exchangeable (the split is random), so a random partition of them
into a reference (as many rows as the real one: the training split, capped at
``monitoring.reference.max_rows``) and a disjoint window (``monitoring.window.last`` rows) is a
window with no drift at all; the model predicts both, as it would serve them. Over many such
partitions:

- the false-alarm rate is the share of windows in which the drift, missing-value or stability
  rules raised any alert: the drift check promises it stays at or under
  ``monitoring.drift.alpha``. (The schema's type, range and category rules are left out: they
  were inferred from these very rows, so they cannot fire here, and they are the slow part);
- the smallest detected shift of a numeric feature is the smallest ``k`` (in steps of 0.1) such
  that adding ``k`` standard deviations to that feature in the window gets it named in at least
  80% of the windows, next to the window's other tests under Holm's procedure. The predictions
  are not recomputed for the shifted window, which can only make the figure larger: it errs on
  the safe side;
- the quality check's false-alarm rate: windows of labelled held-out rows (the validation and
  test splits, which the model never fitted), drawn without replacement, are healthy by
  construction; each is judged by the quality rule (quality.py: the permutation p-value of
  ``max_regression``) against the metric on all held-out rows, and any alert is a false alarm.

``python -m <package>.monitoring.calibration`` prints both as JSON (the template's own tests
run it on the demo data, and docs/monitoring.md quotes what it printed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.schema import DataSchema, load_data_schema
from tabular_mlops.modeling.metrics import most_probable
from tabular_mlops.modeling.registry import load_verified_model, model_version
from tabular_mlops.monitoring.checks import PREDICTION
from tabular_mlops.monitoring.drift import (
    DriftTest,
    check_drift,
    compare,
    drift_tests,
    holm,
    numbers,
)
from tabular_mlops.monitoring.invariants import missing_rates
from tabular_mlops.monitoring.records import Window, window_from_records
from tabular_mlops.monitoring.reference import (
    Reference,
    build_reference,
    plain,
    reference_from_dict,
)
from tabular_mlops.monitoring.stability import check_stability

from ..data.split import read_split
from .quality import (
    chance_values,
    fast_metric,
    labelled_predictions,
    metrics_of,
    p_regression_by_chance,
    p_values,
    resampled,
)

POWER = 0.8  # a shift counts as detected when it is named in this share of windows
SHIFTS = [round(0.1 * step, 1) for step in range(1, 31)]  # 0.1 ... 3.0 standard deviations
START = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class _Served:
    """Every row of the data with the model's answers, computed once for all partitions."""

    rows: pd.DataFrame
    predictions: list[Any]
    probabilities: list[Any]
    classes: list[str]
    version: str
    sha256: str


def _serve_all(rows: pd.DataFrame, params: Params, model: Any, metadata: dict[str, Any]) -> _Served:
    features = rows[params.data.features.input_columns]
    classes = [str(name) for name in getattr(model, "classes_", [])]
    probabilities: list[dict[str, float] | None]
    if params.problem_type == "classification":
        output = model.predict_proba(features)
        predictions = most_probable(model, output).tolist()
        probabilities = [dict(zip(classes, row, strict=True)) for row in output.tolist()]
    else:
        predictions, probabilities = model.predict(features).tolist(), [None] * len(rows)
    return _Served(
        rows, predictions, probabilities, classes, model_version(metadata), str(metadata["sha256"])
    )


def _window(served: _Served, index: np.ndarray, params: Params) -> Window:
    columns = params.data.features.input_columns
    features = served.rows.iloc[index][columns].to_dict(orient="records")
    records = [
        {
            "timestamp": START + timedelta(seconds=position),
            "model_version": served.version,
            "latency_ms": 1.0,
            "inputs": {name: plain(value) for name, value in row.items()},
            "prediction": served.predictions[at],
            "probabilities": served.probabilities[at],
        }
        for position, (at, row) in enumerate(zip(index, features, strict=True))
    ]
    return window_from_records(records, columns, Path("<calibration>"))


def _reference(served: _Served, index: np.ndarray, params: Params) -> Reference:
    predictions = [served.predictions[at] for at in index]
    rows = served.rows.iloc[index]
    return reference_from_dict(
        build_reference(params, rows, predictions, served.classes, served.sha256)
    )


def _any_alert(reference: Reference, window: Window, schema: DataSchema, params: Params) -> bool:
    checks = (check_drift(reference, window, params), check_stability(reference, window, params))
    return any(check.alerts for check in checks) or bool(
        missing_rates(reference, window.inputs, schema)[1]
    )


def _named_after_shift(
    reference: Reference,
    window: Window,
    tests: list[DriftTest],
    params: Params,
    column: str,
    shift: float,
) -> bool:
    """Whether ``column`` shifted by ``shift`` (in its own units) is named in this window,
    beside the window's other tests (``tests``, computed once)."""
    moved = numbers(window.inputs[column]) + shift
    others = [replace(test, drifted=False) for test in tests if test.subject != column]
    shifted = compare(
        column, "numeric", reference.sample[column].tolist(), moved.tolist(),
        params.monitoring.drift.max_discrete_values,
    )  # fmt: skip
    decided = holm([*others, shifted], params.monitoring.drift.alpha)
    return any(test.subject == column and test.drifted for test in decided)


def calibrate_quality(
    served: _Served, held_out: np.ndarray, reference: Reference, params: Params, windows: int
) -> dict[str, Any]:
    """The quality rule's false alarms over ``windows`` healthy windows of held-out rows."""
    settings, metric, target = params.monitoring.quality, params.gate.metric, params.data.target
    frame = pd.DataFrame(
        {
            "prediction": pd.Series(served.predictions, dtype=object),
            "probabilities": pd.Series(served.probabilities, dtype=object),
            target: served.rows[target],
        }
    ).iloc[held_out]
    size = min(params.monitoring.window.last, len(frame) // 2)
    if size < settings.min_labels:
        return {"quality_windows": 0, "quality_window_rows": size}
    yardstick = metrics_of(frame, reference, target)[metric]
    # The held-out rows play the test split: the chance spread of a window comes from them.
    actual, predicted = labelled_predictions(frame, reference, target)
    random = np.random.default_rng(1)
    alarms = 0
    for seed in range(windows):
        rows = random.choice(len(frame), size, replace=False)
        window = frame.iloc[rows]
        value = fast_metric(metric, actual[rows], predicted[rows])
        chance = chance_values(metric, (actual[rows], predicted[rows]), (actual, predicted))
        if len(chance) and value is not None:
            p_value: float | None = p_regression_by_chance(
                metric, value, chance, yardstick, settings.max_regression
            )
        else:
            values = resampled(window, reference, target, metric, seed=seed)
            p_value = p_values(metric, values, yardstick, settings.max_regression, None)[
                "regression"
            ]
        alarms += p_value is not None and p_value < settings.alpha
    return {
        "quality_windows": windows,
        "quality_window_rows": size,
        "quality_held_out_rows": len(frame),
        "quality_alpha": settings.alpha,
        "quality_false_alarms": alarms,
        "quality_false_alarm_rate": round(alarms / windows, 4),
    }


def calibrate(
    params: Params,
    root: Path = Path(),
    windows: int = 200,
    shift_windows: int = 50,
    seed: int = 0,
    quality_windows: int = 100,
) -> dict[str, Any]:
    """The false-alarm rate over ``windows`` undrifted windows, and the smallest detected shift
    of each numeric feature with many distinct values over ``shift_windows`` windows."""
    splits = [read_split(root / params.split.output_dir, name) for name in ("train", "val", "test")]
    model, metadata = load_verified_model(root / params.train.model_path)
    served = _serve_all(pd.concat(splits, ignore_index=True), params, model, metadata)
    rows = served.rows
    schema = load_data_schema(root / params.schema_.path)
    window_size = min(params.monitoring.window.last, len(rows) // 2)
    reference_size = min(
        len(splits[0]), params.monitoring.reference.max_rows, len(rows) - window_size
    )
    random = np.random.default_rng(seed)
    partitions = []
    for _ in range(windows):
        order = random.permutation(len(rows))
        window_index = order[reference_size : reference_size + window_size]
        partitions.append(
            (
                _reference(served, order[:reference_size], params),
                _window(served, window_index, params),
            )
        )
    alarms = sum(_any_alert(reference, window, schema, params) for reference, window in partitions)
    limit = params.monitoring.drift.max_discrete_values
    shiftable = [
        c for c in params.data.features.numeric if len(np.unique(numbers(rows[c]))) > limit
    ]
    smallest: dict[str, float | None] = {}
    null_tests = [
        drift_tests(reference, window.inputs, window.frame["prediction"].tolist(), params)[0]
        for reference, window in partitions[:shift_windows]
    ]
    for column in shiftable:
        std = float(np.std(numbers(rows[column]), ddof=1))
        smallest[column] = None
        for shift in SHIFTS:
            named = sum(
                _named_after_shift(reference, window, tests, params, column, shift * std)
                for (reference, window), tests in zip(partitions, null_tests, strict=False)
            )
            if named >= POWER * shift_windows:
                smallest[column] = shift
                break
    return {
        "rows": len(rows),
        "reference_rows": reference_size,
        "window_rows": window_size,
        "alpha": params.monitoring.drift.alpha,
        "windows": windows,
        "false_alarms": alarms,
        "false_alarm_rate": round(alarms / windows, 4),
        "shift_windows": shift_windows,
        "power": POWER,
        "smallest_detected_shift_std": smallest,
        # every feature but dates (which drift by nature), and the predictions
        "tests_per_window": len(params.data.features.input_columns)
        - len(params.data.features.datetime)
        + 1,
        "prediction_subject": PREDICTION,
        **calibrate_quality(
            served,
            np.arange(len(splits[0]), len(rows)),
            partitions[0][0],
            params,
            quality_windows,
        ),
    }


def main() -> None:
    print(json.dumps(calibrate(load_params()), indent=2))


if __name__ == "__main__":
    main()
