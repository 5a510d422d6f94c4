"""How quality falls as the model ages (ML Test Score model-4).

One model is trained on the oldest rows (``staleness_impact.train_share`` of them: about as
many as the training split holds, so that the tuned hyperparameters suit it), with the
project's estimator and the hyperparameters the tune stage chose (no new search). It is scored
with the gate's metric on rows of its own period that it did not see (age 0, the "in time"
point) and on each of ``staleness_impact.parts`` newer parts (age 1, 2, ...). The curve says
how much a model loses per part of age, hence how often it must be retrained.

The order is that of the time column (``staleness_impact.time_column``, else the monitor's
``monitoring.staleness.time_column``) when there is one: rows sharing a time stay in the same
part. Without one the row order of the raw data stands in for time (tables are usually
appended to); that is a simulation, and the outputs say so. A file sorted by its target is not
in time order at all (the oldest rows would hold one class, or only small values), so its rows
are then taken in a seeded shuffled order, and the curve shows sampling noise only: the
outputs say that too.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm
from sklearn.exceptions import UndefinedMetricWarning

from tabular_mlops.atomic import write_csv, write_json
from tabular_mlops.config import Params
from tabular_mlops.data.ingest import read_raw
from tabular_mlops.modeling.metrics import (
    LOWER_IS_BETTER,
    model_output,
    most_probable,
    regression_of,
    rounded,
    score,
)
from tabular_mlops.modeling.pipeline import build_model
from tabular_mlops.modeling.resampling import (
    CLASSIFICATION_METRICS,
    classification_table,
    regression_metric,
    regression_table,
    resampled_sums,
)
from tabular_mlops.sampling import at_most

from ..data.split import learnable_rows
from ..errors import ProjectError
from .train import features_and_target, tuned_hyperparameters, with_tuned

# A part with fewer rows gives a metric too noisy to plot: it joins the part before it.
MIN_PART_ROWS = 10
CURVE_COLUMNS = ("age", "rows", "first", "last")


class StalenessImpactError(ProjectError, ValueError):
    """The configuration does not fit the data; the message says what to change."""


@dataclass(frozen=True)
class TimeOrder:
    """Rows oldest first, with the time of each (as text, for the plot) and how it was ordered."""

    frame: pd.DataFrame
    times: pd.Series  # sortable: numbers or timestamps; the row number when time is simulated
    order: str


@dataclass(frozen=True)
class Curve:
    """The points (age 0 first) and the figures derived from them; ``reason`` when none."""

    metric: str
    order: str
    points: pd.DataFrame  # CURVE_COLUMNS and the metric
    train_rows: int
    reason: str | None = None
    # the in-time point on bootstrap resamples of its rows: how far chance moves it
    in_time_resampled: tuple[float, ...] = ()

    def summary(self) -> dict[str, Any]:
        """The DVC metrics: the in-time and newest values and the drop per part of age."""
        values = self.points[self.metric].to_numpy(dtype=float)
        figures: dict[str, Any] = {
            "metric": self.metric,
            "order": self.order,
            "points": len(values),  # the in-time point and one per newer part
            "train_rows": self.train_rows,
            "reason": self.reason,
        }
        if len(values) < 2:
            return figures | {"in_time": None, "newest": None, "drop_per_part": None}
        # Positive drops are losses whatever the metric's direction (an RMSE that rises).
        drops = np.array([regression_of(self.metric, value, values[0]) for value in values])
        slope = float(np.polyfit(np.arange(len(drops)), drops, 1)[0])
        resampled = np.array(self.in_time_resampled, dtype=float)
        resampled = resampled[np.isfinite(resampled)]
        return figures | rounded(
            {
                "in_time": float(values[0]),
                # its best value at 95% confidence (one-sided): the test of model-4 allows
                # for chance with it (the in-time rows are few, a share of the oldest part)
                "in_time_best": float(
                    np.quantile(resampled, 0.05 if self.metric in LOWER_IS_BETTER else 0.95)
                )
                if len(resampled)
                else float(values[0]),
                "newest": float(values[-1]),
                "drop_per_part": slope,
                "largest_drop": float(drops[1:].max()),
            }
        )


def _sortable_time(values: pd.Series, column: str) -> pd.Series:
    """Numbers (a year, a Unix time) as they are; text parsed as dates and times."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float)
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    if parsed.notna().sum() == 0 and values.notna().any():
        raise StalenessImpactError(
            f"time column '{column}' (staleness_impact.time_column, else "
            f"monitoring.staleness.time_column) holds no date, time or number "
            f"(e.g. {values.dropna().iloc[0]!r}): name a column of dates, times or years, or null"
        )
    return parsed


