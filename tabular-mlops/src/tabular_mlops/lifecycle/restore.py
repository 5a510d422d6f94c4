"""Bring back the model files of a registered version and verify them before use.

DVC reads the files from the version's commit (from the local cache, or the DVC remote when
they are not cached here). The model is accepted only when its SHA-256 equals both the digest
recorded in the registration tag and the one in its metadata file; only then is the folder
moved into place, so a failed restore leaves nothing half-written behind.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from tabular_mlops.atomic import write_json
from tabular_mlops.lifecycle.git import repository_and_prefix

from ..modeling.registry import (
    REGISTRY_FILE,
    ModelIntegrityError,
    load_verified_model,
    metadata_path,
    sha256_of,
)
from .registry import RegistryError, Version


def restore(root: Path, name: str, version: Version, model_path: Path, destination: Path) -> Path:
    """Write ``version``'s model files into ``destination`` (a folder) and verify them.

    ``model_path`` is the model's path relative to ``root`` (``train.model_path``).
    """
    import dvc.api  # imported here: it takes a second and only this command needs it

    files = [model_path, metadata_path(model_path)]
    repository, prefix = repository_and_prefix(root)
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=destination.parent))
    try:
        for path in files:
            try:
                with dvc.api.open(
                    prefix + path.as_posix(), repo=str(repository), rev=version.commit, mode="rb"
                ) as f:
                    (staging / path.name).write_bytes(f.read())
            except Exception as error:  # DVC raises many kinds; all mean "not available"
                raise RegistryError(
                    f"cannot read {path} of {name} {version.version} (commit "
                    f"{version.commit[:12]}) from DVC: {error}. Run `dvc pull` or check "
                    "the DVC remote"
                ) from error
        restored = staging / model_path.name
        actual = sha256_of(restored.read_bytes())
        if version.sha256 is None:
            raise RegistryError(f"{name} {version.version} was registered without a SHA-256")
        if actual != version.sha256:
            raise ModelIntegrityError(
                f"{name} {version.version}: the restored model has SHA-256 {actual}, but "
                f"the registry recorded {version.sha256}; refusing it"
            )
        load_verified_model(restored)  # the digest in its metadata must agree too
        write_json(
            staging / REGISTRY_FILE,
            {"artifact": name, "version": version.version, "commit": version.commit},
        )
        if destination.exists():
            shutil.rmtree(destination)
        staging.rename(destination)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return destination / model_path.name
