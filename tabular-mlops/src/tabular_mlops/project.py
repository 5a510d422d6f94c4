"""What a project adds to the library: its candidate estimators and its derived features.

A generated project declares both in its ``pyproject.toml``, as entry points of the group
``tabular_mlops.project``::

    [project.entry-points."tabular_mlops.project"]
    estimators = "<package>.modeling.estimators:ESTIMATORS"  # the candidates, a mapping
    derived_features = "<package>.features.derived"  # importing it registers the features

The library loads them the first time it needs them, in whatever process asks (a stage, the
server, a notebook that unpickles a model), so every process computes a model's derived
features and knows its candidates the same way, without importing the project by name.
"""

from __future__ import annotations

import functools
from importlib.metadata import Distribution, entry_points
from typing import Any

from .errors import ProjectError

GROUP = "tabular_mlops.project"


class ProjectDeclarationError(ProjectError, LookupError):
    """The installed project declares nothing (or something unusable) for the library."""


@functools.cache
def declared(name: str) -> tuple[Any, ...]:
    """The objects the installed projects declare under ``name`` (usually one project)."""
    return tuple(point.load() for point in entry_points(group=GROUP, name=name))


def project_package() -> str:
    """The import name of the installed project (whose ``python -m <package>`` is its
    command), read from its declarations without importing it."""
    points = entry_points(group=GROUP)
    if not points:
        raise ProjectDeclarationError(
            f"no project is installed: a generated project declares itself under "
            f'[project.entry-points."{GROUP}"] in its pyproject.toml (run `uv sync`)'
        )
    return sorted(point.value for point in points)[0].split(".")[0].split(":")[0]


def project_distribution() -> Distribution | None:
    """The installed distribution that declares the project (its name, version, summary and
    command), or None when no project is installed (the library's own tests)."""
    points = sorted(entry_points(group=GROUP), key=lambda point: point.value)
    return points[0].dist if points else None


def version_and_summary() -> tuple[str, str]:
    """The installed project's version and one-line description (its pyproject.toml's), as the
    API's metadata and documentation show them; the library's own outside a project."""
    distribution = project_distribution()
    if distribution is None:
        from importlib.metadata import distribution as named

        distribution = named("tabular-mlops")
    return distribution.version, str(distribution.metadata.json.get("summary", ""))


def command_name() -> str:
    """The project's command (its console script, the slug), as help and hints name it."""
    distribution = project_distribution()
    if distribution is not None:
        scripts = [p.name for p in distribution.entry_points if p.group == "console_scripts"]
        if scripts:
            return sorted(scripts)[0]
    return "python -m " + project_package() if distribution is not None else "tabular-mlops"


def load_derived_features() -> None:
    """Import the modules whose ``@register`` decorators fill the derived-feature registry."""
    declared("derived_features")


def declared_estimators() -> dict[tuple[str, str], Any]:
    """The candidate estimators, ``(problem type, name) -> estimator class``."""
    merged: dict[tuple[str, str], Any] = {}
    for mapping in declared("estimators"):
        merged.update(mapping)
    if not merged:
        raise ProjectDeclarationError(
            f"no candidate estimators are declared: the project's pyproject.toml names them "
            f'under [project.entry-points."{GROUP}"] estimators = '
            '"<package>.modeling.estimators:ESTIMATORS" (run `uv sync` after changing it)'
        )
    return merged
