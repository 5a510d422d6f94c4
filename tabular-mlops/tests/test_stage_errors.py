"""The functions the commands call refuse what they cannot do with a :class:`StageError` (or
another ProjectError) whose message names the problem and the fix, as the commands print it.

Params are built with ``model_construct``: each function reads only the settings given here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pytest

from tabular_mlops.config import (
    DataParams,
    EvaluateParams,
    FeatureParams,
    GateParams,
    Params,
    SchemaParams,
)
from tabular_mlops.data.columns import ColumnsError
from tabular_mlops.data.schema import DataSchema, QualityRules, infer_from_raw, save_schema
from tabular_mlops.data.split import require_valid_data
from tabular_mlops.data.validation import validate_data
from tabular_mlops.errors import StageError
from tabular_mlops.lifecycle.actions import gate, passing_gate
from tabular_mlops.lifecycle.registry import Listing
from tabular_mlops.modeling.predict import predict_csv


@pytest.fixture
def params(tmp_path: Path) -> Params:
    return Params.model_construct(
        data=DataParams.model_construct(
            raw_path=tmp_path / "raw.csv",
            target="y",
            features=FeatureParams(numeric=["a"], categorical=["b"]),
        ),
        schema_=SchemaParams.model_construct(
            path=tmp_path / "schema.yaml", columns_path=tmp_path / "columns.yaml"
        ),
        evaluate=EvaluateParams.model_construct(metrics_path=tmp_path / "test.json"),
        gate=GateParams(
            metric="f1",
            min_improvement_over_baseline=0.1,
            max_regression_vs_production=0.0,
            report_path=tmp_path / "gate.json",
        ),
    )


def _write_raw(params: Params, frame: pd.DataFrame) -> None:
    frame.to_csv(params.data.raw_path, index=False)


def _write_schema(params: Params) -> None:
    columns = pa.DataFrameSchema(
        {"a": pa.Column(float, pa.Check.ge(0)), "b": pa.Column(str), "y": pa.Column(str)},
        coerce=True,
    )
    save_schema(DataSchema(columns, QualityRules(1, 1.0)), params.schema_.path)


def _declare(params: Params, **personal: bool) -> None:
    entries = {
        name: {"owner": "us", "source": "test", "production": True, "personal": personal[name]}
        for name in personal
    }
    params.schema_.columns_path.write_text(json.dumps({"columns": entries}), encoding="utf-8")


GOOD = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "z"], "y": ["p", "q"]})


def test_split_needs_the_validation_report_and_its_valid_verdict(tmp_path: Path) -> None:
    report = tmp_path / "validation.json"
    with pytest.raises(StageError, match=r"validation\.json not found: run the 'validate' stage"):
        require_valid_data(report)
    report.write_text('{"valid": false}', encoding="utf-8")
    with pytest.raises(StageError, match="says the raw data is invalid: fix it before splitting"):
        require_valid_data(report)
    report.write_text('{"valid": true}', encoding="utf-8")
    require_valid_data(report)


def test_validate_names_a_missing_schema_then_a_column_the_data_lacks(params: Params) -> None:
    _write_raw(params, GOOD.drop(columns="b"))
    report = params.data.raw_path.with_name("report.json")
    with pytest.raises(StageError, match="create it with the 'adopt' or 'infer-schema' command"):
        validate_data(params, None, report)
    _write_schema(params)
    with pytest.raises(StageError) as refused:
        validate_data(params, None, report)
    assert str(refused.value) == (
        f"params.yaml names column(s) that {params.data.raw_path} lacks: 'b'; fix "
        "data.target and data.features, or run 'adopt' again"
    )
    assert not report.exists()


def test_validate_refuses_a_forbidden_input_and_forgets_the_last_verdict(params: Params) -> None:
    _write_raw(params, GOOD)
    _write_schema(params)
    report = params.data.raw_path.with_name("report.json")
    report.write_text('{"valid": true}', encoding="utf-8")  # an earlier run's
    _declare(params, a=True, b=False, y=False)
    with pytest.raises(ColumnsError, match="forbids:\n  - model input 'a' is personal data"):
        validate_data(params, None, report)
    assert not report.exists()  # else split would go on


def test_validate_writes_the_report_then_refuses_broken_rules(params: Params) -> None:
    _write_schema(params)
    _declare(params, a=False, b=False, y=False)
    report = params.data.raw_path.with_name("report.json")
    _write_raw(params, GOOD)
    result, undeclared = validate_data(params, None, report)
    assert result.valid
    assert undeclared == []
    _write_raw(params, GOOD.assign(a=[-1.0, 2.0]))
    with pytest.raises(StageError, match=r"data validation failed, see .*report\.json\n1 schema"):
        validate_data(params, None, report)
    assert json.loads(report.read_text(encoding="utf-8"))["valid"] is False


def test_infer_schema_names_a_column_the_raw_data_lacks(params: Params) -> None:
    _write_raw(params, GOOD.drop(columns="a"))
    with pytest.raises(StageError, match=r"raw\.csv lacks column\(s\) named in params\.yaml: 'a'"):
        infer_from_raw(params)


def test_predict_names_a_missing_file_and_missing_input_columns(
    params: Params, tmp_path: Path
) -> None:
    data = tmp_path / "batch.csv"
    with pytest.raises(StageError, match=r"batch\.csv not found: give the path of a CSV file"):
        predict_csv(params, data)
    GOOD.drop(columns="b").to_csv(data, index=False)
    with pytest.raises(StageError, match=r"batch\.csv lacks the model's input column\(s\) \['b'\]"):
        predict_csv(params, data)


def test_the_gate_names_missing_metrics_and_a_metric_they_lack(params: Params) -> None:
    root = params.evaluate.metrics_path.parent  # no Git repository: nothing in production
    with pytest.raises(StageError, match=r"test\.json not found: run the pipeline up to"):
        gate(params, root)
    params.evaluate.metrics_path.write_text('{"model": {"auc": 1}}', encoding="utf-8")
    with pytest.raises(StageError, match=r"has no 'model\.f1': check gate\.metric"):
        gate(params, root)
    metrics = {"model": {"f1": 0.5}, "baseline": {"f1": 0.45}}
    params.evaluate.metrics_path.write_text(json.dumps(metrics), encoding="utf-8")
    with pytest.raises(StageError, match=r"^model gate failed:\n  - f1=0\.5000 does not beat"):
        passing_gate(params, root)


def test_the_registry_listing_has_a_line_per_version_or_a_hint() -> None:
    assert Listing("model", []).format_table() == (
        "no version of model is registered yet: see `register --help`"
    )
    rows = [
        {"version": "v1.0.0", "commit": "a" * 40, "registered": "2024-01-01", "stages": ["prod"]},
        {"version": "v1.1.0", "commit": "b" * 40, "registered": "2024-01-02", "stages": []},
    ]
    assert Listing("model", rows).format_table().splitlines() == [
        f"model v1.0.0     {'a' * 12}  2024-01-01  prod",
        f"model v1.1.0     {'b' * 12}  2024-01-02  -",
    ]
