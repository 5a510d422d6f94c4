"""A broken ``params.yaml`` gives one line naming the key and what would be right."""

from __future__ import annotations

from typing import Any, cast

import pytest
import yaml

from tabular_mlops.config import ParamsError, load_params

from ..support import PROJECT_ROOT, run_stage


@pytest.fixture
def raw_params() -> dict[str, Any]:
    raw = yaml.safe_load((PROJECT_ROOT / "params.yaml").read_text(encoding="utf-8"))
    return cast(dict[str, Any], raw)


def _error(tmp_path, raw) -> str:
    path = tmp_path / "params.yaml"
    path.write_text(raw if isinstance(raw, str) else yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ParamsError) as caught:
        load_params(path)
    message = str(caught.value)
    assert "\n" not in message, "an error is one line"
    assert str(path) in message
    return message


def test_the_project_params_load():
    params = load_params(PROJECT_ROOT / "params.yaml")
    assert params.data.features.input_columns


def test_params_show_prints_every_setting_in_force_and_it_loads_back(tmp_path, monkeypatch):
    monkeypatch.chdir(PROJECT_ROOT)
    shown = run_stage("params", "--show")
    assert shown.exit_code == 0, shown.output
    (tmp_path / "params.yaml").write_text(shown.output, encoding="utf-8")
    shown_back, in_force = (
        load_params(path).model_dump(mode="json", by_alias=True)
        for path in (tmp_path / "params.yaml", PROJECT_ROOT / "params.yaml")
    )
    assert shown_back == in_force


def test_a_misspelt_section_names_the_allowed_keys_and_the_closest(tmp_path, raw_params):
    raw_params["trian"] = raw_params.pop("train")
    message = _error(tmp_path, raw_params)
    assert "trian: unknown key" in message
    assert "did you mean 'train'?" in message
    assert "allowed: " in message
    assert "seed" in message


def test_a_misspelt_nested_key_names_its_section(tmp_path, raw_params):
    raw_params["data"]["targte"] = raw_params["data"].pop("target")
    message = _error(tmp_path, raw_params)
    assert "data.targte: unknown key" in message
    assert "did you mean 'target'?" in message
    assert "data.target: Field required" in message


def test_a_value_outside_the_allowed_ones_is_named(tmp_path, raw_params):
    raw_params["train"]["estimator"] = "xgboost"
    message = _error(tmp_path, raw_params)
    assert "train.estimator" in message
    assert "'hist_gradient_boosting'" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda data: data["features"]["numeric"].append(data["target"]), "must not also be"),
        (
            lambda data: data.update(
                features={"numeric": [], "categorical": [], "boolean": [], "derived": []}
            ),
            "no feature columns are listed",
        ),
        (lambda data: data["features"]["boolean"].extend(["twice", "twice"]), "more than once"),
    ],
    ids=["target-as-feature", "no-features", "repeated-feature"],
)
def test_feature_lists_are_checked(tmp_path, raw_params, change, expected):
    change(raw_params["data"])
    assert expected in _error(tmp_path, raw_params)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("seed: 1\ndata: [unclosed\n", "is not valid YAML at line"),
        ("- a list\n- not a mapping\n", "must be a mapping"),
        ("", "must be a mapping"),
    ],
)
def test_a_file_that_is_not_a_params_mapping_is_named(tmp_path, text, expected):
    assert expected in _error(tmp_path, text)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ParamsError, match="not found"):
        load_params(tmp_path / "absent.yaml")


@pytest.mark.parametrize(
    "stage", ["check-params", "ingest", "validate", "split", "tune", "train", "gate", "register"]
)
def test_every_command_refuses_bad_params_with_one_error_line(tmp_path, monkeypatch, stage):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_text("seed: [1\n", encoding="utf-8")
    result = run_stage(stage)
    assert result.exit_code == 2
    assert result.output.startswith("error: params.yaml is not valid YAML")
    assert result.output.count("\n") == 1


def test_check_params_accepts_the_project_params_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "params.yaml").write_bytes((PROJECT_ROOT / "params.yaml").read_bytes())
    result = run_stage("check-params")
    assert result.exit_code == 0, result.output
    assert result.output == "params.yaml: ok\n"
    assert [path.name for path in tmp_path.iterdir()] == ["params.yaml"]
