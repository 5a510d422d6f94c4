"""The permutation importance's macro F1 is scikit-learn's, to the last bit."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics

from tabular_mlops.features_check.importance import f1_macro


def _labels(generator: np.random.Generator, classes: list[object], rows: int) -> np.ndarray:
    return np.array([classes[i] for i in generator.integers(0, len(classes), rows)])


@pytest.mark.parametrize("seed", range(40))
def test_f1_macro_is_scikit_learns_exactly(seed: int) -> None:
    generator = np.random.default_rng(seed)
    size = int(generator.integers(1, 12))
    classes: list[object] = (
        [f"class {i}" for i in range(size)] if seed % 2 else list(range(3, 3 + size))
    )
    rows = int(generator.integers(1, 400))
    truth = _labels(generator, classes, rows)
    # Mostly right, with some classes never predicted or never true.
    predicted = np.where(
        generator.random(rows) < 0.7, truth, _labels(generator, classes[: size // 2 + 1], rows)
    )
    expected = metrics.f1_score(truth, predicted, average="macro", zero_division=0)
    assert f1_macro(truth, predicted) == expected
    assert f1_macro(truth, truth) == metrics.f1_score(truth, truth, average="macro")
