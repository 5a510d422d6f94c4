"""Derived features: small, pure functions of the raw columns.

To add a feature, write a function here, register it in ``DERIVED_FEATURES`` with the raw
columns it reads, and list its name under ``data.features.derived`` in ``params.yaml``.
The training pipeline and the serving API both pick it up, because both call
:func:`add_derived_features`. ``adopt`` keeps a derived feature only when the adopted data
has every column it reads, so the example below (from the demo penguins data) drops out
on other data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class DerivedFeature:
    """A feature computed from raw columns: the function and the columns it reads."""

    compute: Callable[[pd.DataFrame], pd.Series]
    requires: tuple[str, ...]


def bill_ratio(frame: pd.DataFrame) -> pd.Series:
    """Demo data: bill length over bill depth, which separates species with similar bills."""
    depth = frame["bill_depth_mm"].astype(float).replace(0.0, np.nan)
    return frame["bill_length_mm"].astype(float) / depth


DERIVED_FEATURES: dict[str, DerivedFeature] = {
    "bill_ratio": DerivedFeature(bill_ratio, requires=("bill_length_mm", "bill_depth_mm")),
}


def applicable_derived_features(numeric_columns: Sequence[str]) -> list[str]:
    """The registered derived features whose input columns are all numeric features."""
    available = set(numeric_columns)
    return [
        name for name, feature in DERIVED_FEATURES.items() if set(feature.requires) <= available
    ]


def add_derived_features(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Return a copy of ``frame`` with the named derived features appended, in order."""
    unknown = [name for name in names if name not in DERIVED_FEATURES]
    if unknown:
        raise KeyError(f"unknown derived feature(s) {unknown}; known: {sorted(DERIVED_FEATURES)}")
    result = frame.copy()
    for name in names:
        result[name] = DERIVED_FEATURES[name].compute(frame)
    return result
