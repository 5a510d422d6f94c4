"""Save and load models with an integrity check.

A model is a pickle, and unpickling runs code, so a model file is only loaded when its
SHA-256 matches the digest that training recorded in the metadata file beside it. A
missing, truncated or swapped file is refused with :class:`ModelIntegrityError`.
"""

from __future__ import annotations

import copyreg
import hashlib
import io
import json
import pickle
import sys
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tabular_mlops.atomic import write_bytes, write_json

from ..errors import ProjectError

PICKLE_PROTOCOL = 5
# Beside a model restored from the model registry: which registered version it is.
REGISTRY_FILE = "registry.json"


class ModelIntegrityError(ProjectError, RuntimeError):
    """The model file is missing, or does not match the digest recorded at training time."""


def metadata_path(model_path: Path) -> Path:
    """Where the metadata of ``model_path`` lives (``model.pkl`` -> ``model.meta.json``)."""
    return model_path.with_suffix(".meta.json")


def model_version(metadata: Mapping[str, Any]) -> str:
    """The model's content version: the first 12 hex digits of its SHA-256, "" if unknown.

    The API reports it beside the registry version (v1.2.0, see lifecycle/registry.py); the
    CI and CD workflows compute the same ``model-<version>`` in shell from ``sha256`` in the
    metadata file, to tag the image of a build that is not a registry version.
    """
    return str(metadata.get("sha256") or "")[:12]


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# What the pickler below writes by reference, never through its state.
_NOT_INSTANCES = (
    type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.ModuleType,
)  # fmt: skip


class _HistoryFreePickler(pickle.Pickler):
    """Pickles a model to the same bytes whatever the process did before.

    pickle writes a string once and refers back to it wherever the same object recurs, so
    the bytes depend on which equal strings are one object. Attribute names are not always
    the interned ones: instances of a class share one table of attribute names, made by the
    first instance of the process, and one made by unpickling holds copies. A model trained
    after another was loaded then pickled to other bytes (seen in the reproducibility
    check, infra-1). Each object's attribute names are written as the interned strings.
    """

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _NOT_INSTANCES) or type(obj) in copyreg.dispatch_table:
            return NotImplemented
        if not isinstance(getattr(obj, "__dict__", None), dict):
            return NotImplemented
        reduced = obj.__reduce_ex__(PICKLE_PROTOCOL)
        if not isinstance(reduced, tuple) or len(reduced) < 3 or type(reduced[2]) is not dict:
            return NotImplemented
        state = {sys.intern(k) if type(k) is str else k: v for k, v in reduced[2].items()}
        return (*reduced[:2], state, *reduced[3:])


def model_bytes(model: Any) -> bytes:
    """The pickle of ``model``, the same for the same model in any process."""
    buffer = io.BytesIO()
    _HistoryFreePickler(buffer, protocol=PICKLE_PROTOCOL).dump(model)
    return buffer.getvalue()


def save_model(model: Any, model_path: Path, metadata: dict[str, Any]) -> str:
    """Write the model and its metadata atomically; return the model's SHA-256."""
    payload = model_bytes(model)
    digest = sha256_of(payload)
    write_bytes(model_path, payload)
    write_json(metadata_path(model_path), {**metadata, "sha256": digest})
    return digest


def load_metadata(model_path: Path) -> dict[str, Any]:
    """Read the metadata written by :func:`save_model`."""
    meta_file = metadata_path(model_path)
    if not meta_file.exists():
        raise ModelIntegrityError(f"no metadata {meta_file} for model {model_path}: retrain it")
    metadata: dict[str, Any] = json.loads(meta_file.read_text(encoding="utf-8"))
    return metadata


def load_model(model_path: Path) -> Any:
    """Load a model after checking its SHA-256 against the recorded digest."""
    model, _ = load_verified_model(model_path)
    return model


def load_verified_model(model_path: Path) -> tuple[Any, dict[str, Any]]:
    """Load a model and the metadata whose digest it was checked against."""
    if not model_path.exists():
        raise ModelIntegrityError(f"model {model_path} not found: run the pipeline (dvc repro)")
    metadata = load_metadata(model_path)
    expected = metadata.get("sha256")
    payload = model_path.read_bytes()
    actual = sha256_of(payload)
    if actual != expected:
        raise ModelIntegrityError(
            f"model {model_path} has SHA-256 {actual}, but training recorded {expected}: "
            "the file is corrupt or was replaced; refusing to load it"
        )
    return pickle.loads(payload), metadata  # noqa: S301 - digest verified above
