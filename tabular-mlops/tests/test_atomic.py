"""Writes are atomic: an interrupted write leaves the previous file, and no debris."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from tabular_mlops.atomic import (
    atomic_open,
    file_sha256,
    write_bytes,
    write_csv,
    write_json,
)


class SimulatedCrashError(Exception):
    """Stands in for a crash in the middle of a write."""


def _write_then_crash(target: Path) -> None:
    with atomic_open(target, "wb") as handle:
        handle.write(b"new")
        raise SimulatedCrashError


def test_interrupted_write_leaves_the_previous_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "data.bin"
    write_bytes(target, b"old")
    with pytest.raises(SimulatedCrashError):
        _write_then_crash(target)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["data.bin"]


def test_json_is_written_sorted_so_reruns_give_the_same_bytes(tmp_path: Path) -> None:
    write_json(tmp_path / "a.json", {"b": 1, "a": [1.5, None]})
    write_json(tmp_path / "b.json", {"a": [1.5, None], "b": 1})
    assert (tmp_path / "a.json").read_bytes() == (tmp_path / "b.json").read_bytes()
    assert json.loads((tmp_path / "a.json").read_text()) == {"a": [1.5, None], "b": 1}


def test_csv_is_written_without_the_index_into_a_new_folder(tmp_path: Path) -> None:
    target = tmp_path / "new" / "folder" / "rows.csv"
    write_csv(target, pd.DataFrame({"a b": [1, 2]}, index=[7, 8]))
    assert target.read_text() == "a b\n1\n2\n"


def test_file_sha256_matches_hashlib(tmp_path: Path) -> None:
    payload = b"x" * (3 << 20)  # several read chunks
    write_bytes(tmp_path / "big.bin", payload)
    assert file_sha256(tmp_path / "big.bin") == hashlib.sha256(payload).hexdigest()
