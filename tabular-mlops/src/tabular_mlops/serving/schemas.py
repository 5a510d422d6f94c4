"""Request and response models derived from the committed data schema.

The API accepts exactly the model's input columns (``data.features`` in ``params.yaml``),
with the types, allowed categories, ranges and nullability recorded in
``schemas/raw.schema.yaml``. The OpenAPI document therefore describes the real inputs of
this model, and a request that the pipeline's validation would refuse is refused at the
door with a 422 that names the field and the rule.
"""

from __future__ import annotations

import keyword
from dataclasses import dataclass
from functools import partial
from typing import Annotated, Any, Literal

import pandas as pd
import pandera.pandas as pa
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, create_model

from tabular_mlops.config import Params
from tabular_mlops.data.dates import reads_as_date
from tabular_mlops.data.levels import level_text

from ..data.schema import date_format_of, reads_non_dates_as_missing

ColumnKind = Literal["float", "int", "bool", "category", "datetime"]
# An example date for a date column, written in the column's format (the schema's description)
EXAMPLE_TIME = pd.Timestamp("2024-01-31T12:00:00", tz="UTC")
# See model_version() in modeling/registry.py.
MODEL_VERSION_FIELD: Any = (str, Field(description="First 12 hex digits of the model's SHA-256"))


@dataclass(frozen=True)
class InputColumn:
    """One input column: its name in the data, its attribute on the request model, its kind."""

    name: str
    attribute: str
    kind: ColumnKind
    nullable: bool


@dataclass(frozen=True)
class ApiModels:
    """The pydantic models of the API and what is needed to turn requests into a frame."""

    record: type[BaseModel]
    prediction: type[BaseModel]
    batch_prediction: type[BaseModel]
    columns: tuple[InputColumn, ...]
    example: dict[str, Any]
    labels: tuple[str, ...] | None  # the target's categories, for a classifier
    target_range: tuple[float, float] | None  # the target's range, for a regressor


def _kind(column: pa.Column) -> ColumnKind:
    dtype = column.dtype.type
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "int"
    if pd.api.types.is_numeric_dtype(dtype):
        return "float"
    return "category"


def _statistics(column: pa.Column, check_name: str) -> dict[str, Any] | None:
    for check in column.checks:
        if check.name == check_name:
            return dict(check.statistics)
    return None


def _range(column: pa.Column) -> tuple[float, float] | None:
    stats = _statistics(column, "in_range")
    if stats is None:
        return None
    return float(stats["min_value"]), float(stats["max_value"])


@dataclass(frozen=True)
class _Bounds:
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None


def _bounds(column: pa.Column) -> _Bounds:
    """The range check as pydantic constraints (ge/le, or gt/lt for an exclusive bound)."""
    stats = _statistics(column, "in_range")
    if stats is None:
        return _Bounds()
    low, high = float(stats["min_value"]), float(stats["max_value"])
    low_inclusive = stats.get("include_min", True)
    high_inclusive = stats.get("include_max", True)
    return _Bounds(
        ge=low if low_inclusive else None,
        gt=None if low_inclusive else low,
        le=high if high_inclusive else None,
        lt=None if high_inclusive else high,
    )


def _categories(column: pa.Column) -> tuple[str, ...] | None:
    stats = _statistics(column, "isin")
    return None if stats is None else tuple(str(value) for value in stats["allowed_values"])


