"""A test workspace (``checks.support.copy_configuration``) searches as the pipeline does on
the data's own rows, and on at most ``TEST_TUNE_MAX_ROWS`` rows when the tests run on a
sample of a large data set (``tests.max_rows``)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from tabular_mlops.checks import support


def _project(root: Path, source: str, max_rows: int, budget: int) -> None:
    (root / "schemas").mkdir(parents=True)
    (root / "schemas" / "schema.yaml").write_text("schema\n", encoding="utf-8")
    (root / "schemas" / "columns.yaml").write_text("columns\n", encoding="utf-8")
    params = {
        "data": {"source": source, "query": None, "csv": {"delimiter": ";"}},
        "tune": {"budget": budget, "max_rows": max_rows},
        "schema": {"path": "schemas/schema.yaml", "columns_path": "schemas/columns.yaml"},
    }
    (root / "params.yaml").write_text(yaml.safe_dump(params), encoding="utf-8")


def _workspace(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tested: str, max_rows: int
) -> dict[str, dict[str, object]]:
    root = tmp_path / "project"
    _project(root, str(root / "data.csv"), max_rows, budget=30)
    monkeypatch.setattr(support, "PROJECT_ROOT", root)
    monkeypatch.setattr(support, "tested_source", lambda: tested.replace("ROOT", str(root)))
    settings = SimpleNamespace(tune=SimpleNamespace(max_rows=max_rows))
    monkeypatch.setattr(support, "load_params", lambda path: settings)
    workspace = support.copy_configuration(tmp_path / "workspace")
    raw: dict[str, dict[str, object]] = yaml.safe_load((workspace / "params.yaml").read_text())
    return raw


def test_the_data_s_own_rows_are_searched_as_the_pipeline_searches_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = _workspace(tmp_path, monkeypatch, "ROOT/data.csv", max_rows=20_000)
    assert raw["tune"] == {"budget": support.TEST_TUNE_BUDGET, "max_rows": 20_000}
    assert raw["data"]["csv"] == {"delimiter": ";"}  # the data as the project reads it


@pytest.mark.parametrize("max_rows", [20_000, 3000])
def test_a_sample_is_searched_on_at_most_test_tune_max_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, max_rows: int
) -> None:
    raw = _workspace(tmp_path, monkeypatch, str(tmp_path / "sample.csv"), max_rows)
    assert raw["tune"]["max_rows"] == min(max_rows, support.TEST_TUNE_MAX_ROWS)
    assert raw["data"]["source"] == str(tmp_path / "sample.csv")
    assert raw["data"]["csv"] == {}  # the sample is plain CSV
