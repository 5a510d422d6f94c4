"""The servers the serving benchmark drives, on the same trained model: the generated API
and MLflow's scoring server. Each runs until the ExitStack it was started in closes."""

from __future__ import annotations

import subprocess
import tempfile
import urllib.request
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from bench._common import project_env
from bench._project import run_program
from tests.server import free_port, running_server

MLFLOW_OVERLAY = ("mlflow",)


@dataclass
class Target:
    """A running server and the request bodies it understands."""

    name: str
    port: int
    path: str  # single records are POSTed here, a batch to `path`/batch or `path`
    singles: list[str]
    batch: str
    batch_path: str


def start_ours(
    stack: ExitStack, project: Path, slug: str, records: list[str], batch: str
) -> Target:
    """`<slug> serve`: the generated API, one uvicorn process."""
    port = free_port()
    command = [str(project / ".venv" / "bin" / slug), "serve", "--port", str(port)]
    stack.enter_context(running_server(command, project, project_env(), port, timeout=120))
    return Target("generated API", port, "/predict", records, batch, "/predict/batch")


def start_mlflow(
    stack: ExitStack, project: Path, package: str, records: list[str], batch: str
) -> tuple[Target | None, str]:
    """`mlflow models serve` on the same model; returns (the target or None, a note)."""
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    model_dir = scratch / "mlflow-model"
    try:
        version = run_program(
            project, "save_mlflow_model", package, str(model_dir), overlay=MLFLOW_OVERLAY,
            timeout=1800,
        )  # fmt: skip
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        return None, f"MLflow not measured: it did not install or save the model ({error})"[:500]
    port = free_port()
    # One OpenMP thread, as the generated server uses: the comparison is about serving.
    env = {
        **project_env(),
        "MLFLOW_TRACKING_URI": f"file://{scratch / 'mlruns'}",
        "OMP_NUM_THREADS": "1",
    }
    overlay = [option for package in MLFLOW_OVERLAY for option in ("--with", package)]
    command = ["uv", "run", "--frozen", *overlay, "mlflow", "models", "serve"]
    command += ["-m", str(model_dir), "--env-manager", "local", "--host", "127.0.0.1"]
    command += ["-p", str(port)]
    singles = [f'{{"dataframe_records": [{record}]}}' for record in records]
    try:
        url = stack.enter_context(
            running_server(command, project, env, port, ready_path="/ping", timeout=300)
        )
        _post(f"{url}/invocations", singles[0])  # an HTTP error status raises
    except (RuntimeError, OSError) as error:
        return None, f"MLflow {version} did not start or answer a test record: {error}"[:2000]
    target = Target(
        f"mlflow models serve {version}",
        port,
        "/invocations",
        singles,
        f'{{"dataframe_records": {batch}}}',
        "/invocations",
    )
    note = f"MLflow {version}: `mlflow models serve --env-manager local`, 1 worker, 1 OpenMP thread"
    return target, note


def _post(url: str, body: str) -> None:
    request = urllib.request.Request(  # noqa: S310 - loopback URL built here
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30):  # noqa: S310
        pass
