"""The fixtures of the standard checks and of a project's own tests (the plugin registers
them): the project's settings, schema and data, a workspace where the pipeline has run, and
the API over its model."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from filelock import FileLock
from threadpoolctl import threadpool_limits

from ..config import CsvParams, Params, load_params
from ..data.ingest import ingest, read_raw
from ..data.schema import DataSchema, load_data_schema
from ..serving.app import create_app
from ..serving.frames import frame_to_records
from ..serving.schemas import InputColumn
from . import support

DONE = ".trained"  # written once the shared workspace is complete


@pytest.fixture(scope="session", autouse=True)
def _openmp_on_one_thread() -> Iterator[None]:
    """Train and predict in the tests' thread with one OpenMP thread.

    The test data sets are small, and on a busy machine (a shared CI runner) an OpenMP team
    waiting for its cores made one gradient-boosting fit 30 times slower. Predictions do not
    depend on the thread count. (OpenMP's setting is per thread: the API's worker threads
    set their own, and the serving checks check that they do.)
    """
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


@pytest.fixture(scope="session", autouse=True)
def _one_temporary_mlflow_store(
    params: Params, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Log the tests' training runs to one temporary MLflow store (when the project logs to
    MLflow at all).

    Never to the project's store nor to a server that MLFLOW_TRACKING_URI names; and one
    store creates MLflow's tables once, not once per workspace.
    """
    if params.mlflow is None:
        yield
        return
    store = tmp_path_factory.mktemp("mlflow") / "mlflow.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{store}")
        yield


@pytest.fixture(scope="session")
def params() -> Params:
    return load_params(support.PROJECT_ROOT / "params.yaml")


@pytest.fixture(scope="session")
def data_schema(params: Params) -> DataSchema:
    """The committed schema: the pandera columns and the data-set quality rules."""
    return load_data_schema(support.PROJECT_ROOT / params.schema_.path)


@pytest.fixture(scope="session")
def raw_frame(params: Params, tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """The configured data (:func:`support.tested_source`), ingested and read back exactly as
    the pipeline's stages do."""
    raw_path = tmp_path_factory.mktemp("raw") / "raw.csv"
    data = params.data.model_copy(update={"source": support.tested_source(), "raw_path": raw_path})
    if data.source != support.absolute_source(params.data.source):  # the sample: plain CSV
        data = data.model_copy(update={"query": None, "csv": CsvParams()})
    ingest(data)
    return read_raw(raw_path)


def _train_until_evaluation(workspace: Path) -> None:
    support.run_stages(support.copy_configuration(workspace), support.stages_until("evaluate"))


@pytest.fixture(scope="session")
def trained_workspace(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> Path:
    """A copy of the configuration in which the pipeline has run up to evaluation.

    Shared by the session (training once is enough for the serving, promotion and
    reproducibility checks): a test that changes files works on a copy of its own. Under
    pytest-xdist the first worker to need it trains it once for the run and every worker
    works on a copy (the stages are seeded: the copy is what the worker would have trained).
    """
    workspace = tmp_path_factory.mktemp("trained")
    # This run's own worker input, not PYTEST_XDIST_WORKER: a pytest started from a test
    # that runs under xdist inherits that variable without being a worker of any run.
    if not hasattr(pytestconfig, "workerinput"):
        _train_until_evaluation(workspace)
        return workspace
    # The run's temporary folder, which every worker's own folder is in.
    shared = tmp_path_factory.getbasetemp().parent / "trained-workspace"
    with FileLock(f"{shared}.lock"):
        if not (shared / DONE).is_file():
            shutil.rmtree(shared, ignore_errors=True)  # what a failed training left
            _train_until_evaluation(shared)
            (shared / DONE).touch()
    shutil.copytree(shared, workspace, dirs_exist_ok=True, ignore=shutil.ignore_patterns(DONE))
    return workspace


@pytest.fixture(scope="session")
def served_params(trained_workspace: Path) -> Params:
    return load_params(trained_workspace / "params.yaml")


@pytest.fixture(scope="session")
def client(trained_workspace: Path) -> Iterator[TestClient]:
    """The API over the trained model, started (model loaded and warmed) once per session."""
    with TestClient(create_app(trained_workspace / "params.yaml")) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def input_columns(client: TestClient) -> tuple[InputColumn, ...]:
    """The API's input columns: name, kind (float, int, bool, category) and nullability."""
    columns: tuple[InputColumn, ...] = client.app.state.service.api.columns  # type: ignore[attr-defined]
    return columns


@pytest.fixture(scope="session")
def test_features(trained_workspace: Path, served_params: Params) -> pd.DataFrame:
    """The held-out test rows, with the model's input columns only."""
    frame = pd.read_csv(trained_workspace / served_params.split.output_dir / "test.csv")
    return frame[served_params.data.features.input_columns]


@pytest.fixture
def valid_record(test_features: pd.DataFrame) -> dict[str, Any]:
    """One test row as a client would send it (a complete one when there is one)."""
    complete = test_features.dropna()
    return frame_to_records((complete if len(complete) else test_features).head(1))[0]