# How the order is described without a time column (model-4's tests are then not applicable).
SIMULATED_ORDER = "simulated: no time column"
SHUFFLED_ORDER = f"{SIMULATED_ORDER}, and the rows are sorted by the target"


def sorted_by_target(target: pd.Series, problem_type: str) -> bool:
    """Whether the rows are ordered by their label (one block per class, or monotonic)."""
    if problem_type == "classification":
        runs = int((target != target.shift()).sum())
        return runs == target.nunique()
    return bool(target.is_monotonic_increasing or target.is_monotonic_decreasing)


def time_order(frame: pd.DataFrame, params: Params) -> TimeOrder:
    """The labelled rows oldest first, by the time column or by a simulated time."""
    target = params.data.target
    labelled, _ = learnable_rows(frame, target, params.problem_type, params.split.min_class_rows)
    column = params.time_column
    if column is not None:
        if column not in labelled:
            raise StalenessImpactError(
                f"time column '{column}' (staleness_impact.time_column, else "
                f"monitoring.staleness.time_column) is not a column of "
                f"{params.data.raw_path}: name one of {', '.join(map(str, labelled.columns))}"
            )
        times = _sortable_time(labelled[column], column)
        known = times.notna()
        ordered = np.argsort(times[known].to_numpy(), kind="stable")
        rows = labelled[known].iloc[ordered].reset_index(drop=True)
        when = times[known].iloc[ordered].reset_index(drop=True)
        dropped = int((~known).sum())
        note = f"; {dropped} row(s) without a time left out" if dropped else ""
        return TimeOrder(rows, when, f"time column '{column}'{note}")
    if sorted_by_target(labelled[target], params.problem_type):
        shuffled = labelled.sample(frac=1.0, random_state=params.seed).reset_index(drop=True)
        order = (
            f"{SHUFFLED_ORDER}, so they were shuffled (seeded); this curve shows sampling "
            "noise, not ageing"
        )
        return TimeOrder(shuffled, pd.Series(np.arange(len(shuffled)), dtype=float), order)
    order = f"{SIMULATED_ORDER}, the row order of the raw data stands for time"
    return TimeOrder(labelled, pd.Series(np.arange(len(labelled)), dtype=float), order)


def assign_parts(times: pd.Series, train_share: float, parts: int) -> np.ndarray:
    """Part numbers for rows sorted by ``times``: 0 for the oldest ``train_share`` of them,
    then 1 to ``parts`` for the newer rows cut in runs of about equal size. Rows sharing a time
    go where most of them fall, and a part under MIN_PART_ROWS rows joins the one before it."""
    count = len(times)
    # the mean position of each time's rows decides where all of them go
    position = pd.Series(np.arange(count, dtype=float)).groupby(times.to_numpy()).transform("mean")
    boundary = train_share * count
    newer = np.floor((position.to_numpy() - boundary) * parts / max(count - boundary, 1.0))
    labels = np.where(position.to_numpy() < boundary, 0, newer.clip(0, parts - 1) + 1)
    _, numbered = np.unique(labels, return_inverse=True)
    sizes = np.bincount(numbered)
    while len(sizes) > 1 and sizes.min() < MIN_PART_ROWS:
        small = int(sizes.argmin())
        into = small - 1 if small > 0 else 1  # join the older neighbour (the oldest: the next)
        numbered[numbered == small] = into
        _, numbered = np.unique(numbered, return_inverse=True)
        sizes = np.bincount(numbered)
    return np.asarray(numbered)


def _describe_time(value: Any, simulated: bool) -> str:
    if simulated:
        return f"row {int(value)}"
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    number = float(value)
    return str(int(number)) if number.is_integer() else repr(number)


# The metrics that need only the predicted labels, as metrics.score computes them.
_LABEL_METRICS: dict[str, Any] = {
    "accuracy": skm.accuracy_score,
    "precision_macro": partial(skm.precision_score, average="macro", zero_division=0),
    "recall_macro": partial(skm.recall_score, average="macro", zero_division=0),
    "f1_macro": partial(skm.f1_score, average="macro", zero_division=0),
}


def _value(params: Params, model: Any, frame: pd.DataFrame) -> float:
    """The gate metric of ``model`` on ``frame``; NaN when it is undefined there."""
    features, target = features_and_target(frame, params)
    metric = params.gate.metric
    with warnings.catch_warnings():
        # a part holding one class has no ROC AUC (NaN): the other metrics are defined
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        try:
            return float(score(params.problem_type, model, features, target)[metric])
        except ValueError:
            # a class the old model never saw: ROC AUC cannot be computed, label metrics can
            if metric not in _LABEL_METRICS:
                return math.nan
            return float(_LABEL_METRICS[metric](target, model.predict(features)))


