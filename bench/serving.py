"""Serving throughput and latency of the generated API, beside MLflow's scoring server.

Renders a default project (or takes ``--project``, a rendered project), trains its model,
starts the API with one uvicorn worker on 127.0.0.1 and drives it with an HTTP/1.1
keep-alive load generator that runs in its own process (raw asyncio streams, far cheaper
per request than the server it measures). Scenarios: single-record ``/predict`` at 1, 8 and
32 concurrent clients, and 1,000-row ``/predict/batch`` requests. Printed beside them: the
in-process ``model.predict`` rate measured in the same run, and ``mlflow models serve``
on the same model where MLflow installs (into an overlay of the project's environment with
``uv run --with mlflow``). All traffic goes to 127.0.0.1; each scenario is bounded in time
and in requests.

    uv run python bench/serving.py [--duration 5] [--project PATH] [--no-mlflow]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from _common import clone_template, copier_copy_command, project_env

CONCURRENCY = (1, 8, 32)
BATCH_ROWS = 1000
MAX_REQUESTS = 200_000  # per scenario, whatever the duration
STAGES = ("ingest", "validate", "split", "train", "evaluate")


# ---------------------------------------------------------------- load generator


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).strip().split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _client(
    port: int, requests: list[bytes], deadline: float, budget: list[int], out: dict[str, Any]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    index = 0
    try:
        while time.perf_counter() < deadline and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            writer.write(requests[index % len(requests)])
            status = await _read_response(reader)
            out["latencies"].append(time.perf_counter() - started)
            if status != 200:
                out["errors"] += 1
            index += 1
    finally:
        writer.close()


async def _load(port: int, requests: list[bytes], clients: int, seconds: float) -> dict[str, Any]:
    warm: dict[str, Any] = {"latencies": [], "errors": 0}
    warm_deadline = time.perf_counter() + min(1.0, seconds / 4)
    await asyncio.gather(
        *(_client(port, requests, warm_deadline, [10_000], warm) for _ in range(clients))
    )
    out: dict[str, Any] = {"latencies": [], "errors": 0}
    started = time.perf_counter()
    deadline = started + seconds
    budget = [MAX_REQUESTS]
    await asyncio.gather(*(_client(port, requests, deadline, budget, out) for _ in range(clients)))
    elapsed = time.perf_counter() - started
    latencies = sorted(out["latencies"])
    count = len(latencies)
    return {
        "requests": count,
        "errors": out["errors"],
        "rps": count / elapsed,
        "p50_ms": 1000 * latencies[count // 2] if count else float("nan"),
        "p99_ms": 1000 * latencies[min(count - 1, int(count * 0.99))] if count else float("nan"),
    }


def _http_request(path: str, body: bytes) -> bytes:
    if not body:
        return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def loadgen_main(spec_path: str) -> None:
    """Entry point of the load generator process: reads a spec, prints a JSON result."""
    spec = json.loads(Path(spec_path).read_text())
    requests = [_http_request(spec["path"], body.encode()) for body in spec["bodies"]]
    result = asyncio.run(_load(spec["port"], requests, spec["clients"], spec["seconds"]))
    print(json.dumps(result))


def run_load(port: int, path: str, bodies: list[str], clients: int, seconds: float) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump(
            {"port": port, "path": path, "bodies": bodies, "clients": clients, "seconds": seconds},
            spec,
        )
    try:
        output = subprocess.run(
            [sys.executable, __file__, "--loadgen", spec.name],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds * 4 + 60,
        ).stdout
    finally:
        Path(spec.name).unlink()
    return json.loads(output.strip().splitlines()[-1])


# ---------------------------------------------------------------- servers


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, process: subprocess.Popen, timeout: float, payload: bytes | None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with code {process.returncode}")
        try:
            request = urllib.request.Request(  # noqa: S310 - loopback URL built here
                url, data=payload, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


@contextmanager
def server(command: list[str], cwd: Path, log: Path, env: dict[str, str]):
    """Run ``command`` in its own process group; stop the whole group (uv run, the CLI that
    it starts and the uvicorn that one starts) on exit."""
    with log.open("w") as log_file:
        process = subprocess.Popen(
            command,
            cwd=cwd,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                with suppress(ProcessLookupError):
                    os.killpg(process.pid, sig)
                try:
                    process.wait(timeout=20)
                    break
                except subprocess.TimeoutExpired:
                    continue


# ---------------------------------------------------------------- the project


def sh(command: list[str], cwd: Path, timeout: float = 1200) -> str:
    result = subprocess.run(
        command, cwd=cwd, env=project_env(), capture_output=True, text=True, timeout=timeout
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout


def render_default_project(scratch: Path) -> Path:
    template = clone_template(scratch / "template")
    project = scratch / "project"
    sh(copier_copy_command(template, project, "--quiet"), scratch)
    return project


def answers(project: Path) -> dict[str, str]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text())


IN_PROCESS = textwrap.dedent(
    """
    import json, sys, time
    import pandas as pd
    from threadpoolctl import threadpool_limits
    from {package}.config import load_params
    from {package}.modeling.registry import load_model
    params = load_params("params.yaml")
    model = load_model(params.train.model_path)
    threadpool_limits(1)  # one native thread once the model is loaded, as the server does
    test = pd.read_csv(params.split.output_dir / "test.csv")[params.data.features.input_columns]
    big = test.sample({rows}, replace=True, random_state=0).reset_index(drop=True)
    def rate(frame, seconds=3.0):
        model.predict(frame)
        times = []
        end = time.perf_counter() + seconds
        while time.perf_counter() < end and len(times) < 2000:
            start = time.perf_counter()
            model.predict(frame)
            times.append(time.perf_counter() - start)
        times.sort()
        p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99)]
        return {{"calls_per_s": 1 / p50, "p50_ms": 1000 * p50, "p99_ms": 1000 * p99}}
    print(json.dumps({{"one_row": rate(test.iloc[:1]), "batch": rate(big)}}))
    """
)

MLFLOW_SAVE = textwrap.dedent(
    """
    import sys
    import mlflow.sklearn
    from {package}.modeling.registry import load_model
    from pathlib import Path
    mlflow.sklearn.save_model(
        load_model(Path("models/model.pkl")), sys.argv[1], serialization_format="cloudpickle"
    )
    print(mlflow.__version__)
    """
)


def prepare(project: Path) -> tuple[str, str]:
    found = answers(project)
    slug, package = found["project_slug"], found["package_name"]
    sh(["uv", "sync", "--frozen"], project)
    if not (project / "models" / "model.pkl").exists():
        for stage in STAGES:
            sh(["uv", "run", "--frozen", slug, stage], project)
    return slug, package


def test_bodies(project: Path, package: str) -> tuple[list[str], str]:
    script = (
        "import json, pandas as pd\n"
        f"from {package}.config import load_params\n"
        f"from {package}.serving.frames import frame_to_records\n"
        "p = load_params('params.yaml')\n"
        "t = pd.read_csv(p.split.output_dir / 'test.csv')[p.data.features.input_columns]\n"
        "print(json.dumps(frame_to_records(t)))\n"
    )
    records = json.loads(sh(["uv", "run", "--frozen", "python", "-c", script], project))
    batch = [records[i % len(records)] for i in range(BATCH_ROWS)]
    return [json.dumps(r) for r in records], json.dumps(batch)


@dataclass
class Target:
    """A running server and the request bodies it understands."""

    name: str
    port: int
    path: str
    singles: list[str]
    batch: str


def start_ours(stack: ExitStack, project: Path, slug: str, bodies: list[str], batch: str):
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    port = free_port()
    command = [str(project / ".venv" / "bin" / slug), "serve", "--port", str(port)]
    process = stack.enter_context(server(command, project, scratch / "serve.log", project_env()))
    wait_for(f"http://127.0.0.1:{port}/ready", process, 120, None)
    return Target("generated API", port, "/predict", bodies, batch), None


def start_mlflow(stack: ExitStack, project: Path, package: str, bodies: list[str], batch: str):
    """Start `mlflow models serve` on the same model; return (target or None, note)."""
    scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    overlay = ["uv", "run", "--frozen", "--with", "mlflow"]
    model_dir = scratch / "mlflow-model"
    try:
        output = sh(
            [*overlay, "python", "-c", MLFLOW_SAVE.format(package=package), str(model_dir)],
            project,
            timeout=1800,
        )
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        return None, f"MLflow not measured: it did not install or save the model ({error})"[:500]
    version = output.strip().splitlines()[-1]
    port = free_port()
    # One OpenMP thread, as the generated server uses: the comparison is about serving.
    env = {
        **project_env(),
        "MLFLOW_TRACKING_URI": f"file://{scratch / 'mlruns'}",
        "OMP_NUM_THREADS": "1",
    }
    command = [*overlay, "mlflow", "models", "serve", "-m", str(model_dir)]
    command += ["--env-manager", "local", "--host", "127.0.0.1", "-p", str(port)]
    records = [f'{{"dataframe_records": [{body}]}}' for body in bodies]
    process = stack.enter_context(server(command, project, scratch / "mlflow.log", env))
    try:
        wait_for(f"http://127.0.0.1:{port}/invocations", process, 300, records[0].encode())
    except RuntimeError as error:
        log = (scratch / "mlflow.log").read_text()[-1500:]
        return None, f"MLflow {version} did not start: {error}\n{log}"
    target = Target(
        f"mlflow models serve {version}",
        port,
        "/invocations",
        records,
        f'{{"dataframe_records": {batch}}}',
    )
    note = f"MLflow {version}: `mlflow models serve --env-manager local`, 1 worker, 1 OpenMP thread"
    return target, note


def measure(targets: list[Target], seconds: float) -> list[dict[str, Any]]:
    """Each scenario on every server back to back, so that they share the machine's state."""
    rows = []
    scenarios = [(f"1 record, {c} clients", c, False) for c in CONCURRENCY]
    scenarios.append((f"{BATCH_ROWS} records, 1 client", 1, True))
    for scenario, clients, batch in scenarios:
        for target in targets:
            path = f"{target.path}/batch" if batch and target.path == "/predict" else target.path
            bodies = [target.batch] if batch else target.singles
            result = run_load(target.port, path, bodies, clients, seconds)
            rows.append({"server": target.name, "scenario": scenario, **result})
            print(f"  {rows[-1]}", flush=True)
    # The load generator's headroom: the cheapest endpoint of the generated API, which
    # shows how many requests per second the client can drive at all.
    ours = targets[0]
    result = run_load(ours.port, "/health", [""], CONCURRENCY[-1], seconds)
    scenario = f"GET /health, {CONCURRENCY[-1]} clients (client headroom)"
    rows.append({"server": ours.name, "scenario": scenario, **result})
    print(f"  {rows[-1]}", flush=True)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| server | scenario | requests/s | p50 ms | p99 ms | errors |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['server']} | {row['scenario']} | {row['rps']:.0f} | {row['p50_ms']:.1f} "
            f"| {row['p99_ms']:.1f} | {row['errors']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a rendered project (default: render one)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per scenario")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow comparison")
    parser.add_argument("--loadgen", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.loadgen:
        loadgen_main(args.loadgen)
        return
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        project = args.project.resolve() if args.project else render_default_project(Path(scratch))
        print(f"project: {project}", flush=True)
        slug, package = prepare(project)
        bodies, batch = test_bodies(project, package)
        in_process = json.loads(
            sh(
                [
                    "uv",
                    "run",
                    "--frozen",
                    "python",
                    "-c",
                    IN_PROCESS.format(package=package, rows=BATCH_ROWS),
                ],
                project,
            )
        )
        print(f"in-process predict: {in_process}", flush=True)
        with ExitStack() as stack:
            ours, _ = start_ours(stack, project, slug, bodies, batch)
            targets, note = [ours], "MLflow skipped (--no-mlflow)"
            if not args.no_mlflow:
                mlflow, note = start_mlflow(stack, project, package, bodies, batch)
                targets += [mlflow] if mlflow else []
            rows = measure(targets, args.duration)
    print()
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before:.2f} before and "
        f"{os.getloadavg()[0]:.2f} after (other work skews the figures); "
        f"{args.duration:.0f} s per scenario; {note}"
    )
    one, many = in_process["one_row"], in_process["batch"]
    print(
        f"in-process model.predict (same run, 1 thread): 1 row p50 {one['p50_ms']:.1f} ms "
        f"(p99 {one['p99_ms']:.1f}, {one['calls_per_s']:.0f} calls/s); {BATCH_ROWS} rows p50 "
        f"{many['p50_ms']:.1f} ms (p99 {many['p99_ms']:.1f}, {many['calls_per_s']:.0f} calls/s)"
    )
    print(table(rows))
    ours = {row["scenario"]: row for row in rows if row["server"] == "generated API"}
    theirs = {row["scenario"]: row for row in rows if row["server"] != "generated API"}
    key = f"1 record, {CONCURRENCY[-1]} clients"
    if key in theirs:
        print(f"\n{key}: {ours[key]['rps'] / theirs[key]['rps']:.1f}x MLflow's throughput")


if __name__ == "__main__":
    main()
