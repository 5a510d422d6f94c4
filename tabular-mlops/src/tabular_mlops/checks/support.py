"""What the standard checks and a project's own tests share: the project root, the stages,
and helpers over the project's own configuration.

Every check that touches real data takes its columns, categories, ranges and row counts from
``params.yaml`` and the committed schema, never from a particular dataset, so the checks
keep working (and keep meaning something) after ``adopt`` points the project at other
data. Pipeline checks run in a temporary workspace made by :func:`copy_configuration`.
"""

from __future__ import annotations

import functools
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import yaml
from typer.testing import CliRunner

from tabular_mlops.atomic import write_csv
from tabular_mlops.config import Params, load_params
from tabular_mlops.data.ingest import load_source
from tabular_mlops.data.schema import DataSchema
from tabular_mlops.data.sources import source_kind
from tabular_mlops.sampling import at_most

from ..cli import app

# The project under test: pytest's root folder, where pyproject.toml and params.yaml are (the
# plugin sets it when pytest starts, before any check module imports it).
PROJECT_ROOT = Path.cwd()
# The stages of dvc.yaml, in order (tabular_mlops/checks/infra checks that the two agree).
STAGES = (
    "ingest", "validate", "split", "tune", "train", "evaluate", "gate", "canary",
    "staleness-impact",
)  # fmt: skip
# The most candidates a test workspace's search tries: params.yaml's default budget, so that
# by default a workspace trains the model `dvc repro` trains and the gate judges it as the
# pipeline does (with 2, an 8%-positive target got a one-class model that the pipeline's
# search beat by the margin). A budget raised for a real search does not slow the tests.
TEST_TUNE_BUDGET = 8
# The most training rows a search on a sample of the data (tests.max_rows) ranks candidates
# on; the data's own rows are searched as the pipeline searches them.
TEST_TUNE_MAX_ROWS = 5000


def stages_until(last: str) -> tuple[str, ...]:
    """The stages up to and including ``last``, in pipeline order."""
    return STAGES[: STAGES.index(last) + 1]


def absolute_source(source: str) -> str:
    """``source`` as it resolves from the project root: a relative file path made absolute."""
    if source_kind(source) != "file":
        return source
    path = Path(source.removeprefix("file://"))
    return source if path.is_absolute() else str(PROJECT_ROOT / path)


@functools.cache
def tested_source() -> str:
    """The data the tests run on: ``data.source`` (a relative file made absolute), or when
    it has more than ``tests.max_rows`` rows, a seeded sample of that many, in their order,
    written once per test session. The tests then take about as long on any size of data."""
    params = load_params(PROJECT_ROOT / "params.yaml")
    source = absolute_source(params.data.source)
    # Read as ingest reads it; the sample's rows are then written as ingest writes them (a
    # round trip of the whole data set through a CSV file cost a large one seconds in every
    # test process).
    frame = load_source(params.data.model_copy(update={"source": source}))
    if len(frame) <= params.tests.max_rows:
        return source
    sample = Path(tempfile.mkdtemp(prefix="tested-data-")) / "sample.csv"
    write_csv(sample, at_most(frame, params.tests.max_rows, params.seed))
    return str(sample)


def copy_configuration(workspace: Path, **data_overrides: Any) -> Path:
    """Copy ``params.yaml``, the schema and the column metadata into ``workspace``.

    ``data.source`` becomes :func:`tested_source`, so it still names the project's data from
    the workspace (or the sample of a large data set); ``data_overrides`` replace keys of
    the ``data`` section. The search tries at most ``TEST_TUNE_BUDGET`` candidates, and on a
    sample at most ``TEST_TUNE_MAX_ROWS`` rows.
    """
    workspace.mkdir(parents=True, exist_ok=True)
    raw = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text(encoding="utf-8"))
    source = tested_source()
    if source != absolute_source(str(raw["data"]["source"])):  # a sample, written as plain CSV
        raw["data"].update(query=None, csv={})
        # Trained on a sample, the workspace's model is not the pipeline's anyway: its search
        # ranks the candidates on fewer rows too (train still fits on all the sample's rows).
        searched = load_params(PROJECT_ROOT / "params.yaml").tune.max_rows
        raw["tune"]["max_rows"] = min(searched, TEST_TUNE_MAX_ROWS)
    raw["data"]["source"] = source
    raw["tune"]["budget"] = min(int(raw["tune"]["budget"]), TEST_TUNE_BUDGET)
    raw["data"].update(data_overrides)
    (workspace / "params.yaml").write_text(
        yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8"
    )
    schema = Path(raw["schema"]["path"])
    (workspace / schema).parent.mkdir(parents=True, exist_ok=True)
    (workspace / schema).write_bytes((PROJECT_ROOT / schema).read_bytes())
    columns = Path(raw["schema"].get("columns_path", "schemas/columns.yaml"))  # its metadata
    (workspace / columns).parent.mkdir(parents=True, exist_ok=True)
    (workspace / columns).write_bytes((PROJECT_ROOT / columns).read_bytes())
    return workspace


def set_tune(workspace: Path, **values: object) -> Params:
    """Set keys of the ``tune`` section of ``workspace``'s params.yaml; the settings then."""
    path = workspace / "params.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    raw["tune"].update(values)
    path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return load_params(path)


def check_statistics(schema: DataSchema, column: str, check_name: str) -> dict[str, Any] | None:
    """The statistics of one check (``in_range``, ``isin``) of a schema column, if it has it."""
    for check in schema.columns.columns[column].checks:
        if check.name == check_name:
            return dict(check.statistics)
    return None


def out_of_range(schema: DataSchema, column: str) -> int | float:
    """A value of the column's type well outside its schema range."""
    bounds = check_statistics(schema, column, "in_range")
    assert bounds is not None, f"schema column '{column}' has no range"
    low, high = float(bounds["min_value"]), float(bounds["max_value"])
    value = high + (high - low) + 1
    return math.ceil(value) if "int" in str(schema.columns.columns[column].dtype) else value


UNKNOWN_CATEGORY = "not-a-known-category"


def schema_breach(params: Params, schema: DataSchema) -> tuple[str, Any, str]:
    """A (column, value, check) that the committed schema refuses.

    The value is out of range on the first ranged numeric feature; without one, an unknown
    category of the first categorical feature; without one, a bad value of the target.
    """
    features = params.data.features
    for column in [*features.numeric, *features.categorical, params.data.target]:
        if check_statistics(schema, column, "in_range") is not None:
            return column, out_of_range(schema, column), "in_range"
        if check_statistics(schema, column, "isin") is not None:
            return column, UNKNOWN_CATEGORY, "isin"
    raise AssertionError("the schema has no range or category check on any model column")


def with_values(frame: pd.DataFrame, column: str, rows: Any, value: Any) -> pd.DataFrame:
    """A copy of ``frame`` with ``value`` in ``column`` at ``rows`` (any type is accepted)."""
    changed = frame.copy()
    changed[column] = changed[column].astype(object)
    changed.loc[rows, column] = value
    return changed


def run_stage(stage: str, *args: str) -> Any:
    """Run one CLI command in the current folder, as ``dvc.yaml`` runs it."""
    return CliRunner().invoke(app, [stage, *args])


def run_stages(workspace: Path, stages: tuple[str, ...]) -> None:
    """Run ``stages`` in ``workspace``; fail with the stage's own output if one fails."""
    previous = Path.cwd()
    os.chdir(workspace)
    try:
        for stage in stages:
            result = run_stage(stage)
            assert result.exit_code == 0, f"stage {stage} failed:\n{result.output}"
    finally:
        os.chdir(previous)
