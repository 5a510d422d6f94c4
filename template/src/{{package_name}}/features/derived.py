"""Derived features: small, pure functions of the raw columns.

Adding a feature is one function in this module, under the :func:`register` decorator
that names it and the raw columns it reads; listing the name under
``data.features.derived`` in ``params.yaml`` switches it on. Nothing else changes: the
schema, the API's request model and the monitoring reference describe raw columns only,
and training and serving both compute the feature, since both call
:func:`add_derived_features` (tests/features/test_adding_a_feature.py adds one this way and
trains with it). Write it here rather than in a notebook: a saved model looks its derived
features up in this registry by name when it computes them.

``adopt`` keeps a derived feature only when the adopted data has every column it reads,
so the example below (from the demo penguins data) drops out on other data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

Compute = Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class DerivedFeature:
    """A feature computed from raw columns: the function and the columns it reads."""

    compute: Compute
    requires: tuple[str, ...]


# name -> feature; fill it with @register, so a feature is written in one place
DERIVED_FEATURES: dict[str, DerivedFeature] = {}


def register(name: str, *, requires: Sequence[str]) -> Callable[[Compute], Compute]:
    """Register the decorated function as the derived feature ``name``.

    ``requires`` lists the raw columns it reads: ``adopt`` keeps the feature only when the
    data has them all. A name registered twice is refused, so that one feature cannot
    silently replace another.
    """
    columns = tuple(requires)
    if not name or not name.strip():
        raise ValueError("a derived feature needs a name: register('my_feature', requires=...)")
    if not columns:
        raise ValueError(f"derived feature '{name}': name the raw columns it reads in requires")

    def add(compute: Compute) -> Compute:
        if name in DERIVED_FEATURES:
            raise ValueError(
                f"derived feature '{name}' is already registered: choose another name, or "
                "unregister() the old one first"
            )
        DERIVED_FEATURES[name] = DerivedFeature(compute, columns)
        return compute

    return add


def unregister(name: str) -> None:
    """Remove the derived feature ``name`` (a notebook or a test that registered one)."""
    if name not in DERIVED_FEATURES:
        raise KeyError(
            f"no derived feature '{name}' is registered; known: {sorted(DERIVED_FEATURES)}"
        )
    del DERIVED_FEATURES[name]


@register("bill_ratio", requires=("bill_length_mm", "bill_depth_mm"))
def bill_ratio(frame: pd.DataFrame) -> pd.Series:
    """Demo data: bill length over bill depth, which separates species with similar bills."""
    depth = frame["bill_depth_mm"].astype(float).replace(0.0, np.nan)
    return frame["bill_length_mm"].astype(float) / depth


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
