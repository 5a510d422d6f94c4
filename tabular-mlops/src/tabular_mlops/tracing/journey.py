"""Replay the trained pipeline on one row, step by step, and keep what each step gave.

The steps come from the fitted model itself, not from a description of it: each transformer
of the scikit-learn pipeline (and each block of a column transformer, step by step) is
applied in turn, its output named by its own ``get_feature_names_out``. So the trace stays
true when the estimator, the features or the preprocessing change, and on any data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline

from tabular_mlops.config import Params
from tabular_mlops.data.schema import load_data_schema
from tabular_mlops.data.validation import column_violations
from tabular_mlops.modeling.registry import load_model

from .rows import SelectedRow, TraceError, model_frame, select_row


@dataclass(frozen=True)
class Step:
    """One transformer applied to the row: where it sits in the pipeline and what it gave."""

    name: str  # its path in the pipeline, e.g. features/columns/numeric/scale
    transformer: str  # its class
    columns: list[str]  # the names of its output columns
    values: list[Any]  # the row's value in each

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "transformer": self.transformer,
            "values": dict(zip(self.columns, self.values, strict=True)),
        }


@dataclass(frozen=True)
class Trace:
    """Everything one row went through, from the raw values to the prediction."""

    origin: str
    raw: dict[str, Any]
    schema_path: Path
    checked_columns: list[str]  # the schema's columns that the row was validated against
    steps: list[Step]
    estimator: str
    model_input: Step  # the vector the estimator receives
    prediction: Any
    probabilities: dict[str, float] | None  # a classifier's, by class
    target: str
    actual: Any  # the target's true value, when the row has it
    pipeline_prediction: Any  # what the whole pipeline's predict() answers
    notes: list[str] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        """Whether replaying the steps gave the prediction the pipeline itself gives."""
        return bool(self.prediction == self.pipeline_prediction)

    def to_dict(self) -> dict[str, Any]:
        return {
            "row": self.origin,
            "raw": self.raw,
            "validation": {
                "schema": str(self.schema_path),
                "valid": True,
                "columns": self.checked_columns,
            },
            "steps": [step.to_dict() for step in self.steps],
            "model_input": {
                "estimator": self.estimator,
                "columns": self.model_input.columns,
                "values": self.model_input.values,
            },
            "prediction": self.prediction,
            "probabilities": self.probabilities,
            "target": self.target,
            "actual": self.actual,
            "pipeline_prediction": self.pipeline_prediction,
            "consistent": self.consistent,
            "notes": self.notes,
        }


def plain(value: Any) -> Any:
    """A cell as a JSON value: numpy scalars as Python ones, missing values as None."""
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or (isinstance(value, float) and np.isnan(value)):
        return None
    return value


def _first_row(output: Any) -> list[Any]:
    if hasattr(output, "toarray"):  # a sparse matrix (a one-hot encoder's default output)
        output = output.toarray()
    if isinstance(output, pd.DataFrame):
        return [plain(value) for value in output.iloc[0].tolist()]
    return [plain(value) for value in np.asarray(output, dtype=object)[0].tolist()]


def _output_names(transformer: Any, input_names: list[str], width: int) -> list[str]:
    """The transformer's own names for its outputs; positions when it cannot name them."""
    try:
        names = [str(name) for name in transformer.get_feature_names_out(input_names)]
    except (AttributeError, TypeError, ValueError):
        names = []
    return names if len(names) == width else [f"x{index}" for index in range(width)]


def _select(data: Any, columns: Any, names: list[str]) -> tuple[Any, list[str]]:
    """The part of ``data`` a column-transformer block reads, and its column names."""
    if isinstance(data, pd.DataFrame) and all(isinstance(c, str) for c in np.atleast_1d(columns)):
        chosen = list(np.atleast_1d(columns))
        return data[chosen], chosen
    positions = np.arange(len(names))[columns]
    part = data.iloc[:, positions] if isinstance(data, pd.DataFrame) else data[:, positions]
    return part, [names[index] for index in positions]