def _whole_float_to_int(value: Any) -> Any:
    """JSON has one number type, so 2009.0 is the whole number 2009; 2009.5 stays refused."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _as_level(value: Any, levels: tuple[str, ...]) -> Any:
    """A JSON number or true/false whose text is a level, as that level (4 -> "4").

    The levels of a category are text, but a client that sends the number 4 for the level
    "4" of a column of codes (3, 4, 5, rotary) is right. Anything else is left for the
    Literal to accept or refuse with the list of levels.
    """
    if not isinstance(value, bool | int | float):
        return value
    spellings = [level_text(value)]
    if isinstance(value, bool):
        spellings.append(str(value).lower())  # a CSV's true/false
    else:
        spellings += [level for level in levels if _number(level) == value]  # "4.0" for 4
    return next((text for text in spellings if text in levels), value)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _is_date(value: str, date_format: str | None) -> str:
    """``value`` when the pipeline reads it as a date in a column of ``date_format``."""
    if not reads_as_date(value, date_format):
        raise ValueError(
            f"{value!r} is not a date or time in a known format (such as "
            f"{EXAMPLE_TIME.date().isoformat()} or {EXAMPLE_TIME.isoformat()})"
        )
    return value


def _field_type(column: pa.Column, kind: ColumnKind) -> Any:
    """The annotation for one column: its type and rules, and None too if it is nullable."""
    base: Any
    bounds = _bounds(column)
    if kind == "int":
        base = Annotated[
            int,
            Field(strict=True, ge=bounds.ge, gt=bounds.gt, le=bounds.le, lt=bounds.lt),
            # After Field, so that the bounds stay in the OpenAPI document as minimum/maximum.
            BeforeValidator(_whole_float_to_int),
        ]
    elif kind == "float":
        base = Annotated[
            float,
            Field(
                strict=True,
                allow_inf_nan=False,
                ge=bounds.ge,
                gt=bounds.gt,
                le=bounds.le,
                lt=bounds.lt,
            ),
        ]
    elif kind == "bool":
        base = Annotated[bool, Field(strict=True)]
    elif kind == "datetime":
        description = f"a date or time, written like {_example_value(column, kind)!r}"
        if reads_non_dates_as_missing(column):
            # As the pipeline read the training data's: other text is a missing date.
            description += "; other text is read as missing"
            base = Annotated[str, Field(max_length=100, description=description)]
        else:
            base = Annotated[
                str,
                Field(max_length=100, description=description),
                AfterValidator(partial(_is_date, date_format=date_format_of(column))),
            ]
    else:
        categories = _categories(column)
        base = (
            Annotated[Literal[categories], BeforeValidator(partial(_as_level, levels=categories))]
            if categories
            else Annotated[str, Field(max_length=1000)]
        )
    return base | None if column.nullable else base


def _example_value(column: pa.Column, kind: ColumnKind) -> Any:
    if kind in ("float", "int"):
        bounds = _range(column)
        middle = 0.0 if bounds is None else (bounds[0] + bounds[1]) / 2
        return round(middle) if kind == "int" else round(middle, 2)
    if kind == "bool":
        return False
    if kind == "datetime":
        date_format = date_format_of(column)
        return EXAMPLE_TIME.strftime(date_format) if date_format else EXAMPLE_TIME.isoformat()
    categories = _categories(column)
    return categories[0] if categories else "example"


def _attribute(name: str, position: int) -> str:
    """A Python attribute for a column name that may not be a valid identifier."""
    if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_"):
        return name
    return f"column_{position}"


def build_api_models(schema: pa.DataFrameSchema, params: Params) -> ApiModels:
    """Build the request and response models for the model's input columns."""
    input_columns = params.data.features.input_columns
    missing = [name for name in input_columns if name not in schema.columns]
    if missing:
        raise ValueError(f"input column(s) {missing} are not in the data schema {schema.name}")
    fields: dict[str, Any] = {}
    columns = []
    example: dict[str, Any] = {}
    for position, name in enumerate(input_columns):
        column = schema.columns[name]
        kind: ColumnKind = "datetime" if name in params.data.features.datetime else _kind(column)
        attribute = _attribute(name, position)
        columns.append(InputColumn(name, attribute, kind, bool(column.nullable)))
        fields[attribute] = (_field_type(column, kind), Field(alias=name))
        example[name] = _example_value(column, kind)
    record = create_model(
        "Record",
        __config__=ConfigDict(
            extra="forbid",
            frozen=True,
            json_schema_extra={"examples": [example]},
        ),
        __doc__="One row of the model's input columns.",
        **fields,
    )

    target = schema.columns.get(params.data.target)
    labels = _categories(target) if target is not None else None
    target_range = _range(target) if target is not None else None
    prediction_type: Any
    if params.problem_type == "classification":
        prediction_type = Literal[labels] if labels else str
        target_range = None
    else:
        prediction_type = float
        labels = None
    prediction = create_model(
        "Prediction",
        __doc__=f"The model's prediction of '{params.data.target}' for one record.",
        prediction=(prediction_type, ...),
        model_version=MODEL_VERSION_FIELD,
    )
    batch_prediction = create_model(
        "BatchPrediction",
        __doc__=f"The model's predictions of '{params.data.target}', in the order of the input.",
        predictions=(list[prediction_type], ...),
        model_version=MODEL_VERSION_FIELD,
    )
    return ApiModels(
        record, prediction, batch_prediction, tuple(columns), example, labels, target_range
    )
