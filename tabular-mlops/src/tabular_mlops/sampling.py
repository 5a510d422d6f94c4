"""Seeded samples that bound what a step costs on a large data set.

A step that only needs enough rows to decide something (a search over hyperparameters, a
canary, a monitoring reference, the generated tests) reads at most ``max_rows`` of them,
drawn with the project's seed and kept in their order, so that its cost stops growing with
the data while a rerun draws the same rows.
"""

from __future__ import annotations

import math

import pandas as pd


def at_most(
    frame: pd.DataFrame,
    max_rows: int,
    seed: int,
    *,
    labels: pd.Series | None = None,
    min_per_label: int = 0,
) -> pd.DataFrame:
    """``frame`` itself when it has at most ``max_rows`` rows, else a seeded sample of about
    that many, in their order. With ``labels`` each label keeps its share of the rows, and at
    least ``min_per_label`` of them (all it has, if fewer): a class of a few rows is not
    lost, nor left too small for a stratified cross-validation."""
    if len(frame) <= max_rows:
        return frame
    if labels is None:
        return frame.sample(max_rows, random_state=seed).sort_index()
    rate = max_rows / len(frame)
    parts = [
        group.sample(
            min(len(group), max(math.ceil(rate * len(group)), min_per_label)), random_state=seed
        )
        for _, group in frame.groupby(labels.to_numpy(), sort=False)
    ]
    return pd.concat(parts).sort_index()
