"""Models are only loaded when their recorded digest matches (the basis of a safe rollback)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sklearn.dummy import DummyClassifier

from tabular_mlops.modeling.registry import (
    ModelIntegrityError,
    load_metadata,
    load_model,
    metadata_path,
    model_version,
    save_model,
)


def _saved(tmp_path: Path) -> tuple[Path, str]:
    model = DummyClassifier().fit([[0], [1]], ["a", "b"])
    path = tmp_path / "model.pkl"
    digest = save_model(model, path, {"estimator": "dummy"})
    return path, digest


def test_saved_model_loads_and_records_its_digest(tmp_path: Path) -> None:
    path, digest = _saved(tmp_path)
    assert json.loads(metadata_path(path).read_text())["sha256"] == digest
    assert load_model(path).predict([[0]]).tolist() in (["a"], ["b"])


def test_model_version_is_the_start_of_the_recorded_digest(tmp_path: Path) -> None:
    path, digest = _saved(tmp_path)
    assert model_version(load_metadata(path)) == digest[:12]
    assert model_version({}) == ""


def test_tampered_model_is_refused(tmp_path: Path) -> None:
    path, _ = _saved(tmp_path)
    path.write_bytes(path.read_bytes() + b"extra")
    with pytest.raises(ModelIntegrityError, match="refusing to load"):
        load_model(path)


def test_missing_model_or_metadata_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelIntegrityError, match="not found"):
        load_model(tmp_path / "absent.pkl")
    path, _ = _saved(tmp_path)
    metadata_path(path).unlink()
    with pytest.raises(ModelIntegrityError, match="no metadata"):
        load_model(path)
