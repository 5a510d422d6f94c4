"""Quality on groups of test rows: each feature's slices (ML Test Score model-6) and the
groups of a sensitive attribute (model-7).

A good average can hide a group the model fails. ``evaluate`` scores the model again on each
group of the test split, with one metric, and writes two DVC metrics files, so ``dvc metrics
diff`` shows a slice that got worse between commits:

- slices: every value of each categorical and true/false feature, and the quantile bins of
  each numeric feature, each compared with the rest of the rows;
- inclusion: the groups of ``evaluate.inclusion.attribute`` (a raw column, a model input or
  not), each compared with the rest of the rows on the metric and on the error rate.

A group fails only when the data show beyond chance that it is worse than the rest by more
than the allowed gap: each comparison gets a bootstrap p-value (modeling/resampling.py), and
Holm's procedure over all the comparisons of a report holds the chance that a model equally
good on every group fails any of them at ``alpha``. A group (or its rest) with fewer than
``min_rows`` rows is reported but not judged. The groups are judged on a seeded sample of at
most ``evaluate.slices.max_rows`` test rows, so the cost does not grow with the data.

A regression's error is compared on every scale that can excuse it, and a group fails only
when it is worse on all of them: in the target's units; as a share of each side's mean
absolute target (WAPE for the MAE, CV(RMSE) for the RMSE) when the target is positive; and as
a share of each side's own spread of the target (its standard deviation). Prices, masses and
counts spread more as they grow: the most expensive quarter of the houses has several times
the absolute error of the rest while being predicted as well for what they cost; where the
errors do not grow with the target, the cheapest rows have the largest error relative to
their price while being predicted as well in money; and a group whose target varies for
reasons no column records (the salaries of the most senior staff) is predicted no worse, for
how much its target varies, than the rest. A group that is really served worse (errors a
model could avoid) is worse on every scale. A target that can be zero or negative has no
level to divide by: its errors are compared in its units and relative to its spread.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from tabular_mlops.atomic import write_json
from tabular_mlops.config import Params, ProblemType
from tabular_mlops.modeling.resampling import (
    CLASSIFICATION_METRICS,
    RowTable,
    classification_table,
    holm,
    large_error_rate,
    macro_labels,
    regression_metric,
    regression_table,
    relative,
    relative_to_spread,
    resampled_sums,
)

from ..errors import ProjectError
from .metrics import LOWER_IS_BETTER

MISSING = "(missing)"  # the group of rows where the column is empty
GROUP_METRICS: dict[ProblemType, tuple[str, ...]] = {
    "classification": ("accuracy", "precision_macro", "recall_macro", "f1_macro"),
    "regression": ("mae", "rmse"),
}
DIGITS = 6  # rounded so that reruns write identical files
# How a regression's errors are compared (``scale`` in the reports).
RELATIVE = (
    "the smallest gap: in the target's units, relative to each side's mean target, or "
    "relative to each side's standard deviation of the target"
)
SPREAD = (
    "the smaller gap: in the target's units, or relative to each side's standard deviation "
    "of the target"
)
ABSOLUTE = "in the target's units"


class GroupSettingError(ProjectError, ValueError):
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


@dataclass(frozen=True)
class Scorer:
    """The metric of any rows (as reported, and on the scale groups are compared on) and
    their error rate, from the sums of their :class:`RowTable`."""

    metric: str
    table: RowTable
    scale: str  # RELATIVE, SPREAD or ABSOLUTE (always ABSOLUTE for a classification: a share)
    min_class_rows: int
    # A regression error at most this (in the target's units) is taken as this: compared
    # with rows predicted almost exactly, any error is infinitely worse by ratio.
    negligible: float = 0.0

    def value(self, sums: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
        """The metric of rows from their sums; a macro average runs over ``labels``, by
        default the classes chosen on the rows (or resample) scored (:func:`macro_labels`)."""
        size = len(self.table.classes)
        if not size:
            return regression_metric(self.metric, sums)
        if labels is None:
            labels = macro_labels(sums, size, self.min_class_rows)
        return CLASSIFICATION_METRICS[self.metric](sums, labels, size)

    def _shared_labels(self, group: np.ndarray, rest: np.ndarray) -> tuple[np.ndarray, ...]:
        """The classes both sides have enough rows of, for each side (each its own where
        they share none). A slice that holds most of a rare class that is harder to predict
        (the programme's participants among the low earners) is not worse for holding it."""
        size = len(self.table.classes)
        own = macro_labels(group, size, self.min_class_rows)
        others = macro_labels(rest, size, self.min_class_rows)
        shared = own * others
        some = shared.sum(axis=-1, keepdims=True) > 0
        return np.where(some, shared, own), np.where(some, shared, others)

    def comparable(self, group: np.ndarray, rest: np.ndarray) -> np.ndarray:
        """Whether each group can be compared with the rest: a regression always; a
        classification when both sides hold enough rows of some class. Rodents against
        birds and reptiles share no species: their macro F1s compare the species (36 hard
        ones against a few that the taxon gives away), not how well the model serves each."""
        size = len(self.table.classes)
        if not size:
            return np.ones(group.shape[:-1], dtype=bool)
        own = macro_labels(group, size, self.min_class_rows)
        others = macro_labels(rest, size, self.min_class_rows)
        return np.asarray((own * others).sum(axis=-1) > 0)

    def error_rate(self, sums: np.ndarray) -> np.ndarray:
        size = len(self.table.classes)
        if not size:
            return large_error_rate(sums)
        return np.asarray(1.0 - CLASSIFICATION_METRICS["accuracy"](sums, sums, size))

    def gap(self, group: np.ndarray, rest: np.ndarray) -> np.ndarray:
        """How much worse the group (its sums) is than the rest: in the metric's units for a
        share (accuracy, F1; a macro average over the classes both have enough rows of); for
        an error (MAE, RMSE) as a share of the rest's error, and on the SPREAD and RELATIVE
        scales the smallest of that and the same gap between errors taken relative to each
        side's standard deviation of the target (and, RELATIVE, to its mean target). A scale
        that cannot be computed (no spread on either side) is left out (``fmin``). In
        units, an error below :attr:`negligible` counts as that much, on either side: a
        group predicted almost exactly is never worse than rows predicted exactly."""
        if self.metric not in LOWER_IS_BETTER:
            own, others = self._shared_labels(group, rest)
            return np.asarray(self.value(rest, others) - self.value(group, own))
        floor = self.negligible
        gap = _excess(np.maximum(self.value(group), floor), np.maximum(self.value(rest), floor))
        if self.scale in (SPREAD, RELATIVE):
            spreads = relative_to_spread(self.metric, group), relative_to_spread(self.metric, rest)
            gap = np.fmin(gap, _excess(*spreads))
        if self.scale == RELATIVE:
            shares = relative(self.metric, group), relative(self.metric, rest)
            gap = np.fmin(gap, _excess(*shares))
        return np.asarray(gap)

    def figures(self, group: np.ndarray, rest: np.ndarray) -> dict[str, np.ndarray]:
        """Each group's figures against the rest of the rows."""
        rate = self.error_rate(group)
        return {
            self.metric: self.value(group),
            "reference": self.value(rest),
            "gap": self.gap(group, rest),
            "error_rate": rate,
            "error_rate_gap": rate - self.error_rate(rest),
        }


def _excess(group: np.ndarray, rest: np.ndarray) -> np.ndarray:
    """group / rest - 1: infinite when the rest has no error and the group has some; NaN
    (no verdict on this scale) when both are infinite or the rest alone is."""
    with np.errstate(invalid="ignore"):  # inf - inf, inf / inf: NaN, as documented
        excess = group - rest
        ratio = np.divide(excess, rest, out=np.zeros_like(excess), where=rest > 0)
    return np.asarray(np.where((rest <= 0) & (excess > 0), np.inf, ratio))


def scorer(params: Params, truth: np.ndarray, predicted: np.ndarray) -> Scorer:
    """The scorer of the group metric (:func:`group_metric_name`) on these rows."""
    metric = group_metric_name(params)
    min_class_rows = params.evaluate.slices.min_class_rows
    if params.problem_type == "classification":
        return Scorer(metric, classification_table(truth, predicted), ABSOLUTE, min_class_rows)
    factor = params.evaluate.inclusion.large_error_factor
    large = error_flags("regression", truth, predicted, factor)
    scale = RELATIVE if len(truth) and float(np.min(truth)) > 0 else SPREAD
    spread = float(np.std(truth)) if len(truth) else 0.0
    negligible = params.evaluate.slices.negligible_error * spread
    table = regression_table(truth, predicted, large)
    return Scorer(metric, table, scale, min_class_rows, negligible)


def group_metric(
    metric: str, truth: np.ndarray, predicted: np.ndarray, min_class_rows: int = 1
) -> float:
    """``metric`` on one group of rows, as :class:`Scorer` computes it.

    Macro averages run over the classes with at least ``min_class_rows`` rows in the group
    (all classes present when none has that many): a slice of one island may hold two
    species of three, and a slice of older people one programme participant, whose single
    row would otherwise weigh half the slice's score.
    """
    if metric in LOWER_IS_BETTER:
        table = regression_table(truth, predicted, np.zeros(len(truth)))
    else:
        table = classification_table(truth, predicted)
    _, whole = next(resampled_sums(table, [], 0, 0))
    return float(Scorer(metric, table, ABSOLUTE, min_class_rows).value(whole)[0])


def error_flags(
    problem_type: ProblemType, truth: np.ndarray, predicted: np.ndarray, factor: float
) -> np.ndarray:
    """Which rows count as errors: a wrong class, or an absolute error over ``factor`` times
    the whole sample's median one (a regression is never exactly right, only far off).

    The median, not a mean or a quantile: a group whose predictions all go wrong moves it
    only once it is half the rows, so its errors still count as errors.
    """
    if problem_type == "classification":
        return np.asarray(truth != predicted)
    absolute = np.abs(truth - predicted)
    return np.asarray(absolute > factor * np.median(absolute))


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


def slice_bins(rows: int, numeric_bins: int, min_rows: int) -> int:
    """Quantile bins of a number on ``rows`` test rows: fewer on a small test split, so that
    each can hold min_rows rows and be judged."""
    return max(2, min(numeric_bins, rows // min_rows))


def any_group_judged(frame: pd.DataFrame, columns: list[str], bins: int, min_rows: int) -> bool:
    """Whether some group of ``columns`` (as :func:`groups_of` makes them) holds ``min_rows``
    of the rows and leaves as many: else a report of them judges nothing."""
    for column in columns:
        counts = groups_of(frame[column], bins)[0].value_counts()
        if ((counts >= min_rows) & (len(frame) - counts >= min_rows)).any():
            return True
    return False


def _ordered(names: pd.Series) -> list[str]:
    """Group names in reading order: bins q1, q2 ... by number, values alphabetically."""
    return sorted(set(names), key=lambda name: (name == MISSING, len(name), name))


def worse_than(metric: str, value: float, limit: float) -> bool:
    """True when ``value`` is worse than ``limit`` on ``metric``."""
    return value > limit if metric in LOWER_IS_BETTER else value < limit


# A rule a group must pass, from its figures (arrays: resamples x groups): which pass.
Rule = Callable[[dict[str, np.ndarray]], np.ndarray]


def metric_rule(metric: str, max_gap: float, floor: float | None) -> Rule:
    """No worse than the rest by more than ``max_gap`` (:meth:`Scorer.gap`), nor than
    ``floor`` (in the metric's units) when it is set."""

    def passes(figures: dict[str, np.ndarray]) -> np.ndarray:
        within = figures["gap"] <= max_gap
        if floor is not None:
            value = figures[metric]
            within &= value <= floor if metric in LOWER_IS_BETTER else value >= floor
        return np.asarray(within)

    return passes


def error_rate_rule(max_gap: float) -> Rule:
    """An error rate no more than ``max_gap`` above the rest's."""
    return lambda figures: np.asarray(figures["error_rate_gap"] <= max_gap)


def enough_resamples(
    columns: dict[str, pd.Series], min_rows: int, rules: int, alpha: float, at_least: int
) -> int:
    """At least ``at_least`` resamples, and enough for Holm's procedure to reject anything.

    A bootstrap p-value is never below 1 / (1 + resamples), and Holm's first threshold is
    alpha over the number of comparisons: with 64 features in three bins each, 1,000
    resamples could never fail a slice, however bad. Twice the resamples that threshold
    needs lets a group that fails the rule in (nearly) every resample be rejected.
    """
    comparisons = rules * sum(
        int(((counts >= min_rows) & (counts <= len(names) - min_rows)).sum())
        for names in columns.values()
        for counts in [names.value_counts()]
    )
    return max(at_least, math.ceil(2 * comparisons / alpha))


# The chance that screening keeps a group Holm's procedure could reject from being drawn
# again: see screen_bound.
SCREEN_MISS = 1e-6


def screen_bound(resamples: int, alpha: float) -> float:
    """The screening p-value above which a group is not drawn again. Holm's procedure at
    level alpha rejects no p-value above alpha; the count of resamples in which a group
    whose p-value is alpha or less passes is at most Binomial(resamples, alpha), which
    exceeds this bound's count with a chance below ``SCREEN_MISS`` (0.087 for alpha 0.05
    on 1,000 resamples; twice alpha would miss 0.15% of such groups at alpha 0.01)."""
    from scipy.stats import binom

    count = float(binom.ppf(1 - SCREEN_MISS, resamples, alpha))
    return (1 + count) / (1 + resamples)


def _judged_codes(
    columns: dict[str, pd.Series], judged: dict[str, list[str]]
) -> list[tuple[np.ndarray, int]]:
    """Each row's position among its column's ``judged`` groups (-1: not judged)."""
    return [
        (names.map({name: at for at, name in enumerate(judged[column])}).fillna(-1)
         .to_numpy(dtype=int), len(judged[column]))
        for column, names in columns.items()
    ]  # fmt: skip


def _p_values(
    one: Scorer,
    columns: dict[str, pd.Series],
    judged: dict[str, list[str]],
    rules: dict[str, Rule],
    resamples: int,
    seed: int,
) -> list[np.ndarray]:
    """Per column, the (rules x judged groups) bootstrap p-values on ``resamples`` resamples:
    the share of resamples in which the group passes the rule, each count plus one."""
    passed = [np.zeros((len(rules), len(judged[column]))) for column in columns]
    sums = resampled_sums(one.table, _judged_codes(columns, judged), resamples, seed)
    next(sums)  # the rows as they are: reported by compare_groups
    for resampled, total in sums:
        for counted, group in zip(passed, resampled, strict=True):
            figures = one.figures(group, total[:, None, :] - group)
            for at, rule in enumerate(rules.values()):
                counted[at] += rule(figures).sum(axis=0)
    return [(1 + counted) / (1 + resamples) for counted in passed]


def compare_groups(
    one: Scorer,
    columns: dict[str, pd.Series],
    min_rows: int,
    rules: dict[str, Rule],
    resamples: int,
    seed: int,
    screen: tuple[int, float] | None = None,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Per column (each row's group name), each group's figures against the rest of the
    rows and, for a group that has at least ``min_rows`` rows and leaves as many to the rest
    (judged), a p-value per rule.

    The p-value is the share of bootstrap resamples in which the group passes the rule
    (each count plus one, so that it is never 0): small when the group is worse than the
    rest by more than the rule allows, beyond what resampling the rows explains.

    ``screen`` (resamples, alpha): every judged group is first tested on that many
    resamples, and only a group with a p-value of at most :func:`screen_bound` is tested
    again on ``resamples`` (its ``resamples`` entry says so); the others keep the
    screening p-value, which Holm's procedure at level alpha would not reject either way.
    """
    orders = {column: _ordered(names) for column, names in columns.items()}
    codes = [
        (names.map({name: at for at, name in enumerate(orders[column])}).to_numpy(dtype=int),
         len(orders[column]))
        for column, names in columns.items()
    ]  # fmt: skip
    observed, whole = next(resampled_sums(one.table, codes, 0, seed))
    entries: dict[str, dict[str, dict[str, Any]]] = {}
    judged: dict[str, list[str]] = {}
    for (column, names), grouped in zip(columns.items(), observed, strict=True):
        figures = one.figures(grouped, whole[:, None, :] - grouped)
        comparable = one.comparable(grouped, whole[:, None, :] - grouped)
        counts = names.value_counts()
        entries[column] = {}
        for at, name in enumerate(orders[column]):
            entry: dict[str, Any] = {"rows": int(counts[name])}
            entry.update({key: _round(values[0, at]) for key, values in figures.items()})
            large_enough = min_rows <= counts[name] <= len(names) - min_rows
            entry["judged"] = bool(large_enough and comparable[0, at])
            if large_enough and not comparable[0, at]:
                entry["no_shared_class"] = True  # not judged: see Scorer.comparable
            entries[column][name] = entry
        judged[column] = [name for name in orders[column] if entries[column][name]["judged"]]
    first = resamples if screen is None else min(screen[0], resamples)
    p_values = dict(zip(columns, _p_values(one, columns, judged, rules, first, seed), strict=True))
    if screen is not None and first < resamples:
        bound = screen_bound(first, screen[1])
        again = {
            column: [name for at, name in enumerate(judged[column]) if p[:, at].min() <= bound]
            for column, p in p_values.items()
        }
        if any(again.values()):
            refined = _p_values(one, columns, again, rules, resamples, seed)
            for column, p in zip(columns, refined, strict=True):
                for position, name in enumerate(again[column]):
                    p_values[column][:, judged[column].index(name)] = p[:, position]
                    entries[column][name]["resamples"] = resamples
    for column, p in p_values.items():
        for position, name in enumerate(judged[column]):
            for at, rule_name in enumerate(rules):
                entries[column][name][f"p_{rule_name}"] = round(float(p[at, position]), DIGITS)
    return entries


def _round(value: float) -> float | None:
    number = float(value)
    return round(number, DIGITS) if np.isfinite(number) else None


def decide(entries: list[dict[str, Any]], rules: list[str], alpha: float) -> int:
    """Set ``passed`` on each entry with Holm's procedure over every p-value of ``entries``
    (judged groups only): a group fails when any of its rules is rejected. The number failed."""
    tests = [(entry, rule) for entry in entries if entry["judged"] for rule in rules]
    rejected = holm(np.array([entry[f"p_{rule}"] for entry, rule in tests]), alpha)
    for entry in entries:
        entry["passed"] = True if entry["judged"] else None
    for (entry, _), failed in zip(tests, rejected, strict=True):
        if failed:
            entry["passed"] = False
    return sum(entry["passed"] is False for entry in entries)


@dataclass(frozen=True)
class Judged:
    """The rows groups are judged on: a seeded sample of at most ``max_rows`` test rows."""

    frame: pd.DataFrame
    truth: np.ndarray
    predicted: np.ndarray

    @classmethod
    def sample(
        cls, frame: pd.DataFrame, truth: np.ndarray, predicted: np.ndarray, params: Params
    ) -> Judged:
        frame = frame.reset_index(drop=True)
        limit = params.evaluate.slices.max_rows
        if len(frame) > limit:
            rows = np.sort(np.random.default_rng(params.seed).choice(len(frame), limit, False))
            return cls(frame.iloc[rows].reset_index(drop=True), truth[rows], predicted[rows])
        return cls(frame, truth, predicted)


def _overall(one: Scorer) -> float | None:
    _, whole = next(resampled_sums(one.table, [], 0, 0))
    return _round(one.value(whole)[0])


def _header(params: Params, one: Scorer, rows: int, resamples: int) -> dict[str, Any]:
    """What every group report starts with: the metric, its scale, the rows judged and how."""
    report: dict[str, Any] = {"metric": one.metric}
    if one.metric in LOWER_IS_BETTER:
        report["scale"] = one.scale
    report.update({"overall": _overall(one), "rows": rows})
    # Every judged group is screened on the setting's resamples; only those that could fail
    # are drawn `resamples` times (compare_groups).
    settings = params.evaluate.slices
    return report | {
        "alpha": settings.alpha,
        "resamples": resamples,
        "screen_resamples": min(settings.resamples, resamples),
    }


def slice_report(
    frame: pd.DataFrame, truth: np.ndarray, predicted: np.ndarray, params: Params
) -> dict[str, Any]:
    """The metric on every slice of every feature of ``frame`` (the test split), each
    compared with the rest of the rows; Holm's procedure runs over all the slices."""
    settings = params.evaluate.slices
    judged = Judged.sample(frame, truth, predicted, params)
    one = scorer(params, judged.truth, judged.predicted)
    bins = slice_bins(len(judged.frame), settings.numeric_bins, settings.min_rows)
    rules = {"gap": metric_rule(one.metric, settings.max_gap, settings.floor)}
    features = params.data.features
    grouped = {
        column: groups_of(judged.frame[column], bins)
        for column in [*features.categorical, *features.boolean, *features.numeric]
    }
    columns = {column: names for column, (names, _) in grouped.items()}
    resamples = enough_resamples(
        columns, settings.min_rows, len(rules), settings.alpha, settings.resamples
    )
    screen = (settings.resamples, settings.alpha)
    slices = compare_groups(one, columns, settings.min_rows, rules, resamples, params.seed, screen)
    for column, (_, bounds) in grouped.items():
        for name, (low, high) in bounds.items():
            if name in slices[column]:
                slices[column][name].update({"from": low, "to": high})
    every = [entry for entries in slices.values() for entry in entries.values()]
    failed = decide(every, list(rules), settings.alpha)
    return _header(params, one, len(judged.frame), resamples) | {
        "max_gap": settings.max_gap,
        "judged": sum(entry["judged"] for entry in every),
        "failed": failed,
        "slices": slices,
    }


def inclusion_report(
    frame: pd.DataFrame, truth: np.ndarray, predicted: np.ndarray, params: Params
) -> dict[str, Any]:
    """Per group of the sensitive attribute: the metric and the error rate, each compared
    with the rest of the rows; Holm's procedure runs over both comparisons of every group."""
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
    judged = Judged.sample(frame, truth, predicted, params)
    one = scorer(params, judged.truth, judged.predicted)
    rules = {
        "gap": metric_rule(one.metric, settings.max_metric_gap, None),
        "error_rate_gap": error_rate_rule(settings.max_error_rate_gap),
    }
    names, bounds = groups_of(judged.frame[settings.attribute], settings.bins)
    attribute = {settings.attribute: names}
    slices = params.evaluate.slices
    resamples = enough_resamples(
        attribute, settings.min_rows, len(rules), slices.alpha, slices.resamples
    )
    screen = (slices.resamples, slices.alpha)
    groups = compare_groups(
        one, attribute, settings.min_rows, rules, resamples, params.seed, screen
    )[settings.attribute]
    for name, (low, high) in bounds.items():
        if name in groups:
            groups[name].update({"from": low, "to": high})
    failed = decide(list(groups.values()), list(rules), params.evaluate.slices.alpha)
    report = {"attribute": settings.attribute} | _header(params, one, len(judged.frame), resamples)
    judged_groups = [entry for entry in groups.values() if entry["judged"]]
    largest = {
        key: max((e[field] for e in judged_groups if e[field] is not None), default=None)
        for key, field in (("metric_gap", "gap"), ("error_rate_gap", "error_rate_gap"))
    }
    return report | largest | {"failed": failed, "groups": groups}


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
