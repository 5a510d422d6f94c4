"""The commands that dvc.yaml's stages run, in pipeline order, and infer-schema.

Each loads the parameters before it imports the library it runs: a bad setting fails at
once, without waiting for pandas or scikit-learn.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from tabular_mlops import DEFAULT_PARAMS_PATH

from .options import ParamsOption, load_params


def ingest_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Read the configured data source into data.raw_path and record what was read."""
    params = load_params(params_path)
    from tabular_mlops.data.ingest import ingest

    record = ingest(params.data, params.ingest.report_path)
    typer.echo(f"ingested {record.rows} rows from {record.source} into {params.data.raw_path}")


def infer_schema_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Infer the data schema from the raw data and write it (review and commit the result)."""
    params = load_params(params_path)
    from tabular_mlops.data.schema import infer_from_raw

    schema = infer_from_raw(params)
    typer.echo(f"wrote schema for {len(schema.columns.columns)} columns to {params.schema_.path}")


def validate_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    data: Annotated[Path | None, typer.Option(help="CSV to check (default: the raw data).")] = None,
    report: Annotated[
        Path | None,
        typer.Option(help="Where to write the JSON report [default: validate.report_path]."),
    ] = None,
) -> None:
    """Check data against the committed schema; exit 1 with a report if any rule is broken."""
    params = load_params(params_path)
    from tabular_mlops.data.validation import validate_data

    result, undeclared = validate_data(params, data, report or params.validate_.report_path)
    typer.echo(result.describe())
    for problem in undeclared:
        typer.echo(f"warning: {problem}", err=True)


def split_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Split the validated raw data into train, validation and test sets."""
    params = load_params(params_path)
    from tabular_mlops.data.split import describe_left_out, split_validated_data

    splits = split_validated_data(params)
    if splits.left_out:
        typer.echo(f"note: {describe_left_out(splits.left_out, params.split.min_class_rows)}")
    typer.echo(f"train={len(splits.train)} val={len(splits.val)} test={len(splits.test)} rows")


def tune_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Choose the hyperparameters by cross-validation on the training split only."""
    params = load_params(params_path)
    from tabular_mlops.modeling.tune import tune

    typer.echo(json.dumps(tune(params), indent=2, sort_keys=True))


def train_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Train the model and the baseline with the tuned hyperparameters; write validation metrics."""
    params = load_params(params_path)
    from tabular_mlops.modeling.train import train

    typer.echo(json.dumps(train(params), indent=2))


def evaluate_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Evaluate the model and the baseline on the held-out test set."""
    params = load_params(params_path)
    from tabular_mlops.modeling.evaluate import evaluate

    # a GroupSettingError: evaluate.slices or .inclusion cannot apply
    typer.echo(json.dumps(evaluate(params), indent=2))


def gate_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Fail unless the model beats the baseline and does not regress against production."""
    params = load_params(params_path)
    from tabular_mlops.lifecycle.actions import passing_gate

    result = passing_gate(params, Path.cwd())
    against = f", production {result.production_version}" if result.production_version else ""
    typer.echo(
        f"model gate passed: {result.metric}={result.model:.4f} "
        f"(baseline {result.baseline:.4f}{against})"
    )


def canary_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Start the real server on loopback and check its answers on the test set."""
    params = load_params(params_path)
    from tabular_mlops.serving.canary import passing_canary

    report = passing_canary(params, params_path.resolve(), Path.cwd())
    typer.echo(
        f"canary passed: the server answered {report.rows} test rows "
        f"({report.single_requests} also one by one) exactly as the pipeline does"
    )


def staleness_impact_command(params_path: ParamsOption = DEFAULT_PARAMS_PATH) -> None:
    """Train on the oldest part of the data and score each newer part (model staleness)."""
    params = load_params(params_path)
    from tabular_mlops.modeling.staleness_impact import staleness_impact

    summary = staleness_impact(params)
    if summary["reason"]:
        typer.echo(f"no staleness curve: {summary['reason']}")
        return
    typer.echo(
        f"{summary['metric']}: {summary['in_time']:g} in time, {summary['newest']:g} on the "
        f"newest of {summary['points'] - 1} newer part(s), {summary['drop_per_part']:g} lost per "
        f"part of age ({summary['order']}); curve in {params.staleness_impact.plot_path}"
    )
