"""Prometheus metrics of the service: traffic, latency, errors and what the model predicts.

Each app owns its registry, so several apps (in tests) never share counters. ``GET
/metrics`` serves the registry in the Prometheus text format; deploy/prometheus.yml
scrapes it.
"""

from __future__ import annotations

import time
from collections import Counter as Tally
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .schemas import InputColumn

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class ServingMetrics:
    """The service's metrics, in their own registry."""

    def __init__(
        self,
        *,
        labels: Sequence[str] | None,
        target_range: tuple[float, float] | None,
        features: Sequence[str] = (),
    ) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "http_requests",
            "HTTP requests answered, by path, method and status code.",
            ["path", "method", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "http_request_errors",
            "HTTP requests answered with a 4xx or 5xx status, by path and status code.",
            ["path", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Time from receiving a request to sending its response, by path.",
            ["path"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.batch_rows = Histogram(
            "model_batch_rows",
            "Rows per model call (micro-batches of /predict, or one /predict/batch request).",
            buckets=BATCH_BUCKETS,
            registry=self.registry,
        )
        self.ready = Gauge(
            "model_ready", "1 when a verified model is loaded and warmed.", registry=self.registry
        )
        self.trained = Gauge(
            "model_trained_timestamp_seconds",
            "When the served model was trained (Unix time); alerts compute its age from it.",
            registry=self.registry,
        )
        self.input_missing = Counter(
            "model_input_missing",
            "Input values that were missing (null) in predicted records, by feature.",
            ["feature"],
            registry=self.registry,
        )
        for feature in features:  # every feature from the start, at zero
            self.input_missing.labels(feature)
        self.log_records = Counter(
            "prediction_log_records",
            "Predicted records the prediction log was given, by outcome: written, dropped "
            "(its queue was full) or failed (the sink or the formatting raised).",
            ["outcome"],
            registry=self.registry,
        )
        for outcome in ("written", "dropped", "failed"):
            self.log_records.labels(outcome)
        self._label_counter: Counter | None = None
        self._value_histogram: Histogram | None = None
        if labels is not None:
            self._label_counter = Counter(
                "model_predictions",
                "Predictions made, by predicted class.",
                ["label"],
                registry=self.registry,
            )
            for label in labels:  # export every class from the start, at zero
                self._label_counter.labels(label)
        else:
            self._value_histogram = Histogram(
                "model_prediction_value",
                "Distribution of the predicted values.",
                buckets=_value_buckets(target_range),
                registry=self.registry,
            )

    def observe_missing(self, records: Sequence[BaseModel], columns: Sequence[InputColumn]) -> None:
        """Count the missing (null) input values of a model call's records, per feature.

        Validated records hold None for a missing value (NaN is refused at the door); a loop
        over them costs a fraction of what pandas' isna() on the frame does per call.
        """
        rows = [record.__dict__ for record in records]
        for column in columns:
            count = sum(row[column.attribute] is None for row in rows)
            if count:
                self.input_missing.labels(column.name).inc(count)

    def observe_predictions(self, predictions: Iterable[Any]) -> None:
        """Record a model call's predictions in the prediction distribution."""
        values = list(predictions)
        self.batch_rows.observe(len(values))
        if self._label_counter is not None:
            for label, count in Tally(str(value) for value in values).items():
                self._label_counter.labels(label).inc(count)
        elif self._value_histogram is not None:
            for value in values:
                self._value_histogram.observe(float(value))

    def render(self) -> bytes:
        return generate_latest(self.registry)


def _value_buckets(target_range: tuple[float, float] | None) -> tuple[float, ...]:
    """Ten equal buckets over the target's range in the data schema, when it has one."""
    if target_range is None or target_range[1] <= target_range[0]:
        return Histogram.DEFAULT_BUCKETS
    low, high = target_range
    step = (high - low) / 10
    return tuple(round(low + step * index, 6) for index in range(11))


class MetricsMiddleware:
    """Count and time every HTTP request (a plain ASGI middleware, cheap per request)."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics, paths: Iterable[str]) -> None:
        self.app = app
        self.metrics = metrics
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"] if scope["path"] in self.paths else "other"
        status = 500
        started = time.perf_counter()

        async def send_and_record_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record_status)
        finally:
            self.metrics.latency.labels(path).observe(time.perf_counter() - started)
            method = scope["method"] if scope["method"] in METHODS else "other"
            self.metrics.requests.labels(path, method, str(status)).inc()
            if status >= 400:
                self.metrics.errors.labels(path, str(status)).inc()
