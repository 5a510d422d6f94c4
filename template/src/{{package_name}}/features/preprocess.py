"""The preprocessing half of the model pipeline: derived features, imputation, encoding.

It is part of the fitted scikit-learn pipeline that is saved with the model, so serving
computes exactly the features that training computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
)

from .derived import add_derived_features


def _with_derived_names(
    _transformer: object, input_names: Sequence[str], derived: tuple[str, ...]
) -> list[str]:
    return [*input_names, *derived]


def as_float(frame: pd.DataFrame) -> pd.DataFrame:
    """True/False (as booleans or their text) to 1.0/0.0, keeping missing values missing."""
    mapping = {True: 1.0, False: 0.0, "True": 1.0, "False": 0.0, "true": 1.0, "false": 0.0}
    converted: pd.DataFrame = frame.apply(lambda column: column.map(mapping).astype(float))
    return converted


def build_preprocessor(
    numeric: Sequence[str],
    categorical: Sequence[str],
    derived: Sequence[str],
    boolean: Sequence[str] = (),
    *,
    native_categories: bool = False,
) -> Pipeline:
    """Return an unfitted transformer from raw feature columns to a numeric matrix.

    Categories are one-hot encoded, or with ``native_categories`` numbered 0, 1, 2, ... in
    one column each, for an estimator that splits on categories itself (gradient boosting):
    a one-hot column per level would multiply its work by the number of levels.
    """
    numeric_steps = Pipeline(
        [("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]
    )
    categorical_steps = Pipeline(
        [
            ("impute", SimpleImputer(strategy="most_frequent")),
            (
                "encode",
                # An unseen category becomes missing (NaN), which gradient boosting handles;
                # at most 255 levels (the rarest are grouped), its limit for one column.
                OrdinalEncoder(
                    handle_unknown="use_encoded_value", unknown_value=np.nan, max_categories=255
                )
                if native_categories
                else OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            ),
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
