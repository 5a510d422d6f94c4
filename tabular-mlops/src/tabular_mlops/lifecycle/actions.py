"""What the gate and the registry commands do: check the gate, register, promote, roll back
and restore a model version.

Each action checks its preconditions first and raises :class:`RegistryError` (or, for what
the pipeline has not made yet, :class:`StageError`) naming what is wrong and what to do,
before any tag is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tabular_mlops.config import Params
from tabular_mlops.lifecycle.git import has_commits

from ..errors import StageError
from ..modeling.gate import GateResult, ProductionReference, check_gate
from ..modeling.registry import load_metadata
from . import registry
from .registry import PRODUCTION, Assignment, RegistryError
from .restore import restore


def production_reference(params: Params, root: Path) -> ProductionReference | None:
    """The version in production and the test metrics committed with it, if any.

    Outside a Git repository (e.g. a test's scratch folder) nothing can be in production.
    """
    if not has_commits(root):
        return None
    name = registry.artifact_name(root)
    serving = registry.current(root, name, PRODUCTION)
    if serving is None:
        return None
    source = f"{params.evaluate.metrics_path} at {name} {serving.version} ({serving.commit[:12]})"
    try:
        metrics = registry.metrics_at(root, serving.commit, params.evaluate.metrics_path)
    except RegistryError as error:
        raise RegistryError(
            f"{name} {serving.version} is in {PRODUCTION}, but its commit has no "
            f"{params.evaluate.metrics_path}: {error}"
        ) from error
    return ProductionReference(serving.version, metrics, source)


def gate(params: Params, root: Path) -> GateResult:
    """The gate against the version in production (see modeling/gate.py).

    A :class:`StageError` when the test metrics are missing or lack ``gate.metric``.
    """
    try:
        return check_gate(params, production_reference(params, root))
    except FileNotFoundError as error:
        raise StageError(
            f"{error.filename} not found: run the pipeline up to 'evaluate' (dvc repro evaluate)"
        ) from error
    except KeyError as error:  # gate.metric names a metric that evaluate does not compute
        raise StageError(str(error.args[0])) from error


def passing_gate(params: Params, root: Path) -> GateResult:
    """The ``gate`` stage: the gate's result if the model passes it, else a StageError."""
    result = gate(params, root)
    if not result.passed:
        raise StageError("model gate failed:\n  - " + "\n  - ".join(result.reasons))
    return result


def _pipeline_is_committed(params: Params, root: Path) -> None:
    """The model on disk is the one dvc.lock records at HEAD, and that is committed."""
    from dvc.repo import Repo  # imported here: it takes a second

    with Repo(str(root)) as repo:
        changed = repo.status(targets=["train", "evaluate"])
    if changed:
        raise RegistryError(
            "the model or its metrics differ from dvc.lock "
            f"({', '.join(sorted(changed))} changed): run `dvc repro`, then commit dvc.lock"
        )
    recorded = [Path("dvc.lock"), Path("params.yaml"), params.evaluate.metrics_path]
    dirty = registry.uncommitted(root, recorded)
    if dirty:
        raise RegistryError(
            f"commit {', '.join(dirty)} first: a version is a commit, and this one would not "
            "hold the model being registered"
        )


@dataclass(frozen=True)
class Registered:
    name: str
    version: registry.Version
    gate: GateResult


def register(params: Params, root: Path, version: str | None, bump: str) -> Registered:
    """Register the committed model as a new version, if it passes the gate.

    The gate first: a missing metric is named before anything about the registry.
    """
    result = gate(params, root)
    if not result.passed:
        raise RegistryError(
            "the model does not pass the gate:\n  - " + "\n  - ".join(result.reasons)
        )
    name = registry.artifact_name(root)
    if not has_commits(root):
        raise RegistryError("the repository has no commit yet: commit the project first")
    _pipeline_is_committed(params, root)
    known = registry.versions(root, name)
    head = registry.head_commit(root)
    already = [found.version for found in known.values() if found.commit == head]
    if already:
        raise RegistryError(f"this commit is already {name} {already[0]}")
    chosen = (
        registry.check_version(version) if version else registry.next_version(list(known), bump)
    )
    if chosen in known:
        raise RegistryError(
            f"{name} {chosen} is already registered (at {known[chosen].commit[:12]})"
        )
    sha256 = str(load_metadata(root / params.train.model_path)["sha256"])
    summary = f"{result.metric}={result.model:.6g}"
    return Registered(
        name, registry.register(root, name, version=chosen, sha256=sha256, summary=summary), result
    )


def promote(root: Path, stage: str, version: str | None) -> Assignment:
    """Assign ``stage`` to ``version`` (by default the latest registered version)."""
    name = registry.artifact_name(root)
    known = registry.versions(root, name)
    if not known:
        raise RegistryError(f"no version of {name} is registered: run `register` first")
    chosen = version or list(known)[-1]
    serving = registry.current(root, name, stage)
    if serving is not None and serving.version == chosen:
        raise RegistryError(f"{name} {chosen} is already in {stage}")
    return registry.assign(root, name, stage, chosen)


def restore_version(params: Params, root: Path, version: str) -> Path:
    """Restore ``version``'s verified model into ``registry.restore_dir``/<version>/."""
    name = registry.artifact_name(root)
    known = registry.versions(root, name)
    if version not in known:
        raise RegistryError(
            f"{name} {version} is not registered; registered: {', '.join(known) or 'none'}"
        )
    destination = root / params.registry.restore_dir / version
    return restore(root, name, known[version], params.train.model_path, destination)


def rollback(params: Params, root: Path, to: str | None) -> tuple[Assignment, Path]:
    """Put the previous (or ``to``) version back in production and restore its model.

    The model is restored and verified first: a version whose model cannot be brought
    back is never assigned.
    """
    name = registry.artifact_name(root)
    target = registry.rollback_target(root, name, to)
    restored = restore_version(params, root, target)
    return registry.assign(root, name, PRODUCTION, target), restored
