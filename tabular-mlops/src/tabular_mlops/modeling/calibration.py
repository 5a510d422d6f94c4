"""Measure the slice and inclusion checks (model-6, model-7) on the project's own test split:
how often each fails a model that has no defect.

Each of ``resamples`` rounds draws a test split of the same size from the real one's rows,
with replacement, scores it with the trained model's predictions, and runs both checks as
``evaluate`` runs them (modeling/slices.py). Two kinds of round:

- permuted: each row's features are drawn independently of its truth and prediction, so no
  group of rows is served worse than the rest and every failure is a false alarm. Holm's
  procedure promises that the share of such rounds that fail stays at or under
  ``evaluate.slices.alpha``;
- resampled: rows are drawn whole, so the groups keep whatever differences the model really
  has. This is the check on healthy data as it is: a share near 0 says that the thresholds
  tolerate what is normal for these data (a regression's larger errors on larger targets, a
  rarer class), a share near 1 that a slice really is served worse than the others.

The staleness check (model-4: the curve's in-time point, at its best at 95% confidence, keeps
most of the model's margin over the baseline) is measured on ``resamples`` bootstrap
resamples of the raw rows (kept in their order): each draws the curve again, with one model
fitted, and a failure there is a false alarm unless the curve itself is wrong. It needs a
time column, as the check does.

``python -m <package>.modeling.calibration`` prints the figures as JSON (the template's own
tests run it on the demo data, and docs/model_selection.md quotes what it printed).
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.ingest import read_raw
from tabular_mlops.modeling.metrics import regression_of
from tabular_mlops.modeling.registry import load_verified_model
from tabular_mlops.modeling.slices import Judged, inclusion_report, slice_report

from ..data.split import read_split
from .staleness_impact import capped, staleness_curve
from .train import features_and_target

RESAMPLES = 100


def failures(
    frame: pd.DataFrame, truth: np.ndarray, predicted: np.ndarray, params: Params
) -> dict[str, bool]:
    """Whether the slice check and the inclusion check fail on these rows."""
    failed = {"slices": slice_report(frame, truth, predicted, params)["failed"] > 0}
    if params.evaluate.inclusion.attribute is not None:
        failed["inclusion"] = inclusion_report(frame, truth, predicted, params)["failed"] > 0
    return failed


def false_alarms(
    frame: pd.DataFrame,
    truth: np.ndarray,
    predicted: np.ndarray,
    params: Params,
    resamples: int = RESAMPLES,
    seed: int = 0,
) -> dict[str, Any]:
    """How many of ``resamples`` permuted and resampled rounds each check failed."""
    judged = Judged.sample(frame, truth, predicted, params)
    rows = len(judged.frame)
    random = np.random.default_rng(seed)
    counts: dict[str, dict[str, int]] = {}
    for kind in ("permuted", "resampled"):
        for _ in range(resamples):
            drawn = random.integers(0, rows, rows)
            features = random.integers(0, rows, rows) if kind == "permuted" else drawn
            failed = failures(
                judged.frame.iloc[features].reset_index(drop=True),
                judged.truth[drawn],
                judged.predicted[drawn],
                params,
            )
            for check, fired in failed.items():
                counts.setdefault(check, {}).setdefault(kind, 0)
                counts[check][kind] += int(fired)
    return {
        "rows": rows,
        "alpha": params.evaluate.slices.alpha,
        "resamples": resamples,
        "checks": {
            check: {kind: {"failed": n, "rate": round(n / resamples, 4)} for kind, n in by.items()}
            for check, by in counts.items()
        },
    }


def staleness_false_alarms(params: Params, resamples: int = RESAMPLES, seed: int = 0) -> Any:
    """How many of ``resamples`` resampled curves fail model-4's in-time check (run in the
    project's folder: the curve's model uses the tuned hyperparameters); None without a
    time column, when the check does not apply."""
    if params.time_column is None:
        return None
    raw = capped(read_raw(params.data.raw_path), params)
    test = json.loads(params.evaluate.metrics_path.read_text(encoding="utf-8"))
    metric = params.gate.metric
    model = test["model"][metric]
    margin = abs(regression_of(metric, test["baseline"][metric], model))
    allowed = params.staleness_impact.in_time_tolerance * margin
    random = np.random.default_rng(seed)
    failed = 0
    for _ in range(resamples):
        rows = np.sort(random.integers(0, len(raw), len(raw)))
        summary = staleness_curve(raw.iloc[rows].reset_index(drop=True), params).summary()
        best = summary.get("in_time_best")
        failed += best is not None and regression_of(metric, best, model) > allowed
    return {"resampled": {"failed": int(failed), "rate": round(failed / resamples, 4)}}


def calibrate(params: Params, root: Path = Path(), resamples: int = RESAMPLES) -> dict[str, Any]:
    """:func:`false_alarms` on the test split with the trained model's predictions, and
    :func:`staleness_false_alarms`."""
    test = read_split(root / params.split.output_dir, "test").reset_index(drop=True)
    model, _ = load_verified_model(root / params.train.model_path)
    features, target = features_and_target(test, params)
    dtype = float if params.problem_type == "regression" else object
    truth = target.to_numpy(dtype=dtype)
    predicted = np.asarray(model.predict(features)).astype(dtype)
    if dtype is object:
        truth, predicted = truth.astype(str), predicted.astype(str)
    figures = false_alarms(test, truth, predicted, params, resamples)
    with contextlib.chdir(root):
        staleness = staleness_false_alarms(params, resamples)
    if staleness is not None:
        figures["checks"]["staleness"] = staleness
    return figures


def main() -> None:
    print(json.dumps(calibrate(load_params()), indent=2))


if __name__ == "__main__":
    main()
