"""The test set is disjoint from training and validation, and splits are reproducible (infra-1).

No exact duplicate row straddles two splits (a test row with a copy in training inflates the
test metrics), and data that cannot be split is refused with a message saying why.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tabular_mlops.data.split import (
    MIN_PER_CLASS,
    SplitError,
    describe_left_out,
    split_frame,
)
from tabular_mlops.ml_test_score.applicability import not_applicable

pytestmark = pytest.mark.ml_test_score("infra-1")


def _split(frame, params, seed=None, **overrides):
    settings = {
        "target": params.data.target,
        "problem_type": params.problem_type,
        "test_size": params.split.test_size,
        "val_size": params.split.val_size,
        "seed": params.seed if seed is None else seed,
        "min_class_rows": params.split.min_class_rows,
    }
    return split_frame(frame, **{**settings, **overrides})


def _row_keys(frame: pd.DataFrame) -> set[int]:
    return set(pd.util.hash_pandas_object(frame, index=False))


def _parts(splits):
    return (splits.train, splits.val, splits.test)


def test_splits_are_disjoint_and_cover_every_labelled_row(raw_frame, params):
    splits = _split(raw_frame, params)
    labelled = raw_frame.dropna(subset=[params.data.target])
    left_out = sum(splits.left_out.values())  # rows of classes too rare to learn
    assert sum(len(part) for part in _parts(splits)) + left_out == len(labelled)
    assert min(len(part) for part in _parts(splits)) > 0
    train, val, test = (_row_keys(part) for part in _parts(splits))
    assert train.isdisjoint(test)
    assert val.isdisjoint(test)
    assert train.isdisjoint(val)


def test_every_class_reaches_training(raw_frame, params):
    if params.problem_type != "classification":
        not_applicable("a regression target has no classes to stratify")
    target = params.data.target
    splits = _split(raw_frame, params)
    classes = set(raw_frame[target].dropna().astype(str)) - set(splits.left_out)
    assert set(splits.train[target].astype(str)) == classes
    assert set(splits.test[target].astype(str)) <= classes


def test_same_seed_gives_same_split_and_another_seed_does_not(raw_frame, params):
    first = _split(raw_frame, params)
    again = _split(raw_frame, params)
    other = _split(raw_frame, params, seed=params.seed + 1)
    assert first.test.equals(again.test)
    assert not first.test.equals(other.test)


def test_rows_without_a_label_are_left_out(raw_frame, params):
    unlabelled = raw_frame.copy()
    unlabelled[params.data.target] = unlabelled[params.data.target].astype(object)
    unlabelled.loc[unlabelled.index[:3], params.data.target] = None
    splits = _split(unlabelled, params)
    labelled = int(unlabelled[params.data.target].notna().sum()) - sum(splits.left_out.values())
    assert sum(len(part) for part in _parts(splits)) == labelled < len(raw_frame)
    for part in _parts(splits):
        assert part[params.data.target].notna().all()


# Small synthetic frames: the rules hold whatever the project's data looks like.


def _classes(counts: dict[str, int]) -> pd.DataFrame:
    labels = [label for label, count in counts.items() for _ in range(count)]
    return pd.DataFrame({"x": range(len(labels)), "y": labels})


def _synthetic_split(frame, problem_type="classification", **overrides):
    settings = {"test_size": 0.2, "val_size": 0.2, "seed": 0, **overrides}
    return split_frame(frame, target="y", problem_type=problem_type, **settings)


@pytest.mark.parametrize("problem_type", ["classification", "regression"])
def test_exact_duplicates_always_land_in_the_same_split(problem_type):
    distinct = pd.DataFrame({"x": range(60), "y": [index % 3 for index in range(60)]})
    repeated = pd.concat([distinct] * 5, ignore_index=True)  # every row five times
    splits = _synthetic_split(repeated, problem_type)
    assert sum(len(part) for part in _parts(splits)) == len(repeated)
    train, val, test = (_row_keys(part) for part in _parts(splits))
    assert not train & test
    assert not val & test
    assert not train & val
    assert len(splits.test) % 5 == 0


def test_a_single_class_is_refused():
    with pytest.raises(SplitError, match="single class"):
        _synthetic_split(_classes({"only": 40}))


def test_a_class_with_too_few_distinct_examples_is_refused():
    rare = _classes({"common": 40, "rare": MIN_PER_CLASS - 1})
    rare = pd.concat([rare, rare.tail(1)] * 3, ignore_index=True)  # copies do not count
    with pytest.raises(SplitError, match=r"fewer than 3 distinct examples.*'rare'"):
        _synthetic_split(rare)


def test_a_class_too_rare_to_learn_is_left_out_and_named():
    # 40 rodent species, 7 of them caught once or twice: the split stage refused the data.
    frame = _classes({"common": 40, "other": 30, "once": 1, "twice": 2})
    splits = _synthetic_split(frame, min_class_rows=10)
    assert splits.left_out == {"twice": 2, "once": 1}
    kept = pd.concat(_parts(splits))["y"]
    assert set(kept) == {"common", "other"}
    assert len(kept) == 70
    assert "'twice' (2), 'once' (1)" in describe_left_out(splits.left_out, 10)
    with pytest.raises(SplitError, match=r"single class.*'other' \(30\)"):
        _synthetic_split(frame, min_class_rows=35)  # one class would be left


def test_too_few_rows_for_the_fractions_are_refused():
    with pytest.raises(SplitError, match=r"split.test_size=0.1 and split.val_size=0.1"):
        _synthetic_split(_classes({"a": 3, "b": 3}), test_size=0.1, val_size=0.1)


def test_a_missing_target_column_is_named():
    with pytest.raises(SplitError, match="'label'"):
        split_frame(
            _classes({"a": 10}),
            target="label",
            problem_type="regression",
            test_size=0.2,
            val_size=0.2,
            seed=0,
        )
