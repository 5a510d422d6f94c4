"""The registry of derived features: small, pure functions of the raw columns.

A project writes its features in its own ``features/derived.py``, each under the
:func:`register` decorator that names it and the raw columns it reads, and declares that
module in its pyproject.toml (project.py); listing a name under ``data.features.derived``
in ``params.yaml`` switches it on. Training and serving both compute the feature, since
both call :func:`add_derived_features`, which loads the project's module first: a saved
model looks its derived features up here by name, in any process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from ..project import load_derived_features

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
    if name not in derived_features():
        raise KeyError(
            f"no derived feature '{name}' is registered; known: {sorted(DERIVED_FEATURES)}"
        )
    del DERIVED_FEATURES[name]


def derived_features() -> dict[str, DerivedFeature]:
    """Every registered derived feature, the project's included."""
    load_derived_features()
    return DERIVED_FEATURES


def applicable_derived_features(numeric_columns: Sequence[str]) -> list[str]:
    """The registered derived features whose input columns are all numeric features."""
    available = set(numeric_columns)
    return [
        name for name, feature in derived_features().items() if set(feature.requires) <= available
    ]


def add_derived_features(frame: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    """Return a copy of ``frame`` with the named derived features appended, in order."""
    registry = derived_features()
    unknown = [name for name in names if name not in registry]
    if unknown:
        raise KeyError(f"unknown derived feature(s) {unknown}; known: {sorted(registry)}")
    result = frame.copy()
    for name in names:
        result[name] = registry[name].compute(frame)
    return result
