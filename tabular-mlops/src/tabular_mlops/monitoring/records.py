"""Read the prediction records the API wrote and select the window to check.

The API appends one JSON object per predicted record to ``predictions.jsonl`` in
``monitoring.log.dir`` and rotates it to ``predictions.jsonl.1``, ``.2`` ... (see
serving/recording.py). A line that cannot be read (a torn write, a hand edit) is counted and
skipped, not fatal: one bad line must not hide a day of traffic.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from tabular_mlops.monitoring.checks import MonitorInputError

LOG_NAME = "predictions.jsonl"
REQUIRED = ("timestamp", "model_version", "inputs", "prediction")
MAX_PROBLEMS_SHOWN = 3
_ROTATED = re.compile(re.escape(LOG_NAME) + r"(?:\.(\d+))?")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([mhdw])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class Window:
    """The records being checked, oldest first, and what was skipped on the way."""

    frame: (
        pd.DataFrame
    )  # timestamp, request_id, model_version, latency_ms, endpoint, prediction, probabilities
    inputs: pd.DataFrame  # the model's input columns, as recorded (object dtype, None = missing)
    log_dir: Path
    skipped_lines: int = 0
    problems: list[str] = field(default_factory=list)
    # Input columns no record holds (personal data the API never records): not checked.
    unrecorded: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.frame)

    def describe(self) -> dict[str, Any]:
        times = self.frame["timestamp"]
        return {
            "records": self.size,
            "start": times.iloc[0].isoformat() if self.size else None,
            "end": times.iloc[-1].isoformat() if self.size else None,
            "model_versions": sorted(self.frame["model_version"].astype(str).unique().tolist()),
            "log_dir": str(self.log_dir),
            "skipped_lines": self.skipped_lines,
            "problems": self.problems,
            "unrecorded_columns": self.unrecorded,
        }


def parse_time(text: str, now: datetime) -> datetime:
    """An ISO 8601 date or time (UTC unless it has an offset), or a duration before ``now``
    such as ``30m``, ``24h``, ``7d`` or ``2w``."""
    duration = _DURATION.fullmatch(text.strip())
    if duration:
        return now - timedelta(**{_UNITS[duration.group(2)]: float(duration.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise MonitorInputError(
            f"'{text}' is not a time: use ISO 8601 (2024-05-01 or 2024-05-01T12:00+02:00) "
            "or a duration before now (30m, 24h, 7d, 2w)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def log_files(log_dir: Path) -> list[Path]:
    """The log and its rotated copies, newest first (``.1`` is newer than ``.2``)."""
    if not log_dir.is_dir():
        raise MonitorInputError(
            f"no prediction log folder {log_dir} (monitoring.log.dir): serve the model with "
            "recording on (monitoring.log.enabled) and send it traffic, or pass --log-dir"
        )
    found = []
    for path in log_dir.iterdir():
        match = _ROTATED.fullmatch(path.name)
        if match and path.is_file():
            found.append((int(match.group(1) or 0), path))
    if not found:
        raise MonitorInputError(
            f"{log_dir} holds no {LOG_NAME}: the API has recorded no prediction there yet"
        )
    return [path for _, path in sorted(found)]


def _parse(line: str) -> dict[str, Any]:
    """One record, or ValueError saying what is wrong with the line."""
    record = json.loads(line)  # NaN and Infinity are read as floats: stability.py counts them
    if not isinstance(record, dict):
        raise ValueError("not a JSON object")
    absent = [key for key in REQUIRED if key not in record]
    if absent:
        raise ValueError(f"lacks {', '.join(absent)}")
    if not isinstance(record["inputs"], dict):
        raise ValueError("'inputs' is not an object")
    stamp = datetime.fromisoformat(str(record["timestamp"]))
    record["timestamp"] = stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)
    latency = record.get("latency_ms")
    record["latency_ms"] = float(latency) if isinstance(latency, int | float) else math.nan
    return record


def read_window(
    log_dir: Path,
    columns: list[str],
    *,
    last: int | None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Window:
    """The records between ``since`` and ``until`` (inclusive), the ``last`` of them if given."""
    records: list[dict[str, Any]] = []
    skipped, problems = 0, list[str]()
    for path in log_files(log_dir):  # newest file first
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    record = _parse(line)
                except (ValueError, TypeError) as error:
                    skipped += 1
                    if len(problems) < MAX_PROBLEMS_SHOWN:
                        problems.append(f"{path.name}:{number}: {error}")
                    continue
                stamp = record["timestamp"]
                if (since is None or stamp >= since) and (until is None or stamp <= until):
                    records.append(record)
        if last is not None and since is None and until is None and len(records) >= last:
            break  # older files cannot hold any of the newest `last` records
    if not records:
        where = f" between {since or 'the start'} and {until or 'now'}" if since or until else ""
        detail = f"; unreadable lines, e.g. {problems[0]}" if problems else ""
        raise MonitorInputError(f"no prediction record in {log_dir}{where}{detail}")
    records.sort(key=lambda record: record["timestamp"])
    if last is not None:
        records = records[-last:]
    return window_from_records(records, columns, log_dir, skipped, problems)


def window_from_records(
    records: list[dict[str, Any]],
    columns: list[str],
    log_dir: Path,
    skipped: int = 0,
    problems: list[str] | None = None,
) -> Window:
    """A window of parsed records (``timestamp`` already a datetime), oldest first."""
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime([record["timestamp"] for record in records], utc=True),
            "request_id": [str(record.get("request_id", "")) for record in records],
            "model_version": [str(record["model_version"]) for record in records],
            "latency_ms": [record["latency_ms"] for record in records],
            "endpoint": [str(record.get("endpoint", "")) for record in records],
            "prediction": pd.Series([record["prediction"] for record in records], dtype=object),
            "probabilities": pd.Series(
                [record.get("probabilities") for record in records], dtype=object
            ),
        }
    )
    present = {name for record in records for name in record["inputs"]}
    recorded = [name for name in columns if name in present]
    inputs = pd.DataFrame(
        {name: [record["inputs"].get(name) for record in records] for name in recorded},
        index=frame.index,
        dtype=object,
    )
    unrecorded = [name for name in columns if name not in present]
    return Window(frame, inputs, log_dir, skipped, problems or [], unrecorded)
