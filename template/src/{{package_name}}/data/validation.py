"""Validate data against the committed schema and explain every violation.

Validation is lazy: it collects all failures, so one run reports every column and rule
that is broken instead of stopping at the first.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
import pandera.errors
import pandera.pandas as pa

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Violation:
    """One broken rule: the column, the check and a few failing values."""

    column: str
    check: str
    failing_rows: int
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        shown = ", ".join(self.examples)
        return (
            f"column '{self.column}': {self.check} failed for "
            f"{self.failing_rows} row(s) (e.g. {shown})"
        )


@dataclass(frozen=True)
class ValidationReport:
    """Outcome of a validation run; ``valid`` is true when nothing was violated."""

    rows: int
    violations: list[Violation]

    @property
    def valid(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "valid": self.valid,
            "violations": [violation.__dict__ for violation in self.violations],
        }

    def describe(self) -> str:
        if self.valid:
            return f"{self.rows} rows valid"
        lines = [f"{len(self.violations)} schema violation(s) in {self.rows} rows:"]
        lines += [f"  - {violation.describe()}" for violation in self.violations]
        return "\n".join(lines)


class DataValidationError(ValueError):
    """Data broke the schema; ``report`` lists each column and rule."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__(report.describe())
        self.report = report


# Frame-level checks report the offending column name as the failure case.
COLUMN_PRESENCE_CHECKS = ("column_in_dataframe", "column_in_schema")


def _violations(cases: pd.DataFrame) -> list[Violation]:
    cases = cases.fillna({"column": "<dataframe>"}).astype({"column": str, "check": str})
    presence = cases["check"].isin(COLUMN_PRESENCE_CHECKS)
    cases.loc[presence, "column"] = cases.loc[presence, "failure_case"].astype(str)
    found = []
    for (column, check), group in cases.groupby(["column", "check"], sort=True):
        examples = [repr(value) for value in group["failure_case"].head(MAX_EXAMPLES)]
        found.append(Violation(str(column), str(check), len(group), examples))
    return found


def check_frame(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> ValidationReport:
    """Validate ``frame`` against ``schema`` and return a report (never raises on bad data)."""
    try:
        schema.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return ValidationReport(len(frame), _violations(errors.failure_cases))
    return ValidationReport(len(frame), [])


def validate_frame(frame: pd.DataFrame, schema: pa.DataFrameSchema) -> pd.DataFrame:
    """Return ``frame`` coerced to the schema's types, or raise :class:`DataValidationError`."""
    report = check_frame(frame, schema)
    if not report.valid:
        raise DataValidationError(report)
    return schema.validate(frame)
