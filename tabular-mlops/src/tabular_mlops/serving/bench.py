"""A small serving benchmark, run by the canary on the model it has just checked.

It times ``requests`` single-record calls to ``/predict`` one after another (latency
percentiles) and a few full batches to ``/predict/batch`` (rows per second), on loopback. The
figures are written with the model's version (``monitoring.performance.bench_path``), so that
each registered version carries its own and the monitor can see a jump or a slow creep across
versions. They depend on the machine and its load, unlike every other pipeline output, so the
canary report keeps none of them: it must stay byte-identical across runs.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .process import call

BATCH_ROUNDS = 3


def _percentiles(latencies_ms: list[float]) -> dict[str, float]:
    values = np.asarray(latencies_ms, dtype=float)
    return {f"p{q}": round(float(np.percentile(values, q)), 3) for q in (50, 95, 99)}


def run_bench(
    base_url: str, records: list[dict[str, Any]], requests: int, batch_size: int, model_version: str
) -> dict[str, Any]:
    """Latency of single requests and throughput of batches, for ``model_version``."""
    latencies = []
    for index in range(requests):
        started = time.perf_counter()
        call(f"{base_url}/predict", records[index % len(records)])
        latencies.append((time.perf_counter() - started) * 1000)
    batch = records[:batch_size]
    started = time.perf_counter()
    for _ in range(BATCH_ROUNDS):
        call(f"{base_url}/predict/batch", batch)
    seconds = time.perf_counter() - started
    return {
        "model_version": model_version,
        "requests": requests,
        "latency_ms": _percentiles(latencies) if latencies else {},
        "batch_rows": len(batch),
        "throughput_rows_per_s": round(BATCH_ROUNDS * len(batch) / seconds, 1),
    }
