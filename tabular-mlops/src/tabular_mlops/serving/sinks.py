"""Where recorded predictions go: the sink protocol, and the default sink, rotating local files.

A sink receives the serving environment once, then chunks of JSON Lines. It is called from
the recorder's own thread only, never from a request, so it may block (a network upload, a
slow disk) without slowing the API; what it raises is counted and logged, not propagated.

To ship records elsewhere (object storage, a message queue), write a class with these three
methods and name its factory in ``monitoring.log.sink`` (see docs/deployment.md).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import IO, Any, Protocol

from tabular_mlops.atomic import write_json
from tabular_mlops.config import PredictionLogParams

RECORDS_FILE = "predictions.jsonl"
ENVIRONMENT_FILE = "serving-environment.json"


class RecordSink(Protocol):
    """What the recorder writes to."""

    def start(self, environment: dict[str, Any]) -> None:
        """Called once, before any record: the serving environment (environment.py)."""

    def write(self, lines: bytes) -> None:
        """Append one or more JSON lines, each ending with a newline."""

    def close(self) -> None:
        """Flush and release; called once when the server stops."""


class RotatingFileSink:
    """``predictions.jsonl`` in ``directory``, renamed to ``.1`` (older ones to ``.2`` ...)
    once it would pass ``max_bytes``; at most ``backup_count`` rotated files are kept.

    One server process per directory: two processes appending to and rotating the same
    files would interleave and lose records (each Kubernetes pod has its own disk).
    """

    def __init__(self, directory: Path, max_bytes: int, backup_count: int) -> None:
        self.directory = directory
        self.path = directory / RECORDS_FILE
        self.max_bytes = max_bytes
        self.backup_count = backup_count
        self._file: IO[bytes] | None = None
        self._size = 0

    @classmethod
    def from_params(cls, params: PredictionLogParams, root: Path) -> RotatingFileSink:
        return cls(root / params.dir, params.max_bytes, params.backup_count)

    def start(self, environment: dict[str, Any]) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        write_json(self.directory / ENVIRONMENT_FILE, environment)

    def write(self, lines: bytes) -> None:
        if self._file is not None and self._size and self._size + len(lines) > self.max_bytes:
            self._rotate()
        file = self._file or self._open()
        file.write(lines)
        file.flush()  # readers (the monitor, a log shipper) see whole lines soon
        self._size += len(lines)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def _open(self) -> IO[bytes]:
        self.directory.mkdir(parents=True, exist_ok=True)
        self._file = file = self.path.open("ab")
        self._size = file.tell()
        return file

    def _rotate(self) -> None:
        self.close()
        for index in range(self.backup_count - 1, 0, -1):
            older = self.path.with_name(f"{RECORDS_FILE}.{index}")
            if older.exists():
                os.replace(older, self.path.with_name(f"{RECORDS_FILE}.{index + 1}"))
        os.replace(self.path, self.path.with_name(f"{RECORDS_FILE}.1"))


def build_sink(params: PredictionLogParams, root: Path) -> RecordSink:
    """The sink ``monitoring.log.sink`` names, or the rotating files by default."""
    if params.sink is None:
        return RotatingFileSink.from_params(params, root)
    module_name, _, attribute = params.sink.partition(":")
    try:
        factory = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ValueError(
            f"monitoring.log.sink: cannot import '{params.sink}' ({error}); write it as "
            "'package.module:factory', a callable that takes (params, root) and returns a sink"
        ) from error
    sink: RecordSink = factory(params, root)
    return sink
