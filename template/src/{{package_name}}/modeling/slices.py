"""Quality on groups of test rows: each feature's slices (ML Test Score model-6) and the
groups of a sensitive attribute (model-7).

A good average can hide a group the model fails. ``evaluate`` scores the model again on each
group of the test split, with one metric, and writes two DVC metrics files, so ``dvc metrics
diff`` shows a slice that got worse between commits:

- slices: every value of each categorical and true/false feature, and the quantile bins of
  each numeric feature. A judged slice fails when its metric is worse than on the rest of
  the rows by more than ``max_gap``, or worse than ``floor``.
- inclusion: the groups of ``evaluate.inclusion.attribute`` (a raw column, a model input or
  not). It fails when the best and worst groups' metrics, or their error rates, are further
  apart than the thresholds.

A group with fewer than ``min_rows`` rows is reported but not judged: on a few rows one
error moves the metric more than any threshold could tolerate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sklearn import metrics as sk

from ..atomic import write_json
from ..config import Params, ProblemType
from .metrics import LOWER_IS_BETTER, regression_of

MISSING = "(missing)"  # the group of rows where the column is empty
GROUP_METRICS: dict[ProblemType, tuple[str, ...]] = {
    "classification": ("accuracy", "precision_macro", "recall_macro", "f1_macro"),
    "regression": ("mae", "rmse"),
}
_MACRO_SCORERS: dict[str, Any] = {
    "precision_macro": sk.precision_score,
    "recall_macro": sk.recall_score,
    "f1_macro": sk.f1_score,
}
DIGITS = 6  # rounded so that reruns write identical files


class GroupSettingError(ValueError):
    """evaluate.slices or evaluate.inclusion names a metric or a column that cannot apply."""


def group_metric_name(params: Params) -> str:
    """The metric computed on each group: ``evaluate.slices.metric``, else the gate metric."""
    metric = params.evaluate.slices.metric or params.gate.metric
    allowed = GROUP_METRICS[params.problem_type]
    if metric not in allowed:
        raise GroupSettingError(
            f"evaluate.slices.metric: '{metric}' cannot be compared across groups of rows of a "
            f"{params.problem_type} (one group may hold a single class, or a narrow range of "
            f"the target); set evaluate.slices.metric to one of {', '.join(allowed)}"
        )
    return metric


def group_metric(
    metric: str, truth: np.ndarray, predicted: np.ndarray, min_class_rows: int = 1
) -> float:
    """``metric`` on one group of rows.

    Macro averages run over the classes with at least ``min_class_rows`` rows in the group
    (all classes present when none has that many): a slice of one island may hold two
    species of three, and a slice of older people one programme participant, whose single
    row would otherwise weigh half the slice's score.
    """
    if metric == "mae":
        return float(np.mean(np.abs(truth - predicted)))
    if metric == "rmse":
        return float(np.sqrt(np.mean((truth - predicted) ** 2)))
    if metric == "accuracy":
        return float(np.mean(truth == predicted))
    scorer = _MACRO_SCORERS[metric]
    labels, counts = np.unique(truth, return_counts=True)
    if (counts >= min_class_rows).any():
        labels = labels[counts >= min_class_rows]
    return float(scorer(truth, predicted, labels=labels, average="macro", zero_division=0))


def _name(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a whole-number column read with gaps: 2007, not 2007.0
    return str(value)


def groups_of(values: pd.Series, bins: int) -> tuple[pd.Series, dict[str, tuple[float, float]]]:
    """Each row's group name, and the bounds of each quantile bin.

    A number with more than ``bins`` distinct values falls in bin q1 (lowest) to qN; any other
    column groups by value. Empty cells form the group ``(missing)``.
    """
    present = values.notna()
    numeric = is_numeric_dtype(values) and not is_bool_dtype(values)
    if numeric and values[present].nunique() > bins:
        codes, edges = pd.qcut(values, q=bins, labels=False, retbins=True, duplicates="drop")
        names = codes.map(lambda code: MISSING if pd.isna(code) else f"q{int(code) + 1}")
        bounds = {
            f"q{index + 1}": (
                round(float(edges[index]), DIGITS),
                round(float(edges[index + 1]), DIGITS),
            )
            for index in range(len(edges) - 1)
        }
        return names.astype(str), bounds
    return values.map(lambda value: MISSING if pd.isna(value) else _name(value)), {}


def _ordered(names: pd.Series) -> list[str]:
    """Group names in reading order: bins q1, q2 ... by number, values alphabetically."""
    return sorted(set(names), key=lambda name: (name == MISSING, len(name), name))


def worse_than(metric: str, value: float, limit: float) -> bool:
    """True when ``value`` is worse than ``limit`` on ``metric``."""
    return value > limit if metric in LOWER_IS_BETTER else value < limit


def allowed_gap(metric: str, reference: float, max_gap: float) -> float:
    """How far from ``reference`` a group's value may be, in the metric's units.

    A classification metric is a share already, and its chance variation on a given number
    of rows hardly depends on its level: ``max_gap`` is taken as it is. An error (MAE, RMSE)
    is in the target's units and varies in proportion to its size: ``max_gap`` is a share
    of ``reference``.
    """
    return max_gap * abs(reference) if metric in LOWER_IS_BETTER else max_gap


def slice_floor(metric: str, reference: float, max_gap: float, floor: float | None) -> float:
    """The worst value a judged slice may have: within ``max_gap`` of ``reference`` (the
    metric on the other rows), and no worse than ``floor``."""
    gap = allowed_gap(metric, reference, max_gap)
    relative = reference + gap if metric in LOWER_IS_BETTER else reference - gap
    if floor is None:
        return round(relative, DIGITS)
    strictest = min(relative, floor) if metric in LOWER_IS_BETTER else max(relative, floor)
    return round(strictest, DIGITS)


def slice_report(
    frame: pd.DataFrame, truth: np.ndarray, predicted: np.ndarray, params: Params
) -> dict[str, Any]:
    """The metric on every slice of every feature of ``frame`` (the test split).

    A slice is judged against the other rows (all rows when the others are fewer than
    ``min_rows``): its own rows cannot pull that reference down, as a failing slice pulls
    down the whole test split's value.
    """
    settings = params.evaluate.slices
    metric = group_metric_name(params)
    min_class_rows = settings.min_class_rows
    overall = round(group_metric(metric, truth, predicted, min_class_rows), DIGITS)
    features = params.data.features
    # Fewer bins on a small test split, so that each can hold min_rows rows and be judged.
    bins = max(2, min(settings.numeric_bins, len(frame) // settings.min_rows))
    slices: dict[str, dict[str, dict[str, Any]]] = {}
    judged = failed = 0
    for column in [*features.categorical, *features.boolean, *features.numeric]:
        names, bounds = groups_of(frame[column], bins)
        slices[column] = {}
        for name in _ordered(names):
            mask = (names == name).to_numpy()
            value = round(
                group_metric(metric, truth[mask], predicted[mask], min_class_rows), DIGITS
            )
            # The other rows, unless they are too few to be a steady reference: then all rows.
            reference = (
                round(group_metric(metric, truth[~mask], predicted[~mask], min_class_rows), DIGITS)
                if (~mask).sum() >= settings.min_rows
                else overall
            )
            floor = slice_floor(metric, reference, settings.max_gap, settings.floor)
            entry: dict[str, Any] = {"rows": int(mask.sum()), metric: value}
            entry["reference"] = reference
            if name in bounds:
                entry["from"], entry["to"] = bounds[name]
            entry["floor"] = floor
            entry["judged"] = entry["rows"] >= settings.min_rows
            entry["passed"] = not worse_than(metric, value, floor) if entry["judged"] else None
            judged += entry["judged"]
            failed += entry["passed"] is False
            slices[column][name] = entry
    return {
        "metric": metric,
        "overall": overall,
        "rows": len(frame),
        "judged": judged,
        "failed": failed,
        "slices": slices,
    }


def error_flags(
    problem_type: ProblemType, truth: np.ndarray, predicted: np.ndarray, factor: float
) -> np.ndarray:
    """Which rows count as errors: a wrong class, or an absolute error over ``factor`` times
    the whole test split's median one (a regression is never exactly right, only far off).

    The median, not a mean or a quantile: a group whose predictions all go wrong moves it
    only once it is half the rows, so its errors still count as errors.
    """
    if problem_type == "classification":
        return np.asarray(truth != predicted)
    absolute = np.abs(truth - predicted)
    return np.asarray(absolute > factor * np.median(absolute))


def inclusion_report(
    frame: pd.DataFrame, truth: np.ndarray, predicted: np.ndarray, params: Params
) -> dict[str, Any]:
    """Per group of the sensitive attribute: the metric, the error rate, and the largest gaps."""
    settings = params.evaluate.inclusion
    if settings.attribute is None:
        return {"attribute": None, "reason": settings.reason}
    if settings.attribute not in frame.columns:
        from ..data.validation import suggest

        columns = [str(name) for name in frame.columns]
        raise GroupSettingError(
            f"evaluate.inclusion.attribute: column '{settings.attribute}' is not in the test "
            f"split{suggest(settings.attribute, columns)}; set it to one of {', '.join(columns)}, "
            "or to null with a reason"
        )
    metric = group_metric_name(params)
    min_class_rows = params.evaluate.slices.min_class_rows
    overall = round(group_metric(metric, truth, predicted, min_class_rows), DIGITS)
    errors = error_flags(params.problem_type, truth, predicted, settings.large_error_factor)
    names, bounds = groups_of(frame[settings.attribute], settings.bins)
    groups: dict[str, dict[str, Any]] = {}
    for name in _ordered(names):
        mask = (names == name).to_numpy()
        entry: dict[str, Any] = {
            "rows": int(mask.sum()),
            metric: round(
                group_metric(metric, truth[mask], predicted[mask], min_class_rows), DIGITS
            ),
            "error_rate": round(float(errors[mask].mean()), DIGITS),
        }
        if name in bounds:
            entry["from"], entry["to"] = bounds[name]
        entry["judged"] = entry["rows"] >= settings.min_rows
        groups[name] = entry
    report: dict[str, Any] = {"attribute": settings.attribute, "metric": metric}
    report.update({"overall": overall, "rows": len(frame), "groups": groups})
    report.update(parity_gaps(metric, overall, groups))
    return report


def parity_gaps(
    metric: str, overall: float, groups: dict[str, dict[str, Any]]
) -> dict[str, float | None]:
    """The largest gaps between judged groups: the metric's (in the units of
    :func:`allowed_gap`, against the overall value) and the error rate's. None when fewer
    than two groups are judged."""
    judged = [entry for entry in groups.values() if entry["judged"]]
    if len(judged) < 2:
        return {"metric_gap": None, "error_rate_gap": None}
    values = [entry[metric] for entry in judged]
    best, worst = (
        (min(values), max(values)) if metric in LOWER_IS_BETTER else (max(values), min(values))
    )
    rates = [entry["error_rate"] for entry in judged]
    return {
        "metric_gap": round(
            regression_of(metric, worst, best) / (allowed_gap(metric, overall, 1.0) or 1.0), DIGITS
        ),
        "error_rate_gap": round(max(rates) - min(rates), DIGITS),
    }


def write_group_reports(
    frame: pd.DataFrame, truth: pd.Series, predicted: np.ndarray, params: Params
) -> None:
    """Write the slice and inclusion reports of the test split for DVC."""
    actual = truth.to_numpy(dtype=float if params.problem_type == "regression" else object)
    frame = frame.reset_index(drop=True)
    write_json(params.evaluate.slices.metrics_path, slice_report(frame, actual, predicted, params))
    write_json(
        params.evaluate.inclusion.metrics_path, inclusion_report(frame, actual, predicted, params)
    )
