"""Infer the data schema from reference data and keep it as a versioned YAML artifact.

The schema has two parts, kept in one file:
- the pandera schema: each model column's type, value range (widened by a margin so that
  honest new data is not refused), allowed categories and whether it may be missing;
- ``quality``: rules about the data set as a whole that pandera does not express: the
  fewest rows the split can use, the largest share of exact duplicate rows, and for each
  column the largest share of missing values (the reference's share plus a margin).
Columns the model does not use are recorded by name only, so their content is never
refused. Commit the schema: a change to it is a reviewed change to what the model accepts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import yaml

from tabular_mlops.atomic import write_text
from tabular_mlops.config import Params
from tabular_mlops.data.dates import datetime_format, parse_dates

from .. import safe_yaml
from ..errors import StageError
from .ingest import read_raw
from .profile import is_boolean

QUALITY_KEY = "quality"


@dataclass(frozen=True)
class QualityRules:
    """Data-set-level rules checked next to the pandera schema."""

    min_rows: int
    max_duplicate_fraction: float
    max_missing_fraction: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "min_rows": self.min_rows,
            "max_duplicate_fraction": self.max_duplicate_fraction,
            "max_missing_fraction": dict(self.max_missing_fraction),
        }


@dataclass(frozen=True)
class DataSchema:
    """The pandera schema of the columns and the data-set-level quality rules."""

    columns: pa.DataFrameSchema
    quality: QualityRules


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


def _categorical_column(series: pd.Series) -> pa.Column:
    categories = sorted({str(value) for value in series.dropna().unique()})
    return pa.Column(
        # Python-backed strings: the schema must not depend on whether pyarrow is installed
        # (the serving image does not have it).
        pd.StringDtype("python"),
        checks=[pa.Check.isin(categories)],
        nullable=bool(series.isna().any()),
        coerce=True,
    )


DATE_FORMAT_PREFIX = "dates or times, format "
# Said of a date column whose reference data held values that are no date (a range such as
# 12/01/2010-11/21/2011, a shifted field): the pipeline reads them as missing, and the API
# accepts them likewise. A column without them refuses them at the API.
NON_DATES_AS_MISSING = "values that are no date are read as missing"


def _date_description(series: pd.Series) -> str | None:
    date_format = datetime_format(series)
    parts = [] if date_format is None else [DATE_FORMAT_PREFIX + date_format]
    present = series.dropna()
    if parse_dates(present, date_format).isna().any():
        parts.append(NON_DATES_AS_MISSING)
    return "; ".join(parts) or None


def date_format_of(column: pa.Column) -> str | None:
    """The format a date column's values are mostly written in (None: each its own)."""
    first = (column.description or "").split("; ")[0]
    return first.removeprefix(DATE_FORMAT_PREFIX) if first.startswith(DATE_FORMAT_PREFIX) else None


def reads_non_dates_as_missing(column: pa.Column) -> bool:
    return NON_DATES_AS_MISSING in (column.description or "").split("; ")


def _text_column(series: pd.Series) -> pa.Column:
    """Text with no list of values: dates or times, which the model reads as calendar parts.

    The format they are written in, and whether values that are no date occurred, are the
    column's description (the API shows it, writes its example in it and follows it).
    """
    return pa.Column(
        pd.StringDtype("python"),
        nullable=bool(series.isna().any()),
        coerce=True,
        description=_date_description(series),
    )


def _model_column(series: pd.Series, *, categorical: bool, margin: float) -> pa.Column:
    if categorical:
        return _categorical_column(series)
    if not is_boolean(series) and not pd.api.types.is_numeric_dtype(series):
        return _text_column(series)
    if is_boolean(series):
        # True/False with gaps is read as object; pandas' nullable "boolean" keeps a gap
        # missing, where coercing to bool would turn it into True.
        nullable = bool(series.isna().any())
        return pa.Column("boolean" if nullable else bool, nullable=nullable, coerce=True)
    return _numeric_column(series, margin)


def _round_up(value: float, digits: int = 4) -> float:
    scale = 10.0**digits
    return min(1.0, math.ceil(value * scale) / scale)


