"""The software environment a process runs in: Python's version and the installed versions of
the project's runtime dependencies.

Training records it in the model's metadata and the server writes it beside its prediction
logs, so that the monitor can tell when the model serves under other library versions than
the ones it was trained with (a new NumPy or scikit-learn can change what a pickled model
computes). The dependency list is read from the installed project's metadata (its
Requires-Dist, which pyproject.toml writes), followed transitively: NumPy and SciPy matter to a
model as much as scikit-learn does, yet they are not direct dependencies.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
from typing import Any

from .project import project_distribution

# The name that starts a requirement: "scikit-learn>=1.5; python_version >= '3.11'" -> scikit-learn
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
# A requirement that only applies to one of a package's extras ("...; extra == 'test'").
_EXTRA_ONLY = re.compile(r";.*\bextra\s*==")


def normalize_name(name: str) -> str:
    """A distribution name in its canonical form (PEP 503): "Scikit_Learn" -> "scikit-learn"."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(distribution: importlib.metadata.Distribution) -> list[str]:
    """The names a distribution requires, leaving out those needed only by its extras."""
    names = []
    for requirement in distribution.requires or []:
        match = _REQUIREMENT_NAME.match(requirement)
        if match and not _EXTRA_ONLY.search(requirement):
            names.append(normalize_name(match.group(1)))
    return names


def dependency_versions(root: str | None = None) -> dict[str, str]:
    """Installed versions of everything ``root`` requires, directly or not, by canonical name.

    ``root`` is by default the installed project (the distribution that declares it).

    A requirement that is not installed (its environment marker excludes this platform, such as
    uvloop on Windows) is left out: there is no version to compare.
    """
    versions: dict[str, str] = {}
    try:
        distribution = (
            importlib.metadata.distribution(root) if root is not None else project_distribution()
        )
    except importlib.metadata.PackageNotFoundError:
        distribution = None
    if distribution is None:
        return versions  # running from a source tree that was never installed
    pending = _requirements(distribution)
    while pending:
        name = pending.pop()
        if name in versions:
            continue
        try:
            required = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue
        versions[name] = required.version
        pending.extend(_requirements(required))
    return dict(sorted(versions.items()))


def runtime_environment() -> dict[str, Any]:
    """``{"python": "3.11.7", "packages": {"numpy": "2.1.3", ...}}`` for this process."""
    return {"python": platform.python_version(), "packages": dependency_versions()}
