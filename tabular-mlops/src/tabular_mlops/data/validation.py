"""Validate data against the committed schema and explain every violation.

Validation is lazy: it collects all failures, so one run reports every column and rule
that is broken instead of stopping at the first. Besides the pandera schema it checks the
schema's data-set rules (enough rows, few exact duplicates, missing values no more common
than in the reference) and that every column ``params.yaml`` names exists.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.errors
import pandera.pandas as pa

from tabular_mlops.atomic import write_json
from tabular_mlops.config import Params

from ..errors import StageError
from .columns import ColumnsError, check_model_inputs
from .ingest import read_raw
from .schema import DataSchema, load_data_schema, model_columns

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
    duplicate_rows: int = 0

    @property
    def valid(self) -> bool:
        return not self.violations

    def to_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "duplicate_rows": self.duplicate_rows,
            "valid": self.valid,
            "violations": [violation.__dict__ for violation in self.violations],
        }

    def describe(self) -> str:
        if self.valid:
            return f"{self.rows} rows valid ({self.duplicate_rows} exact duplicate rows)"
        lines = [f"{len(self.violations)} schema violation(s) in {self.rows} rows:"]
        lines += [f"  - {violation.describe()}" for violation in self.violations]
        return "\n".join(lines)


# Frame-level checks report the offending column name as the failure case.
COLUMN_PRESENCE_CHECKS = ("column_in_dataframe", "column_in_schema")


def _violations(cases: pd.DataFrame) -> list[Violation]:
    cases = cases.fillna({"column": "<dataframe>"}).astype({"column": str, "check": str})
    presence = cases["check"].isin(COLUMN_PRESENCE_CHECKS)
    cases.loc[presence, "column"] = cases.loc[presence, "failure_case"].astype(str)
    # A value of the wrong type fails coercion; the dtype and value checks that then fail
    # on the same column only repeat it (with a Python error as the "value"), so drop them.
    uncoercible = set(cases.loc[cases["check"].str.startswith("coerce_dtype"), "column"])
    repeats = cases["column"].isin(uncoercible) & ~cases["check"].str.startswith("coerce_dtype")
    cases = cases[~repeats]
    found = []
    for (column, check), group in cases.groupby(["column", "check"], sort=True):
        distinct = group["failure_case"].drop_duplicates()
        examples = [repr(value) for value in distinct.head(MAX_EXAMPLES)]
        found.append(Violation(str(column), str(check), len(group), examples))
    return found


def _quality_violations(frame: pd.DataFrame, schema: DataSchema) -> tuple[list[Violation], int]:
    rules = schema.quality
    found = []
    if len(frame) < rules.min_rows:
        found.append(
            Violation(
                "<dataframe>",
                f"at least {rules.min_rows} rows (schema quality.min_rows)",
                len(frame),
                [f"{len(frame)} rows"],
            )
        )
    duplicated = frame.duplicated()
    duplicates = int(duplicated.sum())
    share = duplicates / len(frame) if len(frame) else 0.0
    if share > rules.max_duplicate_fraction:
        found.append(
            Violation(
                "<dataframe>",
                f"exact duplicate rows at most {rules.max_duplicate_fraction:.1%} "
                "(schema quality.max_duplicate_fraction)",
                duplicates,
                [f"{share:.1%} of rows repeat an earlier row"],
            )
        )
    for column, limit in sorted(rules.max_missing_fraction.items()):
        if column not in frame:
            continue
        missing = frame[column].isna()
        if len(frame) and missing.mean() > limit:
            found.append(
                Violation(
                    column,
                    f"missing in at most {limit:.1%} of rows (schema quality.max_missing_fraction)",
                    int(missing.sum()),
                    [f"{missing.mean():.1%} missing"],
                )
            )
    return found, duplicates


def column_violations(frame: pd.DataFrame, columns: pa.DataFrameSchema) -> list[Violation]:
    """The column rules (types, ranges, categories, gaps) that rows of ``frame`` break.

    Without the data-set rules, which a handful of rows cannot meet: `trace` checks one row.
    """
    try:
        columns.validate(frame, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        return _violations(errors.failure_cases)
    return []


def check_frame(frame: pd.DataFrame, schema: DataSchema) -> ValidationReport:
    """Validate ``frame`` against ``schema`` and return a report (never raises on bad data)."""
    violations = column_violations(frame, schema.columns)
    quality, duplicates = _quality_violations(frame, schema)
    return ValidationReport(len(frame), violations + quality, duplicates)


def suggest(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean 'x'?)' for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def missing_columns(wanted: Iterable[str], available: Iterable[str]) -> list[str]:
    """One message per wanted column that is absent, with a 'did you mean' when one is close."""
    names = list(wanted)
    present = [str(name) for name in available]
    # A column that is itself wanted is no alternative: 'flipper_length_mm' gone from the
    # data must not suggest 'bill_length_mm', which the model already reads.
    others = [name for name in present if name not in names]
    return [f"'{name}'{suggest(name, others)}" for name in names if name not in present]


def validate_data(
    params: Params, data: Path | None, report_path: Path
) -> tuple[ValidationReport, list[str]]:
    """The ``validate`` stage: check ``data`` (default: the raw data) against the committed
    schema and write the report to ``report_path``.

    Returns the report and a warning per model input the column metadata does not declare.
    A :class:`StageError` (after the report is written) when a rule is broken; before any
    check, one for a column that ``params.yaml`` names and the data or the schema lacks.
    """
    source = data or params.data.raw_path
    frame = read_raw(source)
    try:
        schema = load_data_schema(params.schema_.path)
    except FileNotFoundError as error:  # its message names the commands that write it
        raise StageError(str(error)) from error
    for where, columns in (
        (f"{source}", frame.columns),
        (f"the schema {params.schema_.path}", schema.columns.columns),
    ):
        absent = missing_columns(model_columns(params), columns)
        if absent:
            raise StageError(
                f"params.yaml names column(s) that {where} lacks: {', '.join(absent)}; fix "
                "data.target and data.features, or run 'adopt' again"
            )
    try:
        undeclared = check_model_inputs(params)
    except ColumnsError:
        report_path.unlink(missing_ok=True)  # no earlier verdict may let 'split' go on
        raise
    result = check_frame(frame, schema)
    write_json(report_path, result.to_dict())
    if not result.valid:
        raise StageError(f"data validation failed, see {report_path}\n{result.describe()}")
    return result, undeclared