def infer_schema(
    frame: pd.DataFrame,
    *,
    model_columns: list[str],
    categorical_columns: list[str],
    params: Params,
    name: str = "raw",
) -> DataSchema:
    """Infer the schema of ``frame``; only ``model_columns`` get types, ranges and categories.

    ``categorical_columns`` are recorded as text with their categories even when the
    values look numeric (a class label such as 0/1/2 is a category).
    """
    settings = params.schema_
    columns: dict[str, pa.Column] = {}
    missing: dict[str, float] = {}
    for column in frame.columns:
        series = frame[column]
        if column not in model_columns:
            columns[column] = pa.Column(nullable=True, required=False, coerce=False)
            continue
        columns[column] = _model_column(
            series, categorical=column in categorical_columns, margin=settings.range_margin
        )
        share = float(series.isna().mean())
        if share > 0:
            missing[column] = _round_up(share + settings.missing_margin)
    duplicates = float(frame.duplicated().mean()) if len(frame) else 0.0
    quality = QualityRules(
        min_rows=settings.min_rows,
        max_duplicate_fraction=_round_up(duplicates + settings.duplicate_margin),
        max_missing_fraction=missing,
    )
    pandera_schema = pa.DataFrameSchema(columns, name=name, strict=True, ordered=False, coerce=True)
    return DataSchema(pandera_schema, quality)


def categorical_model_columns(params: Params) -> list[str]:
    """Columns recorded as categories: the categorical features, and a classifier's target."""
    categorical = list(params.data.features.categorical)
    if params.problem_type == "classification":
        categorical.append(params.data.target)
    return categorical


def model_columns(params: Params) -> list[str]:
    """Every column the model reads, and the target."""
    return [*params.data.features.input_columns, params.data.target]


def infer_for_params(frame: pd.DataFrame, params: Params) -> DataSchema:
    """Infer the schema of the columns that ``params`` names as features and target.

    A numeric time column (a year) is checked too: the staleness checks read it. Dates held
    as text are left to the stages that parse them.
    """
    typed = model_columns(params)
    time_column = params.time_column
    if time_column in frame and pd.api.types.is_numeric_dtype(frame[time_column]):
        typed.append(str(time_column))
    return infer_schema(
        frame,
        model_columns=typed,
        categorical_columns=categorical_model_columns(params),
        params=params,
    )


def infer_from_raw(params: Params) -> DataSchema:
    """The ``infer-schema`` command: infer the schema from the raw data and save it.

    A :class:`StageError` when the raw data lacks a column that ``params.yaml`` names.
    """
    from .validation import missing_columns  # validation imports this module

    frame = read_raw(params.data.raw_path)
    absent = missing_columns(model_columns(params), frame.columns)
    if absent:
        raise StageError(
            f"{params.data.raw_path} lacks column(s) named in params.yaml: {', '.join(absent)}"
        )
    schema = infer_for_params(frame, params)
    save_schema(schema, params.schema_.path)
    return schema


def save_schema(schema: DataSchema, path: Path) -> None:
    """Write the pandera schema and the quality rules to one YAML file."""
    text = schema.columns.to_yaml()
    if text is None:  # pandera returns None only when given a stream to write to
        raise RuntimeError("pandera did not serialise the schema")
    quality = yaml.safe_dump({QUALITY_KEY: schema.quality.to_dict()}, sort_keys=False)
    write_text(path, text + quality)


def _read(path: Path) -> str:
    if not Path(path).exists():
        raise FileNotFoundError(
            f"schema {path} not found: create it with the 'adopt' or 'infer-schema' "
            "command and commit it"
        )
    return Path(path).read_text(encoding="utf-8")


def load_schema(path: Path) -> pa.DataFrameSchema:
    """Read the pandera part of a schema written by :func:`save_schema`."""
    return pa.DataFrameSchema.from_yaml(_read(path))


def load_quality(path: Path) -> QualityRules:
    """Read the quality rules of a schema written by :func:`save_schema`."""
    raw = (safe_yaml.safe_load(_read(path)) or {}).get(QUALITY_KEY) or {}
    return QualityRules(
        min_rows=int(raw.get("min_rows", 1)),
        max_duplicate_fraction=float(raw.get("max_duplicate_fraction", 1.0)),
        max_missing_fraction={
            str(name): float(share)
            for name, share in (raw.get("max_missing_fraction") or {}).items()
        },
    )


def load_data_schema(path: Path) -> DataSchema:
    """Read both parts of a schema file."""
    return DataSchema(load_schema(path), load_quality(path))