IN_TIME_RESAMPLES = 200


def _resampled(params: Params, model: Any, frame: pd.DataFrame) -> tuple[float, ...]:
    """The gate metric of ``model`` on IN_TIME_RESAMPLES bootstrap resamples of ``frame``
    (the model's output computed once; a metric of sums all at once, modeling/resampling.py)."""
    features, target = features_and_target(frame, params)
    output = model_output(params.problem_type, model, features)
    metric = params.gate.metric
    if metric in CLASSIFICATION_METRICS or metric in LOWER_IS_BETTER:
        if params.problem_type == "classification":
            truth = target.to_numpy(dtype=object)
            table = classification_table(truth, most_probable(model, output))
            # metrics.score averages over every class in the truth or the predictions
            labels = np.ones(len(table.classes))
        else:
            truth = target.to_numpy(dtype=float)
            table = regression_table(truth, output, np.zeros(len(truth)))
        chunks = [whole for _, whole in resampled_sums(table, [], IN_TIME_RESAMPLES, params.seed)]
        sums = np.concatenate(chunks[1:])  # the first is the rows as they are
        if params.problem_type == "classification":
            values = CLASSIFICATION_METRICS[metric](sums, labels, len(table.classes))
        else:
            values = regression_metric(metric, sums)
        return tuple(float(value) for value in values)
    random = np.random.default_rng(params.seed)
    resampled = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UndefinedMetricWarning)
        for _ in range(IN_TIME_RESAMPLES):  # ROC AUC and R2: one resample at a time
            rows = random.integers(0, len(frame), len(frame))
            try:
                scored = score(
                    params.problem_type, model, features.iloc[rows], target.iloc[rows], output[rows]
                )
                resampled.append(float(scored[metric]))
            except ValueError:  # a resample with one class: no ROC AUC
                resampled.append(math.nan)
    return tuple(resampled)


def staleness_curve(frame: pd.DataFrame, params: Params) -> Curve:
    """Order ``frame`` by time, train on the oldest part and score every part."""
    settings = params.staleness_impact
    metric = params.gate.metric
    ordered = time_order(frame, params)
    simulated = ordered.order.startswith("simulated")
    parts = assign_parts(ordered.times, settings.train_share, settings.parts)
    empty = pd.DataFrame(columns=[*CURVE_COLUMNS, metric])
    if parts.max(initial=0) < 1:
        reason = (
            f"{len(ordered.frame)} labelled rows give no part newer than the training rows "
            f"(each part needs {MIN_PART_ROWS} rows, and rows sharing a time stay together)"
        )
        return Curve(metric, ordered.order, empty, 0, reason)
    oldest = ordered.frame[parts == 0]
    in_time = oldest.sample(frac=settings.in_time_share, random_state=params.seed)
    fitted_on = oldest.drop(index=in_time.index)
    features, target = features_and_target(fitted_on, params)
    if params.problem_type == "classification" and target.nunique() < 2:
        reason = f"the oldest part holds a single class ({target.iloc[0]!r}): nothing to train"
        return Curve(metric, ordered.order, empty, len(fitted_on), reason)
    model = build_model(with_tuned(params, tuned_hyperparameters(params))).fit(features, target)

    points = []
    for age in range(int(parts.max()) + 1):
        part = ordered.frame[parts == age]
        times = ordered.times[parts == age]
        scored = in_time if age == 0 else part
        points.append(
            {
                "age": age,
                "rows": len(scored),
                "first": _describe_time(times.min(), simulated),
                "last": _describe_time(times.max(), simulated),
                metric: round(_value(params, model, scored), 6),
            }
        )
    resampled = _resampled(params, model, in_time)
    return Curve(metric, ordered.order, pd.DataFrame(points), len(fitted_on), None, resampled)


def capped(frame: pd.DataFrame, params: Params) -> pd.DataFrame:
    """At most ``staleness_impact.max_rows`` rows: a seeded sample, kept in its order."""
    return at_most(frame, params.staleness_impact.max_rows, params.seed)


def staleness_impact(params: Params) -> dict[str, Any]:
    """Compute the curve on the raw data; write it (a DVC plot) and its summary (metrics)."""
    curve = staleness_curve(capped(read_raw(params.data.raw_path), params), params)
    write_csv(params.staleness_impact.plot_path, curve.points)
    summary = curve.summary()
    write_json(params.staleness_impact.metrics_path, summary)
    return summary
