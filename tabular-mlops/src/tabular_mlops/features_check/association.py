"""Is a feature related to the target at all? Rank and count tests on the labelled rows.

Permutation importance measures how much the trained model relies on a feature. It cannot
tell a feature that carries no information (noise) from one whose information the other
features already carry (redundancy): the model leans on neither, so both score about
zero. These tests ask the data instead, without any model, whether the feature and the
target vary together:

- *marginally*: a number against classes by Kruskal-Wallis (do the classes' values differ
  in location?); a category against classes by a chi-square test of independence; a
  category against a number to predict by Kruskal-Wallis of the target across the
  categories; two numbers by Spearman's rank correlation and by Kruskal-Wallis of the
  target across quantile bins of the feature (a U shape included), the smaller p-value
  doubled;
- *given the other numbers*, for a number to predict: the marginal test against what a
  least-squares fit on the other numeric features leaves of the target;
- *given one other feature*: the same test inside each stratum of that feature (its
  categories, or quantile bins of a number), the strata's chi-square statistics summed.
  This finds a feature whose information shows only together with another one: penguins'
  sex says nothing about the species on its own, but a lot once the body mass is known.

A feature's p-value combines its tests by a weighted Bonferroni bound (equal shares of
the level for the marginal test, the linear one, and all the tests given one other
feature together), and
across the features tested the p-values are adjusted by Holm's method: the chance of
calling any unrelated feature related stays below ``alpha``, however many features and
tests there are, so a planted noise column is flagged with probability at least 1 - alpha.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

from tabular_mlops.config import ProblemType

ColumnKind = Literal["numeric", "categorical"]
# Quantile bins of a number: at most MAX_BINS with at least MIN_BIN_ROWS rows each on
# average (the target's bins in a regression), and at most MAX_STRATA strata when a number
# is held fixed, so that each stratum still holds enough rows to test in.
MAX_BINS = 10
MIN_BIN_ROWS = 20
MAX_STRATA = 5
MIN_STRATUM_ROWS = 40


@dataclass(frozen=True)
class Association:
    """One feature's evidence of a relation with the target."""

    feature: str
    test: str  # the test (and the feature held fixed) that gave the smallest p-value
    p_value: float  # weighted Bonferroni over the feature's tests
    adjusted_p_value: float = 1.0  # then Holm over the features tested


def _codes(values: pd.Series) -> np.ndarray:
    """Categories as the integers 0, 1, ...; a missing value is a category of its own."""
    codes, _ = pd.factorize(values.astype(object).where(values.notna(), "<missing>"))
    return np.asarray(codes, dtype=np.int64)


