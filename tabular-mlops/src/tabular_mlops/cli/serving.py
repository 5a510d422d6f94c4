"""The commands that put the trained model to use: predict for a CSV file, serve over HTTP."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tabular_mlops import DEFAULT_PARAMS_PATH

from .options import ParamsOption, load_params


def predict_command(
    data: Annotated[Path, typer.Argument(help="CSV with the model's input columns.")],
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
) -> None:
    """Predict for each row of a CSV file and print the rows with a 'prediction' column."""
    params = load_params(params_path)
    from tabular_mlops.modeling.predict import predict_csv

    predict_csv(params, data).to_csv(sys.stdout, index=False)


def serve_command(
    params_path: ParamsOption = DEFAULT_PARAMS_PATH,
    host: Annotated[
        str | None,
        typer.Option(envvar="SERVING_HOST", help="Address to listen on [default: serving.host]."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(envvar="SERVING_PORT", help="Port to listen on [default: serving.port]."),
    ] = None,
    model_dir: Annotated[
        Path | None,
        typer.Option(help="Serve the model in this folder [default: train.model_dir]."),
    ] = None,
    no_record: Annotated[
        bool,
        typer.Option("--no-record", help="Record no predictions, whatever monitoring.log says."),
    ] = False,
) -> None:
    """Serve the trained model over HTTP (see docs/deployment.md)."""
    params = load_params(params_path)
    from tabular_mlops.serving.server import serve  # only this command needs the server

    host, port = host or params.serving.host, port or params.serving.port
    serve(params_path, host, port, model_dir, record=not no_record)
