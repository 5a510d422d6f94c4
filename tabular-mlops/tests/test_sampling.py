"""Seeded samples: the same rows on every run, in their order, each label keeping its share."""

from __future__ import annotations

import pandas as pd

from tabular_mlops.sampling import at_most


def _frame(rows: int) -> pd.DataFrame:
    return pd.DataFrame({"x": range(rows), "label": ["rare" if i % 50 == 0 else "common"
                                                     for i in range(rows)]})  # fmt: skip


def test_a_frame_within_the_bound_is_returned_as_it_is() -> None:
    frame = _frame(100)
    assert at_most(frame, 100, seed=0) is frame


def test_a_larger_frame_gives_the_same_rows_in_order_on_every_run() -> None:
    frame = _frame(1000)
    first, again = at_most(frame, 200, seed=3), at_most(frame, 200, seed=3)
    assert len(first) == 200
    assert first.index.equals(again.index)
    assert first.index.is_monotonic_increasing
    assert not first.index.equals(at_most(frame, 200, seed=4).index)


def test_each_label_keeps_its_share_and_at_least_its_minimum() -> None:
    frame = _frame(1000)  # 20 rare rows, 980 common
    sample = at_most(frame, 100, seed=0, labels=frame["label"], min_per_label=5)
    counts = sample["label"].value_counts()
    assert counts["common"] == 98  # 10% of 980
    assert counts["rare"] == 5  # 10% would be 2: the minimum wins
    few = at_most(frame, 100, seed=0, labels=frame["label"], min_per_label=50)
    assert (few["label"] == "rare").sum() == 20  # all it has, when it has fewer
