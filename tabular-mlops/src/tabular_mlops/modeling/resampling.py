"""A metric on groups of rows and on the rest of the rows, with its bootstrap distribution.

Every metric compared across groups (modeling/slices.py) is a function of sums of per-row
quantities: the confusion counts of a classification; the count, absolute and squared
errors, absolute targets, large errors, targets and squared targets of a regression. So one
bootstrap resample is one vector of Poisson(1) row weights (each row drawn a random number of
times, as a resample with replacement draws it), and the sums of every group, and of the
whole sample, follow from one sparse product; the rest of the rows is the whole less the
group. A thousand resamples of twenty thousand rows take about a second, whatever the number
of groups.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
from scipy import sparse

# Regression columns of the per-row table.
COUNT, ABSOLUTE, SQUARED, LEVEL, LARGE, TARGET, TARGET_SQUARED = range(7)
REGRESSION_COLUMNS = 7
# Resamples are drawn in chunks whose sums hold at most this many numbers (memory stays small).
CHUNK_CELLS = 4_000_000


@dataclass(frozen=True)
class RowTable:
    """The per-row quantities whose weighted sums give the metrics: ``columns`` wide."""

    columns: np.ndarray  # (rows, entries): which column of the table each entry adds to
    values: np.ndarray  # (rows, entries): what it adds
    width: int
    classes: np.ndarray  # a classification's classes (the confusion is classes x classes)

    @property
    def rows(self) -> int:
        return len(self.columns)


def classification_table(truth: np.ndarray, predicted: np.ndarray) -> RowTable:
    """One entry per row: its cell of the confusion matrix (true class x predicted class)."""
    classes, codes = np.unique(
        np.concatenate([truth.astype(str), predicted.astype(str)]), return_inverse=True
    )
    size = len(classes)
    cell = codes[: len(truth)] * size + codes[len(truth) :]
    return RowTable(cell[:, None], np.ones((len(truth), 1)), size * size, classes)


def regression_table(truth: np.ndarray, predicted: np.ndarray, large: np.ndarray) -> RowTable:
    """Seven entries per row: 1, its absolute error, its squared error, its absolute target,
    1 when its error counts as large (``large``), and its target and squared target less the
    median target (a variance does not move with the target's level; its sums lose no
    precision to a large one, such as a year or a timestamp)."""
    error = np.abs(truth - predicted)
    centred = truth - (np.median(truth) if len(truth) else 0.0)
    values = np.column_stack(
        [np.ones(len(truth)), error, error**2, np.abs(truth), large, centred, centred**2]
    )
    columns = np.tile(np.arange(REGRESSION_COLUMNS), (len(truth), 1))
    return RowTable(columns, values.astype(float), REGRESSION_COLUMNS, np.array([]))


def _indicator(table: RowTable, groups: np.ndarray, count: int) -> sparse.csr_matrix:
    """The (groups x width) by rows matrix that sums each group's table from row weights;
    rows of no group (code -1) are left out."""
    kept = groups >= 0
    rows = np.repeat(np.flatnonzero(kept), table.columns.shape[1])
    columns = (groups[kept][:, None] * table.width + table.columns[kept]).ravel()
    return sparse.csr_matrix(
        (table.values[kept].ravel(), (columns, rows)), shape=(count * table.width, table.rows)
    )


def resampled_sums(
    table: RowTable, groupings: list[tuple[np.ndarray, int]], resamples: int, seed: int
) -> Iterator[tuple[list[np.ndarray], np.ndarray]]:
    """Each grouping's group sums and the whole's: first on the rows as they are (a chunk of
    one), then on ``resamples`` bootstrap resamples in chunks. A grouping is each row's
    group code (-1: none) and the number of groups; its sums are an array (chunk, groups,
    width), the whole's (chunk, width). Every grouping sees the same resamples of the rows,
    drawn once, and the same seed draws the same resamples again."""
    stacked = sparse.vstack(
        [_indicator(table, np.zeros(table.rows, dtype=int), 1)]
        + [_indicator(table, codes, count) for codes, count in groupings]
    ).tocsr()
    cuts = np.cumsum([table.width] + [count * table.width for _, count in groupings])
    random = np.random.default_rng(seed)
    chunk = max(1, min(resamples, CHUNK_CELLS // max(int(cuts[-1]), table.rows)))
    sizes = [1] + [min(chunk, resamples - start) for start in range(0, resamples, chunk)]
    for index, size in enumerate(sizes):
        weights = (
            np.ones((table.rows, 1)) if index == 0 else random.poisson(1.0, (table.rows, size))
        ).astype(float)
        sums = np.asarray(stacked @ weights).T  # (size, all the groups' sums)
        parts = np.split(sums, cuts[:-1], axis=1)
        grouped = [
            part.reshape(size, count, table.width)
            for part, (_, count) in zip(parts[1:], groupings, strict=True)
        ]
        yield grouped, parts[0]


# The metrics computed from sums. A classification's sums are (..., classes * classes)
# confusion counts, and ``labels`` (..., classes) says which classes a macro average runs over.
def _confusion(sums: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    matrix = sums.reshape(*sums.shape[:-1], size, size)
    right = np.diagonal(matrix, axis1=-2, axis2=-1)
    return right, matrix.sum(axis=-1), matrix.sum(axis=-2)  # right, true counts, predicted


def _ratio(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """top / bottom, and 0 where bottom is 0 (scikit-learn's zero_division=0)."""
    shape = np.broadcast(top, bottom).shape
    return np.asarray(np.divide(top, bottom, out=np.zeros(shape), where=bottom > 0))


def _macro(per_class: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return _ratio((per_class * labels).sum(axis=-1), labels.sum(axis=-1))


CLASSIFICATION_METRICS: dict[str, Callable[[np.ndarray, np.ndarray, int], np.ndarray]] = {
    "accuracy": lambda s, labels, k: _ratio(_confusion(s, k)[0].sum(-1), s.sum(-1)),
    "precision_macro": lambda s, labels, k: _macro(
        _ratio(_confusion(s, k)[0], _confusion(s, k)[2]), labels
    ),
    "recall_macro": lambda s, labels, k: _macro(
        _ratio(_confusion(s, k)[0], _confusion(s, k)[1]), labels
    ),
    "f1_macro": lambda s, labels, k: _macro(
        _ratio(2 * _confusion(s, k)[0], _confusion(s, k)[1] + _confusion(s, k)[2]), labels
    ),
}


def macro_labels(sums: np.ndarray, size: int, min_class_rows: int) -> np.ndarray:
    """Which classes a macro average runs over: those with at least ``min_class_rows`` true
    rows, or every class present when none has that many (computed on the observed rows)."""
    true = _confusion(sums, size)[1]
    enough = true >= min_class_rows
    present = true > 0
    return np.where(enough.any(axis=-1, keepdims=True), enough, present).astype(float)


def regression_metric(metric: str, sums: np.ndarray) -> np.ndarray:
    """MAE or RMSE from a regression's sums."""
    count = sums[..., COUNT]
    if metric == "mae":
        return _ratio(sums[..., ABSOLUTE], count)
    return np.asarray(np.sqrt(_ratio(sums[..., SQUARED], count)))


def relative(metric: str, sums: np.ndarray) -> np.ndarray:
    """MAE or RMSE as a share of the rows' mean absolute target (WAPE, CV(RMSE))."""
    return _ratio(regression_metric(metric, sums), _ratio(sums[..., LEVEL], sums[..., COUNT]))


def relative_to_spread(metric: str, sums: np.ndarray) -> np.ndarray:
    """MAE or RMSE as a share of the rows' standard deviation of the target: the part of
    the target's spread the model leaves unexplained (an RMSE of 1 SD: no better than the
    rows' own mean; a slice whose target does not vary at all and is missed: infinite)."""
    count = sums[..., COUNT]
    mean = _ratio(sums[..., TARGET], count)
    variance = np.maximum(_ratio(sums[..., TARGET_SQUARED], count) - mean**2, 0.0)
    error = regression_metric(metric, sums)
    spread = np.sqrt(variance)
    ratio = _ratio(error, spread)
    return np.asarray(np.where((spread <= 0) & (error > 0), np.inf, ratio))


def large_error_rate(sums: np.ndarray) -> np.ndarray:
    return _ratio(sums[..., LARGE], sums[..., COUNT])


def holm(p_values: np.ndarray, alpha: float) -> np.ndarray:
    """Holm's step-down procedure: which hypotheses are rejected, the chance of rejecting
    any true one held at ``alpha``. The i-th smallest of m p-values is tested at
    alpha / (m - i + 1), and testing stops at the first that is not below its level."""
    rejected = np.zeros(len(p_values), dtype=bool)
    for rank, index in enumerate(np.argsort(p_values, kind="stable")):
        if p_values[index] > alpha / (len(p_values) - rank):
            break
        rejected[index] = True
    return rejected