def _bins(values: np.ndarray, most: int, min_rows: int) -> np.ndarray:
    """Quantile bins of numbers as integer codes (missing values in a bin of their own)."""
    present = ~np.isnan(values)
    count = max(2, min(most, int(present.sum()) // min_rows))
    edges = np.unique(np.quantile(values[present], np.linspace(0, 1, count + 1)[1:-1]))
    binned = np.searchsorted(edges, values, side="right")
    return np.where(present, binned, len(edges) + 1)


def _kruskal(outcome: np.ndarray, groups: np.ndarray) -> tuple[float, int]:
    """Kruskal-Wallis H of ``outcome`` across integer ``groups``, and its degrees of freedom
    (zero when there is nothing to compare: one group, or one value)."""
    present = ~np.isnan(outcome)
    outcome, groups = outcome[present], groups[present]
    labels, groups = np.unique(groups, return_inverse=True)
    if len(labels) < 2 or len(outcome) < 3:
        return 0.0, 0
    ranks = stats.rankdata(outcome)
    _, ties = np.unique(outcome, return_counts=True)
    n = len(outcome)
    tie_correction = 1 - float((ties**3 - ties).sum()) / (n**3 - n)
    if tie_correction <= 0:
        return 0.0, 0
    sizes = np.bincount(groups)
    sums = np.bincount(groups, weights=ranks)
    statistic = 12 / (n * (n + 1)) * float((sums**2 / sizes).sum()) - 3 * (n + 1)
    return statistic / tie_correction, len(labels) - 1


def _chi_square(first: np.ndarray, second: np.ndarray) -> tuple[float, int]:
    """Chi-square statistic of independence of two integer-coded columns, and its degrees."""
    _, rows = np.unique(first, return_inverse=True)
    _, columns = np.unique(second, return_inverse=True)
    if rows.max(initial=0) < 1 or columns.max(initial=0) < 1:
        return 0.0, 0
    width = int(columns.max()) + 1
    table = np.bincount(rows * width + columns, minlength=(int(rows.max()) + 1) * width)
    table = table.reshape(-1, width).astype(float)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    return statistic, (table.shape[0] - 1) * (table.shape[1] - 1)


@dataclass(frozen=True)
class _Column:
    """A feature or the target, prepared once for every test that reads it."""

    kind: ColumnKind
    numbers: np.ndarray  # float values (numeric columns; NaN when missing)
    codes: np.ndarray  # categories, or MAX_BINS quantile bins of a number
    strata: np.ndarray  # categories, or MAX_STRATA quantile bins of a number


def _prepare(values: pd.Series, kind: ColumnKind) -> _Column:
    if kind == "categorical":
        codes = _codes(values)
        return _Column(kind, np.full(len(codes), np.nan), codes, codes)
    numbers = values.to_numpy(dtype=float)
    if np.isnan(numbers).all():
        empty = np.zeros(len(numbers), dtype=np.int64)
        return _Column(kind, numbers, empty, empty)
    return _Column(
        kind,
        numbers,
        _bins(numbers, MAX_BINS, MIN_BIN_ROWS),
        _bins(numbers, MAX_STRATA, MIN_STRATUM_ROWS),
    )


def _statistic(feature: _Column, target: _Column, rows: np.ndarray | slice) -> tuple[float, int]:
    """A chi-square distributed statistic (when the two are unrelated) on ``rows``."""
    if target.kind == "categorical":  # classes
        if feature.kind == "numeric":
            return _kruskal(feature.numbers[rows], target.codes[rows])
        return _chi_square(feature.codes[rows], target.codes[rows])
    return _kruskal(target.numbers[rows], feature.codes[rows])


def _p_value(statistic: float, dof: int) -> float:
    return 1.0 if dof == 0 else float(stats.chi2.sf(statistic, dof))


def _marginal(feature: _Column, target: _Column) -> float:
    """The p-value of the feature against the target on its own."""
    p_value = _p_value(*_statistic(feature, target, slice(None)))
    if target.kind == "categorical" or feature.kind == "categorical":
        return p_value
    present = ~np.isnan(feature.numbers) & ~np.isnan(target.numbers)
    x, y = feature.numbers[present], target.numbers[present]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return p_value
    spearman = float(stats.spearmanr(x, y).pvalue)
    return min(1.0, 2 * min(p_value, spearman))


def _pairs(outer: np.ndarray, inner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (outer, inner) pairs of two non-negative integer codes, sorted: each
    pair's ``outer`` code, and each row's pair number."""
    _, inner = np.unique(inner, return_inverse=True)
    width = int(inner.max(initial=0)) + 1
    keys, pair = np.unique(outer.astype(np.int64) * width + inner, return_inverse=True)
    return keys // width, pair.ravel()


def _stratified_kruskal(
    outcome: np.ndarray, groups: np.ndarray, strata: np.ndarray
) -> tuple[float, int]:
    """The sum over ``strata`` of :func:`_kruskal` within each stratum, and of its degrees.

    In one pass over all rows: a held category may have thousands of strata (an aircraft's
    tail number), and one call per stratum cost a large data set seconds per feature.
    """
    present = ~np.isnan(outcome)
    outcome, groups, strata = outcome[present], groups[present], strata[present]
    if not len(outcome):
        return 0.0, 0
    _, strata = np.unique(strata, return_inverse=True)
    sizes = np.bincount(strata).astype(float)
    # Average ranks within each stratum: sorted by stratum then value, a run of equal values
    # in one stratum shares the mean of its positions (1-based, from the stratum's start).
    order = np.lexsort((outcome, strata))
    sorted_strata, sorted_values = strata[order], outcome[order]
    new_run = np.ones(len(order), dtype=bool)
    new_run[1:] = (sorted_strata[1:] != sorted_strata[:-1]) | (
        sorted_values[1:] != sorted_values[:-1]
    )
    run = np.cumsum(new_run) - 1
    run_starts = np.flatnonzero(new_run)
    run_lengths = np.diff(np.append(run_starts, len(order))).astype(float)
    stratum_starts = np.concatenate([[0.0], np.cumsum(sizes)[:-1]])
    run_strata = sorted_strata[run_starts]
    first = run_starts - stratum_starts[run_strata]
    run_ranks = first + (run_lengths + 1) / 2
    ranks = np.empty(len(order))
    ranks[order] = run_ranks[run]
    ties = np.bincount(run_strata, weights=run_lengths**3 - run_lengths, minlength=len(sizes))
    tie_correction = 1 - ties / np.maximum(sizes**3 - sizes, 1.0)
    # Each (stratum, group) pair: its rank sum and size, in the rows' own order.
    pair_strata, pair = _pairs(strata, groups)
    pair_sizes = np.bincount(pair).astype(float)
    pair_sums = np.bincount(pair, weights=ranks)
    labels = np.bincount(pair_strata, minlength=len(sizes))
    squares = np.bincount(pair_strata, weights=pair_sums**2 / pair_sizes, minlength=len(sizes))
    judged = (labels >= 2) & (sizes >= 3) & (tie_correction > 0)
    n = sizes[judged]
    statistic = (12 / (n * (n + 1)) * squares[judged] - 3 * (n + 1)) / tie_correction[judged]
    return float(statistic.sum()), int((labels[judged] - 1).sum())


def _stratified_chi_square(
    first: np.ndarray, second: np.ndarray, strata: np.ndarray
) -> tuple[float, int]:
    """The sum over ``strata`` of :func:`_chi_square` within each stratum, and of its degrees
    (in one pass, as :func:`_stratified_kruskal`). Within a stratum of n rows, the statistic
    is the sum over its non-empty cells of n O^2 / (row total x column total), less n."""
    _, strata = np.unique(strata, return_inverse=True)
    sizes = np.bincount(strata).astype(float)
    row_strata, row = _pairs(strata, first)
    column_strata, column = _pairs(strata, second)
    cell_rows, cell = _pairs(row, second)  # a cell: a (stratum, row level) and a column level
    counts = np.bincount(cell).astype(float)
    # One representative row per cell gives that cell's row and column totals.
    representative = np.zeros(len(counts), dtype=np.int64)
    representative[cell] = np.arange(len(cell))
    row_totals = np.bincount(row).astype(float)[row[representative]]
    column_totals = np.bincount(column).astype(float)[column[representative]]
    terms = counts**2 / (row_totals * column_totals)
    cell_strata = row_strata[cell_rows]
    statistic = sizes * np.bincount(cell_strata, weights=terms, minlength=len(sizes)) - sizes
    rows = np.bincount(row_strata, minlength=len(sizes))
    columns = np.bincount(column_strata, minlength=len(sizes))
    judged = (rows >= 2) & (columns >= 2)
    return float(statistic[judged].sum()), int(((rows - 1) * (columns - 1))[judged].sum())


def _conditional(feature: _Column, target: _Column, held: _Column) -> float:
    """The p-value of the feature against the target within the strata of ``held``: the
    strata's statistics summed (:func:`_statistic` in each stratum, all at once)."""
    if target.kind == "categorical":  # classes
        if feature.kind == "numeric":
            total = _stratified_kruskal(feature.numbers, target.codes, held.strata)
        else:
            total = _stratified_chi_square(feature.codes, target.codes, held.strata)
    else:
        total = _stratified_kruskal(target.numbers, feature.codes, held.strata)
    return _p_value(*total)


def holm_adjusted(p_values: Sequence[float]) -> list[float]:
    """Holm's adjusted p-values: compare each with alpha to control the family-wise error.

    The i-th smallest of m p-values is multiplied by m - i + 1 (i from 1), and the
    adjusted values are made non-decreasing in that order, capped at 1.
    """
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def _residual(name: str, columns: dict[str, _Column], target: _Column) -> _Column | None:
    """A number to predict, less its least-squares fit on the other numeric features.

    What is left is what they do not explain: a feature that adds to them together (a
    person's sex to a disease's progression, once weight and blood pressure are known)
    relates to it even when it does not relate to the target on its own.
    """
    others = [
        column.numbers for other, column in columns.items()
        if other != name and column.kind == "numeric" and not np.isnan(column.numbers).all()
    ]  # fmt: skip
    present = ~np.isnan(target.numbers)
    if target.kind != "numeric" or not others or present.sum() <= len(others) + 2:
        return None
    design = np.column_stack([np.ones(len(target.numbers)), *others])
    design = np.where(np.isnan(design), np.nanmedian(design, axis=0), design)
    coefficients, *_ = np.linalg.lstsq(design[present], target.numbers[present], rcond=None)
    residual = np.full(len(target.numbers), np.nan)
    residual[present] = target.numbers[present] - design[present] @ coefficients
    return _prepare(pd.Series(residual), "numeric")


def _evidence(name: str, columns: dict[str, _Column], target: _Column) -> tuple[str, float]:
    """The feature's best test and its p-value, Bonferroni-weighted over all its tests.

    The marginal test, the test against what a linear fit on the other numbers leaves of
    a number to predict, and the tests given one other feature (together) get equal shares
    of the level: a feature related on its own keeps most of the power however many other
    features there are.
    """
    tests = {"marginal": _marginal(columns[name], target)}
    families = 1
    residual = _residual(name, columns, target)
    if residual is not None:
        tests["given the other numbers (linear)"] = _marginal(columns[name], residual)
        families += 1
    held = [other for other in columns if other != name]
    for other in held:
        tests[f"given {other}"] = _conditional(columns[name], target, columns[other])
    families += 1 if held else 0
    weights = dict.fromkeys(tests, 1 / families / max(len(held), 1))
    weights["marginal"] = 1 / families
    if residual is not None:
        weights["given the other numbers (linear)"] = 1 / families
    weighted = {test: tests[test] / weights[test] for test in tests}
    best = min(weighted, key=lambda test: weighted[test])
    return best, min(1.0, weighted[best])


def _calendar_columns(
    frame: pd.DataFrame, kinds: dict[str, ColumnKind], dates: Sequence[str]
) -> tuple[dict[str, pd.Series], dict[str, ColumnKind], dict[str, str]]:
    """Each date column as its calendar parts, as the model reads it: a search is likelier
    at night whatever the year, which no test of the moment itself (a trend) finds. The
    year is a number; the month, weekday and hour are categories (their effect need not
    grow with them). Also which date each part comes from."""
    from tabular_mlops.features.calendar import calendar_parts

    series = {name: frame[name] for name in kinds if name not in dates}
    expanded = {name: kind for name, kind in kinds.items() if name not in dates}
    owner: dict[str, str] = {}
    for name in dates:
        for part, values in calendar_parts(frame[name]).items():
            column = f"{name}_{part}"
            series[column] = pd.Series(values, index=frame.index)
            expanded[column] = "numeric" if part == "year" else "categorical"
            owner[column] = name
    return series, expanded, owner


def associations(
    frame: pd.DataFrame,
    target: pd.Series,
    kinds: dict[str, ColumnKind],
    problem_type: ProblemType,
    tested: Sequence[str],
    dates: Sequence[str] = (),
) -> dict[str, Association]:
    """The ``tested`` features (columns of ``frame``, all listed in ``kinds``) against
    ``target``; each may be held fixed by any feature of ``kinds``. The ``dates`` among them
    (text) are tested as their calendar parts, each part one more comparison for Holm, and
    a date's result is its best part's."""
    series, expanded, owner = _calendar_columns(frame, kinds, dates)
    columns = {name: _prepare(series[name], kind) for name, kind in expanded.items()}
    outcome = _prepare(target, "categorical" if problem_type == "classification" else "numeric")
    names = [name for name in tested if name not in dates]
    names += [part for part, date in owner.items() if date in tested]
    evidence = {name: _evidence(name, columns, outcome) for name in names}
    adjusted = holm_adjusted([p_value for _, p_value in evidence.values()])
    found = {
        name: Association(name, test, p_value, adjusted_p)
        for (name, (test, p_value)), adjusted_p in zip(evidence.items(), adjusted, strict=True)
    }
    for part, date in owner.items():
        if part in found:
            best = found.pop(part)
            if date not in found or best.adjusted_p_value < found[date].adjusted_p_value:
                test = f"{part.removeprefix(date + '_').replace('_', ' ')}: {best.test}"
                found[date] = Association(date, test, best.p_value, best.adjusted_p_value)
    return {name: found[name] for name in tested if name in found}
