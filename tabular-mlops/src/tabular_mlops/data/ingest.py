"""Ingest: read the configured data source and write it to ``data.raw_path`` as CSV.

The stage runs on every ``dvc repro`` (``always_changed`` in ``dvc.yaml``), because a URL
or a database can change without any local file changing. What it read is recorded in
``ingest.report_path`` (rows, columns, SHA-256 of the raw file); DVC reruns the later
stages only when the raw file's content actually changed.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from tabular_mlops.atomic import file_sha256, write_csv, write_json
from tabular_mlops.config import DataParams

from .sources import CsvOptions, SourceError, display_source, read_source, source_kind


@dataclass(frozen=True)
class IngestRecord:
    """What one ingest read, without secrets: enough to tell whether the data changed."""

    source: str
    kind: str
    rows: int
    columns: list[str]
    raw_sha256: str


def load_source(data: DataParams) -> pd.DataFrame:
    """Read the source that ``data`` configures, refusing a frame without rows."""
    frame = read_source(
        data.source,
        query=data.query,
        csv_options=CsvOptions(data.csv.delimiter, data.csv.encoding),
    )
    if frame.empty:
        raise SourceError(
            f"{display_source(data.source)} has a header but no rows: "
            "the pipeline needs labelled examples"
        )
    return frame


def ingest(data: DataParams, report_path: Path | None = None) -> IngestRecord:
    """Read the source, write it to ``data.raw_path`` atomically and record what was read."""
    frame = load_source(data)
    write_csv(data.raw_path, frame)
    record = IngestRecord(
        source=display_source(data.source),
        kind=source_kind(data.source),
        rows=len(frame),
        columns=[str(name) for name in frame.columns],
        raw_sha256=file_sha256(data.raw_path),
    )
    if report_path is not None:
        write_json(report_path, asdict(record))
    return record


def read_raw(raw_path: Path) -> pd.DataFrame:
    """Read a CSV written by :func:`ingest` (or any CSV with the same columns)."""
    path = Path(raw_path)
    if not path.exists():
        raise SourceError(f"{path} not found: run the 'ingest' stage (dvc repro ingest) first")
    try:
        # copy(): pandas 3 reads each column into a block of its own, and adding one more
        # column to a frame of over 100 (a test's planted column) warns that it is fragmented.
        return pd.read_csv(path, low_memory=False).copy()
    except pd.errors.EmptyDataError as error:
        raise SourceError(f"{path} is empty: expected a header line and rows") from error
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        raise SourceError(f"{path} is not a readable CSV file: {error}") from error
