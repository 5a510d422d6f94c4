"""The commands over the model registry (Git tags): register, promote, list, restore and roll
back a version, and the delivery metrics read from its history."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from tabular_mlops import DEFAULT_PARAMS_PATH

from .options import JsonOption, OptionError, ParamsOption, VersionOption, load_params


def register_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    version: VersionOption = None,
    bump: Annotated[
        str, typer.Option(help="Without --version: which part to raise (major, minor, patch).")
    ] = "minor",
) -> None:
    """Register the committed model as a new version in the registry (it must pass the gate)."""
    params = load_params(params_path)
    if bump not in ("major", "minor", "patch"):
        raise OptionError(f"--bump {bump}: use major, minor or patch")
    from tabular_mlops.lifecycle.actions import register

    registered = register(params, Path.cwd(), version, bump)
    name, found = registered.name, registered.version
    typer.echo(
        f"registered {name} {found.version} (commit {found.commit[:12]}, "
        f"{registered.gate.metric}={registered.gate.model:.4f}); push the tag: "
        f"git push origin {name}@{found.version}"
    )


def promote_command(
    stage: Annotated[str, typer.Option("--stage", help="staging or prod.")] = "prod",
    version: VersionOption = None,
) -> None:
    """Assign a stage to a registered version (default: the latest); prod is what CD deploys."""
    from tabular_mlops.lifecycle.actions import promote
    from tabular_mlops.lifecycle.registry import artifact_name

    assigned = promote(Path.cwd(), stage, version)
    typer.echo(
        f"{artifact_name(Path.cwd())} {assigned.version} is now in {stage} ({assigned.tag}); "
        f"push the tag to deploy it: git push origin '{assigned.tag}'"
    )


def registry_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the registered versions and which stage each holds."""
    from tabular_mlops.lifecycle.registry import list_versions

    listing = list_versions(Path.cwd())
    typer.echo(json.dumps(listing.to_dict(), indent=2) if as_json else listing.format_table())


def restore_command(
    version: Annotated[str, typer.Argument(help="A registered version, e.g. v1.2.0.")],
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
) -> None:
    """Bring back a version's model from DVC into registry.restore_dir and verify it."""
    params = load_params(params_path)
    from tabular_mlops.lifecycle.actions import restore_version

    model_path = restore_version(params, Path.cwd(), version)
    typer.echo(f"restored and verified {model_path}; serve it: {_serve_hint()} {model_path.parent}")


def rollback_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    to: Annotated[
        str | None, typer.Option("--to", help="The version to return to [default: the previous].")
    ] = None,
) -> None:
    """Put the previous production version back in prod (CD deploys it once the tag is pushed)."""
    params = load_params(params_path)
    from tabular_mlops.lifecycle.actions import rollback
    from tabular_mlops.lifecycle.registry import artifact_name

    assigned, model_path = rollback(params, Path.cwd(), to)
    typer.echo(
        f"{artifact_name(Path.cwd())} {assigned.version} is in prod again ({assigned.tag}); "
        f"its model is verified in {model_path.parent}.\n"
        f"Deploy it: git push origin '{assigned.tag}'. Serve it here: "
        f"{_serve_hint()} {model_path.parent}"
    )


def _serve_hint() -> str:
    from tabular_mlops.project import command_name

    return f"{command_name()} serve --model-dir"


def delivery_metrics_command(
    as_json: JsonOption = False,
    since: Annotated[
        str | None,
        typer.Option(
            help="Measure from this date (YYYY-MM-DD, or ISO 8601 with a time; UTC unless "
            "it has an offset) [default: the first production assignment]."
        ),
    ] = None,
) -> None:
    """Deployment frequency, lead time, change failure rate and time to restore (DORA)."""
    from tabular_mlops.lifecycle.delivery import delivery_metrics, format_table
    from tabular_mlops.lifecycle.registry import artifact_name

    start = None if since is None else _moment(since)
    root = Path.cwd()
    report = delivery_metrics(root, artifact_name(root), since=start)
    typer.echo(json.dumps(report.to_dict(), indent=2) if as_json else format_table(report))


def _moment(since: str) -> datetime:
    """--since as a time, in UTC unless it has an offset."""
    try:
        start = datetime.fromisoformat(since)
    except ValueError:
        raise OptionError(
            f"--since '{since}' is not a date: use YYYY-MM-DD or e.g. 2024-05-01T12:00+02:00"
        ) from None
    return start if start.tzinfo else start.replace(tzinfo=UTC)
