"""Record a sample of the served predictions for the monitor, off the request path.

Every request gets an id: the client's ``X-Request-ID`` when it is a valid one (1 to 128
letters, digits or ``._:-``), else a new random one; every response carries it back in
``X-Request-ID``, so that a client can later send the true outcome keyed by it (the monitor
joins labels on it). An invalid id is replaced, not refused: the id only correlates, and
refusing a prediction over it would turn a logging detail into an outage.

The prediction endpoints leave what they served in the request's state; once the response
has been sent, :class:`RecordingMiddleware` hands it, with the request's id and latency, to
the :class:`PredictionRecorder`. The recorder queues it (at most ``queue_size`` records;
beyond that, new ones are dropped and counted) for its own thread, which wakes every
``WRITE_INTERVAL_S``, formats the JSON lines and writes them to the sink (sinks.py). A full
queue or a failing sink costs records, never a request. Only the model's input columns are
recorded: the request model accepts nothing else, so no other field of a client's data can
reach the files.

One line per predicted record (a batch of n records gives n lines, ids ``<id>:0`` ...)::

    {"timestamp": "2025-01-31T12:00:00.123456+00:00", "request_id": "...",
     "model_version": "...", "latency_ms": 3.2, "endpoint": "/predict",
     "inputs": {"column": value or null, ...}, "prediction": ...,
     "probabilities": {"class": 0.9, ...} or null}
"""

from __future__ import annotations

import logging
import queue
import random
import re
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tabular_mlops.config import PredictionLogParams
from tabular_mlops.serving.metrics import ServingMetrics
from tabular_mlops.serving.schemas import InputColumn
from tabular_mlops.serving.sinks import RecordSink

from ..environment import runtime_environment

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# The key under which an endpoint leaves its Served in the request's state.
SERVED_KEY = "served_predictions"
# The writer wakes this often and writes everything queued in one sink call. Waking for
# each record would cost a thread switch and a write per prediction: at hundreds of
# requests a second that was 10-20% more CPU per request, against ~1% this way.
WRITE_INTERVAL_S = 0.1
_REQUESTS_PER_WRITE = 1000  # at most this many queued requests per sink call
_ERROR_LOG_INTERVAL_S = 60.0


@dataclass(frozen=True, slots=True)
class ServedPrediction:
    """One predicted record: its place in a batch request (None for /predict) and the answer."""

    index: int | None
    record: BaseModel
    prediction: Any
    probabilities: list[float] | None


@dataclass(frozen=True, slots=True)
class Served:
    """What one request served, for the recorder."""

    endpoint: str
    model_version: str
    classes: Sequence[str] | None  # the order of each prediction's probabilities
    predictions: list[ServedPrediction]


