"""Data invariants of served inputs: the training schema's rules, missing values, categories.

The API already refuses a request that breaks the schema (monitor-2 at the door); this check
reads what was actually recorded, so it also catches a server that runs an older schema, a
client that sends gaps more often than the training data had them, and categories the model
never saw. A new category is a reason to retrain (the world has changed); a broken type or range
and a rise in missing values usually point to a fault upstream, to investigate first.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pandera.pandas as pa

from tabular_mlops.config import Params
from tabular_mlops.monitoring.checks import Alert, CheckResult, result

from ..data.schema import DataSchema, QualityRules
from ..data.validation import check_frame
from .records import Window
from .reference import Reference

ITEM = "monitor-2"
CATEGORY_CHECK = "isin"


def _input_schema(schema: DataSchema, columns: list[str]) -> DataSchema:
    """The schema of the recorded input columns only, without the data-set rules (a window
    of traffic has no minimum size, and repeated requests are not duplicated data)."""
    pandera_schema = pa.DataFrameSchema(
        {name: schema.columns.columns[name] for name in columns if name in schema.columns.columns},
        strict=False,
        coerce=True,
    )
    return DataSchema(pandera_schema, QualityRules(min_rows=0, max_duplicate_fraction=1.0))


def missing_rates(
    reference: Reference, inputs: pd.DataFrame, schema: DataSchema
) -> tuple[dict[str, dict[str, float | None]], list[Alert]]:
    """Each recorded column's share of missing values, against the schema's limit."""
    alerts: list[Alert] = []
    missing: dict[str, dict[str, float | None]] = {}
    limits = schema.quality.max_missing_fraction
    for column in inputs.columns:
        share = float(pd.isna(inputs[column]).mean()) if len(inputs) else 0.0
        limit = limits.get(column)
        missing[column] = {
            "window": round(share, 4),
            "training": reference.missing_share.get(column),
            "limit": limit,
        }
        # A column the schema does not let be missing at all breaks a schema rule instead.
        if limit is not None and share > limit:
            alerts.append(
                Alert(
                    "invariants",
                    column,
                    f"{column!r} is missing in {share:.1%} of records, more than the schema's "
                    f"limit of {limit:.1%} "
                    f"(training: {reference.missing_share.get(column, 0):.1%})",
                    "investigate",
                )
            )
    return missing, alerts


def check_invariants(
    reference: Reference, window: Window, schema: DataSchema, params: Params
) -> CheckResult:
    inputs = window.inputs
    alerts: list[Alert] = []
    violations: list[dict[str, Any]] = []
    for violation in check_frame(inputs, _input_schema(schema, list(inputs.columns))).violations:
        new_category = violation.check.startswith(CATEGORY_CHECK)
        what = "unseen categories" if new_category else f"breaks {violation.check}"
        alerts.append(
            Alert(
                "invariants",
                violation.column,
                f"{violation.column!r} {what} in {violation.failing_rows} record(s), "
                f"e.g. {', '.join(violation.examples)}",
                "retrain" if new_category else "investigate",
            )
        )
        violations.append(violation.__dict__)
    missing, missing_alerts = missing_rates(reference, inputs, schema)
    alerts += missing_alerts
    summary = (
        f"{len(violations)} schema rule(s) broken, "
        f"{len(missing_alerts)} column(s) missing too often"
    )
    details = {"violations": violations, "missing": missing, "schema": str(params.schema_.path)}
    return result("invariants", ITEM, summary, details, alerts)