def walk(path: str, transformer: Any, data: Any, names: list[str]) -> tuple[list[Step], Any]:
    """Apply ``transformer`` to ``data`` step by step: the steps, and the final output."""
    if isinstance(transformer, Pipeline):
        steps: list[Step] = []
        for step_name, step in transformer.steps:
            if step is None or step == "passthrough":
                continue
            inner, data = walk(f"{path}/{step_name}".strip("/"), step, data, names)
            steps += inner
            names = inner[-1].columns if inner else names
        return steps, data
    steps = []
    if isinstance(transformer, ColumnTransformer):
        # Each block on its own columns first (imputation, scaling, encoding ...): the
        # column transformer's output is these blocks side by side.
        for block, fitted, columns in transformer.transformers_:
            if isinstance(fitted, str) or len(np.atleast_1d(columns)) == 0:
                continue  # "drop", or "passthrough" (its columns show in the joined output)
            part, part_names = _select(data, columns, names)
            inner, _ = walk(f"{path}/{block}", fitted, part, part_names)
            steps += inner
    output = transformer.transform(data)
    width = output.shape[1]
    columns = _output_names(transformer, names, width)
    steps.append(Step(path, type(transformer).__name__, columns, _first_row(output)))
    return steps, output


def _probabilities(estimator: Any, vector: Any) -> dict[str, float] | None:
    if not hasattr(estimator, "predict_proba") or not hasattr(estimator, "classes_"):
        return None
    values = estimator.predict_proba(vector)[0]
    return {str(label): float(p) for label, p in zip(estimator.classes_, values, strict=True)}


def trace_row(params: Params, row: str) -> Trace:
    """Trace the row that ``row`` names (see :func:`~.rows.select_row`) through the model.

    A :class:`TraceError` for whatever it names that the pipeline has not made yet.
    """
    try:
        return _trace(params, row)
    except FileNotFoundError as error:  # the schema, say: its message names the fix
        raise TraceError(str(error)) from error


def _trace(params: Params, row: str) -> Trace:
    schema = load_data_schema(params.schema_.path).columns
    selected = select_row(params, schema, row)
    # A record is checked on the columns it has (a client sends the input columns only;
    # select_row has made sure that they are all there), a split row on the whole schema.
    given = [name for name in schema.columns if name in selected.raw]
    columns = schema if selected.record is None else schema.select_columns(given)
    violations = column_violations(selected.raw, columns)
    if violations:
        broken = "\n  - ".join(violation.describe() for violation in violations)
        raise TraceError(
            f"{selected.origin} breaks the schema {params.schema_.path}, so the pipeline and "
            f"the API refuse it:\n  - {broken}"
        )
    features = model_frame(params, schema, selected)
    model = load_model(params.train.model_path)
    return _replay(params, model, selected, features, list(columns.columns))


def _replay(
    params: Params, model: Any, selected: SelectedRow, features: pd.DataFrame, checked: list[str]
) -> Trace:
    trained_on = [str(name) for name in getattr(model, "feature_names_in_", features.columns)]
    if trained_on != list(features.columns):
        raise TraceError(
            f"the model in {params.train.model_path} was trained on the columns {trained_on}, "
            f"but params.yaml lists {list(features.columns)}: retrain it (dvc repro)"
        )
    notes = []
    if isinstance(model, Pipeline):
        preprocessing, estimator = model[:-1], model[-1]
        steps, vector = walk("", preprocessing, features, list(features.columns))
        names = steps[-1].columns if steps else list(features.columns)
    else:  # a bare estimator reads the input columns as they are
        estimator, steps, vector, names = model, [], features, list(features.columns)
        notes.append("the model is a bare estimator: no preprocessing step to show")
    model_input = Step("model input", type(estimator).__name__, names, _first_row(vector))
    prediction = plain(estimator.predict(vector)[0])
    pipeline_prediction = plain(model.predict(features)[0])
    actual = selected.actual(params.data.target)
    if actual is not None and params.problem_type == "classification":
        actual = str(actual)  # the classes are text (see features_and_target in modeling/train.py)
    return Trace(
        origin=selected.origin,
        raw={str(name): plain(value) for name, value in selected.raw.iloc[0].items()},
        schema_path=params.schema_.path,
        checked_columns=checked,
        steps=steps,
        estimator=type(estimator).__name__,
        model_input=model_input,
        prediction=prediction,
        probabilities=_probabilities(estimator, vector),
        target=params.data.target,
        actual=plain(actual),
        pipeline_prediction=pipeline_prediction,
        notes=notes,
    )
