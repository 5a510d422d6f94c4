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
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    OneHotEncoder,
    OrdinalEncoder,
    StandardScaler,
    TargetEncoder,
)

from tabular_mlops.data.levels import as_levels

from .calendar import CalendarFeatures
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


def by_levels(
    frame: pd.DataFrame, columns: Sequence[str], *, max_levels: int, many: bool
) -> list[str]:
    """The ``columns`` with more than ``max_levels`` levels in ``frame`` (``many``), or the
    others: a column selector, evaluated on the training rows when the pipeline is fitted."""
    return [name for name in columns if (frame[name].nunique() > max_levels) == many]


def _imputer(strategy: str) -> SimpleImputer:
    """An imputer that keeps a column empty in the training rows (a flag that did not exist
    in the oldest rows), as a constant 0: dropping it would shift the columns after it, so
    the categories' positions and the feature names would no longer match."""
    return SimpleImputer(strategy=strategy, keep_empty_features=True)


def build_preprocessor(
    numeric: Sequence[str],
    categorical: Sequence[str],
    derived: Sequence[str],
    boolean: Sequence[str] = (),
    datetime: Sequence[str] = (),
    *,
    native_categories: bool = False,
    one_hot_max_levels: int = 50,
    regression: bool = False,
    seed: int = 0,
) -> Pipeline:
    """Return an unfitted transformer from raw feature columns to a numeric matrix.

    Categories are one-hot encoded, or with ``native_categories`` numbered 0, 1, 2, ... in
    one column each, for an estimator that splits on categories itself (gradient boosting):
    a one-hot column per level would multiply its work by the number of levels. For the
    same reason a category with more than ``one_hot_max_levels`` levels in the training rows
    (a hundred airport codes) is target-encoded instead of one-hot encoded: one column per
    class (one for a regression) holding the level's mean target, cross-fitted on the
    training rows so that the encoding does not leak each row's own target (``regression``:
    a numeric target, even of whole numbers, is one mean, not classes; ``seed`` shuffles the
    rows into its folds, so that training is repeatable). Dates or times
    become their calendar parts (features/calendar.py), after every other column, so that
    the categories keep their positions.
    """
    numeric_steps = Pipeline([("impute", _imputer("median")), ("scale", StandardScaler())])
    # Levels as text first: a split whose rows hold only numbers is read as numbers, and
    # the API sends the level "4" as text (data/levels.py).
    as_text = FunctionTransformer(as_levels, feature_names_out="one-to-one")
    categorical_steps = Pipeline(
        [
            ("as_text", as_text),
            ("impute", _imputer("most_frequent")),
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
            ("impute", _imputer("most_frequent")),
        ]
    )
    categorical_blocks: list[tuple[str, Pipeline, object]]
    if native_categories:
        categorical_blocks = [("categorical", categorical_steps, list(categorical))]
    else:
        # Column selectors, since the number of levels is known only when the data is seen.
        split = partial(by_levels, columns=tuple(categorical), max_levels=one_hot_max_levels)
        many_levels_steps = Pipeline(
            [
                ("as_text", as_text),
                ("impute", _imputer("most_frequent")),
                (
                    "encode",
                    TargetEncoder(
                        target_type="continuous" if regression else "auto",
                        # Not stratified: a rare class would only draw a warning.
                        cv=KFold(5, shuffle=True, random_state=seed),
                    ),
                ),
            ]
        )
        categorical_blocks = [
            ("categorical", categorical_steps, partial(split, many=False)),
            ("many_levels", many_levels_steps, partial(split, many=True)),
        ]
    calendar_steps = Pipeline(
        [
            ("parts", CalendarFeatures()),
            ("impute", _imputer("median")),
            ("scale", StandardScaler()),
        ]
    )
    columns = ColumnTransformer(
        [
            ("numeric", numeric_steps, [*numeric, *derived]),
            *categorical_blocks,
            ("boolean", boolean_steps, list(boolean)),
            ("calendar", calendar_steps, list(datetime)),
        ],
        verbose_feature_names_out=False,
    )
    add_features = FunctionTransformer(
        partial(add_derived_features, names=tuple(derived)),
        feature_names_out=partial(_with_derived_names, derived=tuple(derived)),
    )
    return Pipeline([("derive", add_features), ("columns", columns)])
