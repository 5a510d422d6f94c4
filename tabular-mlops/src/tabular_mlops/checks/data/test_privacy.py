"""Personal data never reaches the model, the prediction log or a report (ML Test Score data-5).

The column metadata (``schemas/columns.yaml``) marks personal columns; ``validate`` refuses one
as a model input (checks/data/test_columns.py) and ``adopt`` never chooses one. Here: no model
input is personal, no column that looks personal is left undeclared, and a personal column
added to the data goes through the whole pipeline and the API without leaving a trace.
"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import pandas as pd
import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from tabular_mlops.config import Params, load_params
from tabular_mlops.data.columns import (
    ColumnCatalog,
    load_columns,
    model_inputs,
)
from tabular_mlops.data.personal import looks_personal
from tabular_mlops.modeling.registry import load_metadata, load_model
from tabular_mlops.serving.app import create_app
from tabular_mlops.serving.frames import frame_to_records

from ..support import PROJECT_ROOT, copy_configuration, run_stage, run_stages

pytestmark = pytest.mark.ml_test_score("data-5")

# The values of the personal column added below: one e-mail address per row, all in a domain
# that nothing else writes, so that finding the domain anywhere means a value leaked.
LEAK_DOMAIN = "@privacy-probe.invalid"
# Files that hold the data itself, by design (DVC outputs, never committed).
DATA_FILES = ("with_personal.csv", "data/")
# Fewer trees than params.yaml asks for, to train in a fraction of the time.
FEW_TREES = {"hist_gradient_boosting": {"max_iter": 20}, "random_forest": {"n_estimators": 20}}


@pytest.fixture(scope="module")
def catalog(params: Params) -> ColumnCatalog:
    return load_columns(PROJECT_ROOT / params.schema_.columns_path)


def test_no_model_input_is_personal_data(
    params: Params, catalog: ColumnCatalog, raw_frame: pd.DataFrame
) -> None:
    problems = []
    for name in model_inputs(params):
        entry = catalog.columns.get(name)
        if entry is not None and entry.personal:
            problems.append(f"'{name}': {catalog.path} marks it personal")
        elif entry is None and (why := looks_personal(name, raw_frame.get(name))):
            problems.append(f"'{name}': undeclared, and {why}")
    assert not problems, (
        "personal data is a model input (remove it from data.features; if it is not "
        "personal, declare it personal: false in the column metadata):\n" + "\n".join(problems)
    )


def test_every_column_that_looks_personal_is_declared(
    catalog: ColumnCatalog, raw_frame: pd.DataFrame
) -> None:
    # What the file declares is a person's decision; only columns it lacks are judged here.
    suspects = {
        str(name): why
        for name in raw_frame.columns
        if str(name) not in catalog.columns and (why := looks_personal(str(name), raw_frame[name]))
    }
    assert not suspects, (
        f"undeclared column(s) that look personal: {suspects}; declare them in {catalog.path} "
        "(personal: true keeps them out of the model; run 'adopt' to add them)"
    )


def _unused(name: str, taken: pd.Index) -> str:
    while name in taken:
        name += "_"
    return name


def _traces(root: Path, text: str, allowed: tuple[str, ...]) -> list[str]:
    """Files under ``root`` (but not under ``allowed`` prefixes) that contain ``text``."""
    files = [path for path in sorted(root.rglob("*")) if path.is_file()]
    relative = [path.relative_to(root).as_posix() for path in files]
    return [
        name
        for name, path in zip(relative, files, strict=True)
        if not name.startswith(allowed) and text.encode() in path.read_bytes()
    ]


def test_a_column_called_name_is_personal_unless_it_names_things():
    # 32 pizza names over thousands of orders were excluded as "a person's name".
    pizzas = pd.Series(["hawaiian", "classic_dlx", "four_cheese"] * 40)
    people = pd.Series([f"Person {i}" for i in range(120)])
    assert looks_personal("name", pizzas) is None
    assert looks_personal("name", people) == "its name says it holds a person's name"
    assert looks_personal("name") is not None  # no values to tell: the name decides
    assert looks_personal("customer_name", pizzas) is not None  # a person's, however repeated


def test_a_personal_column_reaches_neither_the_model_nor_the_log_nor_a_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, params: Params, raw_frame: pd.DataFrame
) -> None:
    column = _unused("contact_email", raw_frame.columns)
    frame = raw_frame.assign(**{column: [f"p{row}{LEAK_DOMAIN}" for row in range(len(raw_frame))]})
    frame.to_csv(tmp_path / "with_personal.csv", index=False)
    copy_configuration(tmp_path, source=str(tmp_path / "with_personal.csv"))
    settings = yaml.safe_load((tmp_path / "params.yaml").read_text(encoding="utf-8"))
    # Neither the search nor the number of trees has any bearing on where the column goes.
    settings["tune"]["enabled"] = False
    estimator, chosen = settings["train"]["estimator"], settings["train"]["hyperparameters"]
    chosen[estimator] = {**(chosen.get(estimator) or {}), **FEW_TREES.get(estimator, {})}
    text = yaml.safe_dump(settings, sort_keys=False)
    (tmp_path / "params.yaml").write_text(text, encoding="utf-8")
    metadata_path = tmp_path / params.schema_.columns_path
    metadata = yaml.safe_load(metadata_path.read_text(encoding="utf-8"))
    metadata["columns"][column] = {
        "owner": "privacy test", "source": "test", "production": False, "personal": True
    }  # fmt: skip
    metadata_path.write_text(yaml.safe_dump(metadata, sort_keys=False), encoding="utf-8")
    # A new column of the source: the schema records it (by name only) before validation.
    stages = ("ingest", "infer-schema", "validate", "split", "tune", "train", "evaluate")
    run_stages(tmp_path, stages)

    workspace = load_params(tmp_path / "params.yaml")
    model_path = tmp_path / workspace.train.model_path
    assert column not in list(load_model(model_path).feature_names_in_)
    assert column not in str(load_metadata(model_path)["features"])

    test_rows = pd.read_csv(tmp_path / workspace.split.output_dir / "test.csv")
    assert column in test_rows, "the split should carry the column, for the API to be offered it"
    complete = test_rows.dropna(subset=workspace.data.features.input_columns)
    rows = (complete if len(complete) else test_rows).head(3)
    with TestClient(create_app(tmp_path / "params.yaml", root=tmp_path)) as client:
        for record in frame_to_records(rows[[*workspace.data.features.input_columns, column]]):
            refused = client.post("/predict", json=record)
            assert refused.status_code == 422, refused.text
            assert column in refused.text  # the answer names the field it refuses
            served = client.post("/predict", json={k: v for k, v in record.items() if k != column})
            assert served.status_code == 200, served.text
        app = cast(FastAPI, client.app)  # create_app's; Starlette types it as any ASGI app
        assert app.state.service.recorder.flush(timeout_s=10)
    log = tmp_path / workspace.monitoring.log.dir
    assert any(log.iterdir()), "the API recorded nothing, so the log proves nothing"
    monkeypatch.chdir(tmp_path)
    monitored = run_stage("monitor", "--last", str(len(rows)))  # its HTML report, from the log
    assert (tmp_path / workspace.monitoring.report_path).is_file(), monitored.output

    # Values: nowhere but in the data. The name: also in the schema and the metadata, which
    # declare it, and in ingest's record of the source's columns.
    assert _traces(tmp_path, LEAK_DOMAIN, DATA_FILES) == []
    named = (
        *DATA_FILES,
        str(workspace.schema_.path),
        str(workspace.schema_.columns_path),
        str(workspace.ingest.report_path),
    )
    assert _traces(tmp_path, column, named) == []
