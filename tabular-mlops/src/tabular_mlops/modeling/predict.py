"""Predict for the rows of a CSV file (the ``predict`` command): the trained model without a
server, for a batch at hand."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tabular_mlops.config import Params
from tabular_mlops.data.ingest import read_raw
from tabular_mlops.modeling.registry import load_model

from ..errors import StageError

if TYPE_CHECKING:
    import pandas as pd


def predict_csv(params: Params, data: Path) -> pd.DataFrame:
    """The rows of ``data`` with a ``prediction`` column added.

    A :class:`StageError` names a missing file, a missing input column or a value that the
    model's preprocessing cannot take.
    """
    if not data.is_file():
        raise StageError(
            f"{data} not found: give the path of a CSV file with the model's input columns"
        )
    frame = read_raw(data)
    inputs = params.data.features.input_columns
    missing = [name for name in inputs if name not in frame]
    if missing:
        raise StageError(f"{data} lacks the model's input column(s) {missing}")
    model = load_model(params.train.model_path)
    try:
        frame["prediction"] = model.predict(frame[inputs])
    except (ValueError, TypeError) as error:
        # e.g. text in a numeric column: the preprocessing cannot convert it
        first_line = str(error).strip().splitlines()[0]
        raise StageError(f"cannot predict for {data}: {first_line}") from error
    return frame
