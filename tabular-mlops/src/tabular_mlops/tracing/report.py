"""Print a trace for a person: numbered steps, one line per column and value."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .journey import Trace


def _value(value: Any) -> str:
    if value is None:
        return "missing"
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _columns(names: Sequence[str], values: Sequence[Any]) -> list[str]:
    width = max((len(name) for name in names), default=0)
    return [
        f"     {name:<{width}}  {_value(value)}" for name, value in zip(names, values, strict=True)
    ]


def format_trace(trace: Trace) -> str:
    """The trace as text: the raw row, validation, each step, the model input, the prediction."""
    lines = [f"Trace of {trace.origin}", ""]
    number = 1
    lines.append(f"{number}. raw row: {len(trace.raw)} columns")
    lines += _columns(list(trace.raw), list(trace.raw.values()))
    number += 1
    lines.append(
        f"{number}. validated against {trace.schema_path}: every rule of its "
        f"{len(trace.checked_columns)} columns holds"
    )
    model_input = trace.model_input
    for step in trace.steps:
        number += 1
        lines.append(f"{number}. {step.name} ({step.transformer}): {len(step.columns)} columns")
        if (step.columns, step.values) == (model_input.columns, model_input.values):
            lines.append("     (the values of the model input, below)")  # printed once
        else:
            lines += _columns(step.columns, step.values)
    number += 1
    lines.append(f"{number}. model input of {trace.estimator}: {len(model_input.columns)} values")
    lines += _columns(model_input.columns, model_input.values)
    number += 1
    actual = f" (actual {trace.target}: {_value(trace.actual)})" if trace.actual is not None else ""
    lines.append(f"{number}. prediction of {trace.target}: {_value(trace.prediction)}{actual}")
    if trace.probabilities is not None:
        shown = ", ".join(f"{label} {p:.4f}" for label, p in trace.probabilities.items())
        lines.append(f"     probabilities: {shown}")
    if not trace.consistent:
        lines.append(
            f"warning: the pipeline's own predict() gives {_value(trace.pipeline_prediction)}: "
            "a step behaves differently when replayed, so this trace does not explain it"
        )
    lines += [f"note: {note}" for note in trace.notes]
    return "\n".join(lines)
