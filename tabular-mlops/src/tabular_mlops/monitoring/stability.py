"""Numerical stability of what was served (monitor-5): no NaN or infinite inputs, predictions or
probabilities, and a classifier's probabilities that are probabilities (each in [0, 1], summing
to one within ``monitoring.stability.probability_tolerance``).

A missing value (JSON null) is not counted here: the model imputes it, and invariants.py checks
how often it happens. A NaN or an infinity is a number that went wrong somewhere (a division
by zero upstream, an overflow in the model) and is worth a look, not a retraining.
"""

from __future__ import annotations

import math
from typing import Any

from tabular_mlops.config import Params
from tabular_mlops.monitoring.checks import PREDICTION, Alert, CheckResult, result

from .records import Window
from .reference import Reference

ITEM = "monitor-5"
PROBABILITIES = "<probabilities>"


def non_finite(value: Any) -> bool:
    """A float NaN or infinity (a missing value, None, is not one)."""
    return isinstance(value, float) and not math.isfinite(value)


def _bad_probabilities(probabilities: Any, tolerance: float) -> str | None:
    """Why a record's probabilities are not a probability distribution, or None."""
    if not isinstance(probabilities, dict) or not probabilities:
        return "missing"
    values = list(probabilities.values())
    if not all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
        return "not numbers"
    if any(non_finite(float(value)) for value in values):
        return "NaN or infinite"
    if any(value < -tolerance or value > 1 + tolerance for value in values):
        return "outside [0, 1]"
    if abs(math.fsum(values) - 1.0) > tolerance:
        return f"sum to {math.fsum(values):.6g}"
    return None


def check_stability(reference: Reference, window: Window, params: Params) -> CheckResult:
    tolerance = params.monitoring.stability.probability_tolerance
    alerts: list[Alert] = []
    counts: dict[str, int] = {}
    for column in window.inputs.columns:
        bad = sum(non_finite(value) for value in window.inputs[column])
        counts[column] = bad
        if bad:
            alerts.append(
                Alert(
                    "stability",
                    column,
                    f"{column!r} is NaN or infinite in {bad} record(s)",
                    "investigate",
                )
            )
    predictions = window.frame["prediction"].tolist()
    if reference.problem_type == "regression":
        bad = sum(
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or non_finite(float(value))
            for value in predictions
        )
    else:
        bad = sum(value is None or non_finite(value) for value in predictions)
    counts[PREDICTION] = bad
    if bad:
        alerts.append(
            Alert(
                "stability", PREDICTION, f"{bad} prediction(s) are not finite values", "investigate"
            )
        )
    if reference.problem_type == "classification":
        reasons = [
            reason
            for reason in (
                _bad_probabilities(value, tolerance) for value in window.frame["probabilities"]
            )
            if reason is not None and reason != "missing"  # a sampled record may leave them out
        ]
        counts[PROBABILITIES] = len(reasons)
        if reasons:
            alerts.append(
                Alert(
                    "stability",
                    PROBABILITIES,
                    f"the probabilities of {len(reasons)} record(s) are not a distribution "
                    f"(e.g. {reasons[0]}; tolerance {tolerance:g})",
                    "investigate",
                )
            )
    summary = f"{sum(counts.values())} non-finite or invalid value(s)"
    return result("stability", ITEM, summary, {"counts": counts, "tolerance": tolerance}, alerts)
