"""The preprocessing half of the model pipeline: derived features, imputation, encoding.

It is part of the fitted scikit-learn pipeline that is saved with the model, so serving
computes exactly the features that training computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

from .derived import add_derived_features


def _with_derived_names(
    _transformer: object, input_names: Sequence[str], derived: tuple[str, ...]
) -> list[str]:
    return [*input_names, *derived]


def as_float(frame: pd.DataFrame) -> pd.DataFrame:
    """True/False (as booleans or their text) to 1.0/0.0, keeping missing values missing."""
    mapping = {True: 1.0, False: 0.0, "True": 1.0, "False": 0.0, "true": 1.0, "false": 0.0}
    return frame.apply(lambda column: column.map(mapping).astype(float))


def build_preprocessor(
    numeric: Sequence[str],
    categorical: Sequence[str],
    derived: Sequence[str],
    boolean: Sequence[str] = (),
) -> Pipeline:
    """Return an unfitted transformer from raw feature columns to a numeric matrix."""
    numeric_steps = Pipeline(
        [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
    )
    categorical_steps = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    boolean_steps = Pipeline(
        [
            ("as_float", FunctionTransformer(as_float, feature_names_out="one-to-one")),
            ("impute", SimpleImputer(strategy="most_frequent")),
        ]
    )
    columns = ColumnTransformer(
        [
            ("numeric", numeric_steps, [*numeric, *derived]),
            ("categorical", categorical_steps, list(categorical)),
            ("boolean", boolean_steps, list(boolean)),
        ],
        verbose_feature_names_out=False,
    )
    add_features = FunctionTransformer(
        partial(add_derived_features, names=tuple(derived)),
        feature_names_out=partial(_with_derived_names, derived=tuple(derived)),
    )
    return Pipeline([("derive", add_features), ("columns", columns)])
