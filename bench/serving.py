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

    uv run python -m bench.serving [--duration 5] [--project PATH] [--no-mlflow]

This file holds the scenarios and the report; the parts it uses, one job each:
_project.py (render, install and train the project; run a program of in_project/ with the
project's interpreter), in_project/ (the programs that import the project's package: test
rows as request bodies, the in-process predict rate, the MLflow export), _servers.py (the
two servers, started and stopped with tests/server.py's running_server) and _loadgen.py
(the load generator).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench._loadgen import run_load
from bench._project import prepare, render_default_project, run_program
from bench._servers import Target, start_mlflow, start_ours

CONCURRENCY = (1, 8, 32)
BATCH_ROWS = 1000


def request_bodies(project: Path, package: str) -> tuple[list[str], str]:
    """Each test-set row as a /predict body, and BATCH_ROWS of them as one batch body."""
    records = run_program(project, "request_records", package)
    batch = [records[i % len(records)] for i in range(BATCH_ROWS)]
    return [json.dumps(record) for record in records], json.dumps(batch)


def measure(targets: list[Target], seconds: float) -> list[dict[str, Any]]:
    """Each scenario on every server back to back, so that they share the machine's state."""
    rows = []
    scenarios = [(f"1 record, {c} clients", c, False) for c in CONCURRENCY]
    scenarios.append((f"{BATCH_ROWS} records, 1 client", 1, True))
    for scenario, clients, batch in scenarios:
        for target in targets:
            path = target.batch_path if batch else target.path
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


def report(
    rows: list[dict[str, Any]], in_process: dict[str, Any], load_before: float, seconds: float,
    note: str,
) -> None:  # fmt: skip
    print()
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before:.2f} before and "
        f"{os.getloadavg()[0]:.2f} after (other work skews the figures); "
        f"{seconds:.0f} s per scenario; {note}"
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a rendered project (default: render one)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per scenario")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow comparison")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as scratch:
        project = args.project.resolve() if args.project else render_default_project(Path(scratch))
        print(f"project: {project}", flush=True)
        slug, package = prepare(project)
        records, batch = request_bodies(project, package)
        in_process = run_program(project, "predict_rate", package, str(BATCH_ROWS))
        print(f"in-process predict: {in_process}", flush=True)
        with ExitStack() as stack:
            targets = [start_ours(stack, project, slug, records, batch)]
            note = "MLflow skipped (--no-mlflow)"
            if not args.no_mlflow:
                mlflow, note = start_mlflow(stack, project, package, records, batch)
                targets += [mlflow] if mlflow else []
            rows = measure(targets, args.duration)
    report(rows, in_process, load_before, args.duration, note)


if __name__ == "__main__":
    main()
