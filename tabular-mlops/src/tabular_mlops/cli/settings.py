"""The commands over the project's settings: adopt a data set, check params.yaml, show it."""

from __future__ import annotations

from typing import Annotated

import typer

from tabular_mlops import DEFAULT_PARAMS_PATH

from .options import OptionError, ParamsOption, load_params

PROBLEM_TYPES = ("infer", "classification", "regression")


def adopt_command(
    source: Annotated[
        str | None,
        typer.Argument(
            help="CSV or Parquet file, http(s) URL, database URL or packaged dataset "
            "[default: data.source]."
        ),
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="Column to predict [default: data.target].")
    ] = None,
    query: Annotated[
        str | None, typer.Option(help="SQL query, for a database URL [default: data.query].")
    ] = None,
    problem_type: Annotated[
        str,
        typer.Option(help="classification, regression, or infer it from the target."),
    ] = "infer",
    exclude: Annotated[
        list[str] | None, typer.Option(help="Never use this column as a feature (repeatable).")
    ] = None,
    keep: Annotated[
        list[str] | None,
        typer.Option(help="Use this column even if a rule (a suspected leak...) leaves it out."),
    ] = None,
    categorical: Annotated[
        list[str] | None, typer.Option(help="Treat this column as categories, even numbers.")
    ] = None,
    numeric: Annotated[
        list[str] | None, typer.Option(help="Treat this column of numbers as numbers.")
    ] = None,
    date: Annotated[
        list[str] | None,
        typer.Option(help="Dates or times: calendar features; the first is the time column."),
    ] = None,
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
) -> None:
    """Point the project at a data set: ingest, profile, write params.yaml and the schema.

    --exclude, --keep, --categorical, --numeric and --date are kept in params.yaml
    (data.overrides): every later adopt applies them again.
    """
    if problem_type not in PROBLEM_TYPES:
        raise OptionError(
            f"--problem-type '{problem_type}' is not one of {', '.join(PROBLEM_TYPES)}"
        )
    from tabular_mlops.adopt import adopt  # pandas and more: after the options are checked

    adoption = adopt(
        params_path,
        source=source,
        target=target,
        query=query,
        problem_type=None if problem_type == "infer" else problem_type,  # type: ignore[arg-type]
        overrides={
            "exclude": exclude or [],
            "keep": keep or [],
            "categorical": categorical or [],
            "numeric": numeric or [],
            "date": date or [],
        },
    )
    typer.echo(adoption.summary(params_path))


def check_params_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Check every key and value of the parameters file, and change nothing.

    The make targets run this before `dvc repro`: DVC reads dvc.yaml's ${...} paths before
    any stage runs, so without it a misspelt section would get DVC's message, not its name.
    """
    load_params(params_path)
    typer.echo(f"{params_path}: ok")


def params_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    show: Annotated[
        bool,
        typer.Option(
            "--show",
            help="Print every setting in force: the file's values over the library's defaults.",
        ),
    ] = False,
) -> None:
    """Check the parameters file; with --show, print the merged settings as YAML."""
    import yaml

    params = load_params(params_path)
    if not show:
        typer.echo(f"{params_path}: ok (--show prints every setting in force)")
        return
    merged = params.model_dump(mode="json", by_alias=True)
    typer.echo(yaml.safe_dump(merged, sort_keys=False, allow_unicode=True), nl=False)
