"""What does each feature cost when the model predicts? (ML Test Score data-3)

A batch of ``batch_rows`` validation rows (drawn with the project's seed, repeated when the
split is smaller) is predicted end to end, as ``/predict/batch`` does. Each feature's cost
is the time to compute it, for a derived feature, plus the time its column alone takes
through its part of the feature pipeline (imputation, scaling, encoding) beyond what the
same call takes for a single row: that fixed cost of a scikit-learn call is paid once per
kind of column, whatever the number of features, and is not any one feature's. The cost is
reported as a share of the end-to-end prediction and of the feature pipeline, and a
feature over ``max_share`` of the prediction fails the check: one feature should not
make every prediction of the model several times slower.

Each time is the fastest of ``repeats`` runs, less the time the run waited for a CPU
(Linux reports it): other work on the machine can only make a run slower, so this is the
closest to what the code itself costs. Predictions run on one thread, as the API's
workers do (serving/loading.py).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.base import clone
from threadpoolctl import threadpool_limits

from tabular_mlops.config import Params
from tabular_mlops.features.derived import add_derived_features, derived_features

from ..modeling.metrics import model_output


@dataclass(frozen=True)
class FeatureCost:
    """One feature's time in a batch prediction, in seconds and as shares."""

    feature: str
    derive_seconds: float  # computing it from the raw columns (derived features only)
    transform_seconds: float  # its column's encoding in the pipeline, beyond a call's fixed cost
    share_of_prediction: float  # of the batch's end-to-end prediction time
    share_of_features: float  # of the feature pipeline's time (can exceed 1 for a slow one)
    over_budget: bool

    @property
    def seconds(self) -> float:
        return self.derive_seconds + self.transform_seconds


@dataclass(frozen=True)
class CostReport:
    """Every feature's cost in one batch, and the budget it is held to."""

    batch_rows: int
    repeats: int
    prediction_seconds: float  # the whole batch, raw rows to predictions
    features_seconds: float  # the feature pipeline's share of it (derived features included)
    max_share: float
    features: list[FeatureCost]

    @property
    def over_budget(self) -> list[FeatureCost]:
        return [feature for feature in self.features if feature.over_budget]

    def to_dict(self) -> dict[str, Any]:
        result = asdict(self)
        for row, feature in zip(result["features"], self.features, strict=True):
            row["seconds"] = round(feature.seconds, 7)
        return result


# Linux counts, per thread, the time it was ready to run but waited for a CPU: on a busy
# machine that wait is most of a short run's clock time, and none of the code's own cost.
_SCHEDSTAT = Path("/proc/thread-self/schedstat")


def _waited() -> float:
    """Seconds this thread has spent waiting for a CPU so far (0 where not reported)."""
    try:
        return int(_SCHEDSTAT.read_text().split()[1]) / 1e9
    except (OSError, IndexError, ValueError):
        return 0.0


def fastest(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """The shortest of ``repeats`` timed runs of each of ``runs``, in seconds.

    A run's time is its clock time less the time it waited for a CPU (which other work on
    the machine causes; a run that sleeps or waits for a service still counts in full).
    The runs take turns, so a burst of other work slows one round of every run rather than
    every round of one.
    """
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeats):
        for name, run in runs.items():
            waited, start = _waited(), time.perf_counter()
            run()
            clock = time.perf_counter() - start
            elapsed = clock - (_waited() - waited)
            # The wait is counted in scheduler ticks: on a busy machine it can exceed a short
            # run's clock time, and a run cannot take no time (a share of 0 s divides by zero).
            best[name] = min(best[name], elapsed if elapsed > 0 else clock)
    return best


def batch_of(frame: pd.DataFrame, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` rows of ``frame``, drawn with ``seed`` (with replacement when it has fewer)."""
    sampled = frame.sample(n=rows, replace=len(frame) < rows, random_state=seed)
    return sampled.reset_index(drop=True)


def _column_transformers(model: Any) -> dict[str, Any]:
    """Each column the feature pipeline encodes -> the fitted steps that encode it."""
    columns = model.named_steps["features"].named_steps["columns"]
    return {
        name: transformer
        for _, transformer, names in columns.transformers_
        if not isinstance(transformer, str)  # "drop" or "passthrough": no work
        for name in names
    }


def _alone(
    transformer: Any, column: pd.DataFrame, target: pd.Series, rows: int
) -> Callable[[], object]:
    """A run of the first ``rows`` rows of ``column`` alone through a copy of ``transformer``.

    A fitted transformer cannot be cut down to one of its columns, so the copy is fitted on
    this column of the batch (not timed), with its target (a target encoder learns from
    it): the time to transform does not depend on the values it learnt.
    """
    alone = clone(transformer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. an imputer fitted on a column with no value
        alone.fit(column, target)
    part = column.head(rows)
    return lambda: alone.transform(part)


def _derive(name: str, batch: pd.DataFrame) -> Callable[[], object]:
    compute = derived_features()[name].compute
    return lambda: compute(batch)


def measure_cost(params: Params, model: Any, frame: pd.DataFrame) -> CostReport:
    """Time the fitted ``model`` and each of its features on a batch drawn from ``frame``."""
    settings = params.features_check.cost
    features = params.data.features
    rows = batch_of(
        frame[[*features.input_columns, params.data.target]], settings.batch_rows, params.seed
    )
    batch, target = rows[features.input_columns], rows[params.data.target]
    derived = add_derived_features(batch, features.derived)
    transformers = _column_transformers(model)
    feature_pipeline = model.named_steps["features"]
    names = [*features.input_columns, *features.derived]
    runs: dict[str, Callable[[], object]] = {
        "prediction": lambda: model_output(params.problem_type, model, batch),
        "features": lambda: feature_pipeline.transform(batch),
    }
    runs.update({f"derive {name}": _derive(name, batch) for name in features.derived})
    for name in names:
        runs[f"transform {name}"] = _alone(transformers[name], derived[[name]], target, len(batch))
        # The same on one row: scikit-learn's fixed cost of a call, which the pipeline pays
        # once for all the columns of a kind, is not this column's
        runs[f"transform one {name}"] = _alone(transformers[name], derived[[name]], target, 1)
    with threadpool_limits(limits=1):  # one thread, as the API predicts
        times = fastest(runs, settings.repeats)
    prediction, pipeline = times["prediction"], times["features"]
    costs = []
    for name in names:
        derive = times.get(f"derive {name}", 0.0)
        transform = max(times[f"transform {name}"] - times[f"transform one {name}"], 0.0)
        seconds = derive + transform
        costs.append(
            FeatureCost(
                feature=name,
                derive_seconds=round(derive, 7),
                transform_seconds=round(transform, 7),
                share_of_prediction=round(seconds / prediction, 4),
                share_of_features=round(seconds / pipeline, 4),
                over_budget=seconds > settings.max_share * prediction,
            )
        )
    return CostReport(
        batch_rows=len(batch),
        repeats=settings.repeats,
        prediction_seconds=round(prediction, 7),
        features_seconds=round(pipeline, 7),
        max_share=settings.max_share,
        features=costs,
    )
