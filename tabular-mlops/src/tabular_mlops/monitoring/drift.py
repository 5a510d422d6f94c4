"""Drift of each input feature and of the predictions, with a test suited to each type.

- a number with many distinct values: the two-sample Kolmogorov-Smirnov test (scipy), which
  sees a change in location, spread or shape;
- a category, a true/false column, a number with at most ``monitoring.drift.max_discrete_values``
  distinct values (a year, a count) and a classifier's predicted class: the chi-square test of
  homogeneity on the counts, with categories too rare for the test's approximation pooled;
- a regression's predicted values: Kolmogorov-Smirnov again.

One window runs one test per feature plus one for the predictions, so at a level of 5% each,
eight undrifted features would raise a false alarm in a third of all windows. Holm's step-down
procedure keeps the chance of any false alarm in a window (the family-wise error rate) at or
under ``monitoring.drift.alpha``, and is never less powerful than Bonferroni's.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from tabular_mlops.config import Params
from tabular_mlops.data.levels import level_text
from tabular_mlops.monitoring.checks import PREDICTION, Alert, CheckResult, result

from .records import Window
from .reference import Reference

ITEM = "monitor-2"
KS = "Kolmogorov-Smirnov"
CHI2 = "chi-square"
# The chi-square approximation wants an expected count of 5 or more in every cell.
MIN_EXPECTED = 5.0


@dataclass(frozen=True)
class DriftTest:
    subject: str  # a feature, or PREDICTION
    kind: str  # numeric, categorical, boolean or prediction
    test: str
    statistic: float
    p_value: float
    reference_count: int
    current_count: int
    threshold: float = math.nan  # the level Holm's procedure set for this p-value
    drifted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def category(value: Any) -> str | None:
    """A category as text, the same for a CSV value and a JSON one (True, 2, 2.0 -> "2")."""
    return level_text(value)


def numbers(values: Iterable[Any]) -> np.ndarray:
    """The finite numbers among ``values`` (missing, NaN and infinite ones are left out)."""
    found = []
    for value in values:
        if value is None or isinstance(value, bool):
            continue
        try:
            found.append(float(value))
        except (TypeError, ValueError):
            continue  # text in a numeric column: the schema check names it
    array = np.asarray(found, dtype=float)
    finite: np.ndarray = array[np.isfinite(array)]
    return finite


def categories(values: Iterable[Any]) -> list[str]:
    return [text for text in map(category, values) if text is not None]


def _pooled(table: np.ndarray) -> np.ndarray:
    """The 2 x k table of counts with its rarest categories pooled, two at a time, until every
    expected count is at least MIN_EXPECTED (or two columns are left)."""
    while table.shape[1] > 2:
        expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
        if expected.min() >= MIN_EXPECTED:
            break
        rarest = np.argsort(table.sum(axis=0), kind="stable")[:2]
        pooled = table[:, rarest].sum(axis=1)
        table = np.column_stack([np.delete(table, rarest, axis=1), pooled])
    return table


def chi_square(
    subject: str, kind: str, reference: Sequence[str], current: Sequence[str]
) -> DriftTest:
    ref_counts, cur_counts = Counter(reference), Counter(current)
    names = sorted(set(ref_counts) | set(cur_counts))
    table = _pooled(
        np.array([[ref_counts[n] for n in names], [cur_counts[n] for n in names]], dtype=float)
    )
    # One category on both sides, or no value on one (a column missing from every record
    # of the window): nothing to compare; drift_tests reports it untested by its counts.
    if table.shape[1] < 2 or table.sum(axis=1).min() == 0:
        statistic, p_value = 0.0, 1.0
    else:
        outcome = stats.chi2_contingency(table)
        statistic, p_value = float(outcome.statistic), float(outcome.pvalue)
    return DriftTest(subject, kind, CHI2, statistic, p_value, len(reference), len(current))


def kolmogorov_smirnov(
    subject: str, kind: str, reference: np.ndarray, current: np.ndarray
) -> DriftTest:
    if not len(reference) or not len(current):  # no value on one side: untested by count
        return DriftTest(subject, kind, KS, 0.0, 1.0, len(reference), len(current))
    outcome = stats.ks_2samp(reference, current)
    return DriftTest(
        subject,
        kind,
        KS,
        float(outcome.statistic),
        float(outcome.pvalue),
        len(reference),
        len(current),
    )


def compare(
    subject: str, kind: str, reference: Sequence[Any], current: Sequence[Any], max_discrete: int
) -> DriftTest:
    """The test that suits ``kind``; a number with few distinct values is counted as categories."""
    if kind in ("numeric", "regression"):
        ref_numbers, cur_numbers = numbers(reference), numbers(current)
        if len(np.unique(ref_numbers)) > max_discrete:
            return kolmogorov_smirnov(subject, kind, ref_numbers, cur_numbers)
        reference, current = ref_numbers.tolist(), cur_numbers.tolist()
    return chi_square(subject, kind, categories(reference), categories(current))


def holm(tests: list[DriftTest], alpha: float) -> list[DriftTest]:
    """Holm's step-down procedure: the i-th smallest of m p-values is tested at alpha/(m-i+1),
    and testing stops at the first that is not below its level."""
    order = sorted(range(len(tests)), key=lambda index: tests[index].p_value)
    decided = list(tests)
    rejecting = True
    for rank, index in enumerate(order):
        threshold = alpha / (len(tests) - rank)
        rejecting = rejecting and tests[index].p_value <= threshold
        decided[index] = replace(tests[index], threshold=threshold, drifted=rejecting)
    return decided


def drift_tests(
    reference: Reference, inputs: pd.DataFrame, predictions: Sequence[Any], params: Params
) -> tuple[list[DriftTest], list[str]]:
    """Every test that has enough values on both sides, Holm-corrected; and what was not
    tested, with the reason."""
    settings = params.monitoring.drift
    tests, untested = [], []
    candidates = [
        (column, reference.kind(column), reference.sample[column].tolist(), inputs[column].tolist())
        for column in reference.columns
        if column in inputs
    ]
    kind = "regression" if reference.problem_type == "regression" else "prediction"
    candidates.append((PREDICTION, kind, reference.predictions, list(predictions)))
    for subject, column_kind, ref_values, cur_values in candidates:
        test = compare(subject, column_kind, ref_values, cur_values, settings.max_discrete_values)
        if min(test.reference_count, test.current_count) < settings.min_values:
            untested.append(
                f"{subject}: {test.current_count} value(s) in the window, "
                f"{test.reference_count} in the reference (monitoring.drift.min_values: "
                f"{settings.min_values})"
            )
            continue
        tests.append(test)
    return holm(tests, settings.alpha), untested


def check_drift(reference: Reference, window: Window, params: Params) -> CheckResult:
    tests, untested = drift_tests(
        reference, window.inputs, window.frame["prediction"].tolist(), params
    )
    alerts = [
        Alert(
            "drift",
            test.subject,
            f"{'the predictions' if test.subject == PREDICTION else repr(test.subject)} drifted: "
            f"{test.test} statistic {test.statistic:.3g}, p-value {test.p_value:.2g} "
            f"(Holm level {test.threshold:.2g})",
            "retrain",
        )
        for test in tests
        if test.drifted
    ]
    alpha = params.monitoring.drift.alpha
    summary = (
        f"{len(alerts)} of {len(tests)} distributions drifted "
        f"(family-wise false-alarm rate {alpha:g}, Holm)"
    )
    details = {"alpha": alpha, "tests": [test.to_dict() for test in tests], "untested": untested}
    return result("drift", ITEM, summary, details, alerts)
