"""Infer a pandera schema from training data and keep it as a versioned YAML artifact.

The schema records each column's type, nullability, value range (widened by a margin so
that honest new data is not refused) and, for text columns, the allowed categories.
Commit the schema file: a change to it is a reviewed change to what the model accepts.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from ..atomic import write_text


def _numeric_column(series: pd.Series, margin: float) -> pa.Column:
    low, high = float(series.min()), float(series.max())
    pad = (high - low) * margin
    is_integer = pd.api.types.is_integer_dtype(series)
    if is_integer:
        low, high = float(math.floor(low - pad)), float(math.ceil(high + pad))
    else:
        low, high = round(low - pad, 6), round(high + pad, 6)
    return pa.Column(
        "int64" if is_integer else "float64",
        checks=[pa.Check.in_range(low, high)],
        nullable=bool(series.isna().any()),
        coerce=True,
    )


def _categorical_column(series: pd.Series, max_categories: int) -> pa.Column:
    categories = sorted(str(value) for value in series.dropna().unique())
    if len(categories) > max_categories:
        raise ValueError(
            f"column '{series.name}' has {len(categories)} distinct values, more than "
            f"schema.max_categories={max_categories}: raise the limit or drop the column"
        )
    return pa.Column(
        str,
        checks=[pa.Check.isin(categories)],
        nullable=bool(series.isna().any()),
        coerce=True,
    )


def infer_schema(
    frame: pd.DataFrame, *, range_margin: float, max_categories: int, name: str = "raw"
) -> pa.DataFrameSchema:
    """Infer types, ranges, categories and nullability for every column of ``frame``."""
    columns: dict[str, pa.Column] = {}
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_bool_dtype(series):
            columns[column] = pa.Column(bool, nullable=bool(series.isna().any()), coerce=True)
        elif pd.api.types.is_numeric_dtype(series):
            columns[column] = _numeric_column(series, range_margin)
        else:
            columns[column] = _categorical_column(series, max_categories)
    return pa.DataFrameSchema(columns, name=name, strict=True, ordered=False, coerce=True)


def save_schema(schema: pa.DataFrameSchema, path: Path) -> None:
    """Write ``schema`` as YAML."""
    text = schema.to_yaml()
    if text is None:  # pandera returns None only when given a stream to write to
        raise RuntimeError("pandera did not serialise the schema")
    write_text(path, text)


def load_schema(path: Path) -> pa.DataFrameSchema:
    """Read a schema written by :func:`save_schema`."""
    if not Path(path).exists():
        raise FileNotFoundError(
            f"schema {path} not found: create it with the 'infer-schema' command and commit it"
        )
    return pa.DataFrameSchema.from_yaml(Path(path).read_text(encoding="utf-8"))
