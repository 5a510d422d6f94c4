"""A column that alone predicts the target almost perfectly is a suspected leak (data/leakage.py).

The rule must stay quiet on honest data (every column of the Palmer penguins, for either
target) and catch a planted leak: the target plus a little noise, or a copy of the labels
with a few of them wrong.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from palmerpenguins import load_penguins

from tabular_mlops.data.leakage import (
    BALANCED_ACCURACY_LEAK,
    MIN_VALIDATION_ROWS,
    R2_LEAK,
    leak_scores,
)
from tabular_mlops.data.split import split_frame

PENGUIN_KINDS = {
    "species": "categorical",
    "island": "categorical",
    "sex": "categorical",
    "bill_length_mm": "numeric",
    "bill_depth_mm": "numeric",
    "flipper_length_mm": "numeric",
    "body_mass_g": "numeric",
    "year": "numeric",
}


def _scores(frame: pd.DataFrame, target: str, problem_type: Any, kinds: dict[str, Any]) -> Any:
    splits = split_frame(
        frame, target=target, problem_type=problem_type, test_size=0.2, val_size=0.2, seed=42
    )
    features = {name: kind for name, kind in kinds.items() if name != target}
    return leak_scores(
        splits.train, splits.val, target=target, kinds=features, problem_type=problem_type
    )


@pytest.mark.parametrize(
    ("target", "problem_type", "ceiling"),
    # The best honest column's score, measured: flipper length for both targets.
    [("species", "classification", 0.85), ("body_mass_g", "regression", 0.85)],
)
def test_no_honest_penguin_column_is_a_suspected_leak(
    target: Any, problem_type: Any, ceiling: Any
) -> None:
    scores = _scores(load_penguins(), target, problem_type, PENGUIN_KINDS)
    assert len(scores) == len(PENGUIN_KINDS) - 1
    assert [score.column for score in scores.values() if score.suspected] == []
    # Far below the thresholds, not just under them: the rule has room for other data.
    assert max(score.score for score in scores.values()) < ceiling


@pytest.mark.parametrize("noise", [0.01, 0.1])
def test_the_target_plus_a_little_noise_is_caught(noise: Any) -> None:
    penguins = load_penguins().dropna(subset=["body_mass_g"])
    rng = np.random.default_rng(0)
    spread = penguins["body_mass_g"].std()
    penguins["mass_on_arrival"] = penguins["body_mass_g"] + rng.normal(
        0, noise * spread, len(penguins)
    )
    scores = _scores(
        penguins, "body_mass_g", "regression", {**PENGUIN_KINDS, "mass_on_arrival": "numeric"}
    )
    leak = scores["mass_on_arrival"]
    assert leak.suspected
    assert leak.metric == "R^2"
    assert leak.score >= R2_LEAK
    assert f"R^2 = {leak.score:.3f}" in leak.describe()
    assert "a suspected target leak" in leak.describe()
    assert not scores["flipper_length_mm"].suspected


def test_a_copy_of_the_labels_with_one_in_a_hundred_wrong_is_caught() -> None:
    penguins = load_penguins()
    rng = np.random.default_rng(0)
    copied = penguins["species"].copy()
    wrong = rng.choice(len(copied), size=len(copied) // 100, replace=False)
    copied.iloc[wrong] = copied.iloc[wrong].map(
        {"Adelie": "Gentoo", "Gentoo": "Chinstrap", "Chinstrap": "Adelie"}
    )
    penguins["species_on_tag"] = copied
    # and a numeric class code with noise, as an export of an encoded label would be
    penguins["species_code"] = penguins["species"].map(
        {"Adelie": 0, "Gentoo": 1, "Chinstrap": 2}
    ) + rng.normal(0, 0.1, len(penguins))
    kinds = {**PENGUIN_KINDS, "species_on_tag": "categorical", "species_code": "numeric"}
    scores = _scores(penguins, "species", "classification", kinds)
    for name in ("species_on_tag", "species_code"):
        assert scores[name].metric == "balanced accuracy"
        assert scores[name].score >= BALANCED_ACCURACY_LEAK, scores[name]
        assert scores[name].suspected
    assert [name for name, score in scores.items() if score.suspected] == [
        "species_on_tag",
        "species_code",
    ]


def test_a_value_unseen_in_training_gets_the_overall_prediction() -> None:
    train = pd.DataFrame({"code": ["a"] * 10 + ["b"] * 10, "y": [1.0] * 10 + [3.0] * 10})
    val = pd.DataFrame({"code": ["a", "b", "c"] * 10, "y": [1.0, 3.0, 2.0] * 10})
    scores = leak_scores(
        train, val, target="y", kinds={"code": "categorical"}, problem_type="regression"
    )
    # "c" gets the training mean, 2.0: exactly right here, so every prediction is
    assert scores["code"].score == pytest.approx(1.0)


def test_too_few_validation_rows_judge_nothing() -> None:
    rows = MIN_VALIDATION_ROWS - 1
    frame = pd.DataFrame({"x": np.arange(rows, dtype=float), "y": np.arange(rows, dtype=float)})
    assert (
        leak_scores(frame, frame, target="y", kinds={"x": "numeric"}, problem_type="regression")
        == {}
    )
