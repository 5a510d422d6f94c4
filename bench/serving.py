"""Serving throughput and latency of the generated API, beside MLflow's scoring server.

Renders a default project (or takes ``--project``, a rendered project), trains its model,
starts the API with one uvicorn worker on 127.0.0.1 and drives it with an HTTP/1.1
keep-alive load generator that runs in its own process (raw asyncio streams, far cheaper
per request than the server it measures). The API runs twice, recording its predictions
(monitoring.log in params.yaml, the default) and with ``--no-record``, to show what the
prediction log costs. Scenarios: single-record ``/predict`` at 1, 8 and
32 concurrent clients, and 1,000-row ``/predict/batch`` requests. Printed beside them: the
in-process ``model.predict`` rate measured in the same run, and ``mlflow models serve``
on the same model where MLflow installs (into an overlay of the project's environment with
``uv run --with mlflow``). All traffic goes to 127.0.0.1; each scenario is bounded in time
and in requests.

    uv run python -m bench.serving [--duration 5] [--project PATH] [--no-mlflow]
                                   [--recording-rounds 6] [--recording-only]

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
import statistics
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench._loadgen import run_load
from bench._project import prepare, render_default_project, run_program
from bench._servers import (
    OURS,
    OURS_UNRECORDED,
    Target,
    cpu_seconds,
    requests_served,
    start_mlflow,
    start_ours,
)

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


Round = dict[str, tuple[float, float]]  # server name -> (requests/s, CPU ms per request)


def recording_cost(targets: list[Target], seconds: float, rounds: int) -> list[Round]:
    """Requests/s at the top concurrency with and without the prediction log, in alternating
    order (ABBA), ``rounds`` times: on a shared machine, load drifts more within one long
    run than between two short neighbouring ones, so a ratio is only fair round by round.
    Also the server's CPU time per request, which other work on the machine skews far less
    than throughput (at saturation, throughput is the cores it gets over that time)."""
    recorded = next(target for target in targets if target.name == OURS)
    unrecorded = next(target for target in targets if target.name == OURS_UNRECORDED)
    results = []
    for index in range(rounds):
        order = (recorded, unrecorded) if index % 2 == 0 else (unrecorded, recorded)
        result: Round = {}
        for target in order:
            assert target.pid is not None, f"no process found for {target.name}"
            cpu, served = cpu_seconds(target.pid), requests_served(target.port, target.path)
            rps = run_load(target.port, target.path, target.singles, CONCURRENCY[-1], seconds)
            cpu_ms = (cpu_seconds(target.pid) - cpu) * 1000
            requests = requests_served(target.port, target.path) - served
            result[target.name] = (rps["rps"], cpu_ms / requests)
        results.append(result)
        print(f"  recording round {index + 1}: {result}", flush=True)
    return results


def recording_report(results: list[Round], seconds: float) -> None:
    def median(name: str, field: int) -> float:
        return statistics.median(result[name][field] for result in results)

    ratios = sorted(result[OURS][0] / result[OURS_UNRECORDED][0] for result in results)
    cpu_on, cpu_off = median(OURS, 1), median(OURS_UNRECORDED, 1)
    print(
        f"\nprediction log cost, 1 record, {CONCURRENCY[-1]} clients, {len(results)} alternating "
        f"rounds of {seconds:.0f} s: median {median(OURS, 0):.0f} requests/s recording, "
        f"{median(OURS_UNRECORDED, 0):.0f} without; recording/without per round: median "
        f"{statistics.median(ratios):.1%} (range {ratios[0]:.1%} to {ratios[-1]:.1%}); "
        f"server CPU per request: median {cpu_on:.2f} ms recording, {cpu_off:.2f} ms without "
        f"(without/recording {cpu_off / cpu_on:.1%})"
    )


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
    ours = {row["scenario"]: row for row in rows if row["server"] == OURS}
    unrecorded = {row["scenario"]: row for row in rows if row["server"] == OURS_UNRECORDED}
    theirs = {row["scenario"]: row for row in rows if row["server"] not in (OURS, OURS_UNRECORDED)}
    key = f"1 record, {CONCURRENCY[-1]} clients"
    if key in unrecorded:
        print(
            f"\n{key}: {ours[key]['rps']:.0f} requests/s recording predictions, "
            f"{unrecorded[key]['rps']:.0f} without "
            f"({ours[key]['rps'] / unrecorded[key]['rps']:.1%})"
        )
    if key in theirs:
        print(f"{key}: {ours[key]['rps'] / theirs[key]['rps']:.1f}x MLflow's throughput")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--project", type=Path, help="a rendered project (default: render one)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per scenario")
    parser.add_argument("--no-mlflow", action="store_true", help="skip the MLflow comparison")
    parser.add_argument(
        "--recording-rounds",
        type=int,
        default=6,
        help="alternating runs with and without the prediction log at the top concurrency",
    )
    parser.add_argument(
        "--recording-only", action="store_true", help="measure only the prediction log's cost"
    )
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
            targets = [
                start_ours(stack, project, slug, records, batch),
                start_ours(stack, project, slug, records, batch, record=False),
            ]
            note = "MLflow skipped (--no-mlflow)"
            if not (args.no_mlflow or args.recording_only):
                mlflow, note = start_mlflow(stack, project, package, records, batch)
                targets += [mlflow] if mlflow else []
            rows = [] if args.recording_only else measure(targets, args.duration)
            pairs = recording_cost(targets, args.duration, args.recording_rounds)
    if rows:
        report(rows, in_process, load_before, args.duration, note)
    recording_report(pairs, args.duration)


if __name__ == "__main__":
    main()
