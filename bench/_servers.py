"""The servers the serving benchmark drives, on the same trained model: the generated API
and MLflow's scoring server. Each runs until the ExitStack it was started in closes."""

from __future__ import annotations

import os
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
    pid: int | None = None  # the server process, to read its CPU time (generated API only)


OURS = "generated API"
OURS_UNRECORDED = "generated API, --no-record"


def start_ours(
    stack: ExitStack, project: Path, slug: str, records: list[str], batch: str, record: bool = True
) -> Target:
    """`<slug> serve`: the generated API, one uvicorn process, recording predictions as
    params.yaml says (monitoring.log) or, with ``record=False``, not at all."""
    port = free_port()
    command = [str(project / ".venv" / "bin" / slug), "serve", "--port", str(port)]
    command += [] if record else ["--no-record"]
    stack.enter_context(running_server(command, project, project_env(), port, timeout=120))
    name = OURS if record else OURS_UNRECORDED
    return Target(name, port, "/predict", records, batch, "/predict/batch", _pid_of(command))


def _pid_of(command: list[str]) -> int | None:
    """The running process whose command line is ``command`` (Linux), else None."""
    wanted = "\0".join(command).encode()
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().rstrip(b"\0").endswith(wanted):
                return int(cmdline.parent.name)
        except OSError:  # the process ended meanwhile
            continue
    return None


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of process ``pid`` so far, all its threads included."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def requests_served(port: int, path: str) -> float:
    """How many requests to ``path`` the generated API has answered (its /metrics)."""
    url = f"http://127.0.0.1:{port}/metrics"
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith("http_requests_total{") and f'path="{path}"' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


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
