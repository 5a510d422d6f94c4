"""Models are only loaded when their recorded digest matches (the basis of a safe rollback)."""

from __future__ import annotations

import json
import subprocess
import sys
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


# Trains the same small pipeline (a ColumnTransformer among its steps) in a new process and
# prints the SHA-256 of the library's model bytes and of a plain pickle. Given a model file,
# the process first unpickles it (its first ColumnTransformer is then an unpickled one);
# otherwise it writes its model there.
_TRAIN = """
import hashlib, pickle, sys
from pathlib import Path
import pandas as pd
from tabular_mlops.modeling.registry import model_bytes

path, load_first = Path(sys.argv[1]), sys.argv[2] == "load-first"
if load_first:
    pickle.loads(path.read_bytes())
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

frame = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
columns = ColumnTransformer([("numeric", StandardScaler(), ["a", "b"])])
model = Pipeline([("columns", columns), ("model", LogisticRegression())])
model.fit(frame, ["x", "y", "x", "y"])
if not load_first:
    path.write_bytes(pickle.dumps(model, 5))
for payload in (model_bytes(model), pickle.dumps(model, 5)):
    print(hashlib.sha256(payload).hexdigest())
"""


def test_a_model_pickles_to_the_same_bytes_whatever_the_process_loaded_before(
    tmp_path: Path,
) -> None:
    """The reproducibility check (infra-1) compares model bytes of runs in processes with
    different histories: after unpickling a model, a plain pickle of a new one differs."""
    model = tmp_path / "model.pkl"
    runs = [
        subprocess.run(  # noqa: S603 - this interpreter, this test's own script
            [sys.executable, "-c", _TRAIN, str(model), history],
            check=True, capture_output=True, text=True,
        ).stdout.split()
        for history in ("fresh", "load-first")
    ]  # fmt: skip
    (fresh, plain_fresh), (after, plain_after) = runs
    assert plain_fresh != plain_after  # what a plain pickle does: the history shows
    assert fresh == after
