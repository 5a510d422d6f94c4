"""What the commands share: their common options, loading the parameters file, and the
error for a command line that contradicts itself."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..errors import ProjectError

if TYPE_CHECKING:
    from tabular_mlops.config import Params

ParamsOption = Annotated[
    Path, typer.Option("--params", help="Path of the parameters file.", show_default=True)
]
VersionOption = Annotated[
    str | None, typer.Option("--version", help="A registered version, e.g. v1.2.0.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


class OptionError(ProjectError):
    """An option's value that the command does not accept, or options that exclude each
    other. Exit status 1, as the commands always gave (not click's 2 for its usage errors)."""


def load_params(path: Path) -> Params:
    """The parameters file, checked; a ParamsError exits 2 (ProjectError.exit_code)."""
    from tabular_mlops.config import load_params as read_params  # pydantic: not for --help

    return read_params(path)
