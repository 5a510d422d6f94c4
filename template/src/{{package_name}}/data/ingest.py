"""Ingest: copy the configured data source into ``data/raw`` as CSV.

The default source, ``palmerpenguins``, ships inside an installed package, so the pipeline
runs with no network. Any other value is read with ``pandas.read_csv`` (a path or a URL).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ..atomic import write_csv

PACKAGED_SOURCES = ("palmerpenguins",)


def load_source(source: str) -> pd.DataFrame:
    """Return the raw data frame for ``source``."""
    if source == "palmerpenguins":
        from palmerpenguins import load_penguins

        return load_penguins()
    if "://" not in source and not Path(source).exists():
        raise FileNotFoundError(
            f"data source '{source}' is neither a packaged dataset "
            f"({', '.join(PACKAGED_SOURCES)}) nor an existing CSV file or URL"
        )
    return pd.read_csv(source)


def ingest(source: str, raw_path: Path) -> pd.DataFrame:
    """Load ``source`` and write it to ``raw_path`` atomically."""
    frame = load_source(source)
    write_csv(raw_path, frame)
    return frame


def read_raw(raw_path: Path) -> pd.DataFrame:
    """Read the raw CSV written by :func:`ingest`."""
    return pd.read_csv(raw_path)
