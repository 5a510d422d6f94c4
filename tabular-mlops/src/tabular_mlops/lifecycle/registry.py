"""The model registry: Git tags written and read by GTO, the registry that ships with DVC.

A version is an annotated tag ``<artifact>@v1.2.0`` on the commit whose ``dvc.lock`` holds
that model; assigning a stage is another tag, ``<artifact>#prod#3``, on the same commit (the
number counts assignments, so the latest assignment to a stage is the current one). The
artifact's name is the one declared under ``artifacts:`` in ``dvc.yaml``. The registry holds
no copy of anything: the model's bytes stay in DVC, its test metrics in Git at the version's
commit, and its SHA-256 in the registration tag's message, to verify a restored model.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import semver

from tabular_mlops.lifecycle.git import GitError, git, has_commits

from .. import safe_yaml
from ..errors import ProjectError

STAGES = ("staging", "prod")
PRODUCTION = "prod"
SHA256_NOTE = re.compile(r"sha256=([0-9a-f]{64})")
ASSIGNMENT_NUMBER = re.compile(r"#(\d+)$")
VERSION = re.compile(r"v\d+\.\d+\.\d+")


class RegistryError(ProjectError, RuntimeError):
    """A registry action cannot be done; the message says why and what to do."""


@dataclass(frozen=True)
class Version:
    """A registered model version."""

    version: str
    commit: str
    created_at: datetime
    sha256: str | None  # recorded when it was registered


@dataclass(frozen=True)
class Assignment:
    """One assignment of a stage to a version (a ``<artifact>#<stage>#<n>`` tag)."""

    version: str
    stage: str
    commit: str
    created_at: datetime
    tag: str
    number: int


def artifact_name(root: Path) -> str:
    """The model's name in the registry: its key under ``artifacts:`` in ``dvc.yaml``."""
    try:
        pipeline = safe_yaml.safe_load((root / "dvc.yaml").read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise RegistryError(f"no dvc.yaml in {root}: run this in the project's folder") from error
    declared = pipeline.get("artifacts")
    models = [name for name, spec in (declared or {}).items() if spec.get("type") == "model"]
    if len(models) != 1:
        raise RegistryError(
            f"dvc.yaml must declare exactly one artifact of type 'model' under 'artifacts:', "
            f"found {models or 'none'}"
        )
    return str(models[0])


def head_commit(root: Path) -> str:
    return git(root, "rev-parse", "HEAD").strip()


def _history(root: Path, name: str) -> list[dict[str, Any]]:
    if not has_commits(root):
        return []
    import gto.api  # imported here: it loads DVC's Git machinery

    return [dict(event) for event in gto.api.history(str(root), name, ascending=True)]


def semver_key(version: str) -> semver.Version:
    """``v1.10.0`` as a SemVer, to order versions by number (v1.10.0 after v1.9.0)."""
    return semver.Version.parse(version.removeprefix("v"))


def versions(root: Path, name: str) -> dict[str, Version]:
    """The registered versions, lowest first."""
    found = {}
    for event in _history(root, name):
        if event["event"] == "registration":
            note = SHA256_NOTE.search(event.get("message") or "")
            found[event["version"]] = Version(
                event["version"], event["commit"], event["timestamp"], note and note.group(1)
            )
    return {version: found[version] for version in sorted(found, key=semver_key)}


def _stage_events(root: Path, name: str, stage: str, kinds: set[str]) -> list[Assignment]:
    found = []
    for event in _history(root, name):
        number = ASSIGNMENT_NUMBER.search(event["ref"])
        if event["event"] in kinds and event["stage"] == stage and number:
            found.append(
                Assignment(
                    event["version"],
                    stage,
                    event["commit"],
                    event["timestamp"],
                    event["ref"],
                    int(number.group(1)),
                )
            )
    return sorted(found, key=lambda assignment: assignment.number)


def assignments(root: Path, name: str, stage: str) -> list[Assignment]:
    """Every assignment of ``stage``, in the order they were made."""
    return _stage_events(root, name, stage, {"assignment"})


def current(root: Path, name: str, stage: str) -> Assignment | None:
    """The version the latest assignment of ``stage`` points at; None when there is none,
    or when the stage was taken away since (``gto deprecate <name> <version> <stage>``)."""
    events = _stage_events(root, name, stage, {"assignment", "unassignment"})
    return events[-1] if events and "!" not in events[-1].tag else None


@dataclass(frozen=True)
class Listing:
    """The registered versions of ``artifact``: per version its commit, when it was
    registered, its SHA-256 and the stages it holds (the ``registry`` command)."""

    artifact: str
    versions: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"artifact": self.artifact, "versions": self.versions}

    def format_table(self) -> str:
        """One line per version, or a hint when none is registered."""
        if not self.versions:
            return f"no version of {self.artifact} is registered yet: see `register --help`"
        return "\n".join(
            f"{self.artifact} {row['version']:<10} {row['commit'][:12]}  {row['registered']}  "
            f"{', '.join(row['stages']) or '-'}"
            for row in self.versions
        )


def list_versions(root: Path) -> Listing:
    """Every registered version of the project's model and the stages it holds."""
    name = artifact_name(root)
    holders = {stage: current(root, name, stage) for stage in STAGES}
    return Listing(
        name,
        [
            {
                "version": key,
                "commit": version.commit,
                "registered": version.created_at.isoformat(),
                "sha256": version.sha256,
                "stages": [s for s, held in holders.items() if held and held.version == key],
            }
            for key, version in versions(root, name).items()
        ],
    )


def metrics_at(root: Path, commit: str, metrics_path: Path) -> dict[str, Any]:
    """The test metrics committed at ``commit`` (those recorded with a version)."""
    try:
        # ./ makes the path relative to the project, which may be a subfolder of the repository
        text = git(root, "show", f"{commit}:./{metrics_path.as_posix()}")
    except GitError as error:
        raise RegistryError(str(error)) from error
    metrics: dict[str, Any] = json.loads(text)
    return metrics


def next_version(existing: list[str], bump: str) -> str:
    """The version after the highest of ``existing`` (``bump``: major, minor or patch);
    v1.0.0 when there is none."""
    if not existing:
        return "v1.0.0"
    highest = max(semver_key(version) for version in existing)
    bumped: semver.Version = getattr(highest, f"bump_{bump}")()
    return f"v{bumped}"


def uncommitted(root: Path, paths: list[Path]) -> list[str]:
    """Which of ``paths`` differ from the last commit (or are untracked)."""
    status = git(root, "status", "--porcelain", "--", *(path.as_posix() for path in paths))
    return [line[3:] for line in status.splitlines() if line.strip()]


def check_version(version: str) -> str:
    """``version`` if it is written as GTO's versions are (v1.2.0), else a clear error."""
    if not VERSION.fullmatch(version):
        raise RegistryError(f"version '{version}': write it as vMAJOR.MINOR.PATCH, e.g. v1.2.0")
    return version


def register(root: Path, name: str, *, version: str, sha256: str, summary: str) -> Version:
    """Tag ``HEAD`` as ``version`` of ``name``, recording the model's digest in the tag."""
    import gto.api
    import gto.exceptions

    message = f"Register {name} {check_version(version)}: sha256={sha256} {summary}"
    try:
        gto.api.register(str(root), name, ref="HEAD", version=version, message=message)
    except gto.exceptions.GTOException as error:  # e.g. no Git identity to sign the tag
        raise RegistryError(f"GTO could not register {name} {version}: {error}") from error
    return versions(root, name)[version]


def assign(root: Path, name: str, stage: str, version: str) -> Assignment:
    """Assign ``stage`` to ``version`` (again, if it held the stage before)."""
    import gto.api
    import gto.exceptions

    if stage not in STAGES:
        raise RegistryError(f"unknown stage '{stage}': use one of {', '.join(STAGES)}")
    known = versions(root, name)
    if version not in known:
        raise RegistryError(
            f"{name} {version} is not registered; registered: {', '.join(known) or 'none'}"
        )
    # force: a version that held the stage before may hold it again (a rollback).
    try:
        gto.api.assign(
            str(root),
            name,
            stage,
            version=version,
            force=True,
            message=f"Assign {stage} to {name} {version}",
        )
    except gto.exceptions.GTOException as error:
        raise RegistryError(f"GTO could not assign {stage} to {name} {version}: {error}") from error
    assigned = current(root, name, stage)
    if assigned is None or assigned.version != version:
        raise RegistryError(f"GTO did not record {stage} for {name} {version}")
    return assigned


def rollback_target(root: Path, name: str, to: str | None = None) -> str:
    """The version a rollback of production returns to: ``to``, else the previous one."""
    history = assignments(root, name, PRODUCTION)
    if not history:
        raise RegistryError(f"no version of {name} was ever in {PRODUCTION}: nothing to roll back")
    serving = history[-1].version
    if to is not None:
        if to == serving:
            raise RegistryError(f"{name} {to} is already in {PRODUCTION}")
        if to not in versions(root, name):
            raise RegistryError(f"{name} {to} is not registered")
        return to
    earlier = [made.version for made in reversed(history) if made.version != serving]
    if not earlier:
        raise RegistryError(
            f"{name} {serving} is the only version that was ever in {PRODUCTION}: "
            "there is no earlier version to roll back to"
        )
    return earlier[0]
