"""Which row to trace, and the frame the model reads for it.

A row of a split is read as evaluation reads it (the split's CSV file); a record given as
JSON goes through the API's request model and frame building, so its trace is the trace
of the same request served.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa

from tabular_mlops.config import Params
from tabular_mlops.data.validation import missing_columns

from ..data.split import SPLIT_NAMES, read_split
from ..errors import ProjectError

SPLIT_ROW = re.compile(r"^(?P<split>[a-z]+):(?P<position>-?\d+)$")
ROW_FORMS = (
    "SPLIT:POSITION (e.g. test:0; splits: train, val, test), a JSON object of column values, "
    "or the path of a .json file holding one"
)


class TraceError(ProjectError, ValueError):
    """The row cannot be traced; the message says what is wrong and what would be right."""


@dataclass(frozen=True)
class SelectedRow:
    """The row to trace: where it came from, and its values (one row of every given column).

    ``record`` is the JSON object the user gave, None for a row of a split.
    """

    origin: str
    raw: pd.DataFrame
    record: dict[str, Any] | None = None

    def actual(self, target: str) -> Any:
        """The target's value when the row has one (a split row always does)."""
        if target not in self.raw or pd.isna(self.raw[target].iloc[0]):
            return None
        return self.raw[target].iloc[0]


def select_row(params: Params, schema: pa.DataFrameSchema, row: str) -> SelectedRow:
    """The row that ``row`` names: ``test:3``, a JSON object, or a JSON file's path."""
    text = row.strip()
    match = SPLIT_ROW.match(text)
    if match:
        return _split_row(params, match["split"], int(match["position"]))
    if text.startswith(("{", "[")):
        return _record_row(params, schema, _parse(text, "the JSON record"), "the JSON record")
    path = Path(text)
    if path.is_file():
        try:
            content = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise TraceError(f"cannot read {path}: {error}") from error
        return _record_row(params, schema, _parse(content, str(path)), str(path))
    raise TraceError(f"ROW '{row}' is not {ROW_FORMS}")


def _split_row(params: Params, split: str, position: int) -> SelectedRow:
    if split not in SPLIT_NAMES:
        raise TraceError(f"no split '{split}': use one of {', '.join(SPLIT_NAMES)}, e.g. test:0")
    path = params.split.output_dir / f"{split}.csv"
    if not path.is_file():
        raise TraceError(f"{path} not found: run the pipeline up to split (dvc repro split)")
    frame = read_split(params.split.output_dir, split)
    if not 0 <= position < len(frame):
        raise TraceError(
            f"{split}:{position} is not a row of {path}: it has {len(frame)} rows, "
            f"numbered 0 to {len(frame) - 1}"
        )
    raw = frame.iloc[[position]].reset_index(drop=True)
    return SelectedRow(f"{split}:{position} (row {position} of {path})", raw)


def _parse(text: str, origin: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise TraceError(f"{origin} is not valid JSON: {error}") from error
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, dict):
        raise TraceError(
            f"{origin} must hold one JSON object of column values, e.g. "
            '{"column": 1.5, ...}, not ' + type(value).__name__
        )
    return value


def _record_row(
    params: Params, schema: pa.DataFrameSchema, record: dict[str, Any], origin: str
) -> SelectedRow:
    inputs = params.data.features.input_columns
    unknown = missing_columns(record, schema.columns)
    if unknown:
        raise TraceError(
            f"{origin} has column(s) the data does not have: {', '.join(unknown)}; "
            f"the model reads {', '.join(inputs)}"
        )
    absent = missing_columns(inputs, record)
    if absent:
        raise TraceError(f"{origin} lacks the model's input column(s) {', '.join(absent)}")
    return SelectedRow(origin, pd.DataFrame([record]), record)


def model_frame(params: Params, schema: pa.DataFrameSchema, row: SelectedRow) -> pd.DataFrame:
    """The one-row frame of input columns that the pipeline reads for ``row``.

    A split row's columns as the CSV file gives them; a record's as the API builds them
    from a request (serving/frames.py), after its request model has checked the record.
    """
    inputs = params.data.features.input_columns
    if row.record is None:
        absent = missing_columns(inputs, row.raw.columns)
        if absent:
            raise TraceError(
                f"{row.origin} lacks the model's input column(s) {', '.join(absent)}: "
                "the splits are older than params.yaml, run the pipeline (dvc repro)"
            )
        return row.raw[inputs]
    # Imported here: pydantic's models are only needed for a record.
    from pydantic import ValidationError

    from tabular_mlops.serving.schemas import build_api_models

    from ..serving.frames import records_to_frame

    api = build_api_models(schema, params)
    try:
        record = api.record.model_validate({name: row.record[name] for name in inputs})
    except ValidationError as error:
        problems = "; ".join(
            f"'{'.'.join(str(part) for part in problem['loc'])}': {problem['msg']}"
            for problem in error.errors()
        )
        raise TraceError(f"the API would refuse {row.origin}: {problems}") from error
    return records_to_frame([record], api.columns)
