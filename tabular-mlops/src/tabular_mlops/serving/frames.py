"""Turn validated request records into the data frame the model pipeline reads.

The frame has the columns and dtypes that ``pandas.read_csv`` gives the training code for
the same rows (float64 numbers, missing values as NaN, text inferred by pandas), so the
fitted pipeline, which holds the feature code, sees served rows exactly as it saw the
test split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel

from tabular_mlops.serving.schemas import InputColumn


def _values(values: list[Any], column: InputColumn) -> Any:
    if column.kind == "float" or (column.kind == "int" and column.nullable):
        return np.array(values, dtype=np.float64)  # None becomes NaN
    if column.kind == "int":
        return np.array(values, dtype=np.int64)
    if column.kind == "bool" and not column.nullable:
        return np.array(values, dtype=bool)
    return [np.nan if value is None else value for value in values]


def records_to_frame(records: Sequence[BaseModel], columns: Sequence[InputColumn]) -> pd.DataFrame:
    """Build one frame from ``records``, with the input columns in the configured order."""
    rows = [record.__dict__ for record in records]
    return pd.DataFrame(
        {
            column.name: _values([row[column.attribute] for row in rows], column)
            for column in columns
        }
    )


def frame_to_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows of ``frame`` as JSON-ready dicts (NaN becomes None): what a client sends."""
    return [
        {str(name): _plain(value) for name, value in row.items()}
        for row in frame.to_dict(orient="records")
    ]


def _plain(value: Any) -> Any:
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.generic):
        return _plain(value.item())
    return value
