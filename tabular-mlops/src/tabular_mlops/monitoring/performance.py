"""Serving performance (monitor-6): latency in the window, and the benchmark across versions.

Two sources, because each answers a different question:
- the window's recorded latencies (``latency_ms``, measured by the server for each request):
  is the model served as fast as its benchmark said? Its 95th percentile may be at most
  ``max_latency_ratio`` times the benchmark's (live traffic queues and the benchmark does not);
- the benchmark that the canary ran on each version (``monitoring.performance.bench_path``,
  committed with it), in the registry's order of versions: a *jump* is the latest version
  slower than the one before by more than ``max_jump`` times (median latency; rows per second
  for throughput); a *creep* is the latest slower than the fastest of the last
  ``creep_versions`` by more than ``max_creep`` times, which catches small steps that add up.
A slower server is investigated, not retrained.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from tabular_mlops.config import Params
from tabular_mlops.monitoring.checks import Alert, CheckResult, result

from .records import Window

ITEM = "monitor-6"


def window_figures(window: Window) -> dict[str, Any]:
    latencies = window.frame["latency_ms"].to_numpy(dtype=float)
    latencies = latencies[np.isfinite(latencies)]
    times = window.frame["timestamp"]
    seconds = (times.iloc[-1] - times.iloc[0]).total_seconds() if window.size > 1 else 0.0
    figures: dict[str, Any] = {
        "records": window.size,
        "records_per_s": round(window.size / seconds, 3) if seconds > 0 else None,
    }
    if len(latencies):
        figures["latency_ms"] = {
            f"p{q}": round(float(np.percentile(latencies, q)), 3) for q in (50, 95, 99)
        }
    return figures


def _read_bench(text: str) -> dict[str, Any] | None:
    try:
        bench = json.loads(text)
    except ValueError:
        return None
    return bench if isinstance(bench, dict) and "latency_ms" in bench else None


def bench_history(root: Path, params: Params) -> list[dict[str, Any]]:
    """The benchmark of each registered version that has one, lowest version first, then the
    workspace's when it is for a model not registered yet. Each entry gains ``version``."""
    path = params.monitoring.performance.bench_path
    history: list[dict[str, Any]] = []
    try:
        from tabular_mlops.lifecycle.git import GitError, git

        from ..lifecycle.registry import RegistryError, artifact_name, versions

        for name, version in versions(root, artifact_name(root)).items():
            try:
                bench = _read_bench(git(root, "show", f"{version.commit}:./{path.as_posix()}"))
            except GitError:
                continue  # registered before benchmarks were recorded
            if bench is not None:
                history.append({**bench, "version": name})
    except (ImportError, RegistryError, GitError):
        history = []  # no registry here (no Git, or GTO is not installed): the workspace only
    try:
        current = _read_bench((root / path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        current = None
    if current is not None and (
        not history or history[-1].get("model_version") != current.get("model_version")
    ):
        history.append({**current, "version": "workspace"})
    return history


def _ratio(new: float | None, old: float | None) -> float:
    return new / old if new and old and old > 0 else math.nan


def median(bench: dict[str, Any]) -> float | None:
    value = bench.get("latency_ms", {}).get("p50")
    return float(value) if value else None


def speed(bench: dict[str, Any]) -> float | None:
    value = bench.get("throughput_rows_per_s")
    return float(value) if value else None


def _version_alerts(history: list[dict[str, Any]], params: Params) -> list[Alert]:
    settings = params.monitoring.performance
    if len(history) < 2:
        return []
    latest, previous = history[-1], history[-2]
    alerts = []
    jump = _ratio(median(latest), median(previous))
    slower = _ratio(speed(previous), speed(latest))
    for what, ratio in (("median latency", jump), ("batch throughput", slower)):
        if ratio > settings.max_jump:
            alerts.append(
                Alert(
                    "performance",
                    what,
                    f"{what} of {latest['version']} is {ratio:.2f} times worse than "
                    f"{previous['version']}'s (limit {settings.max_jump:g})",
                    "investigate",
                )
            )
    recent = history[-settings.creep_versions :]
    best_latency = min(filter(None, map(median, recent)), default=None)
    best_speed = max(filter(None, map(speed, recent)), default=None)
    for what, ratio in (
        ("median latency", _ratio(median(latest), best_latency)),
        ("batch throughput", _ratio(best_speed, speed(latest))),
    ):
        if ratio > settings.max_creep and not any(a.subject == what for a in alerts):
            alerts.append(
                Alert(
                    "performance",
                    what,
                    f"{what} has crept: {latest['version']} is {ratio:.2f} times worse than the "
                    f"best of the last {len(recent)} versions (limit {settings.max_creep:g})",
                    "investigate",
                )
            )
    return alerts


def check_performance(
    window: Window, root: Path, params: Params, model_version: str
) -> CheckResult:
    settings = params.monitoring.performance
    live = window_figures(window)
    history = bench_history(root, params)
    alerts = _version_alerts(history, params)
    bench = next((b for b in reversed(history) if b.get("model_version") == model_version), None)
    live_p95 = live.get("latency_ms", {}).get("p95")
    bench_p95 = (bench or {}).get("latency_ms", {}).get("p95")
    ratio = _ratio(live_p95, bench_p95)
    if ratio > settings.max_latency_ratio:
        alerts.append(
            Alert(
                "performance",
                "latency",
                f"served 95th-percentile latency {live_p95:.1f} ms is {ratio:.1f} times the "
                f"benchmark's {bench_p95:.1f} ms (limit {settings.max_latency_ratio:g})",
                "investigate",
            )
        )
    summary = f"p95 latency {live_p95 if live_p95 is not None else '-'} ms"
    summary += f" (benchmark {bench_p95} ms)" if bench_p95 else " (no benchmark for this version)"
    details = {"window": live, "benchmark": bench, "history": history}
    return result("performance", ITEM, summary, details, alerts)