def request_id_of(scope: Scope) -> str:
    """The client's valid ``X-Request-ID``, else a new random id (32 hex digits)."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            sent: str = value.decode("latin-1")
            if _VALID_REQUEST_ID.fullmatch(sent):
                return sent
            break
    return uuid.uuid4().hex


class PredictionRecorder:
    """Sample predictions, queue them, and write them as JSON lines on a thread of its own."""

    def __init__(
        self,
        params: PredictionLogParams,
        sink: RecordSink,
        columns: Sequence[InputColumn],
        metrics: ServingMetrics,
        environment: Callable[[], dict[str, Any]] = runtime_environment,
    ) -> None:
        self.enabled = params.enabled
        self.sample_rate = params.sample_rate if params.enabled else 0.0
        self._capacity = params.queue_size
        self._sink = sink
        self._columns = tuple(columns)
        self._environment = environment
        self._written = metrics.log_records.labels("written")
        self._dropped = metrics.log_records.labels("dropped")
        self._failed = metrics.log_records.labels("failed")
        self._queue: queue.SimpleQueue[tuple[float, str, float, Served]] = queue.SimpleQueue()
        self._wake = threading.Event()  # write now rather than at the next interval
        self._stopping = False
        self._lock = threading.Lock()
        self._pending = 0  # records queued or being written
        self._thread: threading.Thread | None = None
        self._last_error_log = float("-inf")

    def sample(self) -> bool:
        """Whether to record the next single prediction."""
        rate = self.sample_rate
        return rate >= 1.0 or (rate > 0.0 and random.random() < rate)  # noqa: S311 - not security

    def sample_indices(self, count: int) -> list[int]:
        """Which of a batch request's ``count`` records to record."""
        if self.sample_rate >= 1.0:
            return list(range(count))
        return [index for index in range(count) if self.sample()]

    def record(self, served: Served, request_id: str, latency_s: float) -> None:
        """Queue what a request served; never blocks, never raises into the request."""
        count = len(served.predictions)
        with self._lock:
            accepted = self._pending + count <= self._capacity
            if accepted:
                self._pending += count
        if not accepted:
            self._dropped.inc(count)
            return
        self._queue.put((time.time(), request_id, latency_s, served))

    def start(self) -> None:
        """Start the writer thread (it first hands the serving environment to the sink)."""
        if self.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="prediction-recorder")
            self._thread.daemon = True  # a hung sink must not keep the process alive
            self._thread.start()

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Write every queued record now and wait until it is written (or has failed);
        False on timeout."""
        deadline = time.monotonic() + timeout_s
        self._wake.set()
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.002)
        return not self._pending

    def stop(self, timeout_s: float = 5.0) -> None:
        """Write what is queued (waiting at most ``timeout_s``), then close the sink."""
        if self._thread is None:
            return
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            logger.warning("prediction recorder: %d records not written at shutdown", self._pending)
            return  # the thread still uses the sink
        self._thread = None
        try:
            self._sink.close()
        except Exception:
            logger.exception("prediction recorder: the sink failed to close")

    def _run(self) -> None:
        try:
            self._sink.start(self._environment())
        except Exception as error:
            self._log_failure(error)
        while True:
            self._wake.wait(WRITE_INTERVAL_S)
            self._wake.clear()
            stopping = self._stopping  # read before draining: what stop() left is written
            while batch := self._take(_REQUESTS_PER_WRITE):
                self._write(batch)
            if stopping:
                return

    def _take(self, limit: int) -> list[tuple[float, str, float, Served]]:
        batch: list[tuple[float, str, float, Served]] = []
        while len(batch) < limit:
            try:
                batch.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return batch

    def _write(self, batch: list[tuple[float, str, float, Served]]) -> None:
        lines: list[bytes] = []
        count = failed = 0
        for stamp, request_id, latency_s, served in batch:
            count += len(served.predictions)
            try:
                lines.extend(self._lines(stamp, request_id, latency_s, served))
            except Exception as error:
                failed += len(served.predictions)
                self._log_failure(error)
        try:
            if lines:
                self._sink.write(b"".join(lines))
        except Exception as error:
            failed = count
            self._log_failure(error)
        self._written.inc(count - failed)
        self._failed.inc(failed)
        with self._lock:
            self._pending -= count

    def _lines(
        self, stamp: float, request_id: str, latency_s: float, served: Served
    ) -> list[bytes]:
        timestamp = datetime.fromtimestamp(stamp, UTC).isoformat()
        latency_ms = round(latency_s * 1000, 3)
        columns = self._columns
        lines = []
        for one in served.predictions:
            probabilities = None
            if one.probabilities is not None and served.classes is not None:
                probabilities = dict(zip(served.classes, one.probabilities, strict=True))
            inputs = {column.name: getattr(one.record, column.attribute) for column in columns}
            line = {
                "timestamp": timestamp,
                "request_id": request_id if one.index is None else f"{request_id}:{one.index}",
                "model_version": served.model_version,
                "latency_ms": latency_ms,
                "endpoint": served.endpoint,
                "inputs": inputs,
                "prediction": one.prediction,
                "probabilities": probabilities,
            }
            lines.append(
                orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE | orjson.OPT_SERIALIZE_NUMPY)
            )
        return lines

    def _log_failure(self, error: Exception) -> None:
        """Log a failure, at most once a minute: a broken sink fails on every write."""
        now = time.monotonic()
        if now - self._last_error_log >= _ERROR_LOG_INTERVAL_S:
            self._last_error_log = now
            logger.error(
                "prediction recorder: records lost (see prediction_log_records_total"
                '{outcome="failed"}): %s: %s',
                type(error).__name__,
                error,
            )


class RecordingMiddleware:
    """Give every request an id (echoed in ``X-Request-ID``), time it, and record what it
    served once the response is sent (a plain ASGI middleware, cheap per request)."""

    def __init__(self, app: ASGIApp, recorder: PredictionRecorder) -> None:
        self.app = app
        self.recorder = recorder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_of(scope)
        header = (REQUEST_ID_HEADER, request_id.encode("latin-1"))
        state = scope.setdefault("state", {})
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), header]}
            await send(message)

        await self.app(scope, receive, send_with_id)
        served = state.get(SERVED_KEY)
        if served is not None:
            self.recorder.record(served, request_id, time.perf_counter() - started)
