"""Ingest writes what the source holds to the raw file and records what it read (data-1)."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from tabular_mlops.atomic import file_sha256
from tabular_mlops.data.ingest import ingest, load_source, read_raw
from tabular_mlops.data.sources import SourceError


def _data(params, source, raw_path, **csv):
    return params.data.model_copy(
        update={
            "source": str(source),
            "raw_path": raw_path,
            "csv": params.data.csv.model_copy(update=csv),
        }
    )


def test_ingest_writes_the_raw_file_and_a_report_without_secrets(params, tmp_path):
    source = tmp_path / "in.csv"
    frame = pd.DataFrame({"a b": [1, 2, 3], "c": ["x", "y", "z"]})
    frame.to_csv(source, sep=";", index=False)
    raw_path = tmp_path / "raw" / "data.csv"
    record = ingest(_data(params, source, raw_path), tmp_path / "ingest.json")
    pd.testing.assert_frame_equal(read_raw(raw_path), frame)
    report = json.loads((tmp_path / "ingest.json").read_text())
    assert report == {
        "source": str(source),
        "kind": "file",
        "rows": 3,
        "columns": ["a b", "c"],
        "raw_sha256": file_sha256(raw_path),
    }
    assert record.rows == 3


def test_ingesting_the_same_data_twice_writes_the_same_bytes(params, tmp_path):
    source = tmp_path / "in.csv"
    pd.DataFrame({"x": [0.1, 0.2], "y": ["a", "b"]}).to_csv(source, index=False)
    first = ingest(_data(params, source, tmp_path / "one.csv"))
    second = ingest(_data(params, source, tmp_path / "two.csv"))
    assert first.raw_sha256 == second.raw_sha256


def test_the_configured_csv_options_are_used(params, tmp_path):
    source = tmp_path / "in.csv"
    source.write_bytes("a|b\nKöln|1\n".encode("cp1252"))
    frame = load_source(
        _data(params, source, tmp_path / "raw.csv", delimiter="|", encoding="cp1252")
    )
    assert frame.to_dict("list") == {"a": ["Köln"], "b": [1]}


def test_a_header_without_rows_is_refused(params, tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("a,b,c\n", encoding="utf-8")
    raw_path = tmp_path / "raw.csv"
    with pytest.raises(SourceError, match="has a header but no rows"):
        ingest(_data(params, source, raw_path))
    assert not raw_path.exists()


def test_a_failed_read_keeps_the_previous_raw_file(params, tmp_path):
    raw_path = tmp_path / "raw.csv"
    raw_path.write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(SourceError, match="does not exist"):
        ingest(_data(params, tmp_path / "absent.csv", raw_path))
    assert raw_path.read_text(encoding="utf-8") == "a\n1\n"


def test_reading_a_missing_or_empty_raw_file_names_the_fix(tmp_path):
    with pytest.raises(SourceError, match="run the 'ingest' stage"):
        read_raw(tmp_path / "absent.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(SourceError, match="is empty"):
        read_raw(tmp_path / "empty.csv")


def test_the_configured_source_ingests(raw_frame, params):
    """The project's own source: readable, with every column params.yaml names."""
    assert len(raw_frame) > 0
    for name in [*params.data.features.input_columns, params.data.target]:
        assert name in raw_frame.columns, name


def test_a_wide_raw_file_takes_one_more_column_without_a_warning(tmp_path):
    # pandas 3 reads each column of a CSV into a block of its own; a column added to a frame
    # of 132 (a test planting one) warned that it was fragmented, an error under pytest's
    # filterwarnings (a real dataset of protein levels did this).
    path = tmp_path / "wide.csv"
    pd.DataFrame({f"protein_{i}": [0.5 * i, 1.0] for i in range(132)}).to_csv(path, index=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read_raw(path).assign(planted=1)
    assert not [w for w in caught if issubclass(w.category, pd.errors.PerformanceWarning)]
