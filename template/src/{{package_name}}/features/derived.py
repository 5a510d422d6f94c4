"""Derived features: small, pure functions of the raw columns.

To add a feature, write a function here, register it in ``DERIVED_FEATURES`` and list its
name under ``data.features.derived`` in ``params.yaml``. The training pipeline and the
serving API both pick it up, because both call :func:`add_derived_features`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

DerivedFeature = Callable[[pd.DataFrame], pd.Series]


def bill_ratio(frame: pd.DataFrame) -> pd.Series:
    """Bill length over bill depth: separates species whose bills have similar length."""
    depth = frame["bill_depth_mm"].astype(float).replace(0.0, np.nan)
    return frame["bill_length_mm"].astype(float) / depth


DERIVED_FEATURES: dict[str, DerivedFeature] = {"bill_ratio": bill_ratio}


def add_derived_features(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Return a copy of ``frame`` with the named derived features appended, in order."""
    unknown = [name for name in names if name not in DERIVED_FEATURES]
    if unknown:
        raise KeyError(f"unknown derived feature(s) {unknown}; known: {sorted(DERIVED_FEATURES)}")
    result = frame.copy()
    for name in names:
        result[name] = DERIVED_FEATURES[name](frame)
    return result
