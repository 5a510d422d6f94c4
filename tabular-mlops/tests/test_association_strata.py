"""The tests given one held feature sum each stratum's statistic in one pass over the rows;
they must equal one test per stratum (``_statistic`` on the stratum's rows), which is what
the check computed before and what the statistics mean."""

from __future__ import annotations

import numpy as np
import pytest

from tabular_mlops.features_check import association
from tabular_mlops.features_check.association import _Column, _conditional, _p_value, _statistic


def _per_stratum(feature: _Column, target: _Column, held: _Column) -> tuple[float, int]:
    total, dof = 0.0, 0
    for stratum in np.unique(held.strata):
        statistic, degrees = _statistic(feature, target, held.strata == stratum)
        total, dof = total + statistic, dof + degrees
    return total, dof


def _columns(seed: int, rows: int, strata: int) -> dict[str, _Column]:
    generator = np.random.default_rng(seed)
    numbers = generator.normal(size=rows).round(1)  # rounded: many ties
    numbers[generator.random(rows) < 0.1] = np.nan
    target_numbers = numbers * 0.3 + generator.normal(size=rows)
    target_numbers[generator.random(rows) < 0.05] = np.nan
    held = generator.integers(0, strata, size=rows)
    held[:5] = strata  # a stratum of five rows
    held[5] = strata + 1  # a stratum of one row
    constant = np.arange(rows) % 7 == 0
    held[constant] = strata + 2  # a stratum where the feature is one value
    numbers[constant] = 1.0
    empty = np.full(rows, np.nan)

    def numeric(values: np.ndarray) -> _Column:
        unused = np.zeros(rows, dtype=np.int64)  # bins: only the held column's strata count
        return _Column("numeric", values, unused, unused)

    def categorical(codes: np.ndarray) -> _Column:
        return _Column("categorical", empty, codes, codes)

    return {
        "numeric": numeric(numbers),
        "category": categorical(generator.integers(0, 4, size=rows)),
        "classes": categorical(generator.integers(0, 3, size=rows)),
        "number_to_predict": numeric(target_numbers),
        "held": categorical(held),
    }


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("strata", [1, 3, 400])
@pytest.mark.parametrize(
    ("feature", "target"),
    [
        ("numeric", "classes"),  # Kruskal-Wallis of the feature across the classes
        ("category", "classes"),  # chi-square
        ("category", "number_to_predict"),  # Kruskal-Wallis of the target across levels
    ],
)
def test_one_pass_equals_one_test_per_stratum(
    seed: int, strata: int, feature: str, target: str
) -> None:
    columns = _columns(seed, 2000, strata)
    expected = _per_stratum(columns[feature], columns[target], columns["held"])
    if target == "classes" and feature == "numeric":
        found = association._stratified_kruskal(
            columns[feature].numbers, columns[target].codes, columns["held"].strata
        )
    elif target == "classes":
        found = association._stratified_chi_square(
            columns[feature].codes, columns[target].codes, columns["held"].strata
        )
    else:
        found = association._stratified_kruskal(
            columns[target].numbers, columns[feature].codes, columns["held"].strata
        )
    assert found[1] == expected[1]
    assert found[0] == pytest.approx(expected[0], rel=1e-9, abs=1e-9)
    assert expected[1] > 0  # the data has strata that are judged
    assert _conditional(columns[feature], columns[target], columns["held"]) == pytest.approx(
        _p_value(*expected), rel=1e-9, abs=1e-12
    )


def test_strata_with_nothing_to_compare_add_nothing() -> None:
    outcome = np.array([1.0, 1.0, 1.0, 1.0, 2.0, np.nan, np.nan, np.nan])
    groups = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    strata = np.array([0, 0, 0, 0, 1, 2, 2, 2])  # one value four times; one row; no value
    assert association._stratified_kruskal(outcome, groups, strata) == (0.0, 0)
    one_level_each, both = np.array([0, 0, 1, 1]), np.array([0, 1, 0, 1])
    two_strata = np.array([0, 0, 1, 1])
    assert association._stratified_chi_square(one_level_each, both, two_strata) == (0.0, 0)
