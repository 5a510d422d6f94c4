"""Prediction quality on served data (monitor-7), once the true outcomes arrive.

Labels come as a CSV or JSON Lines file with a ``request_id`` column (the id the API returned
in ``X-Request-ID``; record ``i`` of a batch request is ``<id>:i``) and the target column. The
labelled records of the window are scored with the problem type's metrics (modeling/metrics.py,
the ones the test set was scored with), over the whole window and per
``monitoring.quality.period``.

A metric on a few hundred labelled records is noisy (an RMSE of a heavy-tailed price moves by
a third between two samples of 100), so the window's value alone must not raise an alert. The
window's rows and the test split's rows (``predictions.csv``, written by evaluate) are pooled
and dealt again ``RESAMPLES`` times into a window and a test split of their own sizes (a
permutation test: both the window's and a small test split's luck are in the spread): an
alert is raised when fewer than ``monitoring.quality.alpha`` of the dealt windows fall as far
short of their dealt test split, once ``max_regression`` is allowed (a share of the test
value, so the rule means the same for F1 and for an RMSE in grams). That share is the rule's
p-value: a window whose true quality is at the limit raises an alert in about ``alpha`` of
windows (calibration.py measures it). Where the test split's rows cannot say it (a ROC AUC
needs probabilities), and for ``floor``, the window's own bootstrap resamples are used.
Below ``min_labels`` labelled records the check is skipped and says so.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from tabular_mlops.config import Params
from tabular_mlops.modeling.metrics import is_improvement, regression_of, rounded, score
from tabular_mlops.monitoring.checks import Alert, CheckResult, MonitorInputError, result, skipped
from tabular_mlops.monitoring.records import Window
from tabular_mlops.monitoring.reference import Reference

from ..modeling.evaluate import PREDICTIONS_FILE

ITEM = "monitor-7"
REQUEST_ID = "request_id"
RESAMPLES = 400
SEED = 0  # the same window gives the same verdict on every run


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


def _scored(
    frame: pd.DataFrame, reference: Reference, target: str
) -> tuple[np.ndarray, np.ndarray]:
    """The labelled records' true values and the model's output, as the metrics read them."""
    if reference.problem_type == "regression":
        return frame[target].to_numpy(dtype=float), frame["prediction"].to_numpy(dtype=float)
    actual = frame[target].map(lambda value: str(value)).to_numpy(dtype=object)
    return actual, _probabilities(frame, reference.classes)


def labelled_predictions(
    frame: pd.DataFrame, reference: Reference, target: str
) -> tuple[np.ndarray, np.ndarray]:
    """The labelled records' true values and predicted values (a classifier's most probable
    class, as the metrics read it)."""
    actual, output = _scored(frame, reference, target)
    return actual, _predicted(reference, output)


def _predicted(reference: Reference, output: np.ndarray) -> np.ndarray:
    """A regressor's output as it is; a classifier's most probable class."""
    if reference.problem_type == "regression":
        return output
    return np.asarray(np.asarray(reference.classes, dtype=object)[output.argmax(axis=1)])


def _score(reference: Reference, actual: np.ndarray, output: np.ndarray) -> dict[str, float]:
    if reference.problem_type == "regression":
        return score("regression", None, pd.DataFrame(), pd.Series(actual), output)
    model = SimpleNamespace(classes_=np.asarray(reference.classes, dtype=object))
    return score("classification", model, pd.DataFrame(), pd.Series(actual), output)


def metrics_of(frame: pd.DataFrame, reference: Reference, target: str) -> dict[str, float]:
    """The problem type's metrics over labelled records (ValueError if they cannot be computed,
    e.g. a ROC AUC over a single class)."""
    return rounded(_score(reference, *_scored(frame, reference, target)))


def fast_metric(metric: str, actual: np.ndarray, predicted: np.ndarray) -> float | None:
    """The threshold metrics of modeling/metrics.py from numpy sums, as scikit-learn defines
    them (macro averages over the classes in either array, 0 where undefined): a bootstrap
    of hundreds of resamples then takes milliseconds. None for a metric that needs the
    probabilities (ROC AUC)."""
    if metric in ("mae", "rmse", "r2"):
        error = predicted - actual
        if metric == "mae":
            return float(np.mean(np.abs(error)))
        if metric == "rmse":
            return float(np.sqrt(np.mean(error**2)))
        spread = float(np.sum((actual - actual.mean()) ** 2))
        return 1.0 - float(np.sum(error**2)) / spread if spread > 0 else None
    if metric == "accuracy":
        return float(np.mean(actual == predicted))
    if metric not in ("precision_macro", "recall_macro", "f1_macro"):
        return None
    labels = np.union1d(actual, predicted)
    hits = (actual[:, None] == labels) & (predicted[:, None] == labels)
    tp = hits.sum(axis=0).astype(float)
    given, found = (
        (predicted[:, None] == labels).sum(axis=0),
        (actual[:, None] == labels).sum(axis=0),
    )
    denominator = {"precision_macro": given, "recall_macro": found, "f1_macro": given + found}
    share = np.divide(
        tp * (2 if metric == "f1_macro" else 1),
        denominator[metric],
        out=np.zeros(len(labels)),
        where=denominator[metric] > 0,
    )
    return float(share.mean())


def resampled(
    frame: pd.DataFrame, reference: Reference, target: str, metric: str, seed: int = SEED
) -> np.ndarray:
    """``metric`` on ``RESAMPLES`` bootstrap resamples of the labelled records; a resample on
    which it cannot be computed (one class only, for a ROC AUC) is left out."""
    actual, output = _scored(frame, reference, target)
    predicted = _predicted(reference, output)
    random = np.random.default_rng(seed)
    values = []
    for _ in range(RESAMPLES):
        rows = random.integers(0, len(frame), len(frame))
        value = fast_metric(metric, actual[rows], predicted[rows])
        if value is None:
            try:
                value = _score(reference, actual[rows], output[rows])[metric]
            except ValueError:
                continue
        values.append(value)
    return np.asarray(values, dtype=float)


def p_values(
    metric: str, values: np.ndarray, test_value: float, max_regression: float, floor: float | None
) -> dict[str, float | None]:
    """The share of resampled values that pass each rule: within ``max_regression`` of the
    test value, and not worse than ``floor``. A small share is evidence the rule is broken."""
    if not len(values):
        return {"regression": None, "floor": None}
    if test_value:
        worse = np.array([regression_of(metric, v, test_value) for v in values]) / abs(test_value)
        within = float(np.mean(worse <= max_regression))
    else:
        within = 1.0  # a test value of 0 has no share to be worse by
    above = (
        None
        if floor is None
        else float(np.mean([is_improvement(metric, v, floor, 0.0) for v in values]))
    )
    return {"regression": within, "floor": above}


def chance_values(
    metric: str,
    window: tuple[np.ndarray, np.ndarray],
    test: tuple[np.ndarray, np.ndarray],
    seed: int = SEED,
) -> np.ndarray:
    """``RESAMPLES`` pairs of ``metric`` values had the window and the test split been drawn
    from one population: the window's rows and the test split's rows (each a pair of true
    and predicted values) are pooled and dealt again at random into a window and a test
    split of their own sizes (a permutation test). The test split's own luck is then in the
    spread as well as the window's: on a test split of 24 rows of a heavy-tailed target, its
    RMSE is no yardstick to hold a window to exactly, and a window of 100 rows holding 3 of a
    class that 3% of rows belong to has a macro F1 anywhere from 0.5 to 1, which the
    window's own resamples cannot show (a window whose 3 are all missed misses them in every
    resample). Shape ``(RESAMPLES, 2)`` (window, test); empty for a metric that needs the
    probabilities (ROC AUC)."""
    actual, predicted = (np.concatenate([w, t]) for w, t in zip(window, test, strict=True))
    size = len(window[0])
    random = np.random.default_rng(seed)
    pairs = []
    for _ in range(RESAMPLES):
        order = random.permutation(len(actual))
        values = tuple(
            fast_metric(metric, actual[rows], predicted[rows])
            for rows in (order[:size], order[size:])
        )
        if None in values:
            return np.empty((0, 2), dtype=float)
        pairs.append(values)
    return np.asarray(pairs, dtype=float)


def p_regression_by_chance(
    metric: str, value: float, chance: np.ndarray, test_value: float, max_regression: float
) -> float:
    """The share of chance pairs (:func:`chance_values`) whose window falls at least as far
    below its test split as the window falls below the test value, once
    ``max_regression`` (a share of the test value) is allowed: a window whose true quality
    sits at the limit gets a p-value under ``alpha`` in about ``alpha`` of windows."""
    scale = abs(test_value) or 1.0
    shortfall = regression_of(metric, value, test_value) / scale
    by_chance = np.array([regression_of(metric, w, t) for w, t in chance]) / scale
    return float(np.mean(by_chance + max_regression >= shortfall))


def _test_split_rows(
    root: Path, params: Params, classification: bool
) -> tuple[np.ndarray, np.ndarray] | None:
    """The test split's truth and predictions as evaluate wrote them (None when absent)."""
    path = root / params.evaluate.plots_dir / PREDICTIONS_FILE
    if not path.is_file():
        return None
    frame = pd.read_csv(path, dtype=str if classification else None)
    return frame["actual"].to_numpy(), frame["predicted"].to_numpy()


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
    value, test_value = live[metric], offline[metric]
    values = resampled(frame, reference, target, metric)
    passed = p_values(metric, values, test_value, settings.max_regression, settings.floor)
    test = _test_split_rows(root, params, reference.problem_type != "regression")
    served = labelled_predictions(frame, reference, target)
    chance = np.empty((0, 2)) if test is None else chance_values(metric, served, test)
    if len(chance):  # the chance spread of window and test split together, not the window's
        passed["regression"] = p_regression_by_chance(
            metric, value, chance, test_value, settings.max_regression
        )
        details["chance_interval_95"] = [
            round(float(bound), 6) for bound in np.quantile(chance[:, 0], [0.025, 0.975])
        ]
    interval = (
        [round(float(bound), 6) for bound in np.quantile(values, [0.025, 0.975])]
        if len(values)
        else None
    )
    details.update(
        {
            "window": live,
            "offline": offline,
            "periods": periods,
            "alpha": settings.alpha,
            "resamples": len(values),
            "interval_95": interval,
            "p_values": passed,
        }
    )
    alerts = []
    worse = regression_of(metric, value, test_value) / abs(test_value) if test_value else 0.0
    if passed["regression"] is not None and passed["regression"] < settings.alpha:
        alerts.append(
            Alert(
                "quality",
                metric,
                f"{metric} on {len(frame)} labelled records is {value:.4g}, {worse:.1%} worse than "
                f"the test set's {test_value:.4g} (limit {settings.max_regression:.0%}; "
                f"{'chance' if len(chance) else 'bootstrap'} p-value "
                f"{passed['regression']:.3g} < {settings.alpha:g})",
                "retrain",
            )
        )
    if passed["floor"] is not None and passed["floor"] < settings.alpha:
        alerts.append(
            Alert(
                "quality",
                metric,
                f"{metric} on served data is {value:.4g}, worse than the floor {settings.floor:g} "
                f"(bootstrap p-value {passed['floor']:.3g} < {settings.alpha:g})",
                "retrain",
            )
        )
    spread = f", 95% interval {interval[0]:.4g} to {interval[1]:.4g}" if interval else ""
    summary = (
        f"{metric} {value:.4g} on {len(frame)} labelled records{spread} (test set {test_value:.4g})"
    )
    return result("quality", ITEM, summary, details, alerts)
