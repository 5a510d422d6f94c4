"""Column metadata: every column the model reads is on record and allowed (ML Test Score data-4).

``schemas/columns.yaml`` declares each column's owner, source, whether a model in production
may read it and whether it is personal data (data/columns.py). These tests hold the project's
configuration to it, and check that ``validate`` enforces what it declares.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from tabular_mlops.config import Params
from tabular_mlops.data.columns import (
    ColumnCatalog,
    ColumnsError,
    forbidden_inputs,
    load_columns,
    model_inputs,
    undeclared_inputs,
)

from ..support import PROJECT_ROOT, copy_configuration, run_stage


@pytest.fixture(scope="module")
def catalog(params: Params) -> ColumnCatalog:
    return load_columns(PROJECT_ROOT / params.schema_.columns_path)


@pytest.mark.ml_test_score("data-4")
def test_every_model_input_is_declared_allowed_in_production_and_not_personal(
    params: Params, catalog: ColumnCatalog
) -> None:
    problems = undeclared_inputs(params, catalog) + forbidden_inputs(params, catalog)
    assert not problems, "\n".join(problems)


@pytest.mark.ml_test_score("data-4")
def test_every_column_of_the_data_is_declared(
    catalog: ColumnCatalog, raw_frame: pd.DataFrame
) -> None:
    # A column nobody has declared is one nobody has judged: personal or not, allowed or not.
    undeclared = [str(name) for name in raw_frame.columns if str(name) not in catalog.columns]
    assert not undeclared, (
        f"column(s) {undeclared} of the data are not declared in {catalog.path}: run 'adopt' "
        "(it adds them with safe defaults and keeps every entry you wrote), then review them"
    )


def _edit_entry(workspace: Path, params: Params, column: str, **changes: Any) -> None:
    """Change (or, with no changes, remove) one column's entry in the workspace's metadata."""
    path = workspace / params.schema_.columns_path
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if changes:
        document["columns"][column].update(changes)
    else:
        del document["columns"][column]
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        pytest.param(
            {"production": False},
            "may not be used in production",
            marks=pytest.mark.ml_test_score("data-4"),
            id="not-for-production",
        ),
        pytest.param(
            {"personal": True},
            "is personal data",
            marks=pytest.mark.ml_test_score("data-5"),
            id="personal",
        ),
    ],
)
def test_validate_refuses_a_model_input_that_the_metadata_forbids(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    params: Params,
    change: dict[str, bool],
    rule: str,
) -> None:
    copy_configuration(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run_stage("ingest").exit_code == 0
    assert run_stage("validate").exit_code == 0  # an earlier verdict, which must not survive
    column = model_inputs(params)[0]
    _edit_entry(tmp_path, params, column, **change)
    result = run_stage("validate")
    assert result.exit_code == 1
    assert f"model input '{column}' {rule}" in result.output
    assert str(params.schema_.columns_path) in result.output
    assert not params.validate_.report_path.exists()
    split = run_stage("split")
    assert split.exit_code == 1, "split went on without a valid validation"
    assert not (params.split.output_dir / "train.csv").exists()


@pytest.mark.ml_test_score("data-4")
def test_an_undeclared_model_input_is_named_and_the_tests_catch_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, params: Params
) -> None:
    copy_configuration(tmp_path)
    monkeypatch.chdir(tmp_path)
    declared = load_columns(params.schema_.columns_path).columns
    column = next(name for name in reversed(model_inputs(params)) if name in declared)
    _edit_entry(tmp_path, params, column)
    assert run_stage("ingest").exit_code == 0
    result = run_stage("validate")
    assert result.exit_code == 0, result.output  # a warning: the test above is what fails
    assert f"warning: model input '{column}' is not declared" in result.output
    assert json.loads(params.validate_.report_path.read_text(encoding="utf-8"))["valid"]
    problems = undeclared_inputs(params, load_columns(params.schema_.columns_path))
    assert any(f"'{column}'" in problem for problem in problems), problems


@pytest.mark.ml_test_score("data-4")
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("columns:\n  size:\n    owner: Ann\n    source: s\n    production: yes please\n"
         "    personal: false\n", "column 'size': production"),
        ("columns:\n  size:\n    owner: Ann\n    production: true\n    personal: false\n",
         "column 'size': source"),
        ("columns:\n  size:\n    owner: Ann\n    source: s\n    production: true\n"
         "    personal: false\n    reviewed: true\n", "column 'size': reviewed"),
        ("size: {owner: Ann}\n", "must hold a mapping 'columns:'"),
    ],
    ids=["not-a-boolean", "no-source", "unknown-field", "no-columns-mapping"],
)  # fmt: skip
def test_a_wrong_metadata_file_is_refused_naming_the_column_and_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ColumnsError, match=expected):
        load_columns(path)


def test_a_missing_metadata_file_says_how_to_write_one(tmp_path: Path) -> None:
    with pytest.raises(ColumnsError, match="run 'adopt'"):
        load_columns(tmp_path / "columns.yaml")
